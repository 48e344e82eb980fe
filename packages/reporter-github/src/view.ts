import {
  cleanText,
  escapeMarkdown,
  type Finding,
  isFailedScan,
  linkableHttpUrl,
  type ScanReport,
  SEVERITIES,
  type Severity,
  truncateText,
} from "@ecr-scan-reporter/core";
import type { FindingsChange } from "./markers.js";

// Every string of a view is Markdown-safe already (escapeMarkdown, or a checked URL), and the templates are
// rendered without Handlebars' HTML escaping: a replaced template cannot forget to escape, and text from an image
// or a vulnerability feed can never mention a user, link an issue, open an HTML tag or break the findings table.

/** Longest a piece of untrusted text may be before it is escaped (escaping can make it several times longer). */
const MAX_ID_CHARS = 80;
const MAX_PACKAGE_CHARS = 120;
const MAX_VERSION_CHARS = 80;
const MAX_TITLE_CHARS = 200;
const MAX_DESCRIPTION_CHARS = 500;
const MAX_STATUS_CHARS = 500;
const MAX_TAG_CHARS = 128;
const MAX_URL_CHARS = 2_000;
/** A comment names at most this many new (or fixed) ids, then says how many more. */
export const COMMENT_MAX_IDS = 25;

const SEVERITY_NAMES: Record<Severity, string> = {
  CRITICAL: "Critical",
  HIGH: "High",
  MEDIUM: "Medium",
  LOW: "Low",
  INFORMATIONAL: "Informational",
  UNDEFINED: "Undefined",
};

/** Untrusted text, one line, cut to `max` characters, then escaped for GitHub Markdown. */
export function markdownText(text: string | undefined, max: number): string {
  if (text === undefined) return "";
  // escapeMarkdown writes `@` as `&#64;` and then escapes that entity's `#` (`&&#35;64;`, shown as "&#64;"):
  // restore the entity. Input text cannot produce this sequence, since its own `&` became `&amp;`.
  return escapeMarkdown(truncateText(cleanText(text, { singleLine: true }).trim(), max)).replace(
    /&&#35;64;/g,
    "&#64;",
  );
}

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
export function imageLabelText(report: Pick<ScanReport, "repository" | "tags" | "digest">): string {
  const tag = report.tags[0];
  const repository = cleanText(report.repository, { singleLine: true });
  if (tag !== undefined && tag !== "") {
    return `${repository}:${truncateText(cleanText(tag, { singleLine: true }), MAX_TAG_CHARS)}`;
  }
  const digest = cleanText(report.digest, { singleLine: true }).replace(
    /^(sha256:[0-9a-f]{12})[0-9a-f]+$/,
    "$1",
  );
  return `${repository}@${digest}`;
}

/** "1 critical, 2 high" for the given severities (only those with findings), or "" when none. */
export function countsText(report: Pick<ScanReport, "counts">, severities: readonly Severity[]): string {
  return severities
    .filter((s) => report.counts[s] > 0)
    .map((s) => `${report.counts[s]} ${SEVERITY_NAMES[s].toLowerCase()}`)
    .join(", ");
}

/** One finding of the issue's table, every string escaped. */
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
  /** `9.8`, or "" when unknown. */
  cvssScore: string;
  /** A checked http(s) URL, or undefined (then the id is shown without a link). */
  url?: string;
}

/** The view model of `github/issue.hbs`. Every string is Markdown-escaped; URLs are checked and encoded. */
export interface IssueView {
  image: {
    /** `team-a/api:v1.4.2` or `team-a/api@sha256:4f8b6b8e3d1c` (escaped). */
    label: string;
    repository: string;
    registryId: string;
    account: string;
    region: string;
    /** All tags, escaped. Empty for an untagged image. */
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
  };
  /** Per severity with at least one finding, most severe first. */
  counts: { severity: Severity; label: string; count: number; exceeded: boolean }[];
  totalFindings: number;
  findings: FindingView[];
  listedFindings: number;
  /** How many findings are not listed (`…and N more findings`). */
  omittedFindings: number;
}

