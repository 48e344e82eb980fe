// The digests' side of the ledger on the sandbox's DynamoDB: the change log read a day partition at a time, the
// latest run's coverage, and one claim per route and period.
import { describe, expect, it } from "vitest";
import { periodStartOf } from "../../src/digest/build.js";
import { encodeFinding } from "../../src/ledger/compact.js";
import {
  type ChangeLogEntry,
  changeLogPartition,
  coverageKey,
  digestStateKey,
  type RepositoryCoverage,
} from "../../src/ledger/digest-records.js";
import { CLAIM_TIMEOUT_MS } from "../../src/ledger/dynamodb-ledger.js";
import { emptySeverityCounts, type SeverityCounts } from "../../src/model.js";
import { useDigestTables } from "../support/digest-tables.js";
import { compact } from "./fixtures.js";

const START = "2026-11-30T08:00:00.000Z";
const { freshTable } = useDigestTables("digest-ledger", START);

const REGISTRY = "123456789012";
const PERIOD = "2026-11-30T08:00Z";
const NEXT_PERIOD = "2026-12-07T08:00Z";
const counts = (partial: Partial<SeverityCounts>): SeverityCounts => ({
  ...emptySeverityCounts(),
  ...partial,
});

function entry(at: string, overrides: Partial<ChangeLogEntry> = {}): ChangeLogEntry {
  return {
    at,
    registryId: REGISTRY,
    repository: "team-a/api",
    digest: "sha256:aaa",
    references: [`${REGISTRY}/team-a/api:v1`],
    newFindings: [compact("CVE-NEW", "HIGH", { firstSeen: "2026-11-29T10:00:00.000Z" })],
    fixedFindings: [compact("CVE-FIXED", "LOW")],
    raisedFindings: [],
    ...overrides,
  };
}

function coverage(repository: string, overrides: Partial<RepositoryCoverage> = {}): RepositoryCoverage {
  return {
    registryId: REGISTRY,
    repository,
    runId: "run-1",
    at: "2026-11-30T02:00:00.000Z",
    images: 9,
    scanned: 1,
    stale: 1,
    neverScanned: 1,
    unsupported: 1,
    notImages: 1,
    notInUse: 1,
    archived: 1,
    enhanced: 1,
    ...overrides,
  };
}

