import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import pLimit from "p-limit";
import { describeError } from "../errors.js";
import type { LedgerLogger } from "../ledger/ledger.js";
import type { EpssScore, IntelSourceStatus, KevEntry } from "../model.js";
import { epssBatches, epssRequestUrl, parseEpssResponse } from "./epss.js";
import { type FetchFunction, feedFailureReason, getJson, RETRY_DELAY_MS } from "./fetch-bounded.js";
import { CVE_ID_PATTERN, type IntelLookup, type ThreatIntel } from "./intel.js";
import {
  type CachedEpssScore,
  type CachedKevCatalog,
  type IntelCache,
  LedgerIntelCache,
} from "./intel-cache.js";
import { type KevCatalog, parseKevCatalog } from "./kev.js";

/** Config `intel`: where each feed is; null turns that source off. */
export interface IntelSources {
  kevUrl: string | null;
  epssUrl: string | null;
}

/** How long and how much a feed may take. */
export interface IntelLimits {
  /** One attempt of one GET, headers and body. */
  timeoutMs: number;
  /** KEV's feed is ~1.5 MB today. */
  kevMaxBytes: number;
  /** One EPSS answer of 100 scores is ~10 KB. */
  epssMaxBytes: number;
  /** EPSS calls in flight at once. */
  epssConcurrency: number;
  retryDelayMs: number;
  /** After a feed failed, how long this container uses what it has rather than trying again (each try can take `timeoutMs`). */
  failureBackoffMs: number;
}

export const DEFAULT_INTEL_LIMITS: IntelLimits = {
  timeoutMs: 5_000,
  kevMaxBytes: 8 * 1024 * 1024,
  epssMaxBytes: 1024 * 1024,
  epssConcurrency: 3,
  retryDelayMs: RETRY_DELAY_MS,
  failureBackoffMs: 10 * 60_000,
};

/** EPSS look-ups a warm container keeps at most; those of earlier days go first. */
export const MAX_MEMO_EPSS = 20_000;

/**
 * What a warm Lambda container remembers between invocations (the handler keeps one at module scope): the KEV
 * copy, EPSS look-ups, and a feed's recent failure, so that a burst of reports reads the ledger once and waits
 * for a dead feed once.
 */
export interface IntelMemo {
  kev?: CachedKevCatalog;
  kevFailure?: { at: number; reason: string };
  epss: Map<string, CachedEpssScore>;
  epssFailure?: { at: number; reason: string };
}

export function createIntelMemo(): IntelMemo {
  return { epss: new Map() };
}

export interface LedgerThreatIntelOptions {
  intel: IntelSources;
  /** Where copies are cached (the findings ledger); without one, each container fetches for itself. */
  cache?: IntelCache;
  fetch: FetchFunction;
  logger: LedgerLogger;
  now?: () => Date;
  memo?: IntelMemo;
  limits?: Partial<IntelLimits>;
}

/** What the scheduled run learns from the KEV catalog. */
export interface KevRefresh {
  /** The copy in use (fresh, or the cached one when the feed failed); absent when there is none. */
  catalog?: KevCatalog;
  /** CVE ids on this copy that were not on the copy last compared with, sorted; each announced once. */
  added: string[];
  status: IntelSourceStatus;
}

const utcDay = (time: string | Date) => (typeof time === "string" ? time : time.toISOString()).slice(0, 10);

/** The ids worth looking up: upper case, shaped like a CVE id, once each. */
export function lookUpIds(cveIds: readonly string[]): string[] {
  return [...new Set(cveIds.map((id) => id.toUpperCase()).filter((id) => CVE_ID_PATTERN.test(id)))];
}

/**
 * Threat intel from CISA's KEV catalog and FIRST's EPSS API, cached in the findings ledger (intel-cache.ts): KEV
 * fetched at most once a day (UTC), EPSS scores per CVE per day in batches. A feed that fails never blocks a
 * report: the last cached copy is used (`stale`, with its age and the reason), or nothing (`unavailable`).
 */
export class LedgerThreatIntel implements ThreatIntel {
  private readonly sources: IntelSources;
  private readonly cache: IntelCache | undefined;
  private readonly fetch: FetchFunction;
  private readonly logger: LedgerLogger;
  private readonly now: () => Date;
  private readonly memo: IntelMemo;
  private readonly limits: IntelLimits;
  /** The KEV resolution in flight: look-ups running at once share one read and one fetch. */
  private kevInFlight: Promise<KevResolution> | undefined;

  constructor(options: LedgerThreatIntelOptions) {
    this.sources = options.intel;
    this.cache = options.cache;
    this.fetch = options.fetch;
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
    this.memo = options.memo ?? createIntelMemo();
    this.limits = { ...DEFAULT_INTEL_LIMITS, ...options.limits };
  }