function findingView(finding: Finding): FindingView {
  const view: FindingView = {
    id: markdownText(finding.id, MAX_ID_CHARS),
    severity: finding.severity,
    severityLabel: SEVERITY_NAMES[finding.severity],
    title: markdownText(finding.title, MAX_TITLE_CHARS),
    description: markdownText(finding.description, MAX_DESCRIPTION_CHARS),
    packageName: markdownText(finding.packageName, MAX_PACKAGE_CHARS),
    packageVersion: markdownText(finding.packageVersion, MAX_VERSION_CHARS),
    fixedInVersion: markdownText(finding.fixedInVersion, MAX_VERSION_CHARS),
    cvssScore:
      finding.cvssScore !== undefined && Number.isFinite(finding.cvssScore)
        ? finding.cvssScore.toFixed(1)
        : "",
  };
  const url = safeLinkUrl(finding.url);
  if (url) view.url = url;
  return view;
}

/** The issue body's view of a report, listing its first `listed` findings. */
export function issueView(report: ScanReport, listed: number): IssueView {
  const shown = report.findings.slice(0, Math.max(0, listed));
  const exceeded = new Set(report.verdict.exceeded);
  const image: IssueView["image"] = {
    label: markdownText(imageLabelText(report), 400),
    repository: markdownText(report.repository, 256),
    registryId: markdownText(report.registryId, 20),
    account: markdownText(report.account, 20),
    region: markdownText(report.region, 30),
    tags: report.tags.slice(0, 20).map((t) => markdownText(t, MAX_TAG_CHARS)),
    tagged: report.tags.length > 0,
    digest: markdownText(report.digest, 100),
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
      exceeded: report.verdict.exceeded.map((s) => SEVERITY_NAMES[s]),
      summary: countsText(report, report.verdict.exceeded),
      highestSeverity: report.verdict.highestSeverity ? SEVERITY_NAMES[report.verdict.highestSeverity] : "",
      ignoredFindings: report.verdict.ignoredFindings,
    },
    counts: SEVERITIES.filter((s) => report.counts[s] > 0).map((s) => ({
      severity: s,
      label: SEVERITY_NAMES[s],
      count: report.counts[s],
      exceeded: exceeded.has(s),
    })),
    totalFindings: report.findings.length,
    findings: shown.map(findingView),
    listedFindings: shown.length,
    omittedFindings: report.findings.length - shown.length,
  };
}

/** What a comment is about. */
export type CommentEvent = "updated" | "reopened" | "closed" | "scan-failed" | "duplicate";

/** The view model of `github/comment.hbs`. Every string is Markdown-escaped. */
export interface CommentView {
  event: CommentEvent;
  image: { label: string; consoleUrl?: string };
  scan: { status: string; statusDescription: string; completedAt: string };
  /** `1 critical, 2 high`: the counts over the thresholds ("" when none). */
  summary: string;
  /** For `duplicate`: the issue kept. */
  keptNumber?: number;
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
    /** Up to 25 new ids, escaped; `moreNewIds` counts the rest. */
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
): CommentView {
  const newIds = change?.newIds ?? [];
  const fixedIds = change?.fixedIds ?? [];
  const view: CommentView = {
    event,
    image: { label: markdownText(imageLabelText(report), 400) },
    scan: {
      status: markdownText(report.status, 40),
      statusDescription: markdownText(report.statusDescription, MAX_STATUS_CHARS),
      completedAt: markdownText(report.completedAt, 40),
    },
    summary: countsText(report, report.verdict.exceeded),
    change: {
      known: change?.known ?? false,
      counted: change?.newCount !== undefined,
      changed: change?.changed ?? true,
      newCount: change?.newCount ?? 0,
      fixedCount: change?.fixedCount ?? 0,
      unchangedCount: change?.unchangedCount ?? 0,
      previousCount: change?.previousCount ?? 0,
      currentCount: change?.currentCount ?? report.findings.length,
      newIds: newIds.slice(0, COMMENT_MAX_IDS).map((id) => markdownText(id, MAX_ID_CHARS)),
      moreNewIds: Math.max(0, newIds.length - COMMENT_MAX_IDS),
      fixedIds: fixedIds.slice(0, COMMENT_MAX_IDS).map((id) => markdownText(id, MAX_ID_CHARS)),
      moreFixedIds: Math.max(0, fixedIds.length - COMMENT_MAX_IDS),
    },
  };
  const consoleUrl = safeLinkUrl(report.consoleUrl);
  if (consoleUrl) view.image.consoleUrl = consoleUrl;
  if (keptNumber !== undefined) view.keptNumber = keptNumber;
  return view;
}
