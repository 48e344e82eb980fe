import type { ReportChanges, ScanReport } from "@ecr-scan-reporter/core";
import { exploitAwareReport, testDeps } from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { metricsReporter } from "../src/index.js";

// A KEV escalation (CISA's KEV catalog gained a CVE an image in use already has; docs/architecture.md, "KEV
// escalations") reaches the metrics reporter like a report, since it receives every report. It reports the same
// scan again, so it must not count the image's findings a second time: it writes one KevEscalations line only.

const NOW = new Date("2026-11-28T06:15:00Z");
const CTX = { reporterId: "metrics", attempt: 1 };

interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
  };
  [key: string]: unknown;
}

/** The changes the report path sets on an escalation: nothing new or fixed, `nowKnownExploited` named. */
function changes(nowKnownExploited: ScanReport["findings"] | undefined): ReportChanges {
  return {
    firstReport: false,
    previousScanAt: "2026-11-23T06:00:00.000Z",
    newFindings: [],
    fixedFindings: [],
    severityRaised: [],
    ...(nowKnownExploited && { nowKnownExploited }),
  };
}

/** An escalation of the exploit-aware sample: its two KEV findings (Log4Shell, Rapid Reset) now known exploited. */
function escalation(): ScanReport {
  const report = exploitAwareReport();
  return { ...report, changes: changes(report.findings.filter((finding) => finding.kev)) };
}

async function run(report: ScanReport, options: Record<string, unknown> = {}) {
  const { deps, lines } = testDeps({ clock: () => NOW });
  const reporter = metricsReporter.create(metricsReporter.optionsSchema.parse(options), deps);
  const outcome = await reporter.report(report, CTX);
  return { outcome, emf: lines.map((line) => JSON.parse(line) as EmfLine) };
}

/** The metric names of a line. */
const metricsOf = (line: EmfLine | undefined) => line?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name);

describe("a KEV escalation in the metrics", () => {
  it("writes one KevEscalations line per repository with the findings now known exploited, and nothing else", async () => {
    const { outcome, emf } = await run(escalation());
    expect(emf).toHaveLength(1);
    const [line] = emf;
    expect(metricsOf(line)).toEqual(["KevEscalations"]);
    expect(line).toMatchObject({ Repository: "team-a/api", KevEscalations: 2, service: "ecr-scan-reporter" });
    expect(line?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([["service", "Repository"]]);
    expect(line?._aws.Timestamp).toBe(NOW.getTime());
    expect(outcome).toEqual({
      status: "sent",
      detail: "KEV escalation: KevEscalations in EcrScanReporter; the findings were counted with the scan",
    });
  });

  it("leaves the scan's series alone: the image's findings are counted once, with its scan", async () => {
    const scan = await run(exploitAwareReport({ changes: changes(undefined) }));
    const escalated = await run(escalation());
    const written = [...scan.emf, ...escalated.emf];
    expect(written.filter((line) => "Findings" in line)).toHaveLength(6);
    expect(written.filter((line) => "KevFindings" in line)).toHaveLength(1);
    expect(written.filter((line) => "ScanFailed" in line)).toHaveLength(1);
    expect(written.filter((line) => "KevEscalations" in line)).toHaveLength(1);
    expect(scan.emf.some((line) => "KevEscalations" in line)).toBe(false);
  });

  it("follows perRepository: false, as the other metrics do", async () => {
    const { emf } = await run(escalation(), { perRepository: false, namespace: "Security" });
    expect(emf[0]).not.toHaveProperty("Repository");
    expect(emf[0]?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: "Security",
      Dimensions: [["service"]],
    });
    expect(emf[0]).toMatchObject({ KevEscalations: 2 });
  });

  it("writes nothing, and says why, when none of the escalated findings is one this entry counts", async () => {
    // An onlyFixable entry gets the escalated findings that have a fix: none here.
    const { outcome, emf } = await run({ ...exploitAwareReport(), changes: changes([]) });
    expect(emf).toEqual([]);
    expect(outcome).toEqual({
      status: "skipped",
      detail: "KEV escalation of findings this entry does not count (onlyFixable: none has a fix)",
    });
  });

  it("previews the same single line", () => {
    const [file] =
      metricsReporter.preview?.(escalation(), metricsReporter.optionsSchema.parse({}), {
        clock: () => NOW,
        templates: { override: () => undefined },
      }) ?? [];
    const lines = file?.content.split("\n").filter(Boolean) ?? [];
    expect(file?.name).toBe("metrics.emf.jsonl");
    expect(lines.map((line) => metricsOf(JSON.parse(line) as EmfLine))).toEqual([["KevEscalations"]]);
    expect(file?.content.endsWith("}\n")).toBe(true);
  });
});
