import { PutItemCommand, type WriteRequest } from "@aws-sdk/client-dynamodb";
import * as z from "zod";
import { fromItem, itemBytes, toItem, type WritableValue } from "../ledger/attributes.js";
import { type ItemKey, LEDGER_SCHEMA_VERSION, type Parsed, parseLedgerItem } from "../ledger/records.js";
import {
  type DynamoDbLedgerOptions,
  ITEM_SAFETY_BYTES,
  LedgerTable,
  MAX_ITEM_BYTES,
  notOlderCondition,
  Placeholders,
} from "../ledger/table-client.js";
import type { EpssScore, KevEntry } from "../model.js";
import { CVE_ID_PATTERN } from "./intel.js";
import type { KevCatalog } from "./kev.js";

/**
 * Threat intel cached in the findings ledger table (docs/architecture.md, "Threat intel"), so that the feeds are
 * fetched at most once a day whichever function or container asks:
 *
 * - `INTEL#KEV` / `META`: the cached copy of CISA's KEV catalog: `catalogVersion`, `dateReleased`, `fetchedAt`
 *   (ISO 8601), `count` (entries), `chunks` (how many chunk items hold them);
 * - `INTEL#KEV` / `CHUNK#<fetchedAt>#<nnn>`: the entries of that copy, a few hundred KB an item (one today: KEV is
 *   ~1,500 entries), each self-contained: `actions` (the distinct required-action texts of its entries: a handful
 *   of texts repeat across the catalog) and `entries`, one JSON array per entry `[cveID, dateAdded, dueDate |
 *   null, knownRansomwareCampaignUse | null, index into actions | null]`. The copy's time in the sort key keeps two
 *   copies written at once from mixing: a reader takes the chunks of the copy META names, and a writer deletes the
 *   chunks of any other copy once its META is in place. Read with one Query of the partition;
 * - `INTEL#KEV-BASELINE` / `IDS`: the CVE ids of the catalog copy the scheduled run last compared with (`ids`,
 *   `catalogVersion`, `fetchedAt` of that copy, `comparedAt`), so that "newly added" is computed against what was
 *   last announced, not against a copy a report fetched earlier the same day;
 * - `EPSS#<CVE id>` / `SCORE`: FIRST's EPSS score of one CVE: `score`, `percentile`, `date` (all three, or none:
 *   EPSS had no score for it that day), `fetchedAt`, `expiresAt` (epoch seconds, 30 days on: the table's TTL).
 *   Read with BatchGetItem, written with BatchWriteItem.
 *
 * Every item carries `schema`; an item of another format, or malformed, is ignored and logged (records.ts).
 */
export const KEV_PARTITION = "INTEL#KEV";
export const KEV_META_SORT_KEY = "META";
export const KEV_CHUNK_PREFIX = "CHUNK#";
export const KEV_BASELINE_PARTITION = "INTEL#KEV-BASELINE";
export const KEV_BASELINE_SORT_KEY = "IDS";
export const EPSS_PREFIX = "EPSS#";
export const EPSS_SORT_KEY = "SCORE";

/** How long an EPSS score is kept (the table's TTL): a fallback while the API is unreachable, not forever. */
export const EPSS_RETENTION_MS = 30 * 24 * 3_600_000;
/** The bytes of KEV entries one chunk item holds: well under DynamoDB's 400 KB item limit. */
export const KEV_CHUNK_BYTES = 300 * 1024;

export const kevMetaKey = (): ItemKey => ({ pk: KEV_PARTITION, sk: KEV_META_SORT_KEY });
export const kevChunkKey = (fetchedAt: string, index: number): ItemKey => ({
  pk: KEV_PARTITION,
  sk: `${KEV_CHUNK_PREFIX}${fetchedAt}#${String(index).padStart(3, "0")}`,
});
export const kevBaselineKey = (): ItemKey => ({ pk: KEV_BASELINE_PARTITION, sk: KEV_BASELINE_SORT_KEY });
export const epssKey = (cveId: string): ItemKey => ({ pk: `${EPSS_PREFIX}${cveId}`, sk: EPSS_SORT_KEY });

