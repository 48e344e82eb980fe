import { describe, expect, it } from "vitest";
import {
  MAX_FINDINGS_WAITS,
  MAX_REPORT_ATTEMPTS,
  planFindingsWait,
  planReporterRetry,
  planReportJobs,
  type ReportRequest,
  SQS_MAX_DELAY_SECONDS,
} from "../src/events/report-jobs.js";
import type { ScanCompleted } from "../src/events/scan-event.js";

const digest = (c: string) => `sha256:${c.repeat(64)}`;

function completion(image: string, time = "2026-03-02T09:00:00Z"): ScanCompleted {
  return {
    kind: "scan-completed",
    source: "ecr-image-scan",
    eventId: `e-${image}-${time}`,
    account: "123456789012",
    region: "eu-west-1",
    registryId: "123456789012",
    repositoryName: "team-a/api",
    imageDigest: digest(image),
    imageTags: [],
    scanType: "BASIC",
    scanStatus: "COMPLETE",
    time,
  };
}

function plain(messageId: string, image: string, time?: string): ReportRequest {
  const event = completion(image, time);
  return {
    messageId,
    message: { kind: "scan-completed", event, attempt: 1, rawEvent: { id: event.eventId } },
  };
}

function retry(messageId: string, image: string, reporters: string[], attempt: number): ReportRequest {
  const event = completion(image);
  return {
    messageId,
    message: {
      kind: "scan-completed",
      event,
      attempt,
      retryReporters: reporters,
      rawEvent: { id: messageId },
    },
  };
}

describe("planReportJobs", () => {
  it("makes one job per image for plain events, every reporter, first attempt", () => {
    const jobs = planReportJobs([
      plain("m1", "a"),
      plain("m2", "b"),
      plain("m3", "a", "2026-03-02T09:05:00Z"),
    ]);
    expect(jobs.map((j) => [j.event.imageDigest, j.messageIds, j.only, j.attempt])).toEqual([
      [digest("a"), ["m1", "m3"], undefined, 1],
      [digest("b"), ["m2"], undefined, 1],
    ]);
    // The latest event of the image stands for the group, with its own raw event for a later retry.
    expect(jobs[0]?.event.time).toBe("2026-03-02T09:05:00Z");
    expect(jobs[0]?.rawEvent).toEqual({ id: "e-a-2026-03-02T09:05:00Z" });
  });

  it("folds a retry into a plain event of the same image: every reporter runs once", () => {
    const jobs = planReportJobs([retry("r1", "a", ["sns"], 3), plain("m1", "a")]);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ messageIds: ["m1", "r1"], attempt: 1 });
    expect(jobs[0]?.only).toBeUndefined();
  });

  it("merges retries of the same image: the union of their reporters, the highest attempt", () => {
    const jobs = planReportJobs([retry("r1", "a", ["sns"], 2), retry("r2", "a", ["slack", "sns"], 4)]);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ messageIds: ["r1", "r2"], only: ["sns", "slack"], attempt: 4 });
  });

  it("keeps retries of different images apart", () => {
    const jobs = planReportJobs([retry("r1", "a", ["sns"], 2), retry("r2", "b", ["github"], 2)]);
    expect(jobs.map((j) => [j.event.imageDigest, j.only])).toEqual([
      [digest("a"), ["sns"]],
      [digest("b"), ["github"]],
    ]);
  });

  it("runs a lone retry as a job of its own: its reporters, attempt, raw event and waits", () => {
    const waited = retry("r1", "a", ["sns"], 3);
    waited.message.findingsWaits = 2;
    expect(planReportJobs([retry("r0", "b", ["github"], 2), waited])).toEqual([
      {
        event: completion("b"),
        rawEvent: { id: "r0" },
        messageIds: ["r0"],
        only: ["github"],
        attempt: 2,
        findingsWaits: 0,
      },
      {
        event: completion("a"),
        rawEvent: { id: "r1" },
        messageIds: ["r1"],
        only: ["sns"],
        attempt: 3,
        findingsWaits: 2,
      },
    ]);
  });

  it("keeps the most waits when a retry that waited meets a plain event or another retry of the image", () => {
    const waited = retry("r1", "a", ["sns"], 2);
    waited.message.findingsWaits = 2;
    expect(planReportJobs([plain("m1", "a"), waited])[0]?.findingsWaits).toBe(2);
    expect(planReportJobs([retry("r0", "a", ["slack"], 2), waited])[0]?.findingsWaits).toBe(2);
    expect(planReportJobs([waited, retry("r2", "a", ["slack"], 2)])[0]?.findingsWaits).toBe(2);
  });

  it("makes no job of no message", () => {
    expect(planReportJobs([])).toEqual([]);
  });
});

