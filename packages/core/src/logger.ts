import { Logger } from "@aws-lambda-powertools/logger";

/** Keys whose values are never logged, whatever they hold. */
const SECRET_KEY =
  /secret|token|password|passphrase|authorization|webhook|api[-_]?key|credential|private[-_]?key/i;

/** Values that are secrets by their shape, wherever they appear in a string. */
const SECRET_VALUE_PATTERNS: readonly RegExp[] = [
  /https:\/\/hooks\.slack\.com\/[^\s"']+/g,
  /https:\/\/[\w.-]+\.webhook\.office\.com\/[^\s"']+/g,
  /https:\/\/[\w.-]+\.logic\.azure\.com[^\s"']*/g,
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g,
  /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
];

export const REDACTED = "[redacted]";

/** Replaces secret-shaped substrings (webhook URLs, GitHub and Slack tokens, access keys) with `[redacted]`. */
export function redactSecrets(text: string): string {
  return SECRET_VALUE_PATTERNS.reduce((out, pattern) => out.replace(pattern, REDACTED), text);
}

/** JSON.stringify replacer that hides secret keys and secret-shaped values; exported for reuse and tests. */
export function redactingReplacer(key: string, value: unknown): unknown {
  // Objects, and null (whose typeof is "object"), are kept: the replacer walks into them, and a reference such as
  // `{ parameter: "/x/token" }` names a secret without holding it.
  if (key && SECRET_KEY.test(key) && typeof value !== "object") return REDACTED;
  if (typeof value === "string") return redactSecrets(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}

/** A Powertools Logger (structured JSON) whose every line passes through the secret redaction. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName, jsonReplacerFn: redactingReplacer });
}

/** The ReporterLogger view of a Powertools Logger: message plus optional structured fields. */
export function toReporterLogger(logger: Logger): {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
} {
  return {
    debug: (message, extra) => logger.debug(message, extra ?? {}),
    info: (message, extra) => logger.info(message, extra ?? {}),
    warn: (message, extra) => logger.warn(message, extra ?? {}),
    error: (message, extra) => logger.error(message, extra ?? {}),
  };
}
