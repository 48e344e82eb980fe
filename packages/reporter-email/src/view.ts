import {
  accountLabel,
  BACK_WITHIN_THRESHOLDS,
  backWithinThresholdsText,
  type ChangeKind,
  changeLines,
  changesHeadline,
  changesShort,
  countsSummary,
  escalationText,
  type Finding,
  fixNoteText,
  formatCvss,
  headerValue,
  type IntelBadgeKind,
  incompleteNote,
  intelBadges,
  intelCounts,
  intelNote,
  isFailedScan,
  kevCountText,
  linkableHttpUrl,
  mostSevereFirst,
  reportImageLabel,
  requiredActionText,
  type ScanReport,
  type ScanType,
  SEVERITIES,
  type Severity,
  severityName,
  subjectAccount,
  truncateText,
} from "@ecr-scan-reporter/core";
import { DEFAULT_MAX_FINDINGS, DEFAULT_SUBJECT_PREFIX } from "./options.js";

/** Colours of the severity badges and the headline band (white text on each reads at WCAG AA). */
export const SEVERITY_COLORS: Readonly<Record<Severity, string>> = {
  CRITICAL: "#b71c1c",
  HIGH: "#c43e00",
  MEDIUM: "#8a5a00",
  LOW: "#1565c0",
  INFORMATIONAL: "#455a64",
  UNDEFINED: "#616161",
};
const FAILED_COLOR = "#6a1b9a";
/** The colour of a KEV badge (the CRITICAL red: exploited in the wild), and of the other threat-intel badges. */
export const BADGE_COLORS: Readonly<Record<IntelBadgeKind, string>> = {
  kev: "#b71c1c",
  ransomware: "#b71c1c",
  exploit: "#c43e00",
  epss: "#455a64",
};
const NO_FINDINGS_COLOR = "#2e7d32";

// Bounds on untrusted text, so one hostile field cannot bloat the mail (ECR: repository ≤ 256, tag ≤ 128).
const MAX = {
  id: 100,
  title: 200,
  description: 300,
  packageName: 150,
  version: 100,
  repository: 256,
  tag: 128,
  statusDescription: 1_000,
  url: 2_000,
  /** The image as it appears in the subject. */
  subjectImage: 120,
  /** One line of the change wording (five ids of at most 80 characters, and the words around them). */
  changes: 1_000,
  /** CISA's required action (the view kit cuts it at 300 already). */
  requiredAction: 300,
  /** The note on the threat-intel sources (two reasons of at most 200 characters, and the words around them). */
  intelNote: 500,
} as const;

/** One severity's count, for the badges. */
export interface SeverityCountView {
  severity: Severity;
  /** Lower case, for prose: `critical`. */
  label: string;
  count: number;
  color: string;
}

/** One threat-intel badge of a finding, in the view kit's wording (no untrusted text in it). */
export interface BadgeView {
  kind: IntelBadgeKind;
  /** `KEV, overdue since 2021-12-24`, `known ransomware use`, `exploit available`, `EPSS 94 % (99th percentile)`. */
  text: string;
  /** An overdue KEV due date, or known ransomware use. */
  urgent: boolean;
  /** The badge's background (white text). */
  color: string;
}

/** One finding as the templates see it: every string cleaned (one line, no controls) and bounded. */
export interface FindingView {
  id: string;
  severity: Severity;
  color: string;
  title: string;
  /** One line, at most 300 characters; empty when the feed gave none. */
  description: string;
  packageName: string;
  packageVersion: string;
  /** Empty when no fix is known. */
  fixedInVersion: string;
  /**
   * Beside or instead of the fixed-in version: `no fix`, `partial fix` or `fix available` (Amazon Inspector), else
   * `no fixed version yet` (enhanced scan) or `fix unknown` (basic scan) when there is no fixed-in version; or empty.
   */
  fixNote: string;
  /** The CVSS score with one decimal (`9.8`), empty when unknown. */
  cvss: string;
  /** The advisory link, only when it is an http(s) URL (normalized, so quotes and brackets are percent-encoded). */
  url?: string;
  /** Threat-intel badges, most urgent first (KEV, known ransomware use, exploit available, EPSS); may be empty. */
  badges: BadgeView[];
  /** The badges' texts joined with ` · `, for the text body. */
  badgeList: string;
  /** On CISA's KEV catalog; past its due date; known ransomware use; Inspector knows an exploit. */
  kev: boolean;
  overdue: boolean;
  knownRansomware: boolean;
  exploitAvailable: boolean;
  /** `EPSS 94 % (99th percentile)`, or empty. */
  epss: string;
  /** CISA's required action for a KEV finding: untrusted text from the feed, one line, at most 300 characters. */
  requiredAction: string;
}

