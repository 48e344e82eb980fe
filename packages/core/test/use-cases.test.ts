import {
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  StartImageScanCommand,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import { EcrGateway } from "../src/ecr-gateway.js";
import { reportImage } from "../src/use-cases/report-image.js";
import { planOptionsOf, scanRepository } from "../src/use-cases/scan-repository.js";
import { selectRepositories } from "../src/use-cases/select-repositories.js";

// The use cases the Lambdas and the CLI share, with ECR mocked.

const ecrMock = mockClient(ECRClient);
const ecr = () => new ECRClient({ region: "eu-west-1" });
const DIGEST = `sha256:${"b".repeat(64)}`;

beforeEach(() => ecrMock.reset());

describe("reportImage", () => {
  beforeEach(() => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({
      imageScanStatus: { status: "COMPLETE" },
      imageScanFindings: {
        imageScanCompletedAt: new Date("2026-03-02T09:00:00Z"),
        findings: [
          { name: "CVE-2026-1", severity: "HIGH" },
          { name: "CVE-2026-2", severity: "LOW" },
        ],
      },
    });
  });

  it("builds the report of an image from its findings under the policy", async () => {
    const { report } = await reportImage(
      ecr(),
      {
        registryId: "123456789012",
        repository: "team-a/api",
        digest: DIGEST,
        tags: ["v1"],
        scanType: "BASIC",
      },
      parseConfig({ thresholds: { HIGH: 1 } }, "test"),
    );
    expect(report.counts).toMatchObject({ HIGH: 1, LOW: 1 });
    expect(report.verdict).toMatchObject({ due: false, reason: "within-thresholds" });
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)[0]?.args[0].input).toMatchObject({
      registryId: "123456789012",
      repositoryName: "team-a/api",
      imageId: { imageDigest: DIGEST },
    });
  });

  it("names the account after the registry and the region after the client when the caller knows neither", async () => {
    const { report } = await reportImage(
      ecr(),
      { registryId: "210987654321", repository: "team-a/api", digest: DIGEST, tags: [], scanType: "BASIC" },
      parseConfig({}, "test"),
    );
    expect([report.account, report.region]).toEqual(["210987654321", "eu-west-1"]);
  });

  it("keeps the account and region of a scan event", async () => {
    const { report } = await reportImage(
      ecr(),
      {
        account: "111111111111",
        region: "us-east-1",
        registryId: "210987654321",
        repository: "team-a/api",
        digest: DIGEST,
        tags: [],
        scanType: "BASIC",
      },
      parseConfig({}, "test"),
    );
    expect([report.account, report.region]).toEqual(["111111111111", "us-east-1"]);
  });
});

describe("selectRepositories", () => {
  it("lists the registry once, reads its scan type once, and keeps what the filter selects", async () => {
    ecrMock.on(DescribeRepositoriesCommand).resolves({
      repositories: ["team-a/api", "team-a/sandbox-x", "legacy/app"].map((repositoryName) => ({
        repositoryName,
        registryId: "123456789012",
      })),
    });
    ecrMock
      .on(GetRegistryScanningConfigurationCommand)
      .resolves({ scanningConfiguration: { scanType: "BASIC" } });
    const config = parseConfig({ repositories: { include: "^team-", exclude: "sandbox" } }, "test");
    const selection = await selectRepositories(new EcrGateway(ecr()), config.repositories);
    expect(selection.repositories).toHaveLength(3);
    expect(selection.selected.map((r) => r.repositoryName)).toEqual(["team-a/api"]);
    expect(selection.scanType).toBe("BASIC");
    expect(ecrMock.commandCalls(GetRegistryScanningConfigurationCommand)).toHaveLength(1);
  });
});

describe("scanRepository", () => {
  it("plans with the config's scan section and starts the due scans, counting each outcome", async () => {
    const now = new Date("2026-03-10T00:00:00Z");
    ecrMock.on(DescribeImagesCommand).resolves({
      imageDetails: ["1", "2"].map((c) => ({
        repositoryName: "team-a/api",
        registryId: "123456789012",
        imageDigest: `sha256:${c.repeat(64)}`,
        imageTags: [`v${c}`],
        imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json",
        imagePushedAt: new Date("2026-01-01T00:00:00Z"),
      })),
    });
    // Image 1 was scanned a day ago (fresh under a 7-day expiry); image 2 never.
    ecrMock
      .on(DescribeImageScanFindingsCommand, { imageId: { imageDigest: `sha256:${"1".repeat(64)}` } })
      .resolves({
        imageScanStatus: { status: "COMPLETE" },
        imageScanFindings: { imageScanCompletedAt: new Date("2026-03-09T00:00:00Z"), findings: [] },
      })
      .on(DescribeImageScanFindingsCommand, { imageId: { imageDigest: `sha256:${"2".repeat(64)}` } })
      .rejects(Object.assign(new Error("never"), { name: "ScanNotFoundException", $metadata: {} }));
    ecrMock.on(StartImageScanCommand).resolves({});
    const config = parseConfig({ scan: { expiry: "7d" } }, "test");
    const options = planOptionsOf(config.scan, { registryId: "123456789012", scanType: "BASIC" }, now);
    expect(options).toMatchObject({ expiryMs: 7 * 86_400_000, maxScans: config.scan.maxScansPerRun, now });

    const { plan, started, counts } = await scanRepository(new EcrGateway(ecr()), "team-a/api", options);
    expect(plan.toScan.map((p) => p.image.imageDigest)).toEqual([`sha256:${"2".repeat(64)}`]);
    expect(started.map((s) => s.result.outcome)).toEqual(["started"]);
    expect(counts).toEqual({
      images: 2,
      decisions: { "skip:fresh": 1, "scan:never-scanned": 1 },
      outcomes: { started: 1 },
      retryableFailures: 0,
    });
  });
});
