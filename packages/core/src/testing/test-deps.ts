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

/** A dep that throws when called, for one a reporter must never use: `writeLine: mustNotUse("writeLine")`. */
export function mustNotUse(what: string): (...args: unknown[]) => never {
  return () => {
    throw new Error(`the reporter must not use ${what}`);
  };
}

/**
 * An `awsClient` that builds a real SDK client of each class asked for, with `config` (eu-west-1 by default),
 * and records the classes in `clients`: for reporters tested with aws-sdk-client-mock or a local endpoint.
 */
export function recordingAwsClient(config: Record<string, unknown> = { region: "eu-west-1" }): {
  awsClient: ReporterDeps["awsClient"];
  clients: unknown[];
} {
  const clients: unknown[] = [];
  const awsClient: ReporterDeps["awsClient"] = (ctor) => {
    clients.push(ctor);
    return new (ctor as unknown as new (config: Record<string, unknown>) => never)(config);
  };
  return { awsClient, clients };
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