/** A KEV catalog as cached, with when it was fetched. */
export interface CachedKevCatalog {
  catalog: KevCatalog;
  /** ISO 8601. */
  fetchedAt: string;
}

/** An EPSS look-up as cached: the score, or none when EPSS had none for the CVE. */
export interface CachedEpssScore {
  score?: EpssScore;
  /** ISO 8601. */
  fetchedAt: string;
}

/** The catalog copy the scheduled run last compared with. */
export interface KevBaseline {
  catalogVersion: string;
  /** When that copy was fetched (ISO 8601). */
  fetchedAt: string;
  ids: ReadonlySet<string>;
}

/**
 * What the baseline item held when read: `token` is its `fetchedAt` as stored (even when the item is otherwise
 * unreadable), the condition of the next write, so that of two runs comparing at once only one announces.
 */
export interface StoredKevBaseline {
  baseline?: KevBaseline;
  token?: string;
}

/** Where threat intel is cached; LedgerIntelCache on the ledger table. */
export interface IntelCache {
  /** The cached KEV catalog; undefined when none, or unreadable (logged). */
  readKev(): Promise<CachedKevCatalog | undefined>;
  /** Caches a freshly fetched catalog; false when a copy fetched later was already cached (and kept). */
  writeKev(catalog: KevCatalog, fetchedAt: string): Promise<boolean>;
  /** The cached EPSS look-ups of these CVE ids (absent: never cached, expired or unreadable). */
  readEpss(cveIds: readonly string[]): Promise<Map<string, CachedEpssScore>>;
  /** Caches EPSS look-ups: a score, or none when EPSS had none. */
  writeEpss(results: readonly { cveId: string; score?: EpssScore }[], fetchedAt: string): Promise<void>;
  readKevBaseline(): Promise<StoredKevBaseline>;
  /** Writes the baseline if the stored one is still the one read (`token`); false when another run got there first. */
  writeKevBaseline(baseline: KevBaseline, token: string | undefined): Promise<boolean>;
}

const isoTime = z.iso.datetime();
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const epochSeconds = z.number().int().nonnegative();
const unit = z.number().min(0).max(1);

const kevMetaSchema = z.object({
  pk: z.literal(KEV_PARTITION),
  sk: z.literal(KEV_META_SORT_KEY),
  catalogVersion: z.string().min(1),
  dateReleased: z.string().min(1),
  fetchedAt: isoTime,
  count: z.number().int().nonnegative(),
  chunks: z.number().int().nonnegative(),
});

const kevChunkSchema = z.object({
  pk: z.literal(KEV_PARTITION),
  sk: z.string().startsWith(KEV_CHUNK_PREFIX),
  fetchedAt: isoTime,
  index: z.number().int().nonnegative(),
  actions: z.array(z.string()),
  entries: z.array(z.string()),
});

/** One entry of a chunk, decoded from its JSON array. */
const chunkEntrySchema = z.tuple([
  z.string().regex(CVE_ID_PATTERN),
  day,
  day.nullable(),
  z.string().min(1).nullable(),
  z.number().int().nonnegative().nullable(),
]);

const kevBaselineSchema = z.object({
  pk: z.literal(KEV_BASELINE_PARTITION),
  sk: z.literal(KEV_BASELINE_SORT_KEY),
  catalogVersion: z.string().min(1),
  fetchedAt: isoTime,
  comparedAt: isoTime,
  ids: z.array(z.string()),
});

const epssItemSchema = z
  .object({
    pk: z.string().startsWith(EPSS_PREFIX),
    sk: z.literal(EPSS_SORT_KEY),
    score: unit.optional(),
    percentile: unit.optional(),
    date: day.optional(),
    fetchedAt: isoTime,
    expiresAt: epochSeconds,
  })
  .refine(
    (item) =>
      (item.score === undefined) === (item.percentile === undefined) &&
      (item.score === undefined) === (item.date === undefined),
    { message: "score, percentile and date go together" },
  );

