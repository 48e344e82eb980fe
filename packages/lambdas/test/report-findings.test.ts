import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeImageScanFindingsCommand, ECRClient } from "@aws-sdk/client-ecr";
import { GetTopicAttributesCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import {
  buildFindingsWaitMessageBody,
  buildRetryMessageBody,
  MAX_FINDINGS_WAITS,
  MAX_REPORT_ATTEMPTS,
  RETRY_ENVELOPE_VERSION,
} from "@ecr-scan-reporter/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import { retrySettingsOf } from "./support/clients.js";
import { freshHandlerPerTest, sqsEventOf } from "./support/handler-env.js";
import { captureHandlerOutput, logsWith, metricValues } from "./support/output.js";

// The report-findings handler's wiring, from its source, with the AWS clients mocked: what reaches SQS, SNS and
// the batch response. The same flow on the sandbox through the built bundle: test/report-findings.bundle.test.ts.

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:ecr-findings";
const QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/report";
const DLQ = "https://sqs.eu-west-1.amazonaws.com/123456789012/report-dlq";
const fixture = JSON.parse(
  readFileSync(
    new URL("../../../test/fixtures/events/ecr-image-scan-complete-tagged.json", import.meta.url),
    "utf8",
  ),
) as Record<string, unknown> & { detail: Record<string, unknown> };
// The event counts exactly the one finding ECR returns below.
const scanEvent = { ...fixture, detail: { ...fixture.detail, "finding-severity-counts": { CRITICAL: 1 } } };
/** The same scan, whose event counted three findings where ECR returns one so far. */
const eventCountingThree = {
  ...fixture,
  detail: { ...fixture.detail, "finding-severity-counts": { CRITICAL: 3 } },
};

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);

freshHandlerPerTest();

beforeEach(() => {
  ecr.reset();
  sns.reset();
  sqs.reset();
  vi.stubEnv("REPORT_QUEUE_URL", QUEUE);
  vi.stubEnv("REPORT_DLQ_URL", DLQ);
  vi.stubEnv(
    "ECR_SCAN_REPORTER_CONFIG",
    JSON.stringify({ reporters: [{ use: "sns", options: { topicArn: TOPIC } }] }),
  );
  ecr.on(DescribeImageScanFindingsCommand).resolves({
    imageScanStatus: { status: "COMPLETE" },
    imageScanFindings: {
      imageScanCompletedAt: new Date("2026-03-02T09:15:00Z"),
      findings: [
        {
          name: "CVE-2026-0001",
          severity: "CRITICAL",
          attributes: [{ key: "package_name", value: "openssl" }],
        },
      ],
    },
  });
  sns.on(GetTopicAttributesCommand).resolves({ Attributes: { TopicArn: TOPIC } });
  sqs.on(SendMessageCommand).resolves({ MessageId: "sent" });
});

async function invoke(records: { messageId: string; body: string }[]) {
  const { handler } = await import("../src/report-findings.js");
  return handler(sqsEventOf(records));
}

const retryOf = (attempt: number) => buildRetryMessageBody(scanEvent, ["sns"], attempt);

