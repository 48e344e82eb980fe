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

/** The error AWS returns when a parameter breaks its documented bounds (ValidationException unless told). */
export function validationError(
  member: string,
  value: unknown,
  constraint: string,
  type = "ValidationException",
): AwsError {
  return new AwsError(
    type,
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

/**
 * Checks an optional integer against its documented [min, max] (e.g. ECR's maxResults 1–1000), answering with the
 * service's own error type for it.
 */
export function checkRange(
  member: string,
  value: unknown,
  min: number,
  max: number,
  errorType = "ValidationException",
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw validationError(member, value, `Member must have value greater than or equal to ${min}`, errorType);
  }
  if (value > max)
    throw validationError(member, value, `Member must have value less than or equal to ${max}`, errorType);
  return value;
}
