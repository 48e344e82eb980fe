import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  type Config,
  createLogger,
  forgetDeletedImage,
  type ImageDeleted,
  lookUpAccount,
  MessageError,
  parseReportQueueMessage,
  planImageDeletionJobs,
  planReportJobs,
  type ReportQueueMessage,
  type ReportRequest,
  reportAccountName,
  runReportJob,
  toReporterLogger,
} from "@ecr-scan-reporter/core";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import pLimit from "p-limit";
import { deadLetterMalformedMessage } from "./dead-letter.js";
import { sqsRequeue } from "./report-queue.js";
import { getLambdaReporters } from "./reporters.js";
import { createLedger, createMetrics, getAccountAccess, getConfig, getIntel } from "./runtime.js";

/** Reports built at once in one invocation; each holds its findings in memory. */
const REPORT_CONCURRENCY = 4;

const logger = createLogger("report-findings");
const reporterLogger = toReporterLogger(logger);
const metrics = createMetrics("report-findings");
const sqs = new SQSClient({ retryMode: "adaptive", maxAttempts: 8 });
const ledger = createLedger(reporterLogger);

/** The registry a report-queue message is about: the account whose credentials read it. */
function registryOf(message: Exclude<ReportQueueMessage, { kind: "ignored" }>): string {
  return message.event.registryId;
}

/**
 * Whether the configuration covers the account of an event's registry. An event of any other account (a member
 * forwarding events to the hub's bus, an organization-wide bus policy) is logged and dropped: its registry is never
 * read, with the hub's credentials or any other.
 */
function isAccountCovered(config: Config, registryId: string, messageId: string): boolean {
  if (lookUpAccount(config, registryId).kind !== "unlisted") return true;
  logger.warn("dropping an event of an account not in the configuration's accounts", {
    messageId,
    accountId: registryId,
  });
  return false;
}

/**
 * The report-queue consumer: one report per image per batch, reporters dispatched, then the images ECR deleted
 * forgotten by the findings ledger; partial batch failures.
 */
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  if (context) logger.addContext(context);
  const config = await getConfig();
  const reporters = await getLambdaReporters(config, logger);

  const requests: ReportRequest[] = [];
  const deletions: { messageId: string; event: ImageDeleted }[] = [];
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
      } else if (!isAccountCovered(config, registryOf(message), record.messageId)) {
        dropped += 1;
      } else if (message.kind === "image-deleted") {
        deletions.push({ messageId: record.messageId, event: message.event });
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
  const access = getAccountAccess(config, context);
  const deps = {
    reporters,
    policy: config,
    logger: reporterLogger,
    requeue: sqsRequeue(sqs, { queueUrl: process.env.REPORT_QUEUE_URL, dlqUrl: process.env.REPORT_DLQ_URL }),
    ledger,
    intel: getIntel(config, reporterLogger),
  };
  const limit = pLimit(REPORT_CONCURRENCY);
  // Each image is read in its own account, with that account's credentials (the hub's for its own registry).
  const results = await Promise.all(
    jobs.map((job) =>
      limit(() =>
        runReportJob(job, {
          ...deps,
          ecr: access.ecr(job.event.registryId),
          accountName: reportAccountName(config, job.event.registryId),
        }),
      ),
    ),
  );
  // After the reports: a report of the same batch records its tags' last reports, which a removed tag's expiry
  // must then find.
  const deletionJobs = planImageDeletionJobs(deletions);
  const forgotten = await Promise.all(
    deletionJobs.map((job) =>
      limit(() =>
        forgetDeletedImage(job, { ecr: access.ecr(job.registryId), ledger, logger: reporterLogger }),
      ),
    ),
  );
  const batchItemFailures = [...results, ...forgotten]
    .flatMap((r) => r.retry)
    .map((itemIdentifier) => ({ itemIdentifier }));

  const outcomes: Record<string, number> = {};
  for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
  const deletionOutcomes: Record<string, number> = {};
  for (const r of forgotten) deletionOutcomes[r.outcome] = (deletionOutcomes[r.outcome] ?? 0) + 1;
  logger.info("report-findings summary", {
    summary: {
      messages: event.Records.length,
      dropped,
      reports: jobs.length,
      outcomes,
      // A batch without deletions sums up as before they were handled.
      ...(deletionJobs.length > 0 ? { deletions: deletionJobs.length, deletionOutcomes } : {}),
      messagesRetried: batchItemFailures.length,
    },
  });
  metrics.addMetric("Reports", MetricUnit.Count, jobs.length);
  metrics.addMetric("ImagesForgotten", MetricUnit.Count, deletionOutcomes.forgotten ?? 0);
  metrics.addMetric("MessagesDropped", MetricUnit.Count, dropped);
  metrics.addMetric("MessagesRetried", MetricUnit.Count, batchItemFailures.length);
  metrics.publishStoredMetrics();
  return { batchItemFailures };
}