describe("the change log", () => {
  it("gives back what was recorded, once for the same scan completion recorded twice", async () => {
    const { ledger, digestLedger, partition } = await freshTable();
    const recorded = entry("2026-11-29T10:00:00.000Z", {
      raisedFindings: [compact("CVE-RAISED", "CRITICAL", { fixedIn: "3.0.2" })],
    });
    await ledger.recordChanges(recorded);
    // A redelivery (or a targeted retry) of the same report: the same time spelled another way, the same item.
    await ledger.recordChanges({ ...recorded, at: "2026-11-29T11:00:00+01:00" });
    expect(await partition(changeLogPartition(new Date(recorded.at)))).toHaveLength(1);
    expect(await digestLedger.changesBetween(new Date("2026-11-23T08:00:00Z"), new Date(START))).toEqual({
      entries: [recorded],
      ignored: 0,
    });
  });

  it("keeps the expiry of each day's items 90 days after the report", async () => {
    const { ledger, partition } = await freshTable();
    await ledger.recordChanges(entry("2026-11-29T10:00:00.000Z"));
    const [item] = await partition("CHANGES#2026-11-29");
    expect(item?.expiresAt).toBe(Date.parse("2026-11-29T10:00:00Z") / 1000 + 90 * 86_400);
  });

  it("is read a day partition at a time, within the period's bounds", async () => {
    const { ledger, digestLedger } = await freshTable();
    const times = [
      "2026-11-28T23:00:00.000Z", // before the period, in a day not read
      "2026-11-29T08:59:59.999Z", // before the period, in its first day
      "2026-11-29T09:00:00.000Z", // at its start
      "2026-11-29T23:59:59.999Z",
      "2026-11-30T00:00:00.000Z",
      "2026-11-30T08:00:00.000Z", // at its end
      "2026-11-30T08:00:00.001Z", // after it, in its last day
      "2026-12-01T01:00:00.000Z", // after it, in a day not read
    ];
    for (const [i, at] of times.entries()) {
      await ledger.recordChanges(entry(at, { digest: `sha256:${i}` }));
    }
    const before = digestLedger.stats().calls.Query ?? 0;
    const { entries, ignored } = await digestLedger.changesBetween(
      new Date("2026-11-29T09:00:00.000Z"),
      new Date("2026-11-30T08:00:00.000Z"),
    );
    expect(ignored).toBe(0);
    expect(entries.map((e) => e.at)).toEqual(times.slice(2, 6));
    expect((digestLedger.stats().calls.Query ?? 0) - before).toBe(2);
  });

  it("keeps the most severe new findings that fit in one item when there are too many", async () => {
    const { ledger, digestLedger, logger } = await freshTable();
    const long = (severity: "CRITICAL" | "LOW", i: number) =>
      compact(`CVE-2026-${i}`, severity, { package: `org.example.${"very-long-name.".repeat(8)}${i}` });
    const newFindings = [
      ...Array.from({ length: 3000 }, (_, i) => long("LOW", i)),
      ...Array.from({ length: 50 }, (_, i) => long("CRITICAL", 10_000 + i)),
    ];
    await ledger.recordChanges(entry("2026-11-29T10:00:00.000Z", { newFindings }));
    const { entries } = await digestLedger.changesBetween(new Date("2026-11-29T00:00:00Z"), new Date(START));
    const stored = entries[0]?.newFindings ?? [];
    expect(stored.length).toBeLessThan(newFindings.length);
    expect(stored.slice(0, 50).every((f) => f.severity === "CRITICAL")).toBe(true);
    expect(logger.logs).toContainEqual(
      expect.objectContaining({ level: "warn", extra: expect.objectContaining({ total: 3050 }) }),
    );
  });

  it("skips an unreadable item, counting and logging it, and reads the rest", async () => {
    const { ledger, digestLedger, logger, putRaw } = await freshTable();
    await ledger.recordChanges(entry("2026-11-29T10:00:00.000Z"));
    await putRaw({
      pk: "CHANGES#2026-11-29",
      sk: "2026-11-29T11:00:00.000Z#bad",
      schema: 1,
      at: "yesterday",
      registryId: REGISTRY,
      repository: "team-a/api",
      digest: "sha256:bad",
      references: [],
      new: [encodeFinding(compact("CVE-1", "HIGH"))],
    });
    const { entries, ignored } = await digestLedger.changesBetween(
      new Date("2026-11-29T00:00:00Z"),
      new Date(START),
    );
    expect(entries.map((e) => e.digest)).toEqual(["sha256:aaa"]);
    expect(ignored).toBe(1);
    expect(logger.logs).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: "ledger item ignored",
        extra: expect.objectContaining({ sk: "2026-11-29T11:00:00.000Z#bad" }),
      }),
    );
  });
});

