import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { z } from "zod";
import { SEVERITIES } from "../model.js";
import { defineReporter } from "./contract.js";

const optionsSchema = z.strictObject({
  namespace: z
    .string()
    .regex(/^[^:]{1,255}$/, { message: "must be 1–255 characters with no colon (a CloudWatch namespace)" })
    .default("EcrScanReporter"),
});

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
    const emit = (dimensions: Record<string, string>, name: string, value: number) => {
      const metrics = new Metrics({ namespace: options.namespace, serviceName: "ecr-scan-reporter" });
      metrics.addDimensions(dimensions);
      metrics.addMetric(name, MetricUnit.Count, value);
      // Serialized by Powertools, written by us: the CLI sends the lines to --out, Lambda to stdout.
      deps.writeLine(JSON.stringify(metrics.serializeMetrics()));
      metrics.clearMetrics();
    };
    return {
      async report(report) {
        for (const severity of SEVERITIES) {
          emit({ Repository: report.repository, Severity: severity }, "Findings", report.counts[severity]);
        }
        emit({ Repository: report.repository }, "ScanFailed", report.status === "FAILED" ? 1 : 0);
        return { status: "sent", detail: `${SEVERITIES.length + 1} EMF lines in ${options.namespace}` };
      },
    };
  },
});
