import * as z from "zod";

export const DEFAULT_SUBJECT_PREFIX = "[ecr-scan-reporter]";
export const DEFAULT_MAX_FINDINGS = 50;
export const DEFAULT_MESSAGE_GROUP_ID = "ecr-scan-reporter";

/**
 * An SNS topic ARN. Topic names are 1-256 ASCII letters, digits, `-` and `_`; a FIFO topic's name ends in
 * `.fifo` (counted in the 256).
 */
export const SNS_TOPIC_ARN_PATTERN =
  /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:(?=[A-Za-z0-9_.-]{1,256}$)[A-Za-z0-9_-]+(?:\.fifo)?$/;

/** True for a FIFO topic, whose Publish needs a MessageGroupId and a MessageDeduplicationId. */
export function isFifoTopicArn(topicArn: string): boolean {
  return topicArn.endsWith(".fifo");
}

export const snsOptionsSchema = z.strictObject({
  topicArn: z.string().regex(SNS_TOPIC_ARN_PATTERN, {
    message: "must be an SNS topic ARN like arn:aws:sns:eu-west-1:123456789012:ecr-findings (or …:name.fifo)",
  }),
  subjectPrefix: z
    .string()
    .max(60, { message: "must be at most 60 characters, to leave room in the SNS subject (under 100)" })
    .regex(/^[\x20-\x7E]*$/, { message: "must be printable ASCII (an SNS subject allows nothing else)" })
    .default(DEFAULT_SUBJECT_PREFIX),
  /**
   * `string` (the default): one text, the full report, with the message attributes, which SNS delivers and
   * subscription filter policies test only for this structure. `json`: a compact `default` text and a longer
   * `email` text per protocol — but SNS then delivers no message attributes ("Message attributes are sent only
   * when the message structure is String, not JSON": https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html).
   */
  messageStructure: z.enum(["string", "json"]).default("string"),
  maxFindings: z
    .number()
    .int({ message: "must be a whole number" })
    .min(0)
    .max(10_000)
    .default(DEFAULT_MAX_FINDINGS),
  /**
   * FIFO topics: the message group (default `ecr-scan-reporter`). Standard topics: optional, passed on to SQS
   * standard subscriptions only (fair queues).
   */
  messageGroupId: z
    .string()
    .regex(/^[\x21-\x7E]{1,128}$/, {
      message: "must be 1-128 ASCII letters, digits or punctuation (an SNS MessageGroupId)",
    })
    .optional(),
});

/** The options as written in the configuration. */
export type SnsReporterOptionsInput = z.input<typeof snsOptionsSchema>;
/** The options after validation, defaults applied. */
export type SnsReporterOptions = z.output<typeof snsOptionsSchema>;
