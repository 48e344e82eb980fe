// The Terraform module's IAM policies, enforced: the local deployment runs each function with the policy the module
// renders for its role (packages/sandbox/src/iam/module-policies.json, from terraform/tests/local-deployment.tftest.hcl)
// and the sandbox denies what a policy does not allow. One run exercises every function and reporter — a scheduled
// run, scans, a targeted retry re-queued, a malformed message to each dead-letter queue, secrets from Secrets
// Manager and Parameter Store under a customer managed key, an account in the SES sandbox, enhanced scanning, threat
// intel from the sandbox's KEV and EPSS feeds cached in the ledger — and must end with no denial: the policies are
// sufficient. The next day CISA adds to its KEV catalog a CVE an image carries: the digest schedule runs first
// (send-digests fetches and caches that day's catalog, and sends each route's digest from the ledger), then the
// scheduled run finds the addition and queues a report per image in use that has it, which report-findings sends
// "now known exploited"; last, an image is deleted and report-findings has the ledger forget it. Its recorded calls,
// with the calls Lambda itself makes with the roles (test/support/iam-coverage.ts), are then "the calls the
// functions make": removing any statement, action or resource of the rendered policies must deny one of them, so the
// policies grant nothing else.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BasicFinding,
  DEMO_KEV_ADDITION,
  type GitHubReceiver,
  LocalDeployment,
  loadModulePolicies,
  localDeploymentNames,
  type PolicyDocument,
  type RenderedDeployment,
  type Sandbox,
  type SlackReceiver,
  sesSendEmailRequests,
  startGitHubReceiver,
  startSandbox,
  startSlackReceiver,
  startWebhookReceiver,
  storeReporterSecret,
  type WebhookReceiver,
} from "@ecr-scan-reporter/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invokeBundle, REPO_ROOT, sqsEvent } from "./support/bundles.js";
import {
  deniedCalls,
  encryptedQueueAndTopicCalls,
  lambdaServiceCalls,
  type NeededCall,
  recordedCalls,
  type Scenario,
  sidsOf,
  unneededGrants,
} from "./support/iam-coverage.js";
import { expectNoSecretIn, sandboxSecrets } from "./support/secrets.js";

const DIST = join(REPO_ROOT, "terraform", "dist");
const TEAMS = join(REPO_ROOT, "terraform", "examples", "custom-reporter", "teams-reporter");
const rendered = loadModulePolicies();
const LOCAL = rendered.deployments.local_deployment;
const ALL_OPTIONS = rendered.deployments.all_options;
const NAMES = localDeploymentNames();

// Facts of the all_options configuration that the module cannot know (terraform/tests/local-deployment.tftest.hcl
// says them in words): the given topic is under the second key of kms_key_arns, and the second custom reporter's
// secret (given by its partial ARN) lives in another account, under the first.
const EXISTING_TOPIC_KEY = "arn:aws:kms:eu-west-1:123456789012:key/9c8b7a6f-5e4d-4c3b-8a29-1f0e9d8c7b6a";
const OTHER_ACCOUNT_KEY = "arn:aws:kms:eu-west-1:210987654321:key/5f6e7d8c-9b0a-4c1d-8e2f-3a4b5c6d7e8f";
const PAGER_SECRET = "arn:aws:secretsmanager:eu-west-1:210987654321:secret:pager-routing-key-Pq34Rs";

/** One finding over the thresholds, so that every reporter sends. */
const CRITICAL: BasicFinding = {
  name: "CVE-2021-44228",
  uri: "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
  severity: "CRITICAL",
  description: "Apache Log4j2 JNDI features do not protect against attacker controlled LDAP endpoints.",
  attributes: [
    { key: "package_name", value: "log4j-core" },
    { key: "package_version", value: "2.14.1" },
    { key: "CVSS3_SCORE", value: "10.0" },
  ],
};

