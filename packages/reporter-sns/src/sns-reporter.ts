import { createHash } from "node:crypto";
import {
  GetTopicAttributesCommand,
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
} from "@aws-sdk/client-sns";
import {
  BACK_WITHIN_THRESHOLDS,
  changesShort,
  defineReporter,
  describeError,
  isBackWithinThresholdsNotice,
  isFailedScan,
  ReporterError,
  reportImageLabel,
  type ScanReport,
  subjectAccount,
} from "@ecr-scan-reporter/core";
import { messageAttributes, messageAttributesBytes } from "./attributes.js";
import { planDigestPublish } from "./digest-publish.js";
import { type BuiltSnsMessage, buildSnsMessage, reportHeadline, SNS_MESSAGE_MAX_BYTES } from "./message.js";
import {
  DEFAULT_MESSAGE_GROUP_ID,
  isFifoTopicArn,
  type SnsReporterOptions,
  snsOptionsSchema,
} from "./options.js";
import { buildSubject } from "./subject.js";

/** A Publish request for a report, and what was measured while building it. */
export interface SnsPublishPlan {
  input: PublishCommandInput & { Message: string; Subject: string };
  message: BuiltSnsMessage;
  /** Message, message attributes and subject together, in UTF-8 bytes: what SNS holds against its 256 KiB. */
  totalBytes: number;
}

/**
 * FIFO topics drop a second message with the same deduplication id within five minutes: one id per scan of an
 * image, so a retried delivery of the same report is not sent twice.
 */
export function deduplicationId(report: {
  repository: string;
  digest: string;
  completedAt?: string;
}): string {
  return createHash("sha256")
    .update(`${report.repository}\n${report.digest}\n${report.completedAt ?? ""}`)
    .digest("hex");
}

/**
 * The subject's headline: `CRITICAL`, `CRITICAL (2 new)` when the ledger has changes to tell, `SCAN FAILED`, or
 * `Back within thresholds:` for the notice.
 */
function subjectHeadline(report: ScanReport, backWithinThresholds: boolean): string {
  if (backWithinThresholds) return `${BACK_WITHIN_THRESHOLDS}:`;
  const changes = changesShort(report);
  return changes ? `${reportHeadline(report)} (${changes})` : reportHeadline(report);
}

/**
 * Builds the Publish request of one report, within every SNS limit (subject, attributes, 256 KiB); with
 * `backWithinThresholds`, the short notice that the image is back within the thresholds instead. `now` is the
 * reporter's clock, which KEV due dates are compared with (default: the current time).
 */
export function planPublish(
  report: ScanReport,
  options: SnsReporterOptions,
  kind: { backWithinThresholds?: boolean; now?: Date } = {},
): SnsPublishPlan {
  const backWithinThresholds = kind.backWithinThresholds === true;
  const subject = buildSubject(
    options.subjectPrefix,
    subjectHeadline(report, backWithinThresholds),
    reportImageLabel(report),
    subjectAccount(report),
  );
  const attributes = messageAttributes(report);
  const attributeBytes = messageAttributesBytes(attributes);
  // The subject is not documented as part of the 256 KiB; counting it anyway costs at most 100 bytes.
  const fixedBytes = attributeBytes + Buffer.byteLength(subject, "utf8");
  const message = buildSnsMessage(report, {
    maxFindings: options.maxFindings,
    budgetBytes: SNS_MESSAGE_MAX_BYTES - fixedBytes,
    backWithinThresholds,
    now: kind.now ?? new Date(),
  });
  const perProtocol = options.messageStructure === "json";
  const text = perProtocol ? message.message : message.body.email;
  const input: SnsPublishPlan["input"] = {
    TopicArn: options.topicArn,
    Subject: subject,
    Message: text,
    ...(perProtocol ? { MessageStructure: "json" } : {}),
    MessageAttributes: attributes,
  };
  const groupId =
    options.messageGroupId ?? (isFifoTopicArn(options.topicArn) ? DEFAULT_MESSAGE_GROUP_ID : undefined);
  if (groupId !== undefined) input.MessageGroupId = groupId;
  if (isFifoTopicArn(options.topicArn)) input.MessageDeduplicationId = deduplicationId(report);
  return { input, message, totalBytes: Buffer.byteLength(text, "utf8") + fixedBytes };
}

/**
 * Built-in `sns` reporter: publishes each due report to an SNS topic, with message attributes that subscription
 * filter policies can test: the full report as one text by default, or per protocol (`messageStructure: "json"`,
 * a compact `default` text and a longer `email` text, at the cost of the attributes). Contract v2: each digest is
 * one more message on the same topic, with `kind` = `digest` among its attributes.
 */
