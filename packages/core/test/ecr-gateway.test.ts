import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsCommandInput,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  type DescribeImagesCommandOutput,
  DescribeRepositoriesCommand,
  type DescribeRepositoriesCommandInput,
  type DescribeRepositoriesCommandOutput,
  ECRClient,
  type ImageDetail as EcrImageDetail,
  GetRegistryScanningConfigurationCommand,
  ImageArchivedException,
  ImageNotFoundException,
  InvalidParameterException,
  LimitExceededException,
  RepositoryNotFoundException,
  ScanNotFoundException,
  ServerException,
  StartImageScanCommand,
  UnsupportedImageTypeException,
  ValidationException,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ECR_MAX_PAGE_SIZE,
  EcrGateway,
  type ScanStartOutcome,
  scanStartOutcomeOf,
  toImageDetail,
} from "../src/ecr-gateway.js";
import type { ImageDetail, LastScan } from "../src/model.js";
import { type PlanContext, planImageScan, screenImage } from "../src/planner.js";

const REGISTRY = "123456789012";
const ecrMock = mockClient(ECRClient);
let gateway: EcrGateway;

beforeEach(() => {
  ecrMock.reset();
  gateway = new EcrGateway(new ECRClient({ region: "eu-west-1" }));
});

afterEach(() => {
  ecrMock.reset();
});

const meta = { $metadata: {} };

function throttling(message = "Rate exceeded") {
  return Object.assign(new Error(message), {
    name: "ThrottlingException",
    $fault: "client" as const,
    $retryable: { throttling: true },
    $metadata: {},
  });
}

function ecrImage(repositoryName: string, n: number, extra: Partial<EcrImageDetail> = {}): EcrImageDetail {
  return {
    registryId: REGISTRY,
    repositoryName,
    imageDigest: `sha256:${n.toString(16).padStart(64, "0")}`,
    imageTags: [`v${n}`],
    imagePushedAt: new Date(Date.UTC(2026, 0, 1) + n * 1000),
    imageManifestMediaType: "application/vnd.docker.distribution.manifest.v2+json",
    artifactMediaType: "application/vnd.docker.container.image.v1+json",
    ...extra,
  };
}

function domainImage(overrides: Partial<ImageDetail> = {}): ImageDetail {
  return {
    registryId: REGISTRY,
    repositoryName: "team-a/api",
    imageDigest: "sha256:abc",
    imageTags: ["v1"],
    ...overrides,
  };
}

describe("EcrGateway.listRepositories", () => {
  it("follows nextToken through every page at 1,000 a page and returns every repository", async () => {
    const pages: Record<string, DescribeRepositoriesCommandOutput> = {
      first: {
        ...meta,
        repositories: Array.from({ length: 1000 }, (_, i) => ({
          registryId: REGISTRY,
          repositoryName: `team-a/repo-${i}`,
          repositoryArn: `arn:aws:ecr:eu-west-1:${REGISTRY}:repository/team-a/repo-${i}`,
        })),
        nextToken: "token-2",
      },
      "token-2": {
        ...meta,
        repositories: [
          { registryId: REGISTRY, repositoryName: "team-b/one", repositoryArn: "arn:b1" },
          { registryId: REGISTRY, repositoryName: "team-b/two", repositoryArn: "arn:b2" },
        ],
        nextToken: "token-3",
      },
      "token-3": {
        ...meta,
        repositories: [],
        nextToken: "token-4",
      },
      "token-4": {
        ...meta,
        repositories: [{ registryId: REGISTRY, repositoryName: "team-c/last", repositoryArn: "arn:c" }],
      },
    };
    const inputs: DescribeRepositoriesCommandInput[] = [];
    ecrMock.on(DescribeRepositoriesCommand).callsFake((input: DescribeRepositoriesCommandInput) => {
      inputs.push({ ...input });
      const page = pages[input.nextToken ?? "first"];
      if (!page) throw new Error(`unexpected nextToken ${input.nextToken}`);
      return page;
    });

    const repositories = await gateway.listRepositories();

    expect(ECR_MAX_PAGE_SIZE).toBe(1000);
    expect(inputs).toEqual([
      { maxResults: 1000 },
      { maxResults: 1000, nextToken: "token-2" },
      { maxResults: 1000, nextToken: "token-3" },
      { maxResults: 1000, nextToken: "token-4" },
    ]);
    expect(repositories).toHaveLength(1003);
    expect(repositories[0]).toEqual({
      registryId: REGISTRY,
      repositoryName: "team-a/repo-0",
      repositoryArn: `arn:aws:ecr:eu-west-1:${REGISTRY}:repository/team-a/repo-0`,
    });
    expect(repositories.slice(1000).map((r) => r.repositoryName)).toEqual([
      "team-b/one",
      "team-b/two",
      "team-c/last",
    ]);
  });
});

