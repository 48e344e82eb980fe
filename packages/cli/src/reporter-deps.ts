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
 * Where reporters' raw lines go in the CLI. They are CloudWatch EMF metric lines (the metrics reporter's), meant for
 * a Lambda's log stream, where CloudWatch turns them into metrics; on a terminal they are only noise, so they are
 * dropped unless --debug, and then go to stderr, so stdout stays the command's own output (tables, --json).
 * `report --out` still writes them to metrics/metrics.emf.jsonl.
 */
export function cliRawLineWriter(
  debug: boolean,
  stderr: (text: string) => unknown = (text) => process.stderr.write(text),
) {
  return (line: string): void => {
    if (debug) stderr(`${line}\n`);
  };
}

/** What reporters get in the CLI: the default AWS chain, real secrets, `--templates` overrides. */
export function createCliReporterDeps(options: { templatesDir?: string; debug?: boolean }): ReporterDeps {
  return createReporterDeps({
    logger: stderrLogger(Boolean(options.debug)),
    templates: createTemplateSource(options.templatesDir ? [options.templatesDir] : []),
    writeLine: cliRawLineWriter(Boolean(options.debug)),
  });
}