export const snsReporter = defineReporter({
  name: "sns",
  optionsSchema: snsOptionsSchema,
  contractVersion: 2,
  previewDigest(digest, options) {
    const { input, message } = planDigestPublish(digest, options);
    return [
      { name: "sns-digest-publish.json", content: `${JSON.stringify(input, null, 2)}\n` },
      ...(options.messageStructure === "json"
        ? [
            { name: "sns-digest-default.txt", content: message.body.default },
            { name: "sns-digest-email.txt", content: message.body.email },
          ]
        : [{ name: "sns-digest-message.txt", content: message.body.email }]),
    ];
  },
  preview(report, options, deps) {
    const { input, message } = planPublish(report, options, { now: deps.clock() });
    return [
      { name: "sns-publish.json", content: `${JSON.stringify(input, null, 2)}\n` },
      ...(options.messageStructure === "json"
        ? [
            { name: "sns-default.txt", content: message.body.default },
            { name: "sns-email.txt", content: message.body.email },
          ]
        : [{ name: "sns-message.txt", content: message.body.email }]),
    ];
  },
  create(options, deps) {
    const sns = deps.awsClient(SNSClient);
    const topicArn = options.topicArn;
    /** Publishes one request; a failure is the reporter's error, naming the topic. */
    async function publish(input: PublishCommandInput, reporterId: string): Promise<string | undefined> {
      try {
        return (await sns.send(new PublishCommand(input))).MessageId;
      } catch (error) {
        throw new ReporterError(reporterId, `Publish to ${topicArn} failed: ${describeError(error)}`, {
          cause: error,
        });
      }
    }
    return {
      async verify() {
        try {
          await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
        } catch (error) {
          throw new ReporterError(
            "sns",
            `cannot read SNS topic ${topicArn} (${describeError(error)}): check that the topic exists in that ` +
              "account and region and that the function's role may call sns:GetTopicAttributes and sns:Publish on it",
            { cause: error },
          );
        }
      },

      async report(report, ctx) {
        // The one notice that an image reference is back within the thresholds comes as a report that is not due.
        const backWithinThresholds = isBackWithinThresholdsNotice(report, ctx);
        if (!report.verdict.due && !backWithinThresholds) {
          return { status: "skipped", detail: `report not due (${report.verdict.reason})` };
        }
        const plan = planPublish(report, options, { backWithinThresholds, now: deps.clock() });
        const { listed, totalFindings } = plan.message;
        if (!backWithinThresholds && listed.email < Math.min(totalFindings, options.maxFindings)) {
          deps.logger.info("SNS message cut to fit 256 KiB", {
            reporter: ctx.reporterId,
            repository: report.repository,
            findings: totalFindings,
            listedInEmail: listed.email,
            bytes: plan.totalBytes,
          });
        }
        const messageId = await publish(plan.input, ctx.reporterId);
        deps.logger.debug("published to SNS", {
          reporter: ctx.reporterId,
          topicArn,
          messageId,
          repository: report.repository,
          digest: report.digest,
          failedScan: isFailedScan(report.status),
          backWithinThresholds,
          bytes: plan.totalBytes,
        });
        return {
          status: "sent",
          ref: messageId,
          detail: backWithinThresholds
            ? `back-within-thresholds notice, ${plan.totalBytes} bytes`
            : `${listed.email} of ${totalFindings} findings listed, ${plan.totalBytes} bytes`,
        };
      },

      async digest(digest, ctx) {
        const plan = planDigestPublish(digest, options);
        if (
          plan.message.listLimit <
          Math.max(
            digest.overThresholds.top.length,
            digest.newFindings.top.length,
            digest.fixedFindings.top.length,
          )
        ) {
          deps.logger.info("SNS digest lists cut to fit 256 KiB", {
            reporter: ctx.reporterId,
            listLimit: plan.message.listLimit,
            bytes: plan.totalBytes,
          });
        }
        const messageId = await publish(plan.input, ctx.reporterId);
        deps.logger.debug("digest published to SNS", {
          reporter: ctx.reporterId,
          topicArn,
          messageId,
          period: digest.period.key,
          bytes: plan.totalBytes,
        });
        return {
          status: "sent",
          ref: messageId,
          detail: `digest of ${digest.period.key}, ${plan.totalBytes} bytes`,
        };
      },
    };
  },
});
