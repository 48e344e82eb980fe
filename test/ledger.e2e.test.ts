import { join } from "node:path";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { NO_LEDGER_MESSAGE } from "@ecr-scan-reporter/core";
import {
  type BasicFinding,
  DOCKER_IMAGE_CONFIG,
  DOCKER_MANIFEST,
  LocalDeployment,
  LocalFunction,
  localDeploymentNames,
  type PublishedMessage,
  type Sandbox,
  type SentEmail,
  startSandbox,
  throttlingError,
} from "@ecr-scan-reporter/sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT, sqsEvent } from "./support/bundles.js";

// The findings ledger end to end (issue 14, "Done when"): the built report-findings bundle on the sandbox, with the
// ledger table the module creates, its IAM policy, and the sns and email reporters (notify "changes" unless a test
// says otherwise). Scans run through the sandbox's ECR (StartImageScan, a short scan, its "ECR Image Scan" event to
// the report queue), so every report reads its findings and completion time as in AWS.

const DIST = join(REPO_ROOT, "terraform", "dist");
const REPOSITORY = "team-a/api";
const ACCOUNT = "123456789012";
const DRAIN = { timeoutMs: 60_000 };
const NAMES = localDeploymentNames();

function finding(id: string, severity: string, packageName: string, version = "1.0.0"): BasicFinding {
  return {
    name: id,
    uri: `https://nvd.nist.gov/vuln/detail/${id}`,
    severity,
    description: `${id} in ${packageName}`,
    attributes: [
      { key: "package_name", value: packageName },
      { key: "package_version", value: version },
    ],
  };
}

const LOG4SHELL = finding("CVE-2021-44228", "CRITICAL", "log4j-core", "2.14.1");
const ZLIB = finding("CVE-2022-37434", "HIGH", "zlib", "1.2.12");
const EXPAT = finding("CVE-2022-40674", "CRITICAL", "expat", "2.4.8");
const CURL = finding("CVE-2023-38545", "MEDIUM", "curl", "8.3.0");

interface World {
  sandbox: Sandbox;
  deployment: LocalDeployment;
  /** What the scanner finds in any image scanned from now on (the sandbox's `findingsFor`). */
  scanner: { findings: BasicFinding[] };
  extraFunctions: LocalFunction[];
}

const worlds: World[] = [];
afterEach(async () => {
  for (const world of worlds.splice(0)) {
    await Promise.all(world.extraFunctions.map((f) => f.close()));
    await world.deployment.close();
    await world.sandbox.close();
    // The function ran with the IAM policy the Terraform module gives it: none of its calls was refused.
    expect(world.sandbox.iam.denials()).toEqual([]);
  }
});

const snsReporter = { use: "sns", options: { topicArn: NAMES.topicArn } };
const emailReporter = { use: "email", options: { from: NAMES.emailFrom, to: NAMES.emailTo } };
/** A second SNS entry that sends every due report, told apart by its subject prefix. */
const ALWAYS_PREFIX = "[always]";
const alwaysSnsReporter = {
  use: "sns",
  notify: "always",
  options: { topicArn: NAMES.topicArn, subjectPrefix: ALWAYS_PREFIX },
};

async function deploy(
  options: { reporters?: unknown[]; ledger?: boolean; latencyMs?: number } = {},
): Promise<World> {
  const scanner = { findings: [LOG4SHELL, ZLIB] };
  const sandbox = await startSandbox({
    scanDurationMs: 20,
    latencyMs: options.latencyMs,
    findingsFor: () => scanner.findings,
  });
  sandbox.sns.createTopic(NAMES.topicName);
  sandbox.ses.verifyIdentity("acme.example");
  sandbox.ecr.createRepository(REPOSITORY);
  const deployment = new LocalDeployment({
    sandbox,
    distDir: DIST,
    config: { reporters: options.reporters ?? [snsReporter, emailReporter] },
    ledger: options.ledger,
  });
  const world: World = { sandbox, deployment, scanner, extraFunctions: [] };
  worlds.push(world);
  await deployment.ready();
  return world;
}

/** Pushes an image under a tag (which moves from the image that held it, as in ECR); returns its digest. */
function push(world: World, tag: string, build: string): string {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: DOCKER_IMAGE_CONFIG, digest: `sha256:${build}`, size: 1 },
    layers: [],
  });
  const answer = world.sandbox.ecr.operations.PutImage?.({
    repositoryName: REPOSITORY,
    imageManifest: manifest,
    imageTag: tag,
  }) as { image: { imageId: { imageDigest: string } } };
  return answer.image.imageId.imageDigest;
}

