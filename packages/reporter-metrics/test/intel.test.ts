import type { ScanReport } from "@ecr-scan-reporter/core";
import {
  escalatedReport,
  exploitAwareReport,
  failedScanReport,
  intelUnavailableReport,
  overThresholdReport,
  sampleDigest,
  testDeps,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { metricsReporter } from "../src/index.js";

// Threat intel in the metrics (issue 16): KevFindings and ExploitableFindings per repository, written only when
// the findings were checked against CISA's KEV catalog; the digest's KEV gauges per route.

const NOW = new Date("2026-11-28T06:15:00Z");
const CTX = { reporterId: "metrics", attempt: 1 };
const FRESH = {
  kev: { state: "fresh", asOf: "2026-11-28T06:00:00.000Z" },
  epss: { state: "fresh", asOf: "2026-11-28T06:00:00.000Z" },
} as const;

interface EmfLine {
  _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

async function linesOf(report: ScanReport, options: Record<string, unknown> = {}) {
  const { deps, lines } = testDeps({ clock: () => NOW });
  const reporter = metricsReporter.create(metricsReporter.optionsSchema.parse(options), deps);
  const outcome = await reporter.report(report, CTX);
  return { outcome, emf: lines.map((line) => JSON.parse(line) as EmfLine) };
}

/** The line that carries `metric`, if any. */
const lineWith = (emf: EmfLine[], metric: string) => emf.find((line) => metric in line);

describe("KevFindings and ExploitableFindings", () => {
  it("are written per repository, as the ScanFailed line, when KEV was checked", async () => {
    const { outcome, emf } = await linesOf(exploitAwareReport());
    expect(outcome).toEqual({ status: "sent", detail: "8 EMF lines in EcrScanReporter" });
    const kev = lineWith(emf, "KevFindings");
    expect(kev).toMatchObject({ Repository: "team-a/api", KevFindings: 2, ExploitableFindings: 2 });
    expect(kev?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([
      { Name: "KevFindings", Unit: "Count" },
      { Name: "ExploitableFindings", Unit: "Count" },
    ]);
    expect(kev?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual(
      lineWith(emf, "ScanFailed")?._aws.CloudWatchMetrics[0]?.Dimensions,
    );
    expect(kev).not.toHaveProperty("Severity");
  });

  it("count exploitable findings as those on KEV or with an exploit Inspector knows", async () => {
    expect(lineWith((await linesOf(escalatedReport())).emf, "KevFindings")).toMatchObject({
      KevFindings: 1,
      ExploitableFindings: 1,
    });
    const [, , plain] = exploitAwareReport().findings;
    if (!plain) throw new Error("the sample has findings without KEV");
    const exploitOnly = exploitAwareReport({ findings: [{ ...plain, exploitAvailable: "YES" }] });
    expect(lineWith((await linesOf(exploitOnly)).emf, "KevFindings")).toMatchObject({
      KevFindings: 0,
      ExploitableFindings: 1,
    });
    expect(
      lineWith((await linesOf({ ...overThresholdReport(), intel: FRESH })).emf, "KevFindings"),
    ).toMatchObject({ KevFindings: 0, ExploitableFindings: 0 });
  });

  it("leave out the Repository dimension with perRepository: false", async () => {
    const kev = lineWith((await linesOf(exploitAwareReport(), { perRepository: false })).emf, "KevFindings");
    expect(kev).not.toHaveProperty("Repository");
    expect(kev?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([["service"]]);
  });

  it("are not written when KEV could not be checked or the scan failed: a gap, not a false 0", async () => {
    for (const report of [
      intelUnavailableReport(),
      overThresholdReport(),
      { ...failedScanReport(), intel: FRESH },
      { ...overThresholdReport(), intel: { kev: { state: "off" }, epss: FRESH.epss } } as ScanReport,
    ]) {
      const { emf } = await linesOf(report);
      expect(emf).toHaveLength(7);
      expect(lineWith(emf, "KevFindings")).toBeUndefined();
      expect(lineWith(emf, "ExploitableFindings")).toBeUndefined();
    }
  });
});

describe("the digest's KEV gauges", () => {
  async function digestLines(digest = sampleDigest()) {
    const { deps, lines } = testDeps({ clock: () => NOW });
    const reporter = metricsReporter.create(metricsReporter.optionsSchema.parse({}), deps);
    await reporter.digest?.(digest, CTX);
    return lines.map((line) => JSON.parse(line) as EmfLine);
  }

  it("are the open and overdue KEV vulnerabilities of the route, a real 0 when none is open", async () => {
    expect(lineWith(await digestLines(), "OpenKevVulnerabilities")).toMatchObject({
      Route: "slack",
      OpenKevVulnerabilities: 2,
      OverdueKevVulnerabilities: 1,
    });
    const none = await digestLines(sampleDigest({ knownExploited: { total: 0, overdue: 0, top: [] } }));
    expect(lineWith(none, "OpenKevVulnerabilities")).toMatchObject({ OpenKevVulnerabilities: 0 });
  });

  it("are not written when the KEV catalog was not read", async () => {
    const emf = await digestLines(sampleDigest({ knownExploited: undefined }));
    expect(lineWith(emf, "OpenKevVulnerabilities")).toBeUndefined();
  });
});
