// The findings ledger (docs/architecture.md, "Findings ledger"): what the product remembers between scans.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDbDigestLedger } from "./digest-ledger.js";
import { DynamoDbLedger } from "./dynamodb-ledger.js";
import { disabledLedger, type FindingsLedger, type LedgerLogger } from "./ledger.js";

export {
  carryFirstSeen,
  computeChanges,
  findingIdentity,
  type PreviousReport,
  toCompactFinding,
} from "./changes.js";
export { decodeFinding, decodeFindings, encodeFinding, type FittedFindings, fitFindings } from "./compact.js";
export {
  type DeletedImageItems,
  type ForgetImageOutcome,
  GONE_REFERENCE_RETENTION_MS,
  referencesOfDeletedImage,
  sortDeletedImageItems,
} from "./deleted-images.js";
export {
  type DigestClaim,
  type DigestClaimOutcome,
  type DigestLedger,
  DynamoDbDigestLedger,
} from "./digest-ledger.js";
export {
  CHANGE_LOG_RETENTION_MS,
  type ChangeLogEntry,
  COVERAGE_COUNTS,
  changeLogPartition,
  changeLogPartitions,
  coverageKey,
  type DigestState,
  digestStateKey,
  type RepositoryCoverage,
} from "./digest-records.js";
export { CLAIM_TIMEOUT_MS, DynamoDbLedger } from "./dynamodb-ledger.js";
export {
  compareExposedImages,
  countExposedImages,
  type ExposedImage,
  type ExposedVulnerability,
  type Exposure,
  ExposureError,
  type ExposureOptions,
  type ExposureStats,
  type ExposureTarget,
  exposureJson,
  exposureQueryInput,
  groupExposure,
  highestVersion,
  parsePackageArgument,
  queryExposure,
  tagsPointingAt,
  vulnerabilityIdCandidates,
} from "./exposure.js";
export {
  DynamoDbKevEscalations,
  KEV_ESCALATION_PARTITION,
  KEV_ESCALATION_SORT_KEY,
  type KevEscalationBatch,
  type KevEscalationLease,
  type KevEscalationProgress,
  type KevEscalationStore,
  kevEscalationKey,
  type PendingKevEscalations,
  parseKevEscalationItem,
} from "./kev-escalations.js";
export {
  type ClaimOutcome,
  disabledLedger,
  type FindingsLedger,
  type KnownScan,
  LedgerError,
  type LedgerLogger,
  lastScanOf,
  NO_LEDGER_MESSAGE,
  type RecordScanOutcome,
  type ReferenceHistory,
  type ReportToRecord,
  type ScanToRecord,
  type SendClaim,
  type SendRequest,
} from "./ledger.js";
export {
  decideNotification,
  type LastSent,
  NOTIFY_MODES,
  type NotificationDecision,
  type NotificationInput,
  type NotificationKind,
  type NotificationWhy,
  type NotifyMode,
} from "./notify.js";
export {
  type ImageScanRecord,
  type ItemKey,
  imageKey,
  imageName,
  isoTimeOf,
  type LastReportRecord,
  LEDGER_SCHEMA_VERSION,
  type LedgerImage,
  type LedgerReference,
  lastReportKey,
  type Parsed,
  parseImageFindingsItem,
  parseImageItem,
  parseLastReportItem,
  parseSentItem,
  referenceName,
  referencesOf,
  type SentRecord,
  scanKeyOf,
  sentKey,
} from "./records.js";
export { decodeCounts, encodeCounts, type ImageSummary, summarizeFindings, summaryOf } from "./summary.js";
export {
  createLedgerTableInput,
  LEDGER_TABLE,
  ledgerPointInTimeRecoveryInput,
  ledgerTimeToLiveInput,
  PACKAGE_INDEX,
  VULNERABILITY_INDEX,
} from "./table.js";
export {
  BATCH_GET_MAX_KEYS,
  type DynamoDbLedgerOptions,
  type LedgerStats,
  MAX_BATCH_GET_ATTEMPTS,
  MAX_ITEM_BYTES,
} from "./table-client.js";
export {
  parseVulnerabilityIndexItem,
  sameIndexEntry,
  VULNERABILITY_SORT_PREFIX,
  type VulnerabilityIndexEntry,
  vulnerabilityIndexItem,
  vulnerabilityIndexKey,
  vulnerabilitySortKey,
} from "./vulnerability-index.js";

/** The environment variable naming the ledger's table; unset, the product runs without a ledger. */
export const LEDGER_TABLE_ENV = "LEDGER_TABLE_NAME";

/**
 * The ledger for a table name (from LEDGER_TABLE_NAME), or the stand-in without one. `client` is called only when
 * there is a table, so a run without a ledger creates no DynamoDB client.
 */
export function openLedger(options: {
  tableName: string | undefined;
  client: () => Pick<DynamoDBClient, "send">;
  logger: LedgerLogger;
  now?: () => Date;
}): FindingsLedger {
  const tableName = options.tableName?.trim();
  if (!tableName) return disabledLedger(options.logger);
  return new DynamoDbLedger({
    client: options.client(),
    tableName,
    logger: options.logger,
    now: options.now,
  });
}

/** Attempts per ledger call, first one included, unless AWS_MAX_ATTEMPTS says otherwise (as for ECR). */
export const DEFAULT_LEDGER_MAX_ATTEMPTS = 8;

/**
 * The ledger of LEDGER_TABLE_NAME in an environment (a Lambda's, the CLI's), with a DynamoDB client that retries
 * throttling adaptively like the product's other clients; the stand-in when the variable is unset.
 */
export function ledgerFromEnvironment(
  env: Record<string, string | undefined>,
  logger: LedgerLogger,
): FindingsLedger {
  return openLedger({ tableName: env[LEDGER_TABLE_ENV], client: () => ledgerClientFor(env), logger });
}

/**
 * Both sides of the ledger of a table (the findings ledger and the digests' side) on one DynamoDB client, for
 * send-digests and the CLI's `digest` (digests need a table: there is no stand-in).
 */
export function openDigestLedgers(
  tableName: string,
  env: Record<string, string | undefined>,
  logger: LedgerLogger,
): { ledger: DynamoDbLedger; digestLedger: DynamoDbDigestLedger } {
  const client = ledgerClientFor(env);
  return {
    ledger: new DynamoDbLedger({ client, tableName, logger }),
    digestLedger: new DynamoDbDigestLedger({ client, tableName, logger }),
  };
}

/** A DynamoDB client that retries throttling adaptively, AWS_MAX_ATTEMPTS times (else the ledger's default). */
export function ledgerClientFor(env: Record<string, string | undefined>): DynamoDBClient {
  const fromEnv = Number(env.AWS_MAX_ATTEMPTS);
  const maxAttempts = Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_LEDGER_MAX_ATTEMPTS;
  return new DynamoDBClient({ retryMode: "adaptive", maxAttempts });
}