/**
 * Starts a scan of the image (StartImageScan); it completes after the sandbox's short scan duration and its event
 * goes to the report queue. A rescan of the same digest is let through ECR's one-scan-a-day quota as if a day had
 * passed: the sandbox clock stays put, because LocalDeployment polls the queues by the real clock.
 */
function startScan(world: World, digest: string): void {
  const image = world.sandbox.ecr.repositories.get(REPOSITORY)?.images.get(digest);
  if (!image) throw new Error(`no image ${digest}`);
  image.scanStarts.length = 0;
  world.sandbox.ecr.operations.StartImageScan?.({
    repositoryName: REPOSITORY,
    imageId: { imageDigest: digest },
  });
}

/** A scan, and the event source mapping's run of report-findings on its event. */
async function scanAndReport(world: World, digest: string): Promise<void> {
  startScan(world, digest);
  const drained = await world.deployment.drain(DRAIN);
  expect(drained.timedOut).toBe(false);
  expect(drained.delayedMessages).toBe(0);
}

/** The scan event last delivered to the report queue, sent to it again (EventBridge delivers at least once). */
async function redeliverLastEvent(world: World): Promise<void> {
  const event = world.deployment.deliveredEvents.at(-1);
  world.sandbox.sqs.send(world.deployment.queues.report, JSON.stringify(event));
  const drained = await world.deployment.drain(DRAIN);
  expect(drained.timedOut).toBe(false);
}

function completedAtOf(world: World, digest: string): Date {
  const completedAt = world.sandbox.ecr.repositories.get(REPOSITORY)?.images.get(digest)?.scan?.completedAt;
  if (!completedAt) throw new Error(`no completed scan of ${digest}`);
  return completedAt;
}

interface ReportLine {
  digest: string;
  verdict: { due: boolean; reason: string };
  outcomes: Record<string, string>;
  held: Record<string, string>;
  changes?: { firstReport: boolean; new: string[]; fixed: string[]; severityRaised: string[] };
}

function reportLines(fn: LocalFunction): ReportLine[] {
  return fn.jsonLogs().filter((l) => l.message === "report") as unknown as ReportLine[];
}

const lastReport = (world: World): ReportLine | undefined =>
  reportLines(world.deployment.functions.reportFindings).at(-1);

/** Messages the notify "changes" SNS entry published (not the "always" one's). */
const changesSns = (world: World): PublishedMessage[] =>
  world.sandbox.sns.published.filter((m) => !m.subject?.startsWith(ALWAYS_PREFIX));
const alwaysSns = (world: World): PublishedMessage[] =>
  world.sandbox.sns.published.filter((m) => m.subject?.startsWith(ALWAYS_PREFIX));
const emails = (world: World): SentEmail[] => world.sandbox.ses.sent;

