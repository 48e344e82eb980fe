import type { ReporterDeps } from "@ecr-scan-reporter/core";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import Bottleneck from "bottleneck/light.js";

/** Octokit with GitHub's recommended pacing and rate-limit handling, and retries of 5xx answers. */
export const GitHubOctokit = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof GitHubOctokit>;

export const DEFAULT_BASE_URL = "https://api.github.com";
const USER_AGENT = "ecr-scan-reporter";

/** How the client paces and retries. The defaults follow GitHub's "Best practices for using the REST API". */
export interface ClientTuning {
  /** Least time between two writes (POST/PATCH) of one reporter (GitHub: "wait at least one second"). */
  writeIntervalMs?: number;
  /** Least time between two writes that notify people (issues, comments): the throttling plugin's 3 s. */
  notificationIntervalMs?: number;
  /** Retries after a rate-limit answer (403/429 with `retry-after`, or `x-ratelimit-remaining: 0`). */
  rateLimitRetries?: number;
  /** A rate limit that asks to wait longer than this is not waited for: the report fails and is retried later. */
  maxRetryAfterSeconds?: number;
  /** Retries of a 5xx answer (the retry plugin waits 1, 4, 9… seconds × `retryBaseMs`/1000). */
  serverErrorRetries?: number;
  /** One second of `retry-after` (and of the retry plugin's back-off) in milliseconds; tests shorten it. */
  retryBaseMs?: number;
}

export const DEFAULT_TUNING: Required<ClientTuning> = {
  writeIntervalMs: 1_000,
  notificationIntervalMs: 3_000,
  rateLimitRetries: 2,
  maxRetryAfterSeconds: 60,
  serverErrorRetries: 2,
  retryBaseMs: 1_000,
};

/**
 * An Octokit for one reporter instance: its own write pacing (so two reporters, like two Lambdas, do not share
 * a queue), `deps.fetch` for every request, and rate-limit answers waited out up to `rateLimitRetries` times when
 * GitHub asks for at most `maxRetryAfterSeconds`, each logged.
 */
export function createGitHubClient(
  token: string,
  baseUrl: string | undefined,
  deps: Pick<ReporterDeps, "fetch" | "logger">,
  tuning: ClientTuning = {},
): GitHubClient {
  const t = { ...DEFAULT_TUNING, ...tuning };
  const onLimit =
    (kind: "secondary" | "primary") =>
    (
      retryAfter: number,
      options: { method?: string; url?: string },
      _octokit: unknown,
      retryCount: number,
    ) => {
      const retrying = retryCount < t.rateLimitRetries && retryAfter <= t.maxRetryAfterSeconds;
      deps.logger.warn(`GitHub ${kind} rate limit`, {
        method: options.method,
        route: options.url,
        retryAfterSeconds: retryAfter,
        retryCount,
        retrying,
      });
      return retrying;
    };
  return new GitHubOctokit({
    auth: token,
    baseUrl: baseUrl ?? DEFAULT_BASE_URL,
    userAgent: USER_AGENT,
    request: { fetch: deps.fetch },
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => deps.logger.warn(message),
      error: (message: string) => deps.logger.error(message),
    },
    throttle: {
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: t.writeIntervalMs }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: t.notificationIntervalMs }),
      retryAfterBaseValue: t.retryBaseMs,
      onSecondaryRateLimit: onLimit("secondary"),
      onRateLimit: onLimit("primary"),
    },
    retry: { retries: t.serverErrorRetries, retryAfterBaseValue: t.retryBaseMs },
  });
}

/** The HTTP status of an Octokit error, if it is one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/** GitHub's own message of an Octokit error (never a header, so never the token), or the error's text. */
export function gitHubMessageOf(error: unknown): string {
  const data = (error as { response?: { data?: { message?: unknown } } } | null)?.response?.data;
  if (typeof data?.message === "string") return data.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