describe("planReporterRetry", () => {
  it("backs off 60·2^(n−1) seconds after delivery n", () => {
    expect([1, 2, 3, 4].map((n) => planReporterRetry(n))).toEqual([
      { destination: "queue", attempt: 2, delaySeconds: 60 },
      { destination: "queue", attempt: 3, delaySeconds: 120 },
      { destination: "queue", attempt: 4, delaySeconds: 240 },
      { destination: "queue", attempt: 5, delaySeconds: 480 },
    ]);
  });

  it("parks the reporters in the dead-letter queue after the last allowed delivery", () => {
    expect(MAX_REPORT_ATTEMPTS).toBe(5);
    expect(planReporterRetry(MAX_REPORT_ATTEMPTS)).toEqual({
      destination: "dlq",
      attempt: 6,
      delaySeconds: 0,
    });
  });

  it("never asks SQS for more than its longest delay, however many attempts are allowed", () => {
    expect(planReporterRetry(5, { maxAttempts: 10 })).toEqual({
      destination: "queue",
      attempt: 6,
      delaySeconds: 900,
    });
    expect(planReporterRetry(9, { maxAttempts: 10 }).delaySeconds).toBe(SQS_MAX_DELAY_SECONDS);
  });

  it("waits as long as a failed reporter asked when that is longer than the back-off", () => {
    expect(planReporterRetry(1, { retryAfterSeconds: 300 })).toEqual({
      destination: "queue",
      attempt: 2,
      delaySeconds: 300,
    });
    // A part of a second is waited out whole: sooner would be refused again.
    expect(planReporterRetry(1, { retryAfterSeconds: 90.2 }).delaySeconds).toBe(91);
    // A shorter ask does not shorten the back-off.
    expect(planReporterRetry(3, { retryAfterSeconds: 30 }).delaySeconds).toBe(240);
  });

  it("caps a longer ask (Slack's Retry-After: 3600) at SQS's 900 s, and still parks after the last attempt", () => {
    expect(SQS_MAX_DELAY_SECONDS).toBe(900);
    expect([1, 2, 3, 4].map((n) => planReporterRetry(n, { retryAfterSeconds: 3_600 }).delaySeconds)).toEqual([
      900, 900, 900, 900,
    ]);
    expect(planReporterRetry(1, { retryAfterSeconds: Number.POSITIVE_INFINITY }).delaySeconds).toBe(900);
    expect(planReporterRetry(MAX_REPORT_ATTEMPTS, { retryAfterSeconds: 3_600 })).toEqual({
      destination: "dlq",
      attempt: 6,
      delaySeconds: 0,
    });
  });

  it("ignores an ask that is no wait at all", () => {
    for (const retryAfterSeconds of [0, -5, Number.NaN]) {
      expect(planReporterRetry(2, { retryAfterSeconds }).delaySeconds).toBe(120);
    }
  });
});

describe("planFindingsWait", () => {
  it("waits 1, 2, then 4 minutes while fewer findings were read than the event counted", () => {
    expect([0, 1, 2].map((waits) => planFindingsWait(158, 120, waits))).toEqual([
      { findingsWaits: 1, delaySeconds: 60 },
      { findingsWaits: 2, delaySeconds: 120 },
      { findingsWaits: 3, delaySeconds: 240 },
    ]);
  });

  it("sends as it is after MAX_FINDINGS_WAITS waits", () => {
    expect(planFindingsWait(158, 120, MAX_FINDINGS_WAITS)).toBeUndefined();
  });

  it("sends at once when every counted finding was read, or the event counted none", () => {
    expect(planFindingsWait(158, 158, 0)).toBeUndefined();
    expect(planFindingsWait(3, 5, 0)).toBeUndefined();
    expect(planFindingsWait(undefined, 0, 0)).toBeUndefined();
  });

  it("keeps the most waits of the messages it merges for one image", () => {
    const waiting = plain("w", "a");
    waiting.message.findingsWaits = 2;
    const jobs = planReportJobs([plain("m1", "a"), waiting]);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.findingsWaits).toBe(2);
  });
});
