import type { MessageAttributeValue } from "@aws-sdk/client-sns";
import type { Digest, ScanReport } from "@ecr-scan-reporter/core";
import { highestSeverityOf, isExploitable, isFailedScan, SEVERITIES } from "@ecr-scan-reporter/core";
import { cleanLine } from "./untrusted-text.js";

/** SNS accepts at most 10 message attributes per message. */
export const SNS_MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * The attributes subscribers can write filter policies on. SNS allows ten, so they are the ones a policy is
 * likely to test: which image, how bad, what happened, the counts of the severities that thresholds use, and how
 * many findings are known exploited (`kev`) or exploitable (`exploitable`: on KEV, or with a public exploit).
 *
 * `kev` and `exploitable` took the places of `scanType` and `total` (issue 16): the scan type is the repository's
 * configuration, not news, and rarely a reason to route a message; `total` counts INFORMATIONAL and UNDEFINED
 * findings too, and "any finding at all" is still `highestSeverity` anything-but `NONE`. Both are still in the text.
 */
export const MESSAGE_ATTRIBUTE_NAMES = [
  "repository",
  "highestSeverity",
  "status",
  "account",
  "critical",
  "high",
  "medium",
  "low",
  "kev",
  "exploitable",
] as const;
export type MessageAttributeName = (typeof MESSAGE_ATTRIBUTE_NAMES)[number];

/** The attributes a report always carries; `kev` and `exploitable` only when they are known. */
type ReportAttributes = Record<Exclude<MessageAttributeName, "kev" | "exploitable">, MessageAttributeValue> &
  Partial<Record<"kev" | "exploitable", MessageAttributeValue>>;

/**
 * True when the report's findings were checked against CISA's KEV catalog (fresh, or the last cached copy): only
 * then is a count of KEV findings a fact, and a 0 an all clear rather than "not known".
 */
function kevChecked(report: Pick<ScanReport, "status" | "intel">): boolean {
  const state = report.intel?.kev.state;
  return !isFailedScan(report.status) && (state === "fresh" || state === "stale");
}

function text(value: string): MessageAttributeValue {
  // SNS rejects an empty String attribute value, and the value must be valid Unicode without control characters.
  return { DataType: "String", StringValue: cleanLine(value, 256) || "UNKNOWN" };
}

function count(value: number): MessageAttributeValue {
  return { DataType: "Number", StringValue: String(value) };
}

/**
 * The message attributes of a report's Publish: at most ten, SNS's limit. `kev` (findings on CISA's KEV catalog)
 * and `exploitable` (findings on KEV or with a public exploit, Amazon Inspector's `exploitAvailable`) are left out
 * when KEV could not be checked (off, unavailable, not looked up) or the scan failed: an absent count is "not
 * known", so a policy `{"kev": [{"numeric": ["=", 0]}]}` never takes an unchecked report for a clean one.
 */
export function messageAttributes(report: ScanReport): ReportAttributes {
  const attributes: ReportAttributes = {
    repository: text(report.repository),
    highestSeverity: text(highestSeverityOf(report.counts) ?? "NONE"),
    status: text(report.status),
    account: text(report.account),
    critical: count(report.counts.CRITICAL),
    high: count(report.counts.HIGH),
    medium: count(report.counts.MEDIUM),
    low: count(report.counts.LOW),
  };
  if (kevChecked(report)) {
    attributes.kev = count(report.findings.filter((finding) => finding.kev !== undefined).length);
    attributes.exploitable = count(report.findings.filter(isExploitable).length);
  }
  return attributes;
}

/** What the attributes add to the message size: SNS counts each name, data type and value. */
export function messageAttributesBytes(attributes: Record<string, MessageAttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value.DataType ?? "", "utf8");
    bytes += Buffer.byteLength(value.StringValue ?? "", "utf8");
  }
  return bytes;
}

/**
 * The attributes of a digest's Publish: `kind` = `digest` (report messages carry no `kind`, so a policy can take
 * digests only, `["digest"]`, or leave them out, `[{ "exists": false }]`), the route, and the report attributes
 * that apply to a digest, with the open findings' counts; ten, SNS's most.
 */
export const DIGEST_MESSAGE_ATTRIBUTE_NAMES = [
  "kind",
  "route",
  "account",
  "highestSeverity",
  "critical",
  "high",
  "medium",
  "low",
  "total",
  "imagesOverThresholds",
] as const;
export type DigestMessageAttributeName = (typeof DIGEST_MESSAGE_ATTRIBUTE_NAMES)[number];

/** The message attributes of a digest's Publish. */
export function digestMessageAttributes(
  digest: Digest,
): Record<DigestMessageAttributeName, MessageAttributeValue> {
  const counts = digest.open.counts;
  return {
    kind: text("digest"),
    route: text(digest.route.reporterId),
    account: text(digest.account),
    // NONE when nothing is open, and when the ledger knows nothing yet (the text says which).
    highestSeverity: text(highestSeverityOf(counts) ?? "NONE"),
    critical: count(counts.CRITICAL),
    high: count(counts.HIGH),
    medium: count(counts.MEDIUM),
    low: count(counts.LOW),
    total: count(SEVERITIES.reduce((sum, severity) => sum + counts[severity], 0)),
    imagesOverThresholds: count(digest.overThresholds.total),
  };
}