/**
 * A HIGH finding of every basic scan, whose CVE CISA adds to its KEV catalog on the second day of the run
 * (DEMO_KEV_ADDITION, Looney Tunables; the sandbox's record of it in data/cve-records.ts).
 */
const KEV_ADDED_LATER: BasicFinding = {
  name: DEMO_KEV_ADDITION.cveID,
  uri: `https://nvd.nist.gov/vuln/detail/${DEMO_KEV_ADDITION.cveID}`,
  severity: "HIGH",
  description:
    "A buffer overflow in the GNU C Library's dynamic loader ld.so while processing GLIBC_TUNABLES (Looney Tunables).",
  attributes: [
    { key: "package_name", value: "libc6" },
    { key: "package_version", value: "2.36-9+deb12u1" },
    { key: "CVSS3_SCORE", value: "7.8" },
  ],
};

const DAY_MS = 86_400_000;

/** A report-findings "report" log line, as far as the escalation is concerned. */
interface ReportLine {
  repository: string;
  digest: string;
  tags: string[];
  outcomes: Record<string, string>;
  held: Record<string, string>;
  changes?: { nowKnownExploited?: string[] };
}

let sandbox: Sandbox;
/** How far the sandbox's clock (and the functions') is ahead of the real one. */
let clockOffsetMs = 0;
let deployment: LocalDeployment;
let slack: SlackReceiver;
let github: GitHubReceiver;
let webhook: WebhookReceiver;
let layerModules: string;
let config: { reporters: unknown[] } & Record<string, unknown>;
let scanEvent: unknown;
/** What the targets had received when the first day's reports were done, and then once the digests were sent. */
let reported: Record<"sns" | "ses" | "githubIssues" | "webhook" | "slack", number>;
let digested: typeof reported;
/** What waited on the report queue at the end of the first day. */
let waiting: Record<string, unknown>[];
/** schedule-scans' summary of the second day's run, and the reports of that day's drain. */
let secondRun: Record<string, unknown>;
let secondDayReports: ReportLine[];
/** How often CISA's KEV feed was asked in the whole run. */
let kevFetches: number;

