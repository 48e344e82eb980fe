import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import {
  countExposedImages,
  exposureJson,
  findSecretReferences,
  queryExposure,
  type ReporterEntry,
} from "@ecr-scan-reporter/core";
import { severityOfScore } from "../data/cve-records.js";
import { recordsFoundIn } from "../data/findings.js";
import { DEMO_KEV_ADDITION } from "../data/intel-records.js";
import { startGitHubReceiver } from "../github-receiver.js";
import { type Sandbox, startSandbox } from "../index.js";
import { LocalDeployment } from "../local-deployment.js";
import { seedSecret } from "../parameters.js";
import { startSlackReceiver } from "../slack-receiver.js";
import { startWebhookReceiver } from "../webhook-receiver.js";
import { type DemoAccount, demoAccounts } from "./accounts.js";
import { wireLocalReporters } from "./local-reporters.js";
import {
  type AccountPassFigures,
  callsSince,
  type LogLine,
  type PassSummary,
  type ReporterFailure,
  type ReportLine,
  summariseAccounts,
  summariseErrors,
  summariseReports,
} from "./passes.js";
import { createReceivedWriter, slug } from "./received.js";
import { type SeededSecret, secretReadStatements, secretValuesOf, withoutSecrets } from "./secrets.js";
import {
  DEMO_FEED_UPDATE,
  DEMO_SCAN_CONFIG,
  type ExpectedDecision,
  expectedSecondPassDecision,
  SECOND_PASS_AFTER_DAYS,
  type SeededImage,
  seedDemoRegistry,
} from "./seed.js";
import { readSentFiles } from "./sent-files.js";
import { renderSummaryPage } from "./summary-page.js";
import { demoTopCves, sandboxLedgerClient } from "./top-cves.js";

export interface DemoOptions {
  /** Where every report and the summary page are written (created; a previous demo output is replaced). */
  outDir: string;
  /** terraform/dist: the bundles to run. */
  distDir: string;
  /** More reporter entries (a custom reporter package, e.g. the Teams example). */
  extraReporters?: unknown[];
  /** Where custom reporter packages are found (ECR_SCAN_REPORTER_REPORTERS_PATH). */
  reportersPath?: string;
  /**
   * Secrets to keep where the custom reporters' options reference them (`demo --secret`), stored before any function
   * runs, after the demo's own: a reference the demo uses too gets this value.
   */
  secrets?: SeededSecret[];
  log?: (line: string) => void;
  /**
   * How many accounts one hub deployment covers (`demo --accounts`): 1, the sandbox's own registry alone (the
   * default, no `accounts` in the configuration); 2 or 3, the hub's registry and one or two member accounts' (see
   * demoAccounts), each scanned and reported with its member role.
   */
  accounts?: number;
  /**
   * Called once the deployment is set up, with it and its sandbox: a test reads there what the functions wrote
   * (each function's `logs`) and the secrets the sandbox holds.
   */
  onDeployed?: (deployment: LocalDeployment, sandbox: Sandbox) => void;
}

export interface DemoSummary {
  ok: boolean;
  wallTimeMs: number;
  images: number;
  /** The accounts covered with `accounts` > 1: each with its repositories and seeded images; absent for one. */
  accounts?: { accountId: string; name?: string; repositories: number; images: number }[];
  /** The first scheduled pass, then the second SECOND_PASS_AFTER_DAYS later. */
  passes: PassSummary[];
  /** Every AWS call of the functions, both passes. */
  awsCalls: Record<string, number>;
  /** The functions' calls the sandbox checked against their roles' policies (the module's), and those denied. */
  iam: { checked: number; denied: number };
  githubViolations: number;
  slackRejections: number;
  /**
   * Everything that went wrong, one line each: a failing reporter once per pass with its first error's message and
   * how many reports failed the same way. No secret value the sandbox holds appears in them.
   */
  errors: string[];
  /** The failing reporters of `errors`, as data. */
  reporterFailures: ReporterFailure[];
  outDir: string;
  files: number;
}