describe("coverage", () => {
  it("gives the latest run of every repository of the registries asked for", async () => {
    const { ledger, digestLedger } = await freshTable();
    await ledger.recordCoverage(coverage("team-a/api", { runId: "run-1", images: 9 }));
    await ledger.recordCoverage(coverage("team-a/worker"));
    await ledger.recordCoverage(
      coverage("team-a/api", { runId: "run-2", at: "2026-11-30T03:00:00+01:00", images: 10 }),
    );
    await ledger.recordCoverage(coverage("other", { registryId: "210987654321" }));

    const read = await digestLedger.coverage([REGISTRY, REGISTRY]);
    expect(read.map((c) => c.repository).sort()).toEqual(["team-a/api", "team-a/worker"]);
    expect(read.find((c) => c.repository === "team-a/api")).toEqual(
      coverage("team-a/api", { runId: "run-2", at: "2026-11-30T02:00:00.000Z", images: 10 }),
    );
    expect(digestLedger.stats().calls.Query).toBe(1);
    expect((await digestLedger.coverage(["210987654321"])).map((c) => c.repository)).toEqual(["other"]);
    expect(await digestLedger.coverage(["999999999999"])).toEqual([]);
  });

  it("keeps a repository's coverage 30 days after its last run", async () => {
    const { ledger, partition } = await freshTable();
    await ledger.recordCoverage(coverage("team-a/api"));
    const [item] = await partition(coverageKey(REGISTRY, "team-a/api").pk);
    expect(item?.expiresAt).toBe(Date.parse("2026-11-30T02:00:00Z") / 1000 + 30 * 86_400);
  });

  it("skips an unreadable item and logs it", async () => {
    const { ledger, digestLedger, logger, putRaw } = await freshTable();
    await ledger.recordCoverage(coverage("team-a/api"));
    await putRaw({
      ...coverageKey(REGISTRY, "team-a/bad"),
      schema: 1,
      runId: "r",
      at: "2026-11-30T02:00:00.000Z",
      images: -1,
    });
    expect((await digestLedger.coverage([REGISTRY])).map((c) => c.repository)).toEqual(["team-a/api"]);
    expect(logger.logs).toContainEqual(
      expect.objectContaining({
        message: "ledger item ignored",
        extra: expect.objectContaining({ sk: "REPO#team-a/bad" }),
      }),
    );
  });
});