describe("EcrGateway.listImages", () => {
  it("follows nextToken through every page at 1,000 a page and maps every image", async () => {
    const pulled = new Date("2026-05-01T00:00:00Z");
    const pages: Record<string, DescribeImagesCommandOutput> = {
      first: {
        ...meta,
        imageDetails: Array.from({ length: 1000 }, (_, i) => ecrImage("team-a/api", i)),
        nextToken: "p2",
      },
      p2: {
        ...meta,
        imageDetails: [
          ecrImage("team-a/api", 1000, { imageTags: undefined, lastRecordedPullTime: pulled }),
          ecrImage("team-a/api", 1001, {
            imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json",
            artifactMediaType: "application/vnd.dev.cosign.artifact.sig.v1+json",
          }),
        ],
        nextToken: "p3",
      },
      p3: {
        ...meta,
        imageDetails: [ecrImage("team-a/api", 1002)],
      },
    };
    const inputs: DescribeImagesCommandInput[] = [];
    ecrMock.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => {
      inputs.push({ ...input });
      const page = pages[input.nextToken ?? "first"];
      if (!page) throw new Error(`unexpected nextToken ${input.nextToken}`);
      return page;
    });

    const images = await gateway.listImages("team-a/api", REGISTRY);

    expect(inputs).toEqual([
      { repositoryName: "team-a/api", registryId: REGISTRY, maxResults: 1000 },
      { repositoryName: "team-a/api", registryId: REGISTRY, maxResults: 1000, nextToken: "p2" },
      { repositoryName: "team-a/api", registryId: REGISTRY, maxResults: 1000, nextToken: "p3" },
    ]);
    expect(images).toHaveLength(1003);
    const digests = new Set(images?.map((i) => i.imageDigest));
    expect(digests.size).toBe(1003);

    // The untagged image: identified by digest, no tags, pull time kept.
    expect(images?.[1000]).toEqual({
      registryId: REGISTRY,
      repositoryName: "team-a/api",
      imageDigest: `sha256:${(1000).toString(16).padStart(64, "0")}`,
      imageTags: [],
      imagePushedAt: new Date(Date.UTC(2026, 0, 1) + 1000 * 1000),
      lastRecordedPullTime: pulled,
      imageManifestMediaType: "application/vnd.docker.distribution.manifest.v2+json",
      artifactMediaType: "application/vnd.docker.container.image.v1+json",
      scanSummary: undefined,
    });
    expect(images?.[1001]?.artifactMediaType).toBe("application/vnd.dev.cosign.artifact.sig.v1+json");
    expect(images?.[1002]?.imageTags).toEqual(["v1002"]);
  });

  it("returns undefined when the repository was deleted between listing and scanning", async () => {
    ecrMock.on(DescribeImagesCommand).rejects(
      new RepositoryNotFoundException({
        message: `The repository with name 'team-a/gone' does not exist in the registry with id '${REGISTRY}'`,
        $metadata: {},
      }),
    );
    await expect(gateway.listImages("team-a/gone", REGISTRY)).resolves.toBeUndefined();
  });

  it("returns undefined when the repository disappears while paging", async () => {
    ecrMock
      .on(DescribeImagesCommand)
      .resolvesOnce({ imageDetails: [ecrImage("team-a/api", 1)], nextToken: "p2" })
      .rejectsOnce(new RepositoryNotFoundException({ message: "gone", $metadata: {} }));
    await expect(gateway.listImages("team-a/api")).resolves.toBeUndefined();
  });

  it("rethrows any other error", async () => {
    ecrMock.on(DescribeImagesCommand).rejects(throttling());
    await expect(gateway.listImages("team-a/api")).rejects.toMatchObject({ name: "ThrottlingException" });
  });
});

