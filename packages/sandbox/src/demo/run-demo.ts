import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatEml } from "@ecr-scan-reporter/reporter-email";
import { startGitHubReceiver } from "../github-receiver.js";
import { type Sandbox, startSandbox } from "../index.js";
import { LocalDeployment } from "../local-deployment.js";
import { startSlackReceiver } from "../slack-receiver.js";
import { startWebhookReceiver } from "../webhook-receiver.js";
import { wireLocalReporters } from "./local-reporters.js";
import { DEMO_SCAN_CONFIG, seedDemoRegistry } from "./seed.js";
import { renderSummaryPage } from "./summary-page.js";

export interface DemoOptions {
  /** Where every report and the summary page are written (created; a previous demo output is replaced). */
  outDir: string;
  /** terraform/dist: the bundles to run. */
  distDir: string;
  /** More reporter entries (a custom reporter package, e.g. the Teams example). */
  extraReporters?: unknown[];
  /** Where custom reporter packages are found (ECR_SCAN_REPORTER_REPORTERS_PATH). */
  reportersPath?: string;
  log?: (line: string) => void;
  /**
   * Called once the deployment is set up, with it and its sandbox: a test reads there what the functions wrote
   * (each function's `logs`) and the secrets the sandbox holds.
   */
  onDeployed?: (deployment: LocalDeployment, sandbox: Sandbox) => void;
}

/** One report as report-findings logged it. */
interface ReportLine {
  repository: string;
  digest: string;
  tags: string[];
  status: string;
  counts: Record<string, number>;
  verdict: { due: boolean; highestSeverity?: string };
  outcomes: Record<string, string>;
}

export interface DemoSummary {
  ok: boolean;
  wallTimeMs: number;
  images: number;
  decisions: Record<string, number>;
  expectedDecisionsMatched: boolean;
  scansStarted: number;
  reports: number;
  reportsPerReporter: Record<string, number>;
  highestSeverities: Record<string, number>;
  findingsBySeverity: Record<string, number>;
  awsCalls: Record<string, number>;
  /** The functions' calls the sandbox checked against their roles' policies (the module's), and those denied. */
  iam: { checked: number; denied: number };
  githubViolations: number;
  slackRejections: number;
  errors: string[];
  outDir: string;
  files: number;
}

const SUMMARY_FILE = "demo-summary.json";

/** Creates the output folder; replaces a previous demo's output, but never a folder holding something else. */
function prepareOutDir(outDir: string): void {
  if (existsSync(outDir) && readdirSync(outDir).length > 0) {
    if (!existsSync(join(outDir, SUMMARY_FILE))) {
      throw new Error(
        `${outDir} is not empty and holds no previous demo output; choose another folder with --out.`,
      );
    }
    rmSync(outDir, { recursive: true, force: true });
  }
  mkdirSync(outDir, { recursive: true });
}

const slug = (text: string) => text.replace(/[^a-zA-Z0-9.-]+/g, "_").slice(0, 80);

