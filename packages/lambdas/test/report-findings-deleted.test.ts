import { readFileSync } from "node:fs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchDeleteImageCommand, ECRClient } from "@aws-sdk/client-ecr";
import { type CompactFinding, DynamoDbLedger } from "@ecr-scan-reporter/core";
import { recordingLogger } from "@ecr-scan-reporter/core/testing";
import { type EcrImageActionEvent, type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { freshHandlerPerTest, sqsEventOf } from "./support/handler-env.js";
import { captureHandlerOutput, logsWith, metricValues } from "./support/output.js";

// report-findings' handler, from its source, with real SDK clients to the sandbox (ECR, DynamoDB): the "ECR Image
// Action" events the sandbox's ECR sends for BatchDeleteImage make the findings ledger forget what ECR deleted.

const REGISTRY = "123456789012";
const TABLE = "deleted-images-ledger";
const SCANNED_AT = "2026-03-01T08:00:00.000Z";
const LOG4SHELL: CompactFinding = { id: "CVE-2021-44228", severity: "CRITICAL", package: "log4j-core" };
const push = readFileSync(
  new URL("../../../test/fixtures/events/ecr-image-action-push.json", import.meta.url),
  "utf8",
);

let sandbox: Sandbox;
let ledger: DynamoDbLedger;
let events: EcrImageActionEvent[];

freshHandlerPerTest();

beforeEach(async () => {
  sandbox = await startSandbox();
  for (const [name, value] of Object.entries(sandbox.env())) vi.stubEnv(name, value);
  vi.stubEnv("AWS_ENDPOINT_URL", sandbox.endpoint);
  vi.stubEnv("LEDGER_TABLE_NAME", TABLE);
  vi.stubEnv("ECR_SCAN_REPORTER_CONFIG", JSON.stringify({ reporters: [] }));
  await sandbox.dynamodb.createLedgerTable(TABLE);
  ledger = new DynamoDbLedger({
    client: new DynamoDBClient({}),
    tableName: TABLE,
    logger: recordingLogger(),
  });
  sandbox.ecr.createRepository("team-a/api");
  events = [];
  sandbox.ecr.onImageAction((event) => events.push(event));
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await sandbox.close();
});

/** An image of the sandbox's ECR, scanned and reported under its tags as report-findings records them. */
async function reportedImage(tags: string[]) {
  const digest = sandbox.ecr.seedImage("team-a/api", { tags });
  const image = { registryId: REGISTRY, repository: "team-a/api", digest };
  await ledger.recordScan({ ...image, tags }, { status: "COMPLETE", completedAt: SCANNED_AT }, [LOG4SHELL]);
  await ledger.recordReport(
    tags.map((tag) => ({ ...image, tag })),
    { digest, scanCompletedAt: SCANNED_AT, findings: [LOG4SHELL], over: true },
  );
  return image;
}

describe("report-findings handler: images deleted from ECR", { timeout: 30_000 }, () => {
  it("forgets an image deleted by digest, expires only the removed tag of one still there, and ignores a push", async () => {
    const gone = await reportedImage(["v1", "latest"]);
    const untagged = await reportedImage(["v2", "stable"]);
    const ecr = new ECRClient({});
    await ecr.send(
      new BatchDeleteImageCommand({ repositoryName: "team-a/api", imageIds: [{ imageDigest: gone.digest }] }),
    );
    await ecr.send(
      new BatchDeleteImageCommand({ repositoryName: "team-a/api", imageIds: [{ imageTag: "stable" }] }),
    );
    expect(events).toHaveLength(3);
    const output = captureHandlerOutput();
    const { handler } = await import("../src/report-findings.js");

    const response = await handler(
      sqsEventOf([
        ...events.map((event, i) => ({ messageId: `d-${i}`, body: JSON.stringify(event) })),
        { messageId: "push", body: push },
      ]),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(await ledger.lastScans([gone, untagged])).toEqual(
      new Map([
        [`${REGISTRY}/team-a/api@${untagged.digest}`, expect.objectContaining({ status: "COMPLETE" })],
      ]),
    );
    expect(await ledger.readImageFindings(gone)).toBeUndefined();
    // Already expiring: the removed tag, and the deleted image's tags. Not the tag the image kept.
    const expireAgain = (image: typeof gone, tag: string) => ledger.expireReferences([{ ...image, tag }]);
    expect(await expireAgain(untagged, "stable")).toBe(0);
    expect(await expireAgain(gone, "v1")).toBe(0);
    expect(await expireAgain(gone, "latest")).toBe(0);
    expect(await expireAgain(untagged, "v2")).toBe(1);

    expect(logsWith(output.logs, "report-findings summary")[0]?.summary).toEqual({
      messages: 4,
      dropped: 1,
      reports: 0,
      outcomes: {},
      deletions: 2,
      deletionOutcomes: { forgotten: 1, "tags-removed": 1 },
      messagesRetried: 0,
    });
    expect(metricValues(output.metrics, "ImagesForgotten")).toEqual([{ value: 1, dimensions: {} }]);
  });

  it("has SQS deliver the event again when ECR cannot be asked (throttled past the SDK's retries)", async () => {
    const gone = await reportedImage(["v1"]);
    await new ECRClient({}).send(
      new BatchDeleteImageCommand({ repositoryName: "team-a/api", imageIds: [{ imageTag: "v1" }] }),
    );
    let throttle = true;
    sandbox.server.injectFault({
      service: "ecr",
      operation: "DescribeImages",
      when: () => throttle,
      type: "ThrottlingException",
      message: "Rate exceeded",
    });
    const { handler } = await import("../src/report-findings.js");
    const body = JSON.stringify(events[0]);

    expect((await handler(sqsEventOf([{ messageId: "d", body }]))).batchItemFailures).toEqual([
      { itemIdentifier: "d" },
    ]);
    expect((await ledger.lastScans([gone])).size).toBe(1);
    // The redelivery forgets it.
    throttle = false;
    expect((await handler(sqsEventOf([{ messageId: "d", body }]))).batchItemFailures).toEqual([]);
    expect((await ledger.lastScans([gone])).size).toBe(0);
  });
});
