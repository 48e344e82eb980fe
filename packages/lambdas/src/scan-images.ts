import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  type AccountAccess,
  addScanRunCounts,
  type Config,
  createLogger,
  describeError,
  emptyScanRunCounts,
  isRetryableAwsError,
  MessageError,
  parseScanRepositoryMessage,
  planOptionsOf,
  RetryableAwsError,
  runCoverage,
  type ScanRepositoryMessage,
  type ScanRunCounts,
  scanRepository,
  toReporterLogger,
  UnlistedAccountError,
} from "@ecr-scan-reporter/core";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { deadLetterMalformedMessage } from "./dead-letter.js";
import { createLedger, createMetrics, getAccountAccess, getConfig } from "./runtime.js";

const logger = createLogger("scan-images");
const metrics = createMetrics("scan-images");
const sqs = new SQSClient({ retryMode: "adaptive", maxAttempts: 8 });
const processor = new BatchProcessor(EventType.SQS);
const ledger = createLedger(toReporterLogger(logger));

/** Scans one repository message; throws only for what a retry can mend, so SQS redelivers just that message. */
async function scanOneRepository(
  record: SQSRecord,
  config: Config,
  access: AccountAccess,
  total: { counts: ScanRunCounts },
) {
  let message: ReturnType<typeof parseScanRepositoryMessage>;
  try {
    message = parseScanRepositoryMessage(record.body);
  } catch (error) {
    // Stryker disable next-line ConditionalExpression: parseScanRepositoryMessage throws nothing but MessageError, for any body
    if (!(error instanceof MessageError)) throw error;
    await deadLetterMalformedMessage({
      sqs,
      dlqUrl: process.env.SCAN_DLQ_URL,
      record,
      error,
      logger,
      queue: "scan",
    });
    total.counts.decisions["message:malformed"] = (total.counts.decisions["message:malformed"] ?? 0) + 1;
    return;
  }
  const log = {
    messageId: record.messageId,
    registryId: message.registryId,
    repositoryName: message.repositoryName,
    runId: message.runId,
  };
  try {
    // The registry's own account: a member's role under `accounts`, never the hub's credentials for it.
    const gateway = access.gateway(message.registryId);
    const { plan, started, counts } = await scanRepository(gateway, message.repositoryName, {
      ...planOptionsOf(config.scan, message, new Date()),
      ledger,
      warn: (text, fields) => logger.warn(text, { ...log, ...fields }),
    });
    if (!plan.found) logger.warn("repository no longer exists; nothing to scan", log);
    for (const { image, decision } of plan.decisions) {
      if (decision.action === "skip") {
        logger.debug("skip", {
          ...log,
          imageDigest: image.imageDigest,
          reason: decision.reason,
          detail: decision.detail,
        });
      }
    }
    for (const { image, result } of started) {
      logger.info("scan requested", {
        ...log,
        imageDigest: image.imageDigest,
        tags: image.imageTags,
        ...result,
      });
    }
    total.counts = addScanRunCounts(total.counts, counts);
    logger.info("repository scanned", { ...log, counts });
    if (plan.found) await recordCoverage(message, runCoverage(plan.decisions, started), log);
    if (counts.retryableFailures > 0) {
      // The scans already started now read IN_PROGRESS, so the retry only redoes the ones that failed.
      throw new RetryableAwsError(`${counts.retryableFailures} scan(s) failed with a retryable error`);
    }
  } catch (error) {
    if (isRetryableAwsError(error)) {
      logger.warn("repository will be retried", { ...log, error: describeError(error) });
      throw error;
    }
    const outcome = failureOutcomeOf(error);
    logger.error(
      outcome === "message:access-denied"
        ? "repository not scannable: access denied; the other repositories go on"
        : "repository could not be scanned; not retried",
      { ...log, error: describeError(error) },
    );
    total.counts.decisions[outcome] = (total.counts.decisions[outcome] ?? 0) + 1;
  }
}

/**
 * How a repository that could not be scanned is counted: an account taken out of `accounts` since the message was
 * queued (its registry is not read any more), a repository the credentials may not read (a member role narrowed to
 * some repositories, a repository policy that denies), or any other failure.
 */
function failureOutcomeOf(error: unknown): string {
  if (error instanceof UnlistedAccountError) return "message:account-not-listed";
  if ((error as { name?: unknown } | undefined)?.name === "AccessDeniedException")
    return "message:access-denied";
  return "message:failed";
}

/** What this run decided about the repository's images, for digests; a ledger failure costs the coverage only. */
async function recordCoverage(
  message: ScanRepositoryMessage,
  coverage: ReturnType<typeof runCoverage>,
  log: Record<string, unknown>,
) {
  try {
    await ledger.recordCoverage({
      registryId: message.registryId,
      repository: message.repositoryName,
      runId: message.runId,
      at: new Date().toISOString(),
      ...coverage,
    });
  } catch (error) {
    logger.warn("coverage not recorded in the findings ledger", { ...log, error: describeError(error) });
  }
}

/** The scan-queue consumer: plans and starts scans per repository message, with partial batch failures. */
export async function handler(event: SQSEvent, context?: Context) {
  if (context) logger.addContext(context);
  const config = await getConfig();
  const access = getAccountAccess(config, context);
  const total = { counts: emptyScanRunCounts() };
  const response = await processPartialResponse(
    event,
    (record: SQSRecord) => scanOneRepository(record, config, access, total),
    processor,
    { context, throwOnFullBatchFailure: false },
  );

  const summary = {
    messages: event.Records.length,
    messagesRetried: response.batchItemFailures.length,
    ...total.counts,
  };
  logger.info("scan-images summary", { summary });
  metrics.addMetric("ImagesSeen", MetricUnit.Count, total.counts.images);
  metrics.addMetric("ScansStarted", MetricUnit.Count, total.counts.outcomes.started ?? 0);
  metrics.addMetric("MessagesRetried", MetricUnit.Count, response.batchItemFailures.length);
  metrics.addMetric("LedgerMissedScans", MetricUnit.Count, total.counts.ledgerMissedScans ?? 0);
  for (const [outcome, count] of Object.entries(total.counts.outcomes)) {
    metrics
      .singleMetric()
      .addDimension("outcome", outcome)
      .addMetric("ScanRequests", MetricUnit.Count, count);
  }
  for (const [decision, count] of Object.entries(total.counts.decisions)) {
    metrics
      .singleMetric()
      .addDimension("decision", decision)
      .addMetric("ImageDecisions", MetricUnit.Count, count);
  }
  metrics.publishStoredMetrics();
  return response;
}
