import { describe, expect, it } from "vitest";
import { encodeFinding } from "../../src/ledger/compact.js";
import {
  type ChangeLogEntry,
  changeLogPartition,
  changeLogPartitions,
  coverageKey,
  digestStateKey,
  parseChangeLogItem,
  parseCoverageItem,
  parseDigestStateItem,
} from "../../src/ledger/digest-records.js";
import { emptySeverityCounts } from "../../src/model.js";
import { compact } from "./fixtures.js";

const REGISTRY = "123456789012";
const AT = "2026-11-30T10:00:00.000Z";

describe("keys", () => {
  it("put the change log in one partition per UTC day", () => {
    expect(changeLogPartition(new Date(AT))).toBe("CHANGES#2026-11-30");
    // 23:30 at UTC−02:00 is already the next day in UTC.
    expect(changeLogPartition(new Date("2026-11-30T23:30:00-02:00"))).toBe("CHANGES#2026-12-01");
    expect(coverageKey(REGISTRY, "team-a/api")).toEqual({
      pk: `COVERAGE#${REGISTRY}`,
      sk: "REPO#team-a/api",
    });
    expect(digestStateKey("slack#2")).toEqual({ pk: "DIGEST#slack#2", sk: "LAST" });
  });

  it("span every day of a period, across a month's and a year's end", () => {
    expect(changeLogPartitions(new Date("2026-11-29T10:00:00Z"), new Date("2026-12-02T07:00:00Z"))).toEqual([
      "CHANGES#2026-11-29",
      "CHANGES#2026-11-30",
      "CHANGES#2026-12-01",
      "CHANGES#2026-12-02",
    ]);
    expect(changeLogPartitions(new Date("2026-12-31T23:59:59Z"), new Date("2027-01-01T00:00:01Z"))).toEqual([
      "CHANGES#2026-12-31",
      "CHANGES#2027-01-01",
    ]);
  });

  it("include the end's own day when the period ends at 00:00", () => {
    const partitions = changeLogPartitions(
      new Date("2026-11-23T08:00:00Z"),
      new Date("2026-11-30T00:00:00Z"),
    );
    expect(partitions).toHaveLength(8);
    expect(partitions[0]).toBe("CHANGES#2026-11-23");
    expect(partitions.at(-1)).toBe("CHANGES#2026-11-30");
  });

  it("are one day for a period within a day, none for a period that ends before it starts", () => {
    expect(changeLogPartitions(new Date("2026-11-30T00:00:00Z"), new Date("2026-11-30T23:59:59Z"))).toEqual([
      "CHANGES#2026-11-30",
    ]);
    expect(changeLogPartitions(new Date("2026-12-02T00:00:00Z"), new Date("2026-12-01T23:00:00Z"))).toEqual(
      [],
    );
  });
});

describe("change-log items", () => {
  const entry: ChangeLogEntry = {
    at: AT,
    registryId: REGISTRY,
    repository: "team-a/api",
    digest: "sha256:abc",
    references: [`${REGISTRY}/team-a/api:v1`, `${REGISTRY}/team-a/api:latest`],
    newFindings: [compact("CVE-NEW", "CRITICAL", { firstSeen: AT })],
    fixedFindings: [compact("CVE-FIXED", "LOW")],
    raisedFindings: [compact("CVE-RAISED", "HIGH", { fixedIn: "3.0.2" })],
  };
  const item = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    pk: "CHANGES#2026-11-30",
    sk: `${AT}#${REGISTRY}/team-a/api@sha256:abc`,
    schema: 1,
    at: entry.at,
    registryId: entry.registryId,
    repository: entry.repository,
    digest: entry.digest,
    references: entry.references,
    new: entry.newFindings.map(encodeFinding),
    fixed: entry.fixedFindings.map(encodeFinding),
    raised: entry.raisedFindings.map(encodeFinding),
    expiresAt: 1_800_000_000,
    ...overrides,
  });

  it("are read back whole", () => {
    expect(parseChangeLogItem(item())).toEqual({ record: entry });
  });

  it("read absent lists as empty and skip entries that are not compact findings", () => {
    const {
      new: _new,
      fixed: _fixed,
      ...withoutLists
    } = item({ raised: ["garbage", 42, encodeFinding(compact("CVE-R", "HIGH"))] });
    expect(parseChangeLogItem(withoutLists).record).toMatchObject({
      newFindings: [],
      fixedFindings: [],
      raisedFindings: [compact("CVE-R", "HIGH")],
    });
  });

  it.each([
    ["another record format", { schema: 2 }, "record format 2"],
    ["another partition", { pk: "COVERAGE#2026-11-30" }, "pk"],
    ["a time that is not ISO 8601", { at: "30/11/2026" }, "at"],
    ["no repository", { repository: "" }, "repository"],
    ["references that are not a list", { references: "team-a/api:v1" }, "references"],
    ["a list that is not a list", { new: "CVE-1|C||||" }, "new"],
  ])("are rejected with a reason when they have %s", (_why, overrides, reason) => {
    const parsed = parseChangeLogItem(item(overrides));
    expect(parsed.record).toBeUndefined();
    expect(parsed.reason).toContain(reason);
  });
});

