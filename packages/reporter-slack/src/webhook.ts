import { IncomingWebhook, IncomingWebhookHTTPError, IncomingWebhookRequestError } from "@slack/webhook";
import type { SlackMessage } from "./message.js";

/** How long one POST to Slack may take before it counts as failed (the dispatcher retries later). */
export const SEND_TIMEOUT_MS = 10_000;

/** Hosts a local receiver may listen on: the only ones allowed over plain http. */
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Why a resolved secret is not a usable incoming-webhook URL, or undefined when it is. The reason never quotes the
 * value: the URL is the secret.
 */
export function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a URL (a Slack incoming webhook URL looks like https://hooks.slack.com/services/T…/B…/…)";
  }
  if (url.protocol === "http:" && !LOCAL_HOSTS.has(url.hostname)) {
    return "is an http URL; Slack webhooks are https (plain http is allowed only for a local receiver on 127.0.0.1)";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return `is a ${url.protocol.replace(/:$/, "")} URL, not an https webhook URL`;
  }
  if (url.username || url.password) return "carries a user name or password, which a webhook URL never does";
  if (url.pathname === "/" || url.pathname === "") {
    return "has no path (a Slack incoming webhook URL looks like https://hooks.slack.com/services/T…/B…/…)";
  }
  return undefined;
}

/** Slack answers errors with a short code (`invalid_blocks`, `channel_not_found`…); anything else is not repeated. */
function slackErrorCode(body: string): string | undefined {
  const code = body.trim();
  return /^[a-z0-9_]{1,64}$/.test(code) ? code : undefined;
}

/** The first `code` (ECONNREFUSED, UND_ERR_…) along an error's cause chain. */
function errorCodeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * What went wrong, without the URL. Errors of fetch and of @slack/webhook may quote the URL (an unparsable one,
 * a redirect target), so only a status, Slack's error code or a system error code is kept.
 */
export function describeSendFailure(error: unknown): string {
  if (error instanceof IncomingWebhookHTTPError) {
    const code = slackErrorCode(String(error.body ?? ""));
    return `Slack answered HTTP ${error.statusCode}${code ? ` ${code}` : ""}`;
  }
  if (error instanceof IncomingWebhookRequestError) {
    const original = error.original;
    if (original.name === "TimeoutError" || original.name === "AbortError") {
      return `Slack did not answer within ${SEND_TIMEOUT_MS / 1000} s`;
    }
    const code = errorCodeOf(original);
    return `the request to Slack failed (${code ?? original.name})`;
  }
  const name = error instanceof Error ? error.name : typeof error;
  return `sending to Slack failed (${name})`;
}

/**
 * An error that is safe to log: it names what failed and never carries the webhook URL, not even as a cause.
 * `retryAfterSeconds`: Slack rate-limited the webhook and asked for that long a wait (its last 429's `Retry-After`).
 */
export class SlackSendError extends Error {
  override name = "SlackSendError";
  readonly retryAfterSeconds?: number;

