import pLimit from "p-limit";
import type { Config } from "../config/schema.js";
import type { EcrGateway, ScanStartOutcome, ScanStartOutcomeName } from "../ecr-gateway.js";
import { describeError } from "../errors.js";
import { type FindingsLedger, type KnownScan, lastScanOf } from "../ledger/ledger.js";
import { imageName, type LedgerImage } from "../ledger/records.js";
import type { ImageDetail, LastScan, ScanType } from "../model.js";
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
  /** Images whose last scan came from the findings ledger, by digest (no DescribeImageScanFindings call). */
  fromLedger: ReadonlySet<string>;
}

export interface PlanRepositoryOptions {
  registryId?: string;
  scanType: ScanType;
  now: Date;
  expiryMs: number;
  onlyPulledWithinMs?: number;
  maxScans: number;
  concurrency?: number;
  /**
   * The findings ledger: last scans are read from it in batches, and ECR is asked only about the images it does
   * not know (whose answers it then records). Absent: every last scan comes from ECR.
   */
  ledger?: FindingsLedger;
  /** Where the ledger's troubles are told (a ledger that cannot be read is a slower run, never a failed one). */
  warn?: (message: string, fields: Record<string, unknown>) => void;
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
  if (!images) return { repositoryName, found: false, decisions: [], toScan: [], fromLedger: new Set() };

  const ctx: PlanContext = {
    now: options.now,
    expiryMs: options.expiryMs,
    onlyPulledWithinMs: options.onlyPulledWithinMs,
    registryScanType: options.scanType,
  };
  const limit = pLimit(options.concurrency ?? DEFAULT_ECR_CONCURRENCY);
  const screened = images.map((image) => ({ image, decision: screenImage(image, ctx) }));
  const known = await knownScans(
    screened.filter((s) => !s.decision).map((s) => s.image),
    options,
  );
  const fromLedger = new Set<string>();
  const planned = await Promise.all(
    screened.map(async ({ image, decision }): Promise<PlannedImage> => {
      if (decision) return { image, decision };
      const remembered = known.get(imageName(ledgerImageOf(image)));
      if (remembered) fromLedger.add(image.imageDigest);
      const lastScan = remembered
        ? lastScanOf(remembered)
        : await limit(async () => {
            const scan = await gateway.getLastScan(image);
            if (scan) await rememberScan(image, scan, options);
            return scan;
          });
      if (!lastScan) return { image, decision: { action: "skip", reason: "gone" } };
      return { image, decision: planImageScan(image, lastScan, ctx) };
    }),
  );
  const { toScan, decisions } = applyScanBudget(planned, options.maxScans);
  return { repositoryName, found: true, decisions, toScan, fromLedger };
}

/** The ledger's key of an image DescribeImages listed. */
function ledgerImageOf(image: ImageDetail): LedgerImage {
  return { registryId: image.registryId, repository: image.repositoryName, digest: image.imageDigest };
}

/** The last scans the ledger knows of these images; none when there is no ledger or it cannot be read. */
async function knownScans(
  images: readonly ImageDetail[],
  options: PlanRepositoryOptions,
): Promise<Map<string, KnownScan>> {
  if (!options.ledger || images.length === 0) return new Map();
  try {
    return await options.ledger.lastScans(images.map(ledgerImageOf));
  } catch (error) {
    options.warn?.("the findings ledger could not be read; last scans come from ECR", {
      images: images.length,
      error: describeError(error),
    });
    return new Map();
  }
}

/** Records a last scan ECR told about, so that the next run need not ask: best effort, a failure costs a call. */
async function rememberScan(
  image: ImageDetail,
  scan: LastScan,
  options: PlanRepositoryOptions,
): Promise<void> {
  if (!options.ledger?.enabled || scan.kind !== "scanned" || !scan.completedAt) return;
  try {
    await options.ledger.recordScan(ledgerImageOf(image), {
      status: scan.status,
      completedAt: scan.completedAt.toISOString(),
      description: scan.description,
    });
  } catch (error) {
    options.warn?.("could not record a last scan in the findings ledger", {
      imageDigest: image.imageDigest,
      error: describeError(error),
    });
  }
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
  const counts = countScanRun(plan.decisions, started);
  // ECR's 24 h quota on an image the ledger thought stale: a scan happened that no event told the ledger of.
  const missed = started.filter(
    (s) => s.result.outcome === "quota" && plan.fromLedger.has(s.image.imageDigest),
  );
  if (missed.length > 0) {
    counts.ledgerMissedScans = missed.length;
    const limit = pLimit(options.concurrency ?? DEFAULT_ECR_CONCURRENCY);
    await Promise.all(
      missed.map(({ image }) =>
        limit(async () => {
          options.warn?.("ECR scanned this image within 24 h but the findings ledger missed the event", {
            imageDigest: image.imageDigest,
            tags: image.imageTags,
          });
          const scan = await gateway.getLastScan(image).catch(() => undefined);
          if (scan) await rememberScan(image, scan, options);
        }),
      ),
    );
  }
  return { plan, started, counts };
}

/** Counts of one repository run, in the shape the summary log line and the metrics use. */
export interface ScanRunCounts {
  images: number;
  /** Per decision, keyed `scan:<reason>` or `skip:<reason>`. */
  decisions: Record<string, number>;
  outcomes: Partial<Record<ScanStartOutcomeName, number>>;
  /** StartImageScan failures a later retry could mend (throttling, 5xx). */
  retryableFailures: number;
  /** Scans ECR refused with its 24 h quota although the ledger said the image was stale (a missed event). */
  ledgerMissedScans?: number;
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
  const ledgerMissedScans = (total.ledgerMissedScans ?? 0) + (more.ledgerMissedScans ?? 0);
  return {
    images: total.images + more.images,
    decisions: sum(total.decisions, more.decisions),
    outcomes: sum(total.outcomes, more.outcomes),
    retryableFailures: total.retryableFailures + more.retryableFailures,
    ...(ledgerMissedScans > 0 && { ledgerMissedScans }),
  };
}

/** A ScanRunCounts with nothing counted yet. */
export function emptyScanRunCounts(): ScanRunCounts {
  return { images: 0, decisions: {}, outcomes: {}, retryableFailures: 0 };
}