describe("report-findings handler", () => {
  it("publishes one report for one scan event and settles the message", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const response = await invoke([{ messageId: "a", body: JSON.stringify(scanEvent) }]);
    expect(response.batchItemFailures).toEqual([]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(ecr.commandCalls(DescribeImageScanFindingsCommand)[0]?.args[0].input).toMatchObject({
      registryId: "123456789012",
      repositoryName: "team-a/api",
      imageId: { imageDigest: fixture.detail["image-digest"] },
    });
  });

  it.each([
    [1, 60],
    [2, 120],
    [3, 240],
    [4, 480],
  ])("re-queues only the failed reporter after delivery %i, delayed %i s", async (attempt, delay) => {
    sns.on(PublishCommand).rejects(new Error("SNS is down"));
    const body = attempt === 1 ? JSON.stringify(scanEvent) : retryOf(attempt);
    const response = await invoke([{ messageId: "a", body }]);
    // The failed reporter alone goes back, so nothing else is sent twice: SQS deletes the message.
    expect(response.batchItemFailures).toEqual([]);
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.QueueUrl).toBe(QUEUE);
    expect(sent[0]?.DelaySeconds).toBe(delay);
    expect(JSON.parse(sent[0]?.MessageBody ?? "{}").ecrScanReporter).toEqual({
      version: RETRY_ENVELOPE_VERSION,
      retryReporters: ["sns"],
      attempt: attempt + 1,
    });
  });

  it.each([5, 6])("parks the failed reporter in the dead-letter queue after delivery %i", async (attempt) => {
    // MAX_REPORT_ATTEMPTS deliveries, or more (a message re-queued under a larger limit).
    expect(attempt).toBeGreaterThanOrEqual(MAX_REPORT_ATTEMPTS);
    sns.on(PublishCommand).rejects(new Error("SNS is down"));
    const response = await invoke([{ messageId: "a", body: retryOf(attempt) }]);
    expect(response.batchItemFailures).toEqual([]);
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent.map((s) => [s.QueueUrl, s.DelaySeconds])).toEqual([[DLQ, 0]]);
    expect(JSON.parse(sent[0]?.MessageBody ?? "{}").ecrScanReporter).toMatchObject({
      retryReporters: ["sns"],
    });
  });

  it("redelivers the whole message when the failed reporter cannot be re-queued", async () => {
    sns.on(PublishCommand).rejects(new Error("SNS is down"));
    sqs.on(SendMessageCommand).rejects(new Error("SQS is down too"));
    const response = await invoke([{ messageId: "a", body: JSON.stringify(scanEvent) }]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "a" }]);
  });

  it("delivers once when a retry and a plain event for the same image share a batch", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const response = await invoke([
      { messageId: "retry", body: retryOf(2) },
      { messageId: "plain", body: JSON.stringify(scanEvent) },
    ]);
    expect(response.batchItemFailures).toEqual([]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(ecr.commandCalls(DescribeImageScanFindingsCommand)).toHaveLength(1);
  });

  describe("with two reporters, sns and sns#2 (two topics)", () => {
    const TOPIC_2 = `${TOPIC}-2`;
    beforeEach(() => {
      vi.stubEnv(
        "ECR_SCAN_REPORTER_CONFIG",
        JSON.stringify({
          reporters: [
            { use: "sns", options: { topicArn: TOPIC } },
            { use: "sns", options: { topicArn: TOPIC_2 } },
          ],
        }),
      );
    });
    const publishedTo = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input.TopicArn);

    it.each([
      ["retry", "plain"],
      ["plain", "retry"],
    ])(
      "delivers once per reporter when a retry of sns#2 and a plain event share a batch (%s first)",
      async (...order) => {
        sns.on(PublishCommand).resolves({ MessageId: "m-1" });
        const bodies = {
          retry: buildRetryMessageBody(scanEvent, ["sns#2"], 2),
          plain: JSON.stringify(scanEvent),
        };
        const response = await invoke(
          order.map((messageId) => ({ messageId, body: bodies[messageId as "retry"] })),
        );
        expect(response.batchItemFailures).toEqual([]);
        // The plain event runs every reporter; the retry adds nothing to it.
        expect(publishedTo().sort()).toEqual([TOPIC, TOPIC_2]);
        expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
      },
    );

    it("merges two retries of one image into one delivery, and re-queues both reporters once when they fail again", async () => {
      sns.on(PublishCommand).rejects(new Error("SNS is down"));
      const response = await invoke([
        { messageId: "first", body: buildRetryMessageBody(scanEvent, ["sns"], 2) },
        { messageId: "second", body: buildRetryMessageBody(scanEvent, ["sns#2"], 3) },
      ]);
      expect(response.batchItemFailures).toEqual([]);
      expect(publishedTo().sort()).toEqual([TOPIC, TOPIC_2]);
      const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
      // The later of the two attempts counts: delivery 3 failed, so delivery 4 after 60·2² s.
      expect(sent.map((m) => [m.QueueUrl, m.DelaySeconds])).toEqual([[QUEUE, 240]]);
      expect(JSON.parse(sent[0]?.MessageBody ?? "{}").ecrScanReporter).toMatchObject({
        retryReporters: ["sns", "sns#2"],
        attempt: 4,
      });
    });
  });

  it("has SQS redeliver the message when the findings read is throttled past the SDK's retries", async () => {
    ecr
      .on(DescribeImageScanFindingsCommand)
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: {} }));
    const response = await invoke([{ messageId: "a", body: JSON.stringify(scanEvent) }]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "a" }]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("waits for the findings the event counted: re-queued with a delay, nothing sent yet", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const response = await invoke([{ messageId: "a", body: JSON.stringify(eventCountingThree) }]);
    expect(response.batchItemFailures).toEqual([]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent.map((m) => [m.QueueUrl, m.DelaySeconds])).toEqual([[QUEUE, 60]]);
    expect(JSON.parse(sent[0]?.MessageBody ?? "{}")).toEqual({
      ecrScanReporter: { version: RETRY_ENVELOPE_VERSION, attempt: 1, findingsWaits: 1 },
      event: eventCountingThree,
    });
  });

  it("has SQS redeliver the message when the waiting report cannot be re-queued: nothing lost, nothing sent", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    sqs.on(SendMessageCommand).rejects(new Error("SQS is down"));
    const response = await invoke([{ messageId: "a", body: JSON.stringify(eventCountingThree) }]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "a" }]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("after the last wait, sends what is there once, marked as possibly incomplete", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const body = buildFindingsWaitMessageBody(eventCountingThree, MAX_FINDINGS_WAITS);
    const response = await invoke([{ messageId: "a", body }]);
    expect(response.batchItemFailures).toEqual([]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Message ?? "");
    expect(published).toHaveLength(1);
    expect(published[0]).toContain("3 findings");
    expect(published[0]).toMatch(/may be incomplete/);
  });

  it("moves a malformed message to the dead-letter queue as it is, and reports nothing", async () => {
    const response = await invoke([{ messageId: "bad", body: "{not json" }]);
    expect(response.batchItemFailures).toEqual([]);
    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent).toEqual([{ QueueUrl: DLQ, MessageBody: "{not json" }]);
    expect(ecr.commandCalls(DescribeImageScanFindingsCommand)).toHaveLength(0);
  });
});