const SUMMARY_FILE = "demo-summary.json";
const DAY_MS = 86_400_000;

/** The demo's output folder holds files that are not a previous demo's: nothing was deleted (a usage problem). */
export class OutputFolderInUseError extends Error {
  override readonly name = "OutputFolderInUseError";
}

/** Creates the output folder; replaces a previous demo's output, but never a folder holding something else. */
function prepareOutDir(outDir: string): void {
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    if (!existsSync(join(outDir, SUMMARY_FILE))) {
      throw new OutputFolderInUseError(
        `${outDir} is not empty and holds no previous demo output; choose another folder with --out.`,
      );
    }
    rmSync(outDir, { recursive: true, force: true });
  }
  mkdirSync(outDir, { recursive: true });
}

const listed = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ") || "none";

/** The console lines of one pass. */
function passLines(pass: PassSummary): string[] {
  const held = Object.entries(pass.heldPerReporter)
    .map(([reporter, byWhy]) => [reporter, byWhy.unchanged ?? 0] as const)
    .filter(([, n]) => n > 0);
  return [
    "",
    `pass ${pass.pass} at ${pass.at}${pass.newlyPublishedCves.length ? `; the vulnerability feed published ${pass.newlyPublishedCves.join(", ")} before it` : ""}`,
    `  images per decision: ${listed(pass.decisions)}`,
    `  scans started: ${pass.scansStarted} (planner matched the expected decisions: ${pass.expectedDecisionsMatched ? "yes" : "NO"}; scans the ledger missed: ${pass.ledgerMissedScans})`,
    `  reports: ${pass.reports}, due ${pass.reportsDue} (first for their image ${pass.firstReports}, with new findings ${pass.reportsWithNewFindings}, due only because known exploited ${pass.reportsEscalated}, queued because KEV gained a CVE ${pass.reportsNowKnownExploited})`,
    `  CVEs on CISA's KEV catalog in the findings: ${pass.knownExploitedCves.join(", ") || "none"}`,
    `  reports sent per reporter: ${listed(pass.reportsPerReporter)}`,
    `  reports held back as unchanged: ${pass.reportsHeldUnchanged}${held.length ? ` (${held.map(([r, n]) => `${r} ${n}`).join(", ")})` : ""}`,
    `  highest severity per report: ${listed(pass.highestSeverities)}`,
    `  AWS calls by the functions: ${listed(pass.awsCalls)}`,
    ...(pass.accounts ?? []).map(accountLine),
  ];
}

/** `  team-a (210987654321): 12 scans started, 12 reports (10 due), sent: sns 10, …`: one account's pass. */
function accountLine(account: AccountPassFigures): string {
  const label = account.name ? `${account.name} (${account.accountId})` : account.accountId;
  return `  ${label}: ${account.scansStarted} scans started, ${account.reports} reports (${account.reportsDue} due), sent: ${listed(account.reportsPerReporter)}`;
}

