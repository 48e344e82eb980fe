import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeRepositoriesCommand,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
} from "@aws-sdk/client-ecr";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SCAN_MESSAGE_VERSION } from "@ecr-scan-reporter/core";
import { type IntelFeeds, startIntelFeeds } from "@ecr-scan-reporter/sandbox";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { MAX_ENTRY_RETRIES } from "../src/scan-queue.js";
import { retrySettingsOf } from "./support/clients.js";
import { freshHandlerPerTest } from "./support/handler-env.js";
import { captureHandlerOutput, logsWith, metricValues } from "./support/output.js";

// The schedule-scans handler's wiring, from its source, with ECR and SQS mocked. On the sandbox through the
// built bundle: test/schedule-scans.bundle.test.ts.

const QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/scan";
const ecr = mockClient(ECRClient);
const sqs = mockClient(SQSClient);
const dynamodb = mockClient(DynamoDBClient);

freshHandlerPerTest();

beforeEach(() => {
  ecr.reset();
  sqs.reset();
  dynamodb.reset();
  vi.stubEnv("SCAN_QUEUE_URL", QUEUE);
  vi.stubEnv("ECR_SCAN_REPORTER_CONFIG", JSON.stringify({ repositories: { exclude: "^sandbox/" } }));
  ecr.on(DescribeRepositoriesCommand).resolves({
    repositories: ["team-a/api", "team-b/web", "sandbox/try"].map((repositoryName) => ({
      repositoryName,
      registryId: "123456789012",
      repositoryArn: `arn:aws:ecr:eu-west-1:123456789012:repository/${repositoryName}`,
    })),
  });
  ecr.on(GetRegistryScanningConfigurationCommand).resolves({ scanningConfiguration: { scanType: "BASIC" } });
});

async function invoke() {
  const { handler } = await import("../src/schedule-scans.js");
  return handler({}, { awsRequestId: "req-1" });
}

const sentRepositories = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => JSON.parse(e.MessageBody ?? "{}").repositoryName);

describe("schedule-scans handler", () => {
  it("queues one message per selected repository", async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: "" })),
      Failed: [],
    }));
    const summary = await invoke();
    expect(sentRepositories()).toEqual(["team-a/api", "team-b/web"]);
    expect(summary).toMatchObject({ selected: 2, notSelected: 1, messagesSent: 2, messagesFailed: 0 });
  });

  it("queues nothing when the registry uses enhanced scanning", async () => {
    ecr
      .on(GetRegistryScanningConfigurationCommand)
      .resolves({ scanningConfiguration: { scanType: "ENHANCED" } });
    const summary = await invoke();
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(summary).toMatchObject({ scanType: "ENHANCED", messagesSent: 0 });
  });

  it("fails the run before queueing anything when its own registry cannot be read (no accounts list)", async () => {
    ecr
      .on(DescribeRepositoriesCommand)
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $fault: "client" }));
    // With the ledger, the KEV step would queue escalations: it must not run for a run that fails.
    vi.stubEnv("LEDGER_TABLE_NAME", "ledger");
    vi.stubEnv("REPORT_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/123456789012/report");
    await expect(invoke()).rejects.toThrow("Rate exceeded");
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
    expect(dynamodb.calls()).toHaveLength(0);
  });

  it("fails the run, naming the repositories, when SQS refuses some entries", async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.filter((e) => e.Id !== "1").map((e) => ({
        Id: e.Id,
        MessageId: e.Id,
        MD5OfMessageBody: "",
      })),
      Failed: [{ Id: "1", SenderFault: true, Code: "AccessDenied", Message: "not allowed" }],
    }));
    const error = await invoke().catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "QUEUE_SEND_FAILED",
      message: expect.stringContaining("1 repository message(s) could not be sent"),
    });
    expect((error as Error).message).toContain("team-b/web (AccessDenied: not allowed)");
    // Queued, so not named: the error lists exactly the repositories to look at.
    expect((error as Error).message).not.toContain("team-a/api");
    // SQS blames the sender: sending the same entry again cannot mend it.
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  it("fails the run, naming the repositories, when SQS still fails their entries after every re-send", async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string; MessageBody: string }[] }) => {
      const failing = input.Entries.filter((e) => JSON.parse(e.MessageBody).repositoryName === "team-a/api");
      return {
        Successful: input.Entries.filter((e) => !failing.includes(e)).map((e) => ({
          Id: e.Id,
          MessageId: e.Id,
          MD5OfMessageBody: "",
        })),
        Failed: failing.map((e) => ({ Id: e.Id, SenderFault: false, Code: "InternalError" })),
      };
    });
    const { handler } = await import("../src/schedule-scans.js");
    // The re-sends back off 200, 400 and 800 ms: on a fake clock, moved on to each timer until the run ends.
    vi.useFakeTimers();
    onTestFinished(() => {
      vi.useRealTimers();
    });
    let ended = false;
    const run = handler({}, { awsRequestId: "req-1" })
      .catch((e: unknown) => e)
      .finally(() => {
        ended = true;
      });
    while (!ended) await vi.advanceTimersToNextTimerAsync();
    const error = await run;
    expect(error).toMatchObject({ code: "QUEUE_SEND_FAILED" });
    expect((error as Error).message).toContain("team-a/api (InternalError");
    expect((error as Error).message).not.toContain("team-b/web");
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1 + MAX_ENTRY_RETRIES);
  });

  it("fails with a message that names the variable when SCAN_QUEUE_URL is missing", async () => {
    vi.stubEnv("SCAN_QUEUE_URL", "");
    await expect(invoke()).rejects.toThrow(
      "The environment variable SCAN_QUEUE_URL is not set: it names the queue scan-images reads.",
    );
    expect(ecr.commandCalls(DescribeRepositoriesCommand)).toHaveLength(0);
  });
});

