import type { ScanStartOutcomeName } from "../ecr-gateway.js";
import type { RepositoryCoverage } from "../ledger/digest-records.js";
import type { PlannedImage } from "../planner.js";
import type { StartedScan } from "./scan-repository.js";

type CoverageCounts = Omit<RepositoryCoverage, "registryId" | "repository" | "runId" | "at">;
type Category = Exclude<keyof CoverageCounts, "images">;

/**
 * What a scheduled run's decisions say about a repository's images, in the digest's terms (pure): scanned
 * (fresh, scanning, or scanned by this run: ECR's 24 h quota counts, it means a scan happened), stale, never
 * scanned, unsupported, not images, not in use, archived, enhanced. An image due a scan that the run did not
 * start (the budget, a failed start) keeps the state it is in: stale, or never scanned; one whose start found it
 * unsupported, archived or enhanced since it was listed is counted as such (gone: in no category, as planned).
 */
export function runCoverage(
  decisions: readonly PlannedImage[],
  started: readonly StartedScan[],
): CoverageCounts {
  const outcomes = new Map(started.map(({ image, result }) => [image.imageDigest, result.outcome]));
  const counts: CoverageCounts = {
    images: decisions.length,
    scanned: 0,
    stale: 0,
    neverScanned: 0,
    unsupported: 0,
    notImages: 0,
    notInUse: 0,
    archived: 0,
    enhanced: 0,
  };
  for (const { image, decision } of decisions) {
    const category = categoryOf(decision, outcomes.get(image.imageDigest));
    if (category) counts[category]++;
  }
  return counts;
}

function categoryOf(
  decision: PlannedImage["decision"],
  outcome: ScanStartOutcomeName | undefined,
): Category | undefined {
  if (decision.action === "scan") {
    switch (outcome) {
      case "started":
      case "quota":
        return "scanned";
      // What StartImageScan found out since the image was listed: counted as the planner would have.
      case "unsupported":
        return "unsupported";
      case "archived":
        return "archived";
      case "enhanced":
        return "enhanced";
      case "gone":
        return undefined;
      default:
        return decision.reason === "never-scanned" ? "neverScanned" : "stale";
    }
  }
  switch (decision.reason) {
    case "fresh":
    case "in-progress":
      return "scanned";
    case "budget":
      return decision.deferred === "never-scanned" ? "neverScanned" : "stale";
    case "failed-recently":
      return "stale";
    case "unsupported":
      return "unsupported";
    case "not-an-image":
      return "notImages";
    case "not-in-use":
      return "notInUse";
    case "archived":
      return "archived";
    case "enhanced-scanning":
      return "enhanced";
    default:
      // gone (deleted since listing), unknown-status: counted among the images, in no category.
      return undefined;
  }
}
