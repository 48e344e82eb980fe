// A KEV escalation through report-findings' path: runReportJob with ECR mocked, the findings ledger on the sandbox's
// DynamoDB, and reporters that record what they receive. The escalation is the message schedule-scans queues,
// parsed and planned as report-findings does.
import { DescribeImageScanFindingsCommand, ECRClient } from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load.js";
import { buildKevEscalationMessage } from "../src/events/kev-escalation.js";
import { planReportJobs, type ReportJob } from "../src/events/report-jobs.js";
import { parseReportQueueMessage } from "../src/events/report-queue.js";
import type { ThreatIntel } from "../src/intel/intel.js";
import type { ScanReport } from "../src/model.js";
import type { ReportContext } from "../src/reporters/contract.js";
import type { LoadedReporter } from "../src/reporters/loader.js";
import { recordingLogger } from "../src/testing/index.js";
import { runReportJob } from "../src/use-cases/run-report-job.js";
import { useLedgerTables } from "./support/ledger-tables.js";

const ecrMock = mockClient(ECRClient);
const { freshLedger } = useLedgerTables("kev-report");
const DIGEST = `sha256:${"d".repeat(64)}`;
const LOG4SHELL = "CVE-2021-44228";

beforeEach(() => {
  ecrMock.reset();
  ecrMock.on(DescribeImageScanFindingsCommand).resolves({
    imageScanStatus: { status: "COMPLETE" },
    imageScanFindings: {
      imageScanCompletedAt: new Date("2026-03-02T09:00:00Z"),
      findings: [
        { name: LOG4SHELL, severity: "HIGH", attributes: [{ key: "package_name", value: "log4j-core" }] },
        { name: "CVE-2026-0002", severity: "HIGH", attributes: [{ key: "package_name", value: "zlib" }] },
      ],
    },
  });
});

afterAll(() => ecrMock.restore());

/** A reporter of due reports that records each report and its context. */
function reporter(id: string, notify: "changes" | "always") {
  const received: { report: ScanReport; context: ReportContext }[] = [];
  const loaded = {
    id,
    plugin: { receives: "due" },
    entry: { use: id, notify },
    options: {},
    reporter: {
      report: async (report: ScanReport, context: ReportContext) => {
        received.push({ report: structuredClone(report), context });
        return { status: "sent" as const };
      },
    },
  } as unknown as LoadedReporter;
  return { loaded, received };
}

/** The job report-findings plans for one report-queue message body. */
function jobOf(body: unknown, messageId: string): ReportJob {
  const message = parseReportQueueMessage(JSON.stringify(body), messageId);
  if (message.kind !== "scan-completed")
    throw new Error(message.kind === "ignored" ? message.reason : message.kind);
  const [job] = planReportJobs([{ messageId, message }]);
  if (!job) throw new Error("no job");
  return job;
}

const scanEvent = {
  version: "0",
  id: "e-1",
  "detail-type": "ECR Image Scan",
  source: "aws.ecr",
  account: "123456789012",
  time: "2026-03-02T09:00:05Z",
  region: "eu-west-1",
  resources: [],
  detail: {
    "scan-status": "COMPLETE",
    "repository-name": "team-a/api",
    "image-digest": DIGEST,
    "image-tags": ["v1"],
    "finding-severity-counts": { HIGH: 2 },
  },
};

const escalation = (cves: string[]) =>
  buildKevEscalationMessage(
    { registryId: "123456789012", repository: "team-a/api", digest: DIGEST, tags: ["v1"], cves },
    { region: "eu-west-1", scanType: "BASIC", queuedAt: new Date("2026-03-09T06:00:00Z") },
  );

