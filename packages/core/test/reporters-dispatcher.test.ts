import { describe, expect, it, vi } from "vitest";
import type { ReporterEntry } from "../src/config/schema.js";
import { ReporterError } from "../src/errors.js";
import type { Finding, ScanReport, Severity } from "../src/model.js";
import type { ReportContext, Reporter, ReportOutcome } from "../src/reporters/contract.js";
import { dispatchReport, longestRetryAfter, whyNotRouted } from "../src/reporters/dispatcher.js";
import type { LoadedReporter } from "../src/reporters/loader.js";
import {
  countsOf,
  failedReport,
  type LogLine,
  recordingLogger,
  scanReport,
  withinThresholdsReport,
} from "../src/testing/index.js";

type ReportFn = (report: ScanReport, ctx: ReportContext) => Promise<ReportOutcome>;

interface FakeOptions {
  receives?: "due" | "all";
  repositories?: RegExp;
  minSeverity?: Severity;
  onlyFixable?: boolean;
  report?: ReportFn;
}

/** A loaded reporter whose report() is a spy; by default it sends and returns `<id>-ref`. */
function fake(id: string, options: FakeOptions = {}) {
  const report = vi.fn<ReportFn>(options.report ?? (async () => ({ status: "sent", ref: `${id}-ref` })));
  const reporter: Reporter = { report };
  const use = id.split("#")[0] ?? id;
  const entry: ReporterEntry = {
    use,
    notify: "changes",
    repositories: options.repositories,
    minSeverity: options.minSeverity,
    onlyFixable: options.onlyFixable,
  };
  const loaded: LoadedReporter = {
    id,
    options: {},
    plugin: {
      name: use,
      receives: options.receives,
      optionsSchema: { safeParse: () => ({ success: true, data: {} }) } as never,
      create: () => reporter,
    },
    entry,
    reporter,
  };
  return { loaded, report };
}

const failing: ReportFn = async () => {
  throw new Error("Slack answered 500 Internal Server Error");
};

/** The lines a recording logger got at one level. */
function linesAt(logger: { logs: LogLine[] }, level: LogLine["level"]): LogLine[] {
  return logger.logs.filter((line) => line.level === level);
}

