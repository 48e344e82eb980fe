import {
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  StartImageScanCommand,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import { EcrGateway, type ScanStartOutcome } from "../src/ecr-gateway.js";
import type { IntelLookup, ThreatIntel } from "../src/intel/intel.js";
import { noIntel } from "../src/intel/intel.js";
import type { ImageDetail, LastScan } from "../src/model.js";
import type { PlannedImage } from "../src/planner.js";
import { reportImage } from "../src/use-cases/report-image.js";
import {
  addScanRunCounts,
  countScanRun,
  emptyScanRunCounts,
  type PlanRepositoryOptions,
  planOptionsOf,
  planRepository,
  type ScanRunCounts,
  scanRepository,
} from "../src/use-cases/scan-repository.js";
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

describe("reportImage with threat intel", () => {
  const IMAGE = {
    registryId: "123456789012",
    repository: "team-a/api",
    digest: DIGEST,
    tags: ["v1"],
    scanType: "BASIC",
  } as const;

  /** A stand-in for the feeds: answers from fixed maps, and records the CVE ids it was asked for. */
  function fakeIntel(answer: Omit<IntelLookup, "status">): ThreatIntel & { asked: string[][] } {
    const asked: string[][] = [];
    return {
      asked,
      async lookUp(cveIds) {
        asked.push([...cveIds]);
        return {
          ...answer,
          status: {
            kev: { state: "fresh", asOf: "2026-11-27" },
            epss: { state: "stale", asOf: "2026-11-26", reason: "FIRST answered 503" },
          },
        };
      },
    };
  }

  beforeEach(() => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({
      imageScanStatus: { status: "COMPLETE" },
      imageScanFindings: {
        imageScanCompletedAt: new Date("2026-03-02T09:00:00Z"),
        findings: [
          { name: "CVE-2026-1000", severity: "CRITICAL", attributes: [{ key: "CVSS3_SCORE", value: "9.8" }] },
          {
            name: "cve-2023-44487",
            severity: "MEDIUM",
            attributes: [{ key: "package_name", value: "nghttp2" }],
          },
          { name: "CVE-2024-0001", severity: "LOW" },
          {
            name: "CVE-2026-1000",
            severity: "CRITICAL",
            attributes: [{ key: "package_name", value: "libb" }],
          },
          { name: "ALAS-2024-001", severity: "HIGH" },
        ],
      },
    });
  });

  it("carries KEV and EPSS on the findings, orders them by urgency, escalates, and states the intel", async () => {
    const kev = { dateAdded: "2023-10-10", dueDate: "2023-10-31", knownRansomwareCampaignUse: "Unknown" };
    const intel = fakeIntel({
      kev: new Map([["CVE-2023-44487", kev]]),
      epss: new Map([
        ["CVE-2023-44487", { score: 0.81, percentile: 0.98, date: "2026-11-26" }],
        ["CVE-2024-0001", { score: 0.02, percentile: 0.4, date: "2026-11-26" }],
      ]),
    });
    const { report } = await reportImage(
      ecr(),
      IMAGE,
      parseConfig({ thresholds: { CRITICAL: 5, HIGH: 5, MEDIUM: null, LOW: null } }, "test"),
      { intel },
    );

    // Each CVE id once, upper case; what is not a CVE id is not looked up.
    expect(intel.asked).toEqual([["CVE-2026-1000", "CVE-2023-44487", "CVE-2024-0001"]]);
    expect(report.findings.map((f) => [f.id, f.kev?.dueDate, f.epss?.score])).toEqual([
      ["cve-2023-44487", "2023-10-31", 0.81],
      ["CVE-2024-0001", undefined, 0.02],
      ["CVE-2026-1000", undefined, undefined],
      ["CVE-2026-1000", undefined, undefined],
      ["ALAS-2024-001", undefined, undefined],
    ]);
    expect(report.verdict).toMatchObject({
      due: true,
      reason: "escalated",
      exceeded: [],
      escalations: [{ id: "cve-2023-44487", packageName: "nghttp2", why: ["kev"] }],
    });
    expect(report.intel).toEqual({
      kev: { state: "fresh", asOf: "2026-11-27" },
      epss: { state: "stale", asOf: "2026-11-26", reason: "FIRST answered 503" },
    });
  });

  it("looks nothing up without intel, leaving the report as it was; noIntel states both sources off", async () => {
    const policy = parseConfig({}, "test");
    const { report } = await reportImage(ecr(), IMAGE, policy);
    expect(report).not.toHaveProperty("intel");
    expect(report.findings.map((f) => f.id)).toEqual([
      "CVE-2026-1000",
      "CVE-2026-1000",
      "ALAS-2024-001",
      "cve-2023-44487",
      "CVE-2024-0001",
    ]);
    expect(report.findings.some((f) => f.kev || f.epss)).toBe(false);

    const { report: off } = await reportImage(ecr(), IMAGE, policy, { intel: noIntel });
    expect(off.intel).toEqual({ kev: { state: "off" }, epss: { state: "off" } });
    expect({ ...off, intel: undefined }).toEqual({ ...report, intel: undefined });
  });

  it("still builds the report, saying intel was unavailable, should the intel throw", async () => {
    const broken: ThreatIntel = {
      async lookUp() {
        throw new Error("socket hang up");
      },
    };
    const { report } = await reportImage(ecr(), IMAGE, parseConfig({}, "test"), { intel: broken });
    expect(report.findings).toHaveLength(5);
    expect(report.verdict).toMatchObject({ due: true, reason: "over-threshold" });
    expect(report.intel).toEqual({
      kev: { state: "unavailable", reason: "Error: socket hang up" },
      epss: { state: "unavailable", reason: "Error: socket hang up" },
    });
  });

  it("does not look up a failed scan's findings", async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({ imageScanStatus: { status: "FAILED" } });
    const intel = fakeIntel({ kev: new Map(), epss: new Map() });
    const { report } = await reportImage(ecr(), IMAGE, parseConfig({}, "test"), { intel });
    expect(intel.asked).toEqual([]);
    expect(report.status).toBe("FAILED");
    expect(report).not.toHaveProperty("intel");
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

/** An image of team-a/api, digest `sha256:<c × 64>`. */
function imageOf(c: string, overrides: Partial<ImageDetail> = {}): ImageDetail {
  return {
    registryId: "123456789012",
    repositoryName: "team-a/api",
    imageDigest: `sha256:${c.repeat(64)}`,
    imageTags: [],
    imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json",
    ...overrides,
  };
}

/**
 * A gateway over a fixed repository: `images` (undefined: the repository is gone), each image's last scan by
 * digest (missing: the image is gone), StartImageScan answering `start`; records the calls and the most
 * StartImageScan calls in flight at once.
 */
function fakeGateway(
  images: ImageDetail[] | undefined,
  lastScans: Record<string, LastScan>,
  start: (image: ImageDetail) => ScanStartOutcome = () => ({ outcome: "started" }),
) {
  const calls = { getLastScan: [] as string[], startImageScan: [] as string[], maxInFlight: 0 };
  let inFlight = 0;
  const gateway = {
    listImages: async () => images,
    getLastScan: async (image: ImageDetail) => {
      calls.getLastScan.push(image.imageDigest);
      return lastScans[image.imageDigest];
    },
    startImageScan: async (image: ImageDetail) => {
      calls.startImageScan.push(image.imageDigest);
      inFlight += 1;
      calls.maxInFlight = Math.max(calls.maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      return start(image);
    },
  } as unknown as EcrGateway;
  return { gateway, calls };
}

const PLAN_OPTIONS: PlanRepositoryOptions = {
  scanType: "BASIC",
  now: new Date("2026-03-10T00:00:00Z"),
  expiryMs: 7 * 86_400_000,
  maxScans: 100,
};

describe("planRepository", () => {
  it("returns an empty plan, not found, for a repository deleted after it was listed", async () => {
    const { gateway, calls } = fakeGateway(undefined, {});
    expect(await planRepository(gateway, "team-a/gone", PLAN_OPTIONS)).toMatchObject({
      repositoryName: "team-a/gone",
      found: false,
      decisions: [],
      toScan: [],
    });
    expect(calls.getLastScan).toEqual([]);
  });

  it("says found for a repository with no image", async () => {
    const { gateway } = fakeGateway([], {});
    expect(await planRepository(gateway, "team-a/empty", PLAN_OPTIONS)).toMatchObject({
      repositoryName: "team-a/empty",
      found: true,
      decisions: [],
      toScan: [],
    });
  });

  it("reads no last scan of an image the planner decides without it", async () => {
    const artifact = imageOf("a", { artifactMediaType: "application/vnd.cncf.helm.config.v1+json" });
    const { gateway, calls } = fakeGateway([artifact, imageOf("b")], {
      [imageOf("b").imageDigest]: { kind: "never" },
    });
    const plan = await planRepository(gateway, "team-a/api", PLAN_OPTIONS);
    expect(calls.getLastScan).toEqual([imageOf("b").imageDigest]);
    expect(plan.decisions.map((p) => [p.image.imageDigest, p.decision.action, p.decision.reason])).toEqual([
      [artifact.imageDigest, "skip", "not-an-image"],
      [imageOf("b").imageDigest, "scan", "never-scanned"],
    ]);
  });

  it("skips an image deleted between listing it and reading its last scan as gone", async () => {
    const { gateway } = fakeGateway([imageOf("a")], {});
    const plan = await planRepository(gateway, "team-a/api", PLAN_OPTIONS);
    expect(plan.decisions).toEqual([{ image: imageOf("a"), decision: { action: "skip", reason: "gone" } }]);
    expect(plan.toScan).toEqual([]);
  });
});

describe("scanRepository", () => {
  it("starts no more scans at once than the concurrency it is given", async () => {
    const images = ["1", "2", "3", "4"].map((c) => imageOf(c));
    const never = Object.fromEntries(images.map((i) => [i.imageDigest, { kind: "never" } as LastScan]));
    const { gateway, calls } = fakeGateway(images, never);
    const { started } = await scanRepository(gateway, "team-a/api", { ...PLAN_OPTIONS, concurrency: 1 });
    expect(started).toHaveLength(4);
    expect(calls.maxInFlight).toBe(1);

    const wide = fakeGateway(images, never);
    await scanRepository(wide.gateway, "team-a/api", { ...PLAN_OPTIONS, concurrency: 4 });
    expect(wide.calls.maxInFlight).toBe(4);
  });
});

describe("countScanRun", () => {
  const planned = (c: string, decision: PlannedImage["decision"]): PlannedImage => ({
    image: imageOf(c),
    decision,
  });

  it("tallies decisions by action and reason, outcomes by name, and only the failures a retry could mend", () => {
    const decisions = [
      planned("1", { action: "scan", reason: "never-scanned", priority: 0 }),
      planned("2", { action: "scan", reason: "never-scanned", priority: 0 }),
      planned("3", { action: "skip", reason: "fresh" }),
      planned("4", { action: "scan", reason: "expired", priority: 1 }),
    ];
    const outcomes: ScanStartOutcome[] = [
      { outcome: "started" },
      { outcome: "failed", message: "ThrottlingException: slow down", retryable: true },
      { outcome: "failed", message: "AccessDeniedException: no", retryable: false },
      { outcome: "quota", message: "LimitExceededException: once a day" },
    ];
    const started = outcomes.map((result, i) => ({ image: imageOf(String(i + 1)), result }));
    expect(countScanRun(decisions, started)).toEqual({
      images: 4,
      decisions: { "scan:never-scanned": 2, "skip:fresh": 1, "scan:expired": 1 },
      outcomes: { started: 1, failed: 2, quota: 1 },
      retryableFailures: 1,
    });
  });
});

describe("addScanRunCounts", () => {
  it("adds every count of one repository to the running total, keeping keys only one side has", () => {
    const total: ScanRunCounts = {
      images: 5,
      decisions: { "skip:fresh": 3, "scan:expired": 2 },
      outcomes: { started: 2 },
      retryableFailures: 1,
    };
    const more: ScanRunCounts = {
      images: 3,
      decisions: { "skip:fresh": 1, "scan:never-scanned": 2 },
      outcomes: { started: 1, failed: 1 },
      retryableFailures: 2,
    };
    expect(addScanRunCounts(total, more)).toEqual({
      images: 8,
      decisions: { "skip:fresh": 4, "scan:expired": 2, "scan:never-scanned": 2 },
      outcomes: { started: 3, failed: 1 },
      retryableFailures: 3,
    });
    // The running total is not changed in place.
    expect(total.decisions).toEqual({ "skip:fresh": 3, "scan:expired": 2 });
  });

  it("starts from nothing counted", () => {
    expect(emptyScanRunCounts()).toEqual({ images: 0, decisions: {}, outcomes: {}, retryableFailures: 0 });
    const one: ScanRunCounts = {
      images: 1,
      decisions: { "skip:fresh": 1 },
      outcomes: {},
      retryableFailures: 0,
    };
    expect(addScanRunCounts(emptyScanRunCounts(), one)).toEqual(one);
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  ecrMock.restore();
});
