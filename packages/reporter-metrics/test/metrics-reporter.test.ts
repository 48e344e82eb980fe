import {
  dispatchReport,
  loadReporters,
  parseConfig,
  reporterPluginProblem,
  SEVERITIES,
} from "@ecr-scan-reporter/core";
import {
  countsOf,
  failedReport,
  recordingLogger,
  scanReport,
  testDeps,
  withinThresholdsReport,
} from "@ecr-scan-reporter/core/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { metricsReporter } from "../src/index.js";

const NOW = new Date("2026-03-15T12:34:56.789Z");
const CTX = { reporterId: "metrics", attempt: 1 };

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

function createMetrics(namespace = "EcrScanReporter") {
  // The EMF timestamp is the reporter's clock, the one deps injects.
  const { deps, lines } = testDeps({ clock: () => NOW });
  const reporter = metricsReporter.create(metricsReporter.optionsSchema.parse({ namespace }), deps);
  return { reporter, lines, parsed: () => lines.map((line) => JSON.parse(line) as EmfLine) };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe("metricsReporter", () => {
  it("receives every report, due or not, and is a valid plugin of the current contract", () => {
    expect(metricsReporter.name).toBe("metrics");
    expect(metricsReporter.receives).toBe("all");
    expect(reporterPluginProblem(metricsReporter)).toBeUndefined();
  });

  it("writes seven CloudWatch EMF lines per report: Findings per severity, then ScanFailed", async () => {
    const { reporter, lines, parsed } = createMetrics();
    const counts = countsOf({ CRITICAL: 1, HIGH: 2, MEDIUM: 3, LOW: 4, INFORMATIONAL: 5, UNDEFINED: 6 });
    const report = scanReport({ repository: "team-a/api", counts });

    const outcome = await reporter.report(report, CTX);

    expect(outcome).toEqual({ status: "sent", detail: "7 EMF lines in EcrScanReporter" });
    expect(lines).toHaveLength(7);
    // One JSON document per line: CloudWatch Logs reads EMF line by line.
    for (const line of lines) expect(line).not.toContain("\n");

    const emf = parsed();
    for (const line of emf) {
      expect(line._aws.Timestamp).toBe(NOW.getTime());
      expect(line._aws.CloudWatchMetrics).toHaveLength(1);
      expect(line._aws.CloudWatchMetrics[0]?.Namespace).toBe("EcrScanReporter");
      expect(line.Repository).toBe("team-a/api");
    }

    const findings = emf.slice(0, 6);
    expect(findings.map((line) => line.Severity)).toEqual([...SEVERITIES]);
    for (const line of findings) {
      const directive = line._aws.CloudWatchMetrics[0];
      expect(directive?.Metrics).toEqual([{ Name: "Findings", Unit: "Count" }]);
      expect(directive?.Dimensions).toHaveLength(1);
      expect(directive?.Dimensions[0]).toEqual(expect.arrayContaining(["Repository", "Severity"]));
      // Every dimension a directive names is a top-level key of the line, as EMF requires.
      for (const dimension of directive?.Dimensions[0] ?? []) expect(line).toHaveProperty(dimension);
    }
    expect(Object.fromEntries(findings.map((line) => [line.Severity, line.Findings]))).toEqual(counts);

    const scanFailed = emf[6];
    expect(scanFailed?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: "ScanFailed", Unit: "Count" }]);
    expect(scanFailed?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toContain("Repository");
    expect(scanFailed?._aws.CloudWatchMetrics[0]?.Dimensions[0]).not.toContain("Severity");
    expect(scanFailed).not.toHaveProperty("Severity");
    expect(scanFailed).not.toHaveProperty("Findings");
    expect(scanFailed?.ScanFailed).toBe(0);
  });

  it("writes ScanFailed 1 for a FAILED scan, with every Findings count at 0", async () => {
    const { reporter, parsed } = createMetrics();

    await reporter.report(failedReport({ repository: "team-a/batch" }), CTX);

    const emf = parsed();
    expect(emf).toHaveLength(7);
    expect(emf.slice(0, 6).map((line) => line.Findings)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(emf[6]?.ScanFailed).toBe(1);
    expect(emf[6]?.Repository).toBe("team-a/batch");
  });

  it("writes ScanFailed 0 for a clean report and for a scan status other than FAILED", async () => {
    const { reporter, parsed } = createMetrics();

    await reporter.report(withinThresholdsReport(), CTX);
    await reporter.report(scanReport({ status: "UNSUPPORTED_IMAGE", counts: countsOf() }), CTX);

    const scanFailed = parsed().filter((line) => "ScanFailed" in line);
    expect(scanFailed.map((line) => line.ScanFailed)).toEqual([0, 0]);
  });

  it("keeps each report's lines to its own repository and counts (no state carried over)", async () => {
    const { reporter, parsed } = createMetrics();

    await reporter.report(scanReport({ repository: "team-a/api", counts: countsOf({ CRITICAL: 9 }) }), CTX);
    await reporter.report(scanReport({ repository: "team-b/web", counts: countsOf({ LOW: 2 }) }), CTX);

    const emf = parsed();
    expect(emf).toHaveLength(14);
    expect(emf.slice(0, 7).every((line) => line.Repository === "team-a/api")).toBe(true);
    const second = emf.slice(7);
    expect(second.every((line) => line.Repository === "team-b/web")).toBe(true);
    expect(second.find((line) => line.Severity === "CRITICAL")?.Findings).toBe(0);
    expect(second.find((line) => line.Severity === "LOW")?.Findings).toBe(2);
    // Exactly one metric value per line.
    for (const line of emf) {
      const names = line._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name) ?? [];
      expect(names).toHaveLength(1);
      expect(typeof line[names[0] ?? ""]).toBe("number");
    }
  });

  it("uses the namespace of its options", async () => {
    const { reporter, parsed } = createMetrics("Acme/Ecr");

    const outcome = await reporter.report(scanReport(), CTX);

    expect(new Set(parsed().map((line) => line._aws.CloudWatchMetrics[0]?.Namespace))).toEqual(
      new Set(["Acme/Ecr"]),
    );
    expect(outcome.detail).toBe("7 EMF lines in Acme/Ecr");
  });

  it("gets even a report that is not due from the dispatcher, so the series stay continuous", async () => {
    const { deps, lines } = testDeps({ clock: () => NOW });
    const entries = parseConfig(
      { reporters: [{ use: "metrics", options: { namespace: "EcrScanReporter" } }] },
      "test",
    ).reporters;
    const loaded = await loadReporters(entries, new Map([["metrics", metricsReporter]]), deps);

    const result = await dispatchReport(withinThresholdsReport(), loaded, { logger: recordingLogger() });

    expect(result.outcomes).toEqual([
      { reporter: "metrics", status: "sent", detail: "7 EMF lines in EcrScanReporter" },
    ]);
    expect(lines).toHaveLength(7);
  });
});

