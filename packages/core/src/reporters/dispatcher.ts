import { describeError, reporterRetryAfterSeconds } from "../errors.js";
import type { NotificationKind, NotificationWhy } from "../ledger/notify.js";
import type { ScanReport } from "../model.js";
import { NO_FINDING_WITH_A_FIX, reportForEntry, routeReport } from "../policy/policy.js";
import type { ReportContext, ReporterLogger, ReportOutcome } from "./contract.js";
import type { LoadedReporter } from "./loader.js";

/** What one reporter did with one report. */
export type DispatchOutcome =
  | ({ reporter: string } & ReportOutcome)
  | { reporter: string; status: "not-routed"; detail: string }
  | {
      reporter: string;
      status: "failed";
      error: string;
      /** The wait the reporter asked for before it is tried again (its ReporterError's `retryAfterSeconds`). */
      retryAfterSeconds?: number;
    };

export interface DispatchResult {
  outcomes: DispatchOutcome[];
  /** Ids of the reporters that failed: the ones a targeted retry must run again. */
  failed: string[];
}

/**
 * Why a reporter does not get a report (routing, a report that is not due, or an `onlyFixable` entry left with no
 * finding); undefined when it does. Routing judges the report the entry would receive (`reportForEntry`).
 */
export function whyNotRouted(report: ScanReport, loaded: LoadedReporter): string | undefined {
  if ((loaded.plugin.receives ?? "due") === "due" && !report.verdict.due)
    return `report not due (${report.verdict.reason})`;
  const entryReport = reportForEntry(report, loaded.entry);
  if (!entryReport) return NO_FINDING_WITH_A_FIX;
  if (!routeReport(entryReport, loaded.entry))
    return "routing (accounts / repositories / minSeverity) excludes it";
  return undefined;
}

/**
 * Hands one report to every routed reporter at once and lets them all settle: one failing reporter never stops
 * the others. With `only`, runs just those reporter ids (a targeted retry), so what went out is not sent again.
 * Each reporter gets the report its entry asks for (`reportForEntry`: to `onlyFixable`, the findings with a fix).
 */
export async function dispatchReport(
  report: ScanReport,
  reporters: readonly LoadedReporter[],
  options: {
    logger: ReporterLogger;
    attempt?: number;
    only?: readonly string[];
    source?: string;
    /**
     * Set by the ledger-aware delivery (use-cases/deliver-report.ts), which has already routed each reporter and
     * decided what it is told: each reporter gets its notification in its context, and is not routed again.
     */
    notifications?: ReadonlyMap<string, { kind?: NotificationKind; why: NotificationWhy }>;
  },
): Promise<DispatchResult> {
  const { only } = options;
  const selected = only ? reporters.filter((r) => only.includes(r.id)) : reporters;
  const outcomes = await Promise.all(
    selected.map(async (loaded): Promise<DispatchOutcome> => {
      const notification = options.notifications?.get(loaded.id);
      const notRouted = options.notifications ? undefined : whyNotRouted(report, loaded);
      if (notRouted) return { reporter: loaded.id, status: "not-routed", detail: notRouted };
      const entryReport = reportForEntry(report, loaded.entry);
      // The ledger-aware delivery has routed each reporter already, on this same report.
      // Stryker disable next-line ConditionalExpression: whyNotRouted or the delivery has settled this above
      if (!entryReport) return { reporter: loaded.id, status: "not-routed", detail: NO_FINDING_WITH_A_FIX };
      const ctx: ReportContext = {
        reporterId: loaded.id,
        attempt: options.attempt ?? 1,
        source: options.source,
      };
      if (notification?.kind) ctx.notification = { kind: notification.kind, why: notification.why };
      try {
        const outcome = await loaded.reporter.report(entryReport, ctx);
        return { reporter: loaded.id, ...outcome };
      } catch (error) {
        const retryAfterSeconds = reporterRetryAfterSeconds(error);
        return {
          reporter: loaded.id,
          status: "failed",
          error: describeError(error),
          ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
        };
      }
    }),
  );
  for (const outcome of outcomes) {
    const log = { reporter: outcome.reporter, repository: report.repository, digest: report.digest, outcome };
    if (outcome.status === "failed") options.logger.error(`reporter ${outcome.reporter} failed`, log);
    else options.logger.info(`reporter ${outcome.reporter}: ${outcome.status}`, log);
  }
  return { outcomes, failed: outcomes.filter((o) => o.status === "failed").map((o) => o.reporter) };
}

/**
 * The longest wait the failed reporters of a delivery asked for, in seconds; undefined when none asked. The failed
 * reporters go back in one message, so the one that asked to wait longest sets its delay.
 */
export function longestRetryAfter(outcomes: readonly DispatchOutcome[]): number | undefined {
  let longest: number | undefined;
  for (const outcome of outcomes) {
    if (outcome.status !== "failed" || outcome.retryAfterSeconds === undefined) continue;
    longest = Math.max(longest ?? 0, outcome.retryAfterSeconds);
  }
  return longest;
}