describe("digest claims", () => {
  it("send one digest per route and period: claimed, completed, then already sent", async () => {
    const { digestLedger, clock } = await freshTable();
    const first = await digestLedger.claimDigest("slack", PERIOD);
    if (first.outcome !== "claimed") throw new Error(`expected a claim, got ${first.outcome}`);
    expect(first.claim).toMatchObject({ reporterId: "slack", periodKey: PERIOD });
    clock.now = new Date("2026-11-30T08:00:04.000Z");
    await digestLedger.completeDigest(first.claim, counts({ CRITICAL: 2, LOW: 1 }));

    expect(await digestLedger.claimDigest("slack", PERIOD)).toEqual({ outcome: "already-sent" });
    // Long after, a late redelivery of the same schedule is still already sent.
    clock.now = new Date(clock.now.getTime() + 10 * CLAIM_TIMEOUT_MS);
    expect(await digestLedger.claimDigest("slack", PERIOD)).toEqual({ outcome: "already-sent" });
    // Another route, or the next period, is another digest.
    expect((await digestLedger.claimDigest("slack#2", PERIOD)).outcome).toBe("claimed");
    expect((await digestLedger.claimDigest("slack", NEXT_PERIOD)).outcome).toBe("claimed");

    const states = await digestLedger.digestStates(["slack", "slack#2", "email"]);
    expect(states.get("slack")?.last).toEqual({
      periodKey: PERIOD,
      at: "2026-11-30T08:00:04.000Z",
      counts: counts({ CRITICAL: 2, LOW: 1 }),
    });
    expect(states.get("slack")?.pending?.periodKey).toBe(NEXT_PERIOD);
    expect(states.get("slack#2")).toEqual({
      reporterId: "slack#2",
      pending: { periodKey: PERIOD, expiresAt: expect.any(Number) },
    });
    expect(states.has("email")).toBe(false);
  });

  it("start the next period where the sent digest's period ended, not when its send completed", async () => {
    const { digestLedger, clock } = await freshTable();
    const scheduled = new Date(START);
    const claimed = await digestLedger.claimDigest("slack", PERIOD);
    if (claimed.outcome !== "claimed") throw new Error("expected a claim");
    // Lambda's retry sends the failed route's digest three minutes after the schedule.
    clock.now = new Date(scheduled.getTime() + 3 * 60_000);
    await digestLedger.completeDigest(claimed.claim, counts({ HIGH: 1 }), scheduled);
    const state = (await digestLedger.digestStates(["slack"])).get("slack");
    expect(state?.last?.at).toBe(START);
    const nextSchedule = new Date(scheduled.getTime() + 7 * 86_400_000);
    expect(periodStartOf(state, nextSchedule).toISOString()).toBe(START);
  });

  it("answer a live claim with in-flight, and let exactly one of two concurrent claims win", async () => {
    const { digestLedger } = await freshTable();
    const outcomes = await Promise.all([
      digestLedger.claimDigest("slack", PERIOD),
      digestLedger.claimDigest("slack", PERIOD),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(["claimed", "in-flight"]);
    expect(await digestLedger.claimDigest("slack", PERIOD)).toEqual({ outcome: "in-flight" });
  });

  it("let an abandoned claim be claimed again once it has expired, not before", async () => {
    const { digestLedger, clock } = await freshTable();
    const abandoned = await digestLedger.claimDigest("slack", PERIOD);
    expect(abandoned.outcome).toBe("claimed");
    clock.now = new Date(clock.now.getTime() + CLAIM_TIMEOUT_MS - 60_000);
    expect((await digestLedger.claimDigest("slack", PERIOD)).outcome).toBe("in-flight");
    clock.now = new Date(clock.now.getTime() + 2 * 60_000);
    const taken = await digestLedger.claimDigest("slack", PERIOD);
    expect(taken.outcome).toBe("claimed");
    if (abandoned.outcome !== "claimed" || taken.outcome !== "claimed") return;
    expect(taken.claim.token).not.toBe(abandoned.claim.token);
  });

  it("let a retry claim a released claim", async () => {
    const { digestLedger } = await freshTable();
    const failed = await digestLedger.claimDigest("slack", PERIOD);
    if (failed.outcome !== "claimed") throw new Error("expected a claim");
    await digestLedger.releaseDigest(failed.claim);
    expect((await digestLedger.digestStates(["slack"])).get("slack")?.pending).toBeUndefined();
    expect((await digestLedger.claimDigest("slack", PERIOD)).outcome).toBe("claimed");
  });

  it("do not let a release or a completion of an expired claim undo the claim that took it over", async () => {
    const { digestLedger, clock, logger } = await freshTable();
    const slow = await digestLedger.claimDigest("slack", PERIOD);
    clock.now = new Date(clock.now.getTime() + CLAIM_TIMEOUT_MS + 60_000);
    const taker = await digestLedger.claimDigest("slack", PERIOD);
    if (slow.outcome !== "claimed" || taker.outcome !== "claimed") throw new Error("expected two claims");

    await digestLedger.releaseDigest(slow.claim);
    expect(await digestLedger.claimDigest("slack", PERIOD)).toEqual({ outcome: "in-flight" });
    await digestLedger.completeDigest(slow.claim, counts({ HIGH: 1 }));
    expect(logger.logs).toContainEqual(
      expect.objectContaining({ level: "warn", message: expect.stringContaining("expired") }),
    );
    expect((await digestLedger.digestStates(["slack"])).get("slack")?.last).toBeUndefined();

    await digestLedger.completeDigest(taker.claim, counts({ HIGH: 2 }));
    expect(await digestLedger.claimDigest("slack", PERIOD)).toEqual({ outcome: "already-sent" });
    expect((await digestLedger.digestStates(["slack"])).get("slack")?.last?.counts).toEqual(
      counts({ HIGH: 2 }),
    );
  });

  it("read no state when asked for no route", async () => {
    const { digestLedger } = await freshTable();
    expect(await digestLedger.digestStates([])).toEqual(new Map());
    expect(digestLedger.stats().calls).toEqual({});
  });

  it("ignore an unreadable state item, logging it, and read the others", async () => {
    const { digestLedger, logger, putRaw } = await freshTable();
    const sent = await digestLedger.claimDigest("slack", PERIOD);
    if (sent.outcome === "claimed") await digestLedger.completeDigest(sent.claim, counts({}));
    await putRaw({ ...digestStateKey("email"), schema: 1, periodKey: PERIOD, at: START, counts: "lots" });
    const states = await digestLedger.digestStates(["slack", "email"]);
    expect([...states.keys()]).toEqual(["slack"]);
    expect(logger.logs).toContainEqual(
      expect.objectContaining({
        message: "ledger item ignored",
        extra: expect.objectContaining({ pk: "DIGEST#email" }),
      }),
    );
  });
});
