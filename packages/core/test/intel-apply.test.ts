import { describe, expect, it } from "vitest";
import { compareFindings } from "../src/findings/normalize.js";
import { applyIntel, cveIdsOf, hasFix, urgencyOrder } from "../src/intel/apply.js";
import type { IntelLookup } from "../src/intel/intel.js";
import type { EpssScore, Finding, KevEntry } from "../src/model.js";

// Threat intel on a report's findings: what applyIntel sets, what counts as a fix, and the order of a report.

const LOG4SHELL_KEV: KevEntry = {
  dateAdded: "2021-12-10",
  dueDate: "2021-12-24",
  requiredAction: "Apply updates per vendor instructions.",
  knownRansomwareCampaignUse: "Known",
};

function finding(fields: Partial<Finding> & { id: string }): Finding {
  return { severity: "MEDIUM", title: fields.id, ...fields };
}

function lookup(kev: Record<string, KevEntry> = {}, epss: Record<string, EpssScore> = {}): IntelLookup {
  return {
    kev: new Map(Object.entries(kev)),
    epss: new Map(Object.entries(epss)),
    status: { kev: { state: "fresh", asOf: "2026-11-27" }, epss: { state: "fresh", asOf: "2026-11-27" } },
  };
}

const epssOf = (score: number, date = "2026-11-27"): EpssScore => ({ score, percentile: 0.5, date });

describe("applyIntel", () => {
  it("sets kev and epss by CVE id whatever the case of the finding's id", () => {
    const findings = [finding({ id: "cve-2021-44228" }), finding({ id: "CVE-2023-44487" })];
    const applied = applyIntel(
      findings,
      lookup(
        { "CVE-2021-44228": LOG4SHELL_KEV },
        { "CVE-2021-44228": epssOf(0.94), "CVE-2023-44487": epssOf(0.8) },
      ),
    );
    expect(applied[0]).toEqual({ ...findings[0], kev: LOG4SHELL_KEV, epss: epssOf(0.94) });
    expect(applied[1]).toEqual({ ...findings[1], epss: epssOf(0.8) });
    expect(applied[1]?.kev).toBeUndefined();
  });

  it("leaves the findings it was given unchanged and passes those it knows nothing of as they are", () => {
    const known = finding({ id: "CVE-2021-44228" });
    const unknown = finding({ id: "CVE-2020-0001" });
    const malformed = finding({ id: "GHSA-jfh8-c2jp-5v3q" });
    const applied = applyIntel([known, unknown, malformed], lookup({ "CVE-2021-44228": LOG4SHELL_KEV }));
    expect(known.kev).toBeUndefined();
    expect(applied[0]).not.toBe(known);
    expect(applied[1]).toBe(unknown);
    expect(applied[2]).toBe(malformed);
    expect(applyIntel([known], lookup())).toEqual([known]);
  });

  it("keeps an EPSS score the finding carries only when it is of a later day than FIRST's", () => {
    const first = epssOf(0.4, "2026-11-27");
    const apply = (own: EpssScore | undefined) =>
      applyIntel([finding({ id: "CVE-2024-0001", epss: own })], lookup({}, { "CVE-2024-0001": first }))[0]
        ?.epss;
    expect(apply(undefined)).toEqual(first);
    expect(apply(epssOf(0.9, "2026-11-20"))).toEqual(first);
    expect(apply(epssOf(0.9, "2026-11-27"))).toEqual(first);
    expect(apply(epssOf(0.9, "2026-11-28"))).toEqual(epssOf(0.9, "2026-11-28"));
    // FIRST with nothing to say leaves the finding's own score.
    const own = finding({ id: "CVE-2024-0002", epss: epssOf(0.2) });
    expect(applyIntel([own], lookup({}, { "CVE-2024-0001": first }))[0]).toBe(own);
  });
});

