import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Digest, SendDigestsResult } from "@ecr-scan-reporter/core";
import {
  type Sandbox,
  type SlackReceiver,
  startSandbox,
  startSlackReceiver,
} from "@ecr-scan-reporter/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";

// `ecr-scan-reporter digest` on a sandbox of its own: a registry of two images, a ledger table that a CLI `report`
// filled, and SNS, SES and a Slack receiver that count what reached them.
let sandbox: Sandbox;
let slack: SlackReceiver;
let dir: string;
let configPath: string;
const TABLE = "cli-digest-ledger";
const DYNAMODB_WRITES = ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"];

const cli = runCli;

/** What reached the targets so far: SNS messages, e-mails, Slack messages. */
function received() {
  return { sns: sandbox.sns.published.length, ses: sandbox.ses.sent.length, slack: slack.messages.length };
}

function configWith(path: string, reporters: unknown[]) {
  // The sandbox's KEV feed and EPSS API: no test reaches CISA or FIRST.
  const intel = { kevUrl: sandbox.intel.kevUrl, epssUrl: sandbox.intel.epssUrl };
  writeFileSync(path, JSON.stringify({ thresholds: { CRITICAL: 0, HIGH: 0 }, intel, reporters }));
  return path;
}

beforeAll(async () => {
  [sandbox, slack] = await Promise.all([
    startSandbox({ scanDurationMs: 50 }),
    startSlackReceiver({ rateLimit: false }),
  ]);
  for (const [k, v] of Object.entries(sandbox.env())) process.env[k] = v;
  delete process.env.LEDGER_TABLE_NAME;
  await sandbox.dynamodb.createLedgerTable(TABLE);
  const topicArn = sandbox.sns.createTopic("findings");
  sandbox.ses.verifyIdentity("acme.example");
  const webhookUrl = { secretArn: sandbox.secretsManager.createSecret("slack-webhook", slack.url()) };
  dir = mkdtempSync(join(tmpdir(), "cli-digest-"));
  configPath = configWith(join(dir, "config.json"), [
    { use: "sns", options: { topicArn } },
    { use: "slack", options: { webhookUrl, pacing: { minIntervalMs: 0 } } },
    { use: "email", options: { from: "scans@acme.example", to: ["sec@acme.example"] } },
    { use: "metrics" },
    // A second SNS entry that turned digests off: it gets a note, never a digest.
    { use: "sns", digest: false, options: { topicArn } },
  ]);

  sandbox.ecr.createRepository("team-a/api");
  const completedAt = new Date();
  sandbox.ecr.seedImage("team-a/api", {
    tags: ["v1"],
    scan: {
      status: "COMPLETE",
      completedAt,
      findings: [
        { name: "CVE-2024-3094", severity: "CRITICAL", attributes: [{ key: "package_name", value: "xz" }] },
      ],
    },
  });
  // Within the thresholds, but with Log4Shell (a MEDIUM here), which is on the sandbox's KEV catalog.
  sandbox.ecr.seedImage("team-a/api", {
    tags: ["v2"],
    scan: {
      status: "COMPLETE",
      completedAt,
      findings: [
        { name: "CVE-2011-3374", severity: "LOW" },
        {
          name: "CVE-2021-44228",
          severity: "MEDIUM",
          attributes: [{ key: "package_name", value: "log4j-core" }],
        },
      ],
    },
  });
  // The ledger learns both images as report-findings would teach it: a CLI report with LEDGER_TABLE_NAME set.
  process.env.LEDGER_TABLE_NAME = TABLE;
  try {
    for (const image of ["team-a/api:v1", "team-a/api:v2"]) {
      const report = await cli("report", image, "--config", configPath, "--endpoint-url", sandbox.endpoint);
      if (report.code !== 0) throw new Error(`report ${image} failed: ${report.stderr}`);
    }
  } finally {
    delete process.env.LEDGER_TABLE_NAME;
  }
});
afterAll(async () => {
  await Promise.all([sandbox?.close(), slack?.close()]);
});