describe("report-findings handler: what it logs and measures", () => {
  const context = {
    functionName: "ecr-scan-reporter-report-findings",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:ecr-scan-reporter-report-findings",
    memoryLimitInMB: "512",
    awsRequestId: "req-7",
    logGroupName: "/aws/lambda/ecr-scan-reporter-report-findings",
    logStreamName: "stream",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 60_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  const s3Event = {
    version: "0",
    id: "s3-event-1",
    "detail-type": "Object Created",
    source: "aws.s3",
    account: "123456789012",
    time: "2026-03-02T09:15:27Z",
    region: "eu-west-1",
    resources: [],
    detail: {},
  };

  it("sums the batch: reports, dropped and retried messages, each outcome; logs why an event is ignored", async () => {
    const output = captureHandlerOutput();
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const { handler } = await import("../src/report-findings.js");
    const response = await handler(
      sqsEventOf([
        { messageId: "a", body: JSON.stringify(scanEvent) },
        { messageId: "s3", body: JSON.stringify(s3Event) },
        { messageId: "bad", body: "{not json" },
      ]),
      context,
    );
    expect(response.batchItemFailures).toEqual([]);
    const { logs, metrics } = output;
    expect(logsWith(logs, "ignoring event")).toEqual([
      expect.objectContaining({
        level: "INFO",
        messageId: "s3",
        eventId: "s3-event-1",
        reason: expect.stringContaining("is not a scan-completion event"),
      }),
    ]);
    expect(logsWith(logs, "malformed report message moved to the dead-letter queue")).toEqual([
      expect.objectContaining({ messageId: "bad", deadLettered: true }),
    ]);
    expect(logsWith(logs, "reporters ready")).toEqual([expect.objectContaining({ reporters: ["sns"] })]);
    expect(logsWith(logs, "report-findings summary")).toEqual([
      expect.objectContaining({
        level: "INFO",
        function_request_id: "req-7",
        summary: { messages: 3, dropped: 2, reports: 1, outcomes: { reported: 1 }, messagesRetried: 0 },
      }),
    ]);
    expect(new Set(logs.map((line) => line.service))).toEqual(new Set(["report-findings"]));
    expect(new Set(metrics.map((line) => line.service))).toEqual(new Set(["report-findings"]));
    const [dlqCall] = sqs.commandCalls(SendMessageCommand);
    expect(await retrySettingsOf(dlqCall as { thisValue: unknown })).toEqual({
      maxAttempts: 8,
      mode: "adaptive",
    });
    expect(metricValues(metrics, "Reports")).toEqual([{ value: 1, dimensions: {} }]);
    expect(metricValues(metrics, "MessagesDropped")).toEqual([{ value: 2, dimensions: {} }]);
    expect(metricValues(metrics, "MessagesRetried")).toEqual([{ value: 0, dimensions: {} }]);
  });

  it("counts the messages SQS must deliver again, by outcome", async () => {
    const output = captureHandlerOutput();
    ecr
      .on(DescribeImageScanFindingsCommand)
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: {} }));
    const otherImage = {
      ...scanEvent,
      detail: { ...scanEvent.detail, "image-digest": `sha256:${"e".repeat(64)}` },
    };
    const response = await invoke([
      { messageId: "a", body: JSON.stringify(scanEvent) },
      { messageId: "b", body: JSON.stringify(otherImage) },
    ]);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(["a", "b"]);
    expect(logsWith(output.logs, "report-findings summary")[0]?.summary).toEqual({
      messages: 2,
      dropped: 0,
      reports: 2,
      outcomes: { "fetch-retry": 2 },
      messagesRetried: 2,
    });
    expect(metricValues(output.metrics, "Reports")).toEqual([{ value: 2, dimensions: {} }]);
    expect(metricValues(output.metrics, "MessagesRetried")).toEqual([{ value: 2, dimensions: {} }]);
    expect(metricValues(output.metrics, "MessagesDropped")).toEqual([{ value: 0, dimensions: {} }]);
  });

  it("warns when a reporter fails its check at cold start, and still tries it for the report", async () => {
    const output = captureHandlerOutput();
    sns
      .on(GetTopicAttributesCommand)
      .rejects(Object.assign(new Error("no topic"), { name: "NotFoundException" }));
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const response = await invoke([{ messageId: "a", body: JSON.stringify(scanEvent) }]);
    expect(response.batchItemFailures).toEqual([]);
    expect(
      logsWith(output.logs, "reporter verification failed; it will still be tried for each report"),
    ).toEqual([
      expect.objectContaining({
        level: "WARN",
        reporter: "sns",
        error: expect.stringContaining("cannot read SNS topic"),
      }),
    ]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
  });

  it("loads and checks the reporters once per cold start, not once per invocation", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    await invoke([{ messageId: "a", body: JSON.stringify(scanEvent) }]);
    await invoke([{ messageId: "b", body: JSON.stringify(scanEvent) }]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(2);
    expect(sns.commandCalls(GetTopicAttributesCommand)).toHaveLength(1);
  });
});