describe("metricsReporter.optionsSchema", () => {
  it("defaults the namespace to EcrScanReporter", () => {
    expect(metricsReporter.optionsSchema.parse({})).toEqual({
      namespace: "EcrScanReporter",
      perRepository: true,
      perAccount: false,
    });
  });

  it("accepts a namespace of 255 characters", () => {
    const namespace = "N".repeat(255);
    expect(metricsReporter.optionsSchema.parse({ namespace })).toEqual({
      namespace,
      perRepository: true,
      perAccount: false,
    });
  });

  it.each([
    { what: "a colon", namespace: "Ecr:ScanReporter" },
    { what: "nothing", namespace: "" },
    { what: "256 characters", namespace: "N".repeat(256) },
  ])("rejects a namespace with $what", ({ namespace }) => {
    const result = metricsReporter.optionsSchema.safeParse({ namespace });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      "must be 1–255 characters with no colon (a CloudWatch namespace)",
    );
  });

  it("rejects an unknown option", () => {
    expect(metricsReporter.optionsSchema.safeParse({ namespace: "X", dimensions: [] }).success).toBe(false);
  });
});

describe("metricsReporter with perRepository: false", () => {
  it("keeps Repository out of the dimensions, so the registry has 7 custom metrics whatever its size", async () => {
    const { deps, lines } = testDeps({ clock: () => NOW });
    const reporter = metricsReporter.create(
      metricsReporter.optionsSchema.parse({ perRepository: false }),
      deps,
    );
    await reporter.report(scanReport({ repository: "team-a/api" }), CTX);
    const emf = lines.map((line) => JSON.parse(line) as EmfLine);
    expect(emf).toHaveLength(7);
    for (const line of emf) {
      expect(line.Repository).toBeUndefined();
      expect(line._aws.CloudWatchMetrics[0]?.Dimensions[0]).not.toContain("Repository");
    }
    expect(emf.slice(0, 6).map((line) => line.Severity)).toEqual([...SEVERITIES]);
  });
});
