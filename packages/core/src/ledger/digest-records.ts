import * as z from "zod";
import type { SeverityCounts } from "../model.js";
import { type CompactFinding, decodeFindings } from "./compact.js";
import { type ItemKey, type Parsed, parseLedgerItem } from "./records.js";
import { decodeCounts } from "./summary.js";

/**
 * The ledger's items for digests (docs/architecture.md, "Digests"):
 *
 * - `CHANGES#<yyyy-mm-dd>` / `<at>#<image reference>`: what one report called new, fixed and raised, in a partition
 *   per UTC day, so that a digest reads its period with one Query per day (never a Scan); kept 90 days (TTL);
 * - `COVERAGE#<registryId>` / `REPO#<repository>`: what the latest scheduled run decided about a repository's
 *   images, one Query per registry; kept 30 days after the last run (a deleted repository ages out);
 * - `DIGEST#<reporterId>` / `LAST`: the route's last digest (its period and open counts, for "how that changed") and
 *   the claim of a digest being sent, so that a retried or doubled invocation sends nothing twice.
 */
export const CHANGES_PREFIX = "CHANGES#";
export const COVERAGE_PREFIX = "COVERAGE#";
export const COVERAGE_SORT_PREFIX = "REPO#";
export const DIGEST_PREFIX = "DIGEST#";
export const DIGEST_SORT_KEY = "LAST";

/** How long a day's change log is kept: longer than any digest period worth having. */
export const CHANGE_LOG_RETENTION_MS = 90 * 24 * 3_600_000;
/** How long a repository's coverage outlives its last run. */
export const COVERAGE_RETENTION_MS = 30 * 24 * 3_600_000;

/** `CHANGES#2026-11-30`: the day partition of a time (UTC). */
export function changeLogPartition(at: Date): string {
  return `${CHANGES_PREFIX}${at.toISOString().slice(0, 10)}`;
}

/** The day partitions a period spans, oldest first (both ends included). */
export function changeLogPartitions(start: Date, end: Date): string[] {
  const partitions: string[] = [];
  const day = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()));
  // Stryker disable next-line EqualityOperator: `<` would leave out the end's own day when the period ends at 00:00
  for (; day.getTime() <= end.getTime(); day.setUTCDate(day.getUTCDate() + 1)) {
    partitions.push(changeLogPartition(day));
  }
  return partitions;
}

export function coverageKey(registryId: string, repository: string): ItemKey {
  return { pk: `${COVERAGE_PREFIX}${registryId}`, sk: `${COVERAGE_SORT_PREFIX}${repository}` };
}

export function digestStateKey(reporterId: string): ItemKey {
  return { pk: `${DIGEST_PREFIX}${reporterId}`, sk: DIGEST_SORT_KEY };
}

/** What one report called new, fixed and raised on the references of one image. */
export interface ChangeLogEntry {
  /** ISO 8601: when the report was made. */
  at: string;
  registryId: string;
  repository: string;
  digest: string;
  /** `referenceName`s: `<registryId>/<repository>:<tag>`, or `…@<digest>` when untagged. */
  references: string[];
  newFindings: CompactFinding[];
  fixedFindings: CompactFinding[];
  /** Findings at their new severity. */
  raisedFindings: CompactFinding[];
}

/** What a scheduled run decided about the images of one repository (coverage in a digest). */
export interface RepositoryCoverage {
  registryId: string;
  repository: string;
  runId: string;
  /** ISO 8601. */
  at: string;
  images: number;
  scanned: number;
  stale: number;
  neverScanned: number;
  unsupported: number;
  notImages: number;
  notInUse: number;
  archived: number;
  enhanced: number;
}

export const COVERAGE_COUNTS = [
  "images",
  "scanned",
  "stale",
  "neverScanned",
  "unsupported",
  "notImages",
  "notInUse",
  "archived",
  "enhanced",
] as const;

/** A route's last digest, and a digest being sent. */
export interface DigestState {
  reporterId: string;
  last?: { periodKey: string; at: string; counts: SeverityCounts };
  /** A claim in flight; abandoned once `expiresAt` (epoch seconds) has passed. */
  pending?: { periodKey: string; expiresAt: number };
}

const isoTime = z.iso.datetime();
const count = z.number().int().nonnegative();

const changeLogItemSchema = z.object({
  pk: z.string().startsWith(CHANGES_PREFIX),
  sk: z.string().min(1),
  at: isoTime,
  registryId: z.string().min(1),
  repository: z.string().min(1),
  digest: z.string().min(1),
  references: z.array(z.string()),
  new: z.array(z.unknown()).default([]),
  fixed: z.array(z.unknown()).default([]),
  raised: z.array(z.unknown()).default([]),
});

const coverageItemSchema = z.object({
  pk: z.string().startsWith(COVERAGE_PREFIX),
  sk: z.string().startsWith(COVERAGE_SORT_PREFIX),
  runId: z.string(),
  at: isoTime,
  ...Object.fromEntries(COVERAGE_COUNTS.map((name) => [name, count])),
} as Record<string, z.ZodType>);

const digestItemSchema = z
  .object({
    pk: z.string().startsWith(DIGEST_PREFIX),
    sk: z.literal(DIGEST_SORT_KEY),
    periodKey: z.string().min(1).optional(),
    at: isoTime.optional(),
    counts: z.string().optional(),
    claimPeriodKey: z.string().min(1).optional(),
    claimToken: z.string().min(1).optional(),
    claimExpiresAt: count.optional(),
  })
  .refine((item) => (item.periodKey === undefined) === (item.at === undefined), {
    message: "periodKey and at go together",
  });

export function parseChangeLogItem(item: Record<string, unknown>): Parsed<ChangeLogEntry> {
  return parseLedgerItem(changeLogItemSchema, item, (valid) => ({
    at: valid.at,
    registryId: valid.registryId,
    repository: valid.repository,
    digest: valid.digest,
    references: valid.references,
    newFindings: decodeFindings(valid.new).findings,
    fixedFindings: decodeFindings(valid.fixed).findings,
    raisedFindings: decodeFindings(valid.raised).findings,
  }));
}

export function parseCoverageItem(item: Record<string, unknown>): Parsed<RepositoryCoverage> {
  return parseLedgerItem(coverageItemSchema, item, (valid) => {
    const coverage = {
      registryId: String(valid.pk).slice(COVERAGE_PREFIX.length),
      repository: String(valid.sk).slice(COVERAGE_SORT_PREFIX.length),
      runId: String(valid.runId),
      at: String(valid.at),
    } as RepositoryCoverage;
    for (const name of COVERAGE_COUNTS) coverage[name] = Number(valid[name]);
    return coverage;
  });
}

export function parseDigestStateItem(item: Record<string, unknown>): Parsed<DigestState> {
  return parseLedgerItem(digestItemSchema, item, (valid) => {
    const state: DigestState = { reporterId: valid.pk.slice(DIGEST_PREFIX.length) };
    if (valid.periodKey !== undefined && valid.at !== undefined) {
      const counts = decodeCounts(valid.counts);
      if (!counts) return "counts: not six counts";
      state.last = { periodKey: valid.periodKey, at: valid.at, counts };
    }
    if (valid.claimPeriodKey !== undefined && valid.claimExpiresAt !== undefined) {
      state.pending = { periodKey: valid.claimPeriodKey, expiresAt: valid.claimExpiresAt };
    }
    return state;
  });
}
