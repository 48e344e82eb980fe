import {
  accountLabel,
  backWithinThresholdsText,
  type ChangeKind,
  changeLines,
  changesShort,
  escalationText,
  type Finding,
  fixNoteText,
  formatCvss,
  type IntelBadgeKind,
  incompleteNote,
  intelBadges,
  intelCounts,
  intelNote,
  isFailedScan,
  kevCountText,
  mostSevereFirst,
  reportImageLabel,
  requiredActionText,
  type ScanReport,
  type ScanType,
  SEVERITIES,
  type Severity,
  severityName,
  shortDigest,
  subjectAccount,
} from "@ecr-scan-reporter/core";
import { linkableUrl, mrkdwnLine, mrkdwnText, plainTextLine } from "./mrkdwn.js";

// Every string below that comes from the report is escaped for mrkdwn (or, for the header, cleaned for
// plain_text) before any template sees it; the renderer runs with escape "none", so a template that writes
// `{{title}}` cannot forget to. Raw lengths are capped first, so the shipped templates stay far below Slack's
// 3,000-character text limit even for hostile input, and the entities are never cut.
const MAX = {
  id: 100,
  title: 300,
  description: 1000,
  packageName: 200,
  version: 100,
  image: 300,
  tag: 128,
  /** An account's configured name. */
  accountName: 64,
  statusDescription: 1000,
  label: 150,
} as const;

export const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = {
  CRITICAL: ":red_circle:",
  HIGH: ":large_orange_circle:",
  MEDIUM: ":large_yellow_circle:",
  LOW: ":large_blue_circle:",
  INFORMATIONAL: ":white_circle:",
  UNDEFINED: ":white_circle:",
};

/** The icon of each kind of change, before its line. */
export const CHANGE_EMOJI: Readonly<Record<ChangeKind, string>> = {
  "known-exploited": ":rotating_light:",
  new: ":new:",
  raised: ":arrow_up:",
  fixed: ":white_check_mark:",
  unchanged: ":heavy_equals_sign:",
};

/** The icon before a badge of a finding (view kit's intelBadges); only KEV has one, the rest are words. */
export const BADGE_EMOJI: Readonly<Record<IntelBadgeKind, string>> = {
  kev: ":rotating_light:",
  ransomware: "",
  exploit: "",
  epss: "",
};

/** One badge of a finding, in the view kit's wording (no untrusted text in it). */
export interface BadgeView {
  kind: IntelBadgeKind;
  /** `KEV, overdue since 2021-12-24`, `known ransomware use`, `exploit available`, `EPSS 94 % (99th percentile)`. */
  text: string;
  /** `:rotating_light:` for KEV, else empty. */
  emoji: string;
  /** An overdue KEV due date, or known ransomware use: shown in bold. */
  urgent: boolean;
}

/** What changed since the last report for the image reference, in core's wording, escaped for mrkdwn. */
export interface ChangesView {
  /** One line per kind of change: `2 new since 2026-11-23: CVE-…, CVE-…`, `1 fixed: CVE-…`, or `No change since …`. */
  lines: { kind: ChangeKind; emoji: string; text: string }[];
  /** `2 new, 1 fixed`, or `unchanged`. */
  short: string;
}

/** One severity's count, for the counts and fallback templates. */
export interface SeverityCountView {
  severity: Severity;
  /** `critical`, `high`… */
  label: string;
  emoji: string;
  count: number;
  /** True when this severity's count is over its threshold. */
  exceeded: boolean;
}

