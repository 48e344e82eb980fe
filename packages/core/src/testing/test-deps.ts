import type { ReporterDeps, ReporterLogger } from "../reporters/contract.js";

/** One line a reporter logged, as `testDeps` records it. */
export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  extra?: Record<string, unknown>;
}

/** A ReporterLogger that keeps every line in `logs`, for assertions on what a reporter said. */
export function recordingLogger(logs: LogLine[] = []): ReporterLogger & { logs: LogLine[] } {
  const log =
    (level: LogLine["level"]) =>
    (message: string, extra?: Record<string, unknown>): void => {
      logs.push(extra === undefined ? { level, message } : { level, message, extra });
    };
  return { logs, debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** The clock every `testDeps` starts with, so rendered dates are stable. */
export const TEST_CLOCK_TIME = "2026-11-28T07:00:00.000Z";

function unexpected(what: string): never {
  throw new Error(`this test gives the reporter no ${what}: pass it in testDeps(overrides)`);
}

/**
 * ReporterDeps for unit tests: a recording logger, raw lines kept in `lines`, a fixed clock, no overrides of the
 * shipped templates; secrets, AWS clients and `fetch` throw unless `overrides` provide them, so a reporter that
 * reaches for something the test did not expect fails loudly.
 */
export function testDeps(overrides: Partial<ReporterDeps> = {}): {
  deps: ReporterDeps;
  logs: LogLine[];
  lines: string[];
} {
  const logs: LogLine[] = [];
  const lines: string[] = [];
  const deps: ReporterDeps = {
    logger: recordingLogger(logs),
    resolveSecret: async () => unexpected("secrets"),
    awsClient: () => unexpected("AWS clients"),
    fetch: (async () => unexpected("network")) as typeof fetch,
    templates: { override: () => undefined },
    clock: () => new Date(TEST_CLOCK_TIME),
    writeLine: (line) => {
      lines.push(line);
    },
    ...overrides,
  };
  return { deps, logs, lines };
}
