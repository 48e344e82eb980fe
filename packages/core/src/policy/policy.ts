import { isAccountRouted } from "../accounts/accounts.js";
import { type Config, configSchema, type IgnoreEntry } from "../config/schema.js";
import { countBySeverity } from "../findings/normalize.js";
import { hasFix } from "../intel/apply.js";
import {
  type Escalation,
  type Finding,
  type PolicyVerdict,
  type ScanReport,
  type ScanStatus,
  SEVERITIES,
  type Severity,
  type SeverityCounts,
} from "../model.js";

/** The part of the configuration that decides what a report contains and whether it is due. */
export type ReportPolicy = Pick<Config, "thresholds" | "ignore" | "notifyOnScanFailure" | "escalate">;

/** Which findings make a report due whatever the thresholds say (config `escalate`). */
export type EscalatePolicy = Config["escalate"];

/** Per severity, how many findings are tolerated; `null` (or absent) never triggers. */
export type Thresholds = Partial<Record<Severity, number | null>>;

/** What routing needs of a reporter entry of the configuration. */
export type RouteRule = Pick<Config["reporters"][number], "repositories" | "minSeverity"> &
  Partial<Pick<Config["reporters"][number], "accounts">>;

/** What shapes the report one reporter entry receives. */
export type EntryRule = Pick<Config["reporters"][number], "onlyFixable">;

const DAY_MS = 86_400_000;

let defaultPolicy: ReportPolicy | undefined;

/** The policy of an empty configuration document, taken from the schema so the defaults live in one place. */
export function defaultReportPolicy(): ReportPolicy {
  defaultPolicy ??= configSchema.parse({});
  // A copy each time: a caller adjusting its policy must not change every later default.
  return {
    thresholds: { ...defaultPolicy.thresholds },
    // Stryker disable next-line ArrayDeclaration: the schema's default ignore list is empty, so `[]` is the same copy
    ignore: [...defaultPolicy.ignore],
    notifyOnScanFailure: defaultPolicy.notifyOnScanFailure,
    escalate: { ...defaultPolicy.escalate },
  };
}

/** True for a scan that produced no findings to judge, only a failure to report. */
export function isFailedScan(status: ScanStatus | undefined): boolean {
  return status === "FAILED";
}

/** `search` ignores and restores `lastIndex`, so a regex built with the `g` or `y` flag cannot flip-flop. */
export function matchesRepository(pattern: RegExp, repository: string): boolean {
  return repository.search(pattern) !== -1;
}

/** True while an ignore entry's `until` day (UTC, inclusive) has not ended; an entry without `until` never expires. */
export function isIgnoreEntryActive(entry: Pick<IgnoreEntry, "until">, now: Date): boolean {
  if (entry.until === undefined) return true;
  const endOfDay = Date.parse(`${entry.until}T00:00:00Z`) + DAY_MS;
  // An unparsable date would make the entry apply forever; the schema rejects it, so treat it as expired.
  return Number.isFinite(endOfDay) && now.getTime() < endOfDay;
}

/** The outcome of the ignore list on one report's findings. */
export interface IgnoreOutcome {
  kept: Finding[];
  /** How many findings were removed. */
  ignored: number;
  /**
   * Expired entries that would otherwise have removed a finding of this report, in config order: those are
   * the ones worth a warning, since a finding came back because of them.
   */
  expiredEntries: IgnoreEntry[];
}