beforeAll(async () => {
  const names = NAMES;
  const layer = mkdtempSync(join(tmpdir(), "teams-layer-"));
  execFileSync(process.execPath, [join(TEAMS, "scripts", "build-layer.mjs"), "--out", layer], {
    stdio: "ignore",
  });
  layerModules = join(layer, "layer", "nodejs", "node_modules");
  [sandbox, slack, github, webhook] = await Promise.all([
    startSandbox({
      scanDurationMs: 100,
      enhancedFindingsAtEvent: 0.5,
      findingsFor: () => [CRITICAL, KEV_ADDED_LATER],
      now: () => Date.now() + clockOffsetMs,
    }),
    startSlackReceiver({ rateLimit: false }),
    startGitHubReceiver({ repositories: ["acme/security"] }),
    startWebhookReceiver(),
  ]);
  sandbox.sns.createTopic(names.topicName);
  // An account still in the SES sandbox whose sender and recipient are verified as addresses: the email reporter
  // asks SES about the domain (not found), then the address, and SendEmail is authorized against both addresses.
  sandbox.ses.productionAccess = false;
  sandbox.ses.verifyIdentity("scans@acme.example");
  sandbox.ses.verifyIdentity("security@acme.example");
  const teams = names.customReporterSecrets[0];
  if (!teams) throw new Error("the rendered local deployment has no custom reporter secret");
  config = {
    thresholds: { CRITICAL: 0, HIGH: 0 },
    reporters: [
      { use: "sns", options: { topicArn: names.topicArn } },
      {
        use: "slack",
        options: {
          webhookUrl: storeReporterSecret(sandbox, names.slackWebhookUrl, slack.url(), names.secretsKeyArn),
          pacing: { minIntervalMs: 0 },
        },
      },
      {
        use: "github",
        options: {
          owner: "acme",
          repo: "security",
          baseUrl: github.url,
          token: storeReporterSecret(
            sandbox,
            names.githubToken,
            "ghp_iam000000000000000000000000000000000",
            names.secretsKeyArn,
          ),
          pacing: { writeIntervalMs: 0, notificationIntervalMs: 0 },
        },
      },
      { use: "email", options: { from: names.emailFrom, to: names.emailTo } },
      { use: "metrics", options: { namespace: "EcrScanReporter" } },
      {
        use: "@acme/ecr-reporter-teams",
        options: {
          webhookUrl: storeReporterSecret(sandbox, teams, webhook.url, names.secretsKeyArn),
          title: "ECR",
        },
      },
    ],
  };
  sandbox.ecr.createRepository("team-a/api");
  sandbox.ecr.seedImage("team-a/api", { tags: ["v1"], pushedAt: new Date() });
  // Scanned (recently) before the ledger knew it: scan-images asks ECR for its last scan and records it in the ledger.
  sandbox.ecr.seedImage("team-a/api", {
    tags: ["v0"],
    pushedAt: new Date(Date.now() - 40 * 86_400_000),
    scan: { status: "COMPLETE", completedAt: new Date(Date.now() - 2 * 86_400_000) },
  });
  deployment = new LocalDeployment({
    sandbox,
    distDir: DIST,
    config,
    env: { ECR_SCAN_REPORTER_REPORTERS_PATH: layerModules },
  });
  sandbox.ecr.onScanEvent((event) => {
    scanEvent ??= event;
  });

  // Basic scanning: a scheduled run (which records the KEV catalog of the day as its baseline), its scan, the report
  // to every reporter with KEV and EPSS looked up — Slack answering 429 with an hour's Retry-After, so that its part
  // is re-queued as a targeted retry — and a malformed message on each queue.
  slack.failNext(429, "rate_limited", 1, { "retry-after": "3600" });
  expect((await deployment.runSchedule()).ok).toBe(true);
  sandbox.sqs.send(deployment.queues.scan, '{"version":1,"kind":"scan-repository"}');
  sandbox.sqs.send(deployment.queues.report, "not json at all");
  expect((await deployment.drain({ timeoutMs: 120_000, delayHorizonMs: 5_000 })).timedOut).toBe(false);

  // Enhanced scanning: Amazon Inspector scans a pushed image; half its findings are readable at its event, so the
  // report is re-queued to wait for the rest.
  sandbox.ecr.scanType = "ENHANCED";
  sandbox.ecr.seedImage("team-a/api", { tags: ["v2"] }, "late-findings-image-1");
  expect((await deployment.drain({ timeoutMs: 120_000, delayHorizonMs: 5_000 })).timedOut).toBe(false);

  reported = receivedByTargets();
  waiting = deployment.queues.report.messages.map((m) => JSON.parse(m.body).ecrScanReporter);

  // The next day CISA adds a CVE the basic scans found to its KEV catalog. The digest schedule runs first that day:
  // send-digests is the first function to need the day's catalog, so it fetches it and caches it in the ledger, and
  // sends one digest per route whose reporter has one (not the Teams reporter, contract v1).
  clockOffsetMs += DAY_MS;
  sandbox.intel.addKev(DEMO_KEV_ADDITION);
  expect((await deployment.sendDigests()).ok).toBe(true);
  digested = receivedByTargets();
  // What waited since yesterday is delivered first (Slack's part of the report goes out, the findings wait is read
  // again), so that the escalation is the only report of the last drain. Then the scheduled run compares the cached
  // catalog with yesterday's baseline and queues, without a rescan, one report per image in use that has the added
  // CVE, which report-findings sends.
  expect((await deployment.drain({ timeoutMs: 120_000, delayHorizonMs: 5_000 })).timedOut).toBe(false);
  const schedule = await deployment.runSchedule();
  expect(schedule.ok).toBe(true);
  const summaries = deployment.functions.scheduleScans
    .jsonLogs()
    .filter((l) => String(l.message).startsWith("schedule-scans summary"));
  secondRun = summaries.at(-1)?.summary as Record<string, unknown>;
  const logged = deployment.functions.reportFindings.jsonLogs().length;
  expect((await deployment.drain({ timeoutMs: 120_000, delayHorizonMs: 5_000 })).timedOut).toBe(false);
  secondDayReports = deployment.functions.reportFindings
    .jsonLogs()
    .slice(logged)
    .filter((l) => l.message === "report") as unknown as ReportLine[];
  kevFetches = sandbox.intel.requests.kev;

  // A lifecycle policy deletes team-a/api:v0: ECR's deletion event reaches report-findings, which asks ECR whether
  // the image is gone and has the ledger forget it.
  sandbox.ecr.operations.BatchDeleteImage?.({ repositoryName: "team-a/api", imageIds: [{ imageTag: "v0" }] });
  expect((await deployment.drain({ timeoutMs: 120_000, delayHorizonMs: 5_000 })).timedOut).toBe(false);
}, 300_000);

