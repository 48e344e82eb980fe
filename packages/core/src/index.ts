// The whole public API of @ecr-scan-reporter/core. The subpaths `./config`, `./events`, `./reporter` and
// `./testing` each give one audience its part; everything they export is exported here too.
export * from "./accounts/index.js";
export * from "./config.js";
export {
  buildDigest,
  type DigestInputs,
  type DigestRouteInput,
  type ImageInUse,
  periodKeyOf,
  periodStartOf,
} from "./digest/build.js";
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
export {
  describeError,
  EcrScanReporterError,
  type ErrorCode,
  isRetryableAwsError,
  MessageError,
  RetryableAwsError,
} from "./errors.js";
export * from "./events.js";
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
  type ReportSubject,
  registryConsoleUrl,
} from "./findings/report.js";
export { applyIntel, cveIdsOf, hasFix, urgencyOrder } from "./intel/apply.js";
export { intelFromEnvironment } from "./intel/from-environment.js";
export { CVE_ID_PATTERN, type IntelLookup, noIntel, type ThreatIntel } from "./intel/intel.js";
export {
  createIntelMemo,
  createThreatIntel,
  type IntelMemo,
  type KevRefresh,
  LedgerThreatIntel,
} from "./intel/threat-intel.js";
export * from "./ledger/index.js";
export { createLogger, REDACTED, redactingReplacer, redactSecrets, toReporterLogger } from "./logger.js";
export {
  type CompactFinding,
  type ImageDetail,
  KNOWN_SCAN_STATUSES,
  type LastScan,
  type ReportChanges,
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
  type EntryRule,
  type EscalatePolicy,
  escalationReasons,
  evaluateThresholds,
  findEscalations,
  type IgnoreOutcome,
  isIgnoreEntryActive,
  NO_FINDING_WITH_A_FIX,
  type ReportPolicy,
  type RouteRule,
  reportForEntry,
  routeReport,
  type Thresholds,
} from "./policy/policy.js";
export * from "./reporter.js";
export * from "./reporters/index.js";
export { isRepositorySelected } from "./repository-filter.js";
export {
  parseScanRepositoryMessage,
  SCAN_MESSAGE_VERSION,
  type ScanRepositoryMessage,
  scanRepositoryMessageSchema,
} from "./scan-messages.js";
export { createTemplateSource, readTemplateFolder } from "./templates/template-source.js";
export {
  type DeliverReportOptions,
  type DeliveryResult,
  deliverReport,
  type HeldReport,
} from "./use-cases/deliver-report.js";
export {
  type EscalateKevDeps,
  escalateKev,
  escalationsOf,
  KEV_BATCH_MAX_CVES,
  type KevEscalationLimits,
  type KevEscalationRun,
  type KevRefresher,
  MAX_KEV_ESCALATIONS_PER_RUN,
  MAX_KEV_LOOKUPS_PER_RUN,
  type QueueEscalations,
  type UnqueuedEscalation,
} from "./use-cases/escalate-kev.js";
export {
  type ForgetDeletedImageDeps,
  type ForgettingPlan,
  forgetDeletedImage,
  type ImageDeletionOutcome,
  type ImageDeletionResult,
  planForgetting,
} from "./use-cases/forget-deleted-image.js";
export { type ImageToReport, type ReportImageDeps, reportImage } from "./use-cases/report-image.js";
export { runCoverage } from "./use-cases/run-coverage.js";
export {
  type ReportJobDeps,
  type ReportJobOutcome,
  type ReportJobResult,
  type RequeueReport,
  type RequeueRequest,
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
export {
  ACCOUNTS_READ_AT_ONCE,
  type AccountSelection,
  type AccountsSelection,
  selectAccountsRepositories,
  type UnreachableAccount,
} from "./use-cases/select-accounts.js";
export { type RegistrySelection, selectRepositories } from "./use-cases/select-repositories.js";
export {
  type BuildDigestsOptions,
  type BuiltDigests,
  buildDigests,
  type DigestOutcome,
  digestRoutes,
  type RouteDigest,
  type SendDigestsOptions,
  type SendDigestsResult,
  sendDigests,
} from "./use-cases/send-digests.js";
export {
  type ConfigValidation,
  checkTemplatesFolder,
  unknownReporterProblems,
  type ValidateConfigDeps,
  type ValidationCheck,
  type ValidationProblem,
  validateConfigText,
} from "./use-cases/validate-config.js";
