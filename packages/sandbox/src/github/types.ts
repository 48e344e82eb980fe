import type { SecondaryLimit } from "./rate-limits.js";

/** One request the receiver answered, as it came in. */
export interface GitHubRequestRecord {
  method: string;
  /** The path without the receiver's prefix (`/repos/acme/security/issues`). */
  path: string;
  query: Record<string, string>;
  body?: unknown;
  /** The operation of the description it matched (`issues/create`), if any. */
  operationId?: string;
  status: number;
}

/** A request that does not conform to GitHub's description, and why. */
export interface GitHubViolation {
  method: string;
  path: string;
  operationId?: string;
  problems: string[];
}

/** An issue as the receiver holds it. */
export interface ReceivedIssue {
  /** `owner/repo`. */
  repository: string;
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  stateReason: string | null;
  labels: string[];
  assignees: string[];
  comments: number;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

/** A comment as the receiver holds it. */
export interface ReceivedComment {
  repository: string;
  issueNumber: number;
  id: number;
  body: string;
  createdAt: string;
}

/** What the token may do in a repository (`permissions` of "Get a repository"). */
export interface RepositoryPermissions {
  admin: boolean;
  maintain: boolean;
  push: boolean;
  triage: boolean;
  pull: boolean;
}

export interface GitHubReceiverOptions {
  /** `/api/v3` to stand in for GitHub Enterprise Server; empty (api.github.com) by default. */
  pathPrefix?: string;
  /** Repositories that exist, as `owner/repo` (default `acme/security`). */
  repositories?: string[];
  /** The token that authenticates (as `token X` or `Bearer X`); any token when unset. */
  token?: string;
  /** The token's permissions in every repository (default: write access). */
  permissions?: Partial<RepositoryPermissions>;
  /** Also checks every answer against the operation's response schema (into `responseViolations`). */
  validateResponses?: boolean;
  /** Milliseconds since the epoch, for timestamps (default Date.now). */
  now?: () => number;
  /**
   * One second of a rate limit's wait, in milliseconds (default 1,000): tests shorten it along with the client's
   * own (the reporter's `retryBaseMs`), so a minute without `retry-after` takes 60 of them.
   */
  secondMs?: number;
}

export interface GitHubReceiver {
  /** The API base URL to give Octokit as `baseUrl` (`http://127.0.0.1:PORT` or `…/api/v3`). */
  url: string;
  requests: GitHubRequestRecord[];
  /** Requests that do not match GitHub's description; a conforming client leaves this empty. */
  violations: GitHubViolation[];
  /** Answers of the receiver that do not match the description (only with `validateResponses`). */
  responseViolations: GitHubViolation[];
  issues: ReceivedIssue[];
  comments: ReceivedComment[];
  /** Adds a repository (`owner/repo`), optionally with its own permissions. */
  addRepository(fullName: string, permissions?: Partial<RepositoryPermissions>): void;
  /**
   * Answers the next `count` requests (only those with one of `methods`, when given) with GitHub's secondary rate
   * limit answer: 403, `retry-after` (1 second unless told), and the documented message.
   */
  injectSecondaryRateLimit(count: number, options?: { retryAfterSeconds?: number; methods?: string[] }): void;
  /**
   * Answers the next matching request with a secondary rate limit: 403 (default) or 429, with `retry-after` when
   * `retryAfter` is given and without it otherwise. Until the wait is over (`retryAfter` seconds, else a minute),
   * matching requests get the same answer and are recorded as violations.
   */
  secondaryLimitOnce(limit?: SecondaryLimit): void;
  /** Forgets every issue, comment, request and violation (repositories stay). */
  reset(): void;
  close(): Promise<void>;
}
