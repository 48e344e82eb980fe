import { describe, expect, it, vi } from "vitest";
import * as z from "zod";
import { encodeFinding } from "../../src/ledger/compact.js";
import {
  imageFindingsKey,
  imageKey,
  imageName,
  lastReportKey,
  parseImageFindingsItem,
  parseImageItem,
  parseLastReportItem,
  parseLedgerItem,
  parseSentItem,
  referenceName,
  referencesOf,
  scanKeyOf,
  sentKey,
} from "../../src/ledger/records.js";
import { compact } from "./fixtures.js";

const IMAGE = { registryId: "123456789012", repository: "team-a/api", digest: "sha256:abc" };
const T1 = "2026-11-23T10:00:00.000Z";
const T2 = "2026-11-30T10:00:00.000Z";

describe("keys", () => {
  it("names images by digest and references by tag, or by digest when untagged", () => {
    expect(imageKey(IMAGE)).toEqual({ pk: "IMAGE#123456789012/team-a/api@sha256:abc", sk: "SCAN" });
    expect(imageFindingsKey(IMAGE)).toEqual({
      pk: "IMAGE#123456789012/team-a/api@sha256:abc",
      sk: "FINDINGS",
    });
    expect(lastReportKey({ ...IMAGE, tag: "v1" })).toEqual({
      pk: "REF#123456789012/team-a/api:v1",
      sk: "LAST",
    });
    expect(lastReportKey(IMAGE)).toEqual({ pk: "REF#123456789012/team-a/api@sha256:abc", sk: "LAST" });
    expect(sentKey({ ...IMAGE, tag: "v1" }, "slack#2")).toEqual({
      pk: "REF#123456789012/team-a/api:v1",
      sk: "SENT#slack#2",
    });
    expect(imageName(IMAGE)).toBe("123456789012/team-a/api@sha256:abc");
    expect(referenceName({ ...IMAGE, tag: "latest" })).toBe("123456789012/team-a/api:latest");
  });

  it("gives one reference per distinct tag, or the digest when untagged", () => {
    expect(referencesOf({ ...IMAGE, tags: ["v1", "latest", "v1"] }).map(referenceName)).toEqual([
      "123456789012/team-a/api:v1",
      "123456789012/team-a/api:latest",
    ]);
    expect(referencesOf({ ...IMAGE, tags: [] })).toEqual([IMAGE]);
  });

  it("identifies a scan completion by digest and time, whatever the time's spelling", () => {
    expect(scanKeyOf("sha256:abc", "2026-11-23T10:00:00Z")).toBe(`sha256:abc#${T1}`);
    expect(scanKeyOf("sha256:abc", T1)).toBe(scanKeyOf("sha256:abc", "2026-11-23T11:00:00+01:00"));
    expect(scanKeyOf("sha256:abc", T1)).not.toBe(scanKeyOf("sha256:abc", T2));
  });
});

const imageItem = (overrides: Record<string, unknown> = {}) => ({
  ...imageKey(IMAGE),
  schema: 1,
  status: "COMPLETE",
  completedAt: T1,
  updatedAt: T2,
  ...overrides,
});

describe("parseImageItem", () => {
  it("reads a valid item", () => {
    expect(
      parseImageItem(imageItem({ description: "The scan was completed successfully.", expiresAt: 1 })),
    ).toEqual({
      record: {
        status: "COMPLETE",
        completedAt: T1,
        description: "The scan was completed successfully.",
        updatedAt: T2,
        expiresAt: 1,
      },
    });
  });

  it("ignores an item of another record format, and says which", () => {
    const parsed = parseImageItem(imageItem({ schema: 2 }));
    expect(parsed.record).toBeUndefined();
    expect(parsed.reason).toMatch(/format 2.*reads format 1/);
  });

  it("ignores an item without a schema attribute", () => {
    const { schema: _schema, ...item } = imageItem();
    expect(parseImageItem(item)).toEqual({ record: undefined, reason: expect.stringMatching(/no schema/) });
  });

  it.each([
    ["completedAt", { completedAt: "last tuesday" }],
    ["status", { status: 7 }],
    ["updatedAt", { updatedAt: undefined }],
    ["sk", { sk: "LAST" }],
    ["expiresAt", { expiresAt: "soon" }],
  ])("ignores a malformed item and names the bad attribute (%s)", (attribute, overrides) => {
    const parsed = parseImageItem(imageItem(overrides));
    expect(parsed.record).toBeUndefined();
    expect(parsed.reason).toContain(attribute);
  });
});

