import { DOCKER_MANIFEST, type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { invokeBundle, sqsEvent } from "./support/bundles.js";

const DAY = 86_400_000;
const CONFIG = JSON.stringify({ scan: { expiry: "7d" } });

function scanMessage(repositoryName: string, scanType = "BASIC") {
  return JSON.stringify({
    version: 1,
    kind: "scan-repository",
    registryId: "123456789012",
    repositoryName,
    scanType,
    runId: "test-run",
  });
}

/** Seeds one repository with one image of every kind the planner tells apart, plus fresh filler for paging. */
function seedRegistry(sandbox: Sandbox, fillerImages: number) {
  const ecr = sandbox.ecr;
  const now = Date.now();
  ecr.createRepository("team-a/api");
  const d = {
    neverScanned: ecr.seedImage("team-a/api", { tags: ["v1"] }),
    stale: ecr.seedImage("team-a/api", {
      tags: ["v2"],
      scan: { status: "COMPLETE", completedAt: new Date(now - 8 * DAY) },
    }),
    untaggedNever: ecr.seedImage("team-a/api", {}),
    untaggedStale: ecr.seedImage("team-a/api", {
      scan: { status: "COMPLETE", completedAt: new Date(now - 30 * DAY) },
    }),
    fresh: ecr.seedImage("team-a/api", {
      tags: ["v3"],
      scan: { status: "COMPLETE", completedAt: new Date(now - DAY) },
    }),
    inProgress: ecr.seedImage("team-a/api", { tags: ["v4"], scan: { status: "IN_PROGRESS" } }),
    unsupported: ecr.seedImage("team-a/api", {
      tags: ["scratch"],
      scan: {
        status: "UNSUPPORTED_IMAGE",
        description: "The operating system and/or package manager are not supported.",
        completedAt: new Date(now - 20 * DAY),
      },
    }),
    signature: ecr.seedImage("team-a/api", {
      tags: ["sha256-abc.sig"],
      manifestMediaType: "application/vnd.oci.image.manifest.v1+json",
      artifactMediaType: "application/vnd.dev.cosign.artifact.sig.v1+json",
    }),
    helmChart: ecr.seedImage("team-a/api", {
      tags: ["chart-1.0.0"],
      manifestMediaType: "application/vnd.oci.image.manifest.v1+json",
      artifactMediaType: "application/vnd.cncf.helm.config.v1+json",
    }),
    index: ecr.seedImage("team-a/api", {
      tags: ["multiarch"],
      manifestMediaType: "application/vnd.oci.image.index.v1+json",
    }),
  };
  for (let i = 0; i < fillerImages; i++) {
    ecr.seedImage("team-a/api", {
      tags: [`build-${i}`],
      manifestMediaType: DOCKER_MANIFEST,
      scan: { status: "COMPLETE", completedAt: new Date(now - 2 * DAY) },
    });
  }
  return d;
}

function startedDigests(sandbox: Sandbox): string[] {
  return sandbox.ecr.scanRequests.filter((r) => r.outcome === "IN_PROGRESS").map((r) => r.imageDigest);
}

describe("scan-images bundle on the sandbox", () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it("starts exactly the never-scanned and stale scans, by digest, across several DescribeImages pages", async () => {
    sandbox = await startSandbox({ scanDurationMs: 60_000 });
    const d = seedRegistry(sandbox, 2_100);
    const result = await invokeBundle(
      "scan-images",
      sqsEvent([{ messageId: "m1", body: scanMessage("team-a/api") }]),
      {
        ...sandbox.env(),
        AWS_ENDPOINT_URL: "",
        AWS_ENDPOINT_URL_ECR: sandbox.endpoint,
        ECR_SCAN_REPORTER_CONFIG: CONFIG,
        POWERTOOLS_LOG_LEVEL: "DEBUG",
      },
    );
    expect(result.ok).toBe(true);
    expect(result.ok && result.result).toEqual({ batchItemFailures: [] });
    expect(startedDigests(sandbox).sort()).toEqual(
      [d.neverScanned, d.stale, d.untaggedNever, d.untaggedStale].sort(),
    );

    const skipReasons = new Map(
      result.logs
        .filter((l) => l.message === "skip")
        .map((l) => [l.imageDigest as string, l.reason as string]),
    );
    expect(skipReasons.get(d.fresh)).toBe("fresh");
    expect(skipReasons.get(d.inProgress)).toBe("in-progress");
    expect(skipReasons.get(d.unsupported)).toBe("unsupported");
    expect(skipReasons.get(d.signature)).toBe("not-an-image");
    expect(skipReasons.get(d.helmChart)).toBe("not-an-image");
    expect(skipReasons.get(d.index)).toBe("not-an-image");
    expect(skipReasons.size).toBe(2_100 + 6);

    const calls = sandbox.server.callCounts();
    // 2,110 images: three pages of DescribeImages; one status call per image that can need a scan.
    expect(calls["ecr:DescribeImages"]).toBe(3);
    expect(calls["ecr:DescribeImageScanFindings"]).toBe(2_110 - 3);
    expect(calls["ecr:StartImageScan"]).toBe(4);

    const summary = result.logs.find((l) => l.message === "scan-images summary")?.summary as Record<
      string,
      unknown
    >;
    expect(summary).toMatchObject({
      messages: 1,
      messagesRetried: 0,
      images: 2_110,
      outcomes: { started: 4 },
    });
  });

  it("takes the scan time from DescribeImageScanFindings when DescribeImages gives a status but no summary", async () => {
    // Without the fix, a COMPLETE status with no completion time reads as expired: every fresh image rescanned.
    sandbox = await startSandbox({ scanDurationMs: 60_000, describeImagesScanData: "status-only" });
    const d = seedRegistry(sandbox, 20);
    const result = await invokeBundle(
      "scan-images",
      sqsEvent([{ messageId: "m1", body: scanMessage("team-a/api") }]),
      { ...sandbox.env(), ECR_SCAN_REPORTER_CONFIG: CONFIG },
    );
    expect(result.ok && result.result).toEqual({ batchItemFailures: [] });
    expect(startedDigests(sandbox).sort()).toEqual(
      [d.neverScanned, d.stale, d.untaggedNever, d.untaggedStale].sort(),
    );
    const calls = sandbox.server.callCounts();
    // The in-progress and unsupported statuses decide without a time; the 20 fillers, fresh, stale ×2 need one.
    expect(calls["ecr:DescribeImageScanFindings"]).toBe(20 + 3 + 2);
  });

  it("never asks to scan an archived image; DescribeImages does not even list it", async () => {
    sandbox = await startSandbox({ scanDurationMs: 60_000 });
    sandbox.ecr.createRepository("team-a/api");
    const active = sandbox.ecr.seedImage("team-a/api", { tags: ["v1"] });
    sandbox.ecr.seedImage("team-a/api", { tags: ["v0"], status: "ARCHIVED" });
    const result = await invokeBundle(
      "scan-images",
      sqsEvent([{ messageId: "m1", body: scanMessage("team-a/api") }]),
      { ...sandbox.env(), ECR_SCAN_REPORTER_CONFIG: CONFIG },
    );
    expect(result.ok && result.result).toEqual({ batchItemFailures: [] });
    expect(sandbox.ecr.scanRequests.map((r) => r.imageDigest)).toEqual([active]);
  });

  it("finishes the batch without retrying or sleeping when the scan quota answers LimitExceededException", async () => {
    // The in-progress seed counts as one scan today, so a quota of 2 leaves room for one more.
    sandbox = await startSandbox({ scanDurationMs: 60_000, scansPerRegistryPerDay: 2 });
    seedRegistry(sandbox, 0);
    const result = await invokeBundle(
      "scan-images",
      sqsEvent([{ messageId: "m1", body: scanMessage("team-a/api") }]),
      {
        ...sandbox.env(),
        ECR_SCAN_REPORTER_CONFIG: CONFIG,
      },
    );
    expect(result.ok && result.result).toEqual({ batchItemFailures: [] });
    const calls = sandbox.server.callCounts();
    // Four scans planned, one allowed by the registry quota, three answered LimitExceededException once each: a
    // retry by the SDK (which would back off for seconds) would be a second request for the same image.
    expect(calls["ecr:StartImageScan"]).toBe(4);
    const requested = sandbox.ecr.scanRequests.map((r) => r.imageDigest);
    expect(new Set(requested).size).toBe(4);
    const summary = result.logs.find((l) => l.message === "scan-images summary")?.summary as Record<
      string,
      unknown
    >;
    expect(summary).toMatchObject({ outcomes: { started: 1, quota: 3 }, messagesRetried: 0 });
  });

  it("returns the message whose StartImageScan is still throttled after the SDK's retries, and only that one", async () => {
    sandbox = await startSandbox({ scanDurationMs: 60_000 });
    for (const name of ["team-a/api", "team-b/web"]) {
      sandbox.ecr.createRepository(name);
      sandbox.ecr.seedImage(name, { tags: ["v1"] });
    }
    sandbox.server.injectFault({
      service: "ecr",
      operation: "StartImageScan",
      when: (input) => input.repositoryName === "team-b/web",
      type: "ThrottlingException",
      message: "Rate exceeded",
    });
    const result = await invokeBundle(
      "scan-images",
      sqsEvent([
        { messageId: "a", body: scanMessage("team-a/api") },
        { messageId: "b", body: scanMessage("team-b/web") },
      ]),
      // Two attempts per call: one retry, after the SDK's back-off for throttling (up to half a second).
      { ...sandbox.env(), ECR_SCAN_REPORTER_CONFIG: CONFIG, AWS_MAX_ATTEMPTS: "2" },
    );
    expect(result.ok && result.result).toEqual({ batchItemFailures: [{ itemIdentifier: "b" }] });
    const startCalls = sandbox.server.calls.filter((c) => c.operation === "StartImageScan");
    // team-a/api's scan once; team-b/web's twice, both throttled: the SDK retried before giving up.
    expect(startCalls.map((c) => c.status).sort()).toEqual([200, 400, 400]);
    expect(sandbox.ecr.scanRequests.map((r) => r.repositoryName)).toEqual(["team-a/api"]);
  });

  it("returns exactly the failed messages of a batch mixing good, malformed and failing messages", async () => {
    sandbox = await startSandbox({ scanDurationMs: 60_000 });
    sandbox.ecr.createRepository("team-b/web");
    const dlq = sandbox.sqs.createQueue("scan-dlq");
    sandbox.server.injectFault({
      service: "ecr",
      operation: "DescribeImages",
      when: (input) => input.repositoryName === "team-b/web",
      type: "ServerException",
      message: "Internal error",
      status: 500,
    });
    const result = await invokeBundle(
      "scan-images",
      sqsEvent([
        { messageId: "not-json", body: "{oops" },
        { messageId: "wrong-shape", body: JSON.stringify({ version: 1, kind: "scan-repository" }) },
        { messageId: "throttled", body: scanMessage("team-b/web") },
        { messageId: "deleted-repo", body: scanMessage("team-z/gone") },
      ]),
      { ...sandbox.env(), ECR_SCAN_REPORTER_CONFIG: CONFIG, AWS_MAX_ATTEMPTS: "2", SCAN_DLQ_URL: dlq.url },
    );
    expect(result.ok && result.result).toEqual({ batchItemFailures: [{ itemIdentifier: "throttled" }] });
    const dropped = result.logs
      .filter((l) => l.message === "malformed scan message moved to the dead-letter queue")
      .map((l) => l.messageId);
    expect(dropped.sort()).toEqual(["not-json", "wrong-shape"]);
    // The malformed bodies are kept, as they were, for an operator to read.
    expect(dlq.messages.map((m) => m.body).sort()).toEqual(
      ["{oops", JSON.stringify({ version: 1, kind: "scan-repository" })].sort(),
    );
  });

  it("ends the invocation with every configuration problem listed and does nothing else", async () => {
    sandbox = await startSandbox();
    const result = await invokeBundle(
      "scan-images",
      sqsEvent([{ messageId: "m1", body: scanMessage("team-a/api") }]),
      {
        ...sandbox.env(),
        ECR_SCAN_REPORTER_CONFIG: JSON.stringify({
          scan: { expiry: "7 days", maxScansPerRun: 0 },
          repositories: { include: "(" },
        }),
      },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errorType).toBe("ConfigError");
    expect(result.errorMessage).toContain('scan.expiry: "7 days" is not a duration like 7d, 12h or 30m');
    expect(result.errorMessage).toContain("scan.maxScansPerRun:");
    expect(result.errorMessage).toContain("repositories.include:");
    expect(sandbox.server.calls).toHaveLength(0);
  });
});