function receivedByTargets(): typeof reported {
  return {
    sns: sandbox.sns.published.length,
    ses: sandbox.ses.sent.length,
    githubIssues: github.issues.length,
    webhook: webhook.received.length,
    slack: slack.messages.length,
  };
}

afterAll(async () => {
  await deployment?.close();
  await Promise.all([slack?.close(), github?.close(), webhook?.close(), sandbox?.close()]);
});

const functionDecisions = () => sandbox.iam.decisions.filter((d) => d.roleName !== undefined);

/** The needed calls of the local deployment: the run's, Lambda's own. */
function localScenario(): Scenario {
  const recorded = recordedCalls(sandbox.iam.decisions);
  return { name: "the recorded run", deployment: LOCAL, calls: [...recorded, ...lambdaServiceCalls(LOCAL)] };
}

/** The roles that run the reporters: report-findings (reports) and send-digests (digests). */
const reporterRoles = (deployment: RenderedDeployment) => [
  deployment.functions["report-findings"].roleName,
  deployment.functions["send-digests"].roleName,
];

/**
 * The same sends, had the account verified the domain instead of the addresses: SES then authorizes SendEmail
 * against the domain identity (the sandbox's own mapping, src/iam/requests.ts).
 */
function domainVerifiedScenario(deployment: RenderedDeployment): Scenario {
  const requests = sesSendEmailRequests(
    deployment,
    { from: "scans@acme.example", recipients: ["security@acme.example"] },
    { productionAccess: false, verified: new Set(["acme.example"]) },
  );
  const calls = reporterRoles(deployment).flatMap((roleName) =>
    requests.map((r) => ({ ...r, roleName, source: "SendEmail with the domain verified" })),
  );
  return { name: "the domain verified instead", deployment, calls };
}

/**
 * all_options: the run's calls (the same names) plus what its options add — the document read from its parameter
 * at cold start, under the module's key; sending to and receiving from the queues under that key; publishing to the
 * given topic under its key; the second custom reporter's secret in another account; sending with the
 * configuration set; and Lambda's own calls for the VPC and tracing.
 */
