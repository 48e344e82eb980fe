import { generateFindings, SAMPLE_FINDINGS } from "@ecr-scan-reporter/core/testing";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { invokeBundle, sandboxIntel, sqsEvent } from "./support/bundles.js";
import { imageScanEvent, toBasicFinding } from "./support/scenario.js";

const DAY = 86_400_000;

function config(topicArn: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    ignore: [{ id: "CVE-2024-3094", repositories: "^team-a/", reason: "not reachable in this image" }],
    reporters: [
      { use: "sns", options: { topicArn } },
      { use: "metrics", options: { namespace: "EcrScanReporterTest" } },
    ],
    ...extra,
  });
}

describe("report-findings bundle on the sandbox", () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  async function setUp() {
    const s = await startSandbox();
    sandbox = s;
    const topicArn = s.sns.createTopic("ecr-findings");
    s.ecr.createRepository("team-a/api");
    const scanned = (findings: typeof SAMPLE_FINDINGS, tags: string[]) =>
      s.ecr.seedImage("team-a/api", {
        tags,
        scan: {
          status: "COMPLETE",
          completedAt: new Date(Date.now() - DAY),
          findings: findings.map(toBasicFinding),
        },
      });
    const env = (extra: Record<string, string> = {}) => ({
      AWS_REGION: "eu-west-1",
      AWS_ACCESS_KEY_ID: "sandbox",
      AWS_SECRET_ACCESS_KEY: "sandbox",
      AWS_ENDPOINT_URL_ECR: s.endpoint,
      AWS_ENDPOINT_URL_SNS: s.endpoint,
      AWS_ENDPOINT_URL_SQS: s.endpoint,
      ECR_SCAN_REPORTER_CONFIG: config(topicArn, { intel: sandboxIntel(s) }),
      ...extra,
    });
    return { s, topicArn, scanned, env };
  }

  it("publishes exactly one SNS message whose counts match the findings after the ignore list", async () => {
    const { s, scanned, env } = await setUp();
    const digest = scanned(SAMPLE_FINDINGS, ["v1.4.2"]);
    const event = imageScanEvent(s, "team-a/api", digest);
    const result = await invokeBundle(
      "report-findings",
      sqsEvent([{ messageId: "m1", body: JSON.stringify(event) }]),
      env(),
    );

    expect(result.ok && result.result).toEqual({ batchItemFailures: [] });
    expect(s.sns.published).toHaveLength(1);
    const published = s.sns.published[0];
    // CVE-2024-3094 (the one CRITICAL) is ignored in ^team-a/: 0 critical, 2 high, 1 medium, 1 low remain.
    expect(published?.messageAttributes.critical?.value).toBe("0");
    expect(published?.messageAttributes.high?.value).toBe("2");
    expect(published?.messageAttributes.medium?.value).toBe("1");
    expect(published?.messageAttributes.low?.value).toBe("1");
    expect(published?.messageAttributes.highestSeverity?.value).toBe("HIGH");
    expect(published?.messageAttributes.repository?.value).toBe("team-a/api");
    // One text (String structure), so SNS delivers the attributes above to subscribers and filter policies.
    expect(published?.messageStructure).toBeUndefined();
    expect(published?.message).toContain("CVE-2023-4863");
    expect(published?.message).not.toContain("CVE-2024-3094");

    const report = result.logs.find((l) => l.message === "report");
    expect(report).toMatchObject({
      repository: "team-a/api",
      digest,
      counts: { CRITICAL: 0, HIGH: 2, MEDIUM: 1, LOW: 1 },
      verdict: { due: true, reason: "over-threshold", ignoredFindings: 1 },
      outcomes: { sns: "sent", metrics: "sent" },
    });
    const emf = result.logs.filter(
      (l) =>
        (l._aws as { CloudWatchMetrics?: { Namespace: string }[] } | undefined)?.CloudWatchMetrics?.[0]
          ?.Namespace === "EcrScanReporterTest",
    );
    expect(emf.filter((l) => l.Severity === "HIGH").map((l) => l.Findings)).toEqual([2]);
  });

  it("publishes nothing when every count is within its threshold, but still emits the metrics", async () => {
    const { s, scanned, env } = await setUp();
    const digest = scanned(
      SAMPLE_FINDINGS.filter((f) => f.severity === "MEDIUM" || f.severity === "LOW"),
      ["v2"],
    );
    const result = await invokeBundle(
      "report-findings",
      sqsEvent([{ messageId: "m1", body: JSON.stringify(imageScanEvent(s, "team-a/api", digest)) }]),
      env(),
    );
    expect(result.ok && result.result).toEqual({ batchItemFailures: [] });
    expect(s.sns.published).toHaveLength(0);
    expect(result.logs.find((l) => l.message === "report")).toMatchObject({
      verdict: { due: false, reason: "within-thresholds" },
      outcomes: { sns: "not-routed", metrics: "sent" },
    });
  });

  it("pages through 5,000 findings and reports their exact counts", async () => {
    const { s, env } = await setUp();
    const findings = generateFindings(5_000);
    const digest = s.ecr.seedImage("team-a/api", {
      tags: ["big"],
      scan: { status: "COMPLETE", completedAt: new Date(), findings: findings.map(toBasicFinding) },
    });
    const result = await invokeBundle(
      "report-findings",
      sqsEvent([{ messageId: "m1", body: JSON.stringify(imageScanEvent(s, "team-a/api", digest)) }]),
      env(),
    );
    expect(result.ok).toBe(true);
    expect(s.server.callCounts()["ecr:DescribeImageScanFindings"]).toBe(5);
    const expected = { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 };
    for (const f of findings) expected[f.severity] += 1;
    expect(result.logs.find((l) => l.message === "report")?.counts).toEqual(expected);
    expect(s.sns.published).toHaveLength(1);
    expect(Buffer.byteLength(s.sns.published[0]?.message ?? "")).toBeLessThanOrEqual(262_144);
  });

  it("reports a failed scan with its status description", async () => {
    const { s, env } = await setUp();
    const digest = s.ecr.seedImage("team-a/api", {
      tags: ["scratch"],
      scan: {
        status: "FAILED",
        description: "UnsupportedImageError: The operating system and/or package manager are not supported.",
        completedAt: new Date(),
      },
    });
    const result = await invokeBundle(
      "report-findings",
      sqsEvent([{ messageId: "m1", body: JSON.stringify(imageScanEvent(s, "team-a/api", digest)) }]),
      env(),
    );
    expect(result.ok && result.result).toEqual({ batchItemFailures: [] });
    expect(s.sns.published).toHaveLength(1);
    expect(s.sns.published[0]?.messageAttributes.status?.value).toBe("FAILED");
    expect(s.sns.published[0]?.message).toContain(
      "operating system and/or package manager are not supported",
    );
  });

  it("drops malformed and foreign messages, coalesces duplicates, and re-queues only the reporter that failed", async () => {
    const { s, scanned, env } = await setUp();
    const reportQueue = s.sqs.createQueue("report-queue");
    const dlq = s.sqs.createQueue("report-dlq");
    const digest = scanned(SAMPLE_FINDINGS, ["v3"]);
    const event = imageScanEvent(s, "team-a/api", digest);
    const missingTopic = "arn:aws:sns:eu-west-1:123456789012:no-such-topic";
    const result = await invokeBundle(
      "report-findings",
      sqsEvent([
        { messageId: "good", body: JSON.stringify(event) },
        { messageId: "duplicate", body: JSON.stringify({ ...event, id: "evt-duplicate" }) },
        { messageId: "not-json", body: "{" },
        { messageId: "foreign", body: JSON.stringify({ ...event, "detail-type": "ECR Image Action" }) },
      ]),
      env({
        ECR_SCAN_REPORTER_CONFIG: config(missingTopic, { intel: sandboxIntel(s) }),
        REPORT_QUEUE_URL: reportQueue.url,
        REPORT_DLQ_URL: dlq.url,
        AWS_MAX_ATTEMPTS: "1",
      }),
    );
    // Nothing goes back to SQS: the failed reporter alone was re-queued, the rest was handled or dropped.
    expect(result.ok && result.result).toEqual({ batchItemFailures: [] });
    expect(result.logs.find((l) => l.message === "report-findings summary")?.summary).toMatchObject({
      messages: 4,
      dropped: 2,
      reports: 1,
    });
    expect(reportQueue.messages).toHaveLength(1);
    const retry = JSON.parse(reportQueue.messages[0]?.body ?? "{}");
    expect(retry.ecrScanReporter).toEqual({ version: 1, retryReporters: ["sns"], attempt: 2 });
    expect(retry.event.detail["image-digest"]).toBe(digest);
    // The malformed body went to the dead-letter queue as it was; the foreign event was only logged.
    expect(dlq.messages.map((m) => m.body)).toEqual(["{"]);

    // The retry, at its last attempt, runs only sns (metrics is not emitted again) and parks itself in the DLQ.
    const lastTry = JSON.stringify({ ...retry, ecrScanReporter: { ...retry.ecrScanReporter, attempt: 5 } });
    const second = await invokeBundle(
      "report-findings",
      sqsEvent([{ messageId: "retry", body: lastTry }]),
      env({
        ECR_SCAN_REPORTER_CONFIG: config(missingTopic, { intel: sandboxIntel(s) }),
        REPORT_QUEUE_URL: reportQueue.url,
        REPORT_DLQ_URL: dlq.url,
        AWS_MAX_ATTEMPTS: "1",
      }),
    );
    expect(second.ok && second.result).toEqual({ batchItemFailures: [] });
    expect(second.logs.find((l) => l.message === "report")?.outcomes).toEqual({ sns: "failed" });
    expect(dlq.messages).toHaveLength(2);
    expect(JSON.parse(dlq.messages[1]?.body ?? "{}").ecrScanReporter.retryReporters).toEqual(["sns"]);
    expect(reportQueue.messages).toHaveLength(1);
  });
});
