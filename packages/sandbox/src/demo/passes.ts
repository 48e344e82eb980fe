// The figures of one scheduled pass of the demo, from what the functions logged: pure, so the demo's page and its
// tests read the same numbers.
import { cleanText } from "@ecr-scan-reporter/core";

/** One report as report-findings logged it. */
export interface ReportLine {
  repository: string;
  digest: string;
  tags: string[];
  status: string;
  counts: Record<string, number>;
  verdict: {
    due: boolean;
    highestSeverity?: string;
    reason?: string;
    escalations?: { id: string; why: string[] }[];
  };
  outcomes: Record<string, string>;
  /** Reporters the findings ledger kept quiet, and why ("unchanged", "not-due", "duplicate-scan", …). */
  held?: Record<string, string>;
  changes?: {
    firstReport: boolean;
    previousScanAt?: string;
    new: string[];
    fixed: string[];
    severityRaised: string[];
    nowKnownExploited?: string[];
  };
}

/** One image's report in a pass, for the summary page and the tests. */
export interface PassImageReport {
  /** The account of the image's registry, when the demo covers several accounts (`demo --accounts`). */
  account?: string;
  image: string;
  digest: string;
  highest: string;
  counts: Record<string, number>;
  due: boolean;
  /** The reporters that sent it. */
  sentTo: string[];
  /** The reporters the ledger held it back from, and why. */
  held: Record<string, string>;
  /** Absent when the ledger could not compute changes. */
  firstReport?: boolean;
  /** Findings the ledger called new since the image reference's last report. */
  newFindings: string[];
  /** The CVEs published by the feed before this pass that this image's scan found (the sandbox's own account). */
  newlyPublishedFound: string[];
  /** Its findings on CISA's KEV catalog (the escalations the policy listed for KEV). */
  knownExploited: string[];
  /** Due only because of an escalation (within the thresholds otherwise). */
  escalated: boolean;
  /** A report queued because KEV gained these CVEs, without a rescan. */
  nowKnownExploited: string[];
}

/** What one scheduled pass did: schedule → scans → reports. */
export interface PassSummary {
  pass: number;
  /** The sandbox's clock when the schedule ran (ISO 8601). */
  at: string;
  /** CVEs the vulnerability feed published just before this pass. */
  newlyPublishedCves: string[];
  decisions: Record<string, number>;
  /** The planner took the decision the demo expects of each selected image (seed.ts). */
  expectedDecisionsMatched: boolean;
  scansStarted: number;
  /** Scans the ledger took for stale that ECR refused with its 24 h quota (scan-images' `ledgerMissedScans`). */
  ledgerMissedScans: number;
  /** Scan completions report-findings reported. */
  reports: number;
  /** Of those, over the thresholds or a failed scan. */
  reportsDue: number;
  /** Reports sent, per reporter. */
  reportsPerReporter: Record<string, number>;
  /** Reports the ledger held back, per reporter and why. */
  heldPerReporter: Record<string, Record<string, number>>;
  /** Due reports at least one reporter was not sent because nothing changed since its last message. */
  reportsHeldUnchanged: number;
  /** Reports that were the first for their image reference. */
  firstReports: number;
  /** Reports with findings new since the reference's last report. */
  reportsWithNewFindings: number;
  /** Reports due only because a finding is known exploited (or otherwise escalated). */
  reportsEscalated: number;
  /** Reports queued because KEV gained a CVE the image carries (no rescan). */
  reportsNowKnownExploited: number;
  /** Distinct CVEs on CISA's KEV catalog among the pass's findings. */
  knownExploitedCves: string[];
  highestSeverities: Record<string, number>;
  findingsBySeverity: Record<string, number>;
  /** The functions' AWS calls during this pass. */
  awsCalls: Record<string, number>;
  imageReports: PassImageReport[];
  /** Per account, when the demo covers several (`demo --accounts`): what was scanned and reported in each. */
  accounts?: AccountPassFigures[];
}

/** An account of a multi-account demo: its id, its name in `accounts`, and its registry's repositories. */
export interface DemoAccountRef {
  accountId: string;
  name?: string;
}

/** What one pass did in one account's registry. */
export interface AccountPassFigures extends DemoAccountRef {
  /** Images scan-images started a scan of, in this account's registry. */
  scansStarted: number;
  /** Reports of this account's images (scan completions and KEV escalations). */
  reports: number;
  reportsDue: number;
  /** Reports sent, per reporter. */
  reportsPerReporter: Record<string, number>;
}

/**
 * The figures of a pass per account: the scans started in each registry, and the reports of its images (each image
 * report carrying its account). Every account of `accounts` has a row, one with nothing done included. Pure.
 */
