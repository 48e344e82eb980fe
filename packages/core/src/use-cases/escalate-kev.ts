import pLimit from "p-limit";
import { describeError } from "../errors.js";
import { type KevEscalationRequest, normalizeCveIds } from "../events/kev-escalation.js";
import type { ExposedImage } from "../ledger/exposure.js";
import type {
  KevEscalationBatch,
  KevEscalationStore,
  PendingKevEscalations,
} from "../ledger/kev-escalations.js";
import type { LedgerLogger } from "../ledger/ledger.js";
import { imageName } from "../ledger/records.js";

/**
 * "Escalation without a rescan" (issue 16, item 4; docs/architecture.md, "KEV escalations"). When CISA's KEV catalog
 * gains CVE ids, the scheduled run finds, in the ledger's `by-vulnerability` index, every image in use whose findings
 * have one of them, and queues one report request per image (its newly-KEV CVE ids together) on the report queue;
 * report-findings reports the image from its current findings with those findings "now known exploited", and the
 * reporters send it under their `notify` rules.
 *
 * Bounded per run: at most MAX_KEV_ESCALATIONS_PER_RUN requests and MAX_KEV_LOOKUPS_PER_RUN CVE look-ups. What is
 * left (CVE ids not yet looked up, images beyond the bound, requests SQS refused) stays in the ledger
 * (ledger/kev-escalations.ts) for the next run, and is counted in the run's summary.
 *
 * Once: the CVE ids are escalated in batches (at most KEV_BATCH_MAX_CVES, the batch's images in name order); a run
 * records how far it got (the batch, and the last image queued) only after the messages were queued, and under a
 * lease, so that two runs at once never both queue. A run that dies between queueing and recording leaves the next
 * run to queue the same requests again: the report path then holds each as `duplicate-scan`, an escalation's send
 * key (`kevEscalationSendKey`) being the same for the same image, scan and CVE ids.
 */

/** Report requests queued per run at most: a KEV addition found in thousands of images is spread over runs. */
export const MAX_KEV_ESCALATIONS_PER_RUN = 200;
/** CVE ids escalated together (one request per image for all of them); more wait for the next batch. */
export const KEV_BATCH_MAX_CVES = 50;
/** CVE ids looked up in the index per run at most (one Query, and reads of the images found, each). */
export const MAX_KEV_LOOKUPS_PER_RUN = 200;
/** Look-ups in flight at once. */
const LOOKUP_CONCURRENCY = 4;

export interface KevEscalationLimits {
  perRun: number;
  batchCves: number;
  lookupsPerRun: number;
}

/** The KEV catalog's refresh (intel/threat-intel.ts `LedgerThreatIntel.refreshKev`): the CVE ids new since the last. */
export interface KevRefresher {
  refreshKev(): Promise<{ added: readonly string[] }>;
}

/** A request SQS did not take, and why. */
export interface UnqueuedEscalation {
  request: KevEscalationRequest;
  reason: string;
}

/** Queues the requests' messages on the report queue; answers those that could not be queued. */
export type QueueEscalations = (
  requests: readonly KevEscalationRequest[],
) => Promise<{ failed: UnqueuedEscalation[] }>;

export interface EscalateKevDeps {
  /** Absent: only what earlier runs left is escalated. */
  refresher?: KevRefresher;
  store: KevEscalationStore;
  /** The images whose findings have the CVE id (ledger/exposure.ts `queryExposure`). */
  findImages: (cveId: string) => Promise<readonly ExposedImage[]>;
  queue: QueueEscalations;
  logger: LedgerLogger;
  limits?: Partial<KevEscalationLimits>;
}

/** What a run did, for its summary: `kevEscalationsQueued`, `kevEscalationsLeft`… */
export interface KevEscalationRun {
  /** CVE ids newly on KEV this run. */
  added: string[];
  /** Requests queued on the report queue. */
  queued: number;
  /**
   * Requests found and not queued (beyond the bound, or refused by SQS): the next run queues them. Requests of CVE
   * ids not yet looked up are not known yet; `cvesPending` counts those ids.
   */
  left: number;
  /** CVE ids whose escalation is not finished (the batch in progress, and those not started). */
  cvesPending: number;
  /** Requests SQS refused (the next run queues them again). */
  failed: number;
  /**
   * `idle`: nothing to escalate; `done`: everything pending was queued; `more-left`: the bound (or a failure) left
   * some for the next run; `busy`: another run holds the pending escalations.
   */
  state: "idle" | "done" | "more-left" | "busy";
  /** A look-up or the queue failed: the run stopped there, and recorded how far it got. */
  error?: string;
}