describe("EcrGateway.getLastScan", () => {
  it("uses the summary DescribeImages carried, with no DescribeImageScanFindings call", async () => {
    const completedAt = new Date("2026-05-20T10:00:00Z");
    ecrMock.on(DescribeImagesCommand).resolves({
      imageDetails: [
        ecrImage("team-a/api", 7, {
          imageScanStatus: { status: "COMPLETE", description: "The scan was completed successfully." },
          imageScanFindingsSummary: { imageScanCompletedAt: completedAt, findingSeverityCounts: { HIGH: 2 } },
        }),
      ],
    });
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(new Error("must not be called"));

    const [image] = (await gateway.listImages("team-a/api")) ?? [];
    expect(image).toBeDefined();
    const lastScan = await gateway.getLastScan(image as ImageDetail);

    expect(lastScan).toEqual({
      kind: "scanned",
      status: "COMPLETE",
      description: "The scan was completed successfully.",
      completedAt,
    });
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)).toHaveLength(0);
  });

  it.each(["COMPLETE", "FAILED"] as const)(
    "asks DescribeImageScanFindings when DescribeImages gives a %s status but no summary (so no time)",
    async (status) => {
      const completedAt = new Date("2026-05-22T09:00:00Z");
      ecrMock.on(DescribeImagesCommand).resolves({
        imageDetails: [
          ecrImage("team-a/api", 7, { imageScanStatus: { status, description: "from DescribeImages" } }),
        ],
      });
      ecrMock.on(DescribeImageScanFindingsCommand).resolves({
        imageScanStatus: { status, description: "from DescribeImageScanFindings" },
        imageScanFindings: { imageScanCompletedAt: completedAt, findings: [] },
      });
      const [image] = (await gateway.listImages("team-a/api")) ?? [];
      const lastScan = await gateway.getLastScan(image as ImageDetail);
      expect(lastScan).toEqual({
        kind: "scanned",
        status,
        description: "from DescribeImageScanFindings",
        completedAt,
      });
      expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)).toHaveLength(1);
    },
  );

  it("decides from DescribeImages' status alone when the decision needs no time (IN_PROGRESS)", async () => {
    ecrMock.on(DescribeImagesCommand).resolves({
      imageDetails: [ecrImage("team-a/api", 7, { imageScanStatus: { status: "IN_PROGRESS" } })],
    });
    const [image] = (await gateway.listImages("team-a/api")) ?? [];
    expect(await gateway.getLastScan(image as ImageDetail)).toEqual({
      kind: "scanned",
      status: "IN_PROGRESS",
      description: undefined,
      completedAt: undefined,
    });
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)).toHaveLength(0);
  });

  it("asks DescribeImageScanFindings (maxResults 1, by digest) when DescribeImages has no summary (AWS native)", async () => {
    const completedAt = new Date("2026-05-21T08:30:00Z");
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({
      registryId: REGISTRY,
      repositoryName: "team-a/api",
      imageId: { imageDigest: "sha256:abc" },
      imageScanStatus: { status: "COMPLETE", description: "The scan was completed successfully." },
      imageScanFindings: { imageScanCompletedAt: completedAt, findings: [] },
    });

    const lastScan = await gateway.getLastScan(domainImage());

    expect(lastScan).toEqual({
      kind: "scanned",
      status: "COMPLETE",
      description: "The scan was completed successfully.",
      completedAt,
    });
    const calls = ecrMock.commandCalls(DescribeImageScanFindingsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      registryId: REGISTRY,
      repositoryName: "team-a/api",
      imageId: { imageDigest: "sha256:abc" },
      maxResults: 1,
    } satisfies DescribeImageScanFindingsCommandInput);
  });

  it("reads a FAILED status and its description", async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({
      imageScanStatus: {
        status: "FAILED",
        description: "UnsupportedImageError: The operating system and/or package manager are not supported.",
      },
    });
    await expect(gateway.getLastScan(domainImage())).resolves.toEqual({
      kind: "scanned",
      status: "FAILED",
      description: "UnsupportedImageError: The operating system and/or package manager are not supported.",
      completedAt: undefined,
    });
  });

  it("reads ScanNotFoundException as never scanned", async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(
        new ScanNotFoundException({ message: "Image scan does not exist for the image", $metadata: {} }),
      );
    await expect(gateway.getLastScan(domainImage())).resolves.toEqual({ kind: "never" });
  });

  it("reads an answer with no status as never scanned", async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({});
    await expect(gateway.getLastScan(domainImage())).resolves.toEqual({ kind: "never" });
  });

  it("returns undefined when the image or its repository is gone", async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejectsOnce(new ImageNotFoundException({ message: "The image does not exist", $metadata: {} }))
      .rejectsOnce(
        new RepositoryNotFoundException({ message: "The repository does not exist", $metadata: {} }),
      );
    await expect(gateway.getLastScan(domainImage())).resolves.toBeUndefined();
    await expect(gateway.getLastScan(domainImage())).resolves.toBeUndefined();
  });

  it("rethrows any other error", async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(new ServerException({ message: "Internal error", $metadata: {} }));
    await expect(gateway.getLastScan(domainImage())).rejects.toBeInstanceOf(ServerException);
  });
});

