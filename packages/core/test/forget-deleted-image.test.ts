// forgetDeletedImage: ECR asked whether the digest is still there (aws-sdk-client-mock), the findings ledger on the
// sandbox's DynamoDB.
import {
  DescribeImagesCommand,
  ECRClient,
  ImageNotFoundException,
  RepositoryNotFoundException,
  ServerException,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { ImageDeletionJob } from "../src/events/image-deleted.js";
import { disabledLedger, type FindingsLedger, LedgerError } from "../src/ledger/ledger.js";
import type { LedgerImage } from "../src/ledger/records.js";
import type { CompactFinding } from "../src/model.js";
import { recordingLogger } from "../src/testing/index.js";
import { forgetDeletedImage } from "../src/use-cases/forget-deleted-image.js";
import { useLedgerTables } from "./support/ledger-tables.js";

const ecrMock = mockClient(ECRClient);
const ecr = new ECRClient({ region: "eu-west-1" });
const { freshLedger } = useLedgerTables("forget-deleted");

const DIGEST = `sha256:${"ab".repeat(32)}`;
const IMAGE: LedgerImage = { registryId: "123456789012", repository: "team-a/api", digest: DIGEST };
const FINDING: CompactFinding = { id: "CVE-2021-44228", severity: "CRITICAL", package: "log4j-core" };
const SCANNED_AT = "2026-03-01T08:00:00.000Z";

const job = (tags: string[], overrides: Partial<ImageDeletionJob> = {}): ImageDeletionJob => ({
  registryId: IMAGE.registryId,
  repositoryName: IMAGE.repository,
  imageDigest: DIGEST,
  tags,
  time: "2026-03-05T09:30:00Z",
  eventIds: ["e-1"],
  messageIds: ["m-1", "m-2"],
  ...overrides,
});

const awsError = <E extends Error>(ErrorClass: new (opts: { message: string; $metadata: object }) => E) =>
  new ErrorClass({ message: "from ECR", $metadata: {} });

/** A ledger that knows the image (scanned, reported under `tags`). */
async function ledgerWith(tags: string[]) {
  const ledger = await freshLedger();
  await ledger.recordScan({ ...IMAGE, tags }, { status: "COMPLETE", completedAt: SCANNED_AT }, [FINDING]);
  await ledger.recordReport(
    tags.map((tag) => ({ ...IMAGE, tag })),
    { digest: DIGEST, scanCompletedAt: SCANNED_AT, findings: [FINDING], over: true },
  );
  return ledger;
}

beforeEach(() => {
  ecrMock.reset();
});

afterAll(() => {
  ecrMock.restore();
});

describe("forgetDeletedImage", () => {
  it("asks ECR for the digest and, when it is gone, makes the ledger forget the image", async () => {
    const ledger = await ledgerWith(["v1", "latest"]);
    ecrMock.on(DescribeImagesCommand).rejects(awsError(ImageNotFoundException));
    const logger = recordingLogger();

    expect(await forgetDeletedImage(job(["v1"]), { ecr, ledger, logger })).toEqual({
      retry: [],
      outcome: "forgotten",
    });

    expect(ecrMock.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toEqual({
      registryId: "123456789012",
      repositoryName: "team-a/api",
      imageIds: [{ imageDigest: DIGEST }],
    });
    expect(await ledger.lastScans([IMAGE])).toEqual(new Map());
    expect(await ledger.readImageFindings(IMAGE)).toBeUndefined();
    expect(logger.logs).toContainEqual({
      level: "info",
      message: "image deleted from the registry; the findings ledger forgot it",
      extra: expect.objectContaining({ digest: DIGEST, deleted: 3, kept: 0, referencesExpired: 2 }),
    });
  });

  it("reads a repository deleted with its images as the image gone", async () => {
    const ledger = await ledgerWith(["v1"]);
    ecrMock.on(DescribeImagesCommand).rejects(awsError(RepositoryNotFoundException));
    const result = await forgetDeletedImage(job(["v1"]), { ecr, ledger, logger: recordingLogger() });
    expect(result.outcome).toBe("forgotten");
    expect(await ledger.lastScans([IMAGE])).toEqual(new Map());
  });

  it("keeps the image ECR still has, and lets only the tags it lost expire (a tag removed, not the image)", async () => {
    const ledger = await ledgerWith(["v1", "latest"]);
    ecrMock
      .on(DescribeImagesCommand)
      .resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ["v1"] }] });
    const logger = recordingLogger();

    expect(await forgetDeletedImage(job(["latest", "v1"]), { ecr, ledger, logger })).toEqual({
      retry: [],
      outcome: "tags-removed",
    });

    expect((await ledger.lastScans([IMAGE])).size).toBe(1);
    expect((await ledger.readImageFindings(IMAGE))?.findings).toHaveLength(1);
    // Already expiring: a second expiry of latest changes nothing, and v1 was never asked about.
    expect(await ledger.expireReferences([{ ...IMAGE, tag: "latest" }])).toBe(0);
    expect(await ledger.expireReferences([{ ...IMAGE, tag: "v1" }])).toBe(1);
    expect(logger.logs).toContainEqual(
      expect.objectContaining({ extra: expect.objectContaining({ tags: ["latest"], referencesExpired: 1 }) }),
    );
  });

  it("does nothing when the image has every tag the events named again", async () => {
    const ledger = await ledgerWith(["v1"]);
    ecrMock
      .on(DescribeImagesCommand)
      .resolves({ imageDetails: [{ imageDigest: DIGEST, imageTags: ["v1", "v2"] }] });
    expect((await forgetDeletedImage(job(["v1"]), { ecr, ledger, logger: recordingLogger() })).outcome).toBe(
      "still-there",
    );
    expect(await ledger.expireReferences([{ ...IMAGE, tag: "v1" }])).toBe(1);
  });

  it("without a ledger, asks ECR nothing and forgets nothing", async () => {
    const result = await forgetDeletedImage(job(["v1"]), {
      ecr,
      ledger: disabledLedger(recordingLogger()),
      logger: recordingLogger(),
    });
    expect(result).toEqual({ retry: [], outcome: "no-ledger" });
    expect(await forgetDeletedImage(job([]), { ecr, logger: recordingLogger() })).toEqual(result);
    expect(ecrMock.calls()).toHaveLength(0);
  });

  it("returns the messages to SQS when ECR fails in a way a retry mends, and drops them otherwise", async () => {
    const ledger = await ledgerWith(["v1"]);
    ecrMock.on(DescribeImagesCommand).rejects(awsError(ServerException));
    const logger = recordingLogger();
    expect(await forgetDeletedImage(job(["v1"]), { ecr, ledger, logger })).toEqual({
      retry: ["m-1", "m-2"],
      outcome: "check-retry",
    });
    const denied = Object.assign(new Error("not authorized to perform: ecr:DescribeImages"), {
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 400 },
    });
    ecrMock.on(DescribeImagesCommand).rejects(denied);
    expect(await forgetDeletedImage(job(["v1"]), { ecr, ledger, logger })).toEqual({
      retry: [],
      outcome: "check-failed",
    });
    expect(logger.logs.map((line) => line.level)).toEqual(["warn", "error"]);
    // Nothing was forgotten either time.
    expect((await ledger.lastScans([IMAGE])).size).toBe(1);
  });

  it("returns the messages to SQS when the ledger fails in a way a retry mends, and drops them otherwise", async () => {
    ecrMock.on(DescribeImagesCommand).rejects(awsError(ImageNotFoundException));
    const failingWith = (retryable: boolean): FindingsLedger => ({
      ...disabledLedger(recordingLogger()),
      enabled: true,
      forgetImage: async () => {
        const cause = Object.assign(new Error(retryable ? "Throughput exceeded" : "no such table"), {
          name: retryable ? "ProvisionedThroughputExceededException" : "ResourceNotFoundException",
          $metadata: { httpStatusCode: 400 },
        });
        throw new LedgerError("Query", "ledger", "team-a/api", cause);
      },
    });
    const logger = recordingLogger();
    expect(await forgetDeletedImage(job(["v1"]), { ecr, ledger: failingWith(true), logger })).toEqual({
      retry: ["m-1", "m-2"],
      outcome: "ledger-retry",
    });
    expect(await forgetDeletedImage(job(["v1"]), { ecr, ledger: failingWith(false), logger })).toEqual({
      retry: [],
      outcome: "ledger-failed",
    });
    expect(logger.logs.map((line) => [line.level, line.extra?.table])).toEqual([
      ["warn", "ledger"],
      ["error", "ledger"],
    ]);
  });
});
