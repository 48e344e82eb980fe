import {
  backWithinThresholdsClause,
  changeLines,
  changesShort,
  cleanText,
  countsSummary,
  escalationText,
  type Finding,
  fixNoteText,
  formatCvss,
  incompleteNote,
  intelBadges,
  intelCounts,
  intelNote,
  isFailedScan,
  kevCountText,
  kevDueText,
  linkableHttpUrl,
  requiredActionText,
  type ScanReport,
  SEVERITIES,
  type Severity,
  severityName,
  shortDigest,
  truncateText,
} from "@ecr-scan-reporter/core";
import { markdownCode, markdownText } from "./markdown.js";
import type { FindingsChange } from "./markers.js";

// Every string of a view is Markdown-safe already (a code span, escaped free text, or a checked URL), and the
// templates are rendered without Handlebars' HTML escaping: a replaced template cannot forget to escape, and text
// from an image or a vulnerability feed can never mention a user, link an issue, open an HTML tag or break the
// findings table.

/** Longest a piece of untrusted text may be before it is escaped (escaping can make it longer). */
const MAX_ID_CHARS = 80;
const MAX_PACKAGE_CHARS = 120;
const MAX_VERSION_CHARS = 80;
const MAX_TITLE_CHARS = 200;
const MAX_DESCRIPTION_CHARS = 500;
const MAX_STATUS_CHARS = 500;
const MAX_TAG_CHARS = 128;
/** An account's configured name, shown whole up to this. */
const MAX_ACCOUNT_NAME_CHARS = 64;
const MAX_URL_CHARS = 2_000;
/** A comment names at most this many new (or fixed) ids, then says how many more. */
const COMMENT_MAX_IDS = 25;
/** The issue's known exploited section names at most this many KEV findings, then says how many more. */
export const KEV_SECTION_MAX_FINDINGS = 25;
/** The escalation wording names at most this many ids (as code spans). */
const ESCALATION_MAX_IDS = 10;

/**
 * A URL fit for a Markdown link, or undefined: only http(s), no credentials, at most 2,000 characters, and the
 * characters that could end the link or break a table (`(`, `)`, spaces, `<`, `>`, quotes, `` ` ``, `|`, `\`,
 * `[`, `]`) percent-encoded.
 */