describe("cveIdsOf", () => {
  it("gives each CVE id once, upper case, and passes over ids that are not CVE ids", () => {
    expect(
      cveIdsOf([
        { id: "CVE-2021-44228" },
        { id: "cve-2021-44228" },
        { id: "CVE-2023-4863" },
        { id: "GHSA-jfh8-c2jp-5v3q" },
        { id: "CVE-2021-1" },
        { id: "CVE-2021-44228 " },
        { id: "arn:aws:inspector2:eu-west-1:123456789012:finding/abc" },
      ]),
    ).toEqual(["CVE-2021-44228", "CVE-2023-4863"]);
  });
});

describe("hasFix", () => {
  it("takes Inspector's fixAvailable when given: YES and PARTIAL have a fix, NO has none", () => {
    expect(hasFix({ fixAvailable: "YES" })).toBe(true);
    expect(hasFix({ fixAvailable: "PARTIAL" })).toBe(true);
    expect(hasFix({ fixAvailable: "NO" })).toBe(false);
    // Inspector weighs every package; the first package's fixed-in version does not overrule it.
    expect(hasFix({ fixAvailable: "NO", fixedInVersion: "NotAvailable" })).toBe(false);
  });

  it("otherwise has a fix when a fixed-in version is known", () => {
    expect(hasFix({ fixedInVersion: "1.2.4-0.2+deb12u1" })).toBe(true);
    expect(hasFix({})).toBe(false);
  });
});

describe("urgencyOrder", () => {
  const ids = (findings: Finding[]) => [...findings].sort(urgencyOrder).map((f) => f.id);

  it("puts KEV first, then an exploit available, then EPSS (higher first), then severity and CVSS", () => {
    const findings = [
      finding({ id: "critical", severity: "CRITICAL", cvssScore: 9.8 }),
      finding({ id: "high-epss", severity: "HIGH", epss: epssOf(0.3) }),
      finding({ id: "low-epss-high", severity: "LOW", epss: epssOf(0.9) }),
      finding({ id: "medium-exploit", severity: "MEDIUM", exploitAvailable: "YES" }),
      finding({ id: "low-kev", severity: "LOW", kev: LOG4SHELL_KEV }),
      finding({ id: "critical-kev", severity: "CRITICAL", kev: LOG4SHELL_KEV }),
      finding({ id: "critical-no-exploit", severity: "CRITICAL", cvssScore: 9.9, exploitAvailable: "NO" }),
      finding({ id: "high-epss-zero", severity: "HIGH", epss: epssOf(0) }),
    ];
    expect(ids(findings)).toEqual([
      "critical-kev",
      "low-kev",
      "medium-exploit",
      "low-epss-high",
      "high-epss",
      "high-epss-zero",
      "critical-no-exploit",
      "critical",
    ]);
  });

  it("orders KEV findings among themselves by exploit, EPSS and severity too", () => {
    expect(
      ids([
        finding({ id: "kev-critical", severity: "CRITICAL", kev: LOG4SHELL_KEV }),
        finding({ id: "kev-epss", severity: "LOW", kev: LOG4SHELL_KEV, epss: epssOf(0.5) }),
        finding({ id: "kev-exploit", severity: "LOW", kev: LOG4SHELL_KEV, exploitAvailable: "YES" }),
      ]),
    ).toEqual(["kev-exploit", "kev-epss", "kev-critical"]);
  });

  it("is the severity order when no finding has intel", () => {
    const findings = [
      finding({ id: "CVE-3", severity: "LOW", cvssScore: 3 }),
      finding({ id: "CVE-1", severity: "CRITICAL" }),
      finding({ id: "CVE-2", severity: "HIGH", cvssScore: 7.5, packageName: "zlib" }),
      finding({ id: "CVE-2", severity: "HIGH", cvssScore: 7.5, packageName: "openssl" }),
      finding({ id: "CVE-4", severity: "HIGH", cvssScore: 8.1, exploitAvailable: "NO" }),
    ];
    expect([...findings].sort(urgencyOrder)).toEqual([...findings].sort(compareFindings));
    expect(urgencyOrder(findings[2] as Finding, findings[2] as Finding)).toBe(0);
  });
});
