import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  createEcrClient,
  createLogger,
  EcrGateway,
  SCAN_MESSAGE_VERSION,
  type ScanRepositoryMessage,
  selectRepositories,
  toReporterLogger,
} from "@ecr-scan-reporter/core";
import type { Context } from "aws-lambda";
import { runKevStep } from "./kev-escalation.js";
import { createMetrics, getConfig, requireEnv } from "./runtime.js";
import { QueueSendError, sendScanMessages } from "./scan-queue.js";

const logger = createLogger("schedule-scans");
const metrics = createMetrics("schedule-scans");
const gateway = new EcrGateway(createEcrClient());
const sqs = new SQSClient({ retryMode: "adaptive", maxAttempts: 8 });

/**
 * Runs on the EventBridge schedule: lists the repositories, keeps those the config selects, reads the
 * registry's scan type once, and queues one scan-repository message per repository. Then, with the findings
 * ledger, the KEV step: CISA's catalog refreshed, and one report queued per image in use whose findings have a
 * CVE id newly on it (kev-escalation.ts); that step never fails the run.
 */
export async function handler(_event: unknown, context?: Pick<Context, "awsRequestId">) {
  // Powertools' addContext reads the context's fields: without one (a local or test invocation) it would throw.
  if (context) logger.addContext(context as Context);
  const config = await getConfig();
  const queueUrl = requireEnv("SCAN_QUEUE_URL", "it names the queue scan-images reads");
  const runId = context?.awsRequestId ?? `run-${Date.now()}`;

  const { repositories, selected, scanType } = await selectRepositories(gateway, config.repositories);

  // Under enhanced scanning Inspector rescans continuously and StartImageScan is not supported: queue nothing.
  const messages: ScanRepositoryMessage[] =
    scanType === "ENHANCED"
      ? []
      : selected.map((r) => ({
          version: SCAN_MESSAGE_VERSION,
          kind: "scan-repository",
          registryId: r.registryId,
          repositoryName: r.repositoryName,
          scanType,
          runId,
        }));
  const sent = await sendScanMessages(sqs, queueUrl, messages);
  // Before a failed send fails the run: Lambda's retry of the run finds the escalations already queued.
  const kev = await runKevStep({ config, env: process.env, sqs, scanType, logger: toReporterLogger(logger) });

  const summary = {
    runId,
    scanType,
    repositories: repositories.length,
    selected: selected.length,
    notSelected: repositories.length - selected.length,
    messagesSent: sent.sent,
    messagesFailed: sent.failed.length,
    sqsCalls: sent.calls,
    ...kev,
  };
  logger.info(
    scanType === "ENHANCED"
      ? "schedule-scans summary: registry uses enhanced scanning, Amazon Inspector rescans by itself"
      : "schedule-scans summary",
    { summary },
  );
  metrics.addMetric("RepositoriesSelected", MetricUnit.Count, selected.length);
  metrics.addMetric("ScanMessagesSent", MetricUnit.Count, sent.sent);
  metrics.addMetric("ScanMessagesFailed", MetricUnit.Count, sent.failed.length);
  if (kev) {
    metrics.addMetric("KevEscalationsQueued", MetricUnit.Count, kev.kevEscalationsQueued);
    metrics.addMetric("KevEscalationsLeft", MetricUnit.Count, kev.kevEscalationsLeft);
  }
  metrics.publishStoredMetrics();

  if (sent.failed.length > 0) throw new QueueSendError(sent.failed);
  return summary;
}