describe("schedule-scans handler: its messages, summary and metrics", () => {
  const acceptAll = () =>
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: "" })),
      Failed: [],
    }));

  it("queues a versioned scan-repository message per selected repository, tagged with the run", async () => {
    acceptAll();
    await invoke();
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.QueueUrl)).toEqual([QUEUE]);
    const bodies = calls
      .flatMap((c) => c.args[0].input.Entries ?? [])
      .map((e) => JSON.parse(e.MessageBody ?? ""));
    expect(bodies).toEqual(
      ["team-a/api", "team-b/web"].map((repositoryName) => ({
        version: SCAN_MESSAGE_VERSION,
        kind: "scan-repository",
        registryId: "123456789012",
        repositoryName,
        scanType: "BASIC",
        runId: "req-1",
      })),
    );
  });

  it("names a run invoked without a context by its start time", async () => {
    acceptAll();
    vi.useFakeTimers({ now: new Date("2026-03-02T09:00:00Z"), toFake: ["Date"] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const { handler } = await import("../src/schedule-scans.js");
    const summary = await handler({});
    expect(summary.runId).toBe(`run-${Date.parse("2026-03-02T09:00:00Z")}`);
  });

  it("logs and returns the run's summary, and measures what it queued", async () => {
    const output = captureHandlerOutput();
    acceptAll();
    const summary = await invoke();
    const expected = {
      runId: "req-1",
      scanType: "BASIC",
      repositories: 3,
      selected: 2,
      notSelected: 1,
      messagesSent: 2,
      messagesFailed: 0,
      sqsCalls: 1,
    };
    expect(summary).toEqual(expected);
    expect(logsWith(output.logs, "schedule-scans summary")).toEqual([
      expect.objectContaining({ level: "INFO", function_request_id: "req-1", summary: expected }),
    ]);
    expect(new Set(output.logs.map((line) => line.service))).toEqual(new Set(["schedule-scans"]));
    expect(new Set(output.metrics.map((line) => line.service))).toEqual(new Set(["schedule-scans"]));
    const [call] = sqs.commandCalls(SendMessageBatchCommand);
    expect(await retrySettingsOf(call as { thisValue: unknown })).toEqual({
      maxAttempts: 8,
      mode: "adaptive",
    });
    expect(metricValues(output.metrics, "RepositoriesSelected")).toEqual([{ value: 2, dimensions: {} }]);
    expect(metricValues(output.metrics, "ScanMessagesSent")).toEqual([{ value: 2, dimensions: {} }]);
    expect(metricValues(output.metrics, "ScanMessagesFailed")).toEqual([{ value: 0, dimensions: {} }]);
  });

  it("says in its summary line that Inspector rescans an enhanced registry", async () => {
    const output = captureHandlerOutput();
    ecr
      .on(GetRegistryScanningConfigurationCommand)
      .resolves({ scanningConfiguration: { scanType: "ENHANCED" } });
    await invoke();
    expect(
      logsWith(
        output.logs,
        "schedule-scans summary: registry uses enhanced scanning, Amazon Inspector rescans by itself",
      ),
    ).toEqual([
      expect.objectContaining({ summary: expect.objectContaining({ selected: 2, messagesSent: 0 }) }),
    ]);
    expect(metricValues(output.metrics, "ScanMessagesSent")).toEqual([{ value: 0, dimensions: {} }]);
  });

  it("publishes its metrics, failures counted, before it fails the run", async () => {
    const output = captureHandlerOutput();
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: [{ Id: "0", MessageId: "0", MD5OfMessageBody: "" }],
      Failed: input.Entries.slice(1).map((e) => ({ Id: e.Id, SenderFault: true, Code: "AccessDenied" })),
    }));
    await expect(invoke()).rejects.toMatchObject({ code: "QUEUE_SEND_FAILED" });
    expect(metricValues(output.metrics, "ScanMessagesSent")).toEqual([{ value: 1, dimensions: {} }]);
    expect(metricValues(output.metrics, "ScanMessagesFailed")).toEqual([{ value: 1, dimensions: {} }]);
    expect(logsWith(output.logs, "schedule-scans summary")[0]?.summary).toMatchObject({
      messagesSent: 1,
      messagesFailed: 1,
    });
  });
});