/** What changed since the last report for the image (findings ledger), in core's wording; cleaned, not escaped. */
export interface ChangesView {
  /** One line per kind of change: `2 new since 2026-11-23: CVE-…, CVE-…`, `1 fixed: CVE-…`, or `No change since …`. */
  lines: { kind: ChangeKind; text: string }[];
  /** The lines joined with `; `. */
  headline: string;
  /** `2 new, 1 fixed`, or `unchanged`, for the subject. */
  short: string;
}

/** What every e-mail template is rendered with (see README "The view model"). */
export interface EmailView {
  subjectPrefix: string;
  /** `CRITICAL` (the highest severity found), `Scan failed`, `No findings`, or `Back within thresholds` (the notice). */
  headline: string;
  /** The colour of the headline band: the highest severity's, or purple for a failed scan. */
  headlineColor: string;
  /** `imageLabel`, its middle cut when long, for a subject line. */
  image: string;
  /** `repository:tag`, or `repository@sha256:<12 hex>` for an untagged image (`digest` is the full one). */
  imageLabel: string;
  repository: string;
  digest: string;
  tags: string[];
  /** The tags joined with `, `; empty for an untagged image. */
  tagList: string;
  /** The image's account ([8/8]): `prod (111111111111)` when the configuration names it, else the id. */
  account: string;
  /** The account's 12-digit id. */
  accountId: string;
  /** The configuration's name of the account, for the subject; empty when it has none (one-account deployments). */
  accountName: string;
  region: string;
  registryId: string;
  scanType: string;
  status: string;
  /** ECR's status description (why a scan failed); empty when none. */
  statusDescription: string;
  /** `2026-11-28 06:12:31 UTC`, empty when unknown. */
  completedAt: string;
  vulnerabilitySourceUpdatedAt: string;
  failed: boolean;
  highestSeverity?: Severity;
  /** Every severity, most severe first, zeros included. */
  counts: SeverityCountView[];
  /** The non-zero counts in prose: `1 critical, 2 high, 1 medium, 1 low`, or `no findings`. */
  countsSummary: string;
  /** The counts of the severities over their threshold (else every non-zero count), for the subject. */
  subjectCounts: string;
  /** The severities over their threshold. */
  exceeded: Severity[];
  /** `CRITICAL, HIGH`. */
  exceededList: string;
  ignoredFindings: number;
  /** Set when the report was sent with fewer findings than its scan counted. */
  incompleteNote: string;
  /**
   * What changed since the last report for this image (findings ledger); absent without a ledger, on the first
   * report and for a failed scan.
   */
  changes?: ChangesView;
  /** True when the report is due only because the `escalate` policy matched findings (within the thresholds). */
  escalated: boolean;
  /**
   * Why the escalate policy made the report due: `Due although within the thresholds: 1 finding on CISA's KEV
   * catalog — CVE-2023-44487` (`Escalated: …` when over the thresholds too); empty when none matched.
   */
  escalation: string;
  /** Findings on CISA's KEV catalog, how many are overdue, and how many are exploitable (KEV or an exploit known). */
  kev: number;
  overdue: number;
  exploitable: number;
  /** `2 known exploited (KEV), 1 overdue`, or empty. */
  kevSummary: string;
  /** `EPSS scores from 2026-11-26 (api.first.org answered 503)`, `KEV unavailable: …`; empty when fresh or off. */
  intelNote: string;
  /** True for the one "back within thresholds" notice, a short message instead of a report. */
  backWithinThresholds: boolean;
  /** The notice's sentence (`team-a/api:v1 is back within the thresholds: the scan of … found 1 low.`), else empty. */
  notice: string;
  totalFindings: number;
  /** The findings listed (the first `maxFindings`, most severe first). */
  findings: FindingView[];
  listedFindings: number;
  /** How many findings are not listed; 0 when all are. */
  moreFindings: number;
  /** The image in the ECR console, when it is an https URL. */
  consoleUrl?: string;
  /** One line for the inbox preview (HTML pre-header). */
  summary: string;
  /** The rendered subject, for the HTML `<title>`; empty while the subject itself is rendered. */
  subject: string;
}

