import { join } from "node:path";
import { DynamoDBClient, ScanCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import {
  LocalDeployment,
  localDeploymentNames,
  type Sandbox,
  startGitHubReceiver,
  startSandbox,
} from "@ecr-scan-reporter/sandbox";
import { DEMO_SCAN_CONFIG, type SeededImage, seedDemoRegistry } from "@ecr-scan-reporter/sandbox/demo";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/bundles.js";
import { expectNoSecretIn, sandboxSecrets } from "./support/secrets.js";

const DIST = join(REPO_ROOT, "terraform", "dist");
const DAY = 86_400_000;
// A drain returns as soon as the queues are empty (2–12 s a run on a 2-core machine); its bound only ends a run
// that would never finish, so it is set far above that, and the tests' own timeout above two drains.
const DRAIN = { timeoutMs: 120_000 };
const FLOW_TIMEOUT_MS = 300_000;

interface Flow {
  sandbox: Sandbox;
  deployment: LocalDeployment;
  seeded: SeededImage[];
  topicArn: string;
}

const flows: Flow[] = [];
afterEach(async () => {
  for (const flow of flows.splice(0)) {
    await flow.deployment.close();
    await flow.sandbox.close();
    // The functions ran with the IAM policies the Terraform module gives them: none of their calls was refused.
    expect(flow.sandbox.iam.denials()).toEqual([]);
  }
});

async function deploy(
  options: { rateLimits?: Record<string, number>; extraReporters?: unknown[]; ledger?: boolean } = {},
): Promise<Flow> {
  const sandbox = await startSandbox({ scanDurationMs: 150, rateLimits: options.rateLimits });
  const seeded = seedDemoRegistry(sandbox.ecr);
  // The topic the module's policy lets report-findings publish to.
  const topicArn = sandbox.sns.createTopic(localDeploymentNames().topicName);
  sandbox.ses.verifyIdentity("acme.example");
  const deployment = new LocalDeployment({
    sandbox,
    distDir: DIST,
    config: {
      ...DEMO_SCAN_CONFIG,
      reporters: [
        { use: "sns", options: { topicArn } },
        { use: "email", options: { from: "scans@acme.example", to: ["security@acme.example"] } },
        { use: "metrics" },
        ...(options.extraReporters ?? []),
      ],
    },
    env: { POWERTOOLS_LOG_LEVEL: "DEBUG" },
    ledger: options.ledger,
  });
  const flow = { sandbox, deployment, seeded, topicArn };
  flows.push(flow);
  return flow;
}

/** Rewrites the completion time of the ledger's scan records of these images; how many it rewrote. */
async function ageLedgerScans(flow: Flow, digests: ReadonlySet<string>, completedAt: Date): Promise<number> {
  const dynamodb = new DynamoDBClient({
    endpoint: flow.sandbox.endpoint,
    region: flow.sandbox.region,
    credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
  });
  const TableName = flow.deployment.names.ledgerTableName;
  const { Items = [] } = await dynamodb.send(new ScanCommand({ TableName }));
  let aged = 0;
  for (const item of Items) {
    const pk = item.pk?.S ?? "";
    if (item.sk?.S !== "SCAN" || !digests.has(pk.slice(pk.lastIndexOf("@") + 1))) continue;
    await dynamodb.send(
      new UpdateItemCommand({
        TableName,
        Key: { pk: { S: pk }, sk: { S: "SCAN" } },
        UpdateExpression: "SET completedAt = :at",
        ExpressionAttributeValues: { ":at": { S: completedAt.toISOString() } },
      }),
    );
    aged += 1;
  }
  dynamodb.destroy();
  return aged;
}

function reportLines(flow: Flow) {
  return flow.deployment.functions.reportFindings
    .jsonLogs()
    .filter((l) => l.message === "report") as unknown as {
    digest: string;
    counts: Record<string, number>;
    verdict: { due: boolean };
    outcomes: Record<string, string>;
  }[];
}

describe("the whole flow on the sandbox (schedule → scan → events → report)", {
  timeout: FLOW_TIMEOUT_MS,
}, () => {
  it("scans exactly the planned images, logs every skip reason, and reports each completed scan once", async () => {
    const flow = await deploy();
    const { sandbox, deployment, seeded } = flow;
    expect((await deployment.runSchedule()).ok).toBe(true);
    const drained = await deployment.drain(DRAIN);
    expect(drained.timedOut).toBe(false);

    const expectedScans = seeded.filter((s) => s.expected.startsWith("scan:")).map((s) => s.digest);
    const started = sandbox.ecr.scanRequests
      .filter((r) => r.outcome === "IN_PROGRESS")
      .map((r) => r.imageDigest);
    expect(started.sort()).toEqual(expectedScans.sort());

    const skips = new Map(
      deployment.functions.scanImages
        .jsonLogs()
        .filter((l) => l.message === "skip")
        .map((l) => [l.imageDigest as string, `skip:${l.reason as string}`]),
    );
    for (const image of seeded.filter((s) => s.expected.startsWith("skip:"))) {
      expect(skips.get(image.digest), `${image.repository} ${image.kind}`).toBe(image.expected);
    }

    // One report per completed scan; the failing images become failure reports.
    const reports = reportLines(flow);
    expect(reports.map((r) => r.digest).sort()).toEqual(expectedScans.sort());
    const due = reports.filter((r) => r.verdict.due);
    expect(sandbox.sns.published).toHaveLength(due.length);
    expect(sandbox.ses.sent).toHaveLength(due.length);
    // The counts each SNS message carries are the image's findings after the ignore list (CVE-2011-3374).
    for (const report of due) {
      const image = [...sandbox.ecr.repositories.values()]
        .flatMap((r) => [...r.images.values()])
        .find((i) => i.digest === report.digest);
      const findings = (image?.scan?.findings ?? []).filter((f) => f.name !== "CVE-2011-3374");
      const critical = findings.filter((f) => f.severity === "CRITICAL").length;
      const high = findings.filter((f) => f.severity === "HIGH").length;
      expect(report.counts.CRITICAL).toBe(critical);
      expect(report.counts.HIGH).toBe(high);
    }
    expect(deployment.queues.scanDlq.messages).toHaveLength(0);
    expect(deployment.queues.reportDlq.messages).toHaveLength(0);
  });

  it("meets ECR's 24-hour quota on an immediate re-run and starts nothing, without retrying or losing a message", async () => {
    // Without the findings ledger, the scheduler learns each last scan from ECR, so ECR's quota is what stops it.
    const flow = await deploy({ ledger: false });
    const { sandbox, deployment } = flow;
    await deployment.runSchedule();
    await deployment.drain(DRAIN);
    const firstRun = sandbox.ecr.scanRequests.length;
    const scanned = sandbox.ecr.scanRequests.map((r) => r.imageDigest);
    // As if the expiry had passed: every scan now looks a week old, but ECR remembers it started today.
    for (const repository of sandbox.ecr.repositories.values()) {
      for (const image of repository.images.values()) {
        if (scanned.includes(image.digest) && image.scan)
          image.scan.completedAt = new Date(Date.now() - 8 * DAY);
      }
    }
    const reportsBefore = reportLines(flow).length;
    await deployment.runSchedule();
    await deployment.drain(DRAIN);
    const rerun = sandbox.ecr.scanRequests.slice(firstRun);
    expect(rerun.length).toBeGreaterThan(0);
    expect(rerun.every((r) => r.outcome === "LimitExceededException")).toBe(true);
    const summaries = deployment.functions.scanImages
      .jsonLogs()
      .filter((l) => l.message === "scan-images summary");
    const lastRun = summaries.slice(-summaries.length / 2);
    expect(
      lastRun.reduce((n, l) => n + ((l.summary as { messagesRetried: number }).messagesRetried ?? 0), 0),
    ).toBe(0);
    expect(reportLines(flow)).toHaveLength(reportsBefore);
    expect(deployment.queues.scan.messages).toHaveLength(0);
    expect(deployment.queues.scanDlq.messages).toHaveLength(0);
  });

  it("with the findings ledger, a re-run reads last scans from it: ECR is asked only about scans still in progress", async () => {
    const flow = await deploy();
    const { sandbox, deployment, seeded } = flow;
    await deployment.runSchedule();
    await deployment.drain(DRAIN);
    const firstScans = sandbox.ecr.scanRequests.length;
    const callsAfterFirstRun = sandbox.server.calls.length;
    await deployment.runSchedule();
    await deployment.drain(DRAIN);
    const secondRun = sandbox.server.calls
      .slice(callsAfterFirstRun)
      .map((c) => `${c.service}:${c.operation}`);
    // A scan in progress has no completion the ledger could hold: only those images are asked about again.
    const inProgress = seeded.filter((i) => i.kind === "in progress" && i.expected !== "not-selected");
    expect(inProgress.length).toBeGreaterThan(0);
    expect(secondRun.filter((c) => c === "ecr:DescribeImageScanFindings")).toHaveLength(inProgress.length);
    expect(secondRun.filter((c) => c === "dynamodb:BatchGetItem").length).toBeGreaterThan(0);
    expect(sandbox.ecr.scanRequests.length).toBe(firstScans);
  });

  it("counts a scan the ledger missed when ECR answers with its 24-hour quota, and records it", async () => {
    const flow = await deploy();
    const { sandbox, deployment } = flow;
    await deployment.runSchedule();
    await deployment.drain(DRAIN);
    const scanned = new Set(sandbox.ecr.scanRequests.map((r) => r.imageDigest));
    // As if the scan events had never reached the ledger: it remembers the scans as a week old.
    const aged = await ageLedgerScans(flow, scanned, new Date(Date.now() - 8 * DAY));
    expect(aged).toBe(scanned.size);
    const firstRun = sandbox.ecr.scanRequests.length;
    await deployment.runSchedule();
    await deployment.drain(DRAIN);
    const rerun = sandbox.ecr.scanRequests.slice(firstRun);
    expect(rerun.length).toBe(scanned.size);
    expect(rerun.every((r) => r.outcome === "LimitExceededException")).toBe(true);
    const missed = deployment.functions.scanImages
      .jsonLogs()
      .filter((l) => l.message === "scan-images summary")
      .reduce((n, l) => n + ((l.summary as { ledgerMissedScans?: number }).ledgerMissedScans ?? 0), 0);
    expect(missed).toBe(scanned.size);
    // The ledger now holds the scans ECR knows: a third run asks ECR nothing about them and starts nothing.
    const beforeThird = sandbox.ecr.scanRequests.length;
    await deployment.runSchedule();
    await deployment.drain(DRAIN);
    expect(sandbox.ecr.scanRequests.length).toBe(beforeThird);
  });

  it("completes under ECR rate limits with no message lost", async () => {
    const flow = await deploy({
      rateLimits: { "ecr:DescribeImageScanFindings": 20, "ecr:StartImageScan": 8, "ecr:DescribeImages": 5 },
    });
    const { sandbox, deployment, seeded } = flow;
    await deployment.runSchedule();
    const drained = await deployment.drain(DRAIN);
    expect(drained.timedOut).toBe(false);
    const throttled = sandbox.server.calls.filter((c) => c.status === 400 && c.service === "ecr").length;
    expect(throttled).toBeGreaterThan(0);
    const expectedScans = seeded.filter((s) => s.expected.startsWith("scan:")).length;
    expect(sandbox.ecr.scanRequests.filter((r) => r.outcome === "IN_PROGRESS")).toHaveLength(expectedScans);
    expect(reportLines(flow)).toHaveLength(expectedScans);
    expect(deployment.queues.scanDlq.messages).toHaveLength(0);
    expect(deployment.queues.reportDlq.messages).toHaveLength(0);
  });

  it("moves a malformed message to the dead-letter queue on its first delivery instead of retrying it", async () => {
    const flow = await deploy();
    const { sandbox, deployment } = flow;
    sandbox.sqs.send(deployment.queues.scan, '{"version":1,"kind":"scan-repository"}');
    sandbox.sqs.send(deployment.queues.report, "not json at all");
    await deployment.drain(DRAIN);
    expect(deployment.queues.scanDlq.messages.map((m) => m.body)).toEqual([
      '{"version":1,"kind":"scan-repository"}',
    ]);
    expect(deployment.queues.reportDlq.messages.map((m) => m.body)).toEqual(["not json at all"]);
    const invocations =
      deployment.functions.scanImages.invocations.length +
      deployment.functions.reportFindings.invocations.length;
    expect(invocations).toBe(2);
  });

  it("never opens a second GitHub issue for an image when its scan events come again", async () => {
    const github = await startGitHubReceiver({ repositories: ["acme/security"] });
    try {
      const flow = await deploy({
        extraReporters: [
          {
            use: "github",
            options: {
              owner: "acme",
              repo: "security",
              baseUrl: github.url,
              token: { parameter: "/ecr-scan-reporter/github-token" },
              pacing: { writeIntervalMs: 0, notificationIntervalMs: 0 },
            },
          },
        ],
      });
      flow.sandbox.ssm.putParameter(
        "/ecr-scan-reporter/github-token",
        "ghp_test000000000000000000000000000000000",
      );
      await flow.deployment.runSchedule();
      await flow.deployment.drain(DRAIN);
      const due = reportLines(flow).filter((r) => r.verdict.due).length;
      expect(due).toBeGreaterThan(0);
      expect(github.issues).toHaveLength(due);

      // EventBridge delivers at least once: every scan event arrives a second time.
      for (const event of flow.deployment.deliveredEvents.splice(0)) {
        flow.sandbox.sqs.send(flow.deployment.queues.report, JSON.stringify(event));
      }
      await flow.deployment.drain(DRAIN);
      expect(reportLines(flow).filter((r) => r.verdict.due)).toHaveLength(2 * due);
      expect(github.issues).toHaveLength(due);
      expect(github.issues.filter((i) => i.state === "open")).toHaveLength(due);
      expect(github.violations).toEqual([]);
      // The token from SSM authenticates the requests (headers); it is in no log line, issue or comment.
      const functions = flow.deployment.functions;
      expectNoSecretIn(
        {
          "schedule-scans stdout and stderr": functions.scheduleScans.logs.join("\n"),
          "scan-images stdout and stderr": functions.scanImages.logs.join("\n"),
          "report-findings stdout and stderr": functions.reportFindings.logs.join("\n"),
          "GitHub requests": github.requests,
          "SNS messages": flow.sandbox.sns.published,
          "e-mails": flow.sandbox.ses.sent,
        },
        sandboxSecrets(flow.sandbox),
      );
    } finally {
      await github.close();
    }
  });
});
