import { emailReporter } from "./email-reporter.js";

export {
  BAR_TRACK_COLOR,
  type BarSegment,
  type BarView,
  barWidths,
  buildEmailDigestView,
  type DigestChangesView,
  type DigestChangeView,
  type DigestCoverageView,
  type DigestImageView,
  type DigestSeverityView,
  type EmailDigestView,
  type EmailDigestViewOptions,
  subjectCounts,
  TEXT_BAR_WIDTH,
} from "./digest-view.js";
export { buildSendEmailInput, emailReporter } from "./email-reporter.js";
export { type EmlMessage, formatEml, toEml } from "./eml.js";
export { domainOf, formatMailbox, type Mailbox, type MailboxParse, parseMailbox } from "./mailbox.js";
export {
  DEFAULT_MAX_FINDINGS,
  DEFAULT_SUBJECT_PREFIX,
  EMAIL_TEMPLATE_NAMES,
  type EmailReporterOptions,
  type EmailReporterOptionsInput,
  emailOptionsSchema,
  MAX_FINDINGS_LIMIT,
  MAX_RECIPIENTS,
} from "./options.js";
export {
  createEmailRenderer,
  type EmailRenderer,
  type EmailRenderOptions,
  type RenderedEmail,
  renderEmail,
  renderEmailDigest,
  SUBJECT_MAX_LENGTH,
} from "./render.js";
export { type IdentityCheck, senderIdentityCandidates, verifySenderIdentity } from "./sender-identity.js";
export { SHIPPED_TEMPLATES } from "./shipped-templates.js";
export {
  buildEmailView,
  type ChangesView,
  type EmailKind,
  type EmailView,
  type EmailViewOptions,
  type FindingView,
  SEVERITY_COLORS,
  type SeverityCountView,
  safeHttpUrl,
} from "./view.js";

export default emailReporter;
