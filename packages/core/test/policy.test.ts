import { describe, expect, it } from "vitest";
import { configSchema, type IgnoreEntry } from "../src/config/schema.js";
import { buildFailureReport, type ReportSubject } from "../src/findings/report.js";
import { emptySeverityCounts, type Finding, type Severity, type SeverityCounts } from "../src/model.js";
import {
  applyIgnoreList,
  decideVerdict,
  defaultReportPolicy,
  evaluateThresholds,
  isIgnoreEntryActive,
  routeReport,
} from "../src/policy/policy.js";
import { countsOf, scanReport } from "../src/testing/index.js";

const NOW = new Date("2026-03-15T12:00:00.000Z");

function finding(id: string, severity: Severity = "HIGH"): Finding {
  return { id, severity, title: id };
}

function ignoreEntry(entry: Partial<IgnoreEntry> & { id: string }): IgnoreEntry {
  return { reason: "accepted risk", ...entry };
}

describe("evaluateThresholds", () => {
  it("does not trigger when a count equals its threshold", () => {
    expect(evaluateThresholds(countsOf({ HIGH: 3 }), { HIGH: 3 })).toEqual([]);
  });

  it("triggers when a count is one over its threshold", () => {
    expect(evaluateThresholds(countsOf({ HIGH: 4 }), { HIGH: 3 })).toEqual(["HIGH"]);
  });

  it("never triggers on a null (or absent) threshold, whatever the count", () => {
    expect(evaluateThresholds(countsOf({ MEDIUM: 10_000, LOW: 5 }), { MEDIUM: null })).toEqual([]);
  });

  it("triggers on a single finding when the threshold is 0", () => {
    expect(evaluateThresholds(countsOf({ CRITICAL: 1 }), { CRITICAL: 0 })).toEqual(["CRITICAL"]);
  });

  it("lists every exceeded severity, most severe first, with the default thresholds", () => {
    const { thresholds } = defaultReportPolicy();
    expect(evaluateThresholds(countsOf({ CRITICAL: 1, HIGH: 2, MEDIUM: 50 }), thresholds)).toEqual([
      "CRITICAL",
      "HIGH",
    ]);
  });
});

