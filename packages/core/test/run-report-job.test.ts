import { DescribeImageScanFindingsCommand, ECRClient } from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import { ReporterError } from "../src/errors.js";
import type { ReportJob } from "../src/events/report-jobs.js";
import type { ScanCompleted } from "../src/events/scan-event.js";
import type { ScanReport } from "../src/model.js";
import type { LoadedReporter } from "../src/reporters/loader.js";
import { recordingLogger } from "../src/testing/test-deps.js";
import { type ReportJobDeps, type RequeueRequest, runReportJob } from "../src/use-cases/run-report-job.js";

// runReportJob with ECR mocked and reporters and the re-queue recorded: what a job answers SQS, what it asks to
// re-queue, what each reporter receives and what it logs.

const ecrMock = mockClient(ECRClient);
const DIGEST = `sha256:${"c".repeat(64)}`;
const IMAGE = { repository: "team-a/api", digest: DIGEST, messageIds: ["m-1", "m-2"] };

beforeEach(() => ecrMock.reset());

function event(overrides: Partial<ScanCompleted> = {}): ScanCompleted {
  return {
    kind: "scan-completed",
    source: "ecr-image-scan",
    eventId: "e-1",
    account: "111111111111",
    region: "eu-west-1",
    registryId: "123456789012",
    repositoryName: "team-a/api",
    imageDigest: DIGEST,
    imageTags: ["v1"],
    scanType: "BASIC",
    scanStatus: "COMPLETE",
    time: "2026-03-02T09:00:00Z",
    ...overrides,
  };
}

function job(overrides: Partial<ReportJob> = {}, eventOverrides: Partial<ScanCompleted> = {}): ReportJob {
  return {
    event: event(eventOverrides),
    rawEvent: { id: "e-1" },
    messageIds: ["m-1", "m-2"],
    attempt: 1,
    findingsWaits: 0,
    ...overrides,
  };
}

/** ECR answers with these findings (names and severities) under `status`. */
function findingsAre(findings: [string, string][], status = "COMPLETE") {
  ecrMock.on(DescribeImageScanFindingsCommand).resolves({
    imageScanStatus: { status: status as "COMPLETE" },
    imageScanFindings: {
      imageScanCompletedAt: new Date("2026-03-02T09:00:00Z"),
      findings: findings.map(([name, severity]) => ({ name, severity: severity as "HIGH" })),
    },
  });
}

/** A reporter that records what it receives, and fails when told to. */
function reporter(id: string, fails = false) {
  const received: ScanReport[] = [];
  const loaded = {
    id,
    plugin: { receives: "all" },
    entry: { use: id },
    options: {},
    reporter: {
      report: async (report: ScanReport) => {
        received.push(structuredClone(report));
        if (fails) throw new Error(`${id} is down`);
        return { status: "sent" as const };
      },
    },
  } as unknown as LoadedReporter;
  return { loaded, received };
}

/** Deps with a recording logger and a re-queue that records each request and answers `answer`. */
function deps(
  reporters: LoadedReporter[],
  answer: (request: RequeueRequest) => Promise<boolean> = async () => true,
  config: Record<string, unknown> = { thresholds: { HIGH: 0 } },
) {
  const logger = recordingLogger();
  const requeued: RequeueRequest[] = [];
  const value: ReportJobDeps = {
    ecr: new ECRClient({ region: "eu-west-1" }),
    reporters,
    policy: parseConfig(config, "test"),
    logger,
    requeue: (request) => {
      requeued.push(request);
      return answer(request);
    },
  };
  return { deps: value, logs: logger.logs, requeued };
}

