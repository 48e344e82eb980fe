import type { DigestKevList } from "../digest/model.js";
import type {
  EpssScore,
  Finding,
  IntelSourceStatus,
  IntelStatus,
  KevEntry,
  PolicyVerdict,
  ScanType,
} from "../model.js";
import { cleanText, truncateText } from "../text.js";
import { missingFixText } from "./finding.js";

// One wording of threat intel for every reporter (issue 16): "KEV, overdue since 2021-12-24", "known ransomware
// use", "exploit available", "EPSS 94 % (99th percentile)", "no fix", and why an escalated report is due. The
// texts are plain: what came from a feed (required actions, the reasons a source failed, vulnerability ids) is
// cleaned and bounded here but still untrusted, so each reporter escapes the result for its target. The feed's own
// words for ransomware use and its dates are never shown as given: a flag and validated `YYYY-MM-DD` dates only.

/** `YYYY-MM-DD`, as CISA writes its dates; anything else from the feed is not shown. */
const FEED_DAY = /^\d{4}-\d{2}-\d{2}$/;
/** A required action longer than this is cut (CISA's are a sentence or two). */
const MAX_ACTION_CHARS = 300;
/** A source's failure reason longer than this is cut. */
const MAX_REASON_CHARS = 200;
/** An id longer than this is cut (ids are untrusted; real ones are far shorter). */
const MAX_ID_CHARS = 80;
/** How many vulnerability ids the escalation wording names before "and K more". */
export const ESCALATION_MAX_IDS = 5;

/** A `YYYY-MM-DD` date from the feed, or "" when it is absent or anything else. */
export function feedDay(value: string | undefined): string {
  const day = value?.trim() ?? "";
  return FEED_DAY.test(day) ? day : "";
}

/** `2026-11-28` (UTC) of an instant. */
function dayOfDate(date: Date): string {
  return Number.isNaN(date.getTime()) ? "" : date.toISOString().slice(0, 10);
}

/** `2026-11-28` (UTC) of an ISO 8601 instant; "" when absent or unparseable. */
function dayOfIso(iso: string | undefined): string {
  if (!iso) return "";
  const time = Date.parse(iso);
  return Number.isNaN(time) ? "" : new Date(time).toISOString().slice(0, 10);
}

/**
 * True when the KEV due date is in the past at `now` (the reporter's clock): CISA's due date is the last day to
 * remediate, so a finding is overdue from the day after it. False without a (valid) due date.
 */
export function isOverdue(kev: Pick<KevEntry, "dueDate">, now: Date): boolean {
  const due = feedDay(kev.dueDate);
  const today = dayOfDate(now);
  return due !== "" && today !== "" && due < today;
}

/** True when CISA says the vulnerability is known to be used in ransomware campaigns (`"Known"`). */
export function isKnownRansomwareUse(kev: Pick<KevEntry, "knownRansomwareCampaignUse"> | undefined): boolean {
  return kev?.knownRansomwareCampaignUse?.trim().toLowerCase() === "known";
}

/** `overdue since 2021-12-24`, `due 2027-01-05`, or "" without a valid due date. */
export function kevDueText(entry: { dueDate?: string; overdue: boolean }): string {
  const due = feedDay(entry.dueDate);
  if (!due) return "";
  return entry.overdue ? `overdue since ${due}` : `due ${due}`;
}

/** `KEV, overdue since 2021-12-24`, `KEV, due 2027-01-05`, or `KEV` when CISA gives no due date. */
export function kevBadge(kev: KevEntry, now: Date): string {
  const due = kevDueText({ dueDate: kev.dueDate, overdue: isOverdue(kev, now) });
  return due ? `KEV, ${due}` : "KEV";
}

/** `94 %`, `<1 %` for a score above 0 that rounds to 0. */
function percent(value: number): string {
  const whole = Math.round(value * 100);
  return whole === 0 && value > 0 ? "<1 %" : `${whole} %`;
}

/** `99th`, `1st`, `22nd`, `13th`. */
function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  return `${n}${teen ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th")}`;
}

/**
 * `EPSS 94 % (99th percentile)`: the probability of exploitation in the next 30 days, and where it stands among
 * all scored CVEs (the percentile rounded down, so 0.9999 is the 99th, never a 100th); "" without a valid score.
 */
