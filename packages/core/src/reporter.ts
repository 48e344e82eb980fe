// `@ecr-scan-reporter/core/reporter`: what a reporter package needs, and nothing of the scanning side. The
// contract, the model it receives, secrets, templates and the escaping for each target.

export {
  DEFAULT_DIGEST_PERIOD_DAYS,
  DIGEST_TOP_CHANGES,
  DIGEST_TOP_IMAGES,
  type Digest,
  type DigestChange,
  type DigestChangeList,
  type DigestCoverage,
  type DigestImage,
  type DigestPeriod,
  type DigestRoute,
} from "./digest/model.js";
export { ReporterError, SecretError } from "./errors.js";
export { imageConsoleUrl } from "./findings/report.js";
export type { NotificationKind, NotificationWhy } from "./ledger/notify.js";
export {
  type CompactFinding,
  emptySeverityCounts,
  type Finding,
  type PolicyVerdict,
  type ReportChanges,
  type ScanReport,
  type ScanStatus,
  type ScanType,
  SEVERITIES,
  type Severity,
  type SeverityCounts,
} from "./model.js";
export { highestSeverityOf, isFailedScan } from "./policy/policy.js";
export {
  type AnyReporterPlugin,
  type DigestContext,
  defineReporter,
  type PreviewFile,
  REPORTER_CONTRACT_VERSION,
  type ReportContext,
  type Reporter,
  type ReporterDeps,
  type ReporterLogger,
  type ReporterPlugin,
  type ReportOutcome,
  type SecretRef,
  type SecretResolver,
  secretRefSchema,
  type TemplateSource,
} from "./reporters/contract.js";
export { describeSecretRef } from "./reporters/secrets.js";
export {
  createTemplateRenderer,
  type TemplateRenderer,
  type TemplateRendererOptions,
} from "./templates/renderer.js";
export {
  cleanText,
  escapeHtml,
  escapeSlackText,
  headerValue,
  linkableHttpUrl,
  truncateText,
} from "./text.js";
export {
  BACK_WITHIN_THRESHOLDS,
  backWithinThresholdsClause,
  backWithinThresholdsText,
  backWithinThresholdsTitle,
  CHANGES_MAX_IDS,
  type ChangeKind,
  type ChangeLine,
  type ChangesTextOptions,
  changeLines,
  changesHeadline,
  changesShort,
  checkTemplates,
  countsSummary,
  digestPeriodName,
  type FixStatus,
  fixStatus,
  formatAge,
  formatCvss,
  formatDelta,
  type ImageRef,
  incompleteNote,
  isBackWithinThresholdsNotice,
  missingFixText,
  mostSevereFirst,
  reportedChanges,
  reportImageLabel,
  severityName,
  severityRank,
  shortDigest,
  templateCheckDigests,
  templateCheckReports,
  templatesOptionSchema,
} from "./view/index.js";
