import type * as z from "zod";
import { problemsFromIssues } from "../config/load.js";
import type { ReporterEntry } from "../config/schema.js";
import { ConfigError, type ConfigProblem, describeError } from "../errors.js";
import {
  type AnyReporterPlugin,
  REPORTER_CONTRACT_VERSION,
  type Reporter,
  type ReporterDeps,
} from "./contract.js";

/** A reporter entry of the configuration, validated and created, with the id the dispatcher knows it by. */
export interface LoadedReporter {
  /** `slack`, or `slack#2` for the second entry that uses the same reporter. */
  id: string;
  plugin: AnyReporterPlugin;
  entry: ReporterEntry;
  /** The entry's options after the plugin's schema (defaults filled). */
  options: unknown;
  reporter: Reporter;
}

/** Finds the plugin for a `use` that is not built in (a package); undefined when there is none. */
export type CustomPluginResolver = (packageName: string) => Promise<AnyReporterPlugin | undefined>;

/** Checks that a module's default export is a ReporterPlugin; returns what is wrong, or undefined. */
export function reporterPluginProblem(candidate: unknown): string | undefined {
  if (typeof candidate !== "object" || candidate === null)
    return "its default export is not a reporter plugin object";
  const plugin = candidate as Partial<AnyReporterPlugin>;
  const missing: string[] = [];
  if (typeof plugin.name !== "string" || plugin.name === "") missing.push("name (a string)");
  if (typeof plugin.optionsSchema?.safeParse !== "function") missing.push("optionsSchema (a zod schema)");
  if (typeof plugin.create !== "function") missing.push("create (a function)");
  if (missing.length > 0) return `its default export is not a reporter plugin: missing ${missing.join(", ")}`;
  // A plugin without contractVersion is written for v1: Number(undefined) is NaN, which is never greater.
  if (Number(plugin.contractVersion) > REPORTER_CONTRACT_VERSION) {
    return `it needs reporter contract v${plugin.contractVersion}, this release implements v${REPORTER_CONTRACT_VERSION}: upgrade ecr-scan-reporter`;
  }
  return undefined;
}

/** Ids for the entries: the `use` name, numbered from the second use of the same name on. */
export function reporterIds(entries: readonly Pick<ReporterEntry, "use">[]): string[] {
  const seen = new Map<string, number>();
  return entries.map(({ use }) => {
    const n = (seen.get(use) ?? 0) + 1;
    seen.set(use, n);
    return n === 1 ? use : `${use}#${n}`;
  });
}

/**
 * Resolves, validates and creates every reporter entry at cold start. All problems (unknown reporter, a module
 * that is not a plugin, options rejected by the plugin's schema) are gathered into one ConfigError, each as
 * `reporters[i].options.key: reason`, so a user fixes the config in one pass.
 */
export async function loadReporters(
  entries: readonly ReporterEntry[],
  builtIns: ReadonlyMap<string, AnyReporterPlugin | (() => Promise<AnyReporterPlugin>)>,
  deps: ReporterDeps,
  resolveCustom?: CustomPluginResolver,
): Promise<LoadedReporter[]> {
  const problems: ConfigProblem[] = [];
  const ids = reporterIds(entries);
  const loaded: LoadedReporter[] = [];
  for (const [index, entry] of entries.entries()) {
    const path = `reporters[${index}]`;
    const builtIn = builtIns.get(entry.use);
    // A built-in may be given as a loader, so a bundle imports only the reporters the configuration uses.
    let plugin = typeof builtIn === "function" ? await builtIn() : builtIn;
    if (!plugin && resolveCustom) {
      try {
        plugin = await resolveCustom(entry.use);
      } catch (error) {
        problems.push({
          path: `${path}.use`,
          reason: `"${entry.use}" could not be loaded: ${describeError(error)}`,
        });
        continue;
      }
    }
    if (!plugin) {
      problems.push({
        path: `${path}.use`,
        reason: `"${entry.use}" is neither a built-in reporter (${[...builtIns.keys()].join(", ")}) nor an installed reporter package`,
      });
      continue;
    }
    const pluginProblem = reporterPluginProblem(plugin);
    if (pluginProblem) {
      problems.push({ path: `${path}.use`, reason: `"${entry.use}": ${pluginProblem}` });
      continue;
    }
    const parsed = (plugin.optionsSchema as z.ZodType<unknown>).safeParse(entry.options ?? {});
    if (!parsed.success) {
      problems.push(...problemsFromIssues(parsed.error.issues, ["reporters", index, "options"]));
      continue;
    }
    const id = ids[index] ?? entry.use;
    try {
      loaded.push({ id, plugin, entry, options: parsed.data, reporter: plugin.create(parsed.data, deps) });
    } catch (error) {
      problems.push({ path, reason: `"${entry.use}" could not be created: ${describeError(error)}` });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, "reporters");
  return loaded;
}

/** Runs each reporter's optional verify() once; returns the failures by reporter id instead of throwing. */
export async function verifyReporters(
  reporters: readonly LoadedReporter[],
): Promise<{ reporter: string; error: string }[]> {
  // The await inside try: a verify() that throws synchronously (a plain-JS plugin) becomes that reporter's failure
  // too, not the whole check's.
  const failures = await Promise.all(
    reporters.map(async ({ id, reporter }) => {
      try {
        await reporter.verify?.();
        return [];
      } catch (error) {
        return [{ reporter: id, error: describeError(error) }];
      }
    }),
  );
  return failures.flat();
}