export function epssText(epss: EpssScore | undefined): string {
  if (!epss || !Number.isFinite(epss.score) || epss.score < 0 || epss.score > 1) return "";
  const score = `EPSS ${percent(epss.score)}`;
  if (!Number.isFinite(epss.percentile) || epss.percentile < 0 || epss.percentile > 1) return score;
  // The small epsilon keeps 0.29 (28.999… after the multiplication) the 29th.
  const rank = Math.min(99, Math.floor(epss.percentile * 100 + 1e-9));
  return `${score} (${ordinal(rank)} percentile)`;
}

/** `exploit available` when Amazon Inspector knows a public exploit; "" otherwise (and for basic scanning). */
export function exploitText(finding: Pick<Finding, "exploitAvailable">): string {
  return finding.exploitAvailable === "YES" ? "exploit available" : "";
}

/**
 * What to say of a finding's fix besides its fixed-in version: Inspector's `fixAvailable` when it gives it (`no
 * fix`, `partial fix`, or `fix available` when it names no version), else `no fixed version yet` / `fix unknown`
 * where the version is missing; "" when the fixed-in version says it all.
 */
export function fixNoteText(
  finding: Pick<Finding, "fixAvailable" | "fixedInVersion">,
  scanType: ScanType,
): string {
  const version = finding.fixedInVersion?.trim() ?? "";
  if (finding.fixAvailable === "PARTIAL") return "partial fix";
  if (finding.fixAvailable === "NO") return "no fix";
  if (version) return "";
  if (finding.fixAvailable === "YES") return "fix available";
  return missingFixText(version, scanType);
}

/** A kind of badge: on CISA's KEV catalog, known ransomware use, an exploit available, an EPSS score. */
export type IntelBadgeKind = "kev" | "ransomware" | "exploit" | "epss";

/** One badge of a finding: its kind (to pick an icon or a colour), its text, and whether it calls for action now. */
export interface IntelBadge {
  kind: IntelBadgeKind;
  text: string;
  /** An overdue KEV due date, or known ransomware use. */
  urgent: boolean;
}

/**
 * The badges of a finding, most urgent first: `KEV, overdue since 2021-12-24`, `known ransomware use`, `exploit
 * available`, `EPSS 94 % (99th percentile)`. None for a finding without intel. No untrusted text in them.
 */
export function intelBadges(finding: Finding, now: Date): IntelBadge[] {
  const badges: IntelBadge[] = [];
  if (finding.kev) {
    badges.push({ kind: "kev", text: kevBadge(finding.kev, now), urgent: isOverdue(finding.kev, now) });
    if (isKnownRansomwareUse(finding.kev)) {
      badges.push({ kind: "ransomware", text: "known ransomware use", urgent: true });
    }
  }
  const exploit = exploitText(finding);
  if (exploit) badges.push({ kind: "exploit", text: exploit, urgent: false });
  const epss = epssText(finding.epss);
  if (epss) badges.push({ kind: "epss", text: epss, urgent: false });
  return badges;
}

/**
 * CISA's required action for a KEV finding, cleaned to one line and cut to 300 characters; "" when none. Untrusted
 * text from the feed: each reporter escapes it for its target.
 */
export function requiredActionText(kev: Pick<KevEntry, "requiredAction"> | undefined): string {
  const action = kev?.requiredAction;
  if (!action) return "";
  return truncateText(cleanText(action, { singleLine: true }).replace(/\s+/g, " ").trim(), MAX_ACTION_CHARS);
}

/**
 * True when a finding is known to be exploitable: on CISA's KEV catalog (exploited in the wild) or with a public
 * exploit according to Amazon Inspector. The same meaning in SNS's `exploitable` attribute and the metrics.
 */
export function isExploitable(finding: Pick<Finding, "kev" | "exploitAvailable">): boolean {
  return finding.kev !== undefined || finding.exploitAvailable === "YES";
}

/** How many findings are on KEV, overdue, used by ransomware, and exploitable (KEV or an exploit available). */
export interface IntelCounts {
  kev: number;
  overdue: number;
  knownRansomware: number;
  exploitable: number;
}

/** The intel counts of a report's findings, overdue at `now`. */
export function intelCounts(findings: readonly Finding[], now: Date): IntelCounts {
  const counts: IntelCounts = { kev: 0, overdue: 0, knownRansomware: 0, exploitable: 0 };
  for (const finding of findings) {
    if (finding.kev) {
      counts.kev += 1;
      if (isOverdue(finding.kev, now)) counts.overdue += 1;
      if (isKnownRansomwareUse(finding.kev)) counts.knownRansomware += 1;
    }
    if (isExploitable(finding)) counts.exploitable += 1;
  }
  return counts;
}