export function summariseAccounts(
  accounts: readonly DemoAccountRef[],
  imageReports: readonly PassImageReport[],
  scansStartedByAccount: Readonly<Record<string, number>>,
): AccountPassFigures[] {
  // Every account lists the reporters in one order: the order the pass first sent to them.
  const reporters = [...new Set(imageReports.flatMap((r) => r.sentTo))];
  return accounts.map((account) => {
    const reports = imageReports.filter((r) => r.account === account.accountId);
    const reportsPerReporter: Record<string, number> = {};
    for (const reporter of reporters) {
      const sent = reports.filter((r) => r.sentTo.includes(reporter)).length;
      if (sent > 0) reportsPerReporter[reporter] = sent;
    }
    return {
      accountId: account.accountId,
      ...(account.name !== undefined ? { name: account.name } : {}),
      scansStarted: scansStartedByAccount[account.accountId] ?? 0,
      reports: reports.length,
      reportsDue: reports.filter((r) => r.due).length,
      reportsPerReporter,
    };
  });
}

/** Calls made between two snapshots of the sandbox's call counts. */
export function callsSince(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const calls: Record<string, number> = {};
  for (const [k, n] of Object.entries(after)) if (n - (before[k] ?? 0) > 0) calls[k] = n - (before[k] ?? 0);
  return calls;
}

/** The per-pass figures of the reports report-findings logged in one pass. */
export function summariseReports(
  reports: ReportLine[],
  newlyPublishedFound: (digest: string) => string[],
  /** The account of an image's registry, to tell the accounts' reports apart; none for a single account. */
  accountOf?: (digest: string) => string | undefined,
): Pick<
  PassSummary,
  | "reports"
  | "reportsDue"
  | "reportsPerReporter"
  | "heldPerReporter"
  | "reportsHeldUnchanged"
  | "firstReports"
  | "reportsWithNewFindings"
  | "reportsEscalated"
  | "reportsNowKnownExploited"
  | "knownExploitedCves"
  | "highestSeverities"
  | "findingsBySeverity"
  | "imageReports"
> {
  const reportsPerReporter: Record<string, number> = {};
  const heldPerReporter: Record<string, Record<string, number>> = {};
  const highestSeverities: Record<string, number> = {};
  const findingsBySeverity: Record<string, number> = {
    CRITICAL: 0,
    HIGH: 0,
    MEDIUM: 0,
    LOW: 0,
    INFORMATIONAL: 0,
    UNDEFINED: 0,
  };
  let reportsHeldUnchanged = 0;
  const imageReports: PassImageReport[] = [];
  for (const report of reports) {
    const sentTo = Object.entries(report.outcomes)
      .filter(([, outcome]) => outcome === "sent")
      .map(([reporter]) => reporter);
    for (const reporter of sentTo) reportsPerReporter[reporter] = (reportsPerReporter[reporter] ?? 0) + 1;
    const held = report.held ?? {};
    for (const [reporter, why] of Object.entries(held)) {
      const byWhy = heldPerReporter[reporter] ?? {};
      byWhy[why] = (byWhy[why] ?? 0) + 1;
      heldPerReporter[reporter] = byWhy;
    }
    if (report.verdict.due && Object.values(held).includes("unchanged")) reportsHeldUnchanged += 1;
    const highest = report.status === "FAILED" ? "scan failed" : (report.verdict.highestSeverity ?? "none");
    highestSeverities[highest] = (highestSeverities[highest] ?? 0) + 1;
    for (const [s, n] of Object.entries(report.counts))
      findingsBySeverity[s] = (findingsBySeverity[s] ?? 0) + n;
    const account = accountOf?.(report.digest);
    imageReports.push({
      ...(account !== undefined ? { account } : {}),
      image: `${report.repository}:${report.tags[0] ?? report.digest.slice(0, 19)}`,
      digest: report.digest,
      highest,
      counts: report.counts,
      due: report.verdict.due,
      sentTo,
      held,
      firstReport: report.changes?.firstReport,
      newFindings: report.changes?.new ?? [],
      newlyPublishedFound: report.status === "FAILED" ? [] : newlyPublishedFound(report.digest),
      knownExploited: (report.verdict.escalations ?? [])
        .filter((e) => e.why.includes("kev"))
        .map((e) => e.id),
      escalated: report.verdict.reason === "escalated",
      nowKnownExploited: report.changes?.nowKnownExploited ?? [],
    });
  }
  return {
    reports: reports.length,
    reportsDue: reports.filter((r) => r.verdict.due).length,
    reportsPerReporter,
    heldPerReporter,
    reportsHeldUnchanged,
    firstReports: imageReports.filter((r) => r.firstReport === true).length,
    reportsWithNewFindings: imageReports.filter((r) => r.newFindings.length > 0).length,
    reportsEscalated: imageReports.filter((r) => r.escalated).length,
    reportsNowKnownExploited: imageReports.filter((r) => r.nowKnownExploited.length > 0).length,
    knownExploitedCves: [...new Set(imageReports.flatMap((r) => r.knownExploited))].sort(),
    highestSeverities,
    findingsBySeverity,
    imageReports,
  };
}