describe("coverage items", () => {
  const item = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    pk: `COVERAGE#${REGISTRY}`,
    sk: "REPO#team-a/api",
    schema: 1,
    runId: "run-7",
    at: AT,
    images: 12,
    scanned: 5,
    stale: 1,
    neverScanned: 1,
    unsupported: 1,
    notImages: 1,
    notInUse: 1,
    archived: 1,
    enhanced: 1,
    expiresAt: 1_800_000_000,
    ...overrides,
  });

  it("are read back with the registry and repository from their keys", () => {
    expect(parseCoverageItem(item())).toEqual({
      record: {
        registryId: REGISTRY,
        repository: "team-a/api",
        runId: "run-7",
        at: AT,
        images: 12,
        scanned: 5,
        stale: 1,
        neverScanned: 1,
        unsupported: 1,
        notImages: 1,
        notInUse: 1,
        archived: 1,
        enhanced: 1,
      },
    });
  });

  it.each([
    ["a negative count", { stale: -1 }, "stale"],
    ["a fractional count", { scanned: 1.5 }, "scanned"],
    ["a count as text", { images: "12" }, "images"],
    ["a missing count", { enhanced: undefined }, "enhanced"],
    ["another sort key", { sk: "team-a/api" }, "sk"],
    ["a time that is not ISO 8601", { at: "yesterday" }, "at"],
    ["no schema attribute", { schema: undefined }, "no schema attribute"],
  ])("are rejected with a reason when they have %s", (_why, overrides, reason) => {
    const parsed = parseCoverageItem(item(overrides));
    expect(parsed.record).toBeUndefined();
    expect(parsed.reason).toContain(reason);
  });
});

describe("digest state items", () => {
  const item = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
    pk: "DIGEST#slack#2",
    sk: "LAST",
    schema: 1,
    periodKey: "2026-11-30T08:00Z",
    at: "2026-11-30T08:00:04.000Z",
    counts: "1,2,3,4,5,6",
    ...overrides,
  });

  it("give the last digest and a claim in flight", () => {
    const parsed = parseDigestStateItem(
      item({ claimPeriodKey: "2026-12-07T08:00Z", claimToken: "t", claimExpiresAt: 1_800_000_000 }),
    );
    expect(parsed).toEqual({
      record: {
        reporterId: "slack#2",
        last: {
          periodKey: "2026-11-30T08:00Z",
          at: "2026-11-30T08:00:04.000Z",
          counts: { CRITICAL: 1, HIGH: 2, MEDIUM: 3, LOW: 4, INFORMATIONAL: 5, UNDEFINED: 6 },
        },
        pending: { periodKey: "2026-12-07T08:00Z", expiresAt: 1_800_000_000 },
      },
    });
  });

  it("of a route never sent hold only its claim", () => {
    const parsed = parseDigestStateItem({
      pk: "DIGEST#slack",
      sk: "LAST",
      schema: 1,
      claimPeriodKey: "2026-11-30T08:00Z",
      claimToken: "t",
      claimExpiresAt: 1_800_000_000,
    });
    expect(parsed.record).toEqual({
      reporterId: "slack",
      pending: { periodKey: "2026-11-30T08:00Z", expiresAt: 1_800_000_000 },
    });
    expect(parseDigestStateItem(item({ counts: "0,0,0,0,0,0" })).record?.last?.counts).toEqual(
      emptySeverityCounts(),
    );
  });

  it.each([
    ["a period without its time", { at: undefined }, "periodKey and at go together"],
    ["a time without its period", { periodKey: undefined }, "periodKey and at go together"],
    ["unreadable counts", { counts: "1,2,3" }, "counts"],
    ["no counts", { counts: undefined }, "counts"],
    ["another sort key", { sk: "SENT#slack" }, "sk"],
    ["a claim expiry that is not epoch seconds", { claimExpiresAt: -5 }, "claimExpiresAt"],
    ["another record format", { schema: 0 }, "record format 0"],
  ])("are rejected with a reason when they have %s", (_why, overrides, reason) => {
    const parsed = parseDigestStateItem(item(overrides));
    expect(parsed.record).toBeUndefined();
    expect(parsed.reason).toContain(reason);
  });
});
