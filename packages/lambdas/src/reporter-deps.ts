import type { Logger } from "@aws-lambda-powertools/logger";
import {
  createSecretResolver,
  createTemplateSource,
  type ReporterDeps,
  type TemplateSource,
  toReporterLogger,
} from "@ecr-scan-reporter/core";

/** Where a Lambda layer puts template overrides unless ECR_SCAN_REPORTER_TEMPLATES_PATH says otherwise. */
export const DEFAULT_TEMPLATES_PATH = "/opt/ecr-scan-reporter/templates";

/**
 * The dependencies every reporter of a Lambda gets: one SDK client per class (region and endpoint from the
 * standard environment variables), secrets resolved once per cold start, the global fetch, template overrides
 * from a layer folder, stdout.
 */
export function createLambdaReporterDeps(
  logger: Logger,
  templates: TemplateSource = createTemplateSource([
    process.env.ECR_SCAN_REPORTER_TEMPLATES_PATH || DEFAULT_TEMPLATES_PATH,
  ]),
): ReporterDeps {
  const clients = new Map<unknown, unknown>();
  return {
    logger: toReporterLogger(logger),
    resolveSecret: createSecretResolver(),
    awsClient<C>(ctor: new (...args: never) => C): C {
      let client = clients.get(ctor) as C | undefined;
      if (!client) {
        client = new (ctor as unknown as new (config: object) => C)({});
        clients.set(ctor, client);
      }
      return client;
    },
    fetch: globalThis.fetch,
    templates,
    clock: () => new Date(),
    writeLine: (line) => {
      process.stdout.write(`${line}\n`);
    },
  };
}
