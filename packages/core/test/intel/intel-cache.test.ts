// The threat-intel cache in the findings ledger, on the sandbox's DynamoDB: the KEV catalog in chunk items under one
// partition (read with one Query, a copy never mixed with another), EPSS scores per CVE with the table's TTL, the
// baseline of KEV comparisons written by one run only; items of another format or malformed are ignored and logged.
import { describe, expect, it } from "vitest";
import {
  chunkKevEntries,
  decodeKevChunk,
  EPSS_RETENTION_MS,
  epssKey,
  KEV_BASELINE_PARTITION,
  KEV_PARTITION,
  kevBaselineKey,
  kevChunkKey,
  kevMetaKey,
} from "../../src/intel/intel-cache.js";
import { type KevCatalog, parseKevCatalog } from "../../src/intel/kev.js";
import type { KevEntry } from "../../src/model.js";
import { kevFixture, useIntelTables } from "./support.js";

const { freshTable } = useIntelTables("intel-cache");

const T1 = "2026-11-29T06:00:00.000Z";
const T2 = "2026-11-30T06:00:00.000Z";

const fixtureCatalog = (): KevCatalog => parseKevCatalog(kevFixture()).catalog;

/** A catalog of `count` entries, each with its own long required action (so that they fill chunks quickly). */
function syntheticCatalog(count: number, version = "2026.11.29"): KevCatalog {
  const entries = new Map<string, KevEntry>();
  for (let i = 0; i < count; i++) {
    entries.set(`CVE-2026-${String(10000 + i)}`, {
      dateAdded: "2026-11-01",
      dueDate: "2026-11-22",
      requiredAction: `Apply updates per vendor instructions (advisory ${i}). ${"x".repeat(200)}`,
      knownRansomwareCampaignUse: i % 2 === 0 ? "Known" : "Unknown",
    });
  }
  return { catalogVersion: version, dateReleased: "2026-11-29T14:00:00.000Z", entries };
}

const sks = (items: Record<string, unknown>[]) => items.map((item) => String(item.sk)).sort();

describe("the cached KEV catalog", () => {
  it("reads back what was written, with when it was fetched, from one chunk today", async () => {
    const { cache, partition } = await freshTable();
    const catalog = fixtureCatalog();
    expect(await cache.readKev()).toBeUndefined();
    expect(await cache.writeKev(catalog, T1)).toBe(true);
    expect(sks(await partition(KEV_PARTITION))).toEqual([kevChunkKey(T1, 0).sk, "META"]);
    expect(await cache.readKev()).toEqual({ catalog, fetchedAt: T1 });
    expect(cache.stats().calls.Query).toBe(3); // one read before, the write's key listing, one read after
  });

  it("keeps each required-action text once per chunk, however many entries share it", () => {
    const chunks = chunkKevEntries(fixtureCatalog().entries);
    expect(chunks).toHaveLength(1);
    // Four entries, three distinct texts ("Apply updates per vendor instructions." twice).
    expect(chunks[0]?.entries).toHaveLength(4);
    expect(chunks[0]?.actions).toHaveLength(3);
    expect(JSON.parse(chunks[0]?.entries[0] as string)).toEqual([
      "CVE-2014-6271",
      "2022-01-28",
      "2022-07-28",
      "Unknown",
      0,
    ]);
  });

  it("spreads a large catalog over several chunk items, each within its budget, and reads it whole", async () => {
    const { cache, partition } = await freshTable({ kevChunkBytes: 4 * 1024 });
    const catalog = syntheticCatalog(60);
    await cache.writeKev(catalog, T1);
    const chunks = (await partition(KEV_PARTITION)).filter((item) => item.sk !== "META");
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    for (const chunk of chunks) {
      const bytes = [...(chunk.entries as string[]), ...(chunk.actions as string[])].reduce(
        (sum, text) => sum + Buffer.byteLength(text) + 1,
        0,
      );
      expect(bytes).toBeLessThanOrEqual(4 * 1024);
    }
    const read = await cache.readKev();
    expect(read?.catalog.entries).toEqual(catalog.entries);
    expect(read?.catalog.entries.size).toBe(60);
  });

  it("deletes the chunks of the previous copy once a new one is in place, a shorter one included", async () => {
    const { cache, partition } = await freshTable({ kevChunkBytes: 4 * 1024 });
    await cache.writeKev(syntheticCatalog(60), T1);
    const shorter = fixtureCatalog();
    expect(await cache.writeKev(shorter, T2)).toBe(true);
    expect(sks(await partition(KEV_PARTITION))).toEqual([kevChunkKey(T2, 0).sk, "META"]);
    expect(await cache.readKev()).toEqual({ catalog: shorter, fetchedAt: T2 });
  });

  it("keeps the later copy when an earlier one is written after it, and drops the earlier one's chunks", async () => {
    const { cache, partition } = await freshTable();
    await cache.writeKev(fixtureCatalog(), T2);
    expect(await cache.writeKev(syntheticCatalog(3), T1)).toBe(false);
    expect(sks(await partition(KEV_PARTITION))).toEqual([kevChunkKey(T2, 0).sk, "META"]);
    expect((await cache.readKev())?.fetchedAt).toBe(T2);
  });

  it("ignores, and logs, a copy whose chunk is missing (a write stopped half way)", async () => {
    const { cache, putRaw, logger } = await freshTable();
    await cache.writeKev(fixtureCatalog(), T1);
    await putRaw({
      ...kevMetaKey(),
      schema: 1,
      catalogVersion: "x",
      dateReleased: "y",
      fetchedAt: T2,
      count: 4,
      chunks: 1,
    });
    expect(await cache.readKev()).toBeUndefined();
    expect(logger.logs).toContainEqual(
      expect.objectContaining({
        message: "ledger item ignored",
        extra: expect.objectContaining({ sk: "META", reason: "chunks missing: 0" }),
      }),
    );
  });

  it("ignores, and logs, a META of another record format", async () => {
    const { cache, putRaw, logger } = await freshTable();
    await cache.writeKev(fixtureCatalog(), T1);
    await putRaw({ ...kevMetaKey(), schema: 2, fetchedAt: T1 });
    expect(await cache.readKev()).toBeUndefined();
    expect(logger.logs).toContainEqual(
      expect.objectContaining({
        extra: expect.objectContaining({ reason: "record format 2, this version reads format 1" }),
      }),
    );
  });

  it("leaves out, and counts, chunk entries that cannot be read", () => {
    const decoded = decodeKevChunk({
      actions: ["Apply updates per vendor instructions."],
      entries: [
        JSON.stringify(["CVE-2014-6271", "2022-01-28", "2022-07-28", "Unknown", 0]),
        JSON.stringify(["CVE-2022-22965", "2022-04-04", null, null, 7]),
        JSON.stringify(["not-a-cve", "2022-04-04", null, null, null]),
        "{not json",
      ],
    });
    expect(decoded.skipped).toBe(3);
    expect(decoded.entries).toEqual([
      [
        "CVE-2014-6271",
        {
          dateAdded: "2022-01-28",
          dueDate: "2022-07-28",
          knownRansomwareCampaignUse: "Unknown",
          requiredAction: "Apply updates per vendor instructions.",
        },
      ],
    ]);
  });
});