describe("EcrGateway.getRegistryScanType", () => {
  it.each([
    ["BASIC", { scanningConfiguration: { scanType: "BASIC" as const, rules: [] } }],
    ["ENHANCED", { scanningConfiguration: { scanType: "ENHANCED" as const, rules: [] } }],
    ["BASIC", {}],
  ])("reads %s", async (expected, output) => {
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: REGISTRY, ...output });
    await expect(gateway.getRegistryScanType()).resolves.toBe(expected);
    expect(ecrMock.commandCalls(GetRegistryScanningConfigurationCommand)).toHaveLength(1);
  });
});

describe("EcrGateway.startImageScan", () => {
  const target = { registryId: REGISTRY, repositoryName: "team-a/api", imageDigest: "sha256:abc" };

  it("starts a scan of the image by digest", async () => {
    ecrMock.on(StartImageScanCommand).resolves({
      registryId: REGISTRY,
      repositoryName: "team-a/api",
      imageId: { imageDigest: "sha256:abc" },
      imageScanStatus: { status: "IN_PROGRESS" },
    });

    await expect(gateway.startImageScan(target)).resolves.toEqual({
      outcome: "started",
      status: "IN_PROGRESS",
    });

    const calls = ecrMock.commandCalls(StartImageScanCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      registryId: REGISTRY,
      repositoryName: "team-a/api",
      imageId: { imageDigest: "sha256:abc" },
    });
  });

  it("leaves registryId out when it is not known", async () => {
    ecrMock.on(StartImageScanCommand).resolves({});
    await gateway.startImageScan({ ...target, registryId: "" });
    expect(ecrMock.commandCalls(StartImageScanCommand)[0]?.args[0].input.registryId).toBeUndefined();
  });

  const errors: [string, Error, Partial<ScanStartOutcome>][] = [
    [
      "LimitExceededException → quota",
      new LimitExceededException({
        message: "The scan quota per image has been exceeded. Wait and try again.",
        $metadata: {},
      }),
      { outcome: "quota" },
    ],
    [
      "ImageNotFoundException → gone",
      new ImageNotFoundException({ message: "The image requested does not exist", $metadata: {} }),
      { outcome: "gone" },
    ],
    [
      "RepositoryNotFoundException → gone",
      new RepositoryNotFoundException({ message: "The repository does not exist", $metadata: {} }),
      { outcome: "gone" },
    ],
    [
      "UnsupportedImageTypeException → unsupported",
      new UnsupportedImageTypeException({ message: "The image type is not supported", $metadata: {} }),
      { outcome: "unsupported" },
    ],
    [
      "ValidationException 'This feature is disabled' (ECR's answer under enhanced scanning) → enhanced",
      new ValidationException({ message: "This feature is disabled", $metadata: {} }),
      { outcome: "enhanced" },
    ],
    [
      "ImageArchivedException → archived",
      new ImageArchivedException({
        message: "The specified image is archived and cannot be scanned.",
        $metadata: {},
      }),
      { outcome: "archived" },
    ],
    [
      "ValidationException mentioning enhanced scanning → enhanced",
      new ValidationException({
        message: "StartImageScan is not supported when the registry is configured for enhanced scanning",
        $metadata: {},
      }),
      { outcome: "enhanced" },
    ],
    [
      "another ValidationException → failed, not retryable",
      new ValidationException({ message: "1 validation error detected: imageId", $metadata: {} }),
      { outcome: "failed", retryable: false },
    ],
    [
      "InvalidParameterException → failed, not retryable",
      new InvalidParameterException({ message: "Invalid parameter at 'imageDigest'", $metadata: {} }),
      { outcome: "failed", retryable: false },
    ],
    [
      "ServerException → failed, retryable",
      new ServerException({ message: "Internal service error", $metadata: {} }),
      { outcome: "failed", retryable: true },
    ],
    ["ThrottlingException → failed, retryable", throttling(), { outcome: "failed", retryable: true }],
  ];

  it.each(errors)("%s", async (_name, error, expected) => {
    ecrMock.on(StartImageScanCommand).rejects(error);
    const outcome = await gateway.startImageScan(target);
    expect(outcome).toMatchObject(expected);
    // The outcome keeps the error's name and message for the logs.
    expect(outcome).toHaveProperty("message", `${error.name}: ${error.message}`);
    expect(ecrMock.commandCalls(StartImageScanCommand)).toHaveLength(1);
  });
});