/** How the view is built. */
export interface EmailViewOptions {
  subjectPrefix?: string;
  maxFindings?: number;
}

/**
 * What kind of message the view is for: a report (the default), or the "back within thresholds" notice; and when
 * it is rendered (`now`, the reporter's clock: a KEV due date before its day is overdue; default the current time).
 */
export interface EmailKind {
  backWithinThresholds?: boolean;
  now?: Date;
}

/** One line of untrusted text: controls and bidi overrides removed, line breaks made spaces, bounded. */
export function line(text: string | undefined, max: number): string {
  if (text === undefined) return "";
  // Bound the work before the regexes run on something huge.
  const bounded = text.length > max * 4 ? text.slice(0, max * 4) : text;
  return truncateText(headerValue(bounded), max);
}

/** Keeps the start and the end of a long label (the repository's start and the tag both stay readable). */
function truncateMiddle(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const keep = max - 1;
  const tail = Math.floor(keep / 3);
  return `${chars.slice(0, keep - tail).join("")}…${chars.slice(chars.length - tail).join("")}`;
}

/** An http(s) URL normalized by the WHATWG parser, or undefined: `javascript:`, `data:` and junk are never linked. */
export function safeHttpUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.length > MAX.url) return undefined;
  const url = linkableHttpUrl(raw);
  return url && url.href.length <= MAX.url ? url.href : undefined;
}

/** `2026-11-28T06:12:31.000Z` → `2026-11-28 06:12:31 UTC`; anything unparseable is shown cleaned. */
export function formatTimestamp(iso: string | undefined): string {
  if (iso === undefined) return "";
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return line(iso, 40);
  return new Date(time)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, " UTC");
}

function findingView(finding: Finding, scanType: ScanType, now: Date): FindingView {
  const fixedInVersion = line(finding.fixedInVersion, MAX.version);
  const badges = intelBadges(finding, now).map((badge) => ({ ...badge, color: BADGE_COLORS[badge.kind] }));
  const view: FindingView = {
    id: line(finding.id, MAX.id),
    severity: finding.severity,
    color: SEVERITY_COLORS[finding.severity] ?? SEVERITY_COLORS.UNDEFINED,
    title: line(finding.title, MAX.title),
    description: line(finding.description, MAX.description),
    packageName: line(finding.packageName, MAX.packageName),
    packageVersion: line(finding.packageVersion, MAX.version),
    fixedInVersion,
    fixNote: fixNoteText({ fixAvailable: finding.fixAvailable, fixedInVersion }, scanType),
    cvss: formatCvss(finding.cvssScore),
    badges,
    badgeList: badges.map((badge) => badge.text).join(" · "),
    kev: finding.kev !== undefined,
    overdue: badges.some((badge) => badge.kind === "kev" && badge.urgent),
    knownRansomware: badges.some((badge) => badge.kind === "ransomware"),
    exploitAvailable: badges.some((badge) => badge.kind === "exploit"),
    epss: badges.find((badge) => badge.kind === "epss")?.text ?? "",
    requiredAction: line(requiredActionText(finding.kev), MAX.requiredAction),
  };
  const url = safeHttpUrl(finding.url);
  if (url !== undefined) view.url = url;
  return view;
}

/** The changes of a report in core's wording, each line cleaned and bounded; undefined when there are none to tell. */
function changesView(report: ScanReport): ChangesView | undefined {
  const lines = changeLines(report).map((change) => ({
    kind: change.kind,
    text: line(change.text, MAX.changes),
  }));
  if (lines.length === 0) return undefined;
  return {
    lines,
    headline: line(changesHeadline(report), 3 * MAX.changes),
    short: changesShort(report) ?? "",
  };
}

/** The inbox preview: what changed first (a preview shows ~100 characters), then what the message is about. */
function summaryOf(changes: ChangesView | undefined, about: string): string {
  return changes ? `${changes.headline} — ${about}` : about;
}

/**
 * The view model of one report: what the subject, HTML and text templates are rendered with. Every string from
 * the report is cleaned to one line and bounded here; the HTML template then escapes it (Handlebars `{{…}}`).
 */
