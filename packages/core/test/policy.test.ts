import { describe, expect, it } from "vitest";
import { configSchema, type IgnoreEntry } from "../src/config/schema.js";
import { countBySeverity } from "../src/findings/normalize.js";
import { buildFailureReport, buildScanReport, type ReportSubject } from "../src/findings/report.js";
import {
  emptySeverityCounts,
  type Finding,
  type KevEntry,
  type Severity,
  type SeverityCounts,
} from "../src/model.js";
import {
  applyIgnoreList,
  decideVerdict,
  defaultReportPolicy,
  type EscalatePolicy,
  evaluateThresholds,
  isIgnoreEntryActive,
  reportForEntry,
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

const KEV: KevEntry = {
  dateAdded: "2023-10-10",
  dueDate: "2023-10-31",
  knownRansomwareCampaignUse: "Unknown",
};
const epss = (score: number) => ({ score, percentile: 0.9, date: "2026-11-27" });

describe("decideVerdict: escalations", () => {
  const thresholds = { CRITICAL: 0, HIGH: 0 };
  const escalate = (overrides: Partial<EscalatePolicy> = {}): EscalatePolicy => ({
    kev: true,
    exploitAvailable: false,
    epssAbove: null,
    ...overrides,
  });
  const verdictOf = (findings: Finding[], policy: EscalatePolicy = escalate()) =>
    decideVerdict(
      { status: "COMPLETE", counts: countBySeverity(findings), ignoredFindings: 0, findings },
      { thresholds, notifyOnScanFailure: true, escalate: policy },
    );

  it("makes a report due when a MEDIUM finding is on KEV, within thresholds of CRITICAL and HIGH 0", () => {
    const findings = [
      { ...finding("CVE-2023-44487", "MEDIUM"), packageName: "golang.org/x/net", kev: KEV },
      finding("CVE-2024-0001", "MEDIUM"),
    ];
    expect(verdictOf(findings)).toEqual({
      due: true,
      reason: "escalated",
      escalations: [{ id: "CVE-2023-44487", packageName: "golang.org/x/net", why: ["kev"] }],
      exceeded: [],
      highestSeverity: "MEDIUM",
      ignoredFindings: 0,
    });
    expect(verdictOf(findings, escalate({ kev: false }))).toMatchObject({
      due: false,
      reason: "within-thresholds",
    });
    expect(verdictOf(findings, escalate({ kev: false })).escalations).toBeUndefined();
  });

  it("escalates a finding whose EPSS is above epssAbove, not one below it or at it", () => {
    const likely = { ...finding("CVE-2024-0009", "LOW"), epss: epss(0.9) };
    const unlikely = { ...finding("CVE-2024-0001", "LOW"), epss: epss(0.1) };
    const atTheLimit = { ...finding("CVE-2024-0005", "LOW"), epss: epss(0.5) };
    const policy = escalate({ epssAbove: 0.5 });
    expect(verdictOf([likely, unlikely, atTheLimit], policy)).toMatchObject({
      due: true,
      reason: "escalated",
      escalations: [{ id: "CVE-2024-0009", why: ["epss"] }],
    });
    expect(verdictOf([unlikely, atTheLimit], policy)).toMatchObject({
      due: false,
      reason: "within-thresholds",
    });
    // epssAbove null (the default): EPSS never escalates.
    expect(verdictOf([likely]).due).toBe(false);
  });

  it("escalates an enhanced finding with an exploit available only when exploitAvailable is true", () => {
    const exploitable: Finding = { ...finding("CVE-2023-4863", "MEDIUM"), exploitAvailable: "YES" };
    const notExploitable: Finding = { ...finding("CVE-2023-4864", "MEDIUM"), exploitAvailable: "NO" };
    expect(verdictOf([exploitable, notExploitable], escalate({ exploitAvailable: true }))).toMatchObject({
      due: true,
      reason: "escalated",
      escalations: [{ id: "CVE-2023-4863", why: ["exploit-available"] }],
    });
    expect(verdictOf([exploitable], escalate({ exploitAvailable: false })).due).toBe(false);
  });

  it("names every rule a finding matched, and lists the escalations of a report over the thresholds", () => {
    const everything: Finding = {
      ...finding("CVE-2021-44228", "CRITICAL"),
      kev: KEV,
      exploitAvailable: "YES",
      epss: epss(0.94),
    };
    expect(verdictOf([everything], escalate({ exploitAvailable: true, epssAbove: 0.5 }))).toMatchObject({
      due: true,
      reason: "over-threshold",
      exceeded: ["CRITICAL"],
      escalations: [{ id: "CVE-2021-44228", why: ["kev", "exploit-available", "epss"] }],
    });
  });

  it("never escalates a failed scan, nor without an escalate policy or findings", () => {
    const onKev = [{ ...finding("CVE-2023-44487", "MEDIUM"), kev: KEV }];
    const failed = decideVerdict(
      { status: "FAILED", counts: emptySeverityCounts(), ignoredFindings: 0, findings: onKev },
      { thresholds, notifyOnScanFailure: false, escalate: escalate() },
    );
    expect(failed).toEqual({
      due: false,
      reason: "scan-failed-not-notified",
      exceeded: [],
      highestSeverity: undefined,
      ignoredFindings: 0,
    });
    const counts = countBySeverity(onKev);
    expect(
      decideVerdict(
        { status: "COMPLETE", counts, ignoredFindings: 0, findings: onKev },
        { thresholds, notifyOnScanFailure: true },
      ).due,
    ).toBe(false);
    expect(
      decideVerdict(
        { status: "COMPLETE", counts, ignoredFindings: 0 },
        { thresholds, notifyOnScanFailure: true, escalate: escalate() },
      ).due,
    ).toBe(false);
  });

  it("never escalates an ignored finding: the report builder judges the findings the ignore list kept", () => {
    const subject: ReportSubject = {
      account: "123456789012",
      region: "eu-west-1",
      registryId: "123456789012",
      repository: "team-a/web-app",
      digest: `sha256:${"d".repeat(64)}`,
      tags: [],
      scanType: "BASIC",
    };
    const onKev: Finding = { ...finding("CVE-2023-44487", "MEDIUM"), kev: KEV };
    const build = (ignore: object[]) =>
      buildScanReport(
        {
          ...subject,
          policy: configSchema.parse({ thresholds, ignore }),
          fetched: { status: "COMPLETE", findings: [onKev, finding("CVE-2024-0001", "LOW")] },
        },
        NOW,
      ).report.verdict;
    expect(build([])).toMatchObject({ due: true, reason: "escalated" });
    expect(build([{ id: "cve-2023-44487", reason: "not reachable in this image" }])).toEqual({
      due: false,
      reason: "within-thresholds",
      exceeded: [],
      highestSeverity: "LOW",
      ignoredFindings: 1,
    });
  });

  it("escalates on KEV by default (the configuration's defaults)", () => {
    expect(defaultReportPolicy().escalate).toEqual({ kev: true, exploitAvailable: false, epssAbove: null });
  });
});

describe("reportForEntry (onlyFixable)", () => {
  const fixed: Finding = {
    ...finding("CVE-2024-0001", "HIGH"),
    packageName: "openssl",
    fixedInVersion: "3.0.13",
  };
  const partial: Finding = {
    ...finding("CVE-2024-0002", "LOW"),
    packageName: "zlib",
    fixAvailable: "PARTIAL",
  };
  const noFix: Finding = {
    ...finding("CVE-2023-44487", "MEDIUM"),
    packageName: "golang.org/x/net",
    kev: KEV,
  };
  const inspectorSaysNo: Finding = { ...finding("CVE-2024-0003", "CRITICAL"), fixAvailable: "NO" };

  function report(findings: Finding[]) {
    return scanReport({
      findings,
      counts: countBySeverity(findings),
      verdict: {
        reason: "over-threshold",
        exceeded: ["CRITICAL"],
        highestSeverity: "CRITICAL",
        escalations: [
          { id: "CVE-2023-44487", packageName: "golang.org/x/net", why: ["kev"] },
          { id: "CVE-2024-0001", packageName: "openssl", why: ["epss"] },
        ],
      },
      changes: {
        firstReport: false,
        newFindings: [fixed, noFix],
        fixedFindings: [{ id: "CVE-2020-0001", severity: "HIGH" }],
        severityRaised: [{ finding: inspectorSaysNo, from: "HIGH" }],
        nowKnownExploited: [noFix],
      },
    });
  }

  it("gives an onlyFixable entry the findings with a fix, counts, escalations and changes narrowed to them", () => {
    const whole = report([inspectorSaysNo, fixed, noFix, partial]);
    const forEntry = reportForEntry(whole, { onlyFixable: true });
    expect(forEntry?.findings).toEqual([fixed, partial]);
    expect(forEntry?.counts).toEqual(countsOf({ HIGH: 1, LOW: 1 }));
    expect(forEntry?.verdict).toEqual({
      ...whole.verdict,
      escalations: [{ id: "CVE-2024-0001", packageName: "openssl", why: ["epss"] }],
    });
    expect(forEntry?.changes).toEqual({
      firstReport: false,
      newFindings: [fixed],
      fixedFindings: [{ id: "CVE-2020-0001", severity: "HIGH" }],
      severityRaised: [],
      nowKnownExploited: [],
    });
    // The report every other entry receives is untouched.
    expect(whole.findings).toHaveLength(4);
    expect(whole.verdict.escalations).toHaveLength(2);
  });

  it("leaves the escalations out when none of them is left, keeping the image's verdict", () => {
    const whole = report([noFix, fixed]);
    whole.verdict.escalations = [{ id: noFix.id, packageName: noFix.packageName, why: ["kev"] }];
    const forEntry = reportForEntry(whole, { onlyFixable: true });
    expect(forEntry?.findings).toEqual([fixed]);
    expect(forEntry?.verdict).toEqual({
      due: true,
      reason: "over-threshold",
      exceeded: ["CRITICAL"],
      highestSeverity: "CRITICAL",
      ignoredFindings: 0,
    });
  });

  it("routes nothing to an onlyFixable entry when no finding has a fix", () => {
    expect(reportForEntry(report([noFix, inspectorSaysNo]), { onlyFixable: true })).toBeUndefined();
  });

  it("passes the same report to other entries, and a failed, clean or wholly fixable report to any", () => {
    const whole = report([noFix, fixed]);
    expect(reportForEntry(whole, {})).toBe(whole);
    expect(reportForEntry(whole, { onlyFixable: false })).toBe(whole);
    const clean = scanReport({ findings: [], counts: emptySeverityCounts() });
    expect(reportForEntry(clean, { onlyFixable: true })).toBe(clean);
    const failed = scanReport({ status: "FAILED", findings: [], counts: emptySeverityCounts() });
    expect(reportForEntry(failed, { onlyFixable: true })).toBe(failed);
    const fixable = report([fixed, partial]);
    expect(reportForEntry(fixable, { onlyFixable: true })).toBe(fixable);
  });
});