describe("report-findings handler with a custom reporter package", () => {
  /** A reporter package in a node_modules folder, as a Lambda layer holds it; its reports land on globalThis. */
  function installReporter(nodeModules: string) {
    const dir = join(nodeModules, "ecr-test-reporter");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name: "ecr-test-reporter", main: "index.mjs" }),
    );
    writeFileSync(
      join(dir, "index.mjs"),
      `export default {
        name: "ecr-test-reporter",
        optionsSchema: { safeParse: (data) => ({ success: true, data }) },
        create: () => ({
          async report(report) {
            (globalThis.ecrTestReports ??= []).push(report.repository);
            return { status: "sent" };
          },
        }),
      };`,
    );
  }
  const reports = () => (globalThis as { ecrTestReports?: string[] }).ecrTestReports ?? [];

  beforeEach(() => {
    const root = mkdtempSync(join(tmpdir(), "reporters-"));
    onTestFinished(() => {
      rmSync(root, { recursive: true, force: true });
      delete (globalThis as { ecrTestReports?: string[] }).ecrTestReports;
    });
    vi.stubEnv("ECR_SCAN_REPORTER_REPORTERS_PATH", join(root, "node_modules"));
    vi.stubEnv(
      "ECR_SCAN_REPORTER_CONFIG",
      JSON.stringify({ thresholds: { CRITICAL: 0 }, reporters: [{ use: "ecr-test-reporter" }] }),
    );
  });

  it("loads it from the folder ECR_SCAN_REPORTER_REPORTERS_PATH names", async () => {
    installReporter(process.env.ECR_SCAN_REPORTER_REPORTERS_PATH as string);
    const response = await invoke([{ messageId: "a", body: JSON.stringify(scanEvent) }]);
    expect(response.batchItemFailures).toEqual([]);
    expect(reports()).toEqual(["team-a/api"]);
  });

  it("tries to load the reporters again on the next invocation when they could not be loaded", async () => {
    const { handler } = await import("../src/report-findings.js");
    const event = sqsEventOf([{ messageId: "a", body: JSON.stringify(scanEvent) }]);
    await expect(handler(event)).rejects.toThrow(/ecr-test-reporter/);
    installReporter(process.env.ECR_SCAN_REPORTER_REPORTERS_PATH as string);
    await expect(handler(event)).resolves.toEqual({ batchItemFailures: [] });
    expect(reports()).toEqual(["team-a/api"]);
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  ecr.restore();
  sns.restore();
  sqs.restore();
});
