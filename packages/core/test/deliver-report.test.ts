// deliverReport with a real DynamoDbLedger on the sandbox's DynamoDB (dynalite behind the sandbox), and reporters
// that record what they are handed: the decisions of the ledger-aware delivery, one at a time.
import { describe, expect, it, vi } from "vitest";
import type { ReporterEntry } from "../src/config/schema.js";
import { disabledLedger, type FindingsLedger, LedgerError } from "../src/ledger/ledger.js";
import type { Finding, ScanReport } from "../src/model.js";
import type { ReportContext, Reporter, ReportOutcome } from "../src/reporters/contract.js";
import type { LoadedReporter } from "../src/reporters/loader.js";
import { countsOf, recordingLogger, scanReport, withinThresholdsReport } from "../src/testing/index.js";
import { deliverReport } from "../src/use-cases/deliver-report.js";
import { useLedgerTables } from "./support/ledger-tables.js";

type ReportFn = (report: ScanReport, ctx: ReportContext) => Promise<ReportOutcome>;

const { freshLedger } = useLedgerTables("deliver");

function reporter(
  id: string,
  options: {
    notify?: "changes" | "always";
    receives?: "due" | "all";
    report?: ReportFn;
    repositories?: RegExp;
    onlyFixable?: boolean;
  } = {},
) {
  const report = vi.fn<ReportFn>(options.report ?? (async () => ({ status: "sent" })));
  const impl: Reporter = { report };
  const entry: ReporterEntry = {
    use: id,
    notify: options.notify ?? "changes",
    repositories: options.repositories,
    onlyFixable: options.onlyFixable,
  };
  const loaded: LoadedReporter = {
    id,
    options: {},
    plugin: {
      name: id,
      receives: options.receives,
      optionsSchema: { safeParse: () => ({ success: true, data: {} }) } as never,
      create: () => impl,
    },
    entry,
    reporter: impl,
  };
  return { loaded, report };
}

const CVE_A: Finding = { id: "CVE-2026-0001", severity: "HIGH", title: "a", packageName: "openssl" };
const CVE_B: Finding = { id: "CVE-2026-0002", severity: "CRITICAL", title: "b", packageName: "zlib" };

/** A due report of the image with these findings, completed at `completedAt`. */
function due(findings: Finding[], completedAt: string, overrides: Partial<ScanReport> = {}): ScanReport {
  return scanReport({ findings, counts: countsOf({ HIGH: 1 }), completedAt, ...overrides });
}

const deliver = (
  report: ScanReport,
  ledger: FindingsLedger,
  reporters: LoadedReporter[],
  logger = recordingLogger(),
) =>
  deliverReport(report, {
    ledger,
    reporters,
    logger,
    eventTime: "2026-03-15T12:00:05Z",
    attempt: 1,
  });

