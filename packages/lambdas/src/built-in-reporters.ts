import { metricsReporter, type ReporterPlugin } from "@ecr-scan-reporter/core";
import { emailReporter } from "@ecr-scan-reporter/reporter-email";
import { githubReporter } from "@ecr-scan-reporter/reporter-github";
import { slackReporter } from "@ecr-scan-reporter/reporter-slack";
import { snsReporter } from "@ecr-scan-reporter/reporter-sns";

/** The reporters bundled into report-findings (esbuild includes them), by the name a config entry's `use` gives. */
export const BUILT_IN_REPORTERS: ReadonlyMap<string, ReporterPlugin<unknown>> = new Map(
  (
    [snsReporter, slackReporter, githubReporter, emailReporter, metricsReporter] as ReporterPlugin<unknown>[]
  ).map((plugin) => [plugin.name, plugin]),
);
