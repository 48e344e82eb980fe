import type { AnyReporterPlugin } from "@ecr-scan-reporter/core";

/** Loads a built-in reporter's plugin on first use. */
export type ReporterPluginLoader = () => Promise<AnyReporterPlugin>;

/**
 * The built-in reporters, by the name a config entry's `use` gives. Each is imported only when a configuration
 * uses it (a chunk of its own in the Lambda bundle), so unused reporters cost neither cold-start time nor memory.
 * The Lambdas and the CLI both read this list, so they always offer the same reporters.
 */
export const BUILT_IN_REPORTERS: ReadonlyMap<string, ReporterPluginLoader> = new Map<
  string,
  ReporterPluginLoader
>([
  ["sns", async () => (await import("@ecr-scan-reporter/reporter-sns")).snsReporter],
  ["slack", async () => (await import("@ecr-scan-reporter/reporter-slack")).slackReporter],
  ["github", async () => (await import("@ecr-scan-reporter/reporter-github")).githubReporter],
  ["email", async () => (await import("@ecr-scan-reporter/reporter-email")).emailReporter],
  ["metrics", async () => (await import("@ecr-scan-reporter/reporter-metrics")).metricsReporter],
]);

/** The names of the built-in reporters, in the order the documentation lists them. */
export const BUILT_IN_REPORTER_NAMES: readonly string[] = [...BUILT_IN_REPORTERS.keys()];
