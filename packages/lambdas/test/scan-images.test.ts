import {
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  ECRClient,
  LimitExceededException,
  StartImageScanCommand,
} from "@aws-sdk/client-ecr";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SCAN_MESSAGE_VERSION, type ScanRepositoryMessage } from "@ecr-scan-reporter/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { retrySettingsOf } from "./support/clients.js";
import { freshHandlerPerTest, sqsEventOf } from "./support/handler-env.js";
import { captureHandlerOutput, logsWith, metricValues } from "./support/output.js";

// The scan-images handler's wiring, from its source, with ECR and SQS mocked. The same on the sandbox through
// the built bundle, with thousands of images: test/scan-images.bundle.test.ts.

const DLQ = "https://sqs.eu-west-1.amazonaws.com/123456789012/scan-dlq";
const ecr = mockClient(ECRClient);
const sqs = mockClient(SQSClient);

const message = (repositoryName: string): ScanRepositoryMessage => ({
  version: SCAN_MESSAGE_VERSION,
  kind: "scan-repository",
  registryId: "123456789012",
  repositoryName,
  scanType: "BASIC",
  runId: "run-1",
});
const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

freshHandlerPerTest();

beforeEach(() => {
  ecr.reset();
  sqs.reset();
  vi.stubEnv("SCAN_DLQ_URL", DLQ);
  vi.stubEnv("ECR_SCAN_REPORTER_CONFIG", JSON.stringify({}));
  // Two never-scanned images per repository: both are due.
  ecr.on(DescribeImagesCommand).callsFake((input: { repositoryName: string }) => ({
    imageDetails: [1, 2].map((n) => ({
      registryId: "123456789012",
      repositoryName: input.repositoryName,
      imageDigest: digest(n),
      imageTags: [`v${n}`],
      imageManifestMediaType: "application/vnd.docker.distribution.manifest.v2+json",
      imagePushedAt: new Date("2026-01-01T00:00:00Z"),
    })),
  }));
  ecr
    .on(DescribeImageScanFindingsCommand)
    .rejects(Object.assign(new Error("no scan"), { name: "ScanNotFoundException", $metadata: {} }));
  sqs.on(SendMessageCommand).resolves({ MessageId: "dlq" });
});

async function invoke(records: { messageId: string; body: string }[]) {
  const { handler } = await import("../src/scan-images.js");
  return handler(sqsEventOf(records));
}

describe("scan-images handler", () => {
  it("starts a scan of every due image and settles the message", async () => {
    ecr.on(StartImageScanCommand).resolves({ imageScanStatus: { status: "IN_PROGRESS" } });
    const response = await invoke([{ messageId: "a", body: JSON.stringify(message("team-a/api")) }]);
    expect(response.batchItemFailures).toEqual([]);
    expect(ecr.commandCalls(StartImageScanCommand).map((c) => c.args[0].input.imageId?.imageDigest)).toEqual([
      digest(1),
      digest(2),
    ]);
  });

  it("returns the message for redelivery when StartImageScan stays throttled past the SDK's retries", async () => {
    ecr
      .on(StartImageScanCommand)
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: {} }));
    const response = await invoke([{ messageId: "throttled", body: JSON.stringify(message("team-a/api")) }]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "throttled" }]);
  });

  it("returns only the message whose StartImageScan stays throttled; the other repository's scans are started", async () => {
    // aws-sdk-client-mock answers in place of the SDK's send, retries included: ThrottlingException every time is
    // what the handler sees once the SDK has given up (its retries on the wire: test/scan-images.bundle.test.ts).
    ecr.on(StartImageScanCommand).resolves({ imageScanStatus: { status: "IN_PROGRESS" } });
    ecr
      .on(StartImageScanCommand, { repositoryName: "team-b/web" })
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: {} }));
    const response = await invoke([
      { messageId: "a", body: JSON.stringify(message("team-a/api")) },
      { messageId: "b", body: JSON.stringify(message("team-b/web")) },
      { messageId: "c", body: JSON.stringify(message("team-c/etl")) },
    ]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "b" }]);
    const started = ecr.commandCalls(StartImageScanCommand).map((c) => c.args[0].input.repositoryName);
    expect(started.filter((name) => name !== "team-b/web").sort()).toEqual([
      "team-a/api",
      "team-a/api",
      "team-c/etl",
      "team-c/etl",
    ]);
  });

  it("settles the message when ECR answers with the scan quota: waiting does not mend it", async () => {
    ecr.on(StartImageScanCommand).rejects(new LimitExceededException({ message: "quota", $metadata: {} }));
    const response = await invoke([{ messageId: "a", body: JSON.stringify(message("team-a/api")) }]);
    expect(response.batchItemFailures).toEqual([]);
    // Not retried by the SDK either: one call per image.
    expect(ecr.commandCalls(StartImageScanCommand)).toHaveLength(2);
  });

  it("retries only the repository whose listing was throttled; the others in the batch are done", async () => {
    ecr.on(StartImageScanCommand).resolves({});
    ecr
      .on(DescribeImagesCommand, { repositoryName: "team-b/web" })
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: {} }));
    const response = await invoke([
      { messageId: "a", body: JSON.stringify(message("team-a/api")) },
      { messageId: "b", body: JSON.stringify(message("team-b/web")) },
    ]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "b" }]);
    expect(ecr.commandCalls(StartImageScanCommand)).toHaveLength(2);
  });

  it("dead-letters a malformed message as it is and goes on with the rest", async () => {
    ecr.on(StartImageScanCommand).resolves({});
    const response = await invoke([
      { messageId: "bad", body: '{"kind":"scan-repository"}' },
      { messageId: "a", body: JSON.stringify(message("team-a/api")) },
    ]);
    expect(response.batchItemFailures).toEqual([]);
    expect(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: DLQ, MessageBody: '{"kind":"scan-repository"}' },
    ]);
    expect(ecr.commandCalls(StartImageScanCommand)).toHaveLength(2);
  });
});

