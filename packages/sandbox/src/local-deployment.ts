import { createHash } from "node:crypto";
import { join } from "node:path";
import { type InvocationResult, LocalFunction } from "./lambda-runtime.js";
import type { Sandbox } from "./sandbox.js";
import type { SandboxQueue } from "./sqs.js";

/** What the deployment needs: the sandbox, the built bundles, and the configuration document. */
export interface LocalDeploymentOptions {
  sandbox: Sandbox;
  /** terraform/dist, holding <function>/index.mjs. */
  distDir: string;
  config: unknown;
  namePrefix?: string;
  /** Extra environment for every function (e.g. ECR_SCAN_REPORTER_REPORTERS_PATH). */
  env?: Record<string, string>;
  /** Messages per invocation of the report path (the module's event source mapping uses a larger batch). */
  reportBatchSize?: number;
  /** Receives before a message is moved to its dead-letter queue (the module's redrive policy). */
  maxReceiveCount?: number;
  onLog?: (line: string, functionName: string) => void;
}

/** Counts of one drain of the queues. */
export interface DrainResult {
  invocations: Record<string, number>;
  /** Messages left only because they are delayed (targeted retries waiting their backoff). */
  delayedMessages: number;
  timedOut: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Terraform module's architecture, run locally on the sandbox: the same three bundles, the scan and report
 * queues with dead-letter queues and redrive, SQS event source mappings with partial batch failures, and the
 * EventBridge rule that sends scan events to the report queue.
 */
export class LocalDeployment {
  readonly queues: {
    scan: SandboxQueue;
    scanDlq: SandboxQueue;
    report: SandboxQueue;
    reportDlq: SandboxQueue;
  };
  readonly functions: {
    scheduleScans: LocalFunction;
    scanImages: LocalFunction;
    reportFindings: LocalFunction;
  };
  readonly deliveredEvents: unknown[] = [];

