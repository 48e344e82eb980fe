import type { ReportChanges, ScanReport } from "../model.js";
import { isFailedScan } from "../policy/policy.js";
import type { ReportContext } from "../reporters/contract.js";
import { cleanText, truncateText } from "../text.js";
import { reportImageLabel } from "./image.js";
import { countsSummary } from "./severity.js";

// One wording of change for every reporter (issue 14): "2 new since 2026-11-23: CVE-2026-1111, CVE-2026-2222",
// "1 raised: CVE-2026-3333 HIGH → CRITICAL", "1 fixed: CVE-2025-4444", or "No change since 2026-11-23"; and, first,
// "1 now known exploited: CVE-2023-44487" when CISA's KEV catalog gained a CVE of the image (issue 16). The text
// is plain: vulnerability ids come from the feed and are untrusted, so each reporter escapes the result for its
// target, or passes `formatId` to turn each id into its target's safe form (a Markdown code span).
//
// Nothing is said on the first report for an image reference, without a ledger, or for a failed scan: the whole
// report is the news then, and a failed scan has no findings to compare.

/** How many vulnerability ids one kind of change names before "and K more". */
export const CHANGES_MAX_IDS = 5;
/** An id longer than this is cut (ids are untrusted; real ones are far shorter). */
const MAX_ID_CHARS = 80;

/**
 * A kind of change, in the order they are told: now known exploited (added to CISA's KEV catalog since), new,
 * raised, fixed; `unchanged` when there is none.
 */
export type ChangeKind = "known-exploited" | "new" | "raised" | "fixed" | "unchanged";

/** One line of the change wording: what kind it is (to pick an icon) and its text. */
export interface ChangeLine {
  kind: ChangeKind;
  text: string;
}

export interface ChangesTextOptions {
  /** Ids named per kind before "and K more" (default CHANGES_MAX_IDS). */
  maxIds?: number;
  /**
   * Turns one id (already one line, without control characters, at most 80 characters — but still untrusted) into
   * its target's safe form; the rest of the wording holds no untrusted text. Default: the id as it is.
   */
  formatId?: (id: string) => string;
}

/** The changes a report has to tell: undefined without a ledger, on the first report, or for a failed scan. */
export function reportedChanges(report: Pick<ScanReport, "changes" | "status">): ReportChanges | undefined {
  const changes = report.changes;
  if (!changes || changes.firstReport || isFailedScan(report.status)) return undefined;
  return changes;
}

/** `2026-11-23` (UTC) from an ISO time; "" when absent or unparseable. */
function dayOf(iso: string | undefined): string {
  if (!iso) return "";
  const time = Date.parse(iso);
  return Number.isNaN(time) ? "" : new Date(time).toISOString().slice(0, 10);
}

function cleanId(id: string): string {
  return truncateText(cleanText(id, { singleLine: true }).trim(), MAX_ID_CHARS) || "unnamed";
}

/** Each id once, in order: the same vulnerability in two packages is one vulnerability to a reader. */
function distinct<T>(items: readonly T[], idOf: (item: T) => string): { id: string; item: T }[] {
  const seen = new Set<string>();
  const out: { id: string; item: T }[] = [];
  for (const item of items) {
    const id = cleanId(idOf(item));
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ id, item });
  }
  return out;
}

/** `A, B, C and 4 more`: the first `max` entries, then how many were left out ("" when none are named). */
function cappedList(entries: readonly string[], max: number): string {
  const listed = entries.slice(0, Math.max(0, max));
  const rest = entries.length - listed.length;
  if (listed.length === 0) return "";
  return rest > 0 ? `${listed.join(", ")} and ${rest} more` : listed.join(", ");
}

/** One kind of change of a report: how many distinct ids, and the list (capped) as the wording names them. */
interface ChangePart {
  kind: Exclude<ChangeKind, "unchanged">;
  count: number;
  list: string;
}

/** How each kind of change is told after its count: `2 new`, `1 now known exploited`. */
const KIND_WORDS: Readonly<Record<ChangePart["kind"], string>> = {
  "known-exploited": "now known exploited",
  new: "new",
  raised: "raised",
  fixed: "fixed",
};

