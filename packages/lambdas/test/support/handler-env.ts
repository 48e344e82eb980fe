import type { SQSEvent } from "aws-lambda";
import { afterEach, beforeEach, vi } from "vitest";

/**
 * Each test imports a handler afresh (its clients, config and reporters are module state, as in a Lambda
 * container), with the environment it sets: one cold start per test.
 */
export function freshHandlerPerTest(): void {
  beforeEach(() => {
    vi.resetModules();
    vi.stubEnv("AWS_REGION", "eu-west-1");
    // Logs and EMF lines would only be noise here; what a handler logs is asserted in the bundle tests.
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
    vi.stubEnv("POWERTOOLS_METRICS_DISABLED", "true");
    vi.stubEnv("AWS_MAX_ATTEMPTS", "1");
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
}

/** An SQS event for a Lambda event source mapping, one record per body. */
export function sqsEventOf(records: { messageId: string; body: string }[]): SQSEvent {
  return {
    Records: records.map(({ messageId, body }) => ({
      messageId,
      receiptHandle: `rh-${messageId}`,
      body,
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: "0",
        SenderId: "AIDA",
        ApproximateFirstReceiveTimestamp: "0",
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:queue",
      awsRegion: "eu-west-1",
    })),
  };
}
