import {
  accountLabel,
  backWithinThresholdsText,
  changeLines,
  changesHeadline,
  escalationText,
  type Finding,
  fixNoteText,
  fixStatus,
  formatCvss,
  highestSeverityOf,
  incompleteNote,
  intelBadges,
  intelCounts,
  intelNote,
  isFailedScan,
  kevCountText,
  reportImageLabel,
  requiredActionText,
  type ScanReport,
  type ScanType,
  SEVERITIES,
  type Severity,
} from "@ecr-scan-reporter/core";
import { cleanBlock, cleanLine } from "./untrusted-text.js";

/** SNS's limit on one published message, message attributes included: 256 KiB. */
export const SNS_MESSAGE_MAX_BYTES = 262_144;

/** How many findings the compact `default` text lists at most (the `email` text lists up to `maxFindings`). */
export const DEFAULT_TEXT_TOP_FINDINGS = 10;

// Caps on each dynamic field, in UTF-16 units: a hostile feed must not fill the message with one title.
const MAX = {
  repository: 300,
  tag: 128,
  tagsListed: 20,
  id: 128,
  title: 240,
  packageName: 200,
  version: 128,
  url: 600,
  description: 800,
  statusDescription: 2000,
  field: 200,
  /** The change wording: five ids of at most 80 characters per kind, and the words around them. */
  changes: 2000,
  /** CISA's required action (the view kit cuts it at 300 already). */
  requiredAction: 300,
  /** The note on the threat-intel sources: two reasons of at most 200 characters, and the words around them. */
  intelNote: 500,
} as const;

/** The `Message` of a Publish with `MessageStructure: "json"`: one text per protocol, `default` for the rest. */
export interface SnsMessageBody {
  default: string;
  email: string;
}

export interface BuiltSnsMessage {
  body: SnsMessageBody;
  /** `JSON.stringify(body)`, the Publish `Message`. */
  message: string;
  /** UTF-8 size of `message`. */
  messageBytes: number;
  /** Findings of the report (after the ignore list). */
  totalFindings: number;
  /** How many findings each text lists. */
  listed: { default: number; email: number };
}

/** A text with a list in the middle that may be cut to fit: `head`, the first k `items`, "...and N more", `foot`. */
interface ListedText {
  head: string;
  items: string[];
  /** How many findings exist in all (items may already be fewer, by `maxFindings`). */
  total: number;
  more(count: number): string;
  foot: string;
}

function render(text: ListedText, listed: number): string {
  return `${text.head}${text.items.slice(0, listed).join("")}${text.more(text.total - listed)}${text.foot}`;
}

/** UTF-8 bytes a string takes inside a JSON string literal (escapes included, quotes excluded). */
function jsonStringBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), "utf8") - 2;
}

/**
 * The largest k such that the text with its first k items takes at most `budget` bytes inside the JSON message.
 * JSON escaping is per character, so the size of the whole is the sum of the sizes of its parts: one pass over
 * the items, each measured once.
 */
function fitItems(text: ListedText, budget: number): number {
  const fixed = jsonStringBytes(text.head) + jsonStringBytes(text.foot);
  let used = fixed;
  let listed = 0;
  for (const item of text.items) {
    const size = jsonStringBytes(item);
    if (used + size + jsonStringBytes(text.more(text.total - listed - 1)) > budget) break;
    used += size;
    listed += 1;
  }
  // Even with no item the trailer must fit; if the fixed part alone is over, the caller's check reports it.
  return listed;
}