describe("an ENHANCED registry (no StartImageScan at all)", () => {
  const now = new Date("2026-06-01T00:00:00Z");
  const day = 86_400_000;

  /** The scheduler's loop, in miniature: plan every image, start a scan only for scan decisions. */
  async function planAndScan(repositoryName: string) {
    const registryScanType = await gateway.getRegistryScanType();
    const ctx: PlanContext = { now, expiryMs: 7 * day, onlyPulledWithinMs: 90 * day, registryScanType };
    const images = (await gateway.listImages(repositoryName)) ?? [];
    const decisions = [];
    for (const image of images) {
      const screened = screenImage(image, ctx);
      const lastScan: LastScan | undefined = screened ? undefined : await gateway.getLastScan(image);
      const decision = screened ?? (lastScan ? planImageScan(image, lastScan, ctx) : undefined);
      if (!decision) continue;
      decisions.push(decision);
      if (decision.action === "scan") await gateway.startImageScan(image);
    }
    return decisions;
  }

  function seed(scanType: "BASIC" | "ENHANCED") {
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves({
      registryId: REGISTRY,
      scanningConfiguration: { scanType, rules: [] },
    });
    ecrMock.on(DescribeImagesCommand).resolves({
      imageDetails: [
        // never scanned
        ecrImage("team-a/api", 1, { imagePushedAt: new Date(now.getTime() - day) }),
        // untagged, stale scan in its summary
        ecrImage("team-a/api", 2, {
          imageTags: undefined,
          imagePushedAt: new Date(now.getTime() - 10 * day),
          imageScanStatus: { status: "COMPLETE" },
          imageScanFindingsSummary: { imageScanCompletedAt: new Date(now.getTime() - 30 * day) },
        }),
        // failed long ago
        ecrImage("team-a/api", 3, {
          imagePushedAt: new Date(now.getTime() - 5 * day),
          imageScanStatus: { status: "FAILED", description: "internal error" },
          imageScanFindingsSummary: { imageScanCompletedAt: new Date(now.getTime() - 3 * day) },
        }),
        // a signature
        ecrImage("team-a/api", 4, { artifactMediaType: "application/vnd.dev.cosign.artifact.sig.v1+json" }),
        // not pulled for a long time
        ecrImage("team-a/api", 5, {
          imagePushedAt: new Date(now.getTime() - 400 * day),
          lastRecordedPullTime: new Date(now.getTime() - 200 * day),
        }),
      ],
    });
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(new ScanNotFoundException({ message: "none", $metadata: {} }));
    ecrMock.on(StartImageScanCommand).resolves({ imageScanStatus: { status: "IN_PROGRESS" } });
  }

  it("skips every image as enhanced-scanning and sends no StartImageScan", async () => {
    seed("ENHANCED");
    const decisions = await planAndScan("team-a/api");

    expect(decisions).toHaveLength(5);
    for (const decision of decisions)
      expect(decision).toMatchObject({ action: "skip", reason: "enhanced-scanning" });
    expect(ecrMock.commandCalls(StartImageScanCommand)).toHaveLength(0);
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)).toHaveLength(0);
  });

  it("(control) the same images in a BASIC registry do start scans", async () => {
    seed("BASIC");
    const decisions = await planAndScan("team-a/api");

    expect(decisions.map((d) => d.reason)).toEqual([
      "never-scanned",
      "expired",
      "retry-failed",
      "not-an-image",
      "not-in-use",
    ]);
    expect(ecrMock.commandCalls(StartImageScanCommand)).toHaveLength(3);
  });
});