/** A reporter that failed: its first error's message, and how many reports (or digests) failed that same way. */
export interface ReporterFailure {
  /** When: `pass 1`, `pass 2`, `digest`. */
  when: string;
  /** The function that ran it: report-findings or send-digests. */
  function: string;
  reporter: string;
  /** Reports it failed to send (each image once, whatever the retries), or digests. */
  failed: number;
  /** The first failure's error message. */
  firstError: string;
  /** Of `failed`, those that failed with that same message. */
  sameError: number;
}

/** One line a function logged, parsed (Powertools' structured JSON: level, message, and the extra fields). */
export type LogLine = Record<string, unknown>;

/** The error message of a reporter's failure line, if the line is one: report-findings' outcome, send-digests'. */
function reporterErrorOf(line: LogLine): { reporter: string; error: string } | undefined {
  if (line.level !== "ERROR" || typeof line.reporter !== "string") return undefined;
  const outcome = line.outcome as { status?: unknown; error?: unknown } | undefined;
  if (outcome?.status === "failed" && typeof outcome.error === "string")
    return { reporter: line.reporter, error: outcome.error };
  if (typeof line.error === "string" && /\bfailed\b/.test(String(line.message)))
    return { reporter: line.reporter, error: line.error };
  return undefined;
}

/**
 * The ERROR lines one function logged in a pass, in words: one failure per reporter (its first error's message, how
 * many of its reports failed and how many the same way) instead of a "reporter failed" line per report, and the
 * other errors once each with their count. `unit` names what a failure is about: "report", "digest".
 */
export function summariseErrors(
  lines: readonly LogLine[],
  where: { when: string; function: string; unit: string },
): { failures: ReporterFailure[]; errors: string[] } {
  const byReporter = new Map<string, Map<string, string>>();
  const others = new Map<string, number>();
  for (const [index, line] of lines.entries()) {
    if (line.level !== "ERROR") continue;
    const failure = reporterErrorOf(line);
    if (failure) {
      const errors = byReporter.get(failure.reporter) ?? new Map<string, string>();
      // A report's retries fail again: the image counts once, with its first error.
      const key =
        typeof line.repository === "string" ? `${line.repository}@${String(line.digest)}` : `line ${index}`;
      if (!errors.has(key)) errors.set(key, failure.error);
      byReporter.set(failure.reporter, errors);
      continue;
    }
    const text = cleanText(
      `${String(line.message)}${typeof line.error === "string" ? `: ${line.error}` : ""}`,
      {
        singleLine: true,
      },
    );
    others.set(text, (others.get(text) ?? 0) + 1);
  }
  const failures = [...byReporter].map(([reporter, errors]): ReporterFailure => {
    const messages = [...errors.values()];
    // A reporter's own words (a target's answer, a custom reporter's throw) reach a terminal: one clean line.
    const firstError = cleanText(messages[0] ?? "", { singleLine: true });
    return {
      when: where.when,
      function: where.function,
      reporter,
      failed: messages.length,
      firstError,
      sameError: messages.filter((m) => m === messages[0]).length,
    };
  });
  return {
    failures,
    errors: [
      ...failures.map((f) => describeReporterFailure(f, where.unit)),
      ...[...others].map(
        ([text, n]) => `${where.when}: ${where.function}: ${text}${n > 1 ? ` (${n} times)` : ""}`,
      ),
    ],
  };
}

/** One line for a reporter's failures: `pass 1: report-findings: reporter x failed for 25 reports: <why> (…)`. */
export function describeReporterFailure(failure: ReporterFailure, unit: string): string {
  const { failed, sameError } = failure;
  const count = `${failed} ${unit}${failed === 1 ? "" : "s"}`;
  const how =
    failed === 1
      ? ""
      : sameError === failed
        ? " (all the same way)"
        : ` (${sameError} the same way, ${failed - sameError} otherwise)`;
  return `${failure.when}: ${failure.function}: reporter ${failure.reporter} failed for ${count}: ${failure.firstError}${how}`;
}