  async lookUp(cveIds: readonly string[]): Promise<IntelLookup> {
    const ids = lookUpIds(cveIds);
    const [kev, epss] = await Promise.all([
      this.kevOf(ids).catch((error) => this.unexpected<KevEntry>("KEV", error)),
      this.epssOf(ids).catch((error) => this.unexpected<EpssScore>("EPSS", error)),
    ]);
    return {
      kev: kev.found,
      epss: epss.found,
      status: { kev: kev.status, epss: epss.status },
    };
  }

  /** The KEV catalog of the day (memory, ledger or feed, as for look-ups), for digests; never throws. */
  async kevCatalog(): Promise<{ catalog?: KevCatalog; status: IntelSourceStatus }> {
    try {
      const resolved = await this.currentKev();
      return { catalog: resolved.copy?.catalog, status: resolved.status };
    } catch (error) {
      return { status: this.unexpected<KevEntry>("KEV", error).status };
    }
  }

  /**
   * For the scheduled run: the KEV copy of the day (fetched if no copy of today is cached) compared with the copy
   * the last refresh compared with (its ids are kept in the ledger), and the ids newly added. Each addition is
   * announced once: of two runs comparing at once, one records the comparison and gets the ids, the other none.
   */
  async refreshKev(): Promise<KevRefresh> {
    let resolved: KevResolution;
    try {
      resolved = await this.currentKev();
    } catch (error) {
      return { added: [], status: this.unexpected<KevEntry>("KEV", error).status };
    }
    const copy = resolved.copy;
    if (!copy) return { added: [], status: resolved.status };
    const result: KevRefresh = { catalog: copy.catalog, added: [], status: resolved.status };
    // Without a ledger there is nothing to compare with tomorrow, and no images to escalate.
    if (!this.cache) return result;
    try {
      const added = await this.compareWithBaseline(this.cache, copy, resolved.replaced);
      return { ...result, added };
    } catch (error) {
      // Nothing recorded: the next run compares with the same baseline and announces these additions then.
      this.logger.warn("KEV additions not compared: the ledger could not be read or written", {
        error: describeError(error),
      });
      return result;
    }
  }

  /** The ids of `copy` not on the baseline, sorted, once: the baseline becomes `copy` in the same step. */
  private async compareWithBaseline(
    cache: IntelCache,
    copy: CachedKevCatalog,
    replaced: CachedKevCatalog | undefined,
  ): Promise<string[]> {
    const stored = await cache.readKevBaseline();
    if (stored.baseline && stored.baseline.fetchedAt >= copy.fetchedAt) return [];
    // The copy to compare with: the one last compared; failing that (the first refresh since the ledger had a
    // copy), the cached copy this run's fetch replaced. With neither, this is the very first copy: there is
    // nothing to compare with, and every entry would be "new" — none is announced, the copy becomes the baseline.
    const previous = stored.baseline?.ids ?? (replaced && new Set(replaced.catalog.entries.keys()));
    const added = previous ? [...copy.catalog.entries.keys()].filter((id) => !previous.has(id)).sort() : [];
    const ids = new Set(copy.catalog.entries.keys());
    const claimed = await cache.writeKevBaseline(
      { catalogVersion: copy.catalog.catalogVersion, fetchedAt: copy.fetchedAt, ids },
      stored.token,
    );
    if (!claimed) {
      this.logger.info("KEV additions already announced by another run", { added: added.length });
      return [];
    }
    this.logger.info("KEV catalog compared with the last copy", {
      catalogVersion: copy.catalog.catalogVersion,
      comparedWith: stored.baseline?.catalogVersion ?? replaced?.catalog.catalogVersion ?? null,
      added: added.length,
    });
    return added;
  }

  private async kevOf(ids: readonly string[]): Promise<Found<KevEntry>> {
    const resolved = await this.currentKev();
    const found = new Map<string, KevEntry>();
    if (resolved.copy) {
      for (const id of ids) {
        const entry = resolved.copy.catalog.entries.get(id);
        if (entry) found.set(id, entry);
      }
    }
    return { found, status: resolved.status };
  }

  private currentKev(): Promise<KevResolution> {
    if (!this.kevInFlight) {
      this.kevInFlight = this.resolveKev().finally(() => {
        this.kevInFlight = undefined;
      });
    }
    return this.kevInFlight;
  }