/** Removes the findings that an active ignore entry, scoped to this repository, names (ids compared case-insensitively). */
export function applyIgnoreList(
  findings: readonly Finding[],
  repository: string,
  ignore: readonly IgnoreEntry[],
  now: Date,
): IgnoreOutcome {
  // The repository is the same for every finding, so scope is settled once and each finding costs one lookup.
  const entriesById = new Map<string, IgnoreEntry[]>();
  for (const entry of ignore) {
    if (entry.repositories && !matchesRepository(entry.repositories, repository)) continue;
    const key = entry.id.trim().toLowerCase();
    const entries = entriesById.get(key);
    if (entries) entries.push(entry);
    else entriesById.set(key, [entry]);
  }
  // A shortcut only: with no entry in scope the loop below keeps every finding and finds no expired entry.
  // Stryker disable next-line ConditionalExpression: the shortcut and the loop give the same outcome
  if (entriesById.size === 0) return { kept: [...findings], ignored: 0, expiredEntries: [] };

  const kept: Finding[] = [];
  const expired = new Set<IgnoreEntry>();
  for (const finding of findings) {
    const entries = entriesById.get(finding.id.toLowerCase());
    if (!entries) {
      kept.push(finding);
      continue;
    }
    if (entries.some((entry) => isIgnoreEntryActive(entry, now))) continue;
    kept.push(finding);
    for (const entry of entries) expired.add(entry);
  }
  return {
    kept,
    ignored: findings.length - kept.length,
    expiredEntries: ignore.filter((entry) => expired.has(entry)),
  };
}

/** The severities whose count exceeds their threshold, most severe first. */
export function evaluateThresholds(counts: SeverityCounts, thresholds: Thresholds): Severity[] {
  return SEVERITIES.filter((severity) => {
    const threshold = thresholds[severity];
    return typeof threshold === "number" && counts[severity] > threshold;
  });
}

/** The most severe severity with at least one finding, or undefined for a clean report. */
export function highestSeverityOf(counts: SeverityCounts): Severity | undefined {
  return SEVERITIES.find((severity) => counts[severity] > 0);
}

/** Every `escalate` rule a finding matches, in a fixed order; empty when none does. */
export function escalationReasons(finding: Finding, escalate: EscalatePolicy): Escalation["why"] {
  const why: Escalation["why"] = [];
  if (escalate.kev && finding.kev !== undefined) why.push("kev");
  if (escalate.exploitAvailable && finding.exploitAvailable === "YES") why.push("exploit-available");
  const { epssAbove } = escalate;
  if (epssAbove !== null && finding.epss !== undefined && finding.epss.score > epssAbove) why.push("epss");
  return why;
}

/** The findings the `escalate` policy matches, in the findings' order, each with every rule it matched. */
export function findEscalations(findings: readonly Finding[], escalate: EscalatePolicy): Escalation[] {
  const escalations: Escalation[] = [];
  for (const finding of findings) {
    const why = escalationReasons(finding, escalate);
    if (why.length > 0) escalations.push({ id: finding.id, packageName: finding.packageName, why });
  }
  return escalations;
}

/**
 * Decides whether a report is due: a failed scan by `notifyOnScanFailure`, otherwise by the thresholds, then by the
 * `escalate` policy on the findings (the ones kept after the ignore list: an ignored finding never escalates).
 * Over the thresholds wins over escalated; the escalations are listed either way, and left out when there are none
 * (so a report without intel is what it was before). Without `escalate` or `findings` nothing escalates.
 */
export function decideVerdict(
  scan: {
    status: ScanStatus | undefined;
    counts: SeverityCounts;
    ignoredFindings: number;
    findings?: readonly Finding[];
  },
  policy: Pick<ReportPolicy, "notifyOnScanFailure"> & { thresholds: Thresholds; escalate?: EscalatePolicy },
): PolicyVerdict {
  const highestSeverity = highestSeverityOf(scan.counts);
  if (isFailedScan(scan.status)) {
    return {
      due: policy.notifyOnScanFailure,
      reason: policy.notifyOnScanFailure ? "scan-failed" : "scan-failed-not-notified",
      exceeded: [],
      highestSeverity,
      ignoredFindings: scan.ignoredFindings,
    };
  }
  const exceeded = evaluateThresholds(scan.counts, policy.thresholds);
  const escalations = policy.escalate && scan.findings ? findEscalations(scan.findings, policy.escalate) : [];
  const reason =
    exceeded.length > 0 ? "over-threshold" : escalations.length > 0 ? "escalated" : "within-thresholds";
  return {
    due: reason !== "within-thresholds",
    reason,
    ...(escalations.length > 0 && { escalations }),
    exceeded,
    highestSeverity,
    ignoredFindings: scan.ignoredFindings,
  };
}

