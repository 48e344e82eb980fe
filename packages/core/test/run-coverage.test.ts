import { describe, expect, it } from "vitest";
import type { ScanStartOutcome } from "../src/ecr-gateway.js";
import type { ImageDetail } from "../src/model.js";
import { applyScanBudget, type PlannedImage, type ScanDecision, SKIP_REASONS } from "../src/planner.js";
import { runCoverage } from "../src/use-cases/run-coverage.js";
import type { StartedScan } from "../src/use-cases/scan-repository.js";

let digests = 0;
function image(): ImageDetail {
  return {
    registryId: "123456789012",
    repositoryName: "team-a/api",
    imageDigest: `sha256:${String(++digests).padStart(4, "0")}`,
    imageTags: ["v1"],
  };
}

const planned = (decision: ScanDecision): PlannedImage => ({ image: image(), decision });
const scan = (reason: "never-scanned" | "expired" | "retry-failed", priority = 0): ScanDecision => ({
  action: "scan",
  reason,
  priority,
});
const skip = (reason: (typeof SKIP_REASONS)[number], deferred?: "never-scanned" | "expired"): ScanDecision =>
  deferred ? { action: "skip", reason, deferred } : { action: "skip", reason };
const startedAs = (p: PlannedImage, result: ScanStartOutcome): StartedScan => ({ image: p.image, result });

/** The one category an image landed in (or none), from the counts of a run of that image alone. */
function categoryOf(decision: ScanDecision, result?: ScanStartOutcome): string | undefined {
  const p = planned(decision);
  const { images, ...categories } = runCoverage([p], result ? [startedAs(p, result)] : []);
  expect(images).toBe(1);
  const hits = Object.entries(categories).filter(([, n]) => n > 0);
  expect(hits.every(([, n]) => n === 1)).toBe(true);
  expect(hits.length).toBeLessThanOrEqual(1);
  return hits[0]?.[0];
}

describe("runCoverage", () => {
  it.each([
    ["fresh", "scanned"],
    ["in-progress", "scanned"],
    ["failed-recently", "stale"],
    ["unsupported", "unsupported"],
    ["not-an-image", "notImages"],
    ["not-in-use", "notInUse"],
    ["archived", "archived"],
    ["enhanced-scanning", "enhanced"],
    ["unknown-status", undefined],
    ["gone", undefined],
  ] as const)("counts a skip for %s as %s", (reason, category) => {
    expect(categoryOf(skip(reason))).toBe(category);
  });

  it("counts every skip reason the planner has (a new one must be placed)", () => {
    const placed = SKIP_REASONS.filter((reason) => reason !== "budget").map((reason) =>
      categoryOf(skip(reason)),
    );
    expect(placed.filter((category) => category === undefined)).toHaveLength(2);
  });

  it.each([
    ["never-scanned", "started", "scanned"],
    ["expired", "started", "scanned"],
    // ECR's 24 h quota: the image was scanned within a day.
    ["retry-failed", "quota", "scanned"],
    ["never-scanned", "failed", "neverScanned"],
    ["expired", "failed", "stale"],
    ["retry-failed", "failed", "stale"],
  ] as const)("counts a scan (%s) whose start was %s as %s", (reason, outcome, category) => {
    const result: ScanStartOutcome =
      outcome === "started"
        ? { outcome: "started" }
        : outcome === "quota"
          ? { outcome: "quota", message: "LimitExceededException" }
          : { outcome: "failed", message: "ThrottlingException", retryable: true };
    expect(categoryOf(scan(reason), result)).toBe(category);
  });

  it.each([
    ["unsupported", "unsupported"],
    ["archived", "archived"],
    ["enhanced", "enhanced"],
    ["gone", undefined],
  ] as const)(
    "counts a scan whose start found the image %s as such (%s), not as unscanned",
    (outcome, category) => {
      expect(categoryOf(scan("never-scanned"), { outcome, message: "from StartImageScan" })).toBe(category);
      expect(categoryOf(scan("expired"), { outcome, message: "from StartImageScan" })).toBe(category);
    },
  );

  it("counts a scan the run did not start at all by the state the image is in", () => {
    expect(categoryOf(scan("never-scanned"))).toBe("neverScanned");
    expect(categoryOf(scan("expired"))).toBe("stale");
  });

  it("keeps never-scanned and stale apart for the images the scan budget deferred", () => {
    expect(categoryOf(skip("budget", "never-scanned"))).toBe("neverScanned");
    expect(categoryOf(skip("budget", "expired"))).toBe("stale");
    expect(categoryOf(skip("budget"))).toBe("stale");

    // Through the planner's budget: one scan per run, two never-scanned images and an expired one.
    const first = planned(scan("never-scanned"));
    const second = planned(scan("never-scanned"));
    const expired = planned(scan("expired", 1));
    const { toScan, decisions } = applyScanBudget([first, second, expired], 1);
    expect(toScan).toEqual([first]);
    expect(runCoverage(decisions, [startedAs(first, { outcome: "started" })])).toEqual({
      images: 3,
      scanned: 1,
      stale: 1,
      neverScanned: 1,
      unsupported: 0,
      notImages: 0,
      notInUse: 0,
      archived: 0,
      enhanced: 0,
    });
  });

  it("counts a repository's images once each, whatever was started for other images", () => {
    const a = planned(skip("fresh"));
    const b = planned(scan("expired"));
    const c = planned(skip("not-in-use"));
    const other = planned(scan("expired"));
    const counts = runCoverage([a, b, c], [startedAs(other, { outcome: "started" })]);
    expect(counts).toMatchObject({ images: 3, scanned: 1, stale: 1, notInUse: 1 });
  });
});
