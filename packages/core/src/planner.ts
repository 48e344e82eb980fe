import type { ImageDetail, LastScan, ScanType } from "./model.js";

/** ECR allows one scan per image per 24 h; a failed scan is not retried sooner than that. */
export const FAILED_SCAN_RETRY_AFTER_MS = 24 * 3_600_000;

/** Why an image is scanned, most urgent first. */
export const SCAN_REASONS = ["never-scanned", "expired", "retry-failed"] as const;
export type ScanReason = (typeof SCAN_REASONS)[number];

/** Why an image is left alone. */
export const SKIP_REASONS = [
  "fresh",
  "in-progress",
  "unsupported",
  "failed-recently",
  "not-an-image",
  "not-in-use",
  "archived",
  "enhanced-scanning",
  "unknown-status",
  "budget",
  "gone",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type ScanDecision =
  | {
      action: "scan";
      reason: ScanReason;
      /** Lower runs first: never scanned, then the oldest scan, then failed scans. */
      priority: number;
      /** When the scan that is being redone completed or failed, if known. */
      lastScannedAt?: Date;
    }
  | {
      action: "skip";
      reason: SkipReason;
      detail?: string;
      /** For a `budget` skip: why the image was due a scan (never scanned, expired…), for coverage. */
      deferred?: ScanReason;
    };

/** What the planner needs of the configuration and the run. */
export interface PlanContext {
  now: Date;
  expiryMs: number;
  /** When set, images not pulled (or pushed) within this long are left alone. */
  onlyPulledWithinMs?: number;
  registryScanType: ScanType;
}

/** Config media types of images ECR can scan; any other artifact type (signature, SBOM, Helm chart…) is not an image. */
const IMAGE_CONFIG_MEDIA_TYPES = new Set([
  "application/vnd.docker.container.image.v1+json",
  "application/vnd.oci.image.config.v1+json",
]);

/** Manifest lists / image indexes: their platform images are separate entries, scanned on their own. */
const INDEX_MANIFEST_MEDIA_TYPES = new Set([
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json",
]);

const UNSUPPORTED_DESCRIPTION = /unsupported|not supported/i;

const PRIORITY = { "never-scanned": 0, expired: 1, "retry-failed": 2 } as const satisfies Record<
  ScanReason,
  number
>;

/** True when a repository entry is a container image ECR can scan, not an OCI artifact or an index. */
export function isContainerImage(image: Pick<ImageDetail, "artifactMediaType" | "imageManifestMediaType">) {
  if (image.imageManifestMediaType && INDEX_MANIFEST_MEDIA_TYPES.has(image.imageManifestMediaType))
    return false;
  return !image.artifactMediaType || IMAGE_CONFIG_MEDIA_TYPES.has(image.artifactMediaType);
}

/**
 * The decisions that need no knowledge of the last scan (enhanced registry, artifact, not in use), so the
 * caller can avoid a DescribeImageScanFindings call for them. Undefined when the last scan is needed.
 */
export function screenImage(image: ImageDetail, ctx: PlanContext): ScanDecision | undefined {
  if (ctx.registryScanType === "ENHANCED") {
    return { action: "skip", reason: "enhanced-scanning", detail: "Amazon Inspector rescans continuously" };
  }
  // An archived image cannot be pulled or scanned until it is restored (a restore re-pushes it as ACTIVE).
  // Source: https://docs.aws.amazon.com/AmazonECR/latest/userguide/archive-image.html
  if (image.imageStatus && image.imageStatus !== "ACTIVE") {
    return { action: "skip", reason: "archived", detail: `image status ${image.imageStatus}` };
  }
  if (!isContainerImage(image)) {
    return {
      action: "skip",
      reason: "not-an-image",
      detail: image.artifactMediaType ?? image.imageManifestMediaType,
    };
  }
  // Stryker disable next-line ConditionalExpression: without the limit the comparison below is with undefined, so false
  if (ctx.onlyPulledWithinMs !== undefined) {
    const lastUsed = image.lastRecordedPullTime ?? image.imagePushedAt;
    // With neither time known, the image cannot be shown to be unused: keep it under scanning.
    if (lastUsed && ctx.now.getTime() - lastUsed.getTime() > ctx.onlyPulledWithinMs) {
      return { action: "skip", reason: "not-in-use", detail: `last used ${lastUsed.toISOString()}` };
    }
  }
  return undefined;
}

/** Decides whether one image is scanned now, and why (the rules: docs/architecture.md, "How a scan is planned"). Pure: the same inputs give the same decision. */
export function planImageScan(image: ImageDetail, lastScan: LastScan, ctx: PlanContext): ScanDecision {
  const screened = screenImage(image, ctx);
  if (screened) return screened;
  if (lastScan.kind === "never")
    return { action: "scan", reason: "never-scanned", priority: PRIORITY["never-scanned"] };

  const { status, description, completedAt } = lastScan;
  // A scan of unknown time counts as long ago: it cannot be shown fresh, nor to have failed recently.
  const age = completedAt ? ctx.now.getTime() - completedAt.getTime() : Number.POSITIVE_INFINITY;
  switch (status) {
    case "COMPLETE":
    case "SCAN_ELIGIBILITY_EXPIRED":
      if (age <= ctx.expiryMs && status === "COMPLETE") {
        // Stryker disable next-line OptionalChaining: a finite age means completedAt is set
        return { action: "skip", reason: "fresh", detail: `scanned ${completedAt?.toISOString()}` };
      }
      return { action: "scan", reason: "expired", priority: PRIORITY.expired, lastScannedAt: completedAt };
    case "IN_PROGRESS":
    case "PENDING":
      return { action: "skip", reason: "in-progress" };
    case "UNSUPPORTED_IMAGE":
      return { action: "skip", reason: "unsupported", detail: description };
    case "FAILED":
    case "LIMIT_EXCEEDED":
      if (status === "FAILED" && description && UNSUPPORTED_DESCRIPTION.test(description)) {
        return { action: "skip", reason: "unsupported", detail: description };
      }
      if (age < FAILED_SCAN_RETRY_AFTER_MS) {
        return { action: "skip", reason: "failed-recently", detail: description };
      }
      return {
        action: "scan",
        reason: "retry-failed",
        priority: PRIORITY["retry-failed"],
        lastScannedAt: completedAt,
      };
    case "IMAGE_ARCHIVED":
      return { action: "skip", reason: "archived", detail: description };
    case "ACTIVE":
      return {
        action: "skip",
        reason: "enhanced-scanning",
        detail: "scan status ACTIVE (continuous scanning)",
      };
    default:
      return { action: "skip", reason: "unknown-status", detail: `scan status ${status}` };
  }
}

/** One image with the decision taken for it. */
export interface PlannedImage {
  image: ImageDetail;
  decision: ScanDecision;
}

/** Orders scans most urgent first: by priority, then the oldest last scan first, then by digest for stability. */
export function compareScanUrgency(a: PlannedImage, b: PlannedImage): number {
  const da = a.decision;
  const db = b.decision;
  if (da.action !== "scan" || db.action !== "scan") return 0;
  if (da.priority !== db.priority) return da.priority - db.priority;
  const ta = da.lastScannedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
  const tb = db.lastScannedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
  if (ta !== tb) return Math.sign(ta - tb);
  return a.image.imageDigest < b.image.imageDigest ? -1 : a.image.imageDigest > b.image.imageDigest ? 1 : 0;
}

/**
 * Keeps the `maxScans` most urgent scans and turns the rest into `budget` skips. Returns the scans in the
 * order they should be started, and every image's final decision.
 */
export function applyScanBudget(planned: readonly PlannedImage[], maxScans: number) {
  const scans = planned.filter((p) => p.decision.action === "scan").sort(compareScanUrgency);
  const kept = new Set(scans.slice(0, maxScans));
  const decisions = planned.map((p): PlannedImage => {
    if (p.decision.action !== "scan" || kept.has(p)) return p;
    return {
      image: p.image,
      decision: {
        action: "skip",
        reason: "budget",
        detail: `over ${maxScans} scans per run`,
        deferred: p.decision.reason,
      },
    };
  });
  return { toScan: scans.slice(0, maxScans), decisions };
}
