import type { ReporterDeps, SecretRef } from "@ecr-scan-reporter/core";
import { mustNotUse, testDeps } from "@ecr-scan-reporter/core/testing";

export const TOKEN = "ghp_sandboxTokenNeverLogged0000000000000";
export const TOKEN_REF: SecretRef = { parameter: "/ecr-scan-reporter/github-token" };

/** Reporter deps (the kit's) with the token behind TOKEN_REF and the real `fetch`, for the local GitHub receiver. */
export function githubDeps(overrides: Partial<ReporterDeps> & { token?: string } = {}) {
  const { token = TOKEN, ...rest } = overrides;
  return testDeps({
    resolveSecret: async (ref) => {
      if (JSON.stringify(ref) !== JSON.stringify(TOKEN_REF))
        throw new Error(`unexpected secret ${JSON.stringify(ref)}`);
      return token;
    },
    fetch: globalThis.fetch,
    writeLine: mustNotUse("writeLine"),
    ...rest,
  });
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
