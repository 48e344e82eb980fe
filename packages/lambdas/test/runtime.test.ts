import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

// runtime.ts holds the configuration promise as module state: each test imports it afresh (a cold start).
const ssm = mockClient(SSMClient);
const dynamodb = mockClient(DynamoDBClient);
let parameterCount = 0;

// Loading runtime.ts the first time (core transformed, the SSM provider and its SDK client) is slow on a busy
// machine; later loads reuse that work, so the first test's timeout is not spent on it.
beforeAll(async () => {
  await import("../src/runtime.js");
}, 60_000);

beforeEach(() => {
  vi.resetModules();
  ssm.reset();
  dynamodb.reset();
  vi.stubEnv("AWS_REGION", "eu-west-1");
  vi.stubEnv("AWS_MAX_ATTEMPTS", "1");
  vi.stubEnv("ECR_SCAN_REPORTER_CONFIG", "");
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const runtime = () => import("../src/runtime.js");

/** A parameter name no other test used: the Powertools parameter cache lives as long as the process. */
function freshParameter(): string {
  parameterCount += 1;
  const name = `/ecr-scan-reporter/runtime-test-${parameterCount}-${Date.now()}`;
  vi.stubEnv("ECR_SCAN_REPORTER_CONFIG_PARAMETER", name);
  return name;
}

describe("getConfig", () => {
  it("reads the SSM parameter decrypted, once per cold start", async () => {
    const name = freshParameter();
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: JSON.stringify({ thresholds: { LOW: 3 } }) } });
    const { getConfig } = await runtime();
    const first = await getConfig();
    expect(first.thresholds.LOW).toBe(3);
    await expect(getConfig()).resolves.toBe(first);
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input)).toEqual([
      { Name: name, WithDecryption: true },
    ]);
  });

  it("does not keep a failed load: the next invocation reads the parameter again", async () => {
    freshParameter();
    ssm
      .on(GetParameterCommand)
      .rejectsOnce(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: {} }))
      .resolves({ Parameter: { Value: "{}" } });
    const { getConfig } = await runtime();
    await expect(getConfig()).rejects.toMatchObject({ code: "CONFIG_NOT_FOUND" });
    await expect(getConfig()).resolves.toMatchObject({ reporters: expect.any(Array) });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });
});

describe("requireEnv", () => {
  it("returns the variable's value", async () => {
    vi.stubEnv("SOME_QUEUE_URL", "https://sqs/queue");
    const { requireEnv } = await runtime();
    expect(requireEnv("SOME_QUEUE_URL", "it names a queue")).toBe("https://sqs/queue");
  });

  it.each([
    ["unset", undefined],
    ["empty", ""],
  ])("fails with a message naming the variable and its purpose when it is %s", async (_case, value) => {
    vi.stubEnv("SOME_QUEUE_URL", value);
    const { requireEnv } = await runtime();
    expect(() => requireEnv("SOME_QUEUE_URL", "it names a queue")).toThrow(
      expect.objectContaining({
        code: "CONFIG_NOT_FOUND",
        message: "The environment variable SOME_QUEUE_URL is not set: it names a queue.",
      }),
    );
  });
});

describe("createMetrics", () => {
  function namespaceAndService(metrics: import("@aws-lambda-powertools/metrics").Metrics) {
    metrics.addMetric("Probe", MetricUnit.Count, 1);
    const emf = metrics.serializeMetrics();
    return [emf._aws.CloudWatchMetrics[0]?.Namespace, emf.service];
  }

  it("writes to the EcrScanReporter namespace, with the function as its service", async () => {
    vi.stubEnv("POWERTOOLS_METRICS_NAMESPACE", undefined);
    const { createMetrics, METRICS_NAMESPACE } = await runtime();
    expect(METRICS_NAMESPACE).toBe("EcrScanReporter");
    expect(namespaceAndService(createMetrics("scan-images"))).toEqual(["EcrScanReporter", "scan-images"]);
  });

  it("lets POWERTOOLS_METRICS_NAMESPACE choose the namespace", async () => {
    vi.stubEnv("POWERTOOLS_METRICS_NAMESPACE", "Platform/Ecr");
    const { createMetrics } = await runtime();
    expect(namespaceAndService(createMetrics("report-findings"))).toEqual([
      "Platform/Ecr",
      "report-findings",
    ]);
  });
});

describe("createLedger", () => {
  const logger = { debug() {}, info() {}, warn() {}, error() {} };

  it("opens the stand-in that keeps nothing when LEDGER_TABLE_NAME is not set", async () => {
    vi.stubEnv("LEDGER_TABLE_NAME", undefined);
    const { createLedger } = await runtime();
    expect(createLedger(logger).enabled).toBe(false);
  });

  it("opens the table LEDGER_TABLE_NAME names", async () => {
    vi.stubEnv("LEDGER_TABLE_NAME", "ecr-scan-reporter-ledger");
    dynamodb.on(UpdateItemCommand).resolves({});
    const { createLedger } = await runtime();
    const ledger = createLedger(logger);
    expect(ledger.enabled).toBe(true);
    await ledger.expireReferences([
      { registryId: "123456789012", repository: "team-a/api", digest: "sha256:abc", tag: "v1" },
    ]);
    const [call] = dynamodb.commandCalls(UpdateItemCommand);
    expect(call?.args[0].input.TableName).toBe("ecr-scan-reporter-ledger");
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  ssm.restore();
  dynamodb.restore();
});
