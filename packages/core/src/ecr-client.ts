import { ECRClient, type ECRClientConfig } from "@aws-sdk/client-ecr";
import { AdaptiveRetryStrategy } from "@smithy/core/retry";
import type { RetryErrorInfo, RetryStrategyV2, RetryToken, StandardRetryToken } from "@smithy/types";

/** Attempts per ECR call, first one included, unless AWS_MAX_ATTEMPTS says otherwise; throttling is ridden out by the SDK's adaptive retry. */
export const ECR_MAX_ATTEMPTS = 8;

/**
 * The SDK classifies every `LimitExceededException` as throttling and would back off and retry it. For ECR's
 * StartImageScan it means the per-image or per-registry scan quota (docs/architecture.md, "AWS facts"): waiting seconds cannot mend a
 * 24-hour quota, so the error goes straight back to the caller, and the adaptive rate limiter is not slowed.
 */
export class ScanQuotaAwareRetryStrategy implements RetryStrategyV2 {
  constructor(private readonly inner: RetryStrategyV2) {}

  acquireInitialRetryToken(retryTokenScope: string): Promise<RetryToken> {
    return this.inner.acquireInitialRetryToken(retryTokenScope);
  }

  refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    if ((errorInfo.error as { name?: string } | undefined)?.name === "LimitExceededException") {
      return Promise.reject(errorInfo.error);
    }
    return this.inner.refreshRetryTokenForRetry(token, errorInfo);
  }

  recordSuccess(token: RetryToken): void {
    this.inner.recordSuccess(token as StandardRetryToken);
  }
}

/**
 * An ECR client with adaptive retry for throttling and no retry for scan quotas. Endpoints come from the SDK's
 * standard variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_ECR), so the same code runs against AWS or a sandbox.
 */
export function createEcrClient(config: ECRClientConfig = {}): ECRClient {
  const fromEnv = Number(process.env.AWS_MAX_ATTEMPTS);
  const maxAttempts =
    typeof config.maxAttempts === "number"
      ? config.maxAttempts
      : Number.isInteger(fromEnv) && fromEnv > 0
        ? fromEnv
        : ECR_MAX_ATTEMPTS;
  return new ECRClient({
    ...config,
    maxAttempts,
    retryStrategy: new ScanQuotaAwareRetryStrategy(new AdaptiveRetryStrategy(maxAttempts)),
  });
}
