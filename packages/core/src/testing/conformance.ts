import type { ScanReport } from "../model.js";
import type { ReporterDeps, ReporterPlugin } from "../reporters/contract.js";
import { reporterPluginProblem } from "../reporters/loader.js";
import {
  cleanReport,
  failedScanReport,
  hostileReport,
  manyFindingsReport,
  overThresholdReport,
  untaggedReport,
} from "./sample-reports.js";

/** The part of SENTINEL_SECRET that gives a leak away, even of a piece of the secret (a URL's path). */
const SENTINEL_MARK = "SENTINEL-0c1d2e3f";

/** A secret value no real output contains: if it shows up in an error, the reporter leaks secrets. */
export const SENTINEL_SECRET = `https://secret.invalid/${SENTINEL_MARK}-do-not-log`;

export interface ConformanceOptions<O> {
  /** Options the schema must accept (secret references are fine: secrets resolve to SENTINEL_SECRET). */
  validOptions: unknown;
  /** Options the schema must reject, each with a word on why. */
  invalidOptions: { options: unknown; why: string }[];
  /** Extra deps for the reporter (e.g. an `awsClient` for a reporter that uses AWS); the kit fills the rest. */
  deps?: Partial<ReporterDeps>;
  /**
   * Deps whose target fails, for the failed-send checks; by default HTTP answers 500. A reporter that sends
   * through AWS passes an `awsClient` whose calls reject.
   */
  failingDeps?: Partial<ReporterDeps>;
  /** Parsed options, for reporters whose schema transforms its input; defaults to parsing validOptions. */
  parse?: (options: unknown) => O;
}

export interface ConformanceResult {
  /** Everything that breaks the contract, in words; empty when the plugin conforms. */
  problems: string[];
  /** What `report()` returned for each sample report against a working target. */
  outcomes: Record<string, unknown>;
}

/** Deps that answer like a working target: secrets resolve, HTTP answers 200, lines are collected. */
export function conformanceDeps(overrides: Partial<ReporterDeps> = {}, fetchStatus = 200): ReporterDeps {
  return {
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    resolveSecret: async () => SENTINEL_SECRET,
    awsClient: () => {
      throw new Error("this reporter asked for an AWS client: pass deps.awsClient to the conformance check");
    },
    fetch: (async () =>
      new Response(fetchStatus < 300 ? "1" : "upstream failure", { status: fetchStatus })) as typeof fetch,
    templates: { override: () => undefined },
    clock: () => new Date("2026-11-28T06:15:00Z"),
    writeLine: () => undefined,
    ...overrides,
  };
}

const SAMPLES: Record<string, () => ScanReport> = {
  overThreshold: overThresholdReport,
  clean: cleanReport,
  failedScan: failedScanReport,
  untagged: untaggedReport,
  hostile: hostileReport,
  manyFindings: () => manyFindingsReport(5_000),
};

const OUTCOME_STATUSES: ReadonlySet<unknown> = new Set(["sent", "skipped"]);

/**
 * The conformance check a reporter author runs in their own tests: the plugin's shape, its options schema
 * (accepting and rejecting), `report()` returning a valid outcome for every sample report, no secret in its
 * errors when the target fails, and no unhandled promise rejection. Returns the problems found (none = conforms).
 */
export async function checkReporterConformance<O>(
  plugin: ReporterPlugin<O>,
  options: ConformanceOptions<O>,
): Promise<ConformanceResult> {
  const problems: string[] = [];
  const outcomes: Record<string, unknown> = {};
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  try {
    // The shape check refuses a contractVersion newer than this core's too, as the loader does.
    const shape = reporterPluginProblem(plugin);
    if (shape) return { problems: [shape], outcomes };

    const accepted = plugin.optionsSchema.safeParse(options.validOptions);
    if (!accepted.success) {
      problems.push(
        `optionsSchema rejects the valid options: ${accepted.error.issues.map((i) => i.message).join("; ")}`,
      );
      return { problems, outcomes };
    }
    for (const bad of options.invalidOptions) {
      if (plugin.optionsSchema.safeParse(bad.options).success)
        problems.push(`optionsSchema accepts invalid options (${bad.why})`);
    }
    const parsed = options.parse ? options.parse(options.validOptions) : (accepted.data as O);

    const reporter = plugin.create(parsed, conformanceDeps(options.deps));
    for (const [name, sample] of Object.entries(SAMPLES)) {
      try {
        const outcome = await reporter.report(sample(), {
          reporterId: plugin.name,
          attempt: 1,
          source: "conformance",
        });
        outcomes[name] = outcome;
        if (!outcome || !OUTCOME_STATUSES.has((outcome as { status?: unknown }).status)) {
          problems.push(
            `report(${name}) returned ${JSON.stringify(outcome)}, not { status: "sent" | "skipped" }`,
          );
        }
      } catch (error) {
        problems.push(
          `report(${name}) threw against a working target: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }

    // A failing target: the reporter must reject, and its error must not carry the secret.
    const failing = plugin.create(parsed, conformanceDeps({ ...options.deps, ...options.failingDeps }, 500));
    try {
      await failing.report(overThresholdReport(), {
        reporterId: plugin.name,
        attempt: 1,
        source: "conformance",
      });
      problems.push("report() resolved although the target answered 500: a failed send must reject");
    } catch (error) {
      const parts: unknown[] = error instanceof Error ? [error.message, error.stack, error.cause] : [error];
      if (parts.some((part) => String(part).includes(SENTINEL_MARK))) {
        problems.push("the error of a failed send contains the secret value");
      }
    }
    if (plugin.preview) {
      try {
        const files = plugin.preview(overThresholdReport(), parsed, conformanceDeps(options.deps));
        if (
          !Array.isArray(files) ||
          files.some((f) => typeof f.name !== "string" || typeof f.content !== "string")
        ) {
          problems.push("preview() must return [{ name, content }] of strings");
        }
      } catch (error) {
        problems.push(`preview() threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    // Let any stray promise settle before judging.
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (unhandled.length > 0) problems.push(`${unhandled.length} unhandled promise rejection(s)`);
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
  return { problems, outcomes };
}