function allOptionsScenario(): Scenario {
  const recorded = recordedCalls(sandbox.iam.decisions);
  const parameter = ALL_OPTIONS.configParameter;
  if (!parameter) throw new Error("all_options has no config parameter");
  const parameterArn = `arn:aws:ssm:${ALL_OPTIONS.region}:${ALL_OPTIONS.accountId}:parameter${parameter.name}`;
  const configReads = Object.values(ALL_OPTIONS.functions).flatMap(({ roleName }): NeededCall[] => [
    { roleName, action: "ssm:GetParameter", resource: parameterArn, source: "the document, at cold start" },
    ...(parameter.kmsKeyArn
      ? [
          {
            roleName,
            action: "kms:Decrypt",
            resource: parameter.kmsKeyArn,
            context: { "kms:ViaService": `ssm.${ALL_OPTIONS.region}.amazonaws.com` },
            source: "the document is a SecureString under the module's key",
          },
        ]
      : []),
  ]);
  // Both functions that run the reporters read the pager secret and send with the configuration set.
  const pager: NeededCall[] = reporterRoles(ALL_OPTIONS).flatMap((roleName) => [
    {
      roleName,
      action: "secretsmanager:GetSecretValue",
      resource: PAGER_SECRET,
      source: "pager secret",
    },
    {
      roleName,
      action: "kms:Decrypt",
      resource: OTHER_ACCOUNT_KEY,
      context: { "kms:ViaService": `secretsmanager.${ALL_OPTIONS.region}.amazonaws.com` },
      source: "pager secret under another account's key",
    },
  ]);
  const configurationSet: NeededCall[] = reporterRoles(ALL_OPTIONS)
    .filter((roleName) => recorded.some((c) => c.roleName === roleName && c.action === "ses:SendEmail"))
    .map((roleName) => ({
      roleName,
      action: "ses:SendEmail",
      resource: `arn:aws:ses:${ALL_OPTIONS.region}:${ALL_OPTIONS.accountId}:configuration-set/ecr-scan-reports`,
      source: "SendEmail names the configuration set",
    }));
  const calls = [
    ...recorded,
    ...configReads,
    ...pager,
    ...configurationSet,
    ...lambdaServiceCalls(ALL_OPTIONS),
  ];
  return {
    name: "all options",
    deployment: ALL_OPTIONS,
    calls: [...calls, ...encryptedQueueAndTopicCalls(ALL_OPTIONS, calls, EXISTING_TOPIC_KEY)],
  };
}