describe("dispatchReport", () => {
  it("lets the other reporters send when one throws, and names only the thrower as failed", async () => {
    const sns = fake("sns");
    const slack = fake("slack", { report: failing });
    const github = fake("github");
    const logger = recordingLogger();
    const report = scanReport();

    const result = await dispatchReport(report, [sns.loaded, slack.loaded, github.loaded], { logger });

    expect(sns.report).toHaveBeenCalledTimes(1);
    expect(github.report).toHaveBeenCalledTimes(1);
    expect(sns.report.mock.calls[0]?.[0]).toBe(report);
    expect(github.report.mock.calls[0]?.[0]).toBe(report);
    expect(result.failed).toEqual(["slack"]);
    expect(result.outcomes).toEqual([
      { reporter: "sns", status: "sent", ref: "sns-ref" },
      { reporter: "slack", status: "failed", error: "Error: Slack answered 500 Internal Server Error" },
      { reporter: "github", status: "sent", ref: "github-ref" },
    ]);

    const errors = linesAt(logger, "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain("slack");
    expect(errors[0]?.extra).toMatchObject({
      reporter: "slack",
      repository: "team-a/api",
      digest: report.digest,
      outcome: { status: "failed" },
    });
    const infos = linesAt(logger, "info");
    expect(infos).toHaveLength(2);
    expect(infos.map((line) => line.message)).toEqual(["reporter sns: sent", "reporter github: sent"]);
    expect(infos.map((line) => line.extra?.reporter)).toEqual(["sns", "github"]);
  });

  it("catches a report() that throws synchronously (a plugin without async)", async () => {
    const teams = fake("@acme/teams", {
      report: (() => {
        throw new TypeError("cannot read properties of undefined");
      }) as ReportFn,
    });
    const sns = fake("sns");

    const result = await dispatchReport(scanReport(), [teams.loaded, sns.loaded], {
      logger: recordingLogger(),
    });

    expect(result.failed).toEqual(["@acme/teams"]);
    expect(sns.report).toHaveBeenCalledTimes(1);
  });

  it("hands the report to every reporter at once rather than one after another", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const waiting: ReportFn = async () => {
      await gate;
      return { status: "sent" };
    };
    const a = fake("sns", { report: waiting });
    const b = fake("slack", { report: waiting });
    const c = fake("github", { report: waiting });

    const pending = dispatchReport(scanReport(), [a.loaded, b.loaded, c.loaded], {
      logger: recordingLogger(),
    });
    await Promise.resolve();

    expect([a.report, b.report, c.report].map((spy) => spy.mock.calls.length)).toEqual([1, 1, 1]);
    release();
    await expect(pending).resolves.toMatchObject({ failed: [] });
  });

  it("re-runs only the failed reporter on a targeted retry, with its attempt number", async () => {
    const sns = fake("sns");
    let slackCalls = 0;
    const slack = fake("slack", {
      report: async () => {
        slackCalls += 1;
        if (slackCalls === 1) throw new Error("timeout");
        return { status: "sent", ref: "1700000000.000100" };
      },
    });
    const github = fake("github");
    const reporters = [sns.loaded, slack.loaded, github.loaded];
    const report = scanReport();

    const first = await dispatchReport(report, reporters, { logger: recordingLogger() });
    expect(first.failed).toEqual(["slack"]);

    const logger = recordingLogger();
    const retry = await dispatchReport(report, reporters, { logger, attempt: 2, only: first.failed });

    expect(sns.report).toHaveBeenCalledTimes(1);
    expect(github.report).toHaveBeenCalledTimes(1);
    expect(slack.report).toHaveBeenCalledTimes(2);
    expect(slack.report.mock.calls[1]?.[1]).toMatchObject({ reporterId: "slack", attempt: 2 });
    expect(retry).toEqual({
      outcomes: [{ reporter: "slack", status: "sent", ref: "1700000000.000100" }],
      failed: [],
    });
    expect(linesAt(logger, "info")).toHaveLength(1);
    expect(linesAt(logger, "error")).toEqual([]);
  });

  it("retries a numbered id without touching the first use of the same reporter", async () => {
    const slack = fake("slack");
    const slack2 = fake("slack#2");

    const result = await dispatchReport(scanReport(), [slack.loaded, slack2.loaded], {
      logger: recordingLogger(),
      only: ["slack#2"],
    });

    expect(slack.report).not.toHaveBeenCalled();
    expect(slack2.report).toHaveBeenCalledTimes(1);
    expect(result.outcomes.map((o) => o.reporter)).toEqual(["slack#2"]);
  });

  it("gives each reporter a context with its own id, the attempt (1 by default) and the source", async () => {
    const slack = fake("slack");
    const slack2 = fake("slack#2");

    await dispatchReport(scanReport(), [slack.loaded, slack2.loaded], {
      logger: recordingLogger(),
      source: "message 5f1c-42",
    });

    expect(slack.report.mock.calls[0]?.[1]).toEqual({
      reporterId: "slack",
      attempt: 1,
      source: "message 5f1c-42",
    });
    expect(slack2.report.mock.calls[0]?.[1]).toEqual({
      reporterId: "slack#2",
      attempt: 1,
      source: "message 5f1c-42",
    });
  });

  it("with the delivery's notifications, routes no one again and tells each reporter what its notification is", async () => {
    // Neither would be routed on its own: the report is within thresholds and slack's `repositories` does not match.
    const slack = fake("slack", { repositories: /^legacy\// });
    const sns = fake("sns");
    const notifications = new Map([
      ["slack", { kind: "back-within-thresholds" as const, why: "back-within-thresholds" as const }],
      ["sns", { why: "no-ledger" as const }],
    ]);

    const result = await dispatchReport(withinThresholdsReport(), [slack.loaded, sns.loaded], {
      logger: recordingLogger(),
      notifications,
    });

    expect(result.outcomes.map((o) => o.status)).toEqual(["sent", "sent"]);
    expect(slack.report.mock.calls[0]?.[1]).toEqual({
      reporterId: "slack",
      attempt: 1,
      source: undefined,
      notification: { kind: "back-within-thresholds", why: "back-within-thresholds" },
    });
    // No kind decided (no ledger): the context carries no notification at all.
    expect(sns.report.mock.calls[0]?.[1]).not.toHaveProperty("notification");
  });

  it("does not give a report to a reporter whose `repositories` does not match", async () => {
    const teamA = fake("slack", { repositories: /^team-a\// });
    const teamB = fake("slack#2", { repositories: /^team-b\// });
    const logger = recordingLogger();

    const result = await dispatchReport(
      scanReport({ repository: "team-b/web" }),
      [teamA.loaded, teamB.loaded],
      {
        logger,
      },
    );

    expect(teamA.report).not.toHaveBeenCalled();
    expect(teamB.report).toHaveBeenCalledTimes(1);
    expect(result.outcomes[0]).toEqual({
      reporter: "slack",
      status: "not-routed",
      detail: "routing (accounts / repositories / minSeverity) excludes it",
    });
    // Not being routed is not a failure: nothing to retry, logged at info.
    expect(result.failed).toEqual([]);
    expect(linesAt(logger, "error")).toEqual([]);
    expect(linesAt(logger, "info").map((line) => line.message)).toContain("reporter slack: not-routed");
  });

  it("routes the same way every time for a `repositories` regex with the global flag", async () => {
    const slack = fake("slack", { repositories: /^team-a\//g });
    const report = scanReport();
    const logger = recordingLogger();

    for (let i = 0; i < 3; i++) await dispatchReport(report, [slack.loaded], { logger });

    expect(slack.report).toHaveBeenCalledTimes(3);
  });

  it("routes by `minSeverity`: only reports with a finding at least that severe", async () => {
    const pager = fake("sns", { minSeverity: "CRITICAL" });
    const chat = fake("slack", { minSeverity: "HIGH" });
    const everything = fake("github");
    const reporters = [pager.loaded, chat.loaded, everything.loaded];
    const highOnly = scanReport({ counts: countsOf({ HIGH: 2, LOW: 7 }) });

    const result = await dispatchReport(highOnly, reporters, { logger: recordingLogger() });

    expect(result.outcomes.map((o) => o.status)).toEqual(["not-routed", "sent", "sent"]);
    expect(pager.report).not.toHaveBeenCalled();

    const critical = scanReport({ counts: countsOf({ CRITICAL: 1 }), verdict: { exceeded: ["CRITICAL"] } });
    await dispatchReport(critical, reporters, { logger: recordingLogger() });
    expect(pager.report).toHaveBeenCalledTimes(1);
    expect(pager.report.mock.calls[0]?.[0]).toBe(critical);
  });

  it("routes a failed scan to a reporter with `minSeverity`, since its image went unchecked", async () => {
    const pager = fake("sns", { minSeverity: "CRITICAL" });

    const result = await dispatchReport(failedReport(), [pager.loaded], { logger: recordingLogger() });

    expect(result.outcomes).toEqual([{ reporter: "sns", status: "sent", ref: "sns-ref" }]);
  });

  it("gives a report that is not due only to the reporters that receive all reports", async () => {
    const dueOnly = fake("slack");
    const explicitDue = fake("sns", { receives: "due" });
    const all = fake("metrics", { receives: "all" });
    const report = withinThresholdsReport();

    const result = await dispatchReport(report, [dueOnly.loaded, explicitDue.loaded, all.loaded], {
      logger: recordingLogger(),
    });

    expect(dueOnly.report).not.toHaveBeenCalled();
    expect(explicitDue.report).not.toHaveBeenCalled();
    expect(all.report).toHaveBeenCalledTimes(1);
    expect(all.report.mock.calls[0]?.[0]).toBe(report);
    expect(result.outcomes).toEqual([
      { reporter: "slack", status: "not-routed", detail: "report not due (within-thresholds)" },
      { reporter: "sns", status: "not-routed", detail: "report not due (within-thresholds)" },
      { reporter: "metrics", status: "sent", ref: "metrics-ref" },
    ]);
    expect(result.failed).toEqual([]);
  });

  it("still applies routing to a reporter that receives all reports", async () => {
    const metrics = fake("metrics", { receives: "all", repositories: /^team-a\// });

    const result = await dispatchReport(
      withinThresholdsReport({ repository: "team-b/web" }),
      [metrics.loaded],
      {
        logger: recordingLogger(),
      },
    );

    expect(metrics.report).not.toHaveBeenCalled();
    expect(result.outcomes[0]?.status).toBe("not-routed");
  });

  it("keeps a reporter's skipped outcome and detail", async () => {
    const github = fake("github", {
      report: async () => ({ status: "skipped", detail: "issue #12 already up to date" }),
    });

    const result = await dispatchReport(scanReport(), [github.loaded], { logger: recordingLogger() });

    expect(result).toEqual({
      outcomes: [{ reporter: "github", status: "skipped", detail: "issue #12 already up to date" }],
      failed: [],
    });
  });

  it("lists every failed reporter when several fail", async () => {
    const a = fake("slack", { report: failing });
    const b = fake("sns");
    const c = fake("slack#2", { report: failing });
    const logger = recordingLogger();

    const result = await dispatchReport(scanReport(), [a.loaded, b.loaded, c.loaded], { logger });

    expect(result.failed).toEqual(["slack", "slack#2"]);
    expect(linesAt(logger, "error").map((line) => line.message)).toEqual([
      "reporter slack failed",
      "reporter slack#2 failed",
    ]);
  });
});

describe("a failed reporter's retry-after hint", () => {
  it("goes with its failed outcome, and the longest one tells how long the failed reporters wait", async () => {
    const limited =
      (seconds: number): ReportFn =>
      async () => {
        throw new ReporterError("slack", "Slack answered HTTP 429 rate_limited", {
          retryAfterSeconds: seconds,
        });
      };
    const a = fake("slack", { report: limited(3_600) });
    const b = fake("slack#2", { report: limited(45) });
    const c = fake("sns", { report: failing });
    const d = fake("github");

    const result = await dispatchReport(scanReport(), [a.loaded, b.loaded, c.loaded, d.loaded], {
      logger: recordingLogger(),
    });

    expect(result.outcomes).toEqual([
      expect.objectContaining({ reporter: "slack", status: "failed", retryAfterSeconds: 3_600 }),
      expect.objectContaining({ reporter: "slack#2", status: "failed", retryAfterSeconds: 45 }),
      { reporter: "sns", status: "failed", error: "Error: Slack answered 500 Internal Server Error" },
      { reporter: "github", status: "sent", ref: "github-ref" },
    ]);
    expect(longestRetryAfter(result.outcomes)).toBe(3_600);
    expect(longestRetryAfter(result.outcomes.slice(1))).toBe(45);
    expect(longestRetryAfter(result.outcomes.slice(2))).toBeUndefined();
  });
});

describe("whyNotRouted", () => {
  it("gives the verdict's reason for a report that is not due, before looking at routing", () => {
    const report = scanReport({
      status: "FAILED",
      counts: countsOf(),
      verdict: { due: false, reason: "scan-failed-not-notified", exceeded: [] },
    });
    expect(whyNotRouted(report, fake("sns", { repositories: /^nowhere$/ }).loaded)).toBe(
      "report not due (scan-failed-not-notified)",
    );
  });

  it("is undefined for a due report the entry routes", () => {
    expect(whyNotRouted(scanReport(), fake("sns", { minSeverity: "HIGH" }).loaded)).toBeUndefined();
  });
});

describe("onlyFixable entries", () => {
  const fixable: Finding = { id: "CVE-2024-0001", severity: "HIGH", title: "a", fixedInVersion: "3.0.13" };
  const unfixable: Finding = { id: "CVE-2024-0002", severity: "CRITICAL", title: "b", fixAvailable: "NO" };
  const lowFixable: Finding = { id: "CVE-2024-0003", severity: "LOW", title: "c", fixAvailable: "PARTIAL" };

  it("hands an onlyFixable entry the findings with a fix, counted again; the others the whole report", async () => {
    const all = fake("sns");
    const fixOnly = fake("slack", { onlyFixable: true });
    const report = scanReport({
      findings: [unfixable, fixable, lowFixable],
      counts: countsOf({ CRITICAL: 1, HIGH: 1, LOW: 1 }),
    });

    const result = await dispatchReport(report, [all.loaded, fixOnly.loaded], { logger: recordingLogger() });

    expect(result.outcomes.map((o) => o.status)).toEqual(["sent", "sent"]);
    expect(all.report.mock.calls[0]?.[0]).toBe(report);
    const received = fixOnly.report.mock.calls[0]?.[0];
    expect(received?.findings).toEqual([fixable, lowFixable]);
    expect(received?.counts).toEqual(countsOf({ HIGH: 1, LOW: 1 }));
    expect(received?.verdict).toEqual(report.verdict);
  });

  it("does not route to an onlyFixable entry a report with no finding that has a fix", async () => {
    const fixOnly = fake("slack", { onlyFixable: true, receives: "all" });
    const report = scanReport({ findings: [unfixable], counts: countsOf({ CRITICAL: 1 }) });

    const result = await dispatchReport(report, [fixOnly.loaded], { logger: recordingLogger() });

    expect(fixOnly.report).not.toHaveBeenCalled();
    expect(result.outcomes).toEqual([
      { reporter: "slack", status: "not-routed", detail: "no finding with a fix" },
    ]);
    expect(whyNotRouted(report, fixOnly.loaded)).toBe("no finding with a fix");
  });

  it("routes an onlyFixable entry by `minSeverity` on the findings it receives", async () => {
    const fixOnly = fake("slack", { onlyFixable: true, minSeverity: "HIGH" });
    const report = scanReport({
      findings: [unfixable, lowFixable],
      counts: countsOf({ CRITICAL: 1, LOW: 1 }),
    });
    expect(whyNotRouted(report, fixOnly.loaded)).toBe(
      "routing (accounts / repositories / minSeverity) excludes it",
    );
    expect(whyNotRouted(report, fake("sns", { minSeverity: "HIGH" }).loaded)).toBeUndefined();
  });

  it("sends a failed scan's report to an onlyFixable entry as it is", async () => {
    const fixOnly = fake("slack", { onlyFixable: true });
    const report = failedReport();
    await dispatchReport(report, [fixOnly.loaded], { logger: recordingLogger() });
    expect(fixOnly.report.mock.calls[0]?.[0]).toBe(report);
  });
});
