import { beforeEach, describe, expect, it } from "vitest";
import type { ImageDetail, LastScan } from "../src/model.js";
import type { PlanContext, PlannedImage, ScanDecision } from "../src/planner.js";
import { loadFresh } from "./support/fresh-modules.js";

// The planner's constants (the 24-hour retry delay, the media types) are set while its module loads: each test
// loads it afresh (support/fresh-modules.ts says why).
let applyScanBudget: typeof import("../src/planner.js").applyScanBudget;
let compareScanUrgency: typeof import("../src/planner.js").compareScanUrgency;
let FAILED_SCAN_RETRY_AFTER_MS: number;
let isContainerImage: typeof import("../src/planner.js").isContainerImage;
let planImageScan: typeof import("../src/planner.js").planImageScan;
let screenImage: typeof import("../src/planner.js").screenImage;

beforeEach(async () => {
  ({
    applyScanBudget,
    compareScanUrgency,
    FAILED_SCAN_RETRY_AFTER_MS,
    isContainerImage,
    planImageScan,
    screenImage,
  } = await loadFresh(() => import("../src/planner.js")));
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = new Date("2026-06-01T12:00:00.000Z");
const EXPIRY = 7 * DAY;

const ago = (ms: number) => new Date(NOW.getTime() - ms);

function image(overrides: Partial<ImageDetail> = {}): ImageDetail {
  return {
    registryId: "123456789012",
    repositoryName: "team-a/api",
    imageDigest: "sha256:aaaa",
    imageTags: ["v1.2.3"],
    imagePushedAt: ago(2 * DAY),
    imageManifestMediaType: "application/vnd.docker.distribution.manifest.v2+json",
    artifactMediaType: "application/vnd.docker.container.image.v1+json",
    ...overrides,
  };
}

function ctx(overrides: Partial<PlanContext> = {}): PlanContext {
  return { now: NOW, expiryMs: EXPIRY, registryScanType: "BASIC", ...overrides };
}

const never: LastScan = { kind: "never" };
const scanned = (status: string, completedAt?: Date, description?: string): LastScan => ({
  kind: "scanned",
  status,
  completedAt,
  description,
});

const UNSUPPORTED_FAILURE =
  "UnsupportedImageError: The operating system and/or package manager are not supported.";

interface Row {
  name: string;
  image?: Partial<ImageDetail>;
  lastScan: LastScan;
  ctx?: Partial<PlanContext>;
  /** The decision expected, compared with toMatchObject (so `detail` may be left out). */
  expected: Partial<ScanDecision> & Pick<ScanDecision, "action" | "reason">;
}

describe("planImageScan", () => {
  const rows: Row[] = [
    // never scanned
    {
      name: "never scanned → scan first",
      lastScan: never,
      expected: { action: "scan", reason: "never-scanned", priority: 0 },
    },
    // COMPLETE
    {
      name: "COMPLETE 8 days ago (expiry 7d) → scan expired",
      lastScan: scanned("COMPLETE", ago(8 * DAY)),
      expected: { action: "scan", reason: "expired", priority: 1, lastScannedAt: ago(8 * DAY) },
    },
    {
      name: "COMPLETE 1 day ago → skip fresh",
      lastScan: scanned("COMPLETE", ago(DAY)),
      expected: { action: "skip", reason: "fresh", detail: `scanned ${ago(DAY).toISOString()}` },
    },
    {
      name: "COMPLETE exactly at the expiry → still fresh",
      lastScan: scanned("COMPLETE", ago(EXPIRY)),
      expected: { action: "skip", reason: "fresh" },
    },
    {
      name: "COMPLETE 1 ms past the expiry → expired",
      lastScan: scanned("COMPLETE", ago(EXPIRY + 1)),
      expected: { action: "scan", reason: "expired", priority: 1, lastScannedAt: ago(EXPIRY + 1) },
    },
    {
      name: "COMPLETE 1 h old under a 30m expiry → expired",
      lastScan: scanned("COMPLETE", ago(HOUR)),
      ctx: { expiryMs: 30 * MINUTE },
      expected: { action: "scan", reason: "expired" },
    },
    {
      name: "COMPLETE with no completion time cannot be shown fresh → scan expired",
      lastScan: scanned("COMPLETE"),
      expected: { action: "scan", reason: "expired", priority: 1 },
    },
    {
      name: "SCAN_ELIGIBILITY_EXPIRED, even recent → scan expired",
      lastScan: scanned("SCAN_ELIGIBILITY_EXPIRED", ago(HOUR)),
      expected: { action: "scan", reason: "expired", priority: 1 },
    },
    // IN_PROGRESS / PENDING
    {
      name: "IN_PROGRESS → skip in-progress",
      lastScan: scanned("IN_PROGRESS"),
      expected: { action: "skip", reason: "in-progress" },
    },
    {
      name: "PENDING → skip in-progress",
      lastScan: scanned("PENDING"),
      expected: { action: "skip", reason: "in-progress" },
    },
    // archived (https://docs.aws.amazon.com/AmazonECR/latest/userguide/archive-image.html)
    {
      name: "IMAGE_ARCHIVED → skip archived, never scanned",
      lastScan: scanned("IMAGE_ARCHIVED", ago(30 * DAY)),
      expected: { action: "skip", reason: "archived" },
    },
    {
      name: "an ARCHIVED image whose last scan expired long ago → skip archived",
      image: { imageStatus: "ARCHIVED" },
      lastScan: scanned("COMPLETE", ago(300 * DAY)),
      expected: { action: "skip", reason: "archived", detail: "image status ARCHIVED" },
    },
    {
      name: "an image being restored from the archive (ACTIVATING) → skip archived",
      image: { imageStatus: "ACTIVATING" },
      lastScan: never,
      expected: { action: "skip", reason: "archived", detail: "image status ACTIVATING" },
    },
    {
      name: "an ACTIVE image is planned as usual",
      image: { imageStatus: "ACTIVE" },
      lastScan: never,
      expected: { action: "scan", reason: "never-scanned" },
    },
    // unsupported
    {
      name: "UNSUPPORTED_IMAGE → skip unsupported",
      lastScan: scanned("UNSUPPORTED_IMAGE", ago(30 * DAY), "The image is not supported"),
      expected: { action: "skip", reason: "unsupported", detail: "The image is not supported" },
    },
    {
      name: "FAILED with an unsupported-image description, long ago → skip unsupported",
      lastScan: scanned("FAILED", ago(30 * DAY), UNSUPPORTED_FAILURE),
      expected: { action: "skip", reason: "unsupported", detail: UNSUPPORTED_FAILURE },
    },
    // FAILED otherwise
    {
      name: "FAILED 2 days ago → scan retry-failed",
      lastScan: scanned("FAILED", ago(2 * DAY), "Scan failed: internal error"),
      expected: { action: "scan", reason: "retry-failed", priority: 2, lastScannedAt: ago(2 * DAY) },
    },
    {
      name: "FAILED 1 h ago → skip failed-recently",
      lastScan: scanned("FAILED", ago(HOUR), "Scan failed: internal error"),
      expected: { action: "skip", reason: "failed-recently", detail: "Scan failed: internal error" },
    },
    {
      name: "FAILED exactly 24 h ago → scan again",
      lastScan: scanned("FAILED", ago(24 * HOUR)),
      expected: { action: "scan", reason: "retry-failed", priority: 2 },
    },
    {
      name: "FAILED 1 ms short of 24 h → skip failed-recently",
      lastScan: scanned("FAILED", ago(24 * HOUR - 1)),
      expected: { action: "skip", reason: "failed-recently" },
    },
    {
      name: "FAILED with no time known → scan retry-failed",
      lastScan: scanned("FAILED", undefined, "Scan failed"),
      expected: { action: "scan", reason: "retry-failed", priority: 2 },
    },
    // LIMIT_EXCEEDED is a quota failure: same 24 h rule as FAILED
    {
      name: "LIMIT_EXCEEDED 1 h ago → skip failed-recently",
      lastScan: scanned("LIMIT_EXCEEDED", ago(HOUR)),
      expected: { action: "skip", reason: "failed-recently" },
    },
    {
      name: "LIMIT_EXCEEDED 25 h ago → scan retry-failed",
      lastScan: scanned("LIMIT_EXCEEDED", ago(25 * HOUR)),
      expected: { action: "scan", reason: "retry-failed", priority: 2 },
    },
    {
      name: "LIMIT_EXCEEDED whose description says unsupported is still a quota failure, not unsupported",
      lastScan: scanned("LIMIT_EXCEEDED", ago(HOUR), "not supported right now"),
      expected: { action: "skip", reason: "failed-recently" },
    },
    // ACTIVE: continuous (enhanced) scanning
    {
      name: "ACTIVE → skip enhanced-scanning",
      lastScan: scanned("ACTIVE", ago(30 * DAY)),
      expected: {
        action: "skip",
        reason: "enhanced-scanning",
        detail: "scan status ACTIVE (continuous scanning)",
      },
    },
    // unknown statuses: do not scan, say why
    {
      name: "an unknown status → skip unknown-status",
      lastScan: scanned("SOMETHING_NEW", ago(30 * DAY)),
      expected: { action: "skip", reason: "unknown-status", detail: "scan status SOMETHING_NEW" },
    },
    {
      name: "FINDINGS_UNAVAILABLE → skip unknown-status (never triggers a scan)",
      lastScan: scanned("FINDINGS_UNAVAILABLE", ago(30 * DAY)),
      expected: { action: "skip", reason: "unknown-status" },
    },
    // not an image
    {
      name: "cosign signature → skip not-an-image",
      image: {
        imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactMediaType: "application/vnd.dev.cosign.artifact.sig.v1+json",
      },
      lastScan: never,
      expected: {
        action: "skip",
        reason: "not-an-image",
        detail: "application/vnd.dev.cosign.artifact.sig.v1+json",
      },
    },
    {
      name: "SPDX SBOM → skip not-an-image",
      image: {
        imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactMediaType: "application/spdx+json",
      },
      lastScan: never,
      expected: { action: "skip", reason: "not-an-image", detail: "application/spdx+json" },
    },
    {
      name: "Helm chart → skip not-an-image",
      image: {
        imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactMediaType: "application/vnd.cncf.helm.config.v1+json",
      },
      lastScan: scanned("COMPLETE", ago(30 * DAY)),
      expected: { action: "skip", reason: "not-an-image" },
    },
    {
      name: "OCI image index → skip not-an-image",
      image: {
        imageManifestMediaType: "application/vnd.oci.image.index.v1+json",
        artifactMediaType: undefined,
      },
      lastScan: never,
      expected: { action: "skip", reason: "not-an-image", detail: "application/vnd.oci.image.index.v1+json" },
    },
    {
      name: "Docker manifest list → skip not-an-image",
      image: {
        imageManifestMediaType: "application/vnd.docker.distribution.manifest.list.v2+json",
        artifactMediaType: undefined,
      },
      lastScan: never,
      expected: { action: "skip", reason: "not-an-image" },
    },
    {
      name: "OCI image (oci config media type) → planned as an image",
      image: {
        imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactMediaType: "application/vnd.oci.image.config.v1+json",
      },
      lastScan: never,
      expected: { action: "scan", reason: "never-scanned" },
    },
    {
      name: "no media types known → planned as an image",
      image: { imageManifestMediaType: undefined, artifactMediaType: undefined },
      lastScan: never,
      expected: { action: "scan", reason: "never-scanned" },
    },
    // onlyPulledWithin
    {
      name: "pulled 100 d ago under onlyPulledWithin 90d → skip not-in-use",
      image: { lastRecordedPullTime: ago(100 * DAY), imagePushedAt: ago(400 * DAY) },
      lastScan: scanned("COMPLETE", ago(30 * DAY)),
      ctx: { onlyPulledWithinMs: 90 * DAY },
      expected: { action: "skip", reason: "not-in-use", detail: `last used ${ago(100 * DAY).toISOString()}` },
    },
    {
      name: "pulled 10 d ago, pushed 400 d ago → the pull time wins, planned normally",
      image: { lastRecordedPullTime: ago(10 * DAY), imagePushedAt: ago(400 * DAY) },
      lastScan: scanned("COMPLETE", ago(30 * DAY)),
      ctx: { onlyPulledWithinMs: 90 * DAY },
      expected: { action: "scan", reason: "expired" },
    },
    {
      name: "never pulled, pushed 100 d ago → falls back to push time, skip not-in-use",
      image: { lastRecordedPullTime: undefined, imagePushedAt: ago(100 * DAY) },
      lastScan: never,
      ctx: { onlyPulledWithinMs: 90 * DAY },
      expected: { action: "skip", reason: "not-in-use", detail: `last used ${ago(100 * DAY).toISOString()}` },
    },
    {
      name: "never pulled, pushed 10 d ago → planned normally",
      image: { lastRecordedPullTime: undefined, imagePushedAt: ago(10 * DAY) },
      lastScan: never,
      ctx: { onlyPulledWithinMs: 90 * DAY },
      expected: { action: "scan", reason: "never-scanned" },
    },
    {
      name: "pulled exactly onlyPulledWithin ago → still in use",
      image: { lastRecordedPullTime: ago(90 * DAY) },
      lastScan: never,
      ctx: { onlyPulledWithinMs: 90 * DAY },
      expected: { action: "scan", reason: "never-scanned" },
    },
    {
      name: "pulled 1 ms past onlyPulledWithin → not-in-use",
      image: { lastRecordedPullTime: ago(90 * DAY + 1) },
      lastScan: never,
      ctx: { onlyPulledWithinMs: 90 * DAY },
      expected: { action: "skip", reason: "not-in-use" },
    },
    {
      name: "no push and no pull time under onlyPulledWithin → scanned, not skipped",
      image: { lastRecordedPullTime: undefined, imagePushedAt: undefined },
      lastScan: never,
      ctx: { onlyPulledWithinMs: 90 * DAY },
      expected: { action: "scan", reason: "never-scanned" },
    },
    {
      name: "pulled long ago but onlyPulledWithin unset → planned normally",
      image: { lastRecordedPullTime: ago(1000 * DAY), imagePushedAt: ago(1000 * DAY) },
      lastScan: never,
      expected: { action: "scan", reason: "never-scanned" },
    },
    // ENHANCED registry wins over everything
    {
      name: "ENHANCED registry, never scanned → skip enhanced-scanning",
      lastScan: never,
      ctx: { registryScanType: "ENHANCED" },
      expected: {
        action: "skip",
        reason: "enhanced-scanning",
        detail: "Amazon Inspector rescans continuously",
      },
    },
    {
      name: "ENHANCED registry, COMPLETE long ago → skip enhanced-scanning",
      lastScan: scanned("COMPLETE", ago(300 * DAY)),
      ctx: { registryScanType: "ENHANCED" },
      expected: { action: "skip", reason: "enhanced-scanning" },
    },
    {
      name: "ENHANCED registry, an artifact → skip enhanced-scanning (checked first)",
      image: { artifactMediaType: "application/spdx+json" },
      lastScan: never,
      ctx: { registryScanType: "ENHANCED" },
      expected: { action: "skip", reason: "enhanced-scanning" },
    },
    // untagged images are planned by digest like any other
    {
      name: "untagged, never scanned → scan",
      image: { imageTags: [] },
      lastScan: never,
      expected: { action: "scan", reason: "never-scanned", priority: 0 },
    },
    {
      name: "untagged, COMPLETE 8 d ago → scan expired",
      image: { imageTags: [] },
      lastScan: scanned("COMPLETE", ago(8 * DAY)),
      expected: { action: "scan", reason: "expired" },
    },
  ];

  it.each(rows)("$name", (row) => {
    const decision = planImageScan(image(row.image), row.lastScan, ctx(row.ctx));
    expect(decision).toMatchObject(row.expected);
    // A skip never carries scan-only fields, a scan never carries a skip detail.
    if (decision.action === "skip") expect(decision).not.toHaveProperty("priority");
  });

  it("plans an untagged image exactly as the same image with tags, for every kind of last scan", () => {
    const lastScans: LastScan[] = [
      never,
      scanned("COMPLETE", ago(DAY)),
      scanned("COMPLETE", ago(8 * DAY)),
      scanned("IN_PROGRESS"),
      scanned("FAILED", ago(HOUR)),
      scanned("FAILED", ago(2 * DAY)),
      scanned("FAILED", ago(2 * DAY), UNSUPPORTED_FAILURE),
      scanned("UNSUPPORTED_IMAGE"),
    ];
    for (const lastScan of lastScans) {
      const tagged = planImageScan(image({ imageTags: ["latest", "v1"] }), lastScan, ctx());
      const untagged = planImageScan(image({ imageTags: [] }), lastScan, ctx());
      expect(untagged).toEqual(tagged);
    }
  });

  it("is pure: the same inputs give the same decision", () => {
    const img = image();
    const last = scanned("COMPLETE", ago(8 * DAY));
    expect(planImageScan(img, last, ctx())).toEqual(planImageScan(img, last, ctx()));
  });
});

describe("isContainerImage", () => {
  it.each([
    ["application/vnd.docker.container.image.v1+json", undefined, true],
    ["application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.manifest.v1+json", true],
    [undefined, undefined, true],
    ["application/vnd.dev.cosign.artifact.sig.v1+json", "application/vnd.oci.image.manifest.v1+json", false],
    ["application/spdx+json", undefined, false],
    ["application/vnd.cncf.helm.config.v1+json", undefined, false],
    [undefined, "application/vnd.oci.image.index.v1+json", false],
    [undefined, "application/vnd.docker.distribution.manifest.list.v2+json", false],
  ])("artifact %s, manifest %s → %s", (artifactMediaType, imageManifestMediaType, expected) => {
    expect(isContainerImage({ artifactMediaType, imageManifestMediaType })).toBe(expected);
  });
});

describe("screenImage", () => {
  it("returns undefined when the decision needs the last scan", () => {
    expect(screenImage(image(), ctx())).toBeUndefined();
    expect(
      screenImage(image({ lastRecordedPullTime: ago(DAY) }), ctx({ onlyPulledWithinMs: 90 * DAY })),
    ).toBeUndefined();
    expect(screenImage(image({ imageTags: [] }), ctx())).toBeUndefined();
  });

  it("decides without the last scan for an ENHANCED registry, an artifact and an unused image", () => {
    expect(screenImage(image(), ctx({ registryScanType: "ENHANCED" }))).toMatchObject({
      action: "skip",
      reason: "enhanced-scanning",
    });
    expect(screenImage(image({ artifactMediaType: "application/spdx+json" }), ctx())).toMatchObject({
      action: "skip",
      reason: "not-an-image",
    });
    expect(
      screenImage(
        image({ lastRecordedPullTime: ago(91 * DAY), imagePushedAt: ago(200 * DAY) }),
        ctx({ onlyPulledWithinMs: 90 * DAY }),
      ),
    ).toMatchObject({ action: "skip", reason: "not-in-use" });
  });

  it("gives the same decision planImageScan gives whatever the last scan", () => {
    const img = image({ artifactMediaType: "application/vnd.cncf.helm.config.v1+json" });
    const screened = screenImage(img, ctx());
    expect(screened).toBeDefined();
    expect(planImageScan(img, never, ctx())).toEqual(screened);
    expect(planImageScan(img, scanned("COMPLETE", ago(100 * DAY)), ctx())).toEqual(screened);
  });
});

describe("applyScanBudget", () => {
  const plan = (digest: string, lastScan: LastScan): PlannedImage => {
    const img = image({ imageDigest: digest });
    return { image: img, decision: planImageScan(img, lastScan, ctx()) };
  };

  let neverA: PlannedImage;
  let neverB: PlannedImage;
  let expiredOldest: PlannedImage;
  let planned: PlannedImage[];
  beforeEach(() => {
    neverA = plan("sha256:0a", never);
    neverB = plan("sha256:0b", never);
    expiredOldest = plan("sha256:04", scanned("COMPLETE", ago(40 * DAY)));
    // Given in a deliberately scrambled order.
    planned = [
      plan("sha256:01", scanned("FAILED", ago(3 * DAY))),
      plan("sha256:02", scanned("COMPLETE", ago(10 * DAY))),
      neverB,
      plan("sha256:03", scanned("COMPLETE", ago(DAY))),
      expiredOldest,
      neverA,
      plan("sha256:05", scanned("IN_PROGRESS")),
      plan("sha256:06", scanned("COMPLETE", ago(20 * DAY))),
    ];
  });

  it("orders scans: never scanned first, then the oldest scan first, then failed scans", () => {
    const { toScan } = applyScanBudget(planned, 100);
    expect(toScan.map((p) => p.image.imageDigest)).toEqual([
      "sha256:0a",
      "sha256:0b",
      "sha256:04",
      "sha256:06",
      "sha256:02",
      "sha256:01",
    ]);
  });

  it("keeps every decision unchanged when within budget", () => {
    const { decisions } = applyScanBudget(planned, 6);
    expect(decisions).toEqual(planned);
    expect(decisions.some((p) => p.decision.reason === "budget")).toBe(false);
  });

  it("turns scans over the budget into skip 'budget', keeping the most urgent ones", () => {
    const { toScan, decisions } = applyScanBudget(planned, 3);
    expect(toScan.map((p) => p.image.imageDigest)).toEqual(["sha256:0a", "sha256:0b", "sha256:04"]);

    // Every image keeps its place in the input order; only the over-budget scans change.
    expect(decisions.map((p) => p.image.imageDigest)).toEqual(planned.map((p) => p.image.imageDigest));
    const byDigest = new Map(decisions.map((p) => [p.image.imageDigest, p.decision]));
    // A budget skip keeps why the image was due a scan (a digest's coverage counts it stale or never scanned).
    const due = new Map(planned.map((p) => [p.image.imageDigest, p.decision.reason]));
    for (const digest of ["sha256:06", "sha256:02", "sha256:01"]) {
      expect(byDigest.get(digest)).toEqual({
        action: "skip",
        reason: "budget",
        detail: "over 3 scans per run",
        deferred: due.get(digest),
      });
    }
    for (const kept of [neverA, neverB, expiredOldest]) {
      expect(byDigest.get(kept.image.imageDigest)).toEqual(kept.decision);
    }
    // Skips that were not scans stay what they were.
    expect(byDigest.get("sha256:03")).toMatchObject({ action: "skip", reason: "fresh" });
    expect(byDigest.get("sha256:05")).toMatchObject({ action: "skip", reason: "in-progress" });
    expect(decisions.filter((p) => p.decision.action === "scan")).toHaveLength(3);
  });

  it("does not mutate its input", () => {
    const copy = planned.map((p) => ({ image: p.image, decision: { ...p.decision } }));
    applyScanBudget(planned, 1);
    expect(planned).toEqual(copy);
  });
});

describe("compareScanUrgency", () => {
  const plannedAs = (digest: string, decision: ScanDecision): PlannedImage => ({
    image: image({ imageDigest: digest }),
    decision,
  });
  const neverScanned = (digest: string) =>
    plannedAs(digest, { action: "scan", reason: "never-scanned", priority: 0 });
  const expired = (digest: string, lastScannedAt: Date) =>
    plannedAs(digest, { action: "scan", reason: "expired", priority: 1, lastScannedAt });
  const retryFailed = (digest: string, lastScannedAt: Date) =>
    plannedAs(digest, { action: "scan", reason: "retry-failed", priority: 2, lastScannedAt });

  it("puts the more urgent reason first, however old the other's last scan", () => {
    const failedLongAgo = retryFailed("sha256:01", ago(300 * DAY));
    const expiredLately = expired("sha256:02", ago(8 * DAY));
    expect(compareScanUrgency(failedLongAgo, expiredLately)).toBeGreaterThan(0);
    expect(compareScanUrgency(expiredLately, failedLongAgo)).toBeLessThan(0);
    expect(compareScanUrgency(neverScanned("sha256:09"), expiredLately)).toBeLessThan(0);
  });

  it("puts the older last scan first within a reason", () => {
    const older = expired("sha256:09", ago(30 * DAY));
    const newer = expired("sha256:01", ago(10 * DAY));
    expect(compareScanUrgency(older, newer)).toBe(-1);
    expect(compareScanUrgency(newer, older)).toBe(1);
  });

  it("orders by digest when nothing else differs, and calls an image as urgent as itself", () => {
    const a = neverScanned("sha256:0a");
    const b = neverScanned("sha256:0b");
    expect(compareScanUrgency(a, b)).toBe(-1);
    expect(compareScanUrgency(b, a)).toBe(1);
    expect(compareScanUrgency(a, a)).toBe(0);
    const sameTime = ago(10 * DAY);
    expect(compareScanUrgency(expired("sha256:0b", sameTime), expired("sha256:0a", sameTime))).toBe(1);
  });

  it("leaves skips where they are: only scans are ordered", () => {
    const skip = plannedAs("sha256:00", { action: "skip", reason: "fresh" });
    const scan = neverScanned("sha256:0f");
    expect(compareScanUrgency(skip, scan)).toBe(0);
    expect(compareScanUrgency(scan, skip)).toBe(0);
    expect(compareScanUrgency(skip, skip)).toBe(0);
  });
});

describe("the failed-scan retry delay", () => {
  it("is ECR's 24 hours", () => {
    expect(FAILED_SCAN_RETRY_AFTER_MS).toBe(24 * HOUR);
    expect(planImageScan(image(), scanned("FAILED", ago(23 * HOUR)), ctx())).toMatchObject({
      reason: "failed-recently",
    });
  });
});
