import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { EcrScanReporterError, type ScanRepositoryMessage } from "@ecr-scan-reporter/core";

/** SQS takes at most 10 entries per SendMessageBatch. */
export const SQS_BATCH_SIZE = 10;
/** Rounds of re-sending the entries SQS reported as failed (the SDK already retries whole-call throttling). */
export const MAX_ENTRY_RETRIES = 3;

/** Wait before the first re-send of failed entries; doubled for each further round (200, 400, 800 ms). */
export const ENTRY_RETRY_BASE_DELAY_MS = 200;

export interface SendResult {
  sent: number;
  /** Repositories whose message could not be sent, with why. */
  failed: { repositoryName: string; reason: string }[];
  calls: number;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What became of a list of message bodies sent with SendMessageBatch. */
export interface BatchSendResult {
  sent: number;
  /** Bodies that could not be sent: their position in the list (undefined for an entry id SQS made up), and why. */
  failed: { index: number | undefined; id: string; reason: string }[];
  calls: number;
}

/**
 * Sends the bodies with SendMessageBatch, ten per call, re-sending only the entries that failed (and only when SQS
 * says the fault was not the sender's), after a back-off that doubles each round.
 */
export async function sendMessageBatches(
  sqs: SQSClient,
  queueUrl: string,
  bodies: readonly string[],
  options: { sleep?: (ms: number) => Promise<void> } = {},
): Promise<BatchSendResult> {
  const sleep = options.sleep ?? wait;
  const result: BatchSendResult = { sent: 0, failed: [], calls: 0 };
  // Stryker disable next-line EqualityOperator: `<=` only adds an empty last chunk, which sends nothing
  for (let start = 0; start < bodies.length; start += SQS_BATCH_SIZE) {
    const chunk = bodies.slice(start, start + SQS_BATCH_SIZE);
    let pending: SendMessageBatchRequestEntry[] = chunk.map((body, i) => ({
      Id: String(i),
      MessageBody: body,
    }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(ENTRY_RETRY_BASE_DELAY_MS * 2 ** (attempt - 1));
      const out = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending }));
      result.calls += 1;
      result.sent += out.Successful?.length ?? 0;
      const retry: SendMessageBatchRequestEntry[] = [];
      for (const failure of out.Failed ?? []) {
        const entry = pending.find((e) => e.Id === failure.Id);
        const position = Number(failure.Id);
        const index = chunk[position] === undefined ? undefined : start + position;
        const reason = `${failure.Code ?? "error"}: ${failure.Message ?? "no message"}`;
        if (entry && !failure.SenderFault && attempt < MAX_ENTRY_RETRIES) retry.push(entry);
        else result.failed.push({ index, id: String(failure.Id), reason });
      }
      pending = retry;
    }
  }
  return result;
}

/** Sends one message per repository (sendMessageBatches), naming the repositories whose message failed. */
export async function sendScanMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly ScanRepositoryMessage[],
  options: { sleep?: (ms: number) => Promise<void> } = {},
): Promise<SendResult> {
  const sent = await sendMessageBatches(
    sqs,
    queueUrl,
    messages.map((message) => JSON.stringify(message)),
    options,
  );
  return {
    sent: sent.sent,
    calls: sent.calls,
    failed: sent.failed.map(({ index, id, reason }) => ({
      repositoryName: (index === undefined ? undefined : messages[index]?.repositoryName) ?? `entry ${id}`,
      reason,
    })),
  };
}

/** Raised when some repositories' messages could not be queued, so the scheduler run is retried. */
export class QueueSendError extends EcrScanReporterError {
  constructor(failed: SendResult["failed"]) {
    const names = failed
      .slice(0, 20)
      .map((f) => `${f.repositoryName} (${f.reason})`)
      .join(", ");
    super(
      "QUEUE_SEND_FAILED",
      `${failed.length} repository message(s) could not be sent to the scan queue: ${names}${failed.length > 20 ? ", …" : ""}. Check the queue policy and the function's sqs:SendMessage permission.`,
    );
  }
}
