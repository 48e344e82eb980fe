// The threat-intel line and field of `exposure`, on look-ups made by hand: each state of each source, the due date
// against the clock, and feed text that must not reach a terminal as it came.
import type { IntelLookup } from "@ecr-scan-reporter/core";
import { describe, expect, it } from "vitest";
import { exposureIntelJson, exposureIntelLine, intelIdOf } from "../src/commands/exposure.js";

const ID = "CVE-2023-4911";
const NOW = new Date("2023-12-01T09:00:00.000Z");
const FRESH = { state: "fresh", asOf: "2023-12-01T06:00:00.000Z" } as const;
const KEV = { dateAdded: "2023-11-21", dueDate: "2023-12-12", knownRansomwareCampaignUse: "Unknown" };
const EPSS = { score: 0.7635, percentile: 0.9903, date: "2023-12-01" };

function lookup(overrides: Partial<IntelLookup> = {}): IntelLookup {
  return { kev: new Map(), epss: new Map(), status: { kev: FRESH, epss: FRESH }, ...overrides };
}

describe("exposureIntelLine", () => {
  it("says the KEV entry with its due date as of now, and the EPSS score", () => {
    const found = lookup({ kev: new Map([[ID, KEV]]), epss: new Map([[ID, EPSS]]) });
    expect(exposureIntelLine(ID, found, NOW)).toBe(
      "CVE-2023-4911: on CISA's KEV catalog since 2023-11-21, due 2023-12-12; EPSS 76 % (99th percentile)",
    );
    // The day after the due date, the same entry is overdue.
    expect(exposureIntelLine(ID, found, new Date("2023-12-13T00:00:00.000Z"))).toBe(
      "CVE-2023-4911: on CISA's KEV catalog since 2023-11-21, overdue since 2023-12-12; EPSS 76 % (99th percentile)",
    );
  });

  it("says nothing when both sources are off, and leaves out a source that is off", () => {
    const off = { state: "off" } as const;
    expect(exposureIntelLine(ID, lookup({ status: { kev: off, epss: off } }), NOW)).toBe("");
    expect(
      exposureIntelLine(ID, lookup({ kev: new Map([[ID, KEV]]), status: { kev: FRESH, epss: off } }), NOW),
    ).toBe("CVE-2023-4911: on CISA's KEV catalog since 2023-11-21, due 2023-12-12");
  });

  it("says 'not on' from a stale KEV copy, dated, but no 'no EPSS score' from a stale EPSS answer", () => {
    const stale = { state: "stale", asOf: "2023-11-29T06:00:00.000Z", reason: "HTTP 503" } as const;
    expect(exposureIntelLine(ID, lookup({ status: { kev: stale, epss: stale } }), NOW)).toBe(
      "CVE-2023-4911: not on CISA's KEV catalog; KEV catalog from 2023-11-29 (HTTP 503); EPSS scores from 2023-11-29 (HTTP 503)",
    );
  });

  it("prints a feed's failure reason and dates without control characters", () => {
    const hostile = lookup({
      kev: new Map([[ID, { ...KEV, dateAdded: "2023-11-21\u001b[2J", dueDate: "\u001b]0;x\u0007" }]]),
      status: { kev: FRESH, epss: { state: "unavailable", reason: "bad\u001b[31m\nanswer" } },
    });
    const line = exposureIntelLine(ID, hostile, NOW);
    // Dates that are not YYYY-MM-DD are not shown; the reason is one line of plain text, without the escape.
    expect(line).toBe("CVE-2023-4911: on CISA's KEV catalog; EPSS unavailable: bad[31m answer");
  });
});

describe("exposureIntelJson and intelIdOf", () => {
  it("gives the KEV entry and the EPSS score when there are, and the status always", () => {
    expect(exposureIntelJson(ID, lookup({ kev: new Map([[ID, KEV]]), epss: new Map([[ID, EPSS]]) }))).toEqual(
      {
        kev: KEV,
        epss: EPSS,
        status: { kev: FRESH, epss: FRESH },
      },
    );
    expect(exposureIntelJson(ID, lookup())).toEqual({ status: { kev: FRESH, epss: FRESH } });
  });

  it("looks up CVE ids only, in upper case", () => {
    expect(intelIdOf({ vulnerability: "cve-2021-44228" })).toBe("CVE-2021-44228");
    expect(intelIdOf({ vulnerability: "GHSA-jfh8-c2jp-5v3q" })).toBeUndefined();
    expect(intelIdOf({ vulnerability: undefined })).toBeUndefined();
  });
});
