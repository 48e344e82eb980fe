// Digests end to end (issue 15, "Done when"): the built send-digests bundle on the sandbox, invoked as the module's
// digest schedule would (LocalDeployment.sendDigests: EventBridge's Scheduled Event), with the ledger table the
// module creates and its IAM policy, after the built schedule-scans, scan-images and report-findings bundles have
// scanned and reported a few images. Each reporter that implements `digest` is asserted on by itself: one failing
// reporter neither stops the others' digests nor fails their tests.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, QueryCommand } from "@aws-sdk/client-dynamodb";
import { VULNERABILITY_INDEX } from "@ecr-scan-reporter/core";
import {
  type BasicFinding,
  type GitHubReceiver,
  type InvocationResult,
  LocalDeployment,
  localDeploymentNames,
  type PublishedMessage,
  type Sandbox,
  type SlackReceiver,
  startGitHubReceiver,
  startSandbox,
  startSlackReceiver,
  startWebhookReceiver,
  storeReporterSecret,
  type WebhookReceiver,
} from "@ecr-scan-reporter/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/bundles.js";
import { expectNoSecretIn, sandboxSecrets } from "./support/secrets.js";

const DIST = join(REPO_ROOT, "terraform", "dist");
const TEAMS = join(REPO_ROOT, "terraform", "examples", "custom-reporter", "teams-reporter");
const NAMES = localDeploymentNames();
const DAY = 86_400_000;
const DRAIN = { timeoutMs: 120_000 };
const SLOW = 240_000;