describe("deliverReport with the findings ledger", () => {
  it("sends the first report with firstReport changes, holds the same scan delivered again", async () => {
    const ledger = await freshLedger();
    const sns = reporter("sns");
    const first = due([CVE_A], "2026-03-15T12:00:00.000Z");
    const sent = await deliver(first, ledger, [sns.loaded]);
    expect(sent.outcomes.map((o) => o.status)).toEqual(["sent"]);
    expect(first.changes?.firstReport).toBe(true);
    expect(sns.report.mock.calls[0]?.[1].notification).toEqual({ kind: "report", why: "first-report" });

    const again = await deliver(due([CVE_A], "2026-03-15T12:00:00.000Z"), ledger, [sns.loaded]);
    expect(again.held).toEqual([{ reporter: "sns", why: "duplicate-scan" }]);
    expect(sns.report).toHaveBeenCalledTimes(1);
  });

  it("holds an unchanged rescan for notify changes, sends it for always, and names a new finding", async () => {
    const ledger = await freshLedger();
    const quiet = reporter("sns");
    const loud = reporter("email", { notify: "always" });
    await deliver(due([CVE_A], "2026-03-15T12:00:00.000Z"), ledger, [quiet.loaded, loud.loaded]);

    const unchanged = await deliver(due([CVE_A], "2026-03-22T12:00:00.000Z"), ledger, [
      quiet.loaded,
      loud.loaded,
    ]);
    expect(unchanged.held).toEqual([{ reporter: "sns", why: "unchanged" }]);
    expect(loud.report).toHaveBeenCalledTimes(2);

    const rescan = due([CVE_A, CVE_B], "2026-03-29T12:00:00.000Z");
    await deliver(rescan, ledger, [quiet.loaded, loud.loaded]);
    expect(rescan.changes?.newFindings.map((f) => f.id)).toEqual(["CVE-2026-0002"]);
    expect(rescan.changes?.previousScanAt).toBe("2026-03-22T12:00:00.000Z");
    expect(quiet.report).toHaveBeenCalledTimes(2);
    expect(quiet.report.mock.calls[1]?.[1].notification?.why).toBe("new-findings");
  });

  it("compares a new digest under the same tag with the tag's last report: a rebuild is not news", async () => {
    const ledger = await freshLedger();
    const sns = reporter("sns");
    await deliver(due([CVE_A], "2026-03-15T12:00:00.000Z"), ledger, [sns.loaded]);
    const rebuild = due([CVE_A], "2026-03-16T12:00:00.000Z", { digest: `sha256:${"b".repeat(64)}` });
    const result = await deliver(rebuild, ledger, [sns.loaded]);
    expect(rebuild.changes?.firstReport).toBe(false);
    expect(result.held).toEqual([{ reporter: "sns", why: "unchanged" }]);
  });

  it("sends one back-within-thresholds notice, routed by repositories alone, and nothing after it", async () => {
    const ledger = await freshLedger();
    const sns = reporter("sns");
    const elsewhere = reporter("slack", { repositories: /^team-b\// });
    await deliver(due([CVE_A], "2026-03-15T12:00:00.000Z"), ledger, [sns.loaded, elsewhere.loaded]);
    const within = () => withinThresholdsReport({ completedAt: "2026-03-22T12:00:00.000Z" });
    const notice = await deliver(within(), ledger, [sns.loaded, elsewhere.loaded]);
    expect(sns.report.mock.calls[1]?.[1].notification).toEqual({
      kind: "back-within-thresholds",
      why: "back-within-thresholds",
    });
    expect(notice.outcomes.find((o) => o.reporter === "slack")?.status).toBe("not-routed");
    const later = await deliver(withinThresholdsReport({ completedAt: "2026-03-29T12:00:00.000Z" }), ledger, [
      sns.loaded,
    ]);
    expect(later.held).toEqual([{ reporter: "sns", why: "not-due" }]);
    expect(sns.report).toHaveBeenCalledTimes(2);
  });

  it("gives a failed send back, so the retry sends it with the same changes, then records the report", async () => {
    const ledger = await freshLedger();
    let fail = false;
    const slack = reporter("slack", {
      report: async () => {
        if (fail) throw new Error("Slack answered 500");
        return { status: "sent" };
      },
    });
    await deliver(due([CVE_A], "2026-03-15T12:00:00.000Z"), ledger, [slack.loaded]);
    fail = true;
    const failed = await deliver(due([CVE_A, CVE_B], "2026-03-22T12:00:00.000Z"), ledger, [slack.loaded]);
    expect(failed.failed).toEqual(["slack"]);
    fail = false;
    const retry = due([CVE_A, CVE_B], "2026-03-22T12:00:00.000Z");
    const retried = await deliver(retry, ledger, [slack.loaded]);
    expect(retried.failed).toEqual([]);
    expect(retry.changes?.newFindings.map((f) => f.id)).toEqual(["CVE-2026-0002"]);
    expect(slack.report).toHaveBeenCalledTimes(3);
    // The retry recorded the report: the next unchanged scan compares with it and is held.
    const next = await deliver(due([CVE_A, CVE_B], "2026-03-29T12:00:00.000Z"), ledger, [slack.loaded]);
    expect(next.held).toEqual([{ reporter: "slack", why: "unchanged" }]);
  });

  it("gives a reporter that receives every report each scan once, whatever notify says", async () => {
    const ledger = await freshLedger();
    const github = reporter("github", { receives: "all" });
    await deliver(due([CVE_A], "2026-03-15T12:00:00.000Z"), ledger, [github.loaded]);
    await deliver(due([CVE_A], "2026-03-22T12:00:00.000Z"), ledger, [github.loaded]);
    const again = await deliver(due([CVE_A], "2026-03-22T12:00:00.000Z"), ledger, [github.loaded]);
    expect(github.report).toHaveBeenCalledTimes(2);
    expect(again.held).toEqual([{ reporter: "github", why: "duplicate-scan" }]);
  });

  it("tells an onlyFixable entry of its findings with a fix only, and routes it nothing when none has one", async () => {
    const ledger = await freshLedger();
    const everything = reporter("sns");
    const fixOnly = reporter("slack", { onlyFixable: true });
    const fixable: Finding = { ...CVE_B, fixedInVersion: "1:1.3.1-1" };
    const unfixable: Finding = { ...CVE_A, id: "CVE-2026-0003", fixAvailable: "NO" };
    const reporters = [everything.loaded, fixOnly.loaded];

    await deliver(due([CVE_A, fixable], "2026-03-15T12:00:00.000Z"), ledger, reporters);
    expect(everything.report.mock.calls[0]?.[0].findings).toEqual([CVE_A, fixable]);
    expect(fixOnly.report.mock.calls[0]?.[0].findings).toEqual([fixable]);
    expect(fixOnly.report.mock.calls[0]?.[0].counts).toEqual(countsOf({ CRITICAL: 1 }));

    // A new finding without a fix is news to the whole report, not to the entry that sees only fixes.
    const rescan = await deliver(
      due([CVE_A, fixable, unfixable], "2026-03-22T12:00:00.000Z"),
      ledger,
      reporters,
    );
    expect(everything.report.mock.calls[1]?.[1].notification?.why).toBe("new-findings");
    expect(rescan.held).toEqual([{ reporter: "slack", why: "unchanged" }]);

    const noFix = await deliver(due([CVE_A, unfixable], "2026-03-29T12:00:00.000Z"), ledger, reporters);
    expect(noFix.outcomes.find((o) => o.reporter === "slack")).toEqual({
      reporter: "slack",
      status: "not-routed",
      detail: "no finding with a fix",
    });
    expect(fixOnly.report).toHaveBeenCalledTimes(1);
  });

  it("sends every due report without a ledger, as before it, and says once that changes cannot be computed", async () => {
    const logger = recordingLogger();
    const ledger = disabledLedger(logger);
    const sns = reporter("sns");
    const report = due([CVE_A], "2026-03-15T12:00:00.000Z");
    await deliver(report, ledger, [sns.loaded], logger);
    await deliver(due([CVE_A], "2026-03-15T12:00:00.000Z"), ledger, [sns.loaded], logger);
    expect(sns.report).toHaveBeenCalledTimes(2);
    expect(report.changes).toBeUndefined();
    expect(logger.logs.filter((l) => l.message.includes("changes cannot be computed"))).toHaveLength(1);
  });

  it("throws a retryable ledger error before sending anything; sends as without a ledger on any other", async () => {
    const sns = reporter("sns");
    const failingWith = (retryable: boolean): FindingsLedger => ({
      ...disabledLedger(recordingLogger()),
      enabled: true,
      readReferences: async () => {
        const cause = Object.assign(new Error(retryable ? "Throughput exceeded" : "no such table"), {
          name: retryable ? "ThrottlingException" : "ResourceNotFoundException",
          $metadata: { httpStatusCode: 400 },
        });
        throw new LedgerError("BatchGetItem", "ledger", "team-a/api", cause);
      },
    });
    await expect(
      deliver(due([CVE_A], "2026-03-15T12:00:00.000Z"), failingWith(true), [sns.loaded]),
    ).rejects.toThrow(LedgerError);
    expect(sns.report).not.toHaveBeenCalled();
    const logger = recordingLogger();
    const result = await deliver(
      due([CVE_A], "2026-03-15T12:00:00.000Z"),
      failingWith(false),
      [sns.loaded],
      logger,
    );
    expect(result.ledgerUnavailable).toBe(true);
    expect(sns.report).toHaveBeenCalledTimes(1);
    expect(logger.logs.find((l) => l.level === "error")?.message).toMatch(/findings ledger unavailable/);
  });
});
