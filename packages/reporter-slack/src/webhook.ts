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

/** An error that is safe to log: it names what failed and never carries the webhook URL, not even as a cause. */
export class SlackSendError extends Error {
  override name = "SlackSendError";
}

/**
 * Posts a message to an incoming webhook with @slack/webhook, through the given `fetch`, with no retry of its
 * own: a failed report is retried by the dispatcher (targeted re-queue), so a message is never posted twice by a
 * retry here after a timeout that Slack had in fact served.
 */
export async function postToWebhook(
  url: string,
  message: SlackMessage,
  fetchFn: typeof fetch,
): Promise<string> {
  const webhook = new IncomingWebhook(url, {
    fetch: fetchFn,
    timeout: SEND_TIMEOUT_MS,
    retryConfig: { retries: 0 },
  });
  try {
    const result = await webhook.send(message);
    return result.text;
  } catch (error) {
    throw new SlackSendError(describeSendFailure(error));
  }
}
