import { ECRServiceException, LimitExceededException, ServerException } from "@aws-sdk/client-ecr";
import { describe, expect, it } from "vitest";
import {
  ConfigError,
  describeError,
  EcrScanReporterError,
  isRetryableAwsError,
  MessageError,
  ReporterError,
  RetryableAwsError,
  reporterRetryAfterSeconds,
  SecretError,
} from "../src/errors.js";

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
    ["undefined", undefined],
  ])("does not retry %s", (_why, error) => {
    expect(isRetryableAwsError(error)).toBe(false);
  });
});

describe("the project's errors", () => {
  // Each error is made in the test, not in the table: Stryker credits a test only with code that runs during it.
  it.each([
    ["MessageError", () => new MessageError("bad body"), "MESSAGE_INVALID", "bad body"],
    ["RetryableAwsError", () => new RetryableAwsError("throttled"), "AWS_RETRYABLE", "throttled"],
    ["SecretError", () => new SecretError("no such secret"), "SECRET_UNAVAILABLE", "no such secret"],
    [
      "ReporterError",
      () => new ReporterError("slack#2", "HTTP 404"),
      "REPORTER_FAILED",
      "reporter slack#2: HTTP 404",
    ],
  ])("%s carries its stable code, its own name and the message", (name, make, code, message) => {
    const error = make();
    expect(error).toBeInstanceOf(EcrScanReporterError);
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(error.message).toBe(message);
  });

  it("keeps the cause and names the reporter of a ReporterError", () => {
    const cause = new Error("socket hang up");
    const error = new ReporterError("github", "could not open the issue", { cause });
    expect(error.reporter).toBe("github");
    expect(error.cause).toBe(cause);
    expect(error.retryAfterSeconds).toBeUndefined();
  });

  it("carries the wait a rate-limited target asked for, in whole seconds, and no cause it was not given", () => {
    const error = new ReporterError("slack", "Slack answered HTTP 429", { retryAfterSeconds: 3_600 });
    expect(error.retryAfterSeconds).toBe(3_600);
    expect("cause" in error).toBe(false);
    expect(reporterRetryAfterSeconds(error)).toBe(3_600);
    expect(new ReporterError("slack", "429", { retryAfterSeconds: 1.2 }).retryAfterSeconds).toBe(2);
    for (const retryAfterSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(new ReporterError("slack", "429", { retryAfterSeconds }).retryAfterSeconds).toBeUndefined();
    }
  });
});

describe("reporterRetryAfterSeconds", () => {
  it("reads the wait of any reporter failure of the same shape (a reporter built against another core)", () => {
    const foreign = Object.assign(new Error("429"), { code: "REPORTER_FAILED", retryAfterSeconds: 120 });
    expect(reporterRetryAfterSeconds(foreign)).toBe(120);
  });

  it("is undefined for anything else: other errors, no wait, a wait that is not a number", () => {
    expect(reporterRetryAfterSeconds(new ReporterError("slack", "HTTP 500"))).toBeUndefined();
    expect(
      reporterRetryAfterSeconds(Object.assign(new Error("x"), { retryAfterSeconds: 60 })),
    ).toBeUndefined();
    expect(reporterRetryAfterSeconds({ code: "REPORTER_FAILED", retryAfterSeconds: "60" })).toBeUndefined();
    expect(reporterRetryAfterSeconds("429")).toBeUndefined();
    expect(reporterRetryAfterSeconds(null)).toBeUndefined();
  });

  it("lists every configuration problem on its own line, a problem without a path as its bare reason", () => {
    const error = new ConfigError(
      [
        { path: "scan.expiry", reason: "required" },
        { path: "", reason: "not valid JSON: SyntaxError: oops" },
      ],
      "config.json",
    );
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toBe(
      "Invalid ecr-scan-reporter configuration (config.json), 2 problem(s):\n" +
        "  - scan.expiry: required\n" +
        "  - not valid JSON: SyntaxError: oops",
    );
    // The user's mistake, not a bug: the "stack" is the message alone, with no frames to hide it.
    expect(error.stack).toBe(`ConfigError: ${error.message}`);
  });
});

describe("describeError", () => {
  it("names an Error by its name and message", () => {
    expect(describeError(new TypeError("x is not a function"))).toBe("TypeError: x is not a function");
    expect(describeError(new SecretError("gone"))).toBe("SecretError: gone");
  });

  it("writes any other thrown value as text", () => {
    expect(describeError("plain text")).toBe("plain text");
    expect(describeError(42)).toBe("42");
    expect(describeError(undefined)).toBe("undefined");
  });
});
