import { ECRServiceException, LimitExceededException, ServerException } from "@aws-sdk/client-ecr";
import { describe, expect, it } from "vitest";
import { isRetryableAwsError, RetryableAwsError } from "../src/errors.js";

const named = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: {}, ...extra });

describe("isRetryableAwsError", () => {
  it.each([
    ["our own RetryableAwsError", new RetryableAwsError("later")],
    ["ThrottlingException", named("ThrottlingException")],
    ["TooManyRequestsException", named("TooManyRequestsException")],
    ["any error answered with HTTP 429", named("SomethingElse", { $metadata: { httpStatusCode: 429 } })],
    ["an error the SDK marks retryable", named("Whatever", { $retryable: { throttling: false } })],
    ["ECR's ServerException (the service's fault)", new ServerException({ message: "boom", $metadata: {} })],
    ["a 503 without a modelled name", named("Unknown", { $metadata: { httpStatusCode: 503 } })],
    ["a 501 (server error, not transient)", named("Unknown", { $metadata: { httpStatusCode: 501 } })],
    ["a reset connection", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })],
    ["a DNS failure that may pass", Object.assign(new Error("lookup"), { code: "EAI_AGAIN" })],
    ["a timeout", named("TimeoutError")],
  ])("retries %s", (_why, error) => {
    expect(isRetryableAwsError(error)).toBe(true);
  });

  it.each([
    [
      "ECR's scan quota, which Smithy would call throttling",
      new LimitExceededException({ message: "quota", $metadata: {} }),
    ],
    ["a validation error (the caller's fault)", named("ValidationException", { $fault: "client" })],
    [
      "a client error with HTTP 400",
      named("InvalidParameterException", { $metadata: { httpStatusCode: 400 } }),
    ],
    [
      "a modelled client-side service exception",
      new ECRServiceException({ name: "RepositoryNotFoundException", $fault: "client", $metadata: {} }),
    ],
    ["an aborted call", named("AbortError")],
    ["a string", "ThrottlingException"],
    ["null", null],
  ])("does not retry %s", (_why, error) => {
    expect(isRetryableAwsError(error)).toBe(false);
  });
});
