import { ECRClient, StartImageScanCommand } from "@aws-sdk/client-ecr";
import type { RetryErrorInfo, RetryStrategyV2, RetryToken } from "@smithy/types";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createEcrClient, ECR_MAX_ATTEMPTS, ScanQuotaAwareRetryStrategy } from "../src/ecr-client.js";

afterEach(() => {
  vi.unstubAllEnvs();
});

const token = { getRetryCount: () => 0 } as RetryToken;

function fakeInner() {
  const next = { getRetryCount: () => 1 } as RetryToken;
  return {
    next,
    inner: {
      acquireInitialRetryToken: vi.fn(async () => token),
      refreshRetryTokenForRetry: vi.fn(async () => next),
      recordSuccess: vi.fn(),
    } satisfies RetryStrategyV2,
  };
}

describe("ScanQuotaAwareRetryStrategy", () => {
  it("hands a LimitExceededException straight back, without asking the adaptive strategy for a retry", async () => {
    const { inner } = fakeInner();
    const quota = Object.assign(new Error("The scan quota per image has been exceeded"), {
      name: "LimitExceededException",
    });
    const strategy = new ScanQuotaAwareRetryStrategy(inner);
    await expect(
      strategy.refreshRetryTokenForRetry(token, { errorType: "THROTTLING", error: quota } as RetryErrorInfo),
    ).rejects.toBe(quota);
    expect(inner.refreshRetryTokenForRetry).not.toHaveBeenCalled();
  });

  it.each([
    [
      "throttling",
      {
        errorType: "THROTTLING",
        error: Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }),
      },
    ],
    [
      "a server error",
      { errorType: "TRANSIENT", error: Object.assign(new Error("boom"), { name: "ServerException" }) },
    ],
    ["an error info with no error", { errorType: "TRANSIENT" }],
  ])("leaves %s to the adaptive strategy", async (_case, errorInfo) => {
    const { inner, next } = fakeInner();
    const strategy = new ScanQuotaAwareRetryStrategy(inner);
    await expect(strategy.refreshRetryTokenForRetry(token, errorInfo as RetryErrorInfo)).resolves.toBe(next);
    expect(inner.refreshRetryTokenForRetry).toHaveBeenCalledWith(token, errorInfo);
  });

  it("passes the first token and each success through to the adaptive strategy", async () => {
    const { inner } = fakeInner();
    const strategy = new ScanQuotaAwareRetryStrategy(inner);
    await expect(strategy.acquireInitialRetryToken("ecr:StartImageScan")).resolves.toBe(token);
    expect(inner.acquireInitialRetryToken).toHaveBeenCalledWith("ecr:StartImageScan");
    strategy.recordSuccess(token);
    expect(inner.recordSuccess).toHaveBeenCalledWith(token);
  });
});

describe("createEcrClient", () => {
  // These tests need the SDK's own `send`: a stub another test file left on ECRClient.prototype (files share a
  // worker, `isolate: false`) would answer instead of the fake HTTP handler.
  beforeAll(() => mockClient(ECRClient).restore());

  const attemptsOf = (client: ECRClient) => client.config.maxAttempts();

  it.each([
    ["unset", undefined, ECR_MAX_ATTEMPTS],
    ["a positive integer", "3", 3],
    ["zero", "0", ECR_MAX_ATTEMPTS],
    ["negative", "-2", ECR_MAX_ATTEMPTS],
    ["not an integer", "2.5", ECR_MAX_ATTEMPTS],
    ["not a number", "many", ECR_MAX_ATTEMPTS],
  ])("takes its attempts from AWS_MAX_ATTEMPTS when that is %s", async (_case, value, expected) => {
    vi.stubEnv("AWS_MAX_ATTEMPTS", value);
    expect(ECR_MAX_ATTEMPTS).toBe(8);
    await expect(attemptsOf(createEcrClient({ region: "eu-west-1" }))).resolves.toBe(expected);
  });

  it("prefers the attempts its caller names to AWS_MAX_ATTEMPTS", async () => {
    vi.stubEnv("AWS_MAX_ATTEMPTS", "5");
    await expect(attemptsOf(createEcrClient({ region: "eu-west-1", maxAttempts: 2 }))).resolves.toBe(2);
  });

  it("keeps the rest of its caller's configuration and uses the scan-quota-aware strategy", async () => {
    const client = createEcrClient({ region: "ap-south-2" });
    await expect(client.config.region()).resolves.toBe("ap-south-2");
    await expect(client.config.retryStrategy()).resolves.toBeInstanceOf(ScanQuotaAwareRetryStrategy);
  });

  /** A client whose HTTP handler answers every request with the given ECR error, counting requests. */
  function clientAnswering(errorType: string, statusCode: number) {
    let requests = 0;
    const client = createEcrClient({
      region: "eu-west-1",
      maxAttempts: 2,
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
      requestHandler: {
        handle: async () => {
          requests += 1;
          return {
            response: {
              statusCode,
              headers: { "content-type": "application/x-amz-json-1.1" },
              body: new TextEncoder().encode(JSON.stringify({ __type: errorType, message: "from the fake" })),
            },
          };
        },
      } as never,
    });
    // The SDK's own send, past any aws-sdk-client-mock stub another test file left on ECRClient.prototype (unit
    // test files share their modules): this test is about the retry middleware that such a stub skips.
    const sdkSend = Object.getPrototypeOf(ECRClient.prototype).send as (
      this: ECRClient,
      command: StartImageScanCommand,
    ) => Promise<unknown>;
    const send = () =>
      sdkSend.call(
        client,
        new StartImageScanCommand({ repositoryName: "team-a/api", imageId: { imageDigest: "sha256:abc" } }),
      );
    return { send, requests: () => requests };
  }

  it("sends StartImageScan once when ECR answers with the scan quota: the SDK does not retry it", async () => {
    const ecr = clientAnswering("LimitExceededException", 400);
    await expect(ecr.send()).rejects.toMatchObject({ name: "LimitExceededException" });
    expect(ecr.requests()).toBe(1);
  });

  it("retries a server error up to its attempts", async () => {
    const ecr = clientAnswering("ServerException", 500);
    await expect(ecr.send()).rejects.toMatchObject({ name: "ServerException" });
    expect(ecr.requests()).toBe(2);
  });
});
