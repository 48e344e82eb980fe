import type { Logger } from "@aws-lambda-powertools/logger";
import {
  createReporterDeps,
  createTemplateSource,
  type ReporterDeps,
  toReporterLogger,
} from "@ecr-scan-reporter/core";

/** Where a Lambda layer puts template overrides unless ECR_SCAN_REPORTER_TEMPLATES_PATH says otherwise. */
export const DEFAULT_TEMPLATES_PATH = "/opt/ecr-scan-reporter/templates";

/** The reporters' dependencies in a Lambda: Powertools logging, template overrides from a layer folder, stdout. */
export function createLambdaReporterDeps(logger: Logger): ReporterDeps {
  return createReporterDeps({
    logger: toReporterLogger(logger),
    templates: createTemplateSource([process.env.ECR_SCAN_REPORTER_TEMPLATES_PATH || DEFAULT_TEMPLATES_PATH]),
    // CloudWatch Logs reads EMF metric lines from stdout.
    writeLine: (line) => {
      process.stdout.write(`${line}\n`);
    },
  });
}
