export {
  type CoalescedScanCompletions,
  coalesceScanCompletions,
  scanCompletionKey,
} from "./coalesce.js";
export {
  ACCOUNT_ID_PATTERN,
  IMAGE_DIGEST_PATTERN,
  type ImageArn,
  isImageDigest,
  isRepositoryName,
  parseImageArn,
  parseRepositoryArn,
  REPOSITORY_NAME_PATTERN,
  type RepositoryArn,
} from "./identifiers.js";
export {
  IMAGE_DELETED_EVENT,
  type ImageActionEventResult,
  type ImageDeleted,
  type ImageDeletionJob,
  isImageActionDocument,
  parseImageActionEvent,
  planImageDeletionJobs,
} from "./image-deleted.js";
export {
  buildKevEscalationMessage,
  findingsNowKnownExploited,
  isKevEscalationDocument,
  type KevEscalation,
  type KevEscalationRequest,
  kevEscalationSendKey,
  normalizeCveIds,
  parseKevEscalationMessage,
} from "./kev-escalation.js";
export {
  MAX_FINDINGS_WAITS,
  MAX_REPORT_ATTEMPTS,
  planFindingsWait,
  planReporterRetry,
  planReportJobs,
  type ReporterRetryOptions,
  type ReportJob,
  type ReportRequest,
  type RetryPlan,
  SQS_MAX_DELAY_SECONDS,
} from "./report-jobs.js";
export {
  buildFindingsWaitMessageBody,
  buildRetryMessageBody,
  parseReportQueueMessage,
  RETRY_ENVELOPE_VERSION,
  type ReportQueueMessage,
  type RetryEnvelope,
  retryEnvelopeSchema,
} from "./report-queue.js";
export {
  type IgnoredEvent,
  parseScanEvent,
  SCAN_EVENT_TYPES,
  type ScanCompleted,
  type ScanCompletedSource,
  type ScanEventResult,
} from "./scan-event.js";
export {
  awsEcrContainerImageSchema,
  type EcrImageDeletedEvent,
  type EcrImageScanEvent,
  ecrImageDeletedEventSchema,
  ecrImageScanEventSchema,
  type Inspector2FindingEvent,
  type Inspector2ScanEvent,
  inspector2FindingEventSchema,
  inspector2ScanEventSchema,
  KEV_ESCALATION_KIND,
  KEV_ESCALATION_MESSAGE_VERSION,
  type KevEscalationMessage,
  kevEscalationMessageSchema,
} from "./schemas.js";
