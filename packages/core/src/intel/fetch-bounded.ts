/**
 * One bounded GET of a threat-intel feed: a deadline over the whole exchange (headers and body), a maximum body
 * size read as a stream, a JSON parse. A feed is never trusted to be quick, small or well-formed, and never
 * retried forever: every failure becomes one IntelFeedError whose `reason` is short enough to be stated in a
 * report ("HTTP 503", "no answer within 5 s").
 */

/** What went wrong with a feed, for tests and logs; `reason` says it in words. */
export type IntelFeedFailure =
  | "http-status"
  | "timeout"
  | "too-large"
  | "invalid-json"
  | "unexpected-schema"
  | "network";

export class IntelFeedError extends Error {
  readonly kind: IntelFeedFailure;
  /** Short, for the report's intel status: "HTTP 503", "body larger than 8 MB". */
  readonly reason: string;

  constructor(kind: IntelFeedFailure, reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = new.target.name;
    this.kind = kind;
    this.reason = reason;
  }
}

/** The short reason of any failure of a feed, for the report. */
export function feedFailureReason(error: unknown): string {
  if (error instanceof IntelFeedError) return error.reason;
  return error instanceof Error ? `unexpected error (${error.name})` : "unexpected error";
}

export type FetchFunction = typeof fetch;

export interface BoundedGetOptions {
  fetch: FetchFunction;
  /** The deadline of one attempt, headers and body together. */
  timeoutMs: number;
  /** The largest body read; a larger one (announced or streamed) fails without being read further. */
  maxBytes: number;
  /** The pause before the one retry of a 5xx or network failure. */
  retryDelayMs?: number;
}

/** The pause before the one retry of a 5xx answer or a network failure. */
export const RETRY_DELAY_MS = 250;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The JSON body of a GET of `url`. One retry, after a short pause, for a 5xx answer or a network failure (the
 * kinds a moment can mend); none for a timeout, whose attempt already spent the time a report can wait, nor for a
 * 4xx, a body too large or a malformed one, which a second attempt would only repeat.
 */
export async function getJson(url: string, options: BoundedGetOptions): Promise<unknown> {
  try {
    return await getJsonOnce(url, options);
  } catch (error) {
    if (!isWorthOneRetry(error)) throw error;
    await sleep(options.retryDelayMs ?? RETRY_DELAY_MS);
    return getJsonOnce(url, options);
  }
}

function isWorthOneRetry(error: unknown): boolean {
  return error instanceof IntelFeedError && (error.kind === "network" || /^HTTP 5\d\d$/.test(error.reason));
}

async function getJsonOnce(url: string, options: BoundedGetOptions): Promise<unknown> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The deadline covers the body too: a server that sends its headers and then trickles (or stalls) must not
  // hold the report longer than one that never answers. Racing it, rather than trusting the fetch to honour the
  // abort, bounds any fetch implementation.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new IntelFeedError("timeout", `no answer within ${seconds(options.timeoutMs)}`));
    }, options.timeoutMs);
  });
  try {
    return await Promise.race([exchange(url, options, controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

async function exchange(url: string, options: BoundedGetOptions, signal: AbortSignal): Promise<unknown> {
  let response: Response;
  try {
    response = await options.fetch(url, {
      signal,
      headers: { accept: "application/json", "user-agent": "ecr-scan-reporter" },
      redirect: "follow",
    });
  } catch (error) {
    throw new IntelFeedError("network", `network error (${networkCause(error)})`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new IntelFeedError("http-status", `HTTP ${response.status}`);
  }
  const text = await readBounded(response, options.maxBytes, signal);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new IntelFeedError("invalid-json", "invalid JSON", { cause: error });
  }
}

/** The body as text, read chunk by chunk and given up as soon as it grows past `maxBytes`. */
async function readBounded(response: Response, maxBytes: number, signal: AbortSignal): Promise<string> {
  const tooLarge = () => new IntelFeedError("too-large", `body larger than ${megabytes(maxBytes)}`);
  const announced = Number(response.headers.get("content-length"));
  if (Number.isFinite(announced) && announced > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      if (signal.aborted) throw new IntelFeedError("timeout", "aborted");
      let read: Awaited<ReturnType<typeof reader.read>>;
      try {
        read = await reader.read();
      } catch (error) {
        throw new IntelFeedError("network", `network error (${networkCause(error)})`, { cause: error });
      }
      if (read.done) break;
      total += read.value.byteLength;
      if (total > maxBytes) throw tooLarge();
      chunks.push(read.value);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** `ECONNREFUSED`, `ENOTFOUND`…: Node's fetch hides the system error in `cause`. */
function networkCause(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  if (cause && typeof cause.code === "string") return cause.code;
  return error instanceof Error ? error.name : "unknown";
}

const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
const megabytes = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${Math.round(bytes / (1024 * 1024))} MB` : `${bytes} bytes`;
