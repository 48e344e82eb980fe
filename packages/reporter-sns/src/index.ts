import { snsReporter } from "./sns-reporter.js";

export {
  DIGEST_MESSAGE_ATTRIBUTE_NAMES,
  type DigestMessageAttributeName,
  digestMessageAttributes,
  MESSAGE_ATTRIBUTE_NAMES,
  type MessageAttributeName,
  messageAttributes,
  SNS_MAX_MESSAGE_ATTRIBUTES,
} from "./attributes.js";
export {
  type BuiltDigestMessage,
  buildDigestMessage,
  DIGEST_DEFAULT_TEXT_TOP_IMAGES,
  digestHeadline,
  digestShortSummary,
} from "./digest-message.js";
export { digestDeduplicationId, planDigestPublish, type SnsDigestPublishPlan } from "./digest-publish.js";
export {
  type BuiltSnsMessage,
  buildSnsMessage,
  DEFAULT_TEXT_TOP_FINDINGS,
  SNS_MESSAGE_MAX_BYTES,
  type SnsMessageBody,
} from "./message.js";
export {
  DEFAULT_MAX_FINDINGS,
  DEFAULT_MESSAGE_GROUP_ID,
  DEFAULT_SUBJECT_PREFIX,
  isFifoTopicArn,
  type SnsReporterOptions,
  type SnsReporterOptionsInput,
  snsOptionsSchema,
} from "./options.js";
export { deduplicationId, planPublish, type SnsPublishPlan, snsReporter } from "./sns-reporter.js";
export { buildSubject, SNS_SUBJECT_MAX_LENGTH } from "./subject.js";

export default snsReporter;
