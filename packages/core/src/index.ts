export { configJsonSchema, configJsonSchemaText } from "./config/json-schema.js";
export {
  CONFIG_ENV,
  CONFIG_PARAMETER_ENV,
  formatIssuePath,
  loadConfigFromEnvironment,
  type ParameterReader,
  parseConfig,
  parseConfigText,
  problemsFromIssues,
} from "./config/load.js";
export {
  type Config,
  type ConfigInput,
  configSchema,
  type Duration,
  type IgnoreEntry,
  type ReporterEntry,
} from "./config/schema.js";
export { formatDuration, parseDuration } from "./duration.js";
export { createEcrClient, ECR_MAX_ATTEMPTS, ScanQuotaAwareRetryStrategy } from "./ecr-client.js";
export {
  ECR_MAX_PAGE_SIZE,
  EcrGateway,
  type RepositorySummary,
  type ScanStartOutcome,
  type ScanStartOutcomeName,
  scanStartOutcomeOf,
  toImageDetail,
} from "./ecr-gateway.js";
export { type EmlMessage, formatEml } from "./eml.js";
export {
  ConfigError,
  type ConfigProblem,
  describeError,
  EcrScanReporterError,
  type ErrorCode,
  isRetryableAwsError,
  MessageError,
  ReporterError,
  RetryableAwsError,
  SecretError,
} from "./errors.js";
export * from "./events/index.js";
export {
  type FetchedScanFindings,
  fetchNormalizedFindings,
  fetchScanFindings,
  type NormalizedScanFindings,
  SCAN_FINDINGS_PAGE_SIZE,
  type ScanImageRef,
} from "./findings/fetch.js";
export {
  compareFindings,
  countBySeverity,
  isCurrentEnhancedFinding,
  normalizeBasicFinding,
  normalizeEnhancedFinding,
  normalizeScanFindings,
  toSeverity,
} from "./findings/normalize.js";
export {
  type BuildFailureReportInput,
  type BuildScanReportInput,
  type BuiltScanReport,
  buildFailureReport,
  buildScanReport,
  imageConsoleUrl,
  type ReportSubject,
} from "./findings/report.js";
export { createLogger, REDACTED, redactingReplacer, redactSecrets, toReporterLogger } from "./logger.js";
export {
  emptySeverityCounts,
  type Finding,
  type ImageDetail,
  imageLabel,
  KNOWN_SCAN_STATUSES,
  type LastScan,
  type PolicyVerdict,
  type ScanReport,
  type ScanStatus,
  type ScanType,
  SEVERITIES,
  type Severity,
  type SeverityCounts,
} from "./model.js";
export {
  applyScanBudget,
  compareScanUrgency,
  FAILED_SCAN_RETRY_AFTER_MS,
  isContainerImage,
  type PlanContext,
  type PlannedImage,
  planImageScan,
  SCAN_REASONS,
  type ScanDecision,
  type ScanReason,
  SKIP_REASONS,
  type SkipReason,
  screenImage,
} from "./planner.js";
export {
  applyIgnoreList,
  decideVerdict,
  defaultReportPolicy,
  evaluateThresholds,
  highestSeverityOf,
  type IgnoreOutcome,
  isFailedScan,
  isIgnoreEntryActive,
  type ReportPolicy,
  type RouteRule,
  routeReport,
  type Thresholds,
} from "./policy/policy.js";
export * from "./reporters/index.js";
export { isRepositorySelected } from "./repository-filter.js";
export {
  parseScanRepositoryMessage,
  SCAN_MESSAGE_VERSION,
  type ScanRepositoryMessage,
  scanRepositoryMessageSchema,
} from "./scan-messages.js";
export {
  createTemplateRenderer,
  type TemplateRenderer,
  type TemplateRendererOptions,
} from "./templates/renderer.js";
export { createTemplateSource, readTemplateFolder } from "./templates/template-source.js";
export {
  cleanText,
  escapeHtml,
  escapeMarkdown,
  escapeSlackText,
  headerValue,
  linkableHttpUrl,
  truncateText,
} from "./text.js";
export { type ImageToReport, reportImage } from "./use-cases/report-image.js";
export {
  type ReportJobDeps,
  type ReportJobOutcome,
  type ReportJobResult,
  type RequeueFailedReporters,
  runReportJob,
} from "./use-cases/run-report-job.js";
export {
  addScanRunCounts,
  countScanRun,
  DEFAULT_ECR_CONCURRENCY,
  emptyScanRunCounts,
  type PlanRepositoryOptions,
  planOptionsOf,
  planRepository,
  type RepositoryPlan,
  type RepositoryScan,
  type ScanRunCounts,
  type StartedScan,
  scanRepository,
  startPlannedScans,
} from "./use-cases/scan-repository.js";
export { type RegistrySelection, selectRepositories } from "./use-cases/select-repositories.js";
