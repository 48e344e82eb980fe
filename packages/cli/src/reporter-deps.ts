import {
  createReporterDeps,
  createTemplateSource,
  type ReporterDeps,
  type ReporterLogger,
} from "@ecr-scan-reporter/core";

/** A logger for reporters run from the CLI: one readable line each on stderr, details as JSON. */
export function stderrLogger(debug: boolean): ReporterLogger {
  const line = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    if (level === "debug" && !debug) return;
    process.stderr.write(`${level}: ${message}${extra && debug ? ` ${JSON.stringify(extra)}` : ""}\n`);
  };
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}

/**
 * What reporters get in the CLI: the default AWS chain, real secrets, `--templates` overrides. Raw lines (EMF
 * metrics) go to stderr, so stdout stays the command's own output (tables, --json).
 */
export function createCliReporterDeps(options: { templatesDir?: string; debug?: boolean }): ReporterDeps {
  return createReporterDeps({
    logger: stderrLogger(Boolean(options.debug)),
    templates: createTemplateSource(options.templatesDir ? [options.templatesDir] : []),
    writeLine: (text) => {
      process.stderr.write(`${text}\n`);
    },
  });
}
