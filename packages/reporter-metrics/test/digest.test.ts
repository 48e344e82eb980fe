import { type Digest, REPORTER_CONTRACT_VERSION, SEVERITIES } from "@ecr-scan-reporter/core";
import {
  allClearDigest,
  emptyLedgerDigest,
  hostileDigest,
  sampleDigest,
  testDeps,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { dimensionValue, metricsReporter } from "../src/index.js";

const NOW = new Date("2026-11-30T08:00:05.000Z");
const CTX = { reporterId: "metrics", attempt: 1 };
const ROUTE = { reporterId: "metrics", repositories: "^team-a/" };

/** The parts of an EMF line these tests read. */
interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

async function digestLines(digest: Digest, options: Record<string, unknown> = {}) {
  const { deps, lines } = testDeps({ clock: () => NOW });
  const reporter = metricsReporter.create(metricsReporter.optionsSchema.parse(options), deps);
  if (!reporter.digest) throw new Error("the metrics reporter has no digest()");
  const outcome = await reporter.digest(digest, CTX);
  // Each line is one JSON document, as CloudWatch Logs reads EMF.
  for (const line of lines) expect(line).not.toContain("\n");
  return { outcome, emf: lines.map((line) => JSON.parse(line) as EmfLine) };
}

/** Every metric of the lines as `name|dim=value,...` → value: what CloudWatch would extract. */
function extracted(emf: EmfLine[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const line of emf) {
    for (const directive of line._aws.CloudWatchMetrics) {
      for (const dimensionSet of directive.Dimensions) {
        // EMF: every dimension a directive names is a top-level string member of the document.
        for (const dimension of dimensionSet) expect(typeof line[dimension]).toBe("string");
        const dims = dimensionSet
          .filter((d) => d !== "service")
          .sort()
          .map((d) => `${d}=${line[d]}`)
          .join(",");
        for (const metric of directive.Metrics) {
          expect(metric.Unit).toBe("Count");
          expect(typeof line[metric.Name]).toBe("number");
          out.set(`${metric.Name}|${dims}`, line[metric.Name]);
        }
      }
    }
  }
  return out;
}

describe("metrics digest", () => {
  it("declares contract v2", () => {
    expect(metricsReporter.contractVersion).toBe(REPORTER_CONTRACT_VERSION);
  });

  it("writes the route's gauges: OpenFindings per severity, images in use and over thresholds, KEV, coverage", async () => {
    const { outcome, emf } = await digestLines(sampleDigest({ route: ROUTE }));
    expect(outcome).toEqual({ status: "sent", detail: "9 EMF digest lines in EcrScanReporter" });
    for (const line of emf) {
      expect(line._aws.Timestamp).toBe(NOW.getTime());
      expect(line._aws.CloudWatchMetrics[0]?.Namespace).toBe("EcrScanReporter");
      expect(line.Route).toBe("metrics");
      // Within EMF's 30 dimensions per set (Powertools adds `service`).
      expect(line._aws.CloudWatchMetrics[0]?.Dimensions[0]?.length).toBeLessThanOrEqual(30);
    }
    expect(Object.fromEntries(extracted(emf))).toEqual({
      "OpenFindings|Route=metrics,Severity=CRITICAL": 2,
      "OpenFindings|Route=metrics,Severity=HIGH": 9,
      "OpenFindings|Route=metrics,Severity=MEDIUM": 31,
      "OpenFindings|Route=metrics,Severity=LOW": 12,
      "OpenFindings|Route=metrics,Severity=INFORMATIONAL": 1,
      "OpenFindings|Route=metrics,Severity=UNDEFINED": 0,
      "ImagesInUse|Route=metrics": 14,
      "ImagesOverThresholds|Route=metrics": 3,
      "OpenKevVulnerabilities|Route=metrics": 2,
      "OverdueKevVulnerabilities|Route=metrics": 1,
      "ImagesNeverScanned|Route=metrics": 1,
      "ImagesStale|Route=metrics": 1,
    });
    // The per-severity lines carry no route-level gauge, and the other way round.
    expect(emf.filter((line) => "Severity" in line).map((line) => line.Severity)).toEqual([...SEVERITIES]);
    expect(emf.filter((line) => "Severity" in line).every((line) => !("ImagesInUse" in line))).toBe(true);
  });

  it("keeps two routes apart by their Route dimension", async () => {
    const first = extracted((await digestLines(sampleDigest({ route: { reporterId: "metrics" } }))).emf);
    const second = extracted(
      (await digestLines(allClearDigest({ route: { reporterId: "metrics#2", minSeverity: "HIGH" } }))).emf,
    );
    const keys = [...first.keys(), ...second.keys()];
    expect(new Set(keys).size).toBe(keys.length);
    expect(second.get("OpenFindings|Route=metrics#2,Severity=HIGH")).toBe(0);
    expect(first.get("OpenFindings|Route=metrics,Severity=HIGH")).toBe(9);
  });

  it("writes only the severities the route counts, all 0 for an all-clear digest", async () => {
    const { emf } = await digestLines(
      allClearDigest({ route: { reporterId: "metrics", minSeverity: "HIGH" } }),
    );
    const values = extracted(emf);
    expect([...values.keys()].filter((k) => k.startsWith("OpenFindings"))).toEqual([
      "OpenFindings|Route=metrics,Severity=CRITICAL",
      "OpenFindings|Route=metrics,Severity=HIGH",
    ]);
    expect(values.get("OpenFindings|Route=metrics,Severity=CRITICAL")).toBe(0);
    expect(values.get("ImagesInUse|Route=metrics")).toBe(5);
    expect(values.get("ImagesOverThresholds|Route=metrics")).toBe(0);
  });

  it("writes no findings gauge for an empty ledger (a 0 would read as all clear), only the known coverage", async () => {
    const none = await digestLines(emptyLedgerDigest({ route: ROUTE }));
    expect(none.emf).toEqual([]);
    expect(none.outcome.status).toBe("skipped");
    const withCoverage = emptyLedgerDigest({ route: ROUTE, coverage: sampleDigest().coverage });
    const { outcome, emf } = await digestLines(withCoverage);
    expect(outcome).toEqual({ status: "sent", detail: "1 EMF digest lines in EcrScanReporter" });
    expect(Object.fromEntries(extracted(emf))).toEqual({
      "ImagesNeverScanned|Route=metrics": 1,
      "ImagesStale|Route=metrics": 1,
    });
  });

  it("uses the namespace of its options, and previews the lines it would write", async () => {
    const { emf } = await digestLines(sampleDigest(), { namespace: "Acme/Ecr" });
    expect(new Set(emf.map((line) => line._aws.CloudWatchMetrics[0]?.Namespace))).toEqual(
      new Set(["Acme/Ecr"]),
    );
    const options = metricsReporter.optionsSchema.parse({});
    const files = metricsReporter.previewDigest?.(sampleDigest(), options, {
      templates: { override: () => undefined },
      clock: () => NOW,
    });
    expect(files?.map((f) => f.name)).toEqual(["metrics-digest.emf.jsonl"]);
    const previewed = (files?.[0]?.content ?? "").trimEnd().split("\n");
    expect(previewed).toHaveLength(9);
    expect(previewed.map((line) => JSON.parse(line))).toEqual((await digestLines(sampleDigest())).emf);
  });

  it("makes any route id a valid dimension value: printable ASCII, 1-255 characters", () => {
    expect(dimensionValue("metrics#2")).toBe("metrics#2");
    expect(dimensionValue("équipe\r\n\u0000x")).toBe("quipex");
    expect(dimensionValue("\u00e9\t")).toBe("unknown");
    expect(dimensionValue("r".repeat(2000))).toHaveLength(255);
    const hostile = hostileDigest();
    expect(dimensionValue(hostile.route.reporterId)).toMatch(/^[\x20-\x7E]{1,255}$/);
  });
});
