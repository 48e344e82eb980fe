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
import { beforeEach, describe, expect, it, vi } from "vitest";
import { freshHandlerPerTest, sqsEventOf } from "./support/handler-env.js";

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