/** What every mrkdwn template receives about the image and its scan; strings are escaped for mrkdwn. */
export interface ImageView {
  /** `repository:tag`, or `repository@sha256:<12 hex>` for an untagged image. */
  image: string;
  repository: string;
  /** The first tag; empty when untagged. */
  tag: string;
  tags: string[];
  /** The tags joined with `, `. */
  tagList: string;
  digest: string;
  /** `sha256:` and the first 12 hex digits. */
  shortDigest: string;
  /** The image's account ([8/8]): `prod (111111111111)` when the configuration names it, else the id. */
  account: string;
  /** The account's 12-digit id. */
  accountId: string;
  /** The configuration's name of the account, for the header and the notification text; empty when none. */
  accountName: string;
  region: string;
  registryId: string;
  /** `BASIC` or `ENHANCED`. */
  scanType: string;
  status: string;
  /** ECR's status description (may span lines). */
  statusDescription: string;
  /** `2026-11-28 06:12 UTC`, or empty. */
  completedAt: string;
  vulnerabilitySourceUpdatedAt: string;
  /** A link-ready https URL of the image in the ECR console (`<{{consoleUrl}}|text>`), or undefined. */
  consoleUrl: string | undefined;
  /** The `channelLabel` option, or empty. */
  channelLabel: string;
  failed: boolean;
  /** How many findings the report has (after the ignore list). */
  total: number;
  /** Every severity, most severe first. */
  counts: SeverityCountView[];
  /** The severities with at least one finding, most severe first. */
  nonZeroCounts: SeverityCountView[];
  /** Severities over their threshold (`CRITICAL`…). */
  exceeded: Severity[];
  /** The same joined with `, `, in lower case. */
  exceededList: string;
  highestSeverity: string;
  /** How many findings the ignore list removed. */
  ignoredFindings: number;
  /** Set when the report was sent with fewer findings than its scan counted (escaped). */
  incompleteNote: string;
  /**
   * What changed since the last report for this image (findings ledger); undefined without a ledger, on the first
   * report and for a failed scan.
   */
  changes: ChangesView | undefined;
  /** True when the report is due only because the `escalate` policy matched findings (within the thresholds). */
  escalated: boolean;
  /**
   * Why the escalate policy made the report due: `Due although within the thresholds: 1 finding on CISA's KEV
   * catalog — CVE-2023-44487` (`Escalated: …` when the report is over the thresholds too); escaped; empty when none.
   */
  escalation: string;
  /** Findings on CISA's KEV catalog, how many are overdue, and how many are exploitable (KEV or an exploit known). */
  kevCount: number;
  overdueCount: number;
  exploitableCount: number;
  /** `2 known exploited (KEV), 1 overdue`, or empty. */
  kevSummary: string;
  /** `EPSS scores from 2026-11-26 (api.first.org answered 503)`, `KEV unavailable: …`; escaped; empty when fresh. */
  intelNote: string;
}

/** What `slack/back-within.hbs` receives: the image view and the notice's sentence. */
export interface BackWithinView extends ImageView {
  /** `*team-a/api:v1* is back within the thresholds: the scan of 2026-11-28 found 1 low.` (mrkdwn, escaped) */
  notice: string;
}

/** What `slack/finding.hbs` receives for one finding: the image view plus the finding's own fields. */
export interface FindingView extends ImageView {
  /** 1 for the first finding listed. */
  index: number;
  severity: Severity;
  label: string;
  emoji: string;
  id: string;
  /** A link-ready http(s) URL (`<{{url}}|{{id}}>`), or undefined when the finding has none or it is not http(s). */
  url: string | undefined;
  title: string;
  /** One line, at most 1,000 characters. */
  description: string;
  packageName: string;
  packageVersion: string;
  /** `name@version`, `name`, or empty. */
  package: string;
  fixedInVersion: string;
  /**
   * Beside or instead of the fixed-in version: `no fix`, `partial fix` or `fix available` (Amazon Inspector), else
   * `no fixed version yet` (enhanced scan) or `fix unknown` (basic scan) when there is no fixed-in version; or empty.
   */
  fixNote: string;
  /** `9.8`, or empty. */
  cvssScore: string;
  hasScore: boolean;
  /** The finding's threat-intel badges, most urgent first (KEV, known ransomware use, exploit, EPSS); may be empty. */
  badges: BadgeView[];
  /** On CISA's KEV catalog; past its due date; known ransomware use; Inspector knows an exploit. */
  kev: boolean;
  overdue: boolean;
  knownRansomware: boolean;
  exploitAvailable: boolean;
  /** `EPSS 94 % (99th percentile)`, or empty. */
  epss: string;
  /** CISA's required action for a KEV finding (untrusted, escaped, one line of at most 300 characters), or empty. */
  requiredAction: string;
}