/**
 * The main job end to end on the sandbox, twice: seeds a registry, runs the built bundles through schedule → scan
 * queue → scan-images → scans → events → report queue → report-findings → SNS, Slack, GitHub, e-mail and metrics;
 * then moves the sandbox's clock SECOND_PASS_AFTER_DAYS ahead, lets the vulnerability feed publish a few CVEs, and
 * runs the schedule again: every image is rescanned, and the findings ledger lets only the news through. Writes
 * everything each reporter sent, by pass. No AWS account; every process it starts is stopped before it returns.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  prepareOutDir(options.outDir);
  // The sandbox's clock, which the functions' `Date` follows: moved ahead between the passes.
  let clockOffsetMs = 0;
  const sandbox = await startSandbox({ scanDurationMs: 400, now: () => Date.now() + clockOffsetMs });
  const slack = await startSlackReceiver({ rateLimit: false });
  const github = await startGitHubReceiver({ repositories: ["acme/security"] });
  // For custom reporters added with --config: their webhook URL is the SSM parameter /ecr-scan-reporter/demo-webhook-url.
  const webhook = await startWebhookReceiver();
  let deployment: LocalDeployment | undefined;
  try {
    log(`sandbox on ${sandbox.endpoint}; Slack receiver ${slack.url()}; GitHub receiver ${github.url}`);
    const seeded = seedDemoRegistry(sandbox.ecr, sandbox.now());
    sandbox.ssm.putParameter("/ecr-scan-reporter/demo-webhook-url", webhook.url);
    // With several accounts: the hub's registry as above, and each member's, its role assumed by the functions.
    const accounts: DemoAccount[] = (options.accounts ?? 1) > 1 ? demoAccounts(options.accounts ?? 1) : [];
    const config = {
      ...DEMO_SCAN_CONFIG,
      ...(accounts.length > 0 && {
        accounts: accounts.map(({ repositories: _, ...entry }) => entry),
      }),
      reporters: [
        ...wireLocalReporters(sandbox, {
          slackWebhookUrl: slack.url(),
          githubApiUrl: github.url,
          slackMinSeverity: "HIGH",
        }),
        ...(options.extraReporters ?? []),
      ],
    };
    // The custom reporters' secrets, where their options reference them: stored before any function runs.
    for (const secret of options.secrets ?? []) seedSecret(sandbox, secret.ref, secret.value);
    log(`seeded ${sandbox.ecr.repositories.size} repositories with ${seeded.length} images`);

    deployment = new LocalDeployment({
      sandbox,
      distDir: options.distDir,
      config,
      env: options.reportersPath ? { ECR_SCAN_REPORTER_REPORTERS_PATH: options.reportersPath } : {},
    });
    grantCustomReporterSecrets(deployment, sandbox, options.extraReporters ?? []);
    // The deployment set up each member account (its role trusting the hub's function roles, its events forwarded
    // to the hub's bus): now its registry exists, to seed.
    for (const member of accounts.filter((a) => a.roleArn !== undefined)) {
      const images = seedDemoRegistry(sandbox.ecr, sandbox.now(), {
        registryId: member.accountId,
        repositories: member.repositories,
      });
      seeded.push(...images);
      log(
        `seeded member account ${member.name ? `${member.name} (${member.accountId})` : member.accountId} with ${member.repositories.length} repositories and ${images.length} images`,
      );
    }
    const accountOfDigest = new Map(seeded.map((image) => [image.digest, image.account]));
    options.onDeployed?.(deployment, sandbox);
    const { scanImages, reportFindings } = deployment.functions;
    const errors: string[] = [];
    const reporterFailures: ReporterFailure[] = [];
    const out = options.outDir;
    const write = (path: string, content: string) => {
      mkdirSync(join(out, path, ".."), { recursive: true });
      writeFileSync(join(out, path), content);
    };
    // Everything each reporter sent, as its target received it, a batch per pass (then the digest's).
    const received = createReceivedWriter(
      out,
      { sns: sandbox.sns, ses: sandbox.ses, slack, github, webhook },
      { numbering: "per-batch", clockOffsetMs: () => clockOffsetMs },
    );

    /** One scheduled pass: the schedule, the queues drained, its figures, and the files of what was sent. */
    const runPass = async (pass: number, expected: (image: SeededImage) => ExpectedDecision) => {
      const dep = deployment as LocalDeployment;
      const marks = {
        scanLogs: scanImages.jsonLogs().length,
        reportLogs: reportFindings.jsonLogs().length,
        invocations: Object.fromEntries(
          Object.entries(dep.functions).map(([name, fn]) => [name, fn.invocations.length]),
        ),
        calls: sandbox.server.callCounts(),
        scanRequests: sandbox.ecr.scanRequests.length,
      };
      const at = new Date(sandbox.now()).toISOString();
      const schedule = await dep.runSchedule();
      if (!schedule.ok)
        errors.push(`pass ${pass}: schedule-scans: ${schedule.errorType}: ${schedule.errorMessage}`);
      const drain = await dep.drain({ timeoutMs: 50_000 });
      if (drain.timedOut) errors.push(`pass ${pass}: the queues did not drain within 50 s`);
      for (const [name, fn] of Object.entries(dep.functions)) {
        for (const invocation of fn.invocations.slice(marks.invocations[name]))
          if (!invocation.ok)
            errors.push(`pass ${pass}: ${name}: ${invocation.errorType}: ${invocation.errorMessage}`);
      }

      const scanLogs = scanImages.jsonLogs().slice(marks.scanLogs);
      const reportLogs = reportFindings.jsonLogs().slice(marks.reportLogs);
      const decisions: Record<string, number> = {};
      let scansStarted = 0;
      let ledgerMissedScans = 0;
      for (const line of scanLogs) {
        if (line.message !== "scan-images summary") continue;
        const summary = line.summary as {
          decisions: Record<string, number>;
          outcomes: Record<string, number>;
          ledgerMissedScans?: number;
        };
        for (const [k, v] of Object.entries(summary.decisions)) decisions[k] = (decisions[k] ?? 0) + v;
        scansStarted += summary.outcomes.started ?? 0;
        ledgerMissedScans += summary.ledgerMissedScans ?? 0;
      }
      const expectedDecisions: Record<string, number> = {};
      for (const image of seeded) {
        const decision = expected(image);
        if (decision !== "not-selected") expectedDecisions[decision] = (expectedDecisions[decision] ?? 0) + 1;
      }
      const reportErrors = summariseErrors(reportLogs, {
        when: `pass ${pass}`,
        function: "report-findings",
        unit: "report",
      });
      errors.push(...reportErrors.errors);
      reporterFailures.push(...reportErrors.failures);
      const published = sandbox.ecr.publishedCves;
      const publishedIds = new Set(published.map((r) => r.id));
      const summary: PassSummary = {
        pass,
        at,
        newlyPublishedCves: pass === 1 ? [] : [...publishedIds],
        decisions,
        expectedDecisionsMatched:
          JSON.stringify(Object.entries(expectedDecisions).sort()) ===
          JSON.stringify(Object.entries(decisions).sort()),
        scansStarted,
        ledgerMissedScans,
        ...summariseReports(
          reportLogs.filter((l) => l.message === "report") as unknown as ReportLine[],
          (digest) =>
            recordsFoundIn(digest, published)
              .filter((r) => publishedIds.has(r.id))
              .map((r) => r.id),
          accounts.length > 0 ? (digest) => accountOfDigest.get(digest) : undefined,
        ),
        awsCalls: callsSince(marks.calls, sandbox.server.callCounts()),
      };
      if (accounts.length > 0) {
        const scansStartedByAccount: Record<string, number> = {};
        for (const request of sandbox.ecr.scanRequests.slice(marks.scanRequests))
          if (request.outcome === "IN_PROGRESS")
            scansStartedByAccount[request.registryId] = (scansStartedByAccount[request.registryId] ?? 0) + 1;
        summary.accounts = summariseAccounts(accounts, summary.imageReports, scansStartedByAccount);
      }

      const emf = reportLogs.filter((l) => "_aws" in l).map((l) => JSON.stringify(l));
      received.flush({ prefix: `pass${pass}-`, label: `pass ${pass}`, emf });
      for (const line of passLines(summary)) log(line);
      return summary;
    };

    const first = await runPass(1, (image) => image.expected);
    // Eight days later: past the expiry, with a feed that learnt of a few new CVEs since.
    clockOffsetMs += SECOND_PASS_AFTER_DAYS * DAY_MS;
    sandbox.ecr.publishCves(DEMO_FEED_UPDATE);
    // Meanwhile CISA adds a CVE several images already carry to its KEV catalog: the scheduled run finds them in the
    // ledger and reports them again as known exploited, rescan or not.
    sandbox.intel.addKev(DEMO_KEV_ADDITION);
    const second = await runPass(2, expectedSecondPassDecision);
    const passes = [first, second];

    // The weekly digest, the morning after the second pass: one per reporter entry, built from the ledger.
    clockOffsetMs += DIGEST_AFTER_SECOND_PASS_MS;
    const digest = await sendDemoDigests(deployment, new Date(sandbox.now()).toISOString(), errors);
    reporterFailures.push(...digest.failures);
    const digestEmf = digest.logs.filter((l) => "_aws" in l).map((l) => JSON.stringify(l));
    received.flush({ folder: "digest/", label: "the digest", emf: digestEmf });
    log("");
    log(`digest at ${digest.at}: ${listed(digest.outcomes)} (one per reporter entry), written to digest/`);

    // "Which images contain it?": the CVE the feed published that the most images' rescans found.
    const exposureId = mostFoundFeedCve(second) ?? DEMO_FEED_UPDATE[0]?.id ?? "";
    const exposure = await queryDemoExposure(sandbox, deployment.names.ledgerTableName, exposureId);
    const exposureFile = `exposure-${slug(exposureId)}.json`;
    write(exposureFile, `${JSON.stringify(exposureJson(exposure), null, 2)}\n`);
    const exposed = countExposedImages(exposure.images);
    if (exposed.images === 0)
      errors.push(`exposure ${exposureId}: no image found, yet the second pass found it`);
    log(
      `exposure ${exposureId}: ${exposed.images} images (${exposed.inUse} in use), ${exposure.stats.queryCalls} Query + ${exposure.stats.readCalls} BatchGetItem calls; written to ${exposureFile}`,
    );

    // Each function runs with the policy the module gives its role: a denial means the policy falls short.
    const checked = sandbox.iam.decisions.filter((d) => d.roleName !== undefined);
    const denied = checked.filter((d) => !d.allowed);
    for (const d of denied) errors.push(`IAM denied ${d.roleName}: ${d.action} on ${d.resource}`);
    for (const problem of deployment.mappingProblems) errors.push(`event source mapping: ${problem}`);

    const wallTimeMs = Date.now() - started;
    const awsCalls = sandbox.server.callCounts();
    // No secret value the sandbox holds is printed or written: a reporter's error may quote what it was given.
    const secrets = secretValuesOf(sandbox);
    const summary: DemoSummary = {
      ok: errors.length === 0 && github.violations.length === 0 && slack.rejections.length === 0,
      wallTimeMs,
      images: seeded.length,
      ...(accounts.length > 0 && {
        accounts: accounts.map((a) => ({
          accountId: a.accountId,
          ...(a.name !== undefined ? { name: a.name } : {}),
          repositories: a.repositories.length,
          images: seeded.filter((image) => image.account === a.accountId).length,
        })),
      }),
      passes,
      awsCalls,
      iam: { checked: checked.length, denied: denied.length },
      githubViolations: github.violations.length,
      slackRejections: slack.rejections.length,
      errors: errors.map((error) => withoutSecrets(error, secrets)),
      reporterFailures: reporterFailures.map((f) => ({
        ...f,
        firstError: withoutSecrets(f.firstError, secrets),
      })),
      outDir: out,
      files: 0,
    };
    write(
      "index.html",
      renderSummaryPage({
        wallTimeMs,
        secondPassAfterDays: SECOND_PASS_AFTER_DAYS,
        feedUpdate: DEMO_FEED_UPDATE.map((r) => ({
          id: r.id,
          packageName: r.packageName,
          packageVersion: r.packageVersion,
          severity: severityOfScore(r.cvss),
        })),
        passes,
        digest: { at: digest.at, outcomes: digest.outcomes, files: filesUnder(out, "digest") },
        exposure: { id: exposureId, file: exposureFile, ...exposed },
        sentFiles: readSentFiles(out),
        topCves: await demoTopCves(sandbox, deployment.names.ledgerTableName),
        ...(accounts.length > 0 && {
          accounts: accounts.map((a) => ({
            accountId: a.accountId,
            ...(a.name !== undefined ? { name: a.name } : {}),
          })),
        }),
      }),
    );
    summary.files = countFiles(out) + 1;
    write(SUMMARY_FILE, `${JSON.stringify(summary, null, 2)}\n`);

    log("");
    log(
      `calls checked against the IAM policies the Terraform module gives the functions: ${checked.length}, denied: ${denied.length}`,
    );
    log(
      `GitHub requests checked against GitHub's OpenAPI description: ${github.requests.length}, violations: ${github.violations.length}`,
    );
    for (const error of summary.errors) log(`error: ${error}`);
    log(`wrote ${summary.files} files to ${out} (open index.html) in ${(wallTimeMs / 1000).toFixed(1)} s`);
    return summary;
  } finally {
    await deployment?.close();
    await Promise.all([slack.close(), github.close(), webhook.close(), sandbox.close()]);
  }
}

