import { createHash } from "node:crypto";
import type { PublishCommandInput } from "@aws-sdk/client-sns";
import type { Digest } from "@ecr-scan-reporter/core";
import { digestMessageAttributes, messageAttributesBytes } from "./attributes.js";
import { type BuiltDigestMessage, buildDigestMessage, digestShortSummary } from "./digest-message.js";
import { SNS_MESSAGE_MAX_BYTES } from "./message.js";
import { DEFAULT_MESSAGE_GROUP_ID, isFifoTopicArn, type SnsReporterOptions } from "./options.js";
import { buildSubject } from "./subject.js";

/** A Publish request for a digest, and what was measured while building it. */
export interface SnsDigestPublishPlan {
  input: PublishCommandInput & { Message: string; Subject: string };
  message: BuiltDigestMessage;
  /** Message, message attributes and subject together, in UTF-8 bytes: what SNS holds against its 256 KiB. */
  totalBytes: number;
}

/**
 * FIFO topics: one deduplication id per route and period, so a retried delivery of the same digest within SNS's
 * five-minute window is not sent twice (send-digests already sends each at most once per period).
 */
export function digestDeduplicationId(digest: Pick<Digest, "route" | "period">): string {
  return createHash("sha256")
    .update(`digest\n${digest.route.reporterId}\n${digest.period.key}`)
    .digest("hex");
}

/**
 * The Publish request of a digest: the same topic, message structure and FIFO fields as reports, subject
 * `<prefix> Digest <route>: <summary>`, the digest attributes, all within SNS's limits.
 */
export function planDigestPublish(digest: Digest, options: SnsReporterOptions): SnsDigestPublishPlan {
  const subject = buildSubject(
    options.subjectPrefix,
    `Digest ${digest.route.reporterId}:`,
    digestShortSummary(digest),
  );
  const attributes = digestMessageAttributes(digest);
  // The subject is not documented as part of the 256 KiB; counting it anyway costs at most 100 bytes.
  const fixedBytes = messageAttributesBytes(attributes) + Buffer.byteLength(subject, "utf8");
  const perProtocol = options.messageStructure === "json";
  const message = buildDigestMessage(digest, {
    budgetBytes: SNS_MESSAGE_MAX_BYTES - fixedBytes,
    perProtocol,
  });
  const input: SnsDigestPublishPlan["input"] = {
    TopicArn: options.topicArn,
    Subject: subject,
    Message: message.message,
    ...(perProtocol ? { MessageStructure: "json" } : {}),
    MessageAttributes: attributes,
  };
  const fifo = isFifoTopicArn(options.topicArn);
  const groupId = options.messageGroupId ?? (fifo ? DEFAULT_MESSAGE_GROUP_ID : undefined);
  if (groupId !== undefined) input.MessageGroupId = groupId;
  if (fifo) input.MessageDeduplicationId = digestDeduplicationId(digest);
  return { input, message, totalBytes: message.messageBytes + fixedBytes };
}