/** The kinds of change a report has, in the order they are told; `since` is ` since 2026-11-23` or the like. */
function changeParts(
  changes: ReportChanges,
  options: ChangesTextOptions,
): { since: string; parts: ChangePart[] } {
  const max = options.maxIds ?? CHANGES_MAX_IDS;
  const format = options.formatId ?? ((id: string) => id);
  const day = dayOf(changes.previousScanAt);
  const exploited = distinct(changes.nowKnownExploited ?? [], (f) => f.id);
  const added = distinct(changes.newFindings, (f) => f.id);
  const raised = distinct(changes.severityRaised, (r) => r.finding.id);
  const fixed = distinct(changes.fixedFindings, (f) => f.id);
  const parts: ChangePart[] = [
    {
      kind: "known-exploited",
      count: exploited.length,
      list: cappedList(
        exploited.map((e) => format(e.id)),
        max,
      ),
    },
    {
      kind: "new",
      count: added.length,
      list: cappedList(
        added.map((e) => format(e.id)),
        max,
      ),
    },
    {
      kind: "raised",
      count: raised.length,
      list: cappedList(
        raised.map((e) => `${format(e.id)} ${e.item.from} → ${e.item.finding.severity}`),
        max,
      ),
    },
    {
      kind: "fixed",
      count: fixed.length,
      list: cappedList(
        fixed.map((e) => format(e.id)),
        max,
      ),
    },
  ];
  return {
    since: day ? ` since ${day}` : " since the last report",
    parts: parts.filter((part) => part.count > 0),
  };
}

/**
 * The change wording, one line per kind of change: `2 new since 2026-11-23: CVE-…, CVE-…`, `1 raised: CVE-…
 * HIGH → CRITICAL`, `1 fixed: CVE-…`, or the single `No change since 2026-11-23` (a report sent although nothing
 * changed: `notify: "always"`, or a verdict that changed). Counts are of distinct vulnerability ids; "since" goes
 * with the first line. Empty when there is nothing to tell (see `reportedChanges`).
 */
export function changeLines(
  report: Pick<ScanReport, "changes" | "status">,
  options: ChangesTextOptions = {},
): ChangeLine[] {
  const changes = reportedChanges(report);
  if (!changes) return [];
  const { since, parts } = changeParts(changes, options);
  if (parts.length === 0) return [{ kind: "unchanged", text: `No change${since}` }];
  return parts.map((part, i) => ({
    kind: part.kind,
    text: `${part.count} ${KIND_WORDS[part.kind]}${i === 0 ? since : ""}${part.list ? `: ${part.list}` : ""}`,
  }));
}

/**
 * The change wording on one line: `2 new since 2026-11-23: CVE-…, CVE-…; 1 fixed: CVE-…`; undefined when there
 * is nothing to tell (no ledger, first report, failed scan).
 */
export function changesHeadline(
  report: Pick<ScanReport, "changes" | "status">,
  options: ChangesTextOptions = {},
): string | undefined {
  const lines = changeLines(report, options);
  return lines.length > 0 ? lines.map((line) => line.text).join("; ") : undefined;
}

/**
 * The changes in a few words, for a subject or a notification: `2 new`, `2 new, 1 raised, 1 fixed`, or
 * `unchanged`; undefined when there is nothing to tell. Only counts, no untrusted text.
 */
export function changesShort(report: Pick<ScanReport, "changes" | "status">): string | undefined {
  const changes = reportedChanges(report);
  if (!changes) return undefined;
  const { parts } = changeParts(changes, { maxIds: 0 });
  if (parts.length === 0) return "unchanged";
  return parts.map((part) => `${part.count} ${KIND_WORDS[part.kind]}`).join(", ");
}

/**
 * True when this delivery is the one "back within thresholds" notice for the image reference (ledger-aware
 * dispatch, `notify: "changes"`) rather than a findings report. A report that is due is never one.
 */
export function isBackWithinThresholdsNotice(
  report: Pick<ScanReport, "verdict">,
  ctx: Pick<ReportContext, "notification"> | undefined,
): boolean {
  return ctx?.notification?.kind === "back-within-thresholds" && !report.verdict.due;
}

/** What the notice is called, before the image's name in a title. */
export const BACK_WITHIN_THRESHOLDS = "Back within thresholds";

/** `Back within thresholds: team-a/api:v1`: the title of the notice (subject, header). `image` is put in as given. */
export function backWithinThresholdsTitle(image: string): string {
  return `${BACK_WITHIN_THRESHOLDS}: ${image}`;
}

/**
 * What follows the image's name in the notice: `is back within the thresholds: the scan of 2026-11-28 found 2
 * medium, 1 low.` (or `found no vulnerabilities.`). No untrusted text.
 */
export function backWithinThresholdsClause(report: Pick<ScanReport, "counts" | "completedAt">): string {
  const day = dayOf(report.completedAt);
  const found = countsSummary(report.counts) || "no vulnerabilities";
  return `is back within the thresholds: the ${day ? `scan of ${day}` : "latest scan"} found ${found}.`;
}

/**
 * The notice's sentence: `team-a/api:v1 is back within the thresholds: the scan of 2026-11-28 found 1 low.`
 * `image` (default: repository:tag, untrusted) is put in as given: escape the result, or pass an escaped image.
 */
export function backWithinThresholdsText(
  report: Pick<ScanReport, "counts" | "completedAt" | "repository" | "tags" | "digest">,
  image: string = reportImageLabel(report),
): string {
  return `${image} ${backWithinThresholdsClause(report)}`;
}
