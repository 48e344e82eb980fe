import pLimit from "p-limit";
import type { Config } from "../config/schema.js";
import type { EcrGateway, ScanStartOutcome, ScanStartOutcomeName } from "../ecr-gateway.js";
import type { ImageDetail, ScanType } from "../model.js";
import {
  applyScanBudget,
  type PlanContext,
  type PlannedImage,
  planImageScan,
  screenImage,
} from "../planner.js";

/** How many ECR calls per repository run at once: enough to hide latency, few enough to stay under ECR's rate limits. */
export const DEFAULT_ECR_CONCURRENCY = 8;

/** The plan for one repository: every image's decision and the scans to start, most urgent first. */
export interface RepositoryPlan {
  repositoryName: string;
  /** False when the repository was deleted after it was listed: a normal, empty result. */
  found: boolean;
  decisions: PlannedImage[];
  toScan: PlannedImage[];
}

export interface PlanRepositoryOptions {
  registryId?: string;
  scanType: ScanType;
  now: Date;
  expiryMs: number;
  onlyPulledWithinMs?: number;
  maxScans: number;
  concurrency?: number;
}

/** The planning options of a configuration's `scan` section, for one repository of a registry. */
export function planOptionsOf(
  scan: Config["scan"],
  registry: { registryId?: string; scanType: ScanType },
  now: Date,
): PlanRepositoryOptions {
  return {
    registryId: registry.registryId,
    scanType: registry.scanType,
    now,
    expiryMs: scan.expiry.ms,
    onlyPulledWithinMs: scan.onlyPulledWithin?.ms,
    maxScans: scan.maxScansPerRun,
  };
}

/**
 * Lists a repository's images, looks up the last scan only of those the planner cannot decide without it
 * (bounded concurrency), and plans each one (the rules: planner.ts, docs/architecture.md). Starts nothing:
 * `plan`, `scan` and scan-images all use it.
 */
export async function planRepository(
  gateway: EcrGateway,
  repositoryName: string,
  options: PlanRepositoryOptions,
): Promise<RepositoryPlan> {
  const images = await gateway.listImages(repositoryName, options.registryId);
  if (!images) return { repositoryName, found: false, decisions: [], toScan: [] };

  const ctx: PlanContext = {
    now: options.now,
    expiryMs: options.expiryMs,
    onlyPulledWithinMs: options.onlyPulledWithinMs,
    registryScanType: options.scanType,
  };
  const limit = pLimit(options.concurrency ?? DEFAULT_ECR_CONCURRENCY);
  const planned = await Promise.all(
    images.map(async (image): Promise<PlannedImage> => {
      const screened = screenImage(image, ctx);
      if (screened) return { image, decision: screened };
      const lastScan = await limit(() => gateway.getLastScan(image));
      if (!lastScan) return { image, decision: { action: "skip", reason: "gone" } };
      return { image, decision: planImageScan(image, lastScan, ctx) };
    }),
  );
  const { toScan, decisions } = applyScanBudget(planned, options.maxScans);
  return { repositoryName, found: true, decisions, toScan };
}

/** The outcome of one StartImageScan, with the image it was for. */
export interface StartedScan {
  image: ImageDetail;
  result: ScanStartOutcome;
}

/** Starts the planned scans, most urgent first, with bounded concurrency; never throws, reports each outcome. */
export async function startPlannedScans(
  gateway: EcrGateway,
  toScan: readonly PlannedImage[],
  options: { concurrency?: number; onOutcome?: (scan: StartedScan) => void } = {},
): Promise<StartedScan[]> {
  const limit = pLimit(options.concurrency ?? DEFAULT_ECR_CONCURRENCY);
  return Promise.all(
    toScan.map(({ image }) =>
      limit(async () => {
        const scan = { image, result: await gateway.startImageScan(image) };
        options.onOutcome?.(scan);
        return scan;
      }),
    ),
  );
}

/** One repository scanned: its plan, the scans started, and their counts. */
export interface RepositoryScan {
  plan: RepositoryPlan;
  started: StartedScan[];
  counts: ScanRunCounts;
}

/**
 * "Scan a repository": plans it and starts the planned scans, most urgent first. Throws only what listing the
 * images threw; each StartImageScan outcome (quota, gone, failed and whether a retry could mend it) is counted.
 */
export async function scanRepository(
  gateway: EcrGateway,
  repositoryName: string,
  options: PlanRepositoryOptions,
): Promise<RepositoryScan> {
  const plan = await planRepository(gateway, repositoryName, options);
  const started = await startPlannedScans(gateway, plan.toScan, { concurrency: options.concurrency });
  return { plan, started, counts: countScanRun(plan.decisions, started) };
}

/** Counts of one repository run, in the shape the summary log line and the metrics use. */
export interface ScanRunCounts {
  images: number;
  /** Per decision, keyed `scan:<reason>` or `skip:<reason>`. */
  decisions: Record<string, number>;
  outcomes: Partial<Record<ScanStartOutcomeName, number>>;
  /** StartImageScan failures a later retry could mend (throttling, 5xx). */
  retryableFailures: number;
}

/** Tallies decisions and scan outcomes; pure. */
export function countScanRun(
  decisions: readonly PlannedImage[],
  started: readonly StartedScan[],
): ScanRunCounts {
  const counts: ScanRunCounts = {
    images: decisions.length,
    decisions: {},
    outcomes: {},
    retryableFailures: 0,
  };
  for (const { decision } of decisions) {
    const key = `${decision.action}:${decision.reason}`;
    counts.decisions[key] = (counts.decisions[key] ?? 0) + 1;
  }
  for (const { result } of started) {
    counts.outcomes[result.outcome] = (counts.outcomes[result.outcome] ?? 0) + 1;
    if (result.outcome === "failed" && result.retryable) counts.retryableFailures += 1;
  }
  return counts;
}

/** Adds one repository's counts into a running total (for an invocation's summary). */
export function addScanRunCounts(total: ScanRunCounts, more: ScanRunCounts): ScanRunCounts {
  const sum = (a: Record<string, number>, b: Record<string, number>) => {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    images: total.images + more.images,
    decisions: sum(total.decisions, more.decisions),
    outcomes: sum(total.outcomes, more.outcomes),
    retryableFailures: total.retryableFailures + more.retryableFailures,
  };
}

/** A ScanRunCounts with nothing counted yet. */
export function emptyScanRunCounts(): ScanRunCounts {
  return { images: 0, decisions: {}, outcomes: {}, retryableFailures: 0 };
}
