import { onTestFinished, vi } from "vitest";

/** One structured log line of a handler (Powertools Logger): level, message, service and the extra fields. */
export type LogLine = Record<string, unknown> & { level: string; message: string };

/** One CloudWatch EMF line of a handler (Powertools Metrics): the metric values by name, and their dimensions. */
export type EmfLine = Record<string, unknown> & {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
};

/**
 * Turns on the logs (every level) and the metrics a handler writes, and collects them as parsed JSON instead of
 * printing them. Call it before the handler is imported: its logger and metrics read the environment then.
 * (POWERTOOLS_DEV makes Powertools write through the global console, where the lines are caught.)
 */
export function captureHandlerOutput(): { logs: LogLine[]; metrics: EmfLine[] } {
  vi.stubEnv("POWERTOOLS_DEV", "true");
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "DEBUG");
  vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "false");
  const logs: LogLine[] = [];
  const metrics: EmfLine[] = [];
  const collect = (text: unknown) => {
    if (typeof text !== "string") return;
    let line: unknown;
    try {
      line = JSON.parse(text);
    } catch {
      return;
    }
    if (typeof line !== "object" || line === null) return;
    if ("_aws" in line) metrics.push(line as EmfLine);
    else if ("level" in line) logs.push(line as LogLine);
  };
  const spies = (["debug", "info", "warn", "error", "log", "trace"] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation(collect),
  );
  onTestFinished(() => {
    for (const spy of spies) spy.mockRestore();
  });
  return { logs, metrics };
}

/** The log lines with this message. */
export function logsWith(logs: readonly LogLine[], message: string): LogLine[] {
  return logs.filter((line) => line.message === message);
}

/** The value each EMF line gives a metric, with the dimensions of that line besides `service`. */
export function metricValues(
  metrics: readonly EmfLine[],
  name: string,
): { value: unknown; dimensions: Record<string, unknown> }[] {
  return metrics
    .filter((line) =>
      line._aws.CloudWatchMetrics.some((m) => m.Metrics.some((metric) => metric.Name === name)),
    )
    .map((line) => {
      const dimensionNames = line._aws.CloudWatchMetrics.flatMap((m) => m.Dimensions.flat()).filter(
        (d) => d !== "service",
      );
      return {
        value: line[name],
        dimensions: Object.fromEntries(dimensionNames.map((d) => [d, line[d]])),
      };
    });
}
