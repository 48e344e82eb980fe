/** An error answered the way AWS JSON protocols answer it: `__type` names the exception, HTTP 400 by default. */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The ValidationException AWS returns when a parameter breaks its documented bounds. */
export function validationError(member: string, value: unknown, constraint: string): AwsError {
  return new AwsError(
    "ValidationException",
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

/** Checks an optional integer against its documented [min, max] (e.g. ECR's maxResults 1–1000). */
export function checkRange(member: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw validationError(member, value, `Member must have value greater than or equal to ${min}`);
  }
  if (value > max)
    throw validationError(member, value, `Member must have value less than or equal to ${max}`);
  return value;
}