describe("EcrGateway with a client of its own for StartImageScan", () => {
  it("sends StartImageScan through the scan client and every read through the other", async () => {
    const reads = new ECRClient({ region: "eu-west-1" });
    const scans = new ECRClient({ region: "eu-west-1" });
    const readSend = vi
      .spyOn(reads, "send")
      .mockImplementation(async () => ({ imageScanStatus: { status: "COMPLETE" } }) as never);
    const scanSend = vi
      .spyOn(scans, "send")
      .mockImplementation(async () => ({ imageScanStatus: { status: "IN_PROGRESS" } }) as never);
    const gateway = new EcrGateway(reads, scans);
    const image = {
      registryId: "123456789012",
      repositoryName: "team-a/api",
      imageDigest: `sha256:${"b".repeat(64)}`,
      imageTags: [],
    };
    await gateway.getLastScan(image);
    expect(await gateway.startImageScan(image)).toEqual({ outcome: "started", status: "IN_PROGRESS" });
    expect(readSend.mock.calls.map((c) => c[0].constructor.name)).toEqual([
      "DescribeImageScanFindingsCommand",
    ]);
    expect(scanSend.mock.calls.map((c) => c[0].constructor.name)).toEqual(["StartImageScanCommand"]);
  });
});

describe("scanStartOutcomeOf: errors of any shape", () => {
  it.each([
    ["a thrown string", "socket hang up"],
    ["an object with no name", { detail: "odd" }],
    ["null", null],
  ])("reads %s as a failure that is not retried, described as it is", (_case, thrown) => {
    expect(scanStartOutcomeOf(thrown)).toEqual({
      outcome: "failed",
      message: String(thrown),
      retryable: false,
    });
  });

  it("reads a nameless network error (a reset connection) as a failure a retry may mend", () => {
    expect(scanStartOutcomeOf({ code: "ECONNRESET" })).toMatchObject({ outcome: "failed", retryable: true });
  });

  it.each([
    "This feature is disabled",
    "THIS FEATURE IS DISABLED for this registry",
    "the registry is configured for Enhanced scanning",
    "StartImageScan is only supported with basic scanning",
  ])("reads the ValidationException %j as enhanced scanning", (message) => {
    const error = new ValidationException({ message, $metadata: {} });
    expect(scanStartOutcomeOf(error)).toEqual({
      outcome: "enhanced",
      message: `ValidationException: ${message}`,
    });
  });

  it("names each outcome's error in its message", () => {
    const error = new LimitExceededException({ message: "quota", $metadata: {} });
    expect(scanStartOutcomeOf(error)).toEqual({ outcome: "quota", message: "LimitExceededException: quota" });
  });
});