/**
 * Whether an entry's `accounts` (ids or names) and `repositories` regex cover an image: the part of routing that
 * reports and digests share (a digest line has no severity to compare with `minSeverity` before it is counted).
 */
export function routesImage(
  rule: Pick<RouteRule, "accounts" | "repositories">,
  image: { account: string; accountName?: string; repository: string },
): boolean {
  if (rule.accounts && !isAccountRouted(rule.accounts, image)) return false;
  return !rule.repositories || matchesRepository(rule.repositories, image.repository);
}

/**
 * Whether a reporter entry receives a report, by its `accounts` (ids or names), `repositories` regex and
 * `minSeverity`; due-ness is the verdict's call.
 */
export function routeReport(
  report: Pick<ScanReport, "repository" | "status" | "counts"> &
    Partial<Pick<ScanReport, "account" | "accountName">>,
  rule: RouteRule,
): boolean {
  const image = {
    account: report.account ?? "",
    accountName: report.accountName,
    repository: report.repository,
  };
  if (!routesImage(rule, image)) return false;
  if (rule.minSeverity === undefined) return true;
  // A failed scan has no findings to compare, yet its images may hold anything: a team that asked only
  // for severe findings still needs to know its image went unchecked, so a failure report passes.
  if (isFailedScan(report.status)) return true;
  const limit = SEVERITIES.indexOf(rule.minSeverity);
  return SEVERITIES.some((severity, rank) => rank <= limit && report.counts[severity] > 0);
}

/** Why an `onlyFixable` entry gets no report: what is left for it is nothing. */
export const NO_FINDING_WITH_A_FIX = "no finding with a fix";

/**
 * The report one reporter entry receives. An entry with `onlyFixable` gets the findings that have a fix (`hasFix`),
 * with the counts recomputed as the report builder does, the verdict's escalations and the changes narrowed to
 * them; the verdict itself is the image's (why the report is due does not change with what an entry is shown).
 * Undefined when that leaves nothing of a report that had findings (the entry is not routed); a failed scan, a clean
 * one and every report to an entry without `onlyFixable` pass as they are, the same object.
 */
export function reportForEntry(report: ScanReport, entry: EntryRule): ScanReport | undefined {
  if (!entry.onlyFixable || isFailedScan(report.status) || report.findings.length === 0) return report;
  const findings = report.findings.filter(hasFix);
  if (findings.length === 0) return undefined;
  // Stryker disable next-line ConditionalExpression: a shortcut only; the copy below would equal the report
  if (findings.length === report.findings.length) return report;
  const keys = new Set(findings.map(findingKey));
  const { escalations, ...verdict } = report.verdict;
  const escalationsLeft = escalations?.filter((escalation) => keys.has(findingKey(escalation))) ?? [];
  const { changes } = report;
  return {
    ...report,
    findings,
    counts: countBySeverity(findings),
    verdict: { ...verdict, ...(escalationsLeft.length > 0 && { escalations: escalationsLeft }) },
    changes: changes && {
      ...changes,
      newFindings: changes.newFindings.filter(hasFix),
      severityRaised: changes.severityRaised.filter(({ finding }) => hasFix(finding)),
      ...(changes.nowKnownExploited && { nowKnownExploited: changes.nowKnownExploited.filter(hasFix) }),
    },
  };
}

/** What tells findings apart in an escalation list: the id and the package. */
function findingKey(finding: { id: string; packageName?: string }): string {
  return `${finding.id}\u0000${finding.packageName ?? ""}`;
}
