import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  buildKevEscalationMessage,
  type Config,
  createThreatIntel,
  DynamoDbKevEscalations,
  describeError,
  escalateKev,
  type KevEscalationRequest,
  type KevEscalationRun,
  LEDGER_TABLE_ENV,
  ledgerClientFor,
  queryExposure,
  type ScanType,
  type UnqueuedEscalation,
} from "@ecr-scan-reporter/core";
import { sendMessageBatches } from "./scan-queue.js";

/** What schedule-scans' summary says of the KEV step (issue 16, item 4) when it ran. */
export interface KevEscalationSummary {
  /** `failed`: the step stopped on an error (logged); the scheduled run went on. */
  kevEscalation: KevEscalationRun["state"] | "failed";
  kevCvesAdded: number;
  kevEscalationsQueued: number;
  /** Escalations found and left for the next run (beyond the bound, or refused by SQS). */
  kevEscalationsLeft: number;
  /** CVE ids whose escalation is not finished (their images not all looked up or queued yet). */
  kevCvesPending: number;
  kevEscalationsFailed: number;
}

export interface KevStepLogger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

export interface KevStepOptions {
  config: Pick<Config, "intel">;
  env: Record<string, string | undefined>;
  sqs: SQSClient;
  /** The scan type of an image's registry (one per account under `accounts`), for the message it is queued with. */
  scanType: ScanType | ((registryId: string) => ScanType);
  logger: KevStepLogger;
  now?: () => Date;
}

/**
 * The scheduled run's KEV step: refresh CISA's catalog (cached in the ledger), and queue on the report queue one
 * report per image in use whose findings have a CVE id newly on it (use-cases/escalate-kev.ts). Runs only with the
 * ledger (LEDGER_TABLE_NAME), the report queue (REPORT_QUEUE_URL) and `intel.kevUrl`; undefined when it did not
 * run. Never throws: a failure of the feed or of the step is logged, and the scheduled run goes on.
 */
export async function runKevStep(options: KevStepOptions): Promise<KevEscalationSummary | undefined> {
  const { config, env, sqs, logger } = options;
  const tableName = env[LEDGER_TABLE_ENV]?.trim();
  const queueUrl = env.REPORT_QUEUE_URL?.trim();
  if (config.intel.kevUrl === null || !tableName) return undefined;
  if (!queueUrl) {
    logger.warn("KEV escalations not run: REPORT_QUEUE_URL is not set (the module sets it with the ledger)");
    return undefined;
  }
  try {
    const client = ledgerClientFor(env);
    const now = options.now ?? (() => new Date());
    const region = await sqs.config.region();
    const intel = createThreatIntel({ intel: config.intel, ledger: { client, tableName }, logger, now });
    const run = await escalateKev({
      refresher: intel,
      store: new DynamoDbKevEscalations({ client, tableName, logger, now }),
      findImages: async (vulnerability) =>
        (await queryExposure({ client, tableName, vulnerability, logger })).images,
      queue: async (requests) => {
        const queuedAt = now();
        const bodies = requests.map((request) =>
          JSON.stringify(
            buildKevEscalationMessage(request, {
              region,
              scanType:
                typeof options.scanType === "function"
                  ? options.scanType(request.registryId)
                  : options.scanType,
              queuedAt,
            }),
          ),
        );
        const sent = await sendMessageBatches(sqs, queueUrl, bodies);
        return { failed: unqueued(requests, sent.failed) };
      },
      logger,
    });
    const summary: KevEscalationSummary = {
      kevEscalation: run.state,
      kevCvesAdded: run.added.length,
      kevEscalationsQueued: run.queued,
      kevEscalationsLeft: run.left,
      kevCvesPending: run.cvesPending,
      kevEscalationsFailed: run.failed,
    };
    if (run.added.length > 0 || run.queued > 0 || run.cvesPending > 0) {
      logger.info("KEV escalations", { ...summary, added: run.added, error: run.error });
    }
    return summary;
  } catch (error) {
    logger.error("KEV escalations failed; the scheduled run goes on", {
      tableName,
      error: describeError(error),
    });
    return {
      kevEscalation: "failed",
      kevCvesAdded: 0,
      kevEscalationsQueued: 0,
      kevEscalationsLeft: 0,
      kevCvesPending: 0,
      kevEscalationsFailed: 0,
    };
  }
}

/** The requests whose messages SQS did not take (an entry id SQS made up names none). */
function unqueued(
  requests: readonly KevEscalationRequest[],
  failed: readonly { index: number | undefined; reason: string }[],
): UnqueuedEscalation[] {
  return failed.flatMap(({ index, reason }) => {
    const request = index === undefined ? undefined : requests[index];
    return request ? [{ request, reason }] : [];
  });
}