export function safeLinkUrl(raw: string | undefined): string | undefined {
  const url = linkableHttpUrl(raw);
  if (!url) return undefined;
  const href = url.href.replace(
    /[()\s<>"'`|\\[\]]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
  return href.length <= MAX_URL_CHARS ? href : undefined;
}

/** `repository:tag`, or `repository@sha256:<12 hex>` for an untagged image: plain text, one line. */
/** An account's configured name as plain text for a title: one line, at most 64 characters; "" when none. */
export function accountNameText(name: string | undefined): string {
  return name ? truncateText(cleanText(name, { singleLine: true }).trim(), MAX_ACCOUNT_NAME_CHARS) : "";
}

/**
 * An account in Markdown ([8/8]): the configured name as escaped text and the id as code, `prod (`111111111111`)`,
 * or the id alone; `short` gives the name alone when there is one (lists where room is short).
 */
export function accountMarkdown(ref: { account: string; accountName?: string }, short = false): string {
  const id = markdownCode(ref.account, 20);
  const name = ref.accountName ? markdownText(ref.accountName, MAX_ACCOUNT_NAME_CHARS) : "";
  if (!name) return id;
  return short ? name : `${name} (${id})`;
}

export function imageLabelText(report: Pick<ScanReport, "repository" | "tags" | "digest">): string {
  const tag = report.tags[0];
  const repository = cleanText(report.repository, { singleLine: true });
  if (tag !== undefined && tag !== "") {
    return `${repository}:${truncateText(cleanText(tag, { singleLine: true }), MAX_TAG_CHARS)}`;
  }
  return `${repository}@${shortDigest(cleanText(report.digest, { singleLine: true }))}`;
}

/** "1 critical, 2 high": the counts of the severities over their threshold, or "" when none. */
export function exceededSummary(report: Pick<ScanReport, "counts" | "verdict">): string {
  return countsSummary(report.counts, report.verdict.exceeded);
}

/** One finding of the issue's table: identifiers as code spans, free text escaped. */
export interface FindingView {
  id: string;
  severity: Severity;
  /** `Critical`, `High`… */
  severityLabel: string;
  title: string;
  description: string;
  packageName: string;
  packageVersion: string;
  fixedInVersion: string;
  /**
   * Beside or instead of the fixed-in version: `no fix`, `partial fix` or `fix available` (Amazon Inspector), else
   * `no fixed version yet` (enhanced scanning) or `fix unknown` (basic) where no fixed-in version is given.
   */
  fixNote: string;
  /** `9.8`, or "" when unknown. */
  cvssScore: string;
  /** A checked http(s) URL, or undefined (then the id is shown without a link). */
  url?: string;
  /**
   * The threat-intel badges joined with ` · `, the urgent ones (an overdue KEV due date, known ransomware use) bold:
   * `**KEV, overdue since 2021-12-24** · **known ransomware use** · exploit available · EPSS 94 % (99th percentile)`.
   * No untrusted text; empty for a finding without intel.
   */
  badges: string;
  /** On CISA's KEV catalog; past its due date; known ransomware use; Inspector knows an exploit. */
  kev: boolean;
  overdue: boolean;
  knownRansomware: boolean;
  exploitAvailable: boolean;
  /** `EPSS 94 % (99th percentile)`, or "". */
  epss: string;
}

/** A finding on CISA's KEV catalog, for the issue's known exploited section. */
export interface KevFindingView {
  /** A code span. */
  id: string;
  severityLabel: string;
  /** A code span, or "". */
  packageName: string;
  /** `overdue since 2021-12-24`, `due 2027-01-05`, or "" when CISA gives no due date. */
  due: string;
  overdue: boolean;
  knownRansomware: boolean;
  /** CISA's required action: untrusted text from the feed, escaped, one line; "" when none. */
  requiredAction: string;
}

/** The view model of `github/issue.hbs`: identifiers are code spans, free text is escaped, URLs checked. */
export interface IssueView {
  image: {
    /** `` `team-a/api:v1.4.2` `` or `` `team-a/api@sha256:4f8b6b8e3d1c` `` (a code span). */
    label: string;
    repository: string;
    registryId: string;
    /** The account id, a code span. */
    account: string;
    /** The configuration's name of the account ([8/8]), escaped Markdown; empty when none. */
    accountName: string;
    /** `prod (`111111111111`)`, or the id alone: escaped Markdown. */
    accountLabel: string;
    region: string;
    /** All tags, each a code span. Empty for an untagged image. */
    tags: string[];
    tagged: boolean;
    digest: string;
    /** The image in the ECR console, when its URL is http(s). */
    consoleUrl?: string;
  };
  scan: {
    type: string;
    status: string;
    statusDescription: string;
    completedAt: string;
    vulnerabilitySourceUpdatedAt: string;
    failed: boolean;
  };
  verdict: {
    due: boolean;
    reason: string;
    /** `Critical`, `High`… the severities over their threshold. */
    exceeded: string[];
    /** `1 critical, 2 high`: the counts of the exceeded severities. */
    summary: string;
    highestSeverity: string;
    ignoredFindings: number;
    /** Set when the report was sent with fewer findings than its scan counted. */
    incompleteNote: string;
    /** True when the report is due only because the `escalate` policy matched findings (within the thresholds). */
    escalated: boolean;
    /**
     * Why the escalate policy made the report due: `Due although within the thresholds: 1 finding on CISA's KEV
     * catalog — `CVE-2023-44487`` (`Escalated: …` when over the thresholds too), ids as code spans; "" when none.
     */
    escalation: string;
    /** `EPSS scores from 2026-11-26 (api.first.org answered 503)`, `KEV unavailable: …` (escaped); "" when fresh. */
    intelNote: string;
  };
  /** The report's findings on CISA's KEV catalog and how many are overdue; exploitable: KEV or an exploit known. */
  intel: {
    kev: number;
    overdue: number;
    exploitable: number;
    /** `2 known exploited (KEV), 1 overdue`, or "". */
    kevSummary: string;
    /** The KEV findings, overdue first as the report orders them, at most KEV_SECTION_MAX_FINDINGS. */
    kevFindings: KevFindingView[];
    /** KEV findings not named. */
    moreKevFindings: number;
    /** True when a listed finding has a badge: the findings table gets its Exploitation column. */
    badgeColumn: boolean;
  };
  /** Per severity with at least one finding, most severe first. */
  counts: { severity: Severity; label: string; count: number; exceeded: boolean }[];
  totalFindings: number;
  findings: FindingView[];
  listedFindings: number;
  /** How many findings are not listed (`…and N more findings`). */
  omittedFindings: number;
}

function findingView(finding: Finding, scanType: ScanReport["scanType"], now: Date): FindingView {
  const fixedInVersion = markdownCode(finding.fixedInVersion, MAX_VERSION_CHARS);
  const badges = intelBadges(finding, now);
  const view: FindingView = {
    id: markdownCode(finding.id, MAX_ID_CHARS),
    severity: finding.severity,
    severityLabel: severityName(finding.severity),
    title: markdownText(finding.title, MAX_TITLE_CHARS),
    description: markdownText(finding.description, MAX_DESCRIPTION_CHARS),
    packageName: markdownCode(finding.packageName, MAX_PACKAGE_CHARS),
    packageVersion: markdownCode(finding.packageVersion, MAX_VERSION_CHARS),
    fixedInVersion,
    fixNote: fixNoteText({ fixAvailable: finding.fixAvailable, fixedInVersion }, scanType),
    cvssScore: formatCvss(finding.cvssScore),
    // The kit's wording holds no untrusted text and no Markdown syntax: only the bold is added here.
    badges: badges.map((badge) => (badge.urgent ? `**${badge.text}**` : badge.text)).join(" · "),
    kev: finding.kev !== undefined,
    overdue: badges.some((badge) => badge.kind === "kev" && badge.urgent),
    knownRansomware: badges.some((badge) => badge.kind === "ransomware"),
    exploitAvailable: badges.some((badge) => badge.kind === "exploit"),
    epss: badges.find((badge) => badge.kind === "epss")?.text ?? "",
  };
  const url = safeLinkUrl(finding.url);
  if (url) view.url = url;
  return view;
}

function kevFindingView(finding: Finding, now: Date): KevFindingView {
  const badges = intelBadges(finding, now);
  const overdue = badges.some((badge) => badge.kind === "kev" && badge.urgent);
  return {
    id: markdownCode(finding.id, MAX_ID_CHARS),
    severityLabel: severityName(finding.severity),
    packageName: markdownCode(finding.packageName, MAX_PACKAGE_CHARS),
    due: kevDueText({ dueDate: finding.kev?.dueDate, overdue }),
    overdue,
    knownRansomware: badges.some((badge) => badge.kind === "ransomware"),
    requiredAction: markdownText(requiredActionText(finding.kev), MAX_DESCRIPTION_CHARS),
  };
}

/**
 * The issue body's view of a report, listing its first `listed` findings. `now` is the reporter's clock: a KEV due
 * date before its day is overdue.
 */
export function issueView(report: ScanReport, listed: number, now = new Date()): IssueView {
  const shown = report.findings.slice(0, Math.max(0, listed));
  const failed = isFailedScan(report.status);
  const counts = intelCounts(failed ? [] : report.findings, now);
  const kevFindings = failed ? [] : report.findings.filter((finding) => finding.kev !== undefined);
  const findings = shown.map((finding) => findingView(finding, report.scanType, now));
  const exceeded = new Set(report.verdict.exceeded);
  const image: IssueView["image"] = {
    label: markdownCode(imageLabelText(report), 400),
    repository: markdownCode(report.repository, 256),
    registryId: markdownCode(report.registryId, 20),
    account: markdownCode(report.account, 20),
    accountName: report.accountName ? markdownText(report.accountName, MAX_ACCOUNT_NAME_CHARS) : "",
    accountLabel: accountMarkdown(report),
    region: markdownCode(report.region, 30),
    tags: report.tags.slice(0, 20).map((t) => markdownCode(t, MAX_TAG_CHARS)),
    tagged: report.tags.length > 0,
    digest: markdownCode(report.digest, 100),
  };
  const consoleUrl = safeLinkUrl(report.consoleUrl);
  if (consoleUrl) image.consoleUrl = consoleUrl;
  return {
    image,
    scan: {
      type: markdownText(report.scanType, 20),
      status: markdownText(report.status, 40),
      statusDescription: markdownText(report.statusDescription, MAX_STATUS_CHARS),
      completedAt: markdownText(report.completedAt, 40),
      vulnerabilitySourceUpdatedAt: markdownText(report.vulnerabilitySourceUpdatedAt, 40),
      failed: isFailedScan(report.status),
    },
    verdict: {
      due: report.verdict.due,
      reason: report.verdict.reason,
      exceeded: report.verdict.exceeded.map((s) => severityName(s)),
      summary: exceededSummary(report),
      highestSeverity: report.verdict.highestSeverity ? severityName(report.verdict.highestSeverity) : "",
      ignoredFindings: report.verdict.ignoredFindings,
      incompleteNote: markdownText(incompleteNote(report), 400),
      escalated: !failed && report.verdict.reason === "escalated",
      escalation: failed ? "" : escalationMarkdown(report),
      intelNote: failed ? "" : markdownText(intelNote(report.intel), 600),
    },
    intel: {
      kev: counts.kev,
      overdue: counts.overdue,
      exploitable: counts.exploitable,
      kevSummary: kevCountText(counts.kev, counts.overdue),
      kevFindings: kevFindings.slice(0, KEV_SECTION_MAX_FINDINGS).map((f) => kevFindingView(f, now)),
      moreKevFindings: Math.max(0, kevFindings.length - KEV_SECTION_MAX_FINDINGS),
      badgeColumn: findings.some((finding) => finding.badges !== ""),
    },
    counts: SEVERITIES.filter((s) => report.counts[s] > 0).map((s) => ({
      severity: s,
      label: severityName(s),
      count: report.counts[s],
      exceeded: exceeded.has(s),
    })),
    totalFindings: report.findings.length,
    findings,
    listedFindings: shown.length,
    omittedFindings: report.findings.length - shown.length,
  };
}

/** The escalation wording with the ids as code spans; the rest of it holds no untrusted text or Markdown syntax. */
function escalationMarkdown(report: Pick<ScanReport, "verdict">): string {
  return escalationText(report.verdict, {
    maxIds: ESCALATION_MAX_IDS,
    formatId: (id) => markdownCode(id, MAX_ID_CHARS),
  });
}

/**
 * The same view listing only its first `listed` findings (at most those it has): how the body is fitted to GitHub's
 * limit without building the findings' views again for every count tried.
 */
export function withListedFindings(view: IssueView, listed: number): IssueView {
  const count = Math.min(Math.max(0, listed), view.findings.length);
  if (count === view.findings.length) return view;
  const findings = view.findings.slice(0, count);
  return {
    ...view,
    findings,
    listedFindings: count,
    omittedFindings: view.totalFindings - count,
    intel: { ...view.intel, badgeColumn: findings.some((finding) => finding.badges !== "") },
  };
}

/** What a comment is about. */
export type CommentEvent = "updated" | "reopened" | "closed" | "scan-failed" | "duplicate";

/** The view model of `github/comment.hbs`, made safe as `IssueView` is. */
export interface CommentView {
  event: CommentEvent;
  image: { label: string; consoleUrl?: string };
  scan: { status: string; statusDescription: string; completedAt: string };
  /** `1 critical, 2 high`: the counts over the thresholds ("" when none). */
  summary: string;
  /** True when the report is due only because the `escalate` policy matched findings (within the thresholds). */
  escalated: boolean;
  /** Why the escalate policy made the report due (as `IssueView.verdict.escalation`); "" when none. */
  escalation: string;
  /** `2 known exploited (KEV), 1 overdue`, or "". */
  kevSummary: string;
  /**
   * True for a KEV escalation: the same scan reported again because CISA's KEV gained CVEs it found. No new scan
   * happened, so the comment must not say "New scan of".
   */
  nowKnownExploited: boolean;
  /** For `duplicate`: the issue kept. */
  keptNumber?: number;
  /** For `closed`: `is back within the thresholds: the scan of 2026-11-28 found 1 low.` (after the image's label). */
  backWithin: string;
  /**
   * What changed since the last report for the image, as the findings ledger tells it (core's wording, up to 25 ids
   * a kind as code spans): one notion of change in the product. When present, the comment shows it rather than
   * `change`; absent without a ledger, on the ledger's first report for the image, and for a failed scan.
   */
  changes?: {
    /** `1 new since 2026-11-23: `CVE-…``, `3 fixed: …`, or `No change since 2026-11-23`. */
    lines: string[];
    /** `1 new, 3 fixed`, or `unchanged`. */
    short: string;
  };
  /** What the issue's hidden findings marker tells of the change: the fallback when the ledger tells nothing. */
  change: {
    /** False when the previous findings are unknown (the issue was opened for a failed scan, or edited by hand). */
    known: boolean;
    /** True when new/fixed/unchanged can be counted (false: only whether the set changed is known). */
    counted: boolean;
    changed: boolean;
    newCount: number;
    fixedCount: number;
    unchangedCount: number;
    previousCount: number;
    currentCount: number;
    /** Up to 25 new ids, each a code span; `moreNewIds` counts the rest. */
    newIds: string[];
    moreNewIds: number;
    /** Up to 25 fixed ids, when they can be named. */
    fixedIds: string[];
    moreFixedIds: number;
  };
}

/** The view of a comment about `report` on its issue. */
export function commentView(
  event: CommentEvent,
  report: ScanReport,
  change: FindingsChange | undefined,
  keptNumber?: number,
  now = new Date(),
): CommentView {
  const newIds = change?.newIds ?? [];
  const failed = isFailedScan(report.status);
  const counts = intelCounts(failed ? [] : report.findings, now);
  const fixedIds = change?.fixedIds ?? [];
  const view: CommentView = {
    event,
    image: { label: markdownCode(imageLabelText(report), 400) },
    scan: {
      status: markdownText(report.status, 40),
      statusDescription: markdownText(report.statusDescription, MAX_STATUS_CHARS),
      completedAt: markdownText(report.completedAt, 40),
    },
    summary: exceededSummary(report),
    escalated: !failed && report.verdict.reason === "escalated",
    escalation: failed ? "" : escalationMarkdown(report),
    kevSummary: kevCountText(counts.kev, counts.overdue),
    nowKnownExploited: !failed && report.changes?.nowKnownExploited !== undefined,
    // The clause holds counts and a date only; escaped anyway, as every string of a view is.
    backWithin: markdownText(backWithinThresholdsClause(report), 400),
    change: {
      known: change?.known ?? false,
      counted: change?.newCount !== undefined,
      changed: change?.changed ?? true,
      newCount: change?.newCount ?? 0,
      fixedCount: change?.fixedCount ?? 0,
      unchangedCount: change?.unchangedCount ?? 0,
      previousCount: change?.previousCount ?? 0,
      currentCount: change?.currentCount ?? report.findings.length,
      newIds: newIds.slice(0, COMMENT_MAX_IDS).map((id) => markdownCode(id, MAX_ID_CHARS)),
      moreNewIds: Math.max(0, newIds.length - COMMENT_MAX_IDS),
      fixedIds: fixedIds.slice(0, COMMENT_MAX_IDS).map((id) => markdownCode(id, MAX_ID_CHARS)),
      moreFixedIds: Math.max(0, fixedIds.length - COMMENT_MAX_IDS),
    },
  };
  const lines = changeLines(report, {
    maxIds: COMMENT_MAX_IDS,
    formatId: (id) => markdownCode(id, MAX_ID_CHARS),
  });
  if (lines.length > 0) {
    view.changes = { lines: lines.map((line) => line.text), short: changesShort(report) ?? "" };
  }
  const consoleUrl = safeLinkUrl(report.consoleUrl);
  if (consoleUrl) view.image.consoleUrl = consoleUrl;
  if (keptNumber !== undefined) view.keptNumber = keptNumber;
  return view;
}