export function buildEmailView(
  report: ScanReport,
  options: EmailViewOptions = {},
  kind: EmailKind = {},
): EmailView {
  const backWithinThresholds = kind.backWithinThresholds === true;
  const now = kind.now ?? new Date();
  const maxFindings = options.maxFindings ?? DEFAULT_MAX_FINDINGS;
  const repository = line(report.repository, MAX.repository);
  const digest = line(report.digest, MAX.id);
  const tags = report.tags.map((tag) => line(tag, MAX.tag)).filter((tag) => tag !== "");
  const imageLabel = reportImageLabel({ repository, tags, digest });
  const image = truncateMiddle(imageLabel, MAX.subjectImage);

  const failed = isFailedScan(report.status);
  const highestSeverity = report.verdict.highestSeverity ?? SEVERITIES.find((s) => report.counts[s] > 0);
  const headline = backWithinThresholds
    ? BACK_WITHIN_THRESHOLDS
    : failed
      ? "Scan failed"
      : (highestSeverity ?? "No findings");
  const headlineColor = backWithinThresholds
    ? NO_FINDINGS_COLOR
    : failed
      ? FAILED_COLOR
      : highestSeverity
        ? SEVERITY_COLORS[highestSeverity]
        : NO_FINDINGS_COLOR;
  const changes = changesView(report);
  const notice = backWithinThresholds ? line(backWithinThresholdsText(report, imageLabel), MAX.changes) : "";

  const exceeded = mostSevereFirst(report.verdict.exceeded);
  const countsText = countsSummary(report.counts) || "no findings";
  const subjectCounts = countsSummary(report.counts, exceeded) || countsSummary(report.counts);

  const totalFindings = report.findings.length;
  const findings = report.findings.slice(0, maxFindings).map((f) => findingView(f, report.scanType, now));
  const intel = intelCounts(failed ? [] : report.findings, now);
  const statusDescription = line(report.statusDescription, MAX.statusDescription);

  const view: EmailView = {
    subjectPrefix: headerValue(options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX),
    headline,
    headlineColor,
    image,
    imageLabel,
    repository,
    digest,
    tags,
    tagList: tags.join(", "),
    account: accountLabel({ account: line(report.account, 20), accountName: line(report.accountName, 64) }),
    accountId: line(report.account, 20),
    accountName: line(subjectAccount(report), 64),
    region: line(report.region, 30),
    registryId: line(report.registryId, 20),
    scanType: line(report.scanType, 20),
    status: line(report.status, 40),
    statusDescription,
    completedAt: formatTimestamp(report.completedAt),
    vulnerabilitySourceUpdatedAt: formatTimestamp(report.vulnerabilitySourceUpdatedAt),
    failed,
    counts: SEVERITIES.map((severity) => ({
      severity,
      label: severityName(severity, "lower"),
      count: report.counts[severity],
      color: SEVERITY_COLORS[severity],
    })),
    countsSummary: countsText,
    subjectCounts,
    exceeded,
    exceededList: exceeded.join(", "),
    ignoredFindings: report.verdict.ignoredFindings,
    incompleteNote: incompleteNote(report) ?? "",
    escalated: !failed && report.verdict.reason === "escalated",
    escalation: failed ? "" : line(escalationText(report.verdict), 3 * MAX.changes),
    kev: intel.kev,
    overdue: intel.overdue,
    exploitable: intel.exploitable,
    kevSummary: kevCountText(intel.kev, intel.overdue),
    intelNote: failed ? "" : line(intelNote(report.intel), MAX.intelNote),
    backWithinThresholds,
    notice,
    totalFindings,
    findings,
    listedFindings: findings.length,
    moreFindings: totalFindings - findings.length,
    summary: summaryOf(
      changes,
      backWithinThresholds
        ? notice
        : failed
          ? `The scan of ${imageLabel} failed${statusDescription ? `: ${truncateText(statusDescription, 120)}` : "."}`
          : `${intel.kev > 0 ? `${kevCountText(intel.kev, intel.overdue)}; ` : ""}${countsText} in ${imageLabel}`,
    ),
    subject: "",
  };
  if (changes) view.changes = changes;
  if (highestSeverity !== undefined) view.highestSeverity = highestSeverity;
  const consoleUrl = safeHttpUrl(report.consoleUrl);
  if (consoleUrl?.startsWith("https:")) view.consoleUrl = consoleUrl;
  return view;
}