export function parseEpssItem(item: Record<string, unknown>): Parsed<{ cveId: string } & CachedEpssScore> {
  return parseLedgerItem(epssItemSchema, item, (valid) => {
    const cached: { cveId: string } & CachedEpssScore = {
      cveId: valid.pk.slice(EPSS_PREFIX.length),
      fetchedAt: valid.fetchedAt,
    };
    if (valid.score !== undefined && valid.percentile !== undefined && valid.date !== undefined) {
      cached.score = { score: valid.score, percentile: valid.percentile, date: valid.date };
    }
    return cached;
  });
}

/** One chunk of a KEV copy: the attributes of its item (keys and schema aside). */
export interface KevChunk {
  actions: string[];
  entries: string[];
}

function encodeKevEntry(cveId: string, entry: KevEntry, actionIndex: number | null): string {
  return JSON.stringify([
    cveId,
    entry.dateAdded,
    entry.dueDate ?? null,
    entry.knownRansomwareCampaignUse ?? null,
    actionIndex,
  ]);
}

const listElementBytes = (text: string) => Buffer.byteLength(text, "utf8") + 1;

/**
 * The catalog's entries (in CVE id order) in chunks of at most `budgetBytes` of entries and action texts, each
 * chunk holding the required-action texts its entries use, once each.
 */
export function chunkKevEntries(
  entries: ReadonlyMap<string, KevEntry>,
  budgetBytes: number = KEV_CHUNK_BYTES,
): KevChunk[] {
  const chunks: KevChunk[] = [];
  let chunk: KevChunk = { actions: [], entries: [] };
  let actionIndex = new Map<string, number>();
  let bytes = 0;
  // An entry as it would go into the current chunk: its encoding, and its action text if the chunk lacks it.
  const place = (cveId: string, entry: KevEntry) => {
    const action = entry.requiredAction;
    const known = action === undefined ? null : actionIndex.get(action);
    const index = action === undefined ? null : (known ?? chunk.actions.length);
    const newAction = action !== undefined && known === undefined ? action : undefined;
    const encoded = encodeKevEntry(cveId, entry, index);
    const cost = listElementBytes(encoded) + (newAction === undefined ? 0 : listElementBytes(newAction));
    return { encoded, newAction, cost };
  };
  for (const cveId of [...entries.keys()].sort()) {
    const entry = entries.get(cveId) as KevEntry;
    let placed = place(cveId, entry);
    if (chunk.entries.length > 0 && bytes + placed.cost > budgetBytes) {
      chunks.push(chunk);
      chunk = { actions: [], entries: [] };
      actionIndex = new Map();
      bytes = 0;
      placed = place(cveId, entry);
    }
    if (placed.newAction !== undefined) {
      actionIndex.set(placed.newAction, chunk.actions.length);
      chunk.actions.push(placed.newAction);
    }
    chunk.entries.push(placed.encoded);
    bytes += placed.cost;
  }
  if (chunk.entries.length > 0) chunks.push(chunk);
  return chunks;
}

/** The entries of one chunk; entries that cannot be read are counted, not returned. */
export function decodeKevChunk(chunk: KevChunk): { entries: [string, KevEntry][]; skipped: number } {
  const entries: [string, KevEntry][] = [];
  let skipped = 0;
  for (const text of chunk.entries) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      skipped++;
      continue;
    }
    const parsed = chunkEntrySchema.safeParse(json);
    if (!parsed.success) {
      skipped++;
      continue;
    }
    const [cveId, dateAdded, dueDate, ransomware, actionIndex] = parsed.data;
    const entry: KevEntry = { dateAdded };
    if (dueDate !== null) entry.dueDate = dueDate;
    if (ransomware !== null) entry.knownRansomwareCampaignUse = ransomware;
    if (actionIndex !== null) {
      const action = chunk.actions[actionIndex];
      if (action === undefined) {
        skipped++;
        continue;
      }
      entry.requiredAction = action;
    }
    entries.push([cveId, entry]);
  }
  return { entries, skipped };
}

export interface LedgerIntelCacheOptions extends DynamoDbLedgerOptions {
  /** The bytes of entries per KEV chunk item; smaller in tests, to see several chunks. */
  kevChunkBytes?: number;
}