describe("parseImageFindingsItem", () => {
  const item = (overrides: Record<string, unknown> = {}) => ({
    ...imageFindingsKey(IMAGE),
    schema: 1,
    findingsAt: T1,
    updatedAt: T2,
    findings: [encodeFinding(compact("CVE-1", "HIGH", { firstSeen: T1 })), "not|a|finding"],
    ...overrides,
  });

  it("decodes the findings, counting the entries it cannot read", () => {
    expect(parseImageFindingsItem(item({ truncated: true }))).toEqual({
      record: {
        findingsAt: T1,
        findings: [compact("CVE-1", "HIGH", { firstSeen: T1 })],
        truncated: true,
        skippedFindings: 1,
        updatedAt: T2,
      },
    });
  });

  it("rejects findings stored as a set instead of a list", () => {
    expect(parseImageFindingsItem(item({ findings: new Set(["a"]) })).reason).toContain("findings");
  });
});

describe("parseLastReportItem", () => {
  const item = (overrides: Record<string, unknown> = {}) => ({
    ...lastReportKey({ ...IMAGE, tag: "v1" }),
    schema: 1,
    digest: "sha256:abc",
    scanCompletedAt: T1,
    findings: [encodeFinding(compact("CVE-1", "CRITICAL"))],
    over: true,
    reportedAt: T2,
    ...overrides,
  });

  it("reads a valid item, not truncated unless it says so", () => {
    expect(parseLastReportItem(item()).record).toEqual({
      digest: "sha256:abc",
      scanCompletedAt: T1,
      findings: [compact("CVE-1", "CRITICAL")],
      truncated: false,
      skippedFindings: 0,
      over: true,
      reportedAt: T2,
    });
  });

  it("ignores an item without its verdict", () => {
    expect(parseLastReportItem(item({ over: undefined })).reason).toContain("over");
  });
});

describe("parseSentItem", () => {
  const key = sentKey({ ...IMAGE, tag: "v1" }, "slack");
  const sent = { scanKey: `sha256:abc#${T1}`, over: true, at: T2 };
  const claim = { claimScanKey: `sha256:abc#${T2}`, claimToken: "t", claimExpiresAt: 1_800_000_000 };

  it("reads what was sent, the claim in flight, and the reporter's name", () => {
    expect(parseSentItem({ ...key, schema: 1, ...sent, failed: true, ...claim }).record).toEqual({
      reporter: "slack",
      sent: { scanKey: sent.scanKey, over: true, failed: true, at: T2 },
      pending: { scanKey: claim.claimScanKey, expiresAt: claim.claimExpiresAt },
    });
  });

  it("reads the KEV ids the send showed, and none when the item has none", () => {
    const kev = ["CVE-2021-44228"];
    expect(parseSentItem({ ...key, schema: 1, ...sent, kev }).record?.sent).toEqual({
      scanKey: sent.scanKey,
      over: true,
      failed: false,
      at: T2,
      kev,
    });
    expect(parseSentItem({ ...key, schema: 1, ...sent }).record?.sent).not.toHaveProperty("kev");
    expect(parseSentItem({ ...key, schema: 1, ...sent, kev: "CVE-2021-44228" }).reason).toMatch(
      /malformed: kev/,
    );
  });

  it("reads an item with only a claim (nothing sent yet), or only a send", () => {
    expect(parseSentItem({ ...key, schema: 1, ...claim }).record).toEqual({
      reporter: "slack",
      pending: { scanKey: claim.claimScanKey, expiresAt: claim.claimExpiresAt },
    });
    expect(parseSentItem({ ...key, schema: 1, ...sent }).record?.sent?.failed).toBe(false);
  });

  it("ignores a half-written send or claim", () => {
    expect(parseSentItem({ ...key, schema: 1, scanKey: sent.scanKey }).reason).toMatch(/go together/);
    expect(parseSentItem({ ...key, schema: 1, claimToken: "t" }).reason).toMatch(/go together/);
  });
});

describe("parseLedgerItem: every kind of ledger item is read the same way", () => {
  const schema = z.object({ pk: z.string(), size: z.number() });
  const sizeOf = (valid: { size: number }) => (valid.size > 10 ? "size: over 10" : { size: valid.size });

  it("converts a valid item of this record format", () => {
    expect(parseLedgerItem(schema, { pk: "X", size: 3, schema: 1 }, sizeOf)).toEqual({ record: { size: 3 } });
  });

  it("reads as malformed what the converter rejects, with its reason", () => {
    expect(parseLedgerItem(schema, { pk: "X", size: 11, schema: 1 }, sizeOf)).toEqual({
      record: undefined,
      reason: "malformed: size: over 10",
    });
  });

  it.each([
    [
      "another record format",
      { pk: "X", size: 3, schema: 2 },
      "record format 2, this version reads format 1",
    ],
    [
      "no schema attribute",
      { pk: "X", size: 3 },
      "no schema attribute: not an item of this product's ledger",
    ],
    ["an item the schema rejects", { pk: "X", size: "3", schema: 1 }, "malformed: size: "],
  ])("ignores %s without converting it", (_why, item, reason) => {
    const convert = vi.fn(sizeOf);
    const parsed = parseLedgerItem(schema, item, convert);
    expect(parsed.record).toBeUndefined();
    expect(parsed.reason).toContain(reason);
    expect(convert).not.toHaveBeenCalled();
  });
});