const awsError = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} happened`), { name, $metadata: {}, ...extra });

describe("runReportJob: the report goes out", () => {
  it("sends a due report to every reporter, settles the messages and logs one summary line", async () => {
    findingsAre([
      ["CVE-2026-1", "HIGH"],
      ["CVE-2026-2", "HIGH"],
    ]);
    const sns = reporter("sns");
    const { deps: d, logs, requeued } = deps([sns.loaded]);
    expect(await runReportJob(job(), d)).toEqual({ retry: [], outcome: "reported" });
    expect(sns.received).toHaveLength(1);
    expect(sns.received[0]?.completeness).toBeUndefined();
    expect(requeued).toEqual([]);
    const summary = logs.find((l) => l.message === "report");
    expect(summary?.level).toBe("info");
    expect(summary?.extra).toMatchObject({
      ...IMAGE,
      tags: ["v1"],
      status: "COMPLETE",
      counts: { HIGH: 2 },
      verdict: { due: true },
      attempt: 1,
      outcomes: { sns: "sent" },
    });
  });

  it("answers not-due for a report within the thresholds, which still reaches a reporter that takes all", async () => {
    findingsAre([["CVE-2026-1", "LOW"]]);
    const sns = reporter("sns");
    const { deps: d } = deps([sns.loaded]);
    expect(await runReportJob(job(), d)).toEqual({ retry: [], outcome: "not-due" });
    expect(sns.received.map((r) => r.verdict.due)).toEqual([false]);
  });

  it("checks the findings against the threat intel it is given before the verdict", async () => {
    findingsAre([
      ["CVE-2023-44487", "MEDIUM"],
      ["CVE-2026-1", "LOW"],
    ]);
    const sns = reporter("sns");
    const { deps: d } = deps([sns.loaded]);
    const lookedUp: string[][] = [];
    d.intel = {
      async lookUp(cveIds) {
        lookedUp.push([...cveIds]);
        return {
          kev: new Map([["CVE-2023-44487", { dateAdded: "2023-10-10", dueDate: "2023-10-31" }]]),
          epss: new Map(),
          status: { kev: { state: "fresh", asOf: "2026-03-02" }, epss: { state: "off" } },
        };
      },
    };
    expect(await runReportJob(job(), d)).toEqual({ retry: [], outcome: "reported" });
    expect(lookedUp).toEqual([["CVE-2023-44487"]]);
    const received = sns.received[0];
    expect(received?.findings[0]?.kev).toEqual({ dateAdded: "2023-10-10", dueDate: "2023-10-31" });
    expect(received?.verdict).toMatchObject({
      due: true,
      reason: "escalated",
      escalations: [{ id: "CVE-2023-44487", why: ["kev"] }],
    });
    expect(received?.intel).toEqual({ kev: { state: "fresh", asOf: "2026-03-02" }, epss: { state: "off" } });
  });

  it("warns of each ignore entry that expired, naming the image and the entry", async () => {
    findingsAre([["CVE-2026-1", "HIGH"]]);
    const { deps: d, logs } = deps([reporter("sns").loaded], undefined, {
      ignore: [{ id: "CVE-2026-1", until: "2020-01-01", reason: "fixed upstream soon" }],
    });
    await runReportJob(job(), d);
    const warning = logs.find((l) => l.message === "ignore entry has expired and no longer hides a finding");
    expect(warning?.level).toBe("warn");
    expect(warning?.extra).toMatchObject({ ...IMAGE, id: "CVE-2026-1", reason: "fixed upstream soon" });
    expect(warning?.extra?.until).toBeDefined();
  });
});

describe("runReportJob: the findings cannot be read", () => {
  it("asks SQS to redeliver every message of the job when a retry could mend the fetch", async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(awsError("ThrottlingException"));
    const sns = reporter("sns");
    const { deps: d, logs } = deps([sns.loaded]);
    expect(await runReportJob(job(), d)).toEqual({ retry: ["m-1", "m-2"], outcome: "fetch-retry" });
    expect(sns.received).toEqual([]);
    expect(logs).toEqual([
      {
        level: "warn",
        message: "could not fetch findings; the message will be retried",
        extra: { ...IMAGE, error: "ThrottlingException: ThrottlingException happened" },
      },
    ]);
  });

  it("drops the messages when no retry can mend the fetch, saying so as an error", async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(awsError("AccessDeniedException"));
    const sns = reporter("sns");
    const { deps: d, logs } = deps([sns.loaded]);
    expect(await runReportJob(job(), d)).toEqual({ retry: [], outcome: "fetch-failed" });
    expect(sns.received).toEqual([]);
    expect(logs).toEqual([
      {
        level: "error",
        message: "could not fetch findings; dropping the message",
        extra: { ...IMAGE, error: "AccessDeniedException: AccessDeniedException happened" },
      },
    ]);
  });
});

describe("runReportJob: fewer findings than the event counted", () => {
  it("re-queues the report to wait, with the job's attempt and reporters, and sends nothing yet", async () => {
    findingsAre([["CVE-2026-1", "HIGH"]]);
    const sns = reporter("sns");
    const { deps: d, logs, requeued } = deps([sns.loaded]);
    const waiting = job({ attempt: 3, only: ["sns"], findingsWaits: 1 }, { expectedFindings: 5 });
    expect(await runReportJob(waiting, d)).toEqual({ retry: [], outcome: "awaiting-findings" });
    expect(requeued).toEqual([
      {
        job: waiting,
        destination: "queue",
        attempt: 3,
        reporters: ["sns"],
        findingsWaits: 2,
        delaySeconds: 120,
      },
    ]);
    expect(sns.received).toEqual([]);
    expect(logs).toEqual([
      {
        level: "info",
        message: "fewer findings than the scan event counted; the report waits for the rest",
        extra: { ...IMAGE, expectedFindings: 5, findingsRead: 1, findingsWaits: 2, delaySeconds: 120 },
      },
    ]);
  });

  it("lets SQS redeliver the messages when the re-queue throws", async () => {
    findingsAre([["CVE-2026-1", "HIGH"]]);
    const sns = reporter("sns");
    const { deps: d, logs } = deps([sns.loaded], async () => {
      throw new Error("SQS is down");
    });
    expect(await runReportJob(job({}, { expectedFindings: 3 }), d)).toEqual({
      retry: ["m-1", "m-2"],
      outcome: "awaiting-findings",
    });
    expect(sns.received).toEqual([]);
    expect(logs).toEqual([
      {
        level: "warn",
        message: "could not re-queue the report to wait for its findings; the message will be retried",
        extra: {
          ...IMAGE,
          expectedFindings: 3,
          findingsRead: 1,
          findingsWaits: 1,
          delaySeconds: 60,
          error: "Error: SQS is down",
        },
      },
    ]);
  });

  it("sends what is there, marked incomplete, when the report has nowhere to wait", async () => {
    findingsAre([["CVE-2026-1", "HIGH"]]);
    const sns = reporter("sns");
    const { deps: d, requeued } = deps([sns.loaded], async () => false);
    expect(await runReportJob(job({}, { expectedFindings: 4 }), d)).toEqual({
      retry: [],
      outcome: "reported",
    });
    expect(requeued).toHaveLength(1);
    expect(sns.received[0]?.completeness).toEqual({ expectedFindings: 4, findingsRead: 1 });
  });

  it("sends what is there, marked incomplete, once it has waited as often as allowed", async () => {
    findingsAre([["CVE-2026-1", "HIGH"]]);
    const sns = reporter("sns");
    const { deps: d, requeued } = deps([sns.loaded]);
    expect(await runReportJob(job({ findingsWaits: 3 }, { expectedFindings: 4 }), d)).toEqual({
      retry: [],
      outcome: "reported",
    });
    expect(requeued).toEqual([]);
    expect(sns.received[0]?.completeness).toEqual({ expectedFindings: 4, findingsRead: 1 });
  });

  it("neither waits nor marks the report when every counted finding was read, or more", async () => {
    for (const expectedFindings of [2, 1]) {
      findingsAre([
        ["CVE-2026-1", "HIGH"],
        ["CVE-2026-2", "HIGH"],
      ]);
      const sns = reporter("sns");
      const { deps: d, requeued } = deps([sns.loaded]);
      expect((await runReportJob(job({}, { expectedFindings }), d)).outcome).toBe("reported");
      expect(requeued).toEqual([]);
      expect(sns.received[0]?.completeness).toBeUndefined();
    }
  });

  it("neither waits nor marks a FAILED scan, whose findings cannot come", async () => {
    findingsAre([], "FAILED");
    const sns = reporter("sns");
    const { deps: d, requeued } = deps([sns.loaded]);
    expect((await runReportJob(job({}, { expectedFindings: 3, scanStatus: "FAILED" }), d)).outcome).toBe(
      "reported",
    );
    expect(requeued).toEqual([]);
    expect(sns.received[0]?.status).toBe("FAILED");
    expect(sns.received[0]?.completeness).toBeUndefined();
  });
});

describe("runReportJob: some reporters fail", () => {
  it("re-queues the failed reporters alone with a back-off, and settles the messages", async () => {
    findingsAre([["CVE-2026-1", "HIGH"]]);
    const sns = reporter("sns");
    const slack = reporter("slack", true);
    const { deps: d, logs, requeued } = deps([sns.loaded, slack.loaded]);
    const failing = job();
    expect(await runReportJob(failing, d)).toEqual({ retry: [], outcome: "partially-failed" });
    expect(requeued).toEqual([
      { job: failing, reporters: ["slack"], destination: "queue", attempt: 2, delaySeconds: 60 },
    ]);
    expect(logs.find((l) => l.message === "report")?.extra?.outcomes).toEqual({
      sns: "sent",
      slack: "failed",
    });
    expect(logs.at(-1)).toEqual({
      level: "warn",
      message: "re-queued the failed reporters only",
      extra: { ...IMAGE, reporters: ["slack"], destination: "queue", attempt: 2, delaySeconds: 60 },
    });
  });

  it("re-queues a rate-limited reporter no sooner than it asked, within SQS's 900 s, and logs the ask", async () => {
    findingsAre([["CVE-2026-1", "HIGH"]]);
    const slack = reporter("slack");
    slack.loaded.reporter.report = async () => {
      throw new ReporterError("slack", "Slack answered HTTP 429 rate_limited", { retryAfterSeconds: 3_600 });
    };
    const { deps: d, logs, requeued } = deps([slack.loaded]);
    const limited = job();
    expect(await runReportJob(limited, d)).toEqual({ retry: [], outcome: "partially-failed" });
    expect(requeued).toEqual([
      { job: limited, reporters: ["slack"], destination: "queue", attempt: 2, delaySeconds: 900 },
    ]);
    expect(logs.at(-1)?.extra).toMatchObject({ delaySeconds: 900, retryAfterSeconds: 3_600 });
  });

  it("parks the failed reporters in the dead-letter queue after the last attempt, saying so", async () => {
    findingsAre([["CVE-2026-1", "HIGH"]]);
    const slack = reporter("slack", true);
    const { deps: d, logs, requeued } = deps([slack.loaded]);
    const last = job({ attempt: 5, only: ["slack"] });
    expect(await runReportJob(last, d)).toEqual({ retry: [], outcome: "partially-failed" });
    expect(requeued).toEqual([
      { job: last, reporters: ["slack"], destination: "dlq", attempt: 6, delaySeconds: 0 },
    ]);
    expect(logs.at(-1)).toEqual({
      level: "warn",
      message: "the failed reporters are out of attempts; parked in the dead-letter queue",
      extra: { ...IMAGE, reporters: ["slack"], destination: "dlq", attempt: 6, delaySeconds: 0 },
    });
  });

  it("lets SQS redeliver the whole message when the failed reporters have no queue to go to", async () => {
    findingsAre([["CVE-2026-1", "HIGH"]]);
    const { deps: d, logs } = deps([reporter("slack", true).loaded], async () => false);
    expect(await runReportJob(job(), d)).toEqual({ retry: ["m-1", "m-2"], outcome: "partially-failed" });
    expect(logs.map((l) => l.message)).not.toContain("re-queued the failed reporters only");
    expect(logs.filter((l) => l.level === "error").map((l) => l.message)).toEqual(["reporter slack failed"]);
  });

  it("lets SQS redeliver the whole message when re-queueing the failed reporters throws, saying why", async () => {
    findingsAre([["CVE-2026-1", "HIGH"]]);
    const { deps: d, logs } = deps([reporter("slack", true).loaded], async () => {
      throw new Error("SQS is down");
    });
    expect(await runReportJob(job(), d)).toEqual({ retry: ["m-1", "m-2"], outcome: "partially-failed" });
    expect(logs.at(-1)).toEqual({
      level: "error",
      message: "could not re-queue the failed reporters; the whole message will be retried",
      extra: { ...IMAGE, error: "Error: SQS is down" },
    });
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  ecrMock.restore();
});