/**
 * The main job end to end on the sandbox: seeds a registry, runs the built bundles through schedule → scan queue
 * → scan-images → scans → events → report queue → report-findings → SNS, Slack, GitHub, e-mail and metrics, and
 * writes everything each reporter sent. No AWS account; every process it starts is stopped before it returns.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  prepareOutDir(options.outDir);
  const sandbox = await startSandbox({ scanDurationMs: 400 });
  const slack = await startSlackReceiver({ rateLimit: false });
  const github = await startGitHubReceiver({ repositories: ["acme/security"] });
  // For custom reporters added with --config: their webhook URL is the SSM parameter /ecr-scan-reporter/demo-webhook-url.
  const webhook = await startWebhookReceiver();
  let deployment: LocalDeployment | undefined;
  try {
    log(`sandbox on ${sandbox.endpoint}; Slack receiver ${slack.url()}; GitHub receiver ${github.url}`);
    const seeded = seedDemoRegistry(sandbox.ecr);
    sandbox.ssm.putParameter("/ecr-scan-reporter/demo-webhook-url", webhook.url);
    const config = {
      ...DEMO_SCAN_CONFIG,
      reporters: [
        ...wireLocalReporters(sandbox, {
          slackWebhookUrl: slack.url(),
          githubApiUrl: github.url,
          slackMinSeverity: "HIGH",
        }),
        ...(options.extraReporters ?? []),
      ],
    };
    log(`seeded ${sandbox.ecr.repositories.size} repositories with ${seeded.length} images`);

    deployment = new LocalDeployment({
      sandbox,
      distDir: options.distDir,
      config,
      env: options.reportersPath ? { ECR_SCAN_REPORTER_REPORTERS_PATH: options.reportersPath } : {},
    });
    options.onDeployed?.(deployment, sandbox);
    const schedule = await deployment.runSchedule();
    const errors: string[] = [];
    if (!schedule.ok) errors.push(`schedule-scans: ${schedule.errorType}: ${schedule.errorMessage}`);
    const drain = await deployment.drain({ timeoutMs: 50_000 });
    if (drain.timedOut) errors.push("the queues did not drain within 50 s");
    for (const [name, fn] of Object.entries(deployment.functions)) {
      for (const invocation of fn.invocations) {
        if (!invocation.ok) errors.push(`${name}: ${invocation.errorType}: ${invocation.errorMessage}`);
      }
    }

    const scanLogs = deployment.functions.scanImages.jsonLogs();
    const reportLogs = deployment.functions.reportFindings.jsonLogs();
    const decisions: Record<string, number> = {};
    let scansStarted = 0;
    for (const line of scanLogs) {
      if (line.message !== "scan-images summary") continue;
      const summary = line.summary as { decisions: Record<string, number>; outcomes: Record<string, number> };
      for (const [k, v] of Object.entries(summary.decisions)) decisions[k] = (decisions[k] ?? 0) + v;
      scansStarted += summary.outcomes.started ?? 0;
    }
    const expected: Record<string, number> = {};
    for (const image of seeded)
      if (image.expected !== "not-selected") expected[image.expected] = (expected[image.expected] ?? 0) + 1;
    const expectedDecisionsMatched =
      JSON.stringify(Object.entries(expected).sort()) === JSON.stringify(Object.entries(decisions).sort());
    const reports = reportLogs.filter((l) => l.message === "report") as unknown as ReportLine[];
    const reportsPerReporter: Record<string, number> = {};
    const highestSeverities: Record<string, number> = {};
    const findingsBySeverity: Record<string, number> = {
      CRITICAL: 0,
      HIGH: 0,
      MEDIUM: 0,
      LOW: 0,
      INFORMATIONAL: 0,
      UNDEFINED: 0,
    };
    for (const report of reports) {
      for (const [reporter, outcome] of Object.entries(report.outcomes)) {
        if (outcome === "sent") reportsPerReporter[reporter] = (reportsPerReporter[reporter] ?? 0) + 1;
      }
      const highest = report.status === "FAILED" ? "scan failed" : (report.verdict.highestSeverity ?? "none");
      highestSeverities[highest] = (highestSeverities[highest] ?? 0) + 1;
      for (const [s, n] of Object.entries(report.counts))
        findingsBySeverity[s] = (findingsBySeverity[s] ?? 0) + n;
    }
    for (const line of reportLogs)
      if (line.level === "ERROR") errors.push(`report-findings: ${String(line.message)}`);
    // Each function runs with the policy the module gives its role: a denial means the policy falls short.
    const checked = sandbox.iam.decisions.filter((d) => d.roleName !== undefined);
    const denied = checked.filter((d) => !d.allowed);
    for (const d of denied) errors.push(`IAM denied ${d.roleName}: ${d.action} on ${d.resource}`);
    for (const problem of deployment.mappingProblems) errors.push(`event source mapping: ${problem}`);

    // Everything each reporter sent, as its target received it.
    const out = options.outDir;
    const write = (path: string, content: string) => {
      mkdirSync(join(out, path, ".."), { recursive: true });
      writeFileSync(join(out, path), content);
    };
    sandbox.sns.published.forEach((m, i) => {
      const attributes = Object.fromEntries(
        Object.entries(m.messageAttributes).map(([k, v]) => [k, v.value]),
      );
      const body = m.messageStructure === "json" ? JSON.parse(m.message) : m.message;
      write(
        `sns/${String(i + 1).padStart(3, "0")}-${slug(attributes.repository ?? "")}.json`,
        `${JSON.stringify({ subject: m.subject, attributes, message: body }, null, 2)}\n`,
      );
    });
    slack.messages.forEach((m, i) => {
      write(`slack/${String(i + 1).padStart(3, "0")}.json`, `${JSON.stringify(m.payload, null, 2)}\n`);
    });
    for (const issue of github.issues) {
      const comments = github.comments.filter((c) => c.issueNumber === issue.number);
      write(
        `github/issue-${issue.number}.md`,
        `# ${issue.title}\n\nstate: ${issue.state} · labels: ${issue.labels.join(", ")}\n\n---\n\n${issue.body ?? ""}\n${comments.map((c) => `\n---\n\ncomment ${c.id}:\n\n${c.body}\n`).join("")}`,
      );
    }
    sandbox.ses.sent.forEach((m, i) => {
      const name = `email/${String(i + 1).padStart(3, "0")}`;
      if (m.html) write(`${name}.html`, m.html);
      if (m.text) write(`${name}.txt`, m.text);
      write(
        `${name}.eml`,
        formatEml({
          from: m.from,
          to: m.to,
          cc: m.cc,
          replyTo: m.replyTo,
          subject: m.subject,
          text: m.text,
          html: m.html,
          date: new Date(m.at),
        }),
      );
    });
    webhook.received.forEach((m, i) => {
      write(`webhooks/${String(i + 1).padStart(3, "0")}.json`, `${JSON.stringify(m.body, null, 2)}\n`);
    });
    const emf = reportLogs.filter((l) => "_aws" in l).map((l) => JSON.stringify(l));
    if (emf.length > 0) write("metrics/emf.jsonl", `${emf.join("\n")}\n`);

    const wallTimeMs = Date.now() - started;
    const awsCalls = sandbox.server.callCounts();
    const summary: DemoSummary = {
      ok: errors.length === 0 && github.violations.length === 0 && slack.rejections.length === 0,
      wallTimeMs,
      images: seeded.length,
      decisions,
      expectedDecisionsMatched,
      scansStarted,
      reports: reports.length,
      reportsPerReporter,
      highestSeverities,
      findingsBySeverity,
      awsCalls,
      iam: { checked: checked.length, denied: denied.length },
      githubViolations: github.violations.length,
      slackRejections: slack.rejections.length,
      errors,
      outDir: out,
      files: 0,
    };
    write(
      "index.html",
      renderSummaryPage({
        wallTimeMs,
        decisions,
        scansStarted,
        reportsPerReporter,
        highestSeverities,
        findingsBySeverity,
        awsCalls,
        reports: reports.map((r) => ({
          image: `${r.repository}:${r.tags[0] ?? r.digest.slice(0, 19)}`,
          highest: r.status === "FAILED" ? "scan failed" : (r.verdict.highestSeverity ?? "none"),
          counts: r.counts,
          due: r.verdict.due,
        })),
      }),
    );
    summary.files = countFiles(out) + 1;
    write(SUMMARY_FILE, `${JSON.stringify(summary, null, 2)}\n`);

    log("");
    log(
      `images per decision: ${Object.entries(decisions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
    log(
      `scans started: ${scansStarted} (planner matched the seeded expectations: ${expectedDecisionsMatched ? "yes" : "NO"})`,
    );
    log(
      `reports: ${reports.length}; sent per reporter: ${Object.entries(reportsPerReporter)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
    log(
      `highest severity per report: ${Object.entries(highestSeverities)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
    log(
      `AWS calls by the functions: ${Object.entries(awsCalls)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
    log(
      `calls checked against the IAM policies the Terraform module gives the functions: ${checked.length}, denied: ${denied.length}`,
    );
    log(
      `GitHub requests checked against GitHub's OpenAPI description: ${github.requests.length}, violations: ${github.violations.length}`,
    );
    for (const error of errors) log(`error: ${error}`);
    log(`wrote ${summary.files} files to ${out} (open index.html) in ${(wallTimeMs / 1000).toFixed(1)} s`);
    return summary;
  } finally {
    await deployment?.close();
    await Promise.all([slack.close(), github.close(), webhook.close(), sandbox.close()]);
  }
}

function countFiles(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (n, entry) => n + (entry.isDirectory() ? countFiles(join(dir, entry.name)) : 1),
    0,
  );
}