function moreFindings(count: number, suffix = ""): string {
  if (count <= 0) return "";
  return `...and ${count} more finding${count === 1 ? "" : "s"}${suffix}\n`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function vulnerabilities(count: number): string {
  return `${count} ${count === 1 ? "vulnerability" : "vulnerabilities"}`;
}

/** `repository:tag`, or `repository@sha256:<12 hex>` for an untagged image, cleaned for a text. */
export function imageText(report: Pick<ScanReport, "repository" | "tags" | "digest">): string {
  return reportImageLabel({
    repository: cleanLine(report.repository, MAX.repository),
    tags: report.tags.slice(0, 1).map((tag) => cleanLine(tag, MAX.tag)),
    digest: cleanLine(report.digest, MAX.field),
  });
}

/** `prod (111111111111)`, or the id alone when the configuration gives the account no name; cleaned. */
export function accountText(report: Pick<ScanReport, "account" | "accountName">): string {
  return accountLabel({
    account: cleanLine(report.account, MAX.field),
    accountName: cleanLine(report.accountName, MAX.field) || undefined,
  });
}

/** `v1.2, latest`, the first 20 tags cleaned (then `(+N more)`), or `(untagged)`. */
export function tagsText(tags: readonly string[]): string {
  if (tags.length === 0) return "(untagged)";
  const listed = tags.slice(0, MAX.tagsListed).map((tag) => cleanLine(tag, MAX.tag));
  const rest = tags.length - listed.length;
  return rest > 0 ? `${listed.join(", ")} (+${rest} more)` : listed.join(", ");
}

function totalOf(report: ScanReport): number {
  return SEVERITIES.reduce((sum, severity) => sum + report.counts[severity], 0);
}

function nonZeroCounts(report: ScanReport): string {
  const parts = SEVERITIES.filter((s) => report.counts[s] > 0).map((s) => `${s} ${report.counts[s]}`);
  return parts.length > 0 ? parts.join(", ") : "none";
}

/**
 * What the report says of threat intel after its counts, one line each: `2 known exploited (KEV), 1 overdue`, why
 * an escalated report is due, and the note on a stale or unavailable source; none for a report without intel.
 */
function intelLines(report: ScanReport, now: Date): string[] {
  const counts = intelCounts(report.findings, now);
  const lines: string[] = [];
  const kev = kevCountText(counts.kev, counts.overdue);
  if (kev) lines.push(`${kev}: on CISA's Known Exploited Vulnerabilities catalog, listed first`);
  if (report.verdict.reason === "escalated") {
    const escalation = escalationText(report.verdict, { formatId: (id) => cleanLine(id, MAX.id) });
    if (escalation) lines.push(cleanLine(escalation, MAX.changes));
  }
  const note = intelNote(report.intel);
  if (note) lines.push(`Threat intel: ${cleanLine(note, MAX.intelNote)}`);
  return lines;
}

/** `KEV, overdue since 2021-12-24 · known ransomware use · exploit available · EPSS 94 % (99th percentile)`. */
function badgesText(finding: Finding, now: Date): string {
  return intelBadges(finding, now)
    .map((badge) => badge.text)
    .join(" · ");
}

function verdictText(report: ScanReport): string {
  const exceeded = report.verdict.exceeded;
  return report.verdict.reason === "over-threshold" && exceeded.length > 0
    ? `, over the policy thresholds for ${exceeded.join(", ")}`
    : "";
}

function cvssText(finding: Finding): string {
  const score = formatCvss(finding.cvssScore);
  return score ? `CVSS ${score}` : "";
}

/**
 * The `Fixed in:` value: the version (with `(partial fix)` when Amazon Inspector says only some packages have one),
 * `no fix` / `fix available` (Inspector), `no fixed version yet` (enhanced), or `unknown` (basic scanning never says).
 */
function fixedInText(finding: Finding, scanType: ScanType): string {
  const fixed = cleanLine(finding.fixedInVersion, MAX.version);
  const note = fixNoteText({ fixAvailable: finding.fixAvailable, fixedInVersion: fixed }, scanType);
  if (fixed) return note ? `${fixed} (${note})` : fixed;
  return fixStatus(fixed, scanType) === "unknown" && finding.fixAvailable === undefined ? "unknown" : note;
}

function packageText(finding: Finding): string {
  const name = cleanLine(finding.packageName, MAX.packageName);
  if (!name) return "";
  const version = cleanLine(finding.packageVersion, MAX.version);
  return version ? `${name} ${version}` : name;
}

function compactFindingLine(finding: Finding, now: Date): string {
  const pkg = packageText(finding);
  const fixed = cleanLine(finding.fixedInVersion, MAX.version);
  const cvss = cvssText(finding);
  const badges = badgesText(finding, now);
  let line = `- ${finding.severity} ${cleanLine(finding.id, MAX.id)}`;
  if (pkg) line += ` in ${pkg}`;
  if (fixed) line += `, fixed in ${fixed}`;
  if (cvss) line += ` (${cvss})`;
  if (badges) line += ` — ${badges}`;
  return `${line}\n`;
}

function indent(block: string, prefix: string): string {
  return block
    .split("\n")
    .map((line) => (line ? `${prefix}${line}` : ""))
    .join("\n");
}

function emailFindingBlock(finding: Finding, position: number, scanType: ScanType, now: Date): string {
  const id = cleanLine(finding.id, MAX.id);
  const title = cleanLine(finding.title, MAX.title) || id;
  const lines = [`${position}. [${finding.severity}] ${title.includes(id) ? title : `${title} (${id})`}`];
  const badges = badgesText(finding, now);
  if (badges) lines.push(`   Exploits: ${badges}`);
  const action = cleanLine(requiredActionText(finding.kev), MAX.requiredAction);
  if (action) lines.push(`   CISA:     ${action}`);
  const pkg = packageText(finding);
  if (pkg) {
    lines.push(`   Package:  ${pkg}`);
    lines.push(`   Fixed in: ${fixedInText(finding, scanType)}`);
  }
  const cvss = cvssText(finding);
  if (cvss) lines.push(`   Score:    ${cvss}`);
  const url = cleanLine(finding.url, MAX.url);
  if (url) lines.push(`   URL:      ${url}`);
  const description = cleanBlock(finding.description, MAX.description);
  if (description && description !== title) lines.push(indent(description, "   "));
  return `${lines.join("\n")}\n\n`;
}

function detailLines(report: ScanReport): string[] {
  const lines = [
    `Repository: ${cleanLine(report.repository, MAX.repository)}`,
    `Tags:       ${tagsText(report.tags)}`,
    `Digest:     ${cleanLine(report.digest, MAX.field)}`,
    `Account:    ${accountText(report)} (${cleanLine(report.region, MAX.field)})`,
    `Scan type:  ${report.scanType}`,
  ];
  const status = cleanLine(report.status, MAX.field);
  const description = cleanLine(report.statusDescription, MAX.statusDescription);
  lines.push(`Status:     ${description ? `${status}: ${description}` : status}`);
  if (report.completedAt) lines.push(`Completed:  ${cleanLine(report.completedAt, MAX.field)}`);
  if (report.vulnerabilitySourceUpdatedAt) {
    lines.push(`Vulnerability data as of: ${cleanLine(report.vulnerabilitySourceUpdatedAt, MAX.field)}`);
  }
  return lines;
}

/** The compact text's last lines: where the image is (account, digest) and its console page. */
function compactFoot(report: ScanReport): string {
  return (
    `Account: ${accountText(report)}\n` +
    `Digest: ${cleanLine(report.digest, MAX.field)}\n` +
    `Console: ${cleanLine(report.consoleUrl, 4 * MAX.url)}\n`
  );
}

function consoleFoot(report: ScanReport): string {
  return `Open the image in the Amazon ECR console:\n${cleanLine(report.consoleUrl, 4 * MAX.url)}\n\n-- \nSent by ecr-scan-reporter.\n`;
}

/** The change wording on one line, first in the compact text (core's view kit: one wording in the product). */
function changesLine(report: ScanReport): string {
  const headline = changesHeadline(report);
  return headline ? `${cleanLine(headline, MAX.changes)}\n` : "";
}

/** The change wording one kind a line, first in the e-mail text, with a blank line after it. */
function changesBlock(report: ScanReport): string[] {
  const lines = changeLines(report).map((line) => cleanLine(line.text, MAX.changes));
  return lines.length > 0 ? [...lines, ""] : [];
}

function findingsDefaultText(report: ScanReport, maxFindings: number, now: Date): ListedText {
  const total = report.findings.length;
  const ignored = report.verdict.ignoredFindings;
  const top = report.findings.slice(0, Math.min(maxFindings, DEFAULT_TEXT_TOP_FINDINGS));
  let head =
    changesLine(report) +
    `ECR scan of ${imageText(report)}: ${vulnerabilities(totalOf(report))}` +
    `${verdictText(report)}.\n` +
    `Counts: ${nonZeroCounts(report)}${ignored > 0 ? ` (${ignored} ignored by policy)` : ""}\n`;
  for (const line of intelLines(report, now)) head += `${line}\n`;
  const incomplete = incompleteNote(report);
  if (incomplete) head += `${incomplete}\n`;
  if (top.length > 0) head += "Top findings:\n";
  return {
    head,
    items: top.map((finding) => compactFindingLine(finding, now)),
    total,
    more: (count) => moreFindings(count),
    foot: compactFoot(report),
  };
}

function findingsEmailText(report: ScanReport, maxFindings: number, now: Date): ListedText {
  const total = report.findings.length;
  const ignored = report.verdict.ignoredFindings;
  const width = Math.max("INFORMATIONAL".length, "Total".length) + 2;
  const countLines = SEVERITIES.map(
    (severity: Severity) => `  ${severity.padEnd(width)}${String(report.counts[severity]).padStart(6)}`,
  );
  countLines.push(`  ${"Total".padEnd(width)}${String(totalOf(report)).padStart(6)}`);
  if (ignored > 0) countLines.push(`  (${plural(ignored, "finding")} ignored by policy, not counted)`);
  const head = [
    ...changesBlock(report),
    `Amazon ECR scan findings for ${imageText(report)}`,
    "",
    `${vulnerabilities(totalOf(report))} found${verdictText(report)}.`,
    ...intelLines(report, now),
    ...(incompleteNote(report) ? ["", incompleteNote(report) ?? ""] : []),
    "",
    ...detailLines(report),
    "",
    "Findings by severity:",
    ...countLines,
    "",
    total > 0 ? "Findings, most urgent first:\n\n" : "",
  ].join("\n");
  return {
    head,
    items: report.findings
      .slice(0, maxFindings)
      .map((finding, i) => emailFindingBlock(finding, i + 1, report.scanType, now)),
    total,
    more: (count) => moreFindings(count, ": see the ECR console for the full list\n"),
    foot: consoleFoot(report),
  };
}

function failureDefaultText(report: ScanReport): ListedText {
  const description = cleanLine(report.statusDescription, MAX.statusDescription) || "no reason given";
  return {
    head: `ECR scan FAILED for ${imageText(report)}: ${description}\n${compactFoot(report)}`,
    items: [],
    total: 0,
    more: () => "",
    foot: "",
  };
}

function failureEmailText(report: ScanReport): ListedText {
  const description = cleanLine(report.statusDescription, MAX.statusDescription) || "no reason given";
  const head = [
    `Amazon ECR image scan FAILED for ${imageText(report)}`,
    "",
    `The scan did not complete, so there are no findings to report. Reason given by ECR: ${description}`,
    "",
    ...detailLines(report),
    "",
    "",
  ].join("\n");
  return { head, items: [], total: 0, more: () => "", foot: consoleFoot(report) };
}

/**
 * The "back within thresholds" notice (issue 14): the image, what its latest scan still found and, when the ledger
 * knows, what was fixed — no finding list. The compact text and the e-mail text (with the image's details).
 */
function noticeTexts(report: ScanReport): { default: ListedText; email: ListedText } {
  const sentence = `${cleanLine(backWithinThresholdsText(report, imageText(report)), MAX.changes)}\n`;
  const head = `${sentence}${changesLine(report)}`;
  const none = { items: [], total: 0, more: () => "" };
  return {
    default: {
      ...none,
      head,
      foot: compactFoot(report),
    },
    email: { ...none, head: `${head}\n${detailLines(report).join("\n")}\n\n`, foot: consoleFoot(report) },
  };
}

/**
 * The short headline of a report, as used in the subject: the highest severity, NONE, or SCAN FAILED; `KEV
 * CRITICAL` when a finding is on CISA's KEV catalog (the subject is ASCII, so the word, not a badge).
 */
export function reportHeadline(report: ScanReport): string {
  if (isFailedScan(report.status)) return "SCAN FAILED";
  const severity = highestSeverityOf(report.counts) ?? "NONE";
  return report.findings.some((finding) => finding.kev !== undefined) ? `KEV ${severity}` : severity;
}

/**
 * Builds the JSON-structured message of a report: a compact `default` text (counts, top findings) for every
 * protocol but e-mail, and a longer `email` text listing up to `maxFindings` findings with package, fixed-in
 * version and URL. The finding lists are cut, with "...and N more findings", so that the message takes at most
 * `budgetBytes` UTF-8 bytes. When the report has changes to tell (core's `changeLines`), they come first in both
 * texts. Threat intel follows the counts (the KEV findings, why an escalated report is due, a stale or unavailable
 * source) and badges each finding; `now` is the clock KEV due dates are compared with (default: the current
 * time). `backWithinThresholds` builds the short notice instead of a report.
 */
export function buildSnsMessage(
  report: ScanReport,
  options: { maxFindings: number; budgetBytes: number; backWithinThresholds?: boolean; now?: Date },
): BuiltSnsMessage {
  const failed = isFailedScan(report.status);
  const now = options.now ?? new Date();
  const notice = options.backWithinThresholds ? noticeTexts(report) : undefined;
  const defaultText =
    notice?.default ??
    (failed ? failureDefaultText(report) : findingsDefaultText(report, options.maxFindings, now));
  const emailText =
    notice?.email ??
    (failed ? failureEmailText(report) : findingsEmailText(report, options.maxFindings, now));

  // {"default":"…","email":"…"}
  const overhead = Buffer.byteLength(JSON.stringify({ default: "", email: "" }), "utf8");
  // The compact text is bounded by construction (10 capped lines); it gets what it needs, the e-mail the rest.
  const listedDefault = fitItems(defaultText, options.budgetBytes - overhead);
  const defaultRendered = render(defaultText, listedDefault);
  const emailBudget = options.budgetBytes - overhead - jsonStringBytes(defaultRendered);
  const listedEmail = fitItems(emailText, emailBudget);

  const body: SnsMessageBody = { default: defaultRendered, email: render(emailText, listedEmail) };
  const message = JSON.stringify(body);
  const messageBytes = Buffer.byteLength(message, "utf8");
  if (messageBytes > options.budgetBytes) {
    // Unreachable with the field caps above; a loud failure beats a Publish that SNS would reject anyway.
    throw new Error(
      `SNS message of ${messageBytes} bytes exceeds its budget of ${options.budgetBytes} bytes even without findings`,
    );
  }
  return {
    body,
    message,
    messageBytes,
    totalFindings: report.findings.length,
    listed: { default: listedDefault, email: listedEmail },
  };
}
