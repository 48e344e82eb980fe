import type { ReporterDeps, SecretRef } from "@ecr-scan-reporter/core";

export const TOKEN = "ghp_sandboxTokenNeverLogged0000000000000";
export const TOKEN_REF: SecretRef = { parameter: "/ecr-scan-reporter/github-token" };

export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  extra?: Record<string, unknown>;
}

/** Reporter deps with the token behind TOKEN_REF, a recording logger, and `fetch` (the real one by default). */
export function testDeps(overrides: Partial<ReporterDeps> & { token?: string } = {}) {
  const logs: LogLine[] = [];
  const log =
    (level: LogLine["level"]) =>
    (message: string, extra?: Record<string, unknown>): void => {
      logs.push({ level, message, extra });
    };
  const { token = TOKEN, ...rest } = overrides;
  const deps: ReporterDeps = {
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    resolveSecret: async (ref) => {
      if (JSON.stringify(ref) !== JSON.stringify(TOKEN_REF))
        throw new Error(`unexpected secret ${JSON.stringify(ref)}`);
      return token;
    },
    awsClient: () => {
      throw new Error("the github reporter must not use AWS clients");
    },
    fetch: globalThis.fetch,
    templates: { override: () => undefined },
    clock: () => new Date("2026-11-28T07:00:00Z"),
    writeLine: () => {
      throw new Error("the github reporter must not write raw lines");
    },
    ...rest,
  };
  return { deps, logs };
}

/** No pacing between writes, and rate-limit waits of 1/20 of the time GitHub asks for: fast tests, same logic. */
export const FAST = { writeIntervalMs: 0, notificationIntervalMs: 0, retryBaseMs: 50 } as const;

export const CTX = { reporterId: "github", attempt: 1 };

/**
 * Markdown with its code spans (CommonMark: a backtick run not escaped, up to the next run of the same length)
 * blanked out: what GitHub parses for HTML, links and mentions.
 */
export function outsideCodeSpans(markdown: string): string {
  return markdown.replace(/(?<![\\`])(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, " ");
}
