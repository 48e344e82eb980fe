import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { defineReporter, type ScanReport, SEVERITIES } from "@ecr-scan-reporter/core";
import { z } from "zod";

const optionsSchema = z.strictObject({
  namespace: z
    .string()
    .regex(/^[^:]{1,255}$/, { message: "must be 1–255 characters with no colon (a CloudWatch namespace)" })
    .default("EcrScanReporter"),
  /**
   * Repository as a dimension (the default): alarms per repository, but 7 CloudWatch custom metrics per repository,
   * each billed monthly. `false`: Severity only, 7 metrics for the whole registry.
   */
  perRepository: z.boolean().default(true),
});

type MetricsOptions = z.output<typeof optionsSchema>;

/** The EMF lines of one report: Findings per (Repository ×) Severity, and ScanFailed (per Repository). */
function emfLines(report: ScanReport, options: MetricsOptions, at: Date): string[] {
  const repository: Record<string, string> = options.perRepository ? { Repository: report.repository } : {};
  const line = (dimensions: Record<string, string>, name: string, value: number) => {
    const metrics = new Metrics({ namespace: options.namespace, serviceName: "ecr-scan-reporter" });
    metrics.setTimestamp(at);
    metrics.addDimensions(dimensions);
    metrics.addMetric(name, MetricUnit.Count, value);
    // Serialized by Powertools, written by the caller: Lambda to stdout, the CLI to --out.
    const text = JSON.stringify(metrics.serializeMetrics());
    metrics.clearMetrics();
    return text;
  };
  return [
    ...SEVERITIES.map((severity) =>
      line({ ...repository, Severity: severity }, "Findings", report.counts[severity]),
    ),
    line(repository, "ScanFailed", report.status === "FAILED" ? 1 : 0),
  ];
}

/**
 * Built-in `metrics` reporter: CloudWatch Embedded Metric Format lines, one per severity with Repository and
 * Severity as dimensions, plus ScanFailed per repository. No API call: CloudWatch Logs turns the lines into
 * metrics, so users can alarm on counts. It receives every report, due or not, so the series stay continuous.
 */
export const metricsReporter = defineReporter({
  name: "metrics",
  receives: "all",
  optionsSchema,
  create(options, deps) {
    return {
      async report(report) {
        const lines = emfLines(report, options, deps.clock());
        for (const line of lines) deps.writeLine(line);
        return { status: "sent", detail: `${lines.length} EMF lines in ${options.namespace}` };
      },
    };
  },
  preview(report, options, deps) {
    return [
      {
        name: "metrics.emf.jsonl",
        content: `${emfLines(report, options, deps.clock()).join("\n")}\n`,
      },
    ];
  },
});
