import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SQSClient } from "@aws-sdk/client-sqs";
import { type CompactFinding, DynamoDbLedger, parseReportQueueMessage } from "@ecr-scan-reporter/core";
import { recordingLogger } from "@ecr-scan-reporter/core/testing";
import {
  DEMO_KEV_ADDITION,
  type IntelFeeds,
  kevEntryAddedOn,
  type Sandbox,
  startIntelFeeds,
  startSandbox,
} from "@ecr-scan-reporter/sandbox";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { runKevStep } from "../src/kev-escalation.js";

// schedule-scans' KEV step with real SDK clients to the sandbox (DynamoDB, SQS) and the sandbox's KEV feed: the
// ledger holds what report-findings left (scans, findings, the vulnerability index, the tags' last reports); the
// first run takes the catalog as it is, the feed gains a CVE id, the next day's run queues the escalations.

const REGISTRY = "123456789012";
const TABLE = "kev-step-ledger";
const GLIBC = DEMO_KEV_ADDITION.cveID;
const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
const DAY_1 = new Date("2026-03-01T06:00:00Z");
const DAY_2 = new Date("2026-03-02T06:00:00Z");

let sandbox: Sandbox;
let feeds: IntelFeeds;
let queueUrl: string;

const glibc: CompactFinding = { id: GLIBC, severity: "HIGH", package: "glibc", version: "2.36-9" };
const log4shell: CompactFinding = { id: "CVE-2021-44228", severity: "CRITICAL", package: "log4j-core" };

beforeEach(async () => {
  [sandbox, feeds] = await Promise.all([startSandbox(), startIntelFeeds()]);
  for (const [name, value] of Object.entries(sandbox.env())) vi.stubEnv(name, value);
  vi.stubEnv("AWS_ENDPOINT_URL", sandbox.endpoint);
  vi.stubEnv("AWS_MAX_ATTEMPTS", "1");
  queueUrl = sandbox.sqs.createQueue("report").url;
  await sandbox.dynamodb.createLedgerTable(TABLE);

  // As report-findings records them: team-a/api v1 (in use) has the glibc CVE; the build v0 pointed at before its
  // rebuild has it too, and so has an untagged build of team-b/web.
  const ledger = new DynamoDbLedger({
    client: new DynamoDBClient({}),
    tableName: TABLE,
    logger: recordingLogger(),
  });
  const scanned = async (repository: string, digest: string, tags: string[], findings: CompactFinding[]) => {
    const image = { registryId: REGISTRY, repository, digest };
    await ledger.recordScan(
      { ...image, tags },
      { status: "COMPLETE", completedAt: "2026-02-20T08:00:00.000Z" },
      findings,
    );
    for (const tag of tags) {
      await ledger.recordReport([{ ...image, tag }], {
        digest,
        scanCompletedAt: "2026-02-20T08:00:00.000Z",
        findings,
        over: true,
      });
    }
  };
  await scanned("team-a/api", digestOf(2), ["v0"], [glibc]);
  await scanned("team-a/api", digestOf(1), ["v1"], [glibc, log4shell]);
  await scanned("team-a/api", digestOf(3), ["v0"], [log4shell]);
  await scanned("team-b/web", digestOf(4), [], [glibc]);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all([sandbox.close(), feeds.close()]);
});

function step(now: Date, intel: { kevUrl: string | null; epssUrl: string | null } = feeds) {
  const logger = recordingLogger();
  return {
    logger,
    run: runKevStep({
      config: { intel: { kevUrl: intel.kevUrl, epssUrl: intel.epssUrl } },
      env: { ...process.env, LEDGER_TABLE_NAME: TABLE, REPORT_QUEUE_URL: queueUrl },
      sqs: new SQSClient({}),
      scanType: "BASIC",
      logger,
      now: () => now,
    }),
  };
}

const queuedBodies = () => (sandbox.sqs.queues.get("report")?.messages ?? []).map((m) => m.body);

describe("schedule-scans' KEV step", { timeout: 30_000 }, () => {
  it("queues, the day after the catalog gains a CVE id, one report for each image in use that has it", async () => {
    // The first copy of the catalog is the baseline: nothing on it is announced as new.
    expect(await step(DAY_1).run).toMatchObject({ kevEscalation: "idle", kevCvesAdded: 0 });
    expect(queuedBodies()).toEqual([]);

    feeds.addKev(kevEntryAddedOn(DEMO_KEV_ADDITION, "2026-03-02"));
    const second = await step(DAY_2).run;
    expect(second).toEqual({
      kevEscalation: "done",
      kevCvesAdded: 1,
      kevEscalationsQueued: 1,
      kevEscalationsLeft: 0,
      kevCvesPending: 0,
      kevEscalationsFailed: 0,
    });
    const bodies = queuedBodies();
    expect(bodies).toHaveLength(1);
    expect(JSON.parse(bodies[0] ?? "{}")).toEqual({
      version: 1,
      kind: "kev-escalation",
      registryId: REGISTRY,
      region: "eu-west-1",
      repository: "team-a/api",
      digest: digestOf(1),
      tags: ["v1"],
      scanType: "BASIC",
      cves: [GLIBC],
      queuedAt: DAY_2.toISOString(),
    });
    // What report-findings reads of it.
    const message = parseReportQueueMessage(bodies[0] ?? "", "m-1");
    expect(message.kind === "scan-completed" && message.escalation).toEqual({ cves: [GLIBC] });

    // The same schedule again (a doubled or retried run): nothing more.
    expect(await step(DAY_2).run).toMatchObject({ kevCvesAdded: 0, kevEscalationsQueued: 0 });
    expect(queuedBodies()).toHaveLength(1);
  });

  it("does not run without KEV, and a feed that fails queues nothing and fails nothing", async () => {
    expect(await step(DAY_1, { kevUrl: null, epssUrl: null }).run).toBeUndefined();
    feeds.fail("kev", "error-500");
    const failing = step(DAY_2);
    expect(await failing.run).toMatchObject({ kevEscalation: "idle", kevEscalationsQueued: 0 });
    expect(queuedBodies()).toEqual([]);
  });

  it("says the step failed, and why, when the ledger cannot be used; it never throws", async () => {
    const logger = recordingLogger();
    const summary = await runKevStep({
      config: { intel: { kevUrl: feeds.kevUrl, epssUrl: null } },
      env: { ...process.env, LEDGER_TABLE_NAME: "no-such-table", REPORT_QUEUE_URL: queueUrl },
      sqs: new SQSClient({}),
      scanType: "BASIC",
      logger,
      now: () => DAY_1,
    });
    expect(summary).toMatchObject({ kevEscalation: "failed", kevEscalationsQueued: 0 });
    expect(
      logger.logs.find((l) => l.message === "KEV escalations failed; the scheduled run goes on"),
    ).toMatchObject({
      level: "error",
      extra: { tableName: "no-such-table", error: expect.stringContaining("no-such-table") },
    });
  });

  it("without REPORT_QUEUE_URL says so and does nothing", async () => {
    const logger = recordingLogger();
    const summary = await runKevStep({
      config: { intel: { kevUrl: feeds.kevUrl, epssUrl: null } },
      env: { LEDGER_TABLE_NAME: TABLE },
      sqs: new SQSClient({}),
      scanType: "BASIC",
      logger,
    });
    expect(summary).toBeUndefined();
    expect(logger.logs.map((l) => l.message)).toEqual([
      "KEV escalations not run: REPORT_QUEUE_URL is not set (the module sets it with the ledger)",
    ]);
    expect(feeds.requests.kev).toBe(0);
  });
});
