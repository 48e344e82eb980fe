import { describe, expect, it } from "vitest";
import { AwsError } from "../src/aws-error.js";
import { SQS_MAX_MESSAGE_BYTES, SqsSandbox } from "../src/sqs.js";

// The sandbox's SendMessageBatch refuses what the SQS API reference says SQS refuses, and can fail entries on
// the server's side so that a sender's re-sending is tested.

function queue() {
  const sqs = new SqsSandbox({
    accountId: "123456789012",
    region: "eu-west-1",
    endpoint: () => "http://127.0.0.1:1",
    now: Date.now,
  });
  const q = sqs.createQueue("scan");
  const batch = (entries: { Id: string; MessageBody: string }[]) =>
    sqs.operations.SendMessageBatch?.({ QueueUrl: q.url, Entries: entries }) as {
      Successful: { Id: string }[];
      Failed: { Id: string; SenderFault: boolean; Code: string }[];
    };
  return { sqs, q, batch };
}

const entry = (Id: string, MessageBody = `body-${Id}`) => ({ Id, MessageBody });
const errorOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof AwsError ? error.type.replace("com.amazonaws.sqs#", "") : String(error);
  }
  return undefined;
};

describe("the sandbox's SQS SendMessageBatch", () => {
  it("sends up to ten entries with distinct ids", () => {
    const { q, batch } = queue();
    const out = batch(Array.from({ length: 10 }, (_, i) => entry(`e-${i}`)));
    expect(out.Successful).toHaveLength(10);
    expect(q.messages).toHaveLength(10);
  });

  it.each([
    ["no entry", [], "EmptyBatchRequest"],
    [
      "eleven entries",
      Array.from({ length: 11 }, (_, i) => entry(String(i))),
      "TooManyEntriesInBatchRequest",
    ],
    ["the same id twice", [entry("0"), entry("1"), entry("0")], "BatchEntryIdsNotDistinct"],
    ["an id with a dot", [entry("a.b")], "InvalidBatchEntryId"],
    ["an id of 81 characters", [entry("i".repeat(81))], "InvalidBatchEntryId"],
    [
      "bodies of more than 1 MiB in all",
      [entry("0", "x".repeat(600_000)), entry("1", "y".repeat(600_000))],
      "BatchRequestTooLong",
    ],
  ])("refuses %s as a whole", (_, entries, type) => {
    const { q, batch } = queue();
    expect(errorOf(() => batch(entries))).toBe(type);
    expect(q.messages).toEqual([]);
  });

  it("takes one message of 1 MiB, the current limit (it was 256 KiB), and fails a larger one as the sender's fault", () => {
    const { q, batch } = queue();
    expect(batch([entry("0", "x".repeat(SQS_MAX_MESSAGE_BYTES))]).Successful).toHaveLength(1);
    const { sqs } = queue();
    const small = sqs.createQueue("small", { MaximumMessageSize: "1024" });
    const out = sqs.operations.SendMessageBatch?.({
      QueueUrl: small.url,
      Entries: [entry("0", "x".repeat(1025))],
    }) as { Failed: { SenderFault: boolean; Code: string }[] };
    expect(out.Failed).toEqual([
      expect.objectContaining({ SenderFault: true, Code: "InvalidParameterValue" }),
    ]);
    expect(q.messages).toHaveLength(1);
  });

  it("fails injected entries on the server's side (SenderFault false), the next entries only", () => {
    const { sqs, q, batch } = queue();
    sqs.failEntries(2);
    const first = batch([entry("0"), entry("1"), entry("2")]);
    expect(first.Failed).toEqual([
      expect.objectContaining({ Id: "0", SenderFault: false, Code: "InternalError" }),
      expect.objectContaining({ Id: "1", SenderFault: false, Code: "InternalError" }),
    ]);
    expect(first.Successful.map((s) => s.Id)).toEqual(["2"]);
    expect(batch([entry("0"), entry("1")]).Failed).toEqual([]);
    expect(q.messages.map((m) => m.body)).toEqual(["body-2", "body-0", "body-1"]);
  });
});
