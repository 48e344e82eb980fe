import { metricsReporter, type ReporterPlugin } from "@ecr-scan-reporter/core";

type PluginLoader = () => Promise<ReporterPlugin<unknown>>;

/**
 * The reporters bundled into report-findings, by the name a config entry's `use` gives. Each one but metrics is
 * imported only when a configuration uses it (a chunk of its own in the bundle), so unused reporters cost neither
 * cold-start time nor memory.
 */
export const BUILT_IN_REPORTERS: ReadonlyMap<string, ReporterPlugin<unknown> | PluginLoader> = new Map<
  string,
  ReporterPlugin<unknown> | PluginLoader
>([
  [
    "sns",
    async () => (await import("@ecr-scan-reporter/reporter-sns")).snsReporter as ReporterPlugin<unknown>,
  ],
  [
    "slack",
    async () => (await import("@ecr-scan-reporter/reporter-slack")).slackReporter as ReporterPlugin<unknown>,
  ],
  [
    "github",
    async () =>
      (await import("@ecr-scan-reporter/reporter-github")).githubReporter as ReporterPlugin<unknown>,
  ],
  [
    "email",
    async () => (await import("@ecr-scan-reporter/reporter-email")).emailReporter as ReporterPlugin<unknown>,
  ],
  ["metrics", metricsReporter as ReporterPlugin<unknown>],
]);
