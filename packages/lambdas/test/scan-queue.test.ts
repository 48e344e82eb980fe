import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { ScanRepositoryMessage } from "@ecr-scan-reporter/core";
import { SqsSandbox } from "@ecr-scan-reporter/sandbox";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import {
  ENTRY_RETRY_BASE_DELAY_MS,
  MAX_ENTRY_RETRIES,
  QueueSendError,
  sendScanMessages,
} from "../src/scan-queue.js";

const sqsMock = mockClient(SQSClient);
const message = (i: number): ScanRepositoryMessage => ({
  version: 1,
  kind: "scan-repository",
  registryId: "123456789012",
  repositoryName: `team-a/svc-${i}`,
  scanType: "BASIC",
  runId: "run-1",
});

describe("sendScanMessages", () => {
  beforeEach(() => sqsMock.reset());

  it("sends ten entries per call and re-sends only the entries that failed", async () => {
    let call = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => {
      call += 1;
      // First call of the first chunk: entries 3 and 7 fail on the server side; they succeed when re-sent.
      const failing = call === 1 ? ["3", "7"] : [];
      return {
        Successful: input.Entries.filter((e) => !failing.includes(e.Id)).map((e) => ({
          Id: e.Id,
          MessageId: `m-${e.Id}`,
          MD5OfMessageBody: "x",
        })),
        Failed: failing.map((Id) => ({ Id, SenderFault: false, Code: "InternalError" })),
      };
    });
    const waits: number[] = [];
    const result = await sendScanMessages(
      new SQSClient({}),
      "https://sqs/queue",
      Array.from({ length: 23 }, (_, i) => message(i)),
      { sleep: async (ms) => void waits.push(ms) },
    );
    // One re-send round, after the base back-off; chunks that went through whole wait for nothing.
    expect(waits).toEqual([ENTRY_RETRY_BASE_DELAY_MS]);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 2, 10, 3]);
    expect(calls[1]?.args[0].input.Entries?.map((e) => e.Id)).toEqual(["3", "7"]);
    expect(JSON.parse(calls[1]?.args[0].input.Entries?.[0]?.MessageBody ?? "{}").repositoryName).toBe(
      "team-a/svc-3",
    );
    expect(result).toEqual({ sent: 23, failed: [], calls: 4 });
  });

  it("does not re-send entries SQS blames on the sender, and gives up after a bounded number of rounds", async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: [],
      Failed: input.Entries.map((e) => ({
        Id: e.Id,
        SenderFault: e.Id === "0",
        Code: e.Id === "0" ? "InvalidParameterValue" : "InternalError",
      })),
    }));
    const waits: number[] = [];
    const result = await sendScanMessages(new SQSClient({}), "https://sqs/queue", [message(0), message(1)], {
      sleep: async (ms) => void waits.push(ms),
    });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1 + MAX_ENTRY_RETRIES);
    // The back-off doubles between rounds.
    expect(waits).toEqual([1, 2, 4].map((k) => k * ENTRY_RETRY_BASE_DELAY_MS));
    expect(result.sent).toBe(0);
    expect(result.failed.map((f) => f.repositoryName).sort()).toEqual(["team-a/svc-0", "team-a/svc-1"]);
    const error = new QueueSendError(result.failed);
    expect(error.code).toBe("QUEUE_SEND_FAILED");
    expect(error.message).toContain("team-a/svc-1 (InternalError");
  });

  it("sends nothing for no messages", async () => {
    const result = await sendScanMessages(new SQSClient({}), "https://sqs/queue", []);
    expect(result).toEqual({ sent: 0, failed: [], calls: 0 });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });
});

