import type { Finding, ReportChanges, ScanReport } from "@ecr-scan-reporter/core";
import {
  cleanReport,
  failedScanReport,
  mustNotUse,
  overThresholdReport,
  SAMPLE_FINDINGS,
  sampleReport,
  testDeps,
} from "@ecr-scan-reporter/core/testing";
import { type SlackReceiver, startSlackReceiver, validateSlackPayload } from "@ecr-scan-reporter/sandbox";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defineSlackReporter, renderSlackMessage, type SlackMessage } from "../src/index.js";
import { expectWellFormed, linksOf, mrkdwnStrings } from "./helpers.js";

const PREVIOUS = "2026-11-23T06:00:00.000Z";

function withChanges(report: ScanReport, changes: Partial<ReportChanges>): ScanReport {
  return {
    ...report,
    changes: {
      firstReport: false,
      previousScanAt: PREVIOUS,
      newFindings: [],
      fixedFindings: [],
      severityRaised: [],
      ...changes,
    },
  };
}

const sectionText = (message: SlackMessage, blockId: string) => {
  const block = message.blocks.find((b) => b.block_id === blockId);
  if (block?.type !== "section") throw new Error(`no section ${blockId}`);
  return block.text.text;
};

const [CRITICAL, HIGH] = SAMPLE_FINDINGS as [Finding, Finding];

describe("the changes since the last report", () => {
  it("come first, after the header, one kind a line, and in short in the notification text", () => {
    const report = withChanges(overThresholdReport(), {
      newFindings: [CRITICAL],
      severityRaised: [{ finding: HIGH, from: "MEDIUM" }],
      fixedFindings: [{ id: "CVE-2022-0001", severity: "HIGH", package: "old" }],
    });
    const message = renderSlackMessage(report);
    expectWellFormed(message, report);
    expect(message.blocks.map((b) => b.block_id)).toEqual([
      "header",
      "changes",
      "counts",
      "findings-1",
      "footer",
    ]);
    expect(sectionText(message, "changes")).toBe(
      ":new: 1 new since 2026-11-23: CVE-2024-3094\n" +
        ":arrow_up: 1 raised: CVE-2023-4863 MEDIUM → HIGH\n" +
        ":white_check_mark: 1 fixed: CVE-2022-0001",
    );
    expect(message.text).toBe(
      "team-a/api:v1.4.2 (1 new, 1 raised, 1 fixed): 1 critical, 2 high, 1 medium, 1 low",
    );
  });

  it("say 'No change' on a report sent without any, and nothing on a first report, without a ledger or for a failed scan", () => {
    const same = renderSlackMessage(withChanges(overThresholdReport(), {}));
    expect(sectionText(same, "changes")).toBe(":heavy_equals_sign: No change since 2026-11-23");
    expect(same.text).toMatch(/^team-a\/api:v1\.4\.2 \(unchanged\): /);
    for (const report of [
      overThresholdReport(),
      withChanges(overThresholdReport(), { firstReport: true, newFindings: [CRITICAL] }),
      withChanges(failedScanReport(), { fixedFindings: [{ id: "CVE-1", severity: "HIGH" }] }),
    ]) {
      const message = renderSlackMessage(report);
      expect(message.blocks.map((b) => b.block_id)).not.toContain("changes");
      expect(message.text).not.toContain("(");
    }
  });

  it("name five ids a kind, then count the rest", () => {
    const findings = Array.from({ length: 8 }, (_, i) => ({ ...CRITICAL, id: `CVE-2026-000${i}` }));
    const message = renderSlackMessage(withChanges(sampleReport({ findings }), { newFindings: findings }));
    expect(sectionText(message, "changes")).toBe(
      ":new: 8 new since 2026-11-23: CVE-2026-0000, CVE-2026-0001, CVE-2026-0002, CVE-2026-0003, CVE-2026-0004 and 3 more",
    );
  });

  it("escape a hostile id: no mention, no link, no markup that Slack would read", () => {
    const hostile = [
      { ...CRITICAL, id: "<!channel> @channel" },
      { ...HIGH, id: "<https://evil.example|CVE-2024-1> & <b>*CVE*</b>" },
    ];
    const report = withChanges(sampleReport({ findings: hostile }), { newFindings: hostile });
    const message = renderSlackMessage(report);
    expectWellFormed(message, report);
    const changes = sectionText(message, "changes");
    expect(changes).toBe(
      ":new: 2 new since 2026-11-23: &lt;!channel&gt; @channel, " +
        "&lt;https://evil.example|CVE-2024-1&gt; &amp; &lt;b&gt;*CVE*&lt;/b&gt;",
    );
    expect(linksOf(changes)).toEqual([]);
  });

  it("stay within Slack's limits however long the ids are", () => {
    const findings = Array.from({ length: 40 }, (_, i) => ({ ...CRITICAL, id: `${"<&>".repeat(40)}${i}` }));
    const report = withChanges(sampleReport({ findings }), {
      newFindings: findings,
      fixedFindings: findings.map((f) => ({ id: `${f.id}x`, severity: f.severity })),
      severityRaised: findings.map((f) => ({ finding: { ...f, id: `${f.id}y` }, from: "LOW" as const })),
    });
    const message = renderSlackMessage(report, { maxFindings: 40 });
    expectWellFormed(message, report);
    expect(sectionText(message, "changes").length).toBeLessThanOrEqual(1000);
  });
});