/**
 * One request per image in use, with every CVE id of `found` its findings have, in image-name order (code-unit
 * order, as `after` compares). An image no tag points at now (untagged, its tag moved, gone) is left out: a report
 * about it would reach no one who runs it.
 */
export function escalationsOf(
  found: readonly { cveId: string; images: readonly ExposedImage[] }[],
): KevEscalationRequest[] {
  const byImage = new Map<string, { request: KevEscalationRequest; cves: Set<string>; tags: Set<string> }>();
  for (const { cveId, images } of found) {
    for (const image of images) {
      if (!image.inUse) continue;
      const name = imageName(image);
      let entry = byImage.get(name);
      if (!entry) {
        const { registryId, repository, digest } = image;
        entry = {
          request: { registryId, repository, digest, tags: [], cves: [] },
          cves: new Set(),
          tags: new Set(),
        };
        byImage.set(name, entry);
      }
      entry.cves.add(cveId);
      for (const tag of image.tags) entry.tags.add(tag);
    }
  }
  return [...byImage.entries()]
    .sort(([a], [b]) => compareNames(a, b))
    .map(([, entry]) => ({
      ...entry.request,
      tags: [...entry.tags].sort(),
      cves: normalizeCveIds([...entry.cves]),
    }));
}

const compareNames = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The requests still to queue: those after the last image queued for the batch. */
export function requestsAfter(
  requests: readonly KevEscalationRequest[],
  after: string | undefined,
): KevEscalationRequest[] {
  return after === undefined ? [...requests] : requests.filter((r) => imageName(r) > after);
}

/**
 * How far a batch got once `sent` (a prefix of its requests in name order) was queued and `failed` refused: every
 * request before the first refused one is done, so the batch resumes after the last of them (`after`; unchanged
 * when the first was refused). Requests after a refused one that SQS took are queued again by the next run, which
 * the report path holds as duplicates.
 */
export function progressOf(
  sent: readonly KevEscalationRequest[],
  failed: readonly KevEscalationRequest[],
  previousAfter: string | undefined,
): { done: number; after: string | undefined } {
  const refused = new Set(failed.map(imageName));
  const firstRefused = sent.findIndex((request) => refused.has(imageName(request)));
  const done = firstRefused === -1 ? sent.length : firstRefused;
  const last = sent[done - 1];
  return { done, after: last ? imageName(last) : previousAfter };
}

/** The next batch: the first CVE ids of `incoming` (sorted), at most `max`. */
export function nextBatch(incoming: readonly string[], max: number): string[] {
  return [...incoming].sort().slice(0, max);
}

function pendingCount(pending: PendingKevEscalations): number {
  const inBatch = new Set(pending.batch?.cves ?? []);
  return inBatch.size + pending.incoming.filter((id) => !inBatch.has(id)).length;
}

/**
 * Refreshes the KEV catalog, records its additions, and queues the escalations of up to the run's bound. Never
 * throws for a feed, a look-up or the queue (the summary says what happened); a ledger call that fails (the
 * pending item) throws its LedgerError, for the caller to log.
 */
