import {
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  ECRClient,
  PutRegistryScanningConfigurationCommand,
  StartImageScanCommand,
} from "@aws-sdk/client-ecr";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index.js";

// The sandbox's ECR answers as ECR does where the product's decisions depend on it, through the real SDK client.
// Each behaviour's source is named beside it in src/ecr/.

let sandbox: Sandbox;
let ecr: ECRClient;

beforeEach(async () => {
  sandbox = await startSandbox({ scanDurationMs: 60_000 });
  ecr = new ECRClient({
    region: "eu-west-1",
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    maxAttempts: 1,
  });
  sandbox.ecr.createRepository("team-a/api");
});
afterEach(async () => {
  ecr.destroy();
  await sandbox.close();
});

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: Error) => ({ name: error.name, message: error.message }),
  );

describe("the sandbox's ECR", () => {
  it("answers StartImageScan on an enhanced registry as ECR does: ValidationException 'This feature is disabled'", async () => {
    const digest = sandbox.ecr.seedImage("team-a/api", { tags: ["v1"] });
    await ecr.send(new PutRegistryScanningConfigurationCommand({ scanType: "ENHANCED" }));
    const error = await errorOf(
      ecr.send(new StartImageScanCommand({ repositoryName: "team-a/api", imageId: { imageDigest: digest } })),
    );
    expect(error).toEqual({ name: "ValidationException", message: "This feature is disabled" });
  });

  it("refuses to scan an OCI image index, naming its media type", async () => {
    const digest = sandbox.ecr.seedImage("team-a/api", {
      tags: ["multiarch"],
      manifestMediaType: "application/vnd.oci.image.index.v1+json",
      artifactMediaType: undefined,
    });
    const error = await errorOf(
      ecr.send(new StartImageScanCommand({ repositoryName: "team-a/api", imageId: { imageDigest: digest } })),
    );
    expect(error?.name).toBe("UnsupportedImageTypeException");
    expect(error?.message).toMatch(
      /An artifact with media type application\/vnd\.oci\.image\.index\.v1\+json/,
    );
  });

  it("filters DescribeImages by tag status: TAGGED, UNTAGGED, or every image by default", async () => {
    sandbox.ecr.seedImage("team-a/api", { tags: ["v1"] });
    sandbox.ecr.seedImage("team-a/api", { tags: [] });
    const tagsOf = async (tagStatus?: "TAGGED" | "UNTAGGED") => {
      const listed = await ecr.send(
        new DescribeImagesCommand({
          repositoryName: "team-a/api",
          filter: tagStatus ? { tagStatus } : undefined,
        }),
      );
      return listed.imageDetails?.map((i) => i.imageTags ?? []);
    };
    expect(await tagsOf()).toHaveLength(2);
    expect(await tagsOf("TAGGED")).toEqual([["v1"]]);
    expect(await tagsOf("UNTAGGED")).toEqual([[]]);
  });

  it("lists only ACTIVE images unless asked, refuses to scan an archived one, and reads its scan as IMAGE_ARCHIVED", async () => {
    sandbox.ecr.seedImage("team-a/api", { tags: ["v1"] });
    const archived = sandbox.ecr.seedImage("team-a/api", { tags: ["v0"], status: "ARCHIVED" });
    const listed = await ecr.send(new DescribeImagesCommand({ repositoryName: "team-a/api" }));
    expect(listed.imageDetails?.map((i) => [i.imageTags?.[0], i.imageStatus])).toEqual([["v1", "ACTIVE"]]);
    const all = await ecr.send(
      new DescribeImagesCommand({ repositoryName: "team-a/api", filter: { imageStatus: "ANY" } }),
    );
    expect(all.imageDetails).toHaveLength(2);

    const error = await errorOf(
      ecr.send(
        new StartImageScanCommand({ repositoryName: "team-a/api", imageId: { imageDigest: archived } }),
      ),
    );
    expect(error?.name).toBe("ImageArchivedException");
    const findings = await ecr.send(
      new DescribeImageScanFindingsCommand({
        repositoryName: "team-a/api",
        imageId: { imageDigest: archived },
      }),
    );
    expect(findings.imageScanStatus?.status).toBe("IMAGE_ARCHIVED");
  });

  it.each([0, 1001])(
    "answers maxResults %i with InvalidParameterException, as ECR documents",
    async (maxResults) => {
      const error = await errorOf(
        ecr.send(new DescribeImagesCommand({ repositoryName: "team-a/api", maxResults })),
      );
      expect(error?.name).toBe("InvalidParameterException");
    },
  );
});

describe("DescribeImages' scan data, by mode", () => {
  it.each([
    ["omitted", undefined, undefined],
    ["summary", "COMPLETE", true],
    ["status-only", "COMPLETE", false],
  ] as const)("%s", async (mode, status, hasSummary) => {
    const own = await startSandbox({ describeImagesScanData: mode });
    const client = new ECRClient({
      region: "eu-west-1",
      endpoint: own.endpoint,
      credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    });
    try {
      own.ecr.createRepository("team-a/api");
      own.ecr.seedImage("team-a/api", {
        tags: ["v1"],
        scan: { status: "COMPLETE", completedAt: new Date() },
      });
      const [image] =
        (await client.send(new DescribeImagesCommand({ repositoryName: "team-a/api" }))).imageDetails ?? [];
      expect(image?.imageScanStatus?.status).toBe(status);
      expect(image?.imageScanFindingsSummary?.imageScanCompletedAt !== undefined).toBe(hasSummary ?? false);
    } finally {
      client.destroy();
      await own.close();
    }
  });
});