describe("applyIgnoreList", () => {
  const findings = [
    finding("CVE-2023-4863"),
    finding("CVE-2024-3094", "CRITICAL"),
    finding("GHSA-h5c8-rqwp-cp95"),
  ];

  it("removes findings whose id an entry names, case-insensitively", () => {
    const outcome = applyIgnoreList(
      findings,
      "team-a/web-app",
      [ignoreEntry({ id: "cve-2024-3094" }), ignoreEntry({ id: "ghsa-H5C8-RQWP-CP95" })],
      NOW,
    );
    expect(outcome.kept.map((f) => f.id)).toEqual(["CVE-2023-4863"]);
    expect(outcome.ignored).toBe(2);
    expect(outcome.expiredEntries).toEqual([]);
  });

  it("applies an entry scoped to a repository only in repositories that match", () => {
    const ignore = [ignoreEntry({ id: "CVE-2023-4863", repositories: /^legacy\// })];
    const elsewhere = applyIgnoreList(findings, "team-a/web-app", ignore, NOW);
    expect(elsewhere.kept).toHaveLength(3);
    expect(elsewhere.ignored).toBe(0);
    expect(elsewhere.expiredEntries).toEqual([]);

    const inScope = applyIgnoreList(findings, "legacy/billing", ignore, NOW);
    expect(inScope.kept.map((f) => f.id)).toEqual(["CVE-2024-3094", "GHSA-h5c8-rqwp-cp95"]);
    expect(inScope.ignored).toBe(1);
  });

  it("gives the same answer every time for a regex built with the g flag", () => {
    const ignore = [ignoreEntry({ id: "CVE-2023-4863", repositories: /legacy/g })];
    const first = applyIgnoreList(findings, "legacy/billing", ignore, NOW);
    const second = applyIgnoreList(findings, "legacy/billing", ignore, NOW);
    expect([first.ignored, second.ignored]).toEqual([1, 1]);
  });

  it("stops applying an expired entry and returns it so the caller warns", () => {
    const expired = ignoreEntry({ id: "CVE-2023-4863", until: "2026-03-14" });
    const outcome = applyIgnoreList(findings, "team-a/web-app", [expired], NOW);
    expect(outcome.kept).toHaveLength(3);
    expect(outcome.ignored).toBe(0);
    expect(outcome.expiredEntries).toEqual([expired]);
  });

  it("keeps applying an entry through the last second of its `until` day (UTC)", () => {
    const today = ignoreEntry({ id: "CVE-2023-4863", until: "2026-03-15" });
    const lastMoment = applyIgnoreList(
      findings,
      "team-a/web-app",
      [today],
      new Date("2026-03-15T23:59:59.999Z"),
    );
    expect(lastMoment.ignored).toBe(1);
    expect(lastMoment.expiredEntries).toEqual([]);

    const nextDay = applyIgnoreList(
      findings,
      "team-a/web-app",
      [today],
      new Date("2026-03-16T00:00:00.000Z"),
    );
    expect(nextDay.ignored).toBe(0);
    expect(nextDay.expiredEntries).toEqual([today]);
  });

  it("does not report an expired entry when an active one still removes the finding, nor one matching nothing", () => {
    const expired = ignoreEntry({ id: "CVE-2023-4863", until: "2025-12-31" });
    const active = ignoreEntry({ id: "CVE-2023-4863", until: "2026-12-31" });
    const unrelated = ignoreEntry({ id: "CVE-1999-0001", until: "2020-01-01" });
    const outcome = applyIgnoreList(findings, "team-a/web-app", [expired, active, unrelated], NOW);
    expect(outcome.ignored).toBe(1);
    expect(outcome.expiredEntries).toEqual([]);
  });

  it("matches an entry whose id has stray spaces around it", () => {
    const outcome = applyIgnoreList(
      findings,
      "team-a/web-app",
      [ignoreEntry({ id: " CVE-2024-3094\t" })],
      NOW,
    );
    expect(outcome.kept.map((f) => f.id)).toEqual(["CVE-2023-4863", "GHSA-h5c8-rqwp-cp95"]);
    expect(outcome.ignored).toBe(1);
  });

  it("weighs every entry of an id, whatever their order: an active one wins, expired ones are all named", () => {
    const active = ignoreEntry({ id: "CVE-2023-4863", until: "2026-12-31" });
    const expired = ignoreEntry({ id: "cve-2023-4863", until: "2025-12-31" });
    const alsoExpired = ignoreEntry({ id: "CVE-2023-4863", until: "2026-01-31", reason: "second thoughts" });
    expect(applyIgnoreList(findings, "team-a/web-app", [active, expired], NOW).ignored).toBe(1);

    const outcome = applyIgnoreList(findings, "team-a/web-app", [expired, alsoExpired], NOW);
    expect(outcome.ignored).toBe(0);
    expect(outcome.expiredEntries).toEqual([expired, alsoExpired]);
  });

  it("keeps every finding, as a copy, when no entry is in scope", () => {
    const outcome = applyIgnoreList(findings, "team-a/web-app", [], NOW);
    expect(outcome).toEqual({ kept: findings, ignored: 0, expiredEntries: [] });
    expect(outcome.kept).not.toBe(findings);
  });

  it("reads the `until` dates of a parsed configuration", () => {
    const { ignore } = configSchema.parse({
      ignore: [{ id: "CVE-2023-4863", until: "2026-03-15", reason: "patched upstream next week" }],
    });
    const [entry] = ignore;
    if (!entry) throw new Error("no entry parsed");
    expect(isIgnoreEntryActive(entry, new Date("2026-03-15T23:00:00Z"))).toBe(true);
    expect(isIgnoreEntryActive(entry, new Date("2026-03-16T00:00:01Z"))).toBe(false);
    expect(isIgnoreEntryActive({}, new Date("2100-01-01T00:00:00Z"))).toBe(true);
  });
});

describe("decideVerdict", () => {
  const thresholds = { CRITICAL: 0, HIGH: 0, MEDIUM: null, LOW: null };

  it("is due when a count exceeds its threshold, naming the highest severity", () => {
    expect(
      decideVerdict(
        { status: "COMPLETE", counts: countsOf({ HIGH: 1, LOW: 4 }), ignoredFindings: 2 },
        { thresholds, notifyOnScanFailure: true },
      ),
    ).toEqual({
      due: true,
      reason: "over-threshold",
      exceeded: ["HIGH"],
      highestSeverity: "HIGH",
      ignoredFindings: 2,
    });
  });

  it("is not due within thresholds, still naming the highest severity present", () => {
    expect(
      decideVerdict(
        { status: "COMPLETE", counts: countsOf({ MEDIUM: 7, INFORMATIONAL: 1 }), ignoredFindings: 0 },
        { thresholds, notifyOnScanFailure: true },
      ),
    ).toEqual({
      due: false,
      reason: "within-thresholds",
      exceeded: [],
      highestSeverity: "MEDIUM",
      ignoredFindings: 0,
    });
  });

  it("has no highest severity for a clean scan", () => {
    const verdict = decideVerdict(
      { status: "COMPLETE", counts: emptySeverityCounts(), ignoredFindings: 0 },
      { thresholds, notifyOnScanFailure: true },
    );
    expect(verdict.highestSeverity).toBeUndefined();
    expect(verdict.due).toBe(false);
  });

  it("makes a FAILED scan due when notifyOnScanFailure is true", () => {
    const verdict = decideVerdict(
      { status: "FAILED", counts: emptySeverityCounts(), ignoredFindings: 0 },
      { thresholds, notifyOnScanFailure: true },
    );
    expect(verdict).toMatchObject({ due: true, reason: "scan-failed", exceeded: [] });
  });

  it("keeps a FAILED scan quiet when notifyOnScanFailure is false", () => {
    const verdict = decideVerdict(
      { status: "FAILED", counts: emptySeverityCounts(), ignoredFindings: 0 },
      { thresholds, notifyOnScanFailure: false },
    );
    expect(verdict).toMatchObject({ due: false, reason: "scan-failed-not-notified", exceeded: [] });
  });

  it("follows notifyOnScanFailure, true by default, in a failure report", () => {
    const subject: ReportSubject = {
      account: "123456789012",
      region: "eu-west-1",
      registryId: "123456789012",
      repository: "team-a/web-app",
      digest: "sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6",
      tags: [],
      scanType: "BASIC",
    };
    expect(buildFailureReport(subject).verdict.due).toBe(true);
    expect(buildFailureReport({ ...subject, policy: { notifyOnScanFailure: false } }).verdict.due).toBe(
      false,
    );
  });
});

describe("routeReport", () => {
  function report(repository: string, counts: Partial<SeverityCounts>, status = "COMPLETE") {
    return scanReport({ repository, status, counts: countsOf(counts) });
  }

  it("sends everything to an entry without rules", () => {
    expect(routeReport(report("team-b/api", {}), {})).toBe(true);
  });

  it("sends only reports of matching repositories to an entry with `repositories`", () => {
    const rule = { repositories: /^team-a\// };
    expect(routeReport(report("team-a/web-app", { LOW: 1 }), rule)).toBe(true);
    expect(routeReport(report("team-b/web-app", { CRITICAL: 3 }), rule)).toBe(false);
  });

  it("sends only reports with a finding at or above `minSeverity`", () => {
    const rule = { minSeverity: "HIGH" as const };
    expect(routeReport(report("team-a/web-app", { HIGH: 1 }), rule)).toBe(true);
    expect(routeReport(report("team-a/web-app", { CRITICAL: 1 }), rule)).toBe(true);
    expect(routeReport(report("team-a/web-app", { MEDIUM: 40, LOW: 3 }), rule)).toBe(false);
    expect(routeReport(report("team-a/web-app", {}), rule)).toBe(false);
  });

  it("requires both rules when an entry has both", () => {
    const rule = { repositories: /^team-a\//, minSeverity: "HIGH" as const };
    expect(routeReport(report("team-a/web-app", { CRITICAL: 1 }), rule)).toBe(true);
    expect(routeReport(report("team-a/web-app", { MEDIUM: 1 }), rule)).toBe(false);
    expect(routeReport(report("team-b/web-app", { CRITICAL: 1 }), rule)).toBe(false);
  });

  it("lets a failure report through `minSeverity`, but not through a non-matching `repositories`", () => {
    expect(routeReport(report("team-a/web-app", {}, "FAILED"), { minSeverity: "CRITICAL" })).toBe(true);
    expect(routeReport(report("team-b/web-app", {}, "FAILED"), { repositories: /^team-a\// })).toBe(false);
  });
});