  constructor(message: string, options: { retryAfterSeconds?: number } = {}) {
    super(message);
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** How the reporter paces its posts and rides out Slack's rate limit. The defaults follow Slack's "Rate limits". */
export interface SlackTuning {
  /** Least time between two posts to one webhook, across every reporter of the process (Slack: one a second). */
  minIntervalMs?: number;
  /** Retries after a 429 answer: Slack posted nothing, so a retry never posts a message twice. */
  rateLimitRetries?: number;
  /** A 429 that asks to wait longer than this is not waited for: the report fails, the dispatcher retries it later. */
  maxRetryAfterSeconds?: number;
  /** One second of `Retry-After` in milliseconds; tests shorten it. */
  retryAfterBaseMs?: number;
}

export const DEFAULT_SLACK_TUNING: Required<SlackTuning> = {
  minIntervalMs: 1_000,
  rateLimitRetries: 2,
  maxRetryAfterSeconds: 30,
  retryAfterBaseMs: 1_000,
};

/** What the reporter hears of each 429, to log it. */
export interface RateLimitNotice {
  retryAfterSeconds: number;
  retryCount: number;
  retrying: boolean;
}

export interface PostOptions {
  tuning?: SlackTuning;
  onRateLimited?: (notice: RateLimitNotice) => void;
}

/** Per webhook URL: the posts of this process waiting their turn, and when the last one was answered. */
const lanes = new Map<string, Promise<unknown>>();
const lastAnsweredAt = new Map<string, number>();

/**
 * Runs `work` when the previous work on `url` is done: one post at a time per webhook, whichever reporter sends it.
 * Pacing from the previous answer, not from the previous request, keeps the gap Slack sees at least as long.
 */
function inLane<T>(url: string, work: () => Promise<T>): Promise<T> {
  const run = (lanes.get(url) ?? Promise.resolve()).catch(() => undefined).then(work);
  lanes.set(url, run);
  const forget = () => {
    if (lanes.get(url) === run) lanes.delete(url);
  };
  run.then(forget, forget);
  return run;
}

/** Waits until `minIntervalMs` have passed since the last answer from `url`. */
async function waitForTurn(url: string, minIntervalMs: number): Promise<void> {
  const wait = (lastAnsweredAt.get(url) ?? Number.NEGATIVE_INFINITY) + minIntervalMs - Date.now();
  if (wait > 0) await sleep(wait);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Slack's `Retry-After`: whole seconds. Missing or unreadable, one second (Slack's documented rate). */
function retryAfterSecondsOf(header: string | null): number {
  return header !== null && /^\d{1,6}$/.test(header.trim()) ? Number(header.trim()) : 1;
}

/**
 * Posts a message to an incoming webhook with @slack/webhook, through the given `fetch`, at most one post a
 * second per webhook (Slack's rate), waiting out a 429 as its `Retry-After` asks a bounded number of times. Nothing
 * else is retried here: a failed report is retried by the dispatcher (targeted re-queue), so a message is never
 * posted twice by a retry after a timeout that Slack had in fact served.
 */
export async function postToWebhook(
  url: string,
  message: SlackMessage,
  fetchFn: typeof fetch,
  options: PostOptions = {},
): Promise<string> {
  const t = { ...DEFAULT_SLACK_TUNING, ...options.tuning };
  let retryAfterHeader: string | null = null;
  // @slack/webhook keeps no header of a failed answer: read Retry-After on the way through.
  const fetchKeepingRetryAfter = (async (input: string | URL | Request, init?: RequestInit) => {
    const response = await fetchFn(input, init);
    retryAfterHeader = response.headers.get("retry-after");
    return response;
  }) as typeof fetch;
  const webhook = new IncomingWebhook(url, {
    fetch: fetchKeepingRetryAfter,
    timeout: SEND_TIMEOUT_MS,
    retryConfig: { retries: 0 },
  });
  const send = async () => {
    retryAfterHeader = null;
    try {
      return await webhook.send(message);
    } finally {
      lastAnsweredAt.set(url, Date.now());
    }
  };
  return inLane(url, async () => {
    for (let retryCount = 0; ; retryCount++) {
      await waitForTurn(url, t.minIntervalMs);
      try {
        return (await send()).text;
      } catch (error) {
        if (!(error instanceof IncomingWebhookHTTPError && error.statusCode === 429)) {
          throw new SlackSendError(describeSendFailure(error));
        }
        const retryAfterSeconds = retryAfterSecondsOf(retryAfterHeader);
        const retrying = retryCount < t.rateLimitRetries && retryAfterSeconds <= t.maxRetryAfterSeconds;
        options.onRateLimited?.({ retryAfterSeconds, retryCount, retrying });
        if (!retrying) {
          // The wait goes with the error: the dispatcher's retry of the report must not come sooner.
          throw new SlackSendError(
            `${describeSendFailure(error)} (rate limited: Retry-After ${retryAfterSeconds} s, after ${retryCount} ${retryCount === 1 ? "retry" : "retries"})`,
            { retryAfterSeconds },
          );
        }
        await sleep(retryAfterSeconds * t.retryAfterBaseMs);
      }
    }
  });
}
