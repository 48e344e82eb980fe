import { AwsError } from "./aws-error.js";

/** One page of `items` from an opaque `nextToken`, as AWS list operations page. */
export function paginate<T>(items: readonly T[], maxResults: number, nextToken: unknown) {
  let start = 0;
  if (nextToken !== undefined && nextToken !== null) {
    const decoded =
      typeof nextToken === "string" ? Number(Buffer.from(nextToken, "base64url").toString()) : Number.NaN;
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > items.length) {
      throw new AwsError("InvalidParameterException", "Invalid parameter: nextToken is not valid.");
    }
    start = decoded;
  }
  const end = Math.min(start + maxResults, items.length);
  return {
    page: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(String(end)).toString("base64url") : undefined,
  };
}
