import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  buildRetryMessageBody,
  buildScanReport,
  coalesceScanCompletions,
  createEcrClient,
  createLogger,
  createPackageResolver,
  describeError,
  dispatchReport,
  fetchNormalizedFindings,
  isRetryableAwsError,
  LAYER_NODE_MODULES,
  type LoadedReporter,
  loadReporters,
  MessageError,
  parseReportQueueMessage,
  type ReportQueueMessage,
  type ScanCompleted,
  toReporterLogger,
  verifyReporters,
} from "@ecr-scan-reporter/core";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import pLimit from "p-limit";
import { BUILT_IN_REPORTERS } from "./built-in-reporters.js";
import { deadLetterMalformedMessage } from "./dead-letter.js";
import { createLambdaReporterDeps } from "./reporter-deps.js";
import { createMetrics, getConfig } from "./runtime.js";

/** Deliveries of one report before its failing reporters are parked in the dead-letter queue. */
export const MAX_REPORT_ATTEMPTS = 5;
/** Reports built at once in one invocation; each holds its findings in memory. */
const REPORT_CONCURRENCY = 4;

const logger = createLogger("report-findings");
const reporterLogger = toReporterLogger(logger);
const metrics = createMetrics("report-findings");
const ecr = createEcrClient();
const sqs = new SQSClient({ retryMode: "adaptive", maxAttempts: 8 });

let reportersPromise: Promise<LoadedReporter[]> | undefined;

/** Loads, validates and verifies the configured reporters once per cold start. */
function getReporters(config: Awaited<ReturnType<typeof getConfig>>): Promise<LoadedReporter[]> {
  reportersPromise ??= (async () => {
    const reporters = await loadReporters(
      config.reporters,
      BUILT_IN_REPORTERS,
      createLambdaReporterDeps(logger),
      // Custom reporter packages come from a Lambda layer (/opt/nodejs/node_modules) unless told otherwise.
      createPackageResolver(process.env.ECR_SCAN_REPORTER_REPORTERS_PATH || LAYER_NODE_MODULES),
    );
    for (const failure of await verifyReporters(reporters)) {
      logger.warn("reporter verification failed; it will still be tried for each report", failure);
    }
    logger.info("reporters ready", { reporters: reporters.map((r) => r.id) });
    return reporters;
  })().catch((error: unknown) => {
    reportersPromise = undefined;
    throw error;
  });
  return reportersPromise;
}

/** One report to produce: an image, the records it answers, and which reporters to run. */
interface ReportJob {
  event: ScanCompleted;
  rawEvent: Record<string, unknown>;
  messageIds: string[];
  /** Undefined: every reporter. */
  only?: string[];
  attempt: number;
}

/**
 * Turns a batch's parsed messages into one job per image: plain events coalesced (a burst of Inspector finding
 * events is one report), targeted retries merged per image, and a retry dropped when a plain event for the same
 * image already runs every reporter.
 */
export function planReportJobs(
  parsed: { messageId: string; message: Extract<ReportQueueMessage, { kind: "scan-completed" }> }[],
): ReportJob[] {
  const plain = parsed.filter((p) => !p.message.retryReporters);
  const retries = parsed.filter((p) => p.message.retryReporters);
  const coalesced = coalesceScanCompletions(plain.map((p) => p.message.event));
  const jobs: ReportJob[] = coalesced.unique.map((event, i) => {
    const group = (coalesced.groups[i] ?? []).map((index) => plain[index]);
    return {
      event,
      rawEvent: group.find((p) => p?.message.event === event)?.message.rawEvent ?? {},
      messageIds: group.flatMap((p) => (p ? [p.messageId] : [])),
      attempt: 1,
    };
  });
  const key = (e: ScanCompleted) => `${e.registryId}/${e.repositoryName}@${e.imageDigest}`;
  for (const retry of retries) {
    const existing = jobs.find((j) => key(j.event) === key(retry.message.event));
    if (existing && !existing.only) {
      existing.messageIds.push(retry.messageId);
      continue;
    }
    if (existing?.only) {
      existing.only = [...new Set([...existing.only, ...(retry.message.retryReporters ?? [])])];
      existing.attempt = Math.max(existing.attempt, retry.message.attempt);
      existing.messageIds.push(retry.messageId);
      continue;
    }
    jobs.push({
      event: retry.message.event,
      rawEvent: retry.message.rawEvent,
      messageIds: [retry.messageId],
      only: retry.message.retryReporters,
      attempt: retry.message.attempt,
    });
  }
  return jobs;
}

