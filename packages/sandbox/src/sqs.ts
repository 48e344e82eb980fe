import { createHash, randomUUID } from "node:crypto";
import { AwsError, checkRange } from "./aws-error.js";

export interface SqsMessage {
  messageId: string;
  body: string;
  receiptHandle?: string;
  receiveCount: number;
  sentAt: number;
  visibleAt: number;
}

export interface SandboxQueue {
  name: string;
  url: string;
  arn: string;
  attributes: Record<string, string>;
  messages: SqsMessage[];
}

const md5 = (text: string) => createHash("md5").update(text, "utf8").digest("hex");

// SendMessage and SendMessageBatch as the SQS API reference has them (the model of @aws-sdk/client-sqs 3.1164):
// a message is at most 1 MiB (1,048,576 bytes; it was 256 KiB until 2025), or the queue's MaximumMessageSize;
// a batch holds 1 to 10 entries (EmptyBatchRequest, TooManyEntriesInBatchRequest) whose ids are distinct
// (BatchEntryIdsNotDistinct), of up to 80 letters, digits, hyphens and underscores (InvalidBatchEntryId), and
// whose bodies add up to at most 1 MiB (BatchRequestTooLong). Each entry succeeds or fails on its own: a failed
// one says whether the fault was the sender's (`SenderFault`); one that was not must be sent again.
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;
export const SQS_MAX_BATCH_ENTRIES = 10;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** A server-side failure of batch entries, injected for tests (see SqsSandbox.failEntries). */
interface EntryFault {
  remaining: number;
  code: string;
  message: string;
}

function queueError(type: string, message: string): AwsError {
  return new AwsError(`com.amazonaws.sqs#${type}`, message);
}

/** An in-memory Amazon SQS (JSON protocol): standard queues with visibility timeouts and redrive to a DLQ. */
export class SqsSandbox {
  readonly queues = new Map<string, SandboxQueue>();
  private readonly entryFaults: EntryFault[] = [];

  constructor(
    private readonly options: {
      accountId: string;
      region: string;
      endpoint: () => string;
      now: () => number;
    },
  ) {}

  createQueue(name: string, attributes: Record<string, string> = {}): SandboxQueue {
    const existing = this.queues.get(name);
    if (existing) return existing;
    const queue: SandboxQueue = {
      name,
      url: `${this.options.endpoint()}/${this.options.accountId}/${name}`,
      arn: `arn:aws:sqs:${this.options.region}:${this.options.accountId}:${name}`,
      attributes: { VisibilityTimeout: "30", ...attributes },
      messages: [],
    };
    this.queues.set(name, queue);
    return queue;
  }

  /** The queue a URL names (by its last path segment, so any host spelling works). */
  queueByUrl(url: unknown): SandboxQueue {
    const name = typeof url === "string" ? url.split("/").pop() : undefined;
    const queue = name ? this.queues.get(name) : undefined;
    if (!queue) throw queueError("QueueDoesNotExist", "The specified queue does not exist.");
    return queue;
  }

  /**
   * Fails the next `count` entries of SendMessageBatch calls as a server-side fault (`SenderFault: false`, code
   * `InternalError` unless told): the sender must send them again.
   */
  failEntries(count: number, fault: { code?: string; message?: string } = {}): void {
    this.entryFaults.push({
      remaining: count,
      code: fault.code ?? "InternalError",
      message: fault.message ?? "We encountered an internal error. Please try again.",
    });
  }

  /** The injected fault for the next entry, if any. */
  private nextEntryFault(): EntryFault | undefined {
    const fault = this.entryFaults[0];
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.entryFaults.shift();
    return fault;
  }

  /** Messages currently in a queue, visible or not. */
  depth(name: string): number {
    return this.queues.get(name)?.messages.length ?? 0;
  }

  send(queue: SandboxQueue, body: unknown, delaySeconds = 0): SqsMessage {
    if (typeof body !== "string" || body.length === 0) {
      throw queueError("MissingParameter", "The request must contain the parameter MessageBody.");
    }
    const maxBytes = Number(queue.attributes.MaximumMessageSize ?? SQS_MAX_MESSAGE_BYTES);
    if (Buffer.byteLength(body) > maxBytes) {
      throw queueError(
        "InvalidParameterValue",
        `One or more parameters are invalid. Reason: Message must be shorter than ${maxBytes} bytes.`,
      );
    }
    const now = this.options.now();
    const message: SqsMessage = {
      messageId: randomUUID(),
      body,
      receiveCount: 0,
      sentAt: now,
      visibleAt: now + delaySeconds * 1000,
    };
    queue.messages.push(message);
    return message;
  }

  /** Receives up to `max` visible messages, moving those past maxReceiveCount to the dead-letter queue first. */
  receive(queue: SandboxQueue, max: number, visibilityTimeoutSeconds?: number): SqsMessage[] {
    const now = this.options.now();
    const redrive = queue.attributes.RedrivePolicy
      ? (JSON.parse(queue.attributes.RedrivePolicy) as {
          deadLetterTargetArn: string;
          maxReceiveCount: number | string;
        })
      : undefined;
    const out: SqsMessage[] = [];
    for (const message of [...queue.messages]) {
      if (out.length >= max) break;
      if (message.visibleAt > now) continue;
      if (redrive && message.receiveCount >= Number(redrive.maxReceiveCount)) {
        const dlq = [...this.queues.values()].find((q) => q.arn === redrive.deadLetterTargetArn);
        if (dlq) {
          queue.messages.splice(queue.messages.indexOf(message), 1);
          dlq.messages.push({ ...message, receiptHandle: undefined, visibleAt: now });
          continue;
        }
      }
      message.receiveCount += 1;
      message.receiptHandle = randomUUID();
      message.visibleAt =
        now + (visibilityTimeoutSeconds ?? Number(queue.attributes.VisibilityTimeout)) * 1000;
      out.push(message);
    }
    return out;
  }