/** `2 known exploited (KEV), 1 overdue`, `1 known exploited (KEV)`; "" for none. Numbers only. */
export function kevCountText(kev: number, overdue: number): string {
  if (kev <= 0) return "";
  return `${kev} known exploited (KEV)${overdue > 0 ? `, ${overdue} overdue` : ""}`;
}

/** The KEV section's headline of a digest: `2 known exploited (KEV), 1 overdue`; "" when KEV was not checked. */
export function digestKevHeadline(list: DigestKevList | undefined): string {
  if (!list) return "";
  return list.total > 0 ? kevCountText(list.total, list.overdue) : "No open finding is on CISA's KEV catalog";
}

export interface EscalationTextOptions {
  /** Ids named before "and K more" (default ESCALATION_MAX_IDS). */
  maxIds?: number;
  /** Turns one id (one line, at most 80 characters, still untrusted) into its target's safe form. */
  formatId?: (id: string) => string;
}

const ESCALATION_PHRASES = [
  ["kev", "on CISA's KEV catalog"],
  ["exploit-available", "with an exploit available"],
  ["epss", "with EPSS above the limit"],
] as const;

/**
 * Why the `escalate` policy made the report due: `Due although within the thresholds: 1 finding on CISA's KEV
 * catalog — CVE-2023-44487` for an escalated report, `Escalated: 2 findings on CISA's KEV catalog, 1 with an
 * exploit available — CVE-2021-44228, CVE-2023-44487` for a report over the thresholds that escalations match too;
 * "" when none matched. Findings are counted per rule; ids are named once each, then "and K more".
 */
export function escalationText(
  verdict: Pick<PolicyVerdict, "reason" | "escalations">,
  options: EscalationTextOptions = {},
): string {
  const escalations = verdict.escalations ?? [];
  if (escalations.length === 0) return "";
  const parts = ESCALATION_PHRASES.map(([why, phrase]) => ({
    count: escalations.filter((e) => e.why.includes(why)).length,
    phrase,
  })).filter((part) => part.count > 0);
  const matched = parts
    .map(({ count, phrase }, i) =>
      i === 0 ? `${count} ${count === 1 ? "finding" : "findings"} ${phrase}` : `${count} ${phrase}`,
    )
    .join(", ");
  const format = options.formatId ?? ((id: string) => id);
  const ids = [
    ...new Set(
      escalations.map((e) => truncateText(cleanText(e.id, { singleLine: true }).trim(), MAX_ID_CHARS)),
    ),
  ].filter((id) => id !== "");
  const max = Math.max(0, options.maxIds ?? ESCALATION_MAX_IDS);
  const listed = ids.slice(0, max).map(format);
  const rest = ids.length - listed.length;
  const list = listed.length === 0 ? "" : `${listed.join(", ")}${rest > 0 ? ` and ${rest} more` : ""}`;
  const prefix = verdict.reason === "escalated" ? "Due although within the thresholds" : "Escalated";
  const findings = matched || `${escalations.length} ${escalations.length === 1 ? "finding" : "findings"}`;
  return `${prefix}: ${findings}${list ? ` — ${list}` : ""}`;
}

/** `EPSS scores from 2026-11-26 (api.first.org answered 503)` for a stale source, `… unavailable: …`, else "". */
function sourceNote(name: string, what: string, status: IntelSourceStatus | undefined): string {
  if (!status) return "";
  const reason = (text: string) =>
    truncateText(cleanText(text, { singleLine: true }).replace(/\s+/g, " ").trim(), MAX_REASON_CHARS);
  if (status.state === "stale") {
    const day = dayOfIso(status.asOf);
    const why = reason(status.reason);
    return `${what} from ${day || "an earlier day"}${why ? ` (${why})` : ""}`;
  }
  if (status.state === "unavailable") {
    const why = reason(status.reason);
    return `${name} unavailable${why ? `: ${why}` : ""}`;
  }
  return "";
}

/**
 * What a reader must know of the threat-intel sources a report (or digest) was checked against: `EPSS scores
 * from 2026-11-26 (api.first.org answered 503)` when the last cached copy was used, `KEV unavailable: …` when
 * there was none, both joined with `; `; "" when every source was fresh or turned off, or intel was not looked up.
 * The reasons are cleaned but untrusted: each reporter escapes the note.
 */
export function intelNote(intel: IntelStatus | undefined): string {
  if (!intel) return "";
  return [sourceNote("KEV", "KEV catalog", intel.kev), sourceNote("EPSS", "EPSS scores", intel.epss)]
    .filter((note) => note !== "")
    .join("; ");
}