describe("ecr-scan-reporter digest --out", () => {
  it("writes each reporter's digest preview to its folder, clears what an earlier run left, and sends nothing", async () => {
    const out = join(dir, "preview");
    mkdirSync(join(out, "slack"), { recursive: true });
    writeFileSync(join(out, "slack", "slack-message-of-an-earlier-run.json"), "{}");
    const before = received();
    const callsBefore = sandbox.server.calls.length;

    const { code, stdout } = await cli(
      "digest",
      "--config",
      configPath,
      "--endpoint-url",
      sandbox.endpoint,
      "--table",
      TABLE,
      "--out",
      out,
      "--json",
    );

    expect(code).toBe(0);
    const { digests, written } = JSON.parse(stdout) as { digests: Digest[]; written: string[] };
    expect(digests.map((d) => d.route.reporterId).sort()).toEqual(["email", "metrics", "slack", "sns"]);
    const sns = digests.find((d) => d.route.reporterId === "sns");
    // Built from the ledger the reports filled: both images known, the CRITICAL one over the thresholds.
    expect(sns).toMatchObject({ account: sandbox.accountId, region: sandbox.region, emptyLedger: false });
    expect(sns?.open).toMatchObject({ images: 2, imagesWithFindings: 2, imagesUnknown: 0 });
    expect(sns?.open.counts).toMatchObject({ CRITICAL: 1, LOW: 1 });
    expect(sns?.overThresholds.top.map((image) => image.tags)).toEqual([["v1"]]);
    // The KEV catalog of the configured feed (cached in the ledger by the reports): Log4Shell, open in v2.
    expect(sns?.intel?.kev.state).toBe("fresh");
    expect(sns?.knownExploited).toEqual({
      total: 1,
      overdue: 1,
      top: [
        expect.objectContaining({
          id: "CVE-2021-44228",
          severity: "MEDIUM",
          dueDate: "2021-12-24",
          overdue: true,
          references: ["team-a/api:v2"],
        }),
      ],
    });

    expect(readdirSync(join(out, "sns")).sort()).toEqual([
      "sns-digest-message.txt",
      "sns-digest-publish.json",
    ]);
    expect(readFileSync(join(out, "sns", "sns-digest-message.txt"), "utf8")).toContain("team-a/api:v1");
    expect(readdirSync(join(out, "slack"))).toEqual(["slack-digest.json"]);
    expect(readdirSync(join(out, "email")).sort()).toEqual([
      "email-digest.eml",
      "email-digest.html",
      "email-digest.txt",
    ]);
    expect(readdirSync(join(out, "metrics"))).toEqual(["metrics-digest.emf.jsonl"]);
    expect(readFileSync(join(out, "sns#2", "NOT-SENT.txt"), "utf8")).toContain("digest: false");
    expect(written).toContain(join("sns", "sns-digest-publish.json"));

    // Nothing reached a target, and nothing was written to the ledger (no claim a real send would trip over).
    expect(received()).toEqual(before);
    const ledgerCalls = sandbox.server.calls.slice(callsBefore).filter((c) => c.service === "dynamodb");
    expect(ledgerCalls.length).toBeGreaterThan(0);
    expect(ledgerCalls.filter((c) => DYNAMODB_WRITES.includes(c.operation))).toEqual([]);
  });
});

describe("ecr-scan-reporter digest", () => {
  it("exits 2 and says how to name the ledger's table when there is none", async () => {
    const before = received();
    const { code, stderr } = await cli("digest", "--config", configPath, "--endpoint-url", sandbox.endpoint);
    expect(code).toBe(2);
    expect(stderr).toContain("pass --table NAME or set LEDGER_TABLE_NAME");
    expect(received()).toEqual(before);
  });

  it("sends each route's digest once: a second run in the same minute is held as already sent", async () => {
    // Both runs must fall in one minute (the period key): start early enough in one.
    const seconds = new Date().getUTCSeconds();
    if (seconds >= 45) await new Promise((done) => setTimeout(done, (61 - seconds) * 1000));
    const before = received();

    const first = await cli(
      "digest",
      "--config",
      configPath,
      "--endpoint-url",
      sandbox.endpoint,
      "--table",
      TABLE,
      "--json",
    );
    expect(first.code).toBe(0);
    const result = JSON.parse(first.stdout) as SendDigestsResult;
    expect(result.periodKey).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
    expect(Object.fromEntries(result.outcomes.map((o) => [o.reporter, o.status]))).toEqual({
      sns: "sent",
      slack: "sent",
      email: "sent",
      metrics: "sent",
    });
    expect(received()).toEqual({ sns: before.sns + 1, ses: before.ses + 1, slack: before.slack + 1 });
    expect(sandbox.sns.published.at(-1)?.message).toContain("team-a/api:v1");

    // The second run finds the table through LEDGER_TABLE_NAME, and prints a table for people.
    process.env.LEDGER_TABLE_NAME = TABLE;
    try {
      const second = await cli("digest", "--config", configPath, "--endpoint-url", sandbox.endpoint);
      expect(second.code).toBe(0);
      // In a pipe the rows are stdout's, the period line stderr's.
      const lines = [...second.stdout.trim().split("\n"), second.stderr.trim().split("\n").at(-1)];
      expect(lines[0]).toBe("REPORTER\tOUTCOME\tDETAIL");
      expect(lines.slice(1, -1).sort()).toEqual([
        "email\theld\talready-sent",
        "metrics\theld\talready-sent",
        "slack\theld\talready-sent",
        "sns\theld\talready-sent",
      ]);
      expect(lines.at(-1)).toBe(`period ${result.periodKey}: 1 repositories, 2 images in use`);
    } finally {
      delete process.env.LEDGER_TABLE_NAME;
    }
    expect(received()).toEqual({ sns: before.sns + 1, ses: before.ses + 1, slack: before.slack + 1 });
  });

  it("exits 3 when a reporter fails, and names it", async () => {
    // A table of its own: the digests the other tests sent do not hold this one back.
    await sandbox.dynamodb.createLedgerTable("cli-digest-failing");
    const webhookUrl = { secretArn: sandbox.secretsManager.createSecret("slack-failing", slack.url()) };
    const config = configWith(join(dir, "failing.json"), [
      { use: "slack", options: { webhookUrl, pacing: { minIntervalMs: 0 } } },
    ]);
    slack.failNext(500, "internal_error");
    const { code, stdout } = await cli(
      "digest",
      "--config",
      config,
      "--endpoint-url",
      sandbox.endpoint,
      "--table",
      "cli-digest-failing",
    );
    expect(code).toBe(3);
    expect(stdout).toMatch(/^slack\tfailed\t.+/m);
  });
});