/** The intel cache on the findings ledger table. Reads and writes throw LedgerErrors; the caller decides. */
export class LedgerIntelCache extends LedgerTable implements IntelCache {
  private readonly kevChunkBytes: number;

  constructor(options: LedgerIntelCacheOptions) {
    super(options);
    this.kevChunkBytes = options.kevChunkBytes ?? KEV_CHUNK_BYTES;
  }

  async readKev(): Promise<CachedKevCatalog | undefined> {
    const { items } = await this.queryAll(
      {
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: toItem({ ":pk": KEV_PARTITION }),
      },
      "cached KEV catalog",
    );
    const metaItem = items.find((item) => item.sk === KEV_META_SORT_KEY);
    const meta = this.parsed(metaItem, (item) => parseLedgerItem(kevMetaSchema, item, (valid) => valid));
    if (!meta) return undefined;
    const prefix = kevChunkKey(meta.fetchedAt, 0).sk.slice(0, -3);
    const chunks = new Map<number, KevChunk>();
    for (const item of items) {
      // Chunks of another copy (being written, or left by a write that stopped half way) are not this one's.
      if (typeof item.sk !== "string" || !item.sk.startsWith(prefix)) continue;
      const chunk = this.parsed(item, (raw) => parseLedgerItem(kevChunkSchema, raw, (valid) => valid));
      if (chunk && chunk.fetchedAt === meta.fetchedAt) chunks.set(chunk.index, chunk);
    }
    const missing = Array.from({ length: meta.chunks }, (_, index) => index).filter((i) => !chunks.has(i));
    if (missing.length > 0) {
      this.ignore(metaItem as Record<string, unknown>, `chunks missing: ${missing.join(", ")}`);
      return undefined;
    }
    const entries = new Map<string, KevEntry>();
    let skipped = 0;
    for (let index = 0; index < meta.chunks; index++) {
      const decoded = decodeKevChunk(chunks.get(index) as KevChunk);
      skipped += decoded.skipped;
      for (const [cveId, entry] of decoded.entries) entries.set(cveId, entry);
    }
    if (skipped > 0 || entries.size !== meta.count) {
      this.logger.warn("cached KEV entries left out: unreadable", {
        tableName: this.tableName,
        skipped,
        read: entries.size,
        count: meta.count,
      });
    }
    return {
      catalog: { catalogVersion: meta.catalogVersion, dateReleased: meta.dateReleased, entries },
      fetchedAt: meta.fetchedAt,
    };
  }