export async function escalateKev(deps: EscalateKevDeps): Promise<KevEscalationRun> {
  const { store, logger } = deps;
  const limits: KevEscalationLimits = {
    perRun: MAX_KEV_ESCALATIONS_PER_RUN,
    batchCves: KEV_BATCH_MAX_CVES,
    lookupsPerRun: MAX_KEV_LOOKUPS_PER_RUN,
    ...deps.limits,
  };
  const added = await refresh(deps);
  // Recorded before anything else: the refresh announces each addition once.
  const known = added.length > 0 ? await recordAdditions(store, added, logger) : await store.read();
  const result: KevEscalationRun = { added, queued: 0, left: 0, cvesPending: 0, failed: 0, state: "idle" };
  if (pendingCount(known) === 0) return result;

  const lease = await store.lease();
  if (!lease) {
    logger.info("KEV escalations held by another run; left to it", { cvesPending: pendingCount(known) });
    return { ...result, cvesPending: pendingCount(known), state: "busy" };
  }
  const { pending } = lease;
  let batch: KevEscalationBatch | undefined = pending.batch && { ...pending.batch };
  let incoming = pending.incoming.filter((id) => !batch?.cves.includes(id));
  const taken: string[] = pending.incoming.filter((id) => batch?.cves.includes(id));
  let budget = limits.perRun;
  let lookups = 0;

  for (;;) {
    if (!batch) {
      const cves = nextBatch(incoming, limits.batchCves);
      // Nothing left, or a bound reached: the next batch waits, whole, for the next run.
      const overLookups = lookups > 0 && lookups + cves.length > limits.lookupsPerRun;
      if (cves.length === 0 || budget === 0 || overLookups) break;
      batch = { cves };
      taken.push(...cves);
      incoming = incoming.filter((id) => !cves.includes(id));
    }
    const current: KevEscalationBatch = batch;
    let found: { cveId: string; images: readonly ExposedImage[] }[];
    try {
      found = await lookUp(current.cves, deps.findImages);
    } catch (error) {
      result.error = `looking up images: ${describeError(error)}`;
      logger.warn("KEV escalation look-up failed; the batch is left for the next run", {
        cves: current.cves,
        error: describeError(error),
      });
      break;
    }
    lookups += current.cves.length;
    const toQueue = requestsAfter(escalationsOf(found), current.after);
    const sent = toQueue.slice(0, budget);
    let failed: UnqueuedEscalation[] = [];
    if (sent.length > 0) {
      try {
        failed = (await deps.queue(sent)).failed;
      } catch (error) {
        failed = sent.map((request) => ({ request, reason: describeError(error) }));
      }
    }
    if (failed.length > 0) {
      result.error = `queueing: ${failed[0]?.reason}`;
      logger.warn("KEV escalations not queued; the next run queues them again", {
        failed: failed.slice(0, 20).map(({ request, reason }) => ({ image: imageName(request), reason })),
        count: failed.length,
      });
    }
    result.queued += sent.length - failed.length;
    result.failed += failed.length;
    budget -= sent.length;
    const progress = progressOf(
      sent,
      failed.map((f) => f.request),
      current.after,
    );
    const left = toQueue.length - progress.done;
    if (left > 0) {
      result.left += left;
      batch = { cves: current.cves, ...(progress.after !== undefined && { after: progress.after }) };
      break;
    }
    logger.info("KEV escalation batch done", { cves: current.cves, images: toQueue.length });
    batch = undefined;
  }

  const committed = await store.commit(lease, { batch, taken });
  const cvesPending = (batch?.cves.length ?? 0) + incoming.length;
  return {
    ...result,
    cvesPending,
    state: !committed || cvesPending > 0 ? "more-left" : "done",
  };
}

/** The refresh's additions, normalized; a refresh that fails is logged and adds nothing. */
async function refresh(deps: EscalateKevDeps): Promise<string[]> {
  if (!deps.refresher) return [];
  try {
    return normalizeCveIds((await deps.refresher.refreshKev()).added);
  } catch (error) {
    deps.logger.warn("KEV catalog not refreshed; only escalations left by earlier runs go out", {
      error: describeError(error),
    });
    return [];
  }
}

/** Adds the CVE ids to what is pending; when that fails they are named in the log, since no later run learns of them. */
async function recordAdditions(
  store: KevEscalationStore,
  added: readonly string[],
  logger: LedgerLogger,
): Promise<PendingKevEscalations> {
  try {
    return await store.add(added);
  } catch (error) {
    logger.warn("KEV additions could not be recorded: they will not be escalated", {
      added,
      error: describeError(error),
    });
    throw error;
  }
}

/** The images of each CVE id, a few look-ups at once. */
async function lookUp(
  cves: readonly string[],
  findImages: EscalateKevDeps["findImages"],
): Promise<{ cveId: string; images: readonly ExposedImage[] }[]> {
  const limit = pLimit(LOOKUP_CONCURRENCY);
  return Promise.all(cves.map((cveId) => limit(async () => ({ cveId, images: await findImages(cveId) }))));
}