describe("the module's IAM policies on the local deployment", () => {
  it("let every function do all it does: the run exercises every function and reporter and ends with no denial", () => {
    const decisions = functionDecisions();
    expect(decisions.filter((d) => !d.allowed)).toEqual([]);
    expect(deployment.mappingProblems).toEqual([]);
    for (const fn of Object.values(deployment.functions)) {
      expect(fn.invocations.filter((i) => !i.ok)).toEqual([]);
    }
    // Every function ran as its own role, and the event source mappings polled with it.
    const roles = new Set(decisions.map((d) => d.roleName));
    expect(roles).toEqual(new Set(Object.values(LOCAL.functions).map((f) => f.roleName)));
    const calls = new Set(decisions.map((d) => `${d.service}:${d.action}`));
    // report-findings asked ECR about the deleted image (scan-images lists images with the same action).
    expect(decisions).toContainEqual(
      expect.objectContaining({
        roleName: LOCAL.functions["report-findings"].roleName,
        action: "ecr:DescribeImages",
        allowed: true,
      }),
    );
    for (const call of [
      "ecr:ecr:DescribeRepositories",
      "ecr:ecr:GetRegistryScanningConfiguration",
      "sqs:sqs:SendMessage",
      "lambda:sqs:ReceiveMessage",
      "lambda:sqs:DeleteMessage",
      "lambda:sqs:GetQueueAttributes",
      "ecr:ecr:StartImageScan",
      "ecr:inspector2:ListFindings",
      "sns:sns:Publish",
      "secretsmanager:kms:Decrypt",
      "ssm:kms:Decrypt",
      "sesv2:ses:SendEmail",
      "sesv2:ses:GetAccount",
      "dynamodb:dynamodb:Query",
    ]) {
      expect(calls, call).toContain(call);
    }
    // What the run was meant to do, it did: every target got the report; the retry and the wait were re-queued;
    // the malformed messages went to the dead-letter queues; the enhanced image was read through Inspector.
    expect(reported).toEqual({ sns: 1, ses: 1, githubIssues: 1, webhook: 1, slack: 0 });
    // Then a digest to every route but the Teams reporter's (Slack's included: its report waits an hour).
    expect(
      Object.fromEntries(
        Object.entries(digested).map(([target, n]) => [
          target,
          n - reported[target as keyof typeof reported],
        ]),
      ),
    ).toEqual({ sns: 1, ses: 1, githubIssues: 1, webhook: 0, slack: 1 });
    expect(waiting).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ retryReporters: ["slack"] }),
        expect.objectContaining({ findingsWaits: 1 }),
      ]),
    );
    expect(deployment.queues.scanDlq.messages.map((m) => m.body)).toEqual([
      '{"version":1,"kind":"scan-repository"}',
    ]);
    expect(deployment.queues.reportDlq.messages.map((m) => m.body)).toEqual(["not json at all"]);
    // The three secrets were read (through the CMK) and reached their targets, and none was written out: not by the
    // functions (stdout, stderr, EMF lines), not in what the reporters sent (the webhook's path is where the Teams
    // message went, so only the bodies are looked at).
    expectNoSecretIn(
      {
        "functions' stdout and stderr": Object.values(deployment.functions).flatMap((f) => f.logs),
        "SNS messages": sandbox.sns.published,
        "GitHub requests": github.requests,
        "e-mails": sandbox.ses.sent,
        "Teams messages": webhook.received.map((r) => r.body),
      },
      sandboxSecrets(sandbox),
    );
  });

  it("let the scheduled run escalate a CVE newly on KEV: the image in use that has it is reported again, now known exploited, to each reporter not already shown it", () => {
    expect(secondRun).toMatchObject({
      kevEscalation: "done",
      kevCvesAdded: 1,
      kevEscalationsQueued: 1,
      kevEscalationsLeft: 0,
      kevEscalationsFailed: 0,
    });
    // Only v1's findings are in the ledger's index: v0 was scanned before the ledger knew it (no report), and v2's
    // report still waits for Amazon Inspector's findings.
    expect(
      secondDayReports.map((r) => ({
        tags: r.tags,
        nowKnownExploited: r.changes?.nowKnownExploited,
        outcomes: r.outcomes,
        held: r.held,
      })),
    ).toEqual([
      {
        tags: ["v1"],
        nowKnownExploited: [DEMO_KEV_ADDITION.cveID],
        outcomes: {
          sns: "sent",
          github: "sent",
          email: "sent",
          metrics: "sent",
          "@acme/ecr-reporter-teams": "sent",
        },
        // Slack's copy of v1's report went out a day late (its retry after the 429), after CISA's addition: it
        // already showed the CVE as known exploited, so "now known exploited" would tell Slack nothing.
        held: { slack: "already-known-exploited" },
      },
    ]);
    // CISA's feed was asked once a day, by the first function that needed it (schedule-scans the first day,
    // send-digests the second); every other read came from the copy cached in the ledger.
    expect(kevFetches).toBe(2);
  });

  it("grant nothing else: removing any statement, action or resource of the rendered policies denies a needed call", () => {
    const local = localScenario();
    const allOptions = allOptionsScenario();
    // Every needed call is allowed by the whole policy of its configuration (the premise of what follows).
    for (const scenario of [
      local,
      domainVerifiedScenario(LOCAL),
      allOptions,
      domainVerifiedScenario(ALL_OPTIONS),
    ]) {
      for (const fn of Object.values(scenario.deployment.functions)) {
        expect(
          deniedCalls(fn.policy, scenario.calls, fn.roleName),
          `${scenario.name}: ${fn.roleName}`,
        ).toEqual([]);
      }
    }
    expect(unneededGrants(LOCAL, [local, domainVerifiedScenario(LOCAL)])).toEqual([]);
    expect(unneededGrants(ALL_OPTIONS, [allOptions, domainVerifiedScenario(ALL_OPTIONS)])).toEqual([]);
  });

  it("find a grant no call needs: a statement added to a rendered policy is reported", () => {
    const scanImages = LOCAL.functions["scan-images"];
    const widened: PolicyDocument = {
      ...scanImages.policy,
      Statement: [
        ...[scanImages.policy.Statement].flat(),
        { Sid: "PurgeScanQueue", Effect: "Allow", Action: "sqs:PurgeQueue", Resource: LOCAL.queues.scan.arn },
      ],
    };
    const deployment = {
      ...LOCAL,
      functions: { ...LOCAL.functions, "scan-images": { ...scanImages, policy: widened } },
    };
    expect(unneededGrants(deployment, [localScenario(), domainVerifiedScenario(LOCAL)])).toEqual([
      `${scanImages.roleName} PurgeScanQueue (the whole statement)`,
    ]);
  });

  it("cover every statement terraform/iam.tf can render, in one configuration or the other", () => {
    const source = readFileSync(join(REPO_ROOT, "terraform", "iam.tf"), "utf8");
    const inModule = new Set([...source.matchAll(/\bSid\s*=\s*"([A-Za-z0-9]+)"/g)].map((m) => m[1]));
    // The trust policy's statement is Lambda's, not a permission of a role.
    inModule.delete("LambdaAssumeRole");
    const covered = new Set([...sidsOf(LOCAL), ...sidsOf(ALL_OPTIONS)]);
    expect([...covered].sort()).toEqual([...inModule].sort());
  });

  it("make a narrowed policy fail the function: report-findings without DecryptReporterSecrets cannot read its secrets", async () => {
    const fn = LOCAL.functions["report-findings"];
    const narrowed: PolicyDocument = {
      ...fn.policy,
      Statement: [fn.policy.Statement].flat().filter((s) => s.Sid !== "DecryptReporterSecrets"),
    };
    const accessKeyId = "ASIANARROWED00000001";
    sandbox.iam.addPrincipal({
      accessKeyId,
      arn: `arn:aws:sts::${LOCAL.accountId}:assumed-role/${fn.roleName}/${fn.functionName}`,
      roleName: `${fn.roleName}-narrowed`,
      policies: [narrowed],
    });
    const before = sandbox.iam.decisions.length;
    const result = await invokeBundle(
      "report-findings",
      sqsEvent([{ messageId: "m1", body: JSON.stringify(scanEvent) }]),
      {
        ...sandbox.env(),
        AWS_ACCESS_KEY_ID: accessKeyId,
        ECR_SCAN_REPORTER_CONFIG: JSON.stringify({
          ...config,
          // The sandbox's feeds, as LocalDeployment gives its functions: nothing leaves the machine.
          intel: { kevUrl: sandbox.intel.kevUrl, epssUrl: sandbox.intel.epssUrl },
          reporters: config.reporters.filter((r) => ["slack", "github"].includes((r as { use: string }).use)),
        }),
        REPORT_QUEUE_URL: deployment.queues.report.url,
        REPORT_DLQ_URL: deployment.queues.reportDlq.url,
      },
    );
    expect(result.ok).toBe(true);
    const denied = sandbox.iam.decisions.slice(before).filter((d) => !d.allowed);
    expect(
      [...new Set(denied.map((d) => `${d.service} ${d.action} ${d.context?.["kms:ViaService"]}`))].sort(),
    ).toEqual([
      "secretsmanager kms:Decrypt secretsmanager.eu-west-1.amazonaws.com",
      "ssm kms:Decrypt ssm.eu-west-1.amazonaws.com",
    ]);
    // The function reads on: both reporters fail on their secret (and are re-queued), naming it.
    const report = result.logs.find((l) => l.message === "report") as { outcomes?: Record<string, string> };
    expect(report?.outcomes).toEqual({ slack: "failed", github: "failed" });
    const errors = result.logs.filter((l) => l.level === "ERROR").map((l) => JSON.stringify(l));
    const slackSecret = "secretArn" in NAMES.slackWebhookUrl ? NAMES.slackWebhookUrl.secretArn : "(none)";
    expect(errors.join("\n")).toContain(`Could not read the Secrets Manager secret ${slackSecret}`);
    expect(errors.join("\n")).toContain("Could not read the SSM parameter /ecr-scan-reporter/github-token");
  });
});