describe("scan-images handler: what it logs and measures", () => {
  const context = {
    functionName: "ecr-scan-reporter-scan-images",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:ecr-scan-reporter-scan-images",
    memoryLimitInMB: "512",
    awsRequestId: "req-42",
    logGroupName: "/aws/lambda/ecr-scan-reporter-scan-images",
    logStreamName: "stream",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };

  it("logs each repository's decisions, scans and fate, and sums the batch in one line and in metrics", async () => {
    const output = captureHandlerOutput();
    // team-a/api: image 1 is scanned; image 2's scan reads a status the planner does not know, so it is skipped.
    ecr
      .on(DescribeImageScanFindingsCommand, {
        repositoryName: "team-a/api",
        imageId: { imageDigest: digest(2) },
      })
      .resolves({ imageScanStatus: { status: "WEIRD" as never } });
    ecr.on(StartImageScanCommand).resolves({ imageScanStatus: { status: "IN_PROGRESS" } });
    // team-b/web: both scans throttled past the SDK's retries; team-c/etl: not allowed to list; team-x/gone: deleted.
    ecr
      .on(StartImageScanCommand, { repositoryName: "team-b/web" })
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: {} }));
    ecr
      .on(DescribeImagesCommand, { repositoryName: "team-c/etl" })
      .rejects(Object.assign(new Error("not allowed"), { name: "AccessDeniedException", $metadata: {} }));
    ecr.on(DescribeImagesCommand, { repositoryName: "team-x/gone" }).rejects(
      Object.assign(new Error("no such repository"), {
        name: "RepositoryNotFoundException",
        $metadata: {},
      }),
    );

    const { handler } = await import("../src/scan-images.js");
    const response = await handler(
      sqsEventOf([
        { messageId: "a", body: JSON.stringify(message("team-a/api")) },
        { messageId: "bad", body: "{not json" },
        { messageId: "b", body: JSON.stringify(message("team-b/web")) },
        { messageId: "c", body: JSON.stringify(message("team-c/etl")) },
        { messageId: "gone", body: JSON.stringify(message("team-x/gone")) },
      ]),
      context,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "b" }]);

    const { logs, metrics } = output;
    const of = (messageId: string, repositoryName: string) => ({ messageId, repositoryName, runId: "run-1" });
    expect(logsWith(logs, "skip")).toEqual([
      expect.objectContaining({
        level: "DEBUG",
        ...of("a", "team-a/api"),
        imageDigest: digest(2),
        reason: "unknown-status",
        detail: "scan status WEIRD",
      }),
    ]);
    // The batch's messages are processed at once: lines of different messages come in any order.
    const requested = logsWith(logs, "scan requested").sort((x, y) =>
      `${x.messageId}${x.imageDigest}`.localeCompare(`${y.messageId}${y.imageDigest}`),
    );
    expect(requested[0]).toMatchObject({
      level: "INFO",
      ...of("a", "team-a/api"),
      imageDigest: digest(1),
      tags: ["v1"],
      outcome: "started",
      status: "IN_PROGRESS",
    });
    expect(requested.slice(1)).toEqual(
      [1, 2].map((n) =>
        expect.objectContaining({
          ...of("b", "team-b/web"),
          imageDigest: digest(n),
          outcome: "failed",
          retryable: true,
          message: "scan requested",
        }),
      ),
    );
    expect(logsWith(logs, "repository scanned").find((line) => line.messageId === "a")).toMatchObject({
      ...of("a", "team-a/api"),
      counts: {
        images: 2,
        decisions: { "scan:never-scanned": 1, "skip:unknown-status": 1 },
        outcomes: { started: 1 },
        retryableFailures: 0,
      },
    });
    expect(logsWith(logs, "repository will be retried")).toEqual([
      expect.objectContaining({
        level: "WARN",
        ...of("b", "team-b/web"),
        error: "RetryableAwsError: 2 scan(s) failed with a retryable error",
      }),
    ]);
    expect(logsWith(logs, "repository not scannable: access denied; the other repositories go on")).toEqual([
      expect.objectContaining({
        level: "ERROR",
        ...of("c", "team-c/etl"),
        error: "AccessDeniedException: not allowed",
      }),
    ]);
    expect(logsWith(logs, "repository no longer exists; nothing to scan")).toEqual([
      expect.objectContaining({ level: "WARN", ...of("gone", "team-x/gone") }),
    ]);
    expect(logsWith(logs, "malformed scan message moved to the dead-letter queue")).toEqual([
      expect.objectContaining({ messageId: "bad", reason: "the body is not JSON", deadLettered: true }),
    ]);

    const [summary, ...more] = logsWith(logs, "scan-images summary");
    expect(more).toEqual([]);
    expect(summary).toMatchObject({
      level: "INFO",
      // The invocation's context is on every line.
      function_request_id: "req-42",
      summary: {
        messages: 5,
        messagesRetried: 1,
        images: 4,
        decisions: {
          "scan:never-scanned": 3,
          "skip:unknown-status": 1,
          "message:malformed": 1,
          "message:access-denied": 1,
        },
        outcomes: { started: 1, failed: 2 },
        retryableFailures: 2,
      },
    });

    // Every line names the function; so does every metric line.
    expect(new Set(logs.map((line) => line.service))).toEqual(new Set(["scan-images"]));
    expect(new Set(metrics.map((line) => line.service))).toEqual(new Set(["scan-images"]));
    // The dead-letter queue is written through a client that rides out throttling.
    const [dlqCall] = sqs.commandCalls(SendMessageCommand);
    expect(await retrySettingsOf(dlqCall as { thisValue: unknown })).toEqual({
      maxAttempts: 8,
      mode: "adaptive",
    });
    expect(metricValues(metrics, "ImagesSeen")).toEqual([{ value: 4, dimensions: {} }]);
    expect(metricValues(metrics, "ScansStarted")).toEqual([{ value: 1, dimensions: {} }]);
    expect(metricValues(metrics, "MessagesRetried")).toEqual([{ value: 1, dimensions: {} }]);
    expect(metricValues(metrics, "ScanRequests")).toEqual(
      expect.arrayContaining([
        { value: 1, dimensions: { outcome: "started" } },
        { value: 2, dimensions: { outcome: "failed" } },
      ]),
    );
    expect(metricValues(metrics, "ScanRequests")).toHaveLength(2);
    expect(metricValues(metrics, "ImageDecisions")).toHaveLength(4);
    expect(metricValues(metrics, "ImageDecisions")).toEqual(
      expect.arrayContaining([
        { value: 3, dimensions: { decision: "scan:never-scanned" } },
        { value: 1, dimensions: { decision: "skip:unknown-status" } },
        { value: 1, dimensions: { decision: "message:malformed" } },
        { value: 1, dimensions: { decision: "message:access-denied" } },
      ]),
    );
  });

  it("counts two malformed and two denied messages, and reports no scan started as zero", async () => {
    const output = captureHandlerOutput();
    ecr
      .on(DescribeImagesCommand)
      .rejects(Object.assign(new Error("not allowed"), { name: "AccessDeniedException", $metadata: {} }));
    const response = await invoke([
      { messageId: "bad-1", body: "{not json" },
      { messageId: "bad-2", body: "[]" },
      { messageId: "c", body: JSON.stringify(message("team-c/etl")) },
      { messageId: "d", body: JSON.stringify(message("team-d/etl")) },
    ]);
    expect(response.batchItemFailures).toEqual([]);
    expect(logsWith(output.logs, "scan-images summary")[0]?.summary).toEqual({
      messages: 4,
      messagesRetried: 0,
      images: 0,
      decisions: { "message:malformed": 2, "message:access-denied": 2 },
      outcomes: {},
      retryableFailures: 0,
    });
    expect(metricValues(output.metrics, "ScansStarted")).toEqual([{ value: 0, dimensions: {} }]);
    expect(metricValues(output.metrics, "ScanRequests")).toEqual([]);
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  ecr.restore();
  sqs.restore();
});
