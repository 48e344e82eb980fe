import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SQSClient } from "@aws-sdk/client-sqs";
import { BUILT_IN_REPORTERS } from "@ecr-scan-reporter/built-in-reporters";
import {
  type Config,
  createEcrClient,
  createLogger,
  createPackageResolver,
  LAYER_NODE_MODULES,
  type LoadedReporter,
  loadReporters,
  MessageError,
  parseReportQueueMessage,
  planReportJobs,
  type ReportRequest,
  runReportJob,
  toReporterLogger,
  verifyReporters,
} from "@ecr-scan-reporter/core";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import pLimit from "p-limit";
import { deadLetterMalformedMessage } from "./dead-letter.js";
import { sqsRequeue } from "./report-queue.js";
import { createLambdaReporterDeps } from "./reporter-deps.js";
import { createLedger, createMetrics, getConfig } from "./runtime.js";

/** Reports built at once in one invocation; each holds its findings in memory. */
const REPORT_CONCURRENCY = 4;

const logger = createLogger("report-findings");
const reporterLogger = toReporterLogger(logger);
const metrics = createMetrics("report-findings");
const ecr = createEcrClient();
const sqs = new SQSClient({ retryMode: "adaptive", maxAttempts: 8 });
const ledger = createLedger(reporterLogger);

let reportersPromise: Promise<LoadedReporter[]> | undefined;

/** Loads, validates and verifies the configured reporters once per cold start; a failure is not cached. */
function getReporters(config: Config): Promise<LoadedReporter[]> {
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

/** The report-queue consumer: one report per image per batch, reporters dispatched, partial batch failures. */
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  if (context) logger.addContext(context);
  const config = await getConfig();
  const reporters = await getReporters(config);

  const requests: ReportRequest[] = [];
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
        requests.push({ messageId: record.messageId, message });
      }
    } catch (error) {
      // Stryker disable next-line ConditionalExpression: parseReportQueueMessage throws nothing but MessageError, for any body
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

  const jobs = planReportJobs(requests);
  const deps = {
    ecr,
    reporters,
    policy: config,
    logger: reporterLogger,
    requeue: sqsRequeue(sqs, { queueUrl: process.env.REPORT_QUEUE_URL, dlqUrl: process.env.REPORT_DLQ_URL }),
    ledger,
  };
  const limit = pLimit(REPORT_CONCURRENCY);
  const results = await Promise.all(jobs.map((job) => limit(() => runReportJob(job, deps))));
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
