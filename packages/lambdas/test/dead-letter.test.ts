import type { Logger } from "@aws-lambda-powertools/logger";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { MessageError } from "@ecr-scan-reporter/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { deadLetterMalformedMessage } from "../src/dead-letter.js";

const DLQ = "https://sqs.eu-west-1.amazonaws.com/123456789012/scan-dlq";
const sqsMock = mockClient(SQSClient);

function run(dlqUrl: string | undefined, queue: "scan" | "report" = "scan") {
  const error = vi.fn();
  const done = deadLetterMalformedMessage({
    sqs: new SQSClient({ region: "eu-west-1" }),
    dlqUrl,
    record: { messageId: "m-1", body: "{not json" },
    error: new MessageError("the body is not JSON"),
    logger: { error } as unknown as Logger,
    queue,
  });
  return { done, error };
}

describe("deadLetterMalformedMessage", () => {
  beforeEach(() => sqsMock.reset());

  it("sends the body as it is to the dead-letter queue and logs where it went", async () => {
    sqsMock.on(SendMessageCommand).resolves({ MessageId: "dlq-1" });
    const { done, error } = run(DLQ, "report");
    await done;
    expect(sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: DLQ, MessageBody: "{not json" },
    ]);
    expect(error.mock.calls).toEqual([
      [
        "malformed report message moved to the dead-letter queue",
        { messageId: "m-1", reason: "the body is not JSON", deadLettered: true },
      ],
    ]);
  });

  it("logs that the message is dropped, why it is malformed and why it was not moved, with no dead-letter queue", async () => {
    const { done, error } = run(undefined);
    await done;
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(error.mock.calls).toEqual([
      [
        "malformed scan message dropped: it could not be moved to the dead-letter queue",
        {
          messageId: "m-1",
          reason: "the body is not JSON",
          deadLettered: false,
          deadLetterError: "no dead-letter queue configured",
        },
      ],
    ]);
  });

  it("does not throw when the dead-letter queue refuses the message: the log says why it is not there", async () => {
    sqsMock
      .on(SendMessageCommand)
      .rejects(Object.assign(new Error("queue gone"), { name: "QueueDoesNotExist" }));
    const { done, error } = run(DLQ);
    await expect(done).resolves.toBeUndefined();
    expect(error.mock.calls).toEqual([
      [
        "malformed scan message dropped: it could not be moved to the dead-letter queue",
        {
          messageId: "m-1",
          reason: "the body is not JSON",
          deadLettered: false,
          deadLetterError: "QueueDoesNotExist: queue gone",
        },
      ],
    ]);
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  sqsMock.restore();
});
