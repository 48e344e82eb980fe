import { metricsReporter, type ReporterPlugin } from "@ecr-scan-reporter/core";

/** The reporters bundled into report-findings, by the name a config entry's `use` gives. */
export const BUILT_IN_REPORTERS: ReadonlyMap<string, ReporterPlugin<unknown>> = new Map<
  string,
  ReporterPlugin<unknown>
>([metricsReporter as ReporterPlugin<unknown>].map((plugin) => [plugin.name, plugin]));