  async writeKev(catalog: KevCatalog, fetchedAt: string): Promise<boolean> {
    const subject = "cached KEV catalog";
    // The chunk keys already there (of earlier copies), to delete once this copy is in place.
    const { items: existing } = await this.queryAll(
      {
        KeyConditionExpression: "pk = :pk",
        ProjectionExpression: "pk, sk",
        ExpressionAttributeValues: toItem({ ":pk": KEV_PARTITION }),
      },
      subject,
    );
    const chunks = chunkKevEntries(catalog.entries, this.kevChunkBytes);
    const chunkKeys = chunks.map((_, index) => kevChunkKey(fetchedAt, index));
    await this.batchWrite(
      chunks.map((chunk, index) => ({
        PutRequest: {
          Item: toItem({
            ...chunkKeys[index],
            schema: LEDGER_SCHEMA_VERSION,
            fetchedAt,
            index,
            actions: chunk.actions,
            entries: chunk.entries,
          }),
        },
      })),
      subject,
    );
    // META last: until it names this copy, readers keep reading the previous one, whole.
    const p = new Placeholders();
    const written = await this.conditionalWrite("PutItem", subject, () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({
            ...kevMetaKey(),
            schema: LEDGER_SCHEMA_VERSION,
            catalogVersion: catalog.catalogVersion,
            dateReleased: catalog.dateReleased,
            fetchedAt,
            count: catalog.entries.size,
            chunks: chunks.length,
          }),
          ConditionExpression: notOlderCondition(p, "fetchedAt", fetchedAt),
          ExpressionAttributeNames: p.names,
          ExpressionAttributeValues: p.values,
          ReturnConsumedCapacity: "TOTAL",
        }),
      ),
    );
    const ours = new Set(chunkKeys.map((key) => key.sk));
    const obsolete: ItemKey[] = written
      ? existing
          .map((item) => ({ pk: String(item.pk), sk: String(item.sk) }))
          .filter((key) => key.sk.startsWith(KEV_CHUNK_PREFIX) && !ours.has(key.sk))
      : chunkKeys;
    if (!written) {
      this.logger.debug("a KEV copy fetched later is already cached; this one is dropped", {
        tableName: this.tableName,
        fetchedAt,
      });
    }
    await this.batchWrite(
      obsolete.map((key) => ({ DeleteRequest: { Key: toItem({ ...key }) } })),
      subject,
    );
    return written;
  }

  async readEpss(cveIds: readonly string[]): Promise<Map<string, CachedEpssScore>> {
    const cached = new Map<string, CachedEpssScore>();
    if (cveIds.length === 0) return cached;
    const { items } = await this.batchGet(cveIds.map(epssKey), `EPSS scores of ${cveIds.length} CVE(s)`);
    for (const item of items) {
      const record = this.parsed(item, parseEpssItem);
      if (!record) continue;
      const { cveId, ...score } = record;
      cached.set(cveId, score);
    }
    return cached;
  }

  async writeEpss(
    results: readonly { cveId: string; score?: EpssScore }[],
    fetchedAt: string,
  ): Promise<void> {
    const expiresAt = Math.floor((Date.parse(fetchedAt) + EPSS_RETENTION_MS) / 1000);
    const requests: WriteRequest[] = results.map(({ cveId, score }) => ({
      PutRequest: {
        Item: toItem({
          ...epssKey(cveId),
          schema: LEDGER_SCHEMA_VERSION,
          score: score?.score,
          percentile: score?.percentile,
          date: score?.date,
          fetchedAt,
          expiresAt,
        }),
      },
    }));
    await this.batchWrite(requests, `EPSS scores of ${results.length} CVE(s)`);
  }

  async readKevBaseline(): Promise<StoredKevBaseline> {
    const item = await this.getItem(kevBaselineKey(), "KEV baseline");
    if (!item) return {};
    const raw = item.fetchedAt?.S;
    const baseline = this.parsed(fromItem(item), (record) =>
      parseLedgerItem(kevBaselineSchema, record, (valid) => ({
        catalogVersion: valid.catalogVersion,
        fetchedAt: valid.fetchedAt,
        ids: new Set(valid.ids),
      })),
    );
    return baseline ? { baseline, token: raw } : { token: raw };
  }

  async writeKevBaseline(baseline: KevBaseline, token: string | undefined): Promise<boolean> {
    const attributes: Record<string, WritableValue> = {
      ...kevBaselineKey(),
      schema: LEDGER_SCHEMA_VERSION,
      catalogVersion: baseline.catalogVersion,
      fetchedAt: baseline.fetchedAt,
      comparedAt: this.now().toISOString(),
      ids: [...baseline.ids].sort(),
    };
    const item = toItem(attributes);
    if (itemBytes(item) > MAX_ITEM_BYTES - ITEM_SAFETY_BYTES) {
      // ~25,000 ids: decades of KEV growth away; a feed that big is not the real one.
      this.logger.warn("KEV baseline too large for one ledger item; not recorded", {
        tableName: this.tableName,
        ids: baseline.ids.size,
      });
      return false;
    }
    const p = new Placeholders();
    const fetchedAtName = p.name("fetchedAt");
    const condition =
      token === undefined
        ? `attribute_not_exists(${fetchedAtName})`
        : `${fetchedAtName} = ${p.value("token", token)}`;
    return this.conditionalWrite("PutItem", "KEV baseline", () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeNames: p.names,
          ExpressionAttributeValues: Object.keys(p.values).length > 0 ? p.values : undefined,
          ReturnConsumedCapacity: "TOTAL",
        }),
      ),
    );
  }
}