  /** Today's copy from memory, the ledger or the feed, in that order; else the last copy known, as stale. */
  private async resolveKev(): Promise<KevResolution> {
    const kevUrl = this.sources.kevUrl;
    if (kevUrl === null) return { status: { state: "off" } };
    const now = this.now();
    const memo = this.memo;
    if (memo.kev && utcDay(memo.kev.fetchedAt) === utcDay(now)) return fresh(memo.kev);
    if (memo.kevFailure && now.getTime() - memo.kevFailure.at < this.limits.failureBackoffMs) {
      return fallback(memo.kev, memo.kevFailure.reason);
    }
    const cached = await this.readCache("KEV", () => this.cache?.readKev());
    if (cached && utcDay(cached.fetchedAt) === utcDay(now)) {
      memo.kev = cached;
      return fresh(cached);
    }
    try {
      const json = await getJson(kevUrl, this.getOptions(this.limits.kevMaxBytes));
      const parsed = parseKevCatalog(json);
      if (parsed.skipped > 0) {
        this.logger.warn("KEV entries skipped: unreadable", {
          skipped: parsed.skipped,
          read: parsed.catalog.entries.size,
          examples: parsed.skippedReasons,
        });
      }
      const copy: CachedKevCatalog = { catalog: parsed.catalog, fetchedAt: now.toISOString() };
      memo.kev = copy;
      memo.kevFailure = undefined;
      await this.writeCache("KEV", () => this.cache?.writeKev(copy.catalog, copy.fetchedAt));
      return cached ? { ...fresh(copy), replaced: cached } : fresh(copy);
    } catch (error) {
      const reason = feedFailureReason(error);
      this.logger.warn("KEV feed unavailable; the last cached copy is used, if any", {
        url: kevUrl,
        reason,
        error: describeError(error),
      });
      const last = newest(cached, memo.kev);
      memo.kev = last;
      memo.kevFailure = { at: now.getTime(), reason };
      return fallback(last, reason);
    }
  }

  private async epssOf(ids: readonly string[]): Promise<Found<EpssScore>> {
    const epssUrl = this.sources.epssUrl;
    if (epssUrl === null) return { found: new Map(), status: { state: "off" } };
    const now = this.now();
    const today = utcDay(now);
    if (ids.length === 0) return { found: new Map(), status: { state: "fresh", asOf: now.toISOString() } };
    const current = new Map<string, CachedEpssScore>();
    const older = new Map<string, CachedEpssScore>();
    const classify = (id: string, cached: CachedEpssScore | undefined) => {
      if (!cached) return;
      if (utcDay(cached.fetchedAt) === today) current.set(id, cached);
      else if (!older.has(id) || (older.get(id) as CachedEpssScore).fetchedAt < cached.fetchedAt) {
        older.set(id, cached);
      }
    };
    for (const id of ids) classify(id, this.memo.epss.get(id));
    const notInMemory = ids.filter((id) => !current.has(id));
    if (notInMemory.length > 0) {
      const cached = await this.readCache("EPSS", () => this.cache?.readEpss(notInMemory));
      for (const [id, score] of cached ?? []) {
        classify(id, score);
        if (current.has(id)) this.remember(id, score);
      }
    }
    const toFetch = ids.filter((id) => !current.has(id));
    let failure: string | undefined;
    if (toFetch.length > 0) {
      const backoff = this.memo.epssFailure;
      if (backoff && now.getTime() - backoff.at < this.limits.failureBackoffMs) failure = backoff.reason;
      else {
        const fetched = await this.fetchEpss(epssUrl, toFetch);
        for (const result of fetched.results) {
          const cached: CachedEpssScore = { fetchedAt: now.toISOString() };
          if (result.score) cached.score = result.score;
          current.set(result.cveId, cached);
          this.remember(result.cveId, cached);
        }
        if (fetched.results.length > 0) {
          await this.writeCache("EPSS", () => this.cache?.writeEpss(fetched.results, now.toISOString()));
        }
        failure = fetched.failure;
        this.memo.epssFailure = failure ? { at: now.getTime(), reason: failure } : undefined;
      }
    }
    const found = new Map<string, EpssScore>();
    const used: string[] = [];
    let unknown = 0;
    for (const id of ids) {
      const cached = current.get(id) ?? (failure ? older.get(id) : undefined);
      if (!cached) {
        unknown++;
        continue;
      }
      used.push(cached.fetchedAt);
      if (cached.score) found.set(id, cached.score);
    }
    const asOf = used.sort()[0];
    if (!failure) return { found, status: { state: "fresh", asOf: asOf ?? now.toISOString() } };
    if (asOf === undefined) return { found, status: { state: "unavailable", reason: failure } };
    const reason = unknown > 0 ? `${failure}; ${unknown} of ${ids.length} CVE ids without a score` : failure;
    return { found, status: { state: "stale", asOf, reason } };
  }

