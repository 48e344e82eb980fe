import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  type AccountAccess,
  type AccountSelection,
  type Config,
  createLogger,
  SCAN_MESSAGE_VERSION,
  type ScanRepositoryMessage,
  type ScanType,
  selectAccountsRepositories,
  toReporterLogger,
} from "@ecr-scan-reporter/core";
import type { Context } from "aws-lambda";
import { runKevStep } from "./kev-escalation.js";
import { createMetrics, getAccountAccess, getConfig, requireEnv } from "./runtime.js";
import { QueueSendError, sendScanMessages } from "./scan-queue.js";

const logger = createLogger("schedule-scans");
const metrics = createMetrics("schedule-scans");
const sqs = new SQSClient({ retryMode: "adaptive", maxAttempts: 8 });

/** The scan-repository messages of one account's selected repositories; none under enhanced scanning. */
function scanMessagesOf(selection: AccountSelection, runId: string): ScanRepositoryMessage[] {
  // Under enhanced scanning Inspector rescans continuously and StartImageScan is not supported: queue nothing.
  if (selection.scanType === "ENHANCED") return [];
  return selection.selected.map((r) => ({
    version: SCAN_MESSAGE_VERSION,
    kind: "scan-repository",
    registryId: r.registryId,
    repositoryName: r.repositoryName,
    scanType: selection.scanType,
    runId,
  }));
}

/**
 * The scan type of each reached registry, for the KEV step's messages. Without `accounts`, the one registry's (an
 * image's registryId there is always its own); under `accounts`, BASIC for a registry the run could not read.
 */
function scanTypeByRegistry(
  reached: readonly AccountSelection[],
  multiAccount: boolean,
): (registryId: string) => ScanType {
  const byRegistry = new Map<string, ScanType>();
  for (const selection of reached) {
    for (const r of selection.repositories) byRegistry.set(r.registryId, selection.scanType);
    if (selection.account.accountId) byRegistry.set(selection.account.accountId, selection.scanType);
  }
  const only = !multiAccount && reached.length === 1 ? reached[0]?.scanType : undefined;
  return (registryId) => byRegistry.get(registryId) ?? only ?? "BASIC";
}

/**
 * Runs on the EventBridge schedule: lists the repositories of every covered account (the deployment's own, or each
 * of `accounts` with its member role), keeps those the config selects, reads each registry's scan type once, and
 * queues one scan-repository message per repository. An account it cannot read is named in the summary and the
 * `AccountsUnreachable` metric, and the others go on. Then, with the findings ledger, the KEV step: CISA's catalog
 * refreshed, and one report queued per image in use whose findings have a CVE id newly on it (kev-escalation.ts);
 * that step never fails the run.
 */
export async function handler(
  _event: unknown,
  context?: Pick<Context, "awsRequestId"> & Partial<Pick<Context, "invokedFunctionArn">>,
) {
  // Powertools' addContext reads the context's fields: without one (a local or test invocation) it would throw.
  if (context) logger.addContext(context as Context);
  const config: Config = await getConfig();
  const queueUrl = requireEnv("SCAN_QUEUE_URL", "it names the queue scan-images reads");
  const runId = context?.awsRequestId ?? `run-${Date.now()}`;
  const access: AccountAccess = getAccountAccess(config, context);

  const { reached, unreachable } = await selectAccountsRepositories(access, config);
  // Without `accounts` the registry is the deployment's own: not reading it fails the run (Lambda retries it), as
  // before, and before anything is queued.
  const ownRegistryUnread = config.accounts ? undefined : unreachable[0];
  if (ownRegistryUnread) throw ownRegistryUnread.error;
  for (const { account, reason, retryable } of unreachable) {
    logger.error("account not reachable; its repositories are not scanned this run", {
      accountId: account.accountId,
      accountName: account.name,
      roleArn: account.roleArn,
      reason,
      retryable,
    });
  }

  const messages = reached.flatMap((selection) => scanMessagesOf(selection, runId));
  const sent = await sendScanMessages(sqs, queueUrl, messages);
  // Before a failed send fails the run: Lambda's retry of the run finds the escalations already queued.
  const kev = await runKevStep({
    config,
    env: process.env,
    sqs,
    scanType: scanTypeByRegistry(reached, config.accounts !== undefined),
    logger: toReporterLogger(logger),
  });

  const repositories = reached.reduce((n, s) => n + s.repositories.length, 0);
  const selected = reached.reduce((n, s) => n + s.selected.length, 0);
  const scanTypes = [...new Set(reached.map((s) => s.scanType))];
  const summary = {
    runId,
    scanType: scanTypes.length === 1 ? scanTypes[0] : scanTypes.length === 0 ? undefined : "MIXED",
    ...(config.accounts && {
      accounts: config.accounts.length,
      accountsReached: reached.length,
      accountsUnreachable: unreachable.map(({ account, reason }) => ({
        accountId: account.accountId,
        name: account.name,
        reason,
      })),
    }),
    repositories,
    selected,
    notSelected: repositories - selected,
    messagesSent: sent.sent,
    messagesFailed: sent.failed.length,
    sqsCalls: sent.calls,
    ...kev,
  };
  logger.info(
    scanTypes.length === 1 && scanTypes[0] === "ENHANCED"
      ? "schedule-scans summary: registry uses enhanced scanning, Amazon Inspector rescans by itself"
      : "schedule-scans summary",
    { summary },
  );
  metrics.addMetric("RepositoriesSelected", MetricUnit.Count, selected);
  metrics.addMetric("ScanMessagesSent", MetricUnit.Count, sent.sent);
  metrics.addMetric("ScanMessagesFailed", MetricUnit.Count, sent.failed.length);
  if (config.accounts) metrics.addMetric("AccountsUnreachable", MetricUnit.Count, unreachable.length);
  if (kev) {
    metrics.addMetric("KevEscalationsQueued", MetricUnit.Count, kev.kevEscalationsQueued);
    metrics.addMetric("KevEscalationsLeft", MetricUnit.Count, kev.kevEscalationsLeft);
  }
  metrics.publishStoredMetrics();

  if (sent.failed.length > 0) throw new QueueSendError(sent.failed);
  return summary;
}