describe("the findings ledger on the sandbox (report-findings bundle, ledger table, module IAM)", () => {
  it("sends a redelivered scan event to no reporter a second time", async () => {
    const world = await deploy({ reporters: [snsReporter, emailReporter, alwaysSnsReporter] });
    const digest = push(world, "v1", "build-1");
    await scanAndReport(world, digest);
    expect(changesSns(world)).toHaveLength(1);
    expect(alwaysSns(world)).toHaveLength(1);
    expect(emails(world)).toHaveLength(1);

    await redeliverLastEvent(world);
    expect(reportLines(world.deployment.functions.reportFindings)).toHaveLength(2);
    expect(changesSns(world)).toHaveLength(1);
    expect(alwaysSns(world)).toHaveLength(1);
    expect(emails(world)).toHaveLength(1);
    // Held as the same scan completion, in both notify modes.
    expect(lastReport(world)?.held).toEqual({
      sns: "duplicate-scan",
      email: "duplicate-scan",
      "sns#2": "duplicate-scan",
    });
    expect(lastReport(world)?.outcomes).toEqual({});
  });

  it('sends an unchanged rescan to no "changes" reporter, and once to an "always" one', async () => {
    const world = await deploy({ reporters: [snsReporter, emailReporter, alwaysSnsReporter] });
    const digest = push(world, "v1", "build-1");
    await scanAndReport(world, digest);
    const firstScan = completedAtOf(world, digest);

    await scanAndReport(world, digest);
    expect(completedAtOf(world, digest).getTime()).toBeGreaterThan(firstScan.getTime());
    expect(changesSns(world)).toHaveLength(1);
    expect(emails(world)).toHaveLength(1);
    expect(alwaysSns(world)).toHaveLength(2);
    expect(lastReport(world)).toMatchObject({
      held: { sns: "unchanged", email: "unchanged" },
      outcomes: { "sns#2": "sent" },
      changes: { firstReport: false, new: [], fixed: [], severityRaised: [] },
    });
    // The "always" message says that nothing changed since the scan reported before.
    const day = firstScan.toISOString().slice(0, 10);
    expect(alwaysSns(world)[1]?.message).toContain(`No change since ${day}`);
  });

  it("sends a rescan with one new CRITICAL once per reporter, naming it as new", async () => {
    const world = await deploy();
    const digest = push(world, "v1", "build-1");
    await scanAndReport(world, digest);
    const day = completedAtOf(world, digest).toISOString().slice(0, 10);

    world.scanner.findings = [LOG4SHELL, ZLIB, EXPAT];
    await scanAndReport(world, digest);
    expect(changesSns(world)).toHaveLength(2);
    expect(emails(world)).toHaveLength(2);
    expect(lastReport(world)).toMatchObject({
      outcomes: { sns: "sent", email: "sent" },
      changes: { firstReport: false, new: [EXPAT.name], fixed: [], severityRaised: [] },
    });
    const message = changesSns(world)[1];
    expect(message?.subject).toContain("(1 new)");
    expect(message?.message).toContain(`1 new since ${day}: ${EXPAT.name}`);
    expect(emails(world)[1]?.text).toContain(`1 new since ${day}: ${EXPAT.name}`);
    // Only the new finding is named as new: the ones reported before are not.
    expect(message?.message).not.toMatch(/new since [^\n]*CVE-2021-44228/);
  });

  it("sends nothing for a rebuild: a new digest under the same tag with the same findings", async () => {
    const world = await deploy();
    const before = push(world, "v1", "build-1");
    await scanAndReport(world, before);
    expect(changesSns(world)).toHaveLength(1);
    expect(emails(world)).toHaveLength(1);

    const rebuilt = push(world, "v1", "build-2");
    expect(rebuilt).not.toBe(before);
    await scanAndReport(world, rebuilt);
    const report = lastReport(world);
    expect(report?.digest).toBe(rebuilt);
    expect(report).toMatchObject({
      verdict: { due: true },
      held: { sns: "unchanged", email: "unchanged" },
      changes: { firstReport: false, new: [], fixed: [] },
    });
    expect(changesSns(world)).toHaveLength(1);
    expect(emails(world)).toHaveLength(1);
  });

  it("sends one 'back within thresholds' notice per reporter, then nothing while it stays within", async () => {
    const world = await deploy();
    const digest = push(world, "v1", "build-1");
    await scanAndReport(world, digest);
    expect(changesSns(world)).toHaveLength(1);
    expect(emails(world)).toHaveLength(1);

    world.scanner.findings = [CURL];
    await scanAndReport(world, digest);
    expect(lastReport(world)).toMatchObject({
      verdict: { due: false, reason: "within-thresholds" },
      outcomes: { sns: "sent", email: "sent" },
    });
    expect(changesSns(world)).toHaveLength(2);
    expect(emails(world)).toHaveLength(2);
    const notice = changesSns(world)[1];
    expect(notice?.subject).toContain(`Back within thresholds: ${REPOSITORY}:v1`);
    expect(notice?.message).toContain("is back within the thresholds");
    expect(emails(world)[1]?.text).toContain("is back within the thresholds");

    await scanAndReport(world, digest);
    expect(lastReport(world)).toMatchObject({
      verdict: { due: false },
      held: { sns: "not-due", email: "not-due" },
      outcomes: {},
    });
    expect(changesSns(world)).toHaveLength(2);
    expect(emails(world)).toHaveLength(2);
  });

  it("sends one message per reporter when two report-findings instances get the same scan at the same time", async () => {
    // Every call to the sandbox takes 40 ms, so that the two invocations' ledger reads and claims interleave.
    const world = await deploy({ latencyMs: 40 });
    const { sandbox, deployment } = world;
    const one = deployment.functions.reportFindings;
    // A second execution environment of the same function: same bundle, environment and role credentials.
    const two = new LocalFunction(one.options);
    world.extraFunctions.push(two);
    // Both warm (cold starts done), so that neither is held back by its import.
    await Promise.all([one.invoke({ Records: [] }), two.invoke({ Records: [] })]);

    const digest = push(world, "v1", "build-1");
    startScan(world, digest);
    await sandbox.ecr.whenScansSettled();
    const [message] = sandbox.sqs.receive(deployment.queues.report, 10);
    if (!message?.receiptHandle) throw new Error("the scan event did not reach the report queue");
    const event = sqsEvent([{ messageId: message.messageId, body: message.body }]);

    // Which ledger calls came in, in order: reads of the image reference's history, and send claims.
    const ledgerCalls: string[] = [];
    sandbox.server.injectFault({
      service: "dynamodb",
      operation: "BatchGetItem",
      when: (input) => {
        if (JSON.stringify(input).includes('"LAST"')) ledgerCalls.push("read");
        return false;
      },
      type: "never",
      message: "never answered: only records the call",
    });
    sandbox.server.injectFault({
      service: "dynamodb",
      operation: "UpdateItem",
      when: (input) => {
        if (String(input.UpdateExpression).includes("#claimToken = :token")) ledgerCalls.push("claim");
        return false;
      },
      type: "never",
      message: "never answered: only records the call",
    });

    const results = await Promise.all([one.invoke(event), two.invoke(event)]);
    for (const result of results) expect(result.ok && result.result).toEqual({ batchItemFailures: [] });
    sandbox.sqs.delete(deployment.queues.report, message.receiptHandle);

    // Both read the history before either claimed: each decided to send, and the claims alone settled it.
    expect(ledgerCalls.slice(0, 2)).toEqual(["read", "read"]);
    expect(sandbox.sns.published).toHaveLength(1);
    expect(sandbox.ses.sent).toHaveLength(1);
    const reports = [...reportLines(one), ...reportLines(two)];
    expect(reports).toHaveLength(2);
    for (const reporter of ["sns", "email"]) {
      expect(
        reports.filter((r) => r.outcomes[reporter] === "sent"),
        reporter,
      ).toHaveLength(1);
      const loser = reports.find((r) => r.outcomes[reporter] !== "sent");
      expect(["in-flight", "duplicate-scan"]).toContain(loser?.held[reporter]);
    }
  });

  it("without the ledger sends every due report as before, and says once that changes cannot be computed", async () => {
    const world = await deploy({ ledger: false });
    const digest = push(world, "v1", "build-1");
    await scanAndReport(world, digest);
    await redeliverLastEvent(world);
    await scanAndReport(world, digest);

    const reports = reportLines(world.deployment.functions.reportFindings);
    expect(reports).toHaveLength(3);
    for (const report of reports) {
      expect(report.outcomes).toEqual({ sns: "sent", email: "sent" });
      expect(report.changes).toBeUndefined();
    }
    expect(changesSns(world)).toHaveLength(3);
    expect(emails(world)).toHaveLength(3);
    const told = world.deployment.functions.reportFindings
      .jsonLogs()
      .filter((l) => l.message === NO_LEDGER_MESSAGE);
    expect(told).toHaveLength(1);
    expect(Object.keys(world.sandbox.server.callCounts()).filter((c) => c.startsWith("dynamodb:"))).toEqual(
      [],
    );
  });

  it("retries the message while the ledger read is throttled, and sends once when it succeeds", async () => {
    const world = await deploy();
    const { sandbox, deployment } = world;
    const digest = push(world, "v1", "build-1");
    startScan(world, digest);
    await sandbox.ecr.whenScansSettled();

    let throttling = true;
    sandbox.server.injectFault({
      service: "dynamodb",
      operation: "BatchGetItem",
      when: () => throttling,
      ...throttlingError("BatchGetItem", "PAY_PER_REQUEST"),
    });
    // The event source mapping's first delivery, by hand, to see the invocation's answer.
    const [message] = sandbox.sqs.receive(deployment.queues.report, 10);
    if (!message) throw new Error("the scan event did not reach the report queue");
    const first = await deployment.functions.reportFindings.invoke(
      sqsEvent([{ messageId: message.messageId, body: message.body }]),
    );
    expect(first.ok && first.result).toEqual({ batchItemFailures: [{ itemIdentifier: message.messageId }] });
    const throttled = sandbox.server.calls.filter(
      (c) => c.service === "dynamodb" && c.operation === "BatchGetItem" && c.status === 400,
    );
    expect(throttled.length).toBeGreaterThan(1);
    expect(sandbox.sns.published).toHaveLength(0);
    expect(sandbox.ses.sent).toHaveLength(0);
    const retryLog = deployment.functions.reportFindings
      .jsonLogs()
      .find((l) => l.message === "the findings ledger could not be read; the message will be retried");
    expect(retryLog).toMatchObject({ digest, table: NAMES.ledgerTableName });

    // The throttling ends; SQS delivers the message again after its visibility timeout.
    throttling = false;
    const drained = await deployment.drain(DRAIN);
    expect(drained.timedOut).toBe(false);
    expect(message.receiveCount).toBe(2);
    expect(sandbox.sns.published).toHaveLength(1);
    expect(sandbox.ses.sent).toHaveLength(1);
    expect(deployment.queues.report.messages).toHaveLength(0);
    expect(deployment.queues.reportDlq.messages).toHaveLength(0);

    // And once more, as EventBridge may: still sent once.
    await redeliverLastEvent(world);
    expect(sandbox.sns.published).toHaveLength(1);
    expect(sandbox.ses.sent).toHaveLength(1);
  }, 150_000);

  it("ignores a malformed ledger item record by record: the report still goes out, once", async () => {
    const world = await deploy();
    const { sandbox, deployment } = world;
    const digest = push(world, "v1", "build-1");
    await scanAndReport(world, digest);
    expect(changesSns(world)).toHaveLength(1);
    expect(emails(world)).toHaveLength(1);

    // The image reference's last report, as a later version of the product might write it.
    const pk = `REF#${ACCOUNT}/${REPOSITORY}:v1`;
    const writeUnreadableLastReport = async () => {
      const dynamodb = new DynamoDBClient({
        endpoint: sandbox.endpoint,
        region: sandbox.region,
        credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
      });
      try {
        await dynamodb.send(
          new PutItemCommand({
            TableName: deployment.names.ledgerTableName,
            Item: {
              pk: { S: pk },
              sk: { S: "LAST" },
              schema: { N: "99" },
              report: { M: { digest: { S: digest }, findings: { B: new Uint8Array([1, 2, 3]) } } },
            },
          }),
        );
      } finally {
        dynamodb.destroy();
      }
    };
    const ignoredItems = () =>
      deployment.functions.reportFindings.jsonLogs().filter((l) => l.message === "ledger item ignored");

    // The same scan delivered again: the last report is unreadable, but each reporter's record of what it was sent
    // is read on its own, and holds the send back.
    await writeUnreadableLastReport();
    await redeliverLastEvent(world);
    expect(lastReport(world)?.held).toEqual({ sns: "duplicate-scan", email: "duplicate-scan" });
    expect(changesSns(world)).toHaveLength(1);
    expect(emails(world)).toHaveLength(1);
    expect(ignoredItems()).toEqual([
      expect.objectContaining({
        tableName: deployment.names.ledgerTableName,
        pk,
        sk: "LAST",
        reason: expect.stringContaining("record format 99"),
      }),
    ]);

    // An unchanged rescan: without a readable last report the ledger cannot tell it unchanged, so it goes out.
    await writeUnreadableLastReport();
    await scanAndReport(world, digest);
    const result = deployment.functions.reportFindings.invocations.at(-1);
    expect(result?.ok && result.result).toEqual({ batchItemFailures: [] });
    expect(lastReport(world)).toMatchObject({
      outcomes: { sns: "sent", email: "sent" },
      changes: { firstReport: true },
    });
    expect(changesSns(world)).toHaveLength(2);
    expect(emails(world)).toHaveLength(2);
    expect(ignoredItems()).toHaveLength(2);

    // The report replaced the unreadable item: the next unchanged rescan is known unchanged again.
    await scanAndReport(world, digest);
    expect(lastReport(world)?.held).toEqual({ sns: "unchanged", email: "unchanged" });
    expect(changesSns(world)).toHaveLength(2);
    expect(emails(world)).toHaveLength(2);
    expect(ignoredItems()).toHaveLength(2);
  });
});