describe("the back-within-thresholds notice", () => {
  const CTX = { reporterId: "slack", attempt: 1 };
  const NOTICE = {
    ...CTX,
    notification: { kind: "back-within-thresholds", why: "back-within-thresholds" },
  } as const;
  let receiver: SlackReceiver;
  beforeEach(async () => {
    receiver = await startSlackReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  function createReporter() {
    const { deps } = testDeps({
      resolveSecret: async () => receiver.url(),
      fetch: globalThis.fetch,
      writeLine: mustNotUse("writeLine"),
    });
    const plugin = defineSlackReporter({ minIntervalMs: 0, retryAfterBaseMs: 10 });
    return plugin.create(
      plugin.optionsSchema.parse({ webhookUrl: { parameter: "/slack/webhook" }, channelLabel: "prod" }),
      deps,
    );
  }

  it("is one section: the image back within the thresholds, what is fixed, the console", async () => {
    const report = withChanges(cleanReport(), {
      fixedFindings: [{ id: "CVE-2024-3094", severity: "CRITICAL" }],
    });
    const outcome = await createReporter().report(report, NOTICE);
    expect(outcome).toEqual({ status: "sent", detail: "back-within-thresholds notice" });
    expect(receiver.rejections).toEqual([]);
    const payload = receiver.messages[0]?.payload as unknown as SlackMessage;
    expect(payload.blocks).toHaveLength(1);
    const text = sectionText(payload, "back-within");
    expect(text.split("\n")).toEqual([
      ":white_check_mark: *team-a/api:v1.4.3* is back within the thresholds: the scan of 2026-11-28 found no vulnerabilities.",
      ":white_check_mark: 1 fixed since 2026-11-23: CVE-2024-3094",
      `<${report.consoleUrl}|Open in the ECR console> · prod`,
    ]);
    expect(payload.text).toBe("Back within thresholds: team-a/api:v1.4.3");
  });

  it("escapes a hostile tag and id in the notice", async () => {
    const report = withChanges(sampleReport({ findings: [], tags: ["<!channel>"] }), {
      fixedFindings: [{ id: "<!here|x> *CVE*", severity: "CRITICAL" }],
    });
    await createReporter().report(report, NOTICE);
    const payload = receiver.messages[0]?.payload as unknown as SlackMessage;
    expect(validateSlackPayload(payload)).toBeUndefined();
    for (const text of mrkdwnStrings(payload)) {
      expect(text.replace(/<https:[^<>|]*\|[^<>]*>/g, "")).not.toMatch(/[<>]/);
    }
    expect(sectionText(payload, "back-within")).toContain("*team-a/api:&lt;!channel&gt;* is back within");
    expect(sectionText(payload, "back-within")).toContain("1 fixed since 2026-11-23: &lt;!here|x&gt; *CVE*");
  });

  it("is not sent without the dispatch's word, and a due report stays a report", async () => {
    const reporter = createReporter();
    expect(await reporter.report(cleanReport(), CTX)).toEqual({
      status: "skipped",
      detail: "report not due (within-thresholds)",
    });
    expect(receiver.messages).toEqual([]);
    await reporter.report(overThresholdReport(), NOTICE);
    const payload = receiver.messages[0]?.payload as unknown as SlackMessage;
    expect(payload.blocks[0]?.type).toBe("header");
    expectWellFormed(payload, overThresholdReport());
  });
});
