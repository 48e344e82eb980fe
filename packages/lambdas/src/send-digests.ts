import { MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  createLogger,
  EcrScanReporterError,
  openDigestLedgers,
  periodKeyOf,
  sendDigests,
  toReporterLogger,
} from "@ecr-scan-reporter/core";
import type { Context, ScheduledEvent } from "aws-lambda";
import { getLambdaReporters } from "./reporters.js";
import { createMetrics, getAccountAccess, getConfig, getIntel, requireEnv } from "./runtime.js";

const logger = createLogger("send-digests");
const reporterLogger = toReporterLogger(logger);
const metrics = createMetrics("send-digests");
let ledgers: ReturnType<typeof openDigestLedgers> | undefined;

/** A reporter's digest failed: the invocation fails, and Lambda's retry sends that digest (the others are claimed). */
export class DigestsFailedError extends EcrScanReporterError {
  constructor(failed: readonly string[]) {
    super(
      "DIGEST_FAILED",
      `digest not sent to ${failed.join(", ")}; the invocation is retried for those only`,
    );
  }
}

/**
 * Runs on the digest schedule: one digest per route (reporter entry) and period, built from the findings ledger.
 * The period is the schedule's time to the minute, so a doubled or retried invocation finds its digests claimed.
 */
export async function handler(event: Partial<ScheduledEvent>, context?: Context) {
  if (context) logger.addContext(context);
  const config = await getConfig();
  const tableName = requireEnv("LEDGER_TABLE_NAME", "digests are built from the findings ledger's table");
  ledgers ??= openDigestLedgers(tableName, process.env, reporterLogger);
  const reporters = await getLambdaReporters(config, logger);
  const scheduled = event.time ? new Date(event.time) : new Date();
  const now = Number.isNaN(scheduled.getTime()) ? new Date() : scheduled;

  const access = getAccountAccess(config, context);
  const result = await sendDigests({
    gateway: (accountId) => access.gateway(accountId),
    ledger: ledgers.ledger,
    digestLedger: ledgers.digestLedger,
    reporters,
    config,
    account: event.account ?? process.env.AWS_ACCOUNT_ID ?? "",
    region: event.region ?? process.env.AWS_REGION ?? "",
    now,
    periodKey: periodKeyOf(now),
    logger: reporterLogger,
    kev: getIntel(config, reporterLogger),
    source: event.id ?? context?.awsRequestId,
  });

  const count = (status: string) => result.outcomes.filter((o) => o.status === status).length;
  const summary = {
    periodKey: result.periodKey,
    repositories: result.repositories,
    images: result.images,
    imagesSummarizedOnRead: result.imagesSummarizedOnRead,
    sent: count("sent"),
    skipped: count("skipped"),
    held: count("held"),
    failed: result.failed,
    withoutDigest: result.withoutDigest,
  };
  logger.info("send-digests summary", { summary });
  metrics.addMetric("DigestsSent", MetricUnit.Count, summary.sent);
  metrics.addMetric("DigestsFailed", MetricUnit.Count, result.failed.length);
  metrics.publishStoredMetrics();
  if (result.failed.length > 0) throw new DigestsFailedError(result.failed);
  return summary;
}