describe("EcrGateway: what ECR may leave out", () => {
  it("skips a repository with no name, and reads a missing registry id or ARN as empty", async () => {
    ecrMock.on(DescribeRepositoriesCommand).resolves({
      repositories: [
        { registryId: REGISTRY, repositoryArn: "arn:nameless" },
        { repositoryName: "team-a/api" },
      ],
    });
    await expect(gateway.listRepositories()).resolves.toEqual([
      { registryId: "", repositoryName: "team-a/api", repositoryArn: "" },
    ]);
  });

  it("reads a page with no repositories or images as none", async () => {
    ecrMock.on(DescribeRepositoriesCommand).resolves({});
    ecrMock.on(DescribeImagesCommand).resolves({});
    await expect(gateway.listRepositories()).resolves.toEqual([]);
    await expect(gateway.listImages("team-a/api")).resolves.toEqual([]);
  });

  it("maps an image detail with nothing in it to empty identifiers and no scan summary", () => {
    expect(toImageDetail({})).toEqual({
      registryId: "",
      repositoryName: "",
      imageDigest: "",
      imageTags: [],
      imagePushedAt: undefined,
      lastRecordedPullTime: undefined,
      imageManifestMediaType: undefined,
      artifactMediaType: undefined,
      imageStatus: undefined,
      scanSummary: undefined,
    });
  });

  it.each(["COMPLETE", "FAILED", "LIMIT_EXCEEDED"])(
    "keeps DescribeImages' %s status as the last scan when it comes with its completion time",
    (status) => {
      const completedAt = new Date("2026-05-20T10:00:00Z");
      const image = toImageDetail({
        imageScanStatus: { status: status as "COMPLETE", description: "from DescribeImages" },
        imageScanFindingsSummary: { imageScanCompletedAt: completedAt },
        imageStatus: "ACTIVE",
      });
      expect(image.scanSummary).toEqual({
        kind: "scanned",
        status,
        description: "from DescribeImages",
        completedAt,
      });
      expect(image.imageStatus).toBe("ACTIVE");
    },
  );

  it.each(["COMPLETE", "FAILED", "LIMIT_EXCEEDED"])(
    "has no summary for a %s status without its completion time (the time is read from DescribeImageScanFindings)",
    (status) => {
      expect(
        toImageDetail({ imageScanStatus: { status: status as "COMPLETE" } }).scanSummary,
      ).toBeUndefined();
    },
  );

  it.each(["IN_PROGRESS", "PENDING", "SCAN_ELIGIBILITY_EXPIRED"])(
    "keeps a %s status without a completion time: its decision needs none",
    (status) => {
      expect(toImageDetail({ imageScanStatus: { status: status as "COMPLETE" } }).scanSummary).toEqual({
        kind: "scanned",
        status,
        description: undefined,
        completedAt: undefined,
      });
    },
  );

  it("leaves registryId out of DescribeImageScanFindings when it is not known", async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({});
    await gateway.getLastScan(domainImage({ registryId: "" }));
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)[0]?.args[0].input).toEqual({
      repositoryName: "team-a/api",
      imageId: { imageDigest: "sha256:abc" },
      maxResults: 1,
    });
  });

  it("reads a started scan whose answer has no status", async () => {
    ecrMock.on(StartImageScanCommand).resolves({});
    await expect(gateway.startImageScan(domainImage())).resolves.toEqual({
      outcome: "started",
      status: undefined,
    });
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  ecrMock.restore();
});