/** What `slack/more.hbs` receives: the image view plus how many findings were left out. */
export interface MoreView extends ImageView {
  /** Findings not listed. */
  count: number;
  /** Findings listed. */
  shown: number;
}

/** What `slack/header.hbs` receives: plain text (Slack does not parse a header), cleaned but not escaped. */
export interface HeaderView {
  image: string;
  /** The configuration's name of the image's account ([8/8]); empty when none (one-account deployments). */
  accountName: string;
  repository: string;
  tag: string;
  shortDigest: string;
  failed: boolean;
}

/** An account name cut to MAX.accountName before it is escaped (escaping lengthens it). */
function truncateAccountName(name: string | undefined): string | undefined {
  return name ? name.slice(0, MAX.accountName) : undefined;
}

function formatInstant(iso: string | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return mrkdwnLine(iso, 40);
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** The header's plain-text view. */
export function headerView(report: ScanReport): HeaderView {
  return {
    image: plainTextLine(reportImageLabel(report)),
    accountName: plainTextLine(truncateAccountName(subjectAccount(report))),
    repository: plainTextLine(report.repository),
    tag: plainTextLine(report.tags[0]),
    shortDigest: plainTextLine(shortDigest(report.digest)),
    failed: report.status === "FAILED",
  };
}

/** The changes of a report, escaped: the ids are the only untrusted part of the wording. */
export function changesView(report: ScanReport): ChangesView | undefined {
  const lines = changeLines(report, { formatId: (id) => mrkdwnLine(id, MAX.id) });
  if (lines.length === 0) return undefined;
  return {
    lines: lines.map((line) => ({ kind: line.kind, emoji: CHANGE_EMOJI[line.kind], text: line.text })),
    short: changesShort(report) ?? "",
  };
}

/** The view of the "back within thresholds" notice. */
export function backWithinView(report: ScanReport, channelLabel?: string, now = new Date()): BackWithinView {
  const image = imageView(report, channelLabel, now);
  // The sentence around the image holds counts and a date only: nothing in it to escape.
  const account = image.accountName ? ` (${image.accountName})` : "";
  return { ...image, notice: backWithinThresholdsText(report, `*${image.image}*${account}`) };
}

/**
 * The mrkdwn view of the image and its scan that every other template receives. `now` is the reporter's clock: a
 * KEV due date before its day is overdue.
 */
export function imageView(report: ScanReport, channelLabel?: string, now = new Date()): ImageView {
  const failed = isFailedScan(report.status);
  const intel = intelCounts(failed ? [] : report.findings, now);
  const escalation = failed
    ? ""
    : escalationText(report.verdict, { formatId: (id) => mrkdwnLine(id, MAX.id) });
  const exceeded = mostSevereFirst(report.verdict.exceeded);
  const counts = SEVERITIES.map(
    (severity): SeverityCountView => ({
      severity,
      label: severityName(severity, "lower"),
      emoji: SEVERITY_EMOJI[severity],
      count: report.counts[severity] ?? 0,
      exceeded: exceeded.includes(severity),
    }),
  );
  const tags = report.tags.map((tag) => mrkdwnLine(tag, MAX.tag));
  return {
    image: mrkdwnLine(reportImageLabel(report), MAX.image),
    repository: mrkdwnLine(report.repository, MAX.image),
    tag: tags[0] ?? "",
    tags,
    tagList: tags.join(", "),
    digest: mrkdwnLine(report.digest, MAX.image),
    shortDigest: mrkdwnLine(shortDigest(report.digest), MAX.image),
    account: mrkdwnLine(
      accountLabel({ account: report.account, accountName: truncateAccountName(report.accountName) }),
      120,
    ),
    accountId: mrkdwnLine(report.account, 40),
    accountName: mrkdwnLine(subjectAccount(report), MAX.accountName),
    region: mrkdwnLine(report.region, 40),
    registryId: mrkdwnLine(report.registryId, 40),
    scanType: mrkdwnLine(report.scanType, 40),
    status: mrkdwnLine(report.status, 60),
    statusDescription: mrkdwnText(report.statusDescription, MAX.statusDescription),
    completedAt: formatInstant(report.completedAt),
    vulnerabilitySourceUpdatedAt: formatInstant(report.vulnerabilitySourceUpdatedAt),
    consoleUrl: linkableUrl(report.consoleUrl),
    channelLabel: mrkdwnLine(channelLabel, MAX.label),
    failed: report.status === "FAILED",
    total: report.findings.length,
    counts,
    nonZeroCounts: counts.filter((c) => c.count > 0),
    exceeded,
    exceededList: exceeded.map((s) => severityName(s, "lower")).join(", "),
    highestSeverity: report.verdict.highestSeverity ?? "",
    ignoredFindings: report.verdict.ignoredFindings,
    incompleteNote: mrkdwnText(incompleteNote(report), MAX.statusDescription),
    changes: changesView(report),
    escalated: !failed && report.verdict.reason === "escalated",
    // The wording holds counts and ids, the ids escaped by formatId: nothing else in it to escape.
    escalation,
    kevCount: intel.kev,
    overdueCount: intel.overdue,
    exploitableCount: intel.exploitable,
    kevSummary: kevCountText(intel.kev, intel.overdue),
    intelNote: failed ? "" : mrkdwnLine(intelNote(report.intel), MAX.statusDescription),
  };
}

/**
 * The view of one finding, on top of the image view; `scanType` tells a missing fix from an unknown one, `now`
 * (the reporter's clock) an overdue KEV due date from one still to come.
 */
export function findingView(
  image: ImageView,
  finding: Finding,
  index: number,
  scanType: ScanType,
  now = new Date(),
): FindingView {
  const badges = intelBadges(finding, now);
  const packageName = mrkdwnLine(finding.packageName, MAX.packageName);
  const packageVersion = mrkdwnLine(finding.packageVersion, MAX.version);
  const fixedInVersion = mrkdwnLine(finding.fixedInVersion, MAX.version);
  const cvssScore = formatCvss(finding.cvssScore);
  return {
    ...image,
    index,
    severity: finding.severity,
    label: severityName(finding.severity, "lower"),
    emoji: SEVERITY_EMOJI[finding.severity] ?? SEVERITY_EMOJI.UNDEFINED,
    id: mrkdwnLine(finding.id, MAX.id) || "unnamed",
    url: linkableUrl(finding.url),
    title: mrkdwnLine(finding.title, MAX.title),
    description: mrkdwnLine(finding.description, MAX.description),
    packageName,
    packageVersion,
    package: packageName && packageVersion ? `${packageName}@${packageVersion}` : packageName,
    fixedInVersion,
    fixNote: fixNoteText({ fixAvailable: finding.fixAvailable, fixedInVersion }, scanType),
    cvssScore,
    hasScore: cvssScore !== "",
    badges: badges.map((badge) => ({ ...badge, emoji: BADGE_EMOJI[badge.kind] })),
    kev: finding.kev !== undefined,
    overdue: badges.some((badge) => badge.kind === "kev" && badge.urgent),
    knownRansomware: badges.some((badge) => badge.kind === "ransomware"),
    exploitAvailable: badges.some((badge) => badge.kind === "exploit"),
    epss: badges.find((badge) => badge.kind === "epss")?.text ?? "",
    requiredAction: mrkdwnLine(requiredActionText(finding.kev), MAX.description),
  };
}
