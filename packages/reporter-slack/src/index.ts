import { slackReporter } from "./slack-reporter.js";

export {
  type BuiltSlackDigest,
  buildSlackDigest,
  checkSlackDigestTemplates,
  renderSlackDigest,
  SLACK_DIGEST_CHANGES_MAX_CHARS,
  SLACK_DIGEST_COVERAGE_MAX_CHARS,
  SLACK_DIGEST_FOOTER_MAX_CHARS,
  SLACK_DIGEST_IMAGE_LINE_MAX_CHARS,
  SLACK_DIGEST_KEV_MAX_CHARS,
  SLACK_DIGEST_MORE_MAX_CHARS,
  SLACK_DIGEST_SUMMARY_MAX_CHARS,
} from "./digest-message.js";
export type {
  CoverageView,
  DigestChangesView,
  DigestChangeView,
  DigestHeaderView,
  DigestImageView,
  DigestKevEntryView,
  DigestKevView,
  DigestMoreImagesView,
  DigestView,
  SeverityDeltaView,
} from "./digest-view.js";

export {
  type BuiltSlackMessage,
  buildSlackMessage,
  buildSlackNotice,
  type ContextBlock,
  createSlackRenderer,
  type HeaderBlock,
  type MrkdwnTextObject,
  type PlainTextObject,
  renderSlackMessage,
  type SectionBlock,
  SLACK_BLOCK_OVERHEAD_CHARS,
  SLACK_BLOCKS_MAX_CHARS,
  SLACK_CHANGES_MAX_CHARS,
  SLACK_FALLBACK_TEXT_MAX_CHARS,
  SLACK_HEADER_MAX_CHARS,
  SLACK_MAX_BLOCKS,
  SLACK_SECTION_TEXT_MAX_CHARS,
  type SlackBlock,
  type SlackMessage,
  slackBlocksSize,
} from "./message.js";
export { fitMrkdwn, linkableUrl } from "./mrkdwn.js";
export {
  DEFAULT_MAX_FINDINGS,
  MAX_FINDINGS_LIMIT,
  type SlackMessageOptions,
  type SlackMessageOptionsInput,
  type SlackReporterOptions,
  type SlackReporterOptionsInput,
  slackMessageOptionsSchema,
  slackOptionsSchema,
  TEMPLATE_NAMES,
} from "./options.js";
export { SHIPPED_TEMPLATES } from "./shipped-templates.js";
export { defineSlackReporter, slackReporter } from "./slack-reporter.js";
export {
  BADGE_EMOJI,
  type BackWithinView,
  type BadgeView,
  CHANGE_EMOJI,
  type ChangesView,
  type FindingView,
  type HeaderView,
  type ImageView,
  type MoreView,
  SEVERITY_EMOJI,
  type SeverityCountView,
} from "./view-model.js";
export {
  DEFAULT_SLACK_TUNING,
  describeSendFailure,
  type PostOptions,
  postToWebhook,
  type RateLimitNotice,
  SEND_TIMEOUT_MS,
  type SlackTuning,
  webhookUrlProblem,
} from "./webhook.js";

export default slackReporter;
