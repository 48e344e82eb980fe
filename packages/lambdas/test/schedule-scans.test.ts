import {
  DescribeRepositoriesCommand,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
} from "@aws-sdk/client-ecr";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { MAX_ENTRY_RETRIES } from "../src/scan-queue.js";
import { freshHandlerPerTest } from "./support/handler-env.js";

// The schedule-scans handler's wiring, from its source, with ECR and SQS mocked. On the sandbox through the
// built bundle: test/schedule-scans.bundle.test.ts.

const QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/scan";
const ecr = mockClient(ECRClient);
const sqs = mockClient(SQSClient);

freshHandlerPerTest();

beforeEach(() => {
  ecr.reset();
  sqs.reset();
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
    await expect(invoke()).rejects.toThrow(/SCAN_QUEUE_URL is not set/);
    expect(ecr.commandCalls(DescribeRepositoriesCommand)).toHaveLength(0);
  });
});