describe("sendScanMessages against the sandbox's SendMessageBatch", () => {
  beforeEach(() => sqsMock.reset());

  // The sandbox's SQS in this process: it refuses a batch whose ids repeat (BatchEntryIdsNotDistinct) and fails
  // the entries it is told to on the server's side (SenderFault false), as SQS may.
  function sandboxQueue() {
    const sqs = new SqsSandbox({
      accountId: "123456789012",
      region: "eu-west-1",
      endpoint: () => "https://sqs.eu-west-1.amazonaws.com",
      now: Date.now,
    });
    const queue = sqs.createQueue("ecr-scan-reporter-scan");
    sqsMock
      .on(SendMessageBatchCommand)
      .callsFake((input: Record<string, unknown>) => sqs.operations.SendMessageBatch?.(input));
    return { sqs, queue };
  }

  it("re-sends the entries SQS failed on its side, with distinct ids in every call, until each is queued once", async () => {
    const { sqs, queue } = sandboxQueue();
    sqs.failEntries(3);
    const messages = Array.from({ length: 23 }, (_, i) => message(i));
    const result = await sendScanMessages(new SQSClient({}), queue.url, messages, { sleep: async () => {} });
    expect(result).toEqual({ sent: 23, failed: [], calls: 4 });
    const queued = queue.messages.map((m) => (JSON.parse(m.body) as ScanRepositoryMessage).repositoryName);
    expect(queued.sort()).toEqual(messages.map((m) => m.repositoryName).sort());
    for (const call of sqsMock.commandCalls(SendMessageBatchCommand)) {
      const ids = call.args[0].input.Entries?.map((e) => e.Id) ?? [];
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it("names the repositories whose entries SQS kept failing after the last round", async () => {
    const { sqs, queue } = sandboxQueue();
    // The one entry, in each of the 1 + MAX_ENTRY_RETRIES calls.
    sqs.failEntries(1 + MAX_ENTRY_RETRIES);
    const result = await sendScanMessages(new SQSClient({}), queue.url, [message(0)], {
      sleep: async () => {},
    });
    expect(result).toEqual({
      sent: 0,
      failed: [{ repositoryName: "team-a/svc-0", reason: expect.stringMatching(/^InternalError: /) }],
      calls: 1 + MAX_ENTRY_RETRIES,
    });
    expect(queue.messages).toEqual([]);
  });
});

describe("sendScanMessages: what it reports of failed entries", () => {
  beforeEach(() => sqsMock.reset());

  it("names the repository of a failed entry in a later chunk by that chunk's ids, with SQS's code and message", async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => {
      const failing = input.Entries.length === 3 ? ["2"] : [];
      return {
        Successful: input.Entries.filter((e) => !failing.includes(e.Id)).map((e) => ({
          Id: e.Id,
          MessageId: e.Id,
          MD5OfMessageBody: "",
        })),
        Failed: failing.map((Id) => ({
          Id,
          SenderFault: true,
          Code: "InvalidMessageContents",
          Message: "bad byte",
        })),
      };
    });
    const result = await sendScanMessages(
      new SQSClient({}),
      "https://sqs/queue",
      Array.from({ length: 13 }, (_, i) => message(i)),
      { sleep: async () => {} },
    );
    expect(result).toEqual({
      sent: 12,
      failed: [{ repositoryName: "team-a/svc-12", reason: "InvalidMessageContents: bad byte" }],
      calls: 2,
    });
  });

  it("says so when SQS gives no code or message, and names an entry it did not send by its id", async () => {
    // An answer with no Successful list, failing an id that was sent and one that was not.
    sqsMock.on(SendMessageBatchCommand).resolves({
      Failed: [
        { Id: "0", SenderFault: true, Code: undefined as never },
        { Id: "7", SenderFault: false, Code: "InternalError", Message: "oops" },
      ],
    });
    const waits: number[] = [];
    const result = await sendScanMessages(new SQSClient({}), "https://sqs/queue", [message(0)], {
      sleep: async (ms) => void waits.push(ms),
    });
    expect(result).toEqual({
      sent: 0,
      failed: [
        { repositoryName: "team-a/svc-0", reason: "error: no message" },
        { repositoryName: "entry 7", reason: "InternalError: oops" },
      ],
      calls: 1,
    });
    // Nothing it sent can be re-sent: no second round.
    expect(waits).toEqual([]);
  });

  it("waits on the real clock between rounds when no sleep is given", async () => {
    vi.useFakeTimers();
    onTestFinished(() => {
      vi.useRealTimers();
    });
    sqsMock
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: "0", SenderFault: false, Code: "InternalError" }] })
      .resolves({ Successful: [{ Id: "0", MessageId: "m", MD5OfMessageBody: "" }] });
    let done = false;
    const run = sendScanMessages(new SQSClient({}), "https://sqs/queue", [message(0)]).finally(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(ENTRY_RETRY_BASE_DELAY_MS - 1);
    expect(done).toBe(false);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(run).resolves.toEqual({ sent: 1, failed: [], calls: 2 });
  });
});

describe("QueueSendError", () => {
  const failures = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ repositoryName: `team/r${i}`, reason: "AccessDenied: no" }));

  it("names every repository that could not be queued, and what to check", () => {
    const error = new QueueSendError(failures(2));
    expect(error.code).toBe("QUEUE_SEND_FAILED");
    expect(error.message).toBe(
      "2 repository message(s) could not be sent to the scan queue: team/r0 (AccessDenied: no), team/r1 (AccessDenied: no). " +
        "Check the queue policy and the function's sqs:SendMessage permission.",
    );
  });

  it("names the first 20 and marks that there are more", () => {
    const error = new QueueSendError(failures(21));
    expect(error.message).toMatch(/^21 repository message\(s\) could not be sent/);
    expect(error.message).toContain("team/r19 (AccessDenied: no), …. Check");
    expect(error.message).not.toContain("team/r20");
  });

  it("marks nothing more when there are exactly 20", () => {
    const error = new QueueSendError(failures(20));
    expect(error.message).toContain("team/r19 (AccessDenied: no). Check");
    expect(error.message).not.toContain("…");
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  sqsMock.restore();
});
