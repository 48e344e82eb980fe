import type { ReporterDeps, ReporterLogger, TemplateSource } from "./contract.js";
import { createSecretResolver } from "./secrets.js";

/**
 * The dependencies reporters get when they run for real (Lambda, CLI): one AWS SDK client per class (region,
 * credentials and endpoint from the SDK's default chain and standard variables), secrets resolved once per
 * process, the global fetch and clock. The caller chooses the logger, the template overrides and where raw lines go.
 */
export function createReporterDeps(options: {
  logger: ReporterLogger;
  templates: TemplateSource;
  writeLine: (line: string) => void;
}): ReporterDeps {
  const clients = new Map<unknown, unknown>();
  return {
    logger: options.logger,
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
    templates: options.templates,
    clock: () => new Date(),
    writeLine: options.writeLine,
  };
}
