import type { MessageAttributeValue } from "@aws-sdk/client-sns";
import type { Digest, ScanReport } from "@ecr-scan-reporter/core";
import { highestSeverityOf, SEVERITIES } from "@ecr-scan-reporter/core";
import { cleanLine } from "./untrusted-text.js";

/** SNS accepts at most 10 message attributes per message. */
export const SNS_MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * The attributes subscribers can write filter policies on. SNS allows ten, so they are the ones a policy is
 * likely to test: which image, how bad, what happened, and the counts of the severities that thresholds use.
 */
export const MESSAGE_ATTRIBUTE_NAMES = [
  "repository",
  "highestSeverity",
  "status",
  "scanType",
  "account",
  "critical",
  "high",
  "medium",
  "low",
  "total",
] as const;
export type MessageAttributeName = (typeof MESSAGE_ATTRIBUTE_NAMES)[number];

function text(value: string): MessageAttributeValue {
  // SNS rejects an empty String attribute value, and the value must be valid Unicode without control characters.
  return { DataType: "String", StringValue: cleanLine(value, 256) || "UNKNOWN" };
}

function count(value: number): MessageAttributeValue {
  return { DataType: "Number", StringValue: String(value) };
}

/** The message attributes of a report's Publish. */
export function messageAttributes(report: ScanReport): Record<MessageAttributeName, MessageAttributeValue> {
  const total = SEVERITIES.reduce((sum, severity) => sum + report.counts[severity], 0);
  return {
    repository: text(report.repository),
    highestSeverity: text(highestSeverityOf(report.counts) ?? "NONE"),
    status: text(report.status),
    scanType: text(report.scanType),
    account: text(report.account),
    critical: count(report.counts.CRITICAL),
    high: count(report.counts.HIGH),
    medium: count(report.counts.MEDIUM),
    low: count(report.counts.LOW),
    total: count(total),
  };
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