describe("schedule-scans handler: the KEV step (with the findings ledger)", () => {
  const REPORT_QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/report";
  let feeds: IntelFeeds;

  beforeEach(async () => {
    feeds = await startIntelFeeds();
    onTestFinished(() => feeds.close());
    vi.stubEnv("LEDGER_TABLE_NAME", "ecr-scan-reporter-ledger");
    vi.stubEnv("REPORT_QUEUE_URL", REPORT_QUEUE);
    vi.stubEnv(
      "ECR_SCAN_REPORTER_CONFIG",
      JSON.stringify({
        repositories: { exclude: "^sandbox/" },
        intel: { kevUrl: feeds.kevUrl, epssUrl: null },
      }),
    );
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: "" })),
      Failed: [],
    }));
  });

  it("refreshes the catalog, adds its counts to the summary and measures them", async () => {
    const output = captureHandlerOutput();
    // An empty ledger: the catalog is cached and becomes the baseline; nothing is pending.
    dynamodb.onAnyCommand().resolves({});
    const summary = await invoke();
    expect(feeds.requests.kev).toBe(1);
    expect(summary).toMatchObject({
      messagesSent: 2,
      kevEscalation: "idle",
      kevCvesAdded: 0,
      kevEscalationsQueued: 0,
      kevEscalationsLeft: 0,
      kevCvesPending: 0,
    });
    expect(metricValues(output.metrics, "KevEscalationsQueued")).toEqual([{ value: 0, dimensions: {} }]);
    expect(metricValues(output.metrics, "KevEscalationsLeft")).toEqual([{ value: 0, dimensions: {} }]);
    // Only scan messages were sent: to the scan queue.
    expect(sqs.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.QueueUrl)).toEqual([QUEUE]);
  });

  it("never fails the scheduled run: a ledger that cannot be read is logged and the summary says so", async () => {
    const output = captureHandlerOutput();
    dynamodb
      .onAnyCommand()
      .rejects(Object.assign(new Error("no such table"), { name: "ResourceNotFoundException" }));
    const summary = await invoke();
    expect(summary).toMatchObject({ messagesSent: 2, kevEscalation: "failed", kevEscalationsQueued: 0 });
    expect(logsWith(output.logs, "KEV escalations failed; the scheduled run goes on")).toEqual([
      expect.objectContaining({ level: "ERROR", tableName: "ecr-scan-reporter-ledger" }),
    ]);
  });

  it("is skipped, and leaves the summary as it was, when intel.kevUrl is null", async () => {
    vi.stubEnv("ECR_SCAN_REPORTER_CONFIG", JSON.stringify({ intel: { kevUrl: null } }));
    const summary = await invoke();
    expect(summary).not.toHaveProperty("kevEscalation");
    expect(dynamodb.calls()).toHaveLength(0);
    expect(feeds.requests.kev).toBe(0);
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  ecr.restore();
  sqs.restore();
  dynamodb.restore();
});