describe("cached EPSS scores", () => {
  it("reads back scores and 'no score' per CVE, kept 30 days (the table's TTL)", async () => {
    const { cache, partition } = await freshTable();
    const log4shell = { score: 0.94436, percentile: 0.99997, date: "2026-11-29" };
    await cache.writeEpss([{ cveId: "CVE-2021-44228", score: log4shell }, { cveId: "CVE-2026-99999" }], T1);
    const read = await cache.readEpss(["CVE-2021-44228", "CVE-2026-99999", "CVE-2014-6271"]);
    expect(read).toEqual(
      new Map([
        ["CVE-2021-44228", { score: log4shell, fetchedAt: T1 }],
        ["CVE-2026-99999", { fetchedAt: T1 }],
      ]),
    );
    const [item] = await partition(epssKey("CVE-2021-44228").pk);
    expect(item?.expiresAt).toBe((Date.parse(T1) + EPSS_RETENTION_MS) / 1000);
    expect(cache.stats().calls.BatchGetItem).toBe(1);
  });

  it("ignores, and logs, an item with a score but no percentile, and one of another format", async () => {
    const { cache, putRaw, logger } = await freshTable();
    const expiresAt = Date.parse(T1) / 1000;
    await putRaw({
      ...epssKey("CVE-2021-44228"),
      schema: 1,
      score: 0.9,
      date: "2026-11-29",
      fetchedAt: T1,
      expiresAt,
    });
    await putRaw({ ...epssKey("CVE-2014-6271"), schema: 7, fetchedAt: T1, expiresAt });
    expect(await cache.readEpss(["CVE-2021-44228", "CVE-2014-6271"])).toEqual(new Map());
    const reasons = logger.logs.map((line) => line.extra?.reason);
    expect(reasons).toContainEqual(
      expect.stringMatching(/^malformed: .*score, percentile and date go together/),
    );
    expect(reasons).toContain("record format 7, this version reads format 1");
  });
});

describe("the baseline of KEV comparisons", () => {
  const baseline = (fetchedAt: string, ids: string[]) => ({
    catalogVersion: "2026.11.29",
    fetchedAt,
    ids: new Set(ids),
  });

  it("is written by one run only: the write must find the baseline it read", async () => {
    const { cache } = await freshTable();
    expect(await cache.readKevBaseline()).toEqual({});
    expect(await cache.writeKevBaseline(baseline(T1, ["CVE-2021-44228"]), undefined)).toBe(true);
    // A second run that also read "no baseline" loses.
    expect(await cache.writeKevBaseline(baseline(T1, ["CVE-2021-44228"]), undefined)).toBe(false);
    const stored = await cache.readKevBaseline();
    expect(stored).toEqual({ baseline: baseline(T1, ["CVE-2021-44228"]), token: T1 });
    expect(
      await cache.writeKevBaseline(baseline(T2, ["CVE-2021-44228", "CVE-2023-44487"]), stored.token),
    ).toBe(true);
    // A run that read the T1 baseline after the T2 one replaced it loses.
    expect(await cache.writeKevBaseline(baseline(T2, []), T1)).toBe(false);
    expect((await cache.readKevBaseline()).baseline?.ids).toEqual(
      new Set(["CVE-2021-44228", "CVE-2023-44487"]),
    );
  });

  it("can be replaced when the stored one is unreadable (logged), thanks to its token", async () => {
    const { cache, putRaw, logger } = await freshTable();
    await putRaw({
      ...kevBaselineKey(),
      schema: 1,
      catalogVersion: "x",
      fetchedAt: T1,
      comparedAt: T1,
      ids: "oops",
    });
    const stored = await cache.readKevBaseline();
    expect(stored).toEqual({ token: T1 });
    expect(logger.logs).toContainEqual(
      expect.objectContaining({ extra: expect.objectContaining({ pk: KEV_BASELINE_PARTITION }) }),
    );
    expect(await cache.writeKevBaseline(baseline(T2, ["CVE-2014-6271"]), stored.token)).toBe(true);
  });
});