/** Queues the failed reporters of a report again (or parks them in the DLQ after MAX_REPORT_ATTEMPTS). */
async function requeueFailedReporters(job: ReportJob, failed: string[]) {
  const queueUrl = process.env.REPORT_QUEUE_URL;
  const dlqUrl = process.env.REPORT_DLQ_URL;
  const nextAttempt = job.attempt + 1;
  const exhausted = nextAttempt > MAX_REPORT_ATTEMPTS;
  const target = exhausted ? dlqUrl : queueUrl;
  if (!target) return false;
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: target,
      MessageBody: buildRetryMessageBody(job.rawEvent, failed, nextAttempt),
      // Back off between attempts: 1, 2, 4, 8 minutes (SQS allows up to 15).
      DelaySeconds: exhausted ? 0 : Math.min(900, 60 * 2 ** (job.attempt - 1)),
    }),
  );
  return true;
}

/** Builds and dispatches one report; returns the message ids SQS must redeliver (none when all is settled). */
async function runReportJob(
  job: ReportJob,
  config: Awaited<ReturnType<typeof getConfig>>,
  reporters: LoadedReporter[],
) {
  const { event } = job;
  const image = { repository: event.repositoryName, digest: event.imageDigest, messageIds: job.messageIds };
  let report: Awaited<ReturnType<typeof buildScanReport>>["report"];
  try {
    const fetched = await fetchNormalizedFindings(ecr, {
      registryId: event.registryId,
      repositoryName: event.repositoryName,
      imageDigest: event.imageDigest,
    });
    const built = buildScanReport({
      account: event.account,
      region: event.region,
      registryId: event.registryId,
      repository: event.repositoryName,
      digest: event.imageDigest,
      tags: event.imageTags,
      scanType: event.scanType,
      fetched,
      policy: config,
    });
    for (const entry of built.expiredIgnoreEntries) {
      logger.warn("ignore entry has expired and no longer hides a finding", {
        ...image,
        id: entry.id,
        until: entry.until,
        reason: entry.reason,
      });
    }
    report = built.report;
  } catch (error) {
    if (isRetryableAwsError(error)) {
      logger.warn("could not fetch findings; the message will be retried", {
        ...image,
        error: describeError(error),
      });
      return { retry: job.messageIds, outcome: "fetch-retry" };
    }
    logger.error("could not fetch findings; dropping the message", { ...image, error: describeError(error) });
    return { retry: [], outcome: "fetch-failed" };
  }

  const result = await dispatchReport(report, reporters, {
    logger: reporterLogger,
    attempt: job.attempt,
    only: job.only,
    source: job.messageIds[0],
  });
  logger.info("report", {
    ...image,
    tags: report.tags,
    status: report.status,
    counts: report.counts,
    verdict: report.verdict,
    attempt: job.attempt,
    outcomes: Object.fromEntries(result.outcomes.map((o) => [o.reporter, o.status])),
  });
  if (result.failed.length === 0) return { retry: [], outcome: report.verdict.due ? "reported" : "not-due" };
  try {
    if (await requeueFailedReporters(job, result.failed)) {
      logger.warn("re-queued the failed reporters only", {
        ...image,
        reporters: result.failed,
        attempt: job.attempt + 1,
      });
      return { retry: [], outcome: "partially-failed" };
    }
  } catch (error) {
    logger.error("could not re-queue the failed reporters; the whole message will be retried", {
      ...image,
      error: describeError(error),
    });
  }
  return { retry: job.messageIds, outcome: "partially-failed" };
}

/** The report-queue consumer: one report per image per batch, reporters dispatched, partial batch failures. */
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  if (context) logger.addContext(context);
  const config = await getConfig();
  const reporters = await getReporters(config);

  const parsed: Parameters<typeof planReportJobs>[0] = [];
  let dropped = 0;
  for (const record of event.Records) {
    try {
      const message = parseReportQueueMessage(record.body, record.messageId);
      if (message.kind === "ignored") {
        logger.info("ignoring event", {
          messageId: record.messageId,
          eventId: message.eventId,
          reason: message.reason,
        });
        dropped += 1;
      } else {
        parsed.push({ messageId: record.messageId, message });
      }
    } catch (error) {
      if (!(error instanceof MessageError)) throw error;
      await deadLetterMalformedMessage({
        sqs,
        dlqUrl: process.env.REPORT_DLQ_URL,
        record,
        error,
        logger,
        queue: "report",
      });
      dropped += 1;
    }
  }

  const jobs = planReportJobs(parsed);
  const limit = pLimit(REPORT_CONCURRENCY);
  const results = await Promise.all(jobs.map((job) => limit(() => runReportJob(job, config, reporters))));
  const batchItemFailures = results.flatMap((r) => r.retry).map((itemIdentifier) => ({ itemIdentifier }));

  const outcomes: Record<string, number> = {};
  for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  logger.info("report-findings summary", {
    summary: {
      messages: event.Records.length,
      dropped,
      reports: jobs.length,
      outcomes,
      messagesRetried: batchItemFailures.length,
    },
  });
  metrics.addMetric("Reports", MetricUnit.Count, jobs.length);
  metrics.addMetric("MessagesDropped", MetricUnit.Count, dropped);
  metrics.addMetric("MessagesRetried", MetricUnit.Count, batchItemFailures.length);
  metrics.publishStoredMetrics();
  return { batchItemFailures };
}
