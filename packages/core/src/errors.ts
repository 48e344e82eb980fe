import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";
import type { SdkError } from "@smithy/types";

/** Stable, machine-readable codes of the errors ecr-scan-reporter raises. */
export type ErrorCode =
  | "CONFIG_INVALID"
  | "CONFIG_NOT_FOUND"
  | "MESSAGE_INVALID"
  | "AWS_RETRYABLE"
  | "QUEUE_SEND_FAILED"
  | "DIGEST_FAILED"
  | "REPORTER_FAILED"
  | "SECRET_UNAVAILABLE"
  | "ACCOUNT_UNREACHABLE"
  | "ACCOUNT_NOT_LISTED";

/** Base of every error the project raises: a stable `code`, a message that says how to fix it, the `cause` kept. */
export class EcrScanReporterError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem in the configuration document, as `path: reason`. */
export interface ConfigProblem {
  path: string;
  reason: string;
  /** Where a JSON syntax error is (1-based), so editors and terminals can jump to it: `file:line:column`. */
  line?: number;
  column?: number;
}

/** The configuration is unusable; `problems` lists every mistake at once. */
export class ConfigError extends EcrScanReporterError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], source: string) {
    const lines = problems.map((p) => {
      if (p.line !== undefined) return `${source}:${p.line}:${p.column ?? 1}: ${p.reason}`;
      return p.path ? `${p.path}: ${p.reason}` : p.reason;
    });
    super(
      "CONFIG_INVALID",
      `Invalid ecr-scan-reporter configuration (${source}), ${problems.length} problem(s):\n${lines.map((l) => `  - ${l}`).join("\n")}`,
    );
    this.problems = problems;
    // A bad config is the user's mistake, not a bug: the stack trace would only hide the list.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/** A queue message that does not match its schema: logged with its id and dropped, never retried. */
export class MessageError extends EcrScanReporterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MESSAGE_INVALID", message, options);
  }
}

/** An AWS error that a later retry can mend (throttling that outlasted the SDK's retries, 5xx). */
export class RetryableAwsError extends EcrScanReporterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("AWS_RETRYABLE", message, options);
  }
}

/**
 * True when an AWS SDK error is worth another try later: throttling, a transient or network failure, a 5xx — as
 * the SDK's own retry strategy classifies them (Smithy's `isThrottlingError`, `isTransientError`,
 * `isServerError`), plus any error the service marks as its fault. Not `LimitExceededException`, which Smithy
 * counts as throttling but which ECR uses for its 24-hour scan quotas: waiting minutes cannot mend it.
 */
export function isRetryableAwsError(error: unknown): boolean {
  if (error instanceof RetryableAwsError) return true;
  if (typeof error !== "object" || error === null) return false;
  // A member role that could not be assumed (accounts/credentials.ts) says itself whether STS may answer later.
  if ((error as { code?: unknown }).code === "ACCOUNT_UNREACHABLE")
    return (error as { retryable?: unknown }).retryable === true;
  const e = error as SdkError & { $fault?: string };
  if (e.name === "LimitExceededException") return false;
  return isThrottlingError(e) || isTransientError(e) || isServerError(e) || e.$fault === "server";
}

/** A short, secret-free description of any thrown value, for logs and summaries. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * A reporter could not send; `reporter` names it (its id, e.g. `slack` or `slack#2`). `retryAfterSeconds` is how
 * long the target asked to be left alone (an HTTP 429's `Retry-After`): the targeted retry waits at least that long
 * (events/report-jobs.ts `planReporterRetry`, within SQS's 900 s).
 */
export class ReporterError extends EcrScanReporterError {
  readonly reporter: string;
  readonly retryAfterSeconds?: number;

  constructor(reporter: string, message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    const { retryAfterSeconds, ...errorOptions } = options ?? {};
    super("REPORTER_FAILED", `reporter ${reporter}: ${message}`, errorOptions);
    this.reporter = reporter;
    const wait = wholeSecondsOrUndefined(retryAfterSeconds);
    if (wait !== undefined) this.retryAfterSeconds = wait;
  }
}

/** A positive wait in whole seconds (rounded up), or undefined for anything else (0, negative, NaN, not a number). */
function wholeSecondsOrUndefined(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.ceil(value) : undefined;
}

/**
 * The wait a failed reporter asked for (its ReporterError's `retryAfterSeconds`), or undefined. Read by shape, not
 * by class: a reporter package built against another copy of core throws another class of the same shape.
 */
export function reporterRetryAfterSeconds(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, retryAfterSeconds } = error as { code?: unknown; retryAfterSeconds?: unknown };
  return code === "REPORTER_FAILED" ? wholeSecondsOrUndefined(retryAfterSeconds) : undefined;
}

/** A secret reference could not be resolved. The message names the reference, never its value. */
export class SecretError extends EcrScanReporterError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("SECRET_UNAVAILABLE", message, options);
  }
}