/**
 * Lets report-findings and send-digests read the secrets the custom reporters' options reference, as the module
 * grants them (terraform/iam.tf): the rendered policies name only the built-in reporters' and the Teams example's.
 */
function grantCustomReporterSecrets(deployment: LocalDeployment, sandbox: Sandbox, entries: unknown[]): void {
  const refs = findSecretReferences(entries as Pick<ReporterEntry, "use" | "options">[]).map((f) => f.ref);
  const statements = secretReadStatements(refs, sandbox);
  if (statements.length === 0) return;
  for (const key of ["report-findings", "send-digests"] as const) {
    const principal = deployment.principals[key];
    if (!principal) continue;
    // The same credentials, with the role's policy and the grant: the sandbox looks the principal up per call.
    sandbox.iam.addPrincipal({
      ...principal,
      policies: [...principal.policies, { Version: "2012-10-17", Statement: statements }],
    });
  }
}

/** How long after the second pass the demo's digest runs: the next morning, as a weekly schedule would. */
const DIGEST_AFTER_SECOND_PASS_MS = 12 * 3_600_000;

/** Runs send-digests once at the sandbox's time, and what it logged and sent, per outcome. */
async function sendDemoDigests(deployment: LocalDeployment, at: string, errors: string[]) {
  const fn = deployment.functions.sendDigests;
  const mark = fn.jsonLogs().length;
  const invocation = await deployment.sendDigests({ time: at });
  if (!invocation.ok) errors.push(`send-digests: ${invocation.errorType}: ${invocation.errorMessage}`);
  const logs: LogLine[] = fn.jsonLogs().slice(mark);
  const outcomes: Record<string, number> = {};
  for (const line of logs) {
    if (line.message !== "send-digests summary") continue;
    const summary = line.summary as { sent: number; held: number; skipped: number; failed: string[] };
    Object.assign(outcomes, {
      sent: summary.sent,
      held: summary.held,
      skipped: summary.skipped,
      failed: summary.failed.length,
    });
  }
  const digestErrors = summariseErrors(logs, { when: "digest", function: "send-digests", unit: "digest" });
  errors.push(...digestErrors.errors);
  return { at, logs, outcomes, failures: digestErrors.failures };
}

/** The newly published CVE the most images' rescans found (the question a security team asks that morning). */
function mostFoundFeedCve(pass: PassSummary): string | undefined {
  const found = new Map<string, number>();
  for (const report of pass.imageReports)
    for (const id of report.newlyPublishedFound) found.set(id, (found.get(id) ?? 0) + 1);
  return [...found].sort(([a, n], [b, m]) => m - n || a.localeCompare(b))[0]?.[0];
}

/** The exposure query the CLI runs, on the sandbox's ledger table over HTTP. */
async function queryDemoExposure(sandbox: Sandbox, tableName: string, vulnerability: string) {
  const client = sandboxLedgerClient(sandbox);
  try {
    return await queryExposure({ client, tableName, vulnerability, logger: silentLogger });
  } finally {
    client.destroy();
  }
}

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** The files under a folder of the output, relative to the output. */
function filesUnder(out: string, folder: string): string[] {
  const dir = join(out, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(out, join(entry.parentPath, entry.name)))
    .sort();
}

function countFiles(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (n, entry) => n + (entry.isDirectory() ? countFiles(join(dir, entry.name)) : 1),
    0,
  );
}
