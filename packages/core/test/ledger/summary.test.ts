import { describe, expect, it } from "vitest";
import { encodeFinding } from "../../src/ledger/compact.js";
import {
  decodeCounts,
  encodeCounts,
  summarizeFindings,
  summaryAttributes,
  summaryOf,
} from "../../src/ledger/summary.js";
import { emptySeverityCounts, type SeverityCounts } from "../../src/model.js";
import { compact } from "./fixtures.js";

const counts = (partial: Partial<SeverityCounts>): SeverityCounts => ({
  ...emptySeverityCounts(),
  ...partial,
});
const T1 = "2026-10-01T08:00:00.000Z";
const T2 = "2026-11-01T08:00:00.000Z";
const T3 = "2026-11-20T08:00:00.000Z";

describe("summarizeFindings", () => {
  it("counts every severity and keeps the CRITICAL and the HIGH first seen earliest, in that order", () => {
    const summary = summarizeFindings([
      compact("CVE-H-NEW", "HIGH", { firstSeen: T3 }),
      compact("CVE-H-OLD", "HIGH", { firstSeen: T1 }),
      compact("CVE-M-OLDEST", "MEDIUM", { firstSeen: "2020-01-01T00:00:00.000Z" }),
      compact("CVE-C-NEW", "CRITICAL", { firstSeen: T3 }),
      compact("CVE-C-OLD", "CRITICAL", { firstSeen: T2 }),
      compact("CVE-L", "LOW"),
      compact("CVE-I", "INFORMATIONAL"),
      compact("CVE-U", "UNDEFINED"),
    ]);
    expect(summary.counts).toEqual({
      CRITICAL: 2,
      HIGH: 2,
      MEDIUM: 1,
      LOW: 1,
      INFORMATIONAL: 1,
      UNDEFINED: 1,
    });
    expect(summary.oldest.map((finding) => finding.id)).toEqual(["CVE-C-OLD", "CVE-H-OLD"]);
  });

  it("prefers any first-seen time to none, and keeps a finding without one when it is the only one", () => {
    const summary = summarizeFindings([
      compact("CVE-C-UNDATED", "CRITICAL"),
      compact("CVE-C-BAD", "CRITICAL", { firstSeen: "yesterday" }),
      compact("CVE-C-DATED", "CRITICAL", { firstSeen: T3 }),
      compact("CVE-H-UNDATED", "HIGH"),
    ]);
    expect(summary.oldest.map((finding) => finding.id)).toEqual(["CVE-C-DATED", "CVE-H-UNDATED"]);
  });

  it("of no findings is all zeros, with no oldest", () => {
    expect(summarizeFindings([])).toEqual({ counts: emptySeverityCounts(), oldest: [] });
    expect(summarizeFindings([compact("CVE-M", "MEDIUM")]).oldest).toEqual([]);
  });
});

describe("counts", () => {
  it("are written C,H,M,L,I,U and read back", () => {
    const value = counts({ CRITICAL: 1, HIGH: 20, MEDIUM: 300, LOW: 0, INFORMATIONAL: 4, UNDEFINED: 5 });
    expect(encodeCounts(value)).toBe("1,20,300,0,4,5");
    expect(decodeCounts(encodeCounts(value))).toEqual(value);
    expect(decodeCounts("0,0,0,0,0,0")).toEqual(emptySeverityCounts());
  });

  it.each([
    ["not a string", 123],
    ["absent", undefined],
    ["five counts", "1,2,3,4,5"],
    ["seven counts", "1,2,3,4,5,6,7"],
    ["a negative count", "1,-2,3,4,5,6"],
    ["a fraction", "1,2.5,3,4,5,6"],
    ["an empty count", "1,,3,4,5,6"],
    ["a space", "1, 2,3,4,5,6"],
    ["a count too large", "1,2,3,4,5,1234567890"],
    ["another separator", "1;2;3;4;5;6"],
  ])("are unreadable with %s", (_why, text) => {
    expect(decodeCounts(text)).toBeUndefined();
  });
});

describe("a summary on the SCAN item", () => {
  it("is written as two attributes and read back", () => {
    const summary = summarizeFindings([
      compact("CVE-1", "CRITICAL", { firstSeen: T1, fixedIn: "3.0.2" }),
      compact("CVE-2|pipe", "HIGH", { firstSeen: T2, package: "pkg\\with|escapes" }),
      compact("CVE-3", "LOW"),
    ]);
    const attributes = summaryAttributes(summary);
    expect(attributes.summaryCounts).toBe("1,1,0,1,0,0");
    expect(attributes.summaryOldest).toHaveLength(2);
    expect(summaryOf(attributes)).toEqual(summary);
  });

  it("is absent when the item has none (written before summaries) or its counts are unreadable", () => {
    expect(summaryOf({})).toBeUndefined();
    expect(summaryOf({ summaryOldest: [encodeFinding(compact("CVE-1", "HIGH"))] })).toBeUndefined();
    expect(summaryOf({ summaryCounts: "1,2,3" })).toBeUndefined();
  });

  it("keeps the readable oldest findings and drops the rest", () => {
    const good = compact("CVE-1", "CRITICAL", { firstSeen: T1 });
    expect(
      summaryOf({ summaryCounts: "1,0,0,0,0,0", summaryOldest: [encodeFinding(good), "not|a|finding", 7] }),
    ).toEqual({ counts: counts({ CRITICAL: 1 }), oldest: [good] });
    expect(summaryOf({ summaryCounts: "0,0,0,0,0,0", summaryOldest: "CVE-1|C||||" })).toEqual({
      counts: emptySeverityCounts(),
      oldest: [],
    });
  });
});