  constructor(private readonly options: LocalDeploymentOptions) {
    const { sandbox } = options;
    const prefix = options.namePrefix ?? "ecr-scan-reporter";
    const maxReceiveCount = String(options.maxReceiveCount ?? 3);
    // A one-second visibility timeout stands in for the module's (6 × the function timeout), so that a message
    // whose batch failed comes back within the run instead of minutes later.
    const scanDlq = sandbox.sqs.createQueue(`${prefix}-scan-dlq`);
    const reportDlq = sandbox.sqs.createQueue(`${prefix}-report-dlq`);
    const scan = sandbox.sqs.createQueue(`${prefix}-scan`, {
      VisibilityTimeout: "1",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: scanDlq.arn, maxReceiveCount }),
    });
    const report = sandbox.sqs.createQueue(`${prefix}-report`, {
      VisibilityTimeout: "1",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: reportDlq.arn, maxReceiveCount }),
    });
    this.queues = { scan, scanDlq, report, reportDlq };

    const env = {
      ...sandbox.env(),
      ECR_SCAN_REPORTER_CONFIG: JSON.stringify(options.config),
      POWERTOOLS_LOG_LEVEL: "INFO",
      ...options.env,
    };
    const fn = (name: string, extra: Record<string, string> = {}) =>
      new LocalFunction({
        name: `${prefix}-${name}`,
        bundlePath: join(options.distDir, name, "index.mjs"),
        env: { ...env, POWERTOOLS_SERVICE_NAME: name, ...extra },
        onLog: options.onLog,
      });
    this.functions = {
      scheduleScans: fn("schedule-scans", { SCAN_QUEUE_URL: scan.url }),
      scanImages: fn("scan-images", { SCAN_DLQ_URL: scanDlq.url }),
      reportFindings: fn("report-findings", { REPORT_QUEUE_URL: report.url, REPORT_DLQ_URL: reportDlq.url }),
    };

    // The EventBridge rules: ECR Image Scan (COMPLETE, FAILED), Inspector2 Scan and (enhanced scanning, the module's
    // default) Inspector2 Finding, delivered as is to the report queue.
    sandbox.ecr.onScanEvent((event) => {
      this.deliveredEvents.push(event);
      sandbox.sqs.send(report, JSON.stringify(event));
    });
  }

  /** Invokes schedule-scans as the EventBridge schedule would. */
  runSchedule(): Promise<InvocationResult> {
    const region = this.options.sandbox.env().AWS_REGION;
    return this.functions.scheduleScans.invoke({
      version: "0",
      id: createHash("sha256").update(String(Date.now())).digest("hex").slice(0, 36),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "123456789012",
      time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      region,
      resources: [`arn:aws:events:${region}:123456789012:rule/ecr-scan-reporter-schedule`],
      detail: {},
    });
  }

  /** One poll of a queue by its event source mapping: receive a batch, invoke, delete what succeeded. */
  private async pollOnce(queue: SandboxQueue, fn: LocalFunction, batchSize: number): Promise<boolean> {
    const { sqs } = this.options.sandbox;
    const messages = sqs.receive(queue, batchSize);
    if (messages.length === 0) return false;
    const region = this.options.sandbox.env().AWS_REGION;
    const event = {
      Records: messages.map((m) => ({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
          SenderId: "AROAEXAMPLE",
          ApproximateFirstReceiveTimestamp: String(m.sentAt),
        },
        messageAttributes: {},
        md5OfBody: createHash("md5").update(m.body).digest("hex"),
        eventSource: "aws:sqs",
        eventSourceARN: queue.arn,
        awsRegion: region,
      })),
    };
    const result = await fn.invoke(event);
    // A failed invocation leaves the whole batch to come back after its visibility timeout (and be redriven).
    if (!result.ok) return true;
    const failures = new Set(
      (
        (result.result as { batchItemFailures?: { itemIdentifier: string }[] } | null)?.batchItemFailures ??
        []
      ).map((f) => f.itemIdentifier),
    );
    for (const m of messages) {
      if (!failures.has(m.messageId) && m.receiptHandle) sqs.delete(queue, m.receiptHandle);
    }
    return true;
  }

  /**
   * Runs the event source mappings until both queues are empty and no scan is in progress (or `timeoutMs`
   * passes; `waitForScans: false` stops without waiting for scans). Messages delayed for longer than
   * `delayHorizonMs` (targeted retries) are left and counted.
   */
  async drain(
    options: { timeoutMs?: number; delayHorizonMs?: number; waitForScans?: boolean } = {},
  ): Promise<DrainResult> {
    const { sandbox } = this.options;
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    const horizon = options.delayHorizonMs ?? 5_000;
    const invocations: Record<string, number> = { "scan-images": 0, "report-findings": 0 };
    const queues = [
      { queue: this.queues.scan, fn: this.functions.scanImages, name: "scan-images", batch: 10 },
      {
        queue: this.queues.report,
        fn: this.functions.reportFindings,
        name: "report-findings",
        batch: this.options.reportBatchSize ?? 10,
      },
    ];
    while (Date.now() < deadline) {
      const polled = await Promise.all(
        queues.map(async ({ queue, fn, name, batch }) => {
          const progressed = await this.pollOnce(queue, fn, batch);
          if (progressed) invocations[name] = (invocations[name] ?? 0) + 1;
          return progressed;
        }),
      );
      if (polled.some(Boolean)) continue;
      const now = Date.now();
      const soon = queues.some(({ queue }) => queue.messages.some((m) => m.visibleAt - now <= horizon));
      const scansPending = (options.waitForScans ?? true) && sandbox.ecr.pendingScanCount() > 0;
      if (scansPending || soon) {
        await sleep(20);
        continue;
      }
      const delayedMessages = queues.reduce((n, { queue }) => n + queue.messages.length, 0);
      return { invocations, delayedMessages, timedOut: false };
    }
    return { invocations, delayedMessages: 0, timedOut: true };
  }

  async close(): Promise<void> {
    await Promise.all(Object.values(this.functions).map((f) => f.close()));
  }
}