describe("a KEV escalation on the report path", () => {
  it("reports the image's current findings with those now known exploited, once per reporter", async () => {
    const ledger = await freshLedger();
    const quiet = reporter("sns", "changes");
    const loud = reporter("email", "always");
    const logger = recordingLogger();
    const deps = {
      ecr: new ECRClient({ region: "eu-west-1" }),
      reporters: [quiet.loaded, loud.loaded],
      policy: parseConfig({ thresholds: { HIGH: 0 } }, "test"),
      logger,
      requeue: async () => true,
      ledger,
    };

    expect(await runReportJob(jobOf(scanEvent, "scan-1"), deps)).toEqual({ retry: [], outcome: "reported" });
    // The same scan again (a rescan with nothing new): the changes-mode reporter is quiet.
    await runReportJob(jobOf({ ...scanEvent, id: "e-2" }, "scan-2"), deps);
    expect(quiet.received).toHaveLength(1);

    const result = await runReportJob(jobOf(escalation([LOG4SHELL]), "kev-1"), deps);
    expect(result).toEqual({ retry: [], outcome: "reported" });
    const [, escalated] = quiet.received;
    expect(escalated?.report.changes?.nowKnownExploited?.map((f) => [f.id, f.packageName])).toEqual([
      [LOG4SHELL, "log4j-core"],
    ]);
    // Built from all its current findings, as for a completed scan; nothing is "new".
    expect(escalated?.report.findings.map((f) => f.id).sort()).toEqual([LOG4SHELL, "CVE-2026-0002"]);
    expect(escalated?.report.changes?.newFindings).toEqual([]);
    expect(escalated?.context.notification).toEqual({ kind: "report", why: "now-known-exploited" });
    expect(loud.received.at(-1)?.context.notification).toEqual({ kind: "report", why: "always" });
    const reportLine = logger.logs.filter((line) => line.message === "report").at(-1);
    expect(reportLine?.extra?.changes).toMatchObject({ nowKnownExploited: [LOG4SHELL] });

    // The same escalation again (a doubled run, a redelivery): held by its send key, in both modes.
    const counts = [quiet.received.length, loud.received.length];
    await runReportJob(jobOf(escalation([LOG4SHELL]), "kev-2"), deps);
    expect([quiet.received.length, loud.received.length]).toEqual(counts);
    const heldLine = logger.logs.filter((line) => line.message === "report").at(-1);
    expect(heldLine?.extra?.held).toEqual({ sns: "duplicate-scan", email: "duplicate-scan" });
  });

  it("reaches a reporter of every report (metrics, GitHub) once, told apart from its scan by nowKnownExploited", async () => {
    const ledger = await freshLedger();
    const every = reporter("metrics", "changes");
    every.loaded.plugin.receives = "all";
    const deps = {
      ecr: new ECRClient({ region: "eu-west-1" }),
      reporters: [every.loaded],
      policy: parseConfig({ thresholds: { HIGH: 0 } }, "test"),
      logger: recordingLogger(),
      requeue: async () => true,
      ledger,
    };
    await runReportJob(jobOf(scanEvent, "scan-1"), deps);
    await runReportJob(jobOf({ ...scanEvent, id: "e-2" }, "scan-2"), deps);
    await runReportJob(jobOf(escalation([LOG4SHELL]), "kev-1"), deps);
    await runReportJob(jobOf(escalation([LOG4SHELL]), "kev-2"), deps);

    // The scan once, the escalation once: what the metrics reporter counts on to write KevEscalations only.
    expect(every.received.map(({ report }) => report.changes?.nowKnownExploited?.map((f) => f.id))).toEqual([
      undefined,
      [LOG4SHELL],
    ]);
    expect(every.received[1]?.context.notification).toEqual({ kind: "report", why: "always" });
  });

  it("holds it for a reporter whose last report already showed the CVE as known exploited, and only for that one", async () => {
    // CISA added Log4Shell between two scans: the quiet reporter held the second scan (nothing new), the loud one got
    // it, with the KEV mark. The scheduled comparison's escalation is news to the first only.
    const ledger = await freshLedger();
    const quiet = reporter("sns", "changes");
    const loud = reporter("email", "always");
    const every = reporter("github", "changes");
    every.loaded.plugin.receives = "all";
    const logger = recordingLogger();
    const kevKnown: ThreatIntel = {
      lookUp: async (ids) => ({
        kev: new Map(ids.filter((id) => id === LOG4SHELL).map((id) => [id, { dateAdded: "2026-03-05" }])),
        epss: new Map(),
        status: { kev: { state: "fresh", asOf: "2026-03-05" }, epss: { state: "off" } },
      }),
    };
    const deps = {
      ecr: new ECRClient({ region: "eu-west-1" }),
      reporters: [quiet.loaded, loud.loaded, every.loaded],
      policy: parseConfig({ thresholds: { HIGH: 0 } }, "test"),
      logger,
      requeue: async () => true,
      ledger,
    };
    await runReportJob(jobOf(scanEvent, "scan-1"), deps);
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({
      imageScanStatus: { status: "COMPLETE" },
      imageScanFindings: {
        imageScanCompletedAt: new Date("2026-03-06T09:00:00Z"),
        findings: [
          { name: LOG4SHELL, severity: "HIGH", attributes: [{ key: "package_name", value: "log4j-core" }] },
          { name: "CVE-2026-0002", severity: "HIGH", attributes: [{ key: "package_name", value: "zlib" }] },
        ],
      },
    });
    await runReportJob(jobOf({ ...scanEvent, id: "e-2", time: "2026-03-06T09:00:05Z" }, "scan-2"), {
      ...deps,
      intel: kevKnown,
    });
    expect([quiet.received.length, loud.received.length]).toEqual([1, 2]);
    expect(loud.received[1]?.report.findings.find((f) => f.id === LOG4SHELL)?.kev).toBeDefined();

    await runReportJob(jobOf(escalation([LOG4SHELL]), "kev-1"), { ...deps, intel: kevKnown });
    expect(quiet.received.at(-1)?.context.notification).toEqual({
      kind: "report",
      why: "now-known-exploited",
    });
    expect(loud.received).toHaveLength(2);
    const line = logger.logs.filter((l) => l.message === "report").at(-1);
    // The issue tracker's last report showed the mark too: no "now known exploited" comment.
    expect(line?.extra?.held).toEqual({
      email: "already-known-exploited",
      github: "already-known-exploited",
    });
    expect(every.received).toHaveLength(2);

    // Re-queued under another send key (a crash before it was recorded): the quiet reporter was told too.
    const requeued = { ...escalation([LOG4SHELL]), queuedAt: "2026-03-09T07:00:00.000Z" };
    await runReportJob(jobOf(requeued, "kev-2"), { ...deps, intel: kevKnown });
    expect([quiet.received.length, loud.received.length]).toEqual([2, 2]);
  });

  it("sends nothing when none of its CVE ids is among the image's current findings", async () => {
    const ledger = await freshLedger();
    const quiet = reporter("sns", "changes");
    const logger = recordingLogger();
    const result = await runReportJob(jobOf(escalation(["CVE-2014-0160"]), "kev-1"), {
      ecr: new ECRClient({ region: "eu-west-1" }),
      reporters: [quiet.loaded],
      policy: parseConfig({ thresholds: { HIGH: 0 } }, "test"),
      logger,
      requeue: async () => true,
      ledger,
    });
    expect(result).toEqual({ retry: [], outcome: "not-escalated" });
    expect(quiet.received).toEqual([]);
    expect(logger.logs.map((line) => line.message)).toContain(
      "KEV escalation: none of its CVE ids is among the image's current findings; nothing sent",
    );
  });
});