  /**
   * The EPSS look-ups of the ids, in batches (a few calls at once). The first failure stops the batches not yet
   * started: a feed that fails once is likely to fail again, and each failure can cost the whole timeout.
   */
  private async fetchEpss(
    epssUrl: string,
    ids: readonly string[],
  ): Promise<{ results: { cveId: string; score?: EpssScore }[]; failure?: string }> {
    const results: { cveId: string; score?: EpssScore }[] = [];
    let failure: string | undefined;
    const limit = pLimit(this.limits.epssConcurrency);
    await Promise.all(
      epssBatches(ids).map((batch) =>
        limit(async () => {
          if (failure) return;
          try {
            const json = await getJson(
              epssRequestUrl(epssUrl, batch),
              this.getOptions(this.limits.epssMaxBytes),
            );
            const parsed = parseEpssResponse(json);
            if (parsed.skipped > 0 || parsed.truncated) {
              this.logger.warn("EPSS answer incomplete", {
                skipped: parsed.skipped,
                truncated: parsed.truncated,
                asked: batch.length,
              });
            }
            for (const cveId of batch) {
              const score = parsed.scores.get(cveId);
              if (score) results.push({ cveId, score });
              // Absent from a complete answer: EPSS has no score for it (yet); remembered for the day too.
              else if (!parsed.truncated) results.push({ cveId });
            }
          } catch (error) {
            failure ??= feedFailureReason(error);
            this.logger.warn("EPSS API unavailable; cached scores are used, if any", {
              url: epssUrl,
              reason: feedFailureReason(error),
              error: describeError(error),
            });
          }
        }),
      ),
    );
    return failure ? { results, failure } : { results };
  }

  private remember(id: string, cached: CachedEpssScore): void {
    const memo = this.memo.epss;
    if (memo.size >= MAX_MEMO_EPSS && !memo.has(id)) {
      const today = utcDay(this.now());
      for (const [key, value] of memo) if (utcDay(value.fetchedAt) !== today) memo.delete(key);
      if (memo.size >= MAX_MEMO_EPSS) memo.clear();
    }
    memo.set(id, cached);
  }

  private getOptions(maxBytes: number) {
    return {
      fetch: this.fetch,
      timeoutMs: this.limits.timeoutMs,
      maxBytes,
      retryDelayMs: this.limits.retryDelayMs,
    };
  }

  /** A cache read that cannot fail the look-up: a ledger error is logged and read as "nothing cached". */
  private async readCache<T>(source: string, read: () => Promise<T> | undefined): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      this.logger.warn("cached threat intel could not be read", { source, error: describeError(error) });
      return undefined;
    }
  }

  /** A cache write that cannot fail the look-up: the copy is still used, and the next container fetches again. */
  private async writeCache(source: string, write: () => Promise<unknown> | undefined): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.logger.warn("threat intel could not be cached", { source, error: describeError(error) });
    }
  }

  private unexpected<T>(source: string, error: unknown): Found<T> {
    this.logger.warn("threat intel look-up failed", { source, error: describeError(error) });
    return { found: new Map(), status: { state: "unavailable", reason: "unexpected error" } };
  }
}

/** What one source found for the ids, and how fresh it was. */
interface Found<T> {
  found: Map<string, T>;
  status: IntelSourceStatus;
}

interface KevResolution {
  copy?: CachedKevCatalog;
  status: IntelSourceStatus;
  /** The older cached copy a fetch replaced (refreshKev compares with it when it has no baseline yet). */
  replaced?: CachedKevCatalog;
}

function fresh(copy: CachedKevCatalog): KevResolution {
  return { copy, status: { state: "fresh", asOf: copy.fetchedAt } };
}

function fallback(copy: CachedKevCatalog | undefined, reason: string): KevResolution {
  if (!copy) return { status: { state: "unavailable", reason } };
  return { copy, status: { state: "stale", asOf: copy.fetchedAt, reason } };
}

function newest(
  a: CachedKevCatalog | undefined,
  b: CachedKevCatalog | undefined,
): CachedKevCatalog | undefined {
  if (!a || !b) return a ?? b;
  return a.fetchedAt >= b.fetchedAt ? a : b;
}

export interface ThreatIntelFactoryOptions {
  intel: IntelSources;
  /** The findings ledger (LEDGER_TABLE_NAME); without one, nothing is cached beyond the container. */
  ledger?: { client: Pick<DynamoDBClient, "send">; tableName: string };
  fetch?: FetchFunction;
  logger: LedgerLogger;
  now?: () => Date;
  memo?: IntelMemo;
}

/** The threat intel of a function: config `intel`, cached in the findings ledger when there is one. */
export function createThreatIntel(options: ThreatIntelFactoryOptions): LedgerThreatIntel {
  const cache = options.ledger
    ? new LedgerIntelCache({ ...options.ledger, logger: options.logger, now: options.now })
    : undefined;
  return new LedgerThreatIntel({
    intel: options.intel,
    cache,
    fetch: options.fetch ?? globalThis.fetch,
    logger: options.logger,
    now: options.now,
    memo: options.memo,
  });
}