function finding(id: string, severity: string, packageName: string, version: string): BasicFinding {
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
const CURL = finding("CVE-2023-38545", "MEDIUM", "curl", "8.3.0");
const EXPAT = finding("CVE-2022-40674", "CRITICAL", "expat", "2.4.8");

/** What the scanner finds, by repository and tag: 3 findings on team-a/api:v1 (one BatchWriteItem of 3 items). */
function findingsFor(repository: string, image: { tags: string[] }): BasicFinding[] {
  if (repository === "team-b/web") return [EXPAT];
  return image.tags.includes("v1") ? [LOG4SHELL, ZLIB, CURL] : [ZLIB];
}

const sns = (subjectPrefix: string, extra: Record<string, unknown> = {}) => ({
  use: "sns",
  ...extra,
  options: { topicArn: NAMES.topicArn, subjectPrefix },
});

/** The reporters whose digests are asserted one by one, and how many digests each received in a window. */
type DigestReporter = "sns" | "slack" | "email" | "github" | "metrics";
const DIGEST_REPORTERS: DigestReporter[] = ["sns", "slack", "email", "github", "metrics"];

/** Where every receiver stood at one moment: the digests of a step are what was added between two of these. */
interface Mark {
  sns: number;
  ses: number;
  slack: number;
  githubRequests: number;
  webhook: number;
  sendDigestsLogs: number;
  calls: Record<string, number>;
  conditionalCheckFailures: Record<string, number>;
  consumedCapacity: Record<string, number>;
}

const isDigest = (m: PublishedMessage, route: string) =>
  m.messageAttributes.kind?.value === "digest" && m.messageAttributes.route?.value === route;

const difference = (after: Record<string, number>, before: Record<string, number>) =>
  Object.fromEntries(
    Object.entries(after)
      .map(([key, n]) => [key, n - (before[key] ?? 0)] as const)
      .filter(([, n]) => n !== 0),
  );

describe("send-digests on the local deployment, after scans and reports", { timeout: SLOW }, () => {
  let sandbox: Sandbox;
  let deployment: LocalDeployment;
  let slack: SlackReceiver;
  let github: GitHubReceiver;
  let webhook: WebhookReceiver;
  /** How far the sandbox's clock (and the functions' `Date`) is ahead of the real one. */
  let offsetMs = 0;
  const marks = new Map<string, Mark>();
  const results = new Map<string, InvocationResult>();

  const mark = (name: string) =>
    marks.set(name, {
      sns: sandbox.sns.published.length,
      ses: sandbox.ses.sent.length,
      slack: slack.messages.length,
      githubRequests: github.requests.length,
      webhook: webhook.received.length,
      sendDigestsLogs: deployment.functions.sendDigests.logs.length,
      calls: sandbox.server.callCounts(),
      conditionalCheckFailures: { ...sandbox.dynamodb.conditionalCheckFailures },
      consumedCapacity: { ...sandbox.dynamodb.consumedCapacity },
    });
  const at = (name: string): Mark => {
    const found = marks.get(name);
    if (!found) throw new Error(`no mark ${name}`);
    return found;
  };

  /** The digests `reporter` received between two marks. */
  function digestsOf(reporter: DigestReporter, from: string, to: string): number {
    const [a, b] = [at(from), at(to)];
    switch (reporter) {
      case "sns":
        return sandbox.sns.published.slice(a.sns, b.sns).filter((m) => isDigest(m, "sns")).length;
      case "slack":
        return b.slack - a.slack;
      case "email":
        return b.ses - a.ses;
      case "github":
        // A digest is one issue created or updated (and maybe commented on): count the steps that wrote.
        return github.requests
          .slice(a.githubRequests, b.githubRequests)
          .some((r) => r.method !== "GET" && r.status < 300)
          ? 1
          : 0;
      case "metrics":
        // One ImagesInUse gauge per digest of the route.
        return deployment.functions.sendDigests.logs
          .slice(a.sendDigestsLogs, b.sendDigestsLogs)
          .filter((line) => line.includes('"ImagesInUse"') && line.includes('"Route":"metrics"')).length;
    }
  }

  /** One scheduled digest run at `time`, between the marks `<step>:before` and `<step>`. */
  async function digestRun(step: string, time: Date): Promise<void> {
    mark(`${step}:before`);
    results.set(step, await deployment.sendDigests({ time }));
    mark(step);
  }

  beforeAll(async () => {
    const layer = mkdtempSync(join(tmpdir(), "teams-layer-"));
    execFileSync(process.execPath, [join(TEAMS, "scripts", "build-layer.mjs"), "--out", layer], {
      stdio: "ignore",
    });
    [sandbox, slack, github, webhook] = await Promise.all([
      startSandbox({
        scanDurationMs: 20,
        now: () => Date.now() + offsetMs,
        findingsFor,
        // DynamoDB leaves the third request of a BatchWriteItem of 3 unprocessed: report-findings' index writes
        // must ask again for it.
        dynamodb: { batchWriteUnprocessed: { fromItems: 3, processItems: 2 } },
      }),
      startSlackReceiver({ rateLimit: false }),
      startGitHubReceiver({ repositories: ["acme/security"] }),
      startWebhookReceiver(),
    ]);
    sandbox.sns.createTopic(NAMES.topicName);
    sandbox.ses.verifyIdentity("acme.example");
    const teams = NAMES.customReporterSecrets[0];
    if (!teams) throw new Error("the rendered local deployment has no custom reporter secret");
    const config = {
      thresholds: { CRITICAL: 0, HIGH: 0 },
      reporters: [
        sns("[sns]"),
        {
          use: "slack",
          options: {
            webhookUrl: storeReporterSecret(sandbox, NAMES.slackWebhookUrl, slack.url(), NAMES.secretsKeyArn),
            pacing: { minIntervalMs: 0 },
          },
        },
        { use: "email", options: { from: NAMES.emailFrom, to: NAMES.emailTo } },
        {
          use: "github",
          options: {
            owner: "acme",
            repo: "security",
            baseUrl: github.url,
            token: storeReporterSecret(
              sandbox,
              NAMES.githubToken,
              "ghp_digest0000000000000000000000000000000",
              NAMES.secretsKeyArn,
            ),
            pacing: { writeIntervalMs: 0, notificationIntervalMs: 0 },
          },
        },
        { use: "metrics", options: { namespace: "EcrScanReporter" } },
        // sns#2: a team whose filter matches no repository: an "all clear" digest, not silence.
        sns("[quiet]", { repositories: "^no-such-team/" }),
        // sns#3: reports only.
        sns("[no-digest]", { digest: false }),
        // A reporter package written for contract v1 (no digest), from a Lambda layer.
        {
          use: "@acme/ecr-reporter-teams",
          options: { webhookUrl: storeReporterSecret(sandbox, teams, webhook.url, NAMES.secretsKeyArn) },
        },
      ],
    };
    sandbox.ecr.createRepository("team-a/api");
    sandbox.ecr.createRepository("team-b/web");
    sandbox.ecr.seedImage("team-a/api", { tags: ["v1"], pushedAt: new Date() });
    sandbox.ecr.seedImage("team-a/api", { tags: ["v2"], pushedAt: new Date() });
    sandbox.ecr.seedImage("team-b/web", { tags: ["latest"], pushedAt: new Date() });
    deployment = new LocalDeployment({
      sandbox,
      distDir: DIST,
      config,
      env: { ECR_SCAN_REPORTER_REPORTERS_PATH: join(layer, "layer", "nodejs", "node_modules") },
    });

    // Scans and reports: the scheduled run records its coverage, the reports the images' findings and changes.
    mark("start");
    expect((await deployment.runSchedule()).ok).toBe(true);
    const drained = await deployment.drain(DRAIN);
    expect(drained.timedOut).toBe(false);
    mark("reported");

    // The schedule fires; then the same event again (a doubled delivery).
    const first = new Date(sandbox.now());
    await digestRun("first", first);
    await digestRun("doubled", first);
    // A week later: Slack fails once, so the invocation fails; Lambda's retry gets the same event.
    offsetMs += 7 * DAY;
    const second = new Date(sandbox.now());
    slack.failNext(500, "internal_error");
    await digestRun("slack-failed", second);
    await digestRun("retried", second);
  }, SLOW);

  afterAll(async () => {
    await deployment?.close();
    await Promise.all([slack?.close(), github?.close(), webhook?.close(), sandbox?.close()]);
  });

  it.each(DIGEST_REPORTERS)(
    "%s: one digest per period, none more for the doubled event, and only its own on the retry",
    (reporter) => {
      const expected = {
        first: 1,
        doubled: 0,
        "slack-failed": reporter === "slack" ? 0 : 1,
        retried: reporter === "slack" ? 1 : 0,
      };
      const received = Object.fromEntries(
        Object.keys(expected).map((step) => [step, digestsOf(reporter, `${step}:before`, step)]),
      );
      expect(received).toEqual(expected);
    },
  );

  it("sns: the digest carries kind=digest, its route and the open counts of the images in use", () => {
    const digests = sandbox.sns.published.filter((m) => isDigest(m, "sns"));
    expect(digests).toHaveLength(2);
    // Open in use: v1 (CRITICAL, HIGH, MEDIUM), v2 (HIGH), latest (CRITICAL); all three over the thresholds.
    for (const digest of digests) {
      expect(digest.subject).toMatch(/^\[sns\] Digest sns:/);
      expect(
        Object.fromEntries(
          ["account", "critical", "high", "medium", "low", "total", "imagesOverThresholds"].map((name) => [
            name,
            digest.messageAttributes[name]?.value,
          ]),
        ),
      ).toEqual({
        account: sandbox.accountId,
        critical: "2",
        high: "2",
        medium: "1",
        low: "0",
        total: "5",
        imagesOverThresholds: "3",
      });
    }
  });

  it("github: one tracking issue for the route, found again the next period, never a second one", () => {
    const digestIssues = github.issues.filter((issue) => issue.body?.includes("ecr-scan-reporter:digest="));
    expect(digestIssues).toHaveLength(1);
    expect(digestIssues[0]?.state).toBe("open");
  });

  it("a route whose filter matches no repository gets an all-clear digest", () => {
    const quiet = sandbox.sns.published.filter((m) => isDigest(m, "sns#2"));
    expect(quiet).toHaveLength(2);
    expect(quiet[0]?.subject).toMatch(/^\[quiet\] Digest sns#2: .*all clear/i);
    expect(quiet[0]?.messageAttributes.total?.value).toBe("0");
    expect(quiet[0]?.messageAttributes.imagesOverThresholds?.value).toBe("0");
  });

  it("an entry with digest: false gets its reports and no digest", () => {
    const published = sandbox.sns.published;
    const reports = published
      .slice(at("start").sns, at("reported").sns)
      .filter((m) => m.subject?.startsWith("[no-digest]"));
    expect(reports.length).toBeGreaterThan(0);
    expect(published.filter((m) => m.messageAttributes.route?.value === "sns#3")).toEqual([]);
    expect(published.slice(at("reported").sns).filter((m) => m.subject?.startsWith("[no-digest]"))).toEqual(
      [],
    );
  });

  it("a v1 reporter package without digest loads, gets its reports, and is left out of digests", () => {
    expect(at("reported").webhook - at("start").webhook).toBeGreaterThan(0);
    expect(webhook.received).toHaveLength(at("reported").webhook);
    const fn = deployment.functions.sendDigests;
    const ready = fn.jsonLogs().find((l) => l.message === "reporters ready") as { reporters?: string[] };
    expect(ready?.reporters).toContain("@acme/ecr-reporter-teams");
    const summary = (results.get("first") as { result?: { withoutDigest?: string[] } }).result;
    expect(summary?.withoutDigest).toEqual([]);
  });

  it("the invocations: six routes sent, then all held; the failed one names Slack, and its retry sends Slack's only", () => {
    const summaryOf = (step: string) => {
      const result = results.get(step);
      if (!result?.ok) throw new Error(`${step} failed: ${JSON.stringify(result)}`);
      return result.result as Record<string, unknown>;
    };
    expect(summaryOf("first")).toMatchObject({
      repositories: 2,
      images: 3,
      // report-findings wrote a summary on every SCAN item: no image's findings read whole.
      imagesSummarizedOnRead: 0,
      sent: 6,
      held: 0,
      failed: [],
    });
    expect(summaryOf("doubled")).toMatchObject({ sent: 0, held: 6, failed: [] });
    const failed = results.get("slack-failed");
    expect(failed?.ok).toBe(false);
    if (failed && !failed.ok) {
      expect(failed.errorType).toBe("DigestsFailedError");
      expect(failed.errorMessage).toContain("slack");
    }
    expect(summaryOf("retried")).toMatchObject({ sent: 1, held: 5, failed: [] });
    // The period is the schedule's minute: the retry's is the failed run's.
    expect(summaryOf("retried").periodKey).not.toBe(summaryOf("first").periodKey);
  });

  it("reads the registry and the ledger once per run, and claims each route's digest with two writes; the doubled run only claims", () => {
    const dynamo = (step: string) => difference(at(step).calls, at(`${step}:before`).calls);
    const first = dynamo("first");
    // ECR: the repositories once, each repository's images once.
    expect(first["ecr:DescribeRepositories"]).toBe(1);
    expect(first["ecr:DescribeImages"]).toBe(2);
    // The routes' states and the images' scans: one BatchGetItem each (a few keys); the period's change log a day
    // partition at a time (a first digest covers 7 days: 8 partitions) and the registry's coverage: 9 Queries; then
    // the KEV catalog the scheduled run cached in the ledger today (one Query of its partition: no fetch, no write)
    // and each of its CVE ids in the by-vulnerability index (one Query each), for the known-exploited section.
    expect(first["dynamodb:BatchGetItem"]).toBe(2);
    expect(first["dynamodb:Query"]).toBe(8 + 1 + 1 + sandbox.intel.catalog().count);
    // A claim and a completion per route sent; nothing read by GetItem or written otherwise.
    expect(first["dynamodb:UpdateItem"]).toBe(2 * 6);
    expect(first["dynamodb:GetItem"]).toBeUndefined();
    expect(first["dynamodb:PutItem"]).toBeUndefined();
    // The doubled run: the same reads, one refused claim per route, nothing sent.
    const doubled = dynamo("doubled");
    expect(doubled["dynamodb:UpdateItem"]).toBe(6);
    expect(
      difference(at("doubled").conditionalCheckFailures, at("doubled:before").conditionalCheckFailures),
    ).toEqual({ UpdateItem: 6 });
    expect(doubled["sns:Publish"]).toBeUndefined();
    expect(doubled["sesv2:SendEmail"]).toBeUndefined();
    // The retry, a week on the sandbox's clock: the failed route's claim and completion, the others' claims refused
    // once each (an SDK that saw its clock skewed against the answers' dates would retry each refusal).
    expect(
      difference(at("retried").conditionalCheckFailures, at("retried:before").conditionalCheckFailures),
    ).toEqual({ UpdateItem: 5 });
    expect(dynamo("retried")["dynamodb:UpdateItem"]).toBe(6 + 1);
  });

  it("runs within the module's IAM policy: send-digests' role made its calls, and none was denied", () => {
    expect(sandbox.iam.denials()).toEqual([]);
    const role = deployment.principals["send-digests"]?.roleName;
    expect(role).toBeDefined();
    const actions = new Set(sandbox.iam.decisions.filter((d) => d.roleName === role).map((d) => d.action));
    for (const action of [
      "ecr:DescribeRepositories",
      "ecr:DescribeImages",
      "dynamodb:BatchGetItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
      "sns:Publish",
      "ses:SendEmail",
    ]) {
      expect(actions, action).toContain(action);
    }
    expectNoSecretIn(
      {
        "send-digests' stdout and stderr": deployment.functions.sendDigests.logs,
        "SNS messages": sandbox.sns.published,
        "GitHub requests": github.requests.map((r) => r.body),
        "e-mails": sandbox.ses.sent,
        // The webhook's path is where the messages went (the secret itself): only what was posted is looked at.
        "Slack messages": slack.messages.map((m) => m.payload),
      },
      sandboxSecrets(sandbox),
    );
  });

  it("keeps every vulnerability index item although DynamoDB left some of report-findings' batch writes unprocessed", async () => {
    const writes = difference(at("reported").calls, at("start").calls)["dynamodb:BatchWriteItem"] ?? 0;
    // More calls than images: team-a/api:v1's three index items took two.
    expect(writes).toBeGreaterThan(3);
    const dynamodb = new DynamoDBClient({
      endpoint: sandbox.endpoint,
      region: sandbox.region,
      credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    });
    try {
      const imagesWith = async (id: string) =>
        (
          await dynamodb.send(
            new QueryCommand({
              TableName: deployment.names.ledgerTableName,
              IndexName: VULNERABILITY_INDEX,
              KeyConditionExpression: "vulnerability = :v",
              ExpressionAttributeValues: { ":v": { S: id } },
            }),
          )
        ).Items?.length ?? 0;
      expect({
        [LOG4SHELL.name]: await imagesWith(LOG4SHELL.name),
        [ZLIB.name]: await imagesWith(ZLIB.name),
        [CURL.name]: await imagesWith(CURL.name),
        [EXPAT.name]: await imagesWith(EXPAT.name),
      }).toEqual({ [LOG4SHELL.name]: 1, [ZLIB.name]: 2, [CURL.name]: 1, [EXPAT.name]: 1 });
    } finally {
      dynamodb.destroy();
    }
  });
});

describe("send-digests on an empty ledger", { timeout: SLOW }, () => {
  let sandbox: Sandbox;
  let deployment: LocalDeployment;
  let slack: SlackReceiver;
  let result: InvocationResult;

  beforeAll(async () => {
    [sandbox, slack] = await Promise.all([startSandbox(), startSlackReceiver({ rateLimit: false })]);
    sandbox.sns.createTopic(NAMES.topicName);
    // Images in the registry, but no scheduled run and no report yet: the ledger's table is fresh.
    sandbox.ecr.createRepository("team-a/api");
    sandbox.ecr.seedImage("team-a/api", { tags: ["v1"], pushedAt: new Date() });
    deployment = new LocalDeployment({
      sandbox,
      distDir: DIST,
      config: {
        reporters: [
          sns("[sns]"),
          {
            use: "slack",
            options: {
              webhookUrl: storeReporterSecret(
                sandbox,
                NAMES.slackWebhookUrl,
                slack.url(),
                NAMES.secretsKeyArn,
              ),
              pacing: { minIntervalMs: 0 },
            },
          },
        ],
      },
    });
    result = await deployment.sendDigests();
  }, SLOW);

  afterAll(async () => {
    await deployment?.close();
    await Promise.all([slack?.close(), sandbox?.close()]);
  });

  it("sends each route a digest that says the ledger knows nothing yet, not an all clear", () => {
    expect(result.ok && result.result).toMatchObject({ images: 1, sent: 2, failed: [] });
    const digests = sandbox.sns.published.filter((m) => isDigest(m, "sns"));
    expect(digests).toHaveLength(1);
    expect(digests[0]?.subject).not.toMatch(/all clear/i);
    expect(digests[0]?.subject).toMatch(/no findings known yet/i);
    expect(digests[0]?.messageAttributes.highestSeverity?.value).toBe("NONE");
    expect(slack.messages).toHaveLength(1);
    expect(String(slack.messages[0]?.payload.text)).toMatch(/no findings recorded yet/i);
    expect(sandbox.iam.denials()).toEqual([]);
  });
});