  delete(queue: SandboxQueue, receiptHandle: unknown): void {
    const index = queue.messages.findIndex((m) => m.receiptHandle === receiptHandle);
    if (index === -1)
      throw queueError(
        "ReceiptHandleIsInvalid",
        `The input receipt handle "${String(receiptHandle)}" is not a valid receipt handle.`,
      );
    queue.messages.splice(index, 1);
  }

  /** Makes an in-flight message visible again now (a Lambda batch item failure, with no wait). */
  release(queue: SandboxQueue, receiptHandle: string): void {
    const message = queue.messages.find((m) => m.receiptHandle === receiptHandle);
    if (message) message.visibleAt = this.options.now();
  }

  readonly operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateQueue: (input) => {
      const queue = this.createQueue(
        String(input.QueueName ?? ""),
        (input.Attributes ?? {}) as Record<string, string>,
      );
      return { QueueUrl: queue.url };
    },
    GetQueueUrl: (input) => {
      const queue = this.queues.get(String(input.QueueName));
      if (!queue) throw queueError("QueueDoesNotExist", "The specified queue does not exist.");
      return { QueueUrl: queue.url };
    },
    GetQueueAttributes: (input) => {
      const queue = this.queueByUrl(input.QueueUrl);
      return {
        Attributes: {
          ...queue.attributes,
          QueueArn: queue.arn,
          ApproximateNumberOfMessages: String(
            queue.messages.filter((m) => m.visibleAt <= this.options.now()).length,
          ),
          ApproximateNumberOfMessagesNotVisible: String(
            queue.messages.filter((m) => m.visibleAt > this.options.now()).length,
          ),
        },
      };
    },
    SendMessage: (input) => {
      const queue = this.queueByUrl(input.QueueUrl);
      const message = this.send(queue, input.MessageBody, Number(input.DelaySeconds ?? 0));
      return { MessageId: message.messageId, MD5OfMessageBody: md5(message.body) };
    },
    SendMessageBatch: (input) => {
      const queue = this.queueByUrl(input.QueueUrl);
      const entries = (input.Entries ?? []) as { Id: string; MessageBody: string; DelaySeconds?: number }[];
      if (entries.length === 0)
        throw queueError(
          "EmptyBatchRequest",
          "There should be at least one SendMessageBatchRequestEntry in the request.",
        );
      if (entries.length > SQS_MAX_BATCH_ENTRIES)
        throw queueError(
          "TooManyEntriesInBatchRequest",
          `Maximum number of entries per request are ${SQS_MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
        );
      const ids = new Set<string>();
      for (const entry of entries) {
        if (typeof entry.Id !== "string" || !BATCH_ENTRY_ID.test(entry.Id))
          throw queueError(
            "InvalidBatchEntryId",
            "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
          );
        if (ids.has(entry.Id)) throw queueError("BatchEntryIdsNotDistinct", `Id ${entry.Id} repeated.`);
        ids.add(entry.Id);
      }
      const total = entries.reduce((sum, e) => sum + Buffer.byteLength(String(e.MessageBody ?? "")), 0);
      if (total > SQS_MAX_MESSAGE_BYTES)
        throw queueError(
          "BatchRequestTooLong",
          `Batch requests cannot be longer than ${SQS_MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`,
        );
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const entry of entries) {
        const fault = this.nextEntryFault();
        if (fault) {
          Failed.push({ Id: entry.Id, SenderFault: false, Code: fault.code, Message: fault.message });
          continue;
        }
        try {
          const message = this.send(queue, entry.MessageBody, Number(entry.DelaySeconds ?? 0));
          Successful.push({
            Id: entry.Id,
            MessageId: message.messageId,
            MD5OfMessageBody: md5(message.body),
          });
        } catch (error) {
          Failed.push({
            Id: entry.Id,
            SenderFault: true,
            Code: "InvalidParameterValue",
            Message: (error as Error).message,
          });
        }
      }
      return { Successful, Failed };
    },
    ReceiveMessage: (input) => {
      const queue = this.queueByUrl(input.QueueUrl);
      const max = checkRange("MaxNumberOfMessages", input.MaxNumberOfMessages, 1, 10) ?? 1;
      const messages = this.receive(queue, max, input.VisibilityTimeout as number | undefined);
      return {
        Messages: messages.map((m) => ({
          MessageId: m.messageId,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: md5(m.body),
          Body: m.body,
          Attributes: { ApproximateReceiveCount: String(m.receiveCount), SentTimestamp: String(m.sentAt) },
        })),
      };
    },
    DeleteMessage: (input) => {
      this.delete(this.queueByUrl(input.QueueUrl), input.ReceiptHandle);
      return {};
    },
    DeleteMessageBatch: (input) => {
      const queue = this.queueByUrl(input.QueueUrl);
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const entry of (input.Entries ?? []) as { Id: string; ReceiptHandle: string }[]) {
        try {
          this.delete(queue, entry.ReceiptHandle);
          Successful.push({ Id: entry.Id });
        } catch (error) {
          Failed.push({
            Id: entry.Id,
            SenderFault: true,
            Code: "ReceiptHandleIsInvalid",
            Message: (error as Error).message,
          });
        }
      }
      return { Successful, Failed };
    },
  };
}
