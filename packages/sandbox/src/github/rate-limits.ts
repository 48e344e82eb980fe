import { randomUUID } from "node:crypto";

// Secondary rate limits as "Rate limits for the REST API" describes them
// (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api): the answer is 403 or 429 with a
// message saying a secondary rate limit was exceeded, and `x-ratelimit-remaining` is not 0 (that would be the
// primary limit). With a `retry-after` header, the client must wait that many seconds; without one, "wait for at
// least one minute". A request before then is limited again (and recorded: a client that does it is wrong).

const MESSAGE =
  "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to " +
  "GitHub Support for help, please include the request ID ";
const DOCUMENTATION =
  "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";
/** "Otherwise, wait for at least one minute before retrying." */
export const SECONDARY_LIMIT_DEFAULT_WAIT_SECONDS = 60;
/** Timers may fire a little early: a retry this close to the end of the wait is not held against the client. */
const TIMER_SLACK_MS = 5;

/** A secondary rate limit to answer. */
export interface SecondaryLimit {
  /** 403 (default) or 429: GitHub answers either. */
  status?: 403 | 429;
  /** The `retry-after` header in seconds; none when undefined (the client must then wait a minute). */
  retryAfter?: number;
  /** Only requests with one of these methods; all when absent. */
  methods?: string[];
}

interface Pending {
  remaining: number;
  status: 403 | 429;
  retryAfter?: number;
  methods?: string[];
}

export interface LimitedAnswer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  /** Set when the request came before the wait of an earlier limit was over. */
  early?: string;
}

/** Pending secondary limits, and the wait the last one asked for. `secondMs` is one second (tests shorten it). */
export class SecondaryRateLimits {
  private pending: Pending[] = [];
  private blocked?: { until: number; limit: Pending; methods?: string[] };

  constructor(private readonly secondMs: number) {}

  /** Answers the next `count` matching requests with a secondary limit. */
  add(count: number, limit: SecondaryLimit): void {
    this.pending.push({
      remaining: count,
      status: limit.status ?? 403,
      retryAfter: limit.retryAfter,
      methods: limit.methods?.map((m) => m.toUpperCase()),
    });
  }

  reset(): void {
    this.pending = [];
    this.blocked = undefined;
  }

  /** The limited answer for a request, or undefined when it may go through. */
  answer(method: string, now = Date.now()): LimitedAnswer | undefined {
    const matches = (methods?: string[]) => !methods || methods.includes(method);
    if (this.blocked && now < this.blocked.until && matches(this.blocked.methods)) {
      const waitedMs = this.blocked.until - now;
      return {
        ...this.limited(this.blocked.limit),
        early: `${method} ${waitedMs} ms before the end of a secondary rate limit's wait`,
      };
    }
    const index = this.pending.findIndex((p) => matches(p.methods));
    const limit = this.pending[index];
    if (!limit) return undefined;
    limit.remaining -= 1;
    if (limit.remaining <= 0) this.pending.splice(index, 1);
    const waitSeconds = limit.retryAfter ?? SECONDARY_LIMIT_DEFAULT_WAIT_SECONDS;
    this.blocked = {
      until: now + waitSeconds * this.secondMs - TIMER_SLACK_MS,
      limit,
      methods: limit.methods,
    };
    return this.limited(limit);
  }

  private limited(limit: Pending): Omit<LimitedAnswer, "early"> {
    const requestId = randomUUID().toUpperCase();
    return {
      status: limit.status,
      body: {
        message: `${MESSAGE}${requestId}.`,
        documentation_url: DOCUMENTATION,
        status: String(limit.status),
      },
      headers: {
        ...(limit.retryAfter === undefined ? {} : { "retry-after": String(limit.retryAfter) }),
        "x-github-request-id": requestId,
        // Not 0: a secondary limit, not the primary one.
        "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "4987",
        "x-ratelimit-used": "13",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
        "x-ratelimit-resource": "core",
      },
    };
  }
}
