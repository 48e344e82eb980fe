import type { Logger } from "@aws-lambda-powertools/logger";
import { BUILT_IN_REPORTERS } from "@ecr-scan-reporter/built-in-reporters";
import {
  type Config,
  createPackageResolver,
  LAYER_NODE_MODULES,
  type LoadedReporter,
  loadReporters,
  verifyReporters,
} from "@ecr-scan-reporter/core";
import { createLambdaReporterDeps } from "./reporter-deps.js";

let reportersPromise: Promise<LoadedReporter[]> | undefined;

/**
 * The configured reporters, loaded, validated and verified once per cold start (report-findings and send-digests
 * run the same reporters); a failure is not cached.
 */
export function getLambdaReporters(config: Config, logger: Logger): Promise<LoadedReporter[]> {
  reportersPromise ??= (async () => {
    const reporters = await loadReporters(
      config.reporters,
      BUILT_IN_REPORTERS,
      createLambdaReporterDeps(logger),
      // Custom reporter packages come from a Lambda layer (/opt/nodejs/node_modules) unless told otherwise.
      createPackageResolver(process.env.ECR_SCAN_REPORTER_REPORTERS_PATH || LAYER_NODE_MODULES),
    );
    for (const failure of await verifyReporters(reporters)) {
      logger.warn("reporter verification failed; it will still be tried for each report", failure);
    }
    logger.info("reporters ready", { reporters: reporters.map((r) => r.id) });
    return reporters;
  })().catch((error: unknown) => {
    reportersPromise = undefined;
    throw error;
  });
  return reportersPromise;
}
