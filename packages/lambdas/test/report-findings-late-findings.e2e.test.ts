import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { freshHandlerPerTest, sqsEventOf } from "./support/handler-env.js";

// Amazon Inspector keeps publishing findings after its Inspector2 Scan event, which counts them all. The sandbox
// holds back half of them; the report-findings handler (from source, real SDK clients to the sandbox) must wait
// rather than report from the first half, and report once when the rest has come.

let sandbox: Sandbox;
const events: Record<string, unknown>[] = [];

freshHandlerPerTest();

beforeEach(async () => {
  sandbox = await startSandbox({ scanDurationMs: 10, enhancedFindingsAtEvent: 0.5 });
  events.length = 0;
  sandbox.ecr.onScanEvent((event) => events.push(event as unknown as Record<string, unknown>));
  sandbox.ecr.scanType = "ENHANCED";
  sandbox.ecr.createRepository("team-a/api");
  const topicArn = sandbox.sns.createTopic("findings");
  const queue = sandbox.sqs.createQueue("report");
  for (const [name, value] of Object.entries(sandbox.env())) vi.stubEnv(name, value);
  vi.stubEnv("AWS_ENDPOINT_URL", sandbox.endpoint);
  vi.stubEnv("REPORT_QUEUE_URL", queue.url);
  vi.stubEnv(
    "ECR_SCAN_REPORTER_CONFIG",
    JSON.stringify({ thresholds: { LOW: 0, MEDIUM: 0 }, reporters: [{ use: "sns", options: { topicArn } }] }),
  );
});
afterEach(async () => {
  await sandbox.close();
});

async function invoke(records: { messageId: string; body: string }[]) {
  const { handler } = await import("../src/report-findings.js");
  return handler(sqsEventOf(records));
}

describe("report-findings and findings Inspector publishes after its event", () => {
  it("waits for the rest, then reports once from every finding the event counted", async () => {
    // This manifest's digest gives 10 findings in the sandbox's dataset: 5 at the event, 5 later.
    sandbox.ecr.seedImage("team-a/api", { tags: ["v1"] }, "late-findings-image-1");
    await sandbox.ecr.whenScansSettled();
    const scanEvent = events.find((e) => e["detail-type"] === "Inspector2 Scan") as {
      detail: { "finding-severity-counts": { TOTAL: number } };
    };
    const total = scanEvent.detail["finding-severity-counts"].TOTAL;
    expect(total).toBe(10);

    // First delivery: half the findings are readable, so nothing is sent and the report waits a minute.
    const first = await invoke([{ messageId: "scan", body: JSON.stringify(scanEvent) }]);
    expect(first.batchItemFailures).toEqual([]);
    expect(sandbox.sns.published).toHaveLength(0);
    const queued = sandbox.sqs.queues.get("report")?.messages ?? [];
    expect(queued).toHaveLength(1);
    expect((queued[0]?.visibleAt ?? 0) - (queued[0]?.sentAt ?? 0)).toBe(60_000);
    expect(JSON.parse(queued[0]?.body ?? "{}").ecrScanReporter).toMatchObject({ findingsWaits: 1 });

    // Inspector publishes the rest, one Inspector2 Finding event each; they and the waiting report make one report.
    const late = sandbox.ecr.releaseLateFindings();
    const findingEvents = events.filter((e) => e["detail-type"] === "Inspector2 Finding");
    expect(findingEvents).toHaveLength(late);
    const second = await invoke([
      { messageId: "waiting", body: queued[0]?.body ?? "" },
      ...findingEvents.map((e, i) => ({ messageId: `finding-${i}`, body: JSON.stringify(e) })),
    ]);
    expect(second.batchItemFailures).toEqual([]);
    expect(sandbox.sns.published).toHaveLength(1);
    // Every finding the event counted is in the report: its text's total (SNS has no `total` attribute since issue 16).
    expect(sandbox.sns.published[0]?.message).toMatch(new RegExp(`\\n {2}Total +${total}\\n`));
    expect(sandbox.sns.published[0]?.message).not.toMatch(/may be incomplete/);
  });
});
