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

function queueError(type: string, message: string): AwsError {
  return new AwsError(`com.amazonaws.sqs#${type}`, message);
}

/** An in-memory Amazon SQS (JSON protocol): standard queues with visibility timeouts and redrive to a DLQ. */
export class SqsSandbox {
  readonly queues = new Map<string, SandboxQueue>();

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

  /** Messages currently in a queue, visible or not. */
  depth(name: string): number {
    return this.queues.get(name)?.messages.length ?? 0;
  }

  send(queue: SandboxQueue, body: unknown, delaySeconds = 0): SqsMessage {
    if (typeof body !== "string" || body.length === 0) {
      throw queueError("MissingParameter", "The request must contain the parameter MessageBody.");
    }
    if (Buffer.byteLength(body) > 262_144) {
      throw queueError(
        "InvalidParameterValue",
        "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.",
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
      if (entries.length > 10)
        throw queueError("TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10.");
      const Successful: unknown[] = [];
      const Failed: unknown[] = [];
      for (const entry of entries) {
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
