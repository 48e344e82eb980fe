import { createHash } from "node:crypto";
import { generateFindings } from "@ecr-scan-reporter/core/testing";
import {
  type CveRecord,
  type GitHubReceiver,
  type InspectorScanEvent,
  LocalDeployment,
  type SlackReceiver,
  startSandbox,
} from "@ecr-scan-reporter/sandbox";
// The sandbox's own Inspector finding shape, so the benchmark's enhanced findings look like the ones it serves.
import { wireLocalReporters } from "@ecr-scan-reporter/sandbox/demo";
import { enhancedFindingFrom } from "../../packages/sandbox/src/data/findings.js";
import { imageScanEvent, toBasicFinding } from "../support/scenario.js";

export type ReportCase = "basic-5000" | "enhanced-1000";

export interface ReportBenchOptions {
  kind: ReportCase;
  latencyMs: number;
  rateLimits: Record<string, number>;
  distDir: string;
  slack: SlackReceiver;
  github: GitHubReceiver;
  /** The memory the function is told it has (AWS_LAMBDA_FUNCTION_MEMORY_SIZE). */
  memoryMb: number;
  /** Gives Node the V8 heap limits Lambda's Node.js bootstrap derives from `memoryMb`. */
  lambdaHeapLimits: boolean;
}

/** One report through every built-in reporter, measured. */
export interface ReportRun {
  kind: ReportCase;
  findings: number;
  /** The NODE_OPTIONS the function ran with (the V8 limits of a small Lambda), or null for Node's defaults. */
  nodeOptions: string | null;
  /** From the event entering the report queue to the queue being empty again (a warm function). */
  wallTimeMs: number;
  /** The report-findings invocation that built and sent the report (warm). */
  invocationMs: number;
  /** The first invocation, an empty batch: bundle import, config, reporters loaded and verified. */
  initMs: number;
  /** The bundle import alone, within `initMs`. */
  coldStartMs: number;
  /** Max RSS of the function's process after its initialisation, before the report. */
  baselineRssMb: number;
  /** Max RSS of the function's process over the whole run. */
  peakRssMb: number;
  /** AWS calls per `service:Operation` of the report itself (ECR findings pages, SNS, SES). */
  awsCalls: Record<string, number>;
  awsCallsTotal: number;
  /** AWS calls made once per cold start, when the reporters are loaded and verified (secrets, identities). */
  initAwsCalls: Record<string, number>;
  /** Requests to the reporters' non-AWS targets. */
  slackRequests: number;
  githubRequests: number;
  outcomes: Record<string, string>;
  /** Everything that went wrong: failed invocations, errors logged, messages left, rejected requests. */
  problems: string[];
}

const REPOSITORY = "bench/big-image";
const MANIFEST = "bench-big-image-manifest";

/**
 * The V8 limits Lambda's Node.js bootstrap sets from the function's memory: new space a tenth of it (semi-space
 * half of that), old space the rest; so GC works as hard as in a Lambda of that size.
 */
export function lambdaNodeOptions(memoryMb: number): string {
  const newSpace = Math.floor(memoryMb / 10);
  return `--max-semi-space-size=${Math.floor(newSpace / 2)} --max-old-space-size=${memoryMb - newSpace}`;
}

/** A CVE record for each generated finding, so the sandbox can render it as Inspector would. */
function cveRecords(count: number): CveRecord[] {
  return generateFindings(count, 7).map((f) => ({
    id: f.id,
    packageName: f.packageName ?? "libunknown",
    packageVersion: f.packageVersion ?? "0",
    fixedIn: f.fixedInVersion,
    cvss: f.cvssScore ?? 0,
    description: f.description ?? f.title,
  }));
}

/** Runs one report of the given size on a fresh sandbox (so its call counts are this run's alone). */
export async function runReportOnce(options: ReportBenchOptions): Promise<ReportRun> {
  const sandbox = await startSandbox({ latencyMs: options.latencyMs, rateLimits: options.rateLimits });
  const { slack, github } = options;
  const slackBefore = slack.messages.length + slack.rejections.length;
  github.reset();
  let deployment: LocalDeployment | undefined;
  try {
    const region = "eu-west-1";
    const accountId = "123456789012";
    const tags = ["v2.0.0"];
    sandbox.ecr.createRepository(REPOSITORY);
    let event: unknown;
    let findings: number;
    if (options.kind === "basic-5000") {
      const basic = generateFindings(5_000).map(toBasicFinding);
      findings = basic.length;
      const digest = sandbox.ecr.seedImage(
        REPOSITORY,
        { tags, scan: { status: "COMPLETE", completedAt: new Date(), findings: basic } },
        MANIFEST,
      );
      event = imageScanEvent(sandbox, REPOSITORY, digest);
    } else {
      sandbox.ecr.scanType = "ENHANCED";
      const digest = `sha256:${createHash("sha256").update(MANIFEST).digest("hex")}`;
      const at = new Date();
      const enhanced = cveRecords(1_000).map((r) =>
        enhancedFindingFrom(r, { accountId, region, repositoryName: REPOSITORY, digest, tags, at }),
      );
      findings = enhanced.length;
      sandbox.ecr.seedImage(
        REPOSITORY,
        { tags, scan: { status: "ACTIVE", completedAt: at, enhancedFindings: enhanced } },
        MANIFEST,
      );
      const repository = sandbox.ecr.repositories.get(REPOSITORY);
      const counts: Record<string, number> = { TOTAL: enhanced.length };
      for (const f of enhanced) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
      const inspectorEvent: InspectorScanEvent = {
        version: "0",
        id: "bench-inspector-scan",
        "detail-type": "Inspector2 Scan",
        source: "aws.inspector2",
        account: accountId,
        time: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
        region,
        resources: [repository?.arn ?? ""],
        detail: {
          "scan-status": "INITIAL_SCAN_COMPLETE",
          "repository-name": repository?.arn ?? "",
          "finding-severity-counts": counts,
          "image-digest": digest,
          "image-tags": tags,
        },
      };
      event = inspectorEvent;
    }

    const config = {
      reporters: wireLocalReporters(sandbox, { slackWebhookUrl: slack.url(), githubApiUrl: github.url }),
    };
    const nodeOptions = options.lambdaHeapLimits ? lambdaNodeOptions(options.memoryMb) : null;
    deployment = new LocalDeployment({
      sandbox,
      distDir: options.distDir,
      config,
      env: {
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb),
        ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
      },
    });

    // An empty batch first: the cold start and the reporters' set-up, so the report itself is measured warm.
    const fn = deployment.functions.reportFindings;
    const init = await fn.invoke({ Records: [] });
    const initAwsCalls = sandbox.server.callCounts();

    const started = performance.now();
    sandbox.sqs.send(deployment.queues.report, JSON.stringify(event));
    const drain = await deployment.drain({ timeoutMs: 60_000, waitForScans: false });
    const wallTimeMs = performance.now() - started;

    const problems: string[] = [];
    if (drain.timedOut) problems.push("the report queue did not drain within 60 s");
    if (fn.invocations.length !== 2)
      problems.push(`${fn.invocations.length - 1} report invocation(s), 1 expected`);
    for (const i of fn.invocations)
      if (!i.ok) problems.push(`invocation failed: ${i.errorType}: ${i.errorMessage}`);
    const logs = fn.jsonLogs();
    for (const l of logs) if (l.level === "ERROR") problems.push(`logged error: ${String(l.message)}`);
    const left = deployment.queues.report.messages.length + deployment.queues.reportDlq.messages.length;
    if (left > 0) problems.push(`${left} message(s) left in the report queue or its DLQ`);
    if (github.violations.length > 0)
      problems.push(`${github.violations.length} GitHub request(s) off GitHub's API`);
    if (slack.rejections.length > 0) problems.push(`${slack.rejections.length} Slack request(s) rejected`);
    const report = logs.find((l) => l.message === "report") as
      | { outcomes?: Record<string, string> }
      | undefined;
    const outcomes = report?.outcomes ?? {};
    for (const reporter of ["sns", "slack", "github", "email", "metrics"]) {
      if (!Object.keys(outcomes).some((k) => k === reporter || k.startsWith(`${reporter}`)))
        problems.push(`no outcome logged for ${reporter}`);
    }
    for (const [reporter, outcome] of Object.entries(outcomes))
      if (outcome !== "sent") problems.push(`${reporter}: ${outcome}`);

    const reportInvocation = fn.invocations[1];
    const awsCalls: Record<string, number> = {};
    for (const [k, n] of Object.entries(sandbox.server.callCounts())) {
      const d = n - (initAwsCalls[k] ?? 0);
      if (d > 0) awsCalls[k] = d;
    }
    return {
      kind: options.kind,
      findings,
      nodeOptions,
      wallTimeMs,
      invocationMs: reportInvocation?.durationMs ?? 0,
      initMs: init.durationMs,
      coldStartMs: init.coldStartMs ?? 0,
      baselineRssMb: init.maxRssKb / 1024,
      peakRssMb: Math.max(0, ...fn.invocations.map((i) => i.maxRssKb)) / 1024,
      awsCalls,
      awsCallsTotal: Object.values(awsCalls).reduce((a, b) => a + b, 0),
      initAwsCalls,
      slackRequests: slack.messages.length + slack.rejections.length - slackBefore,
      githubRequests: github.requests.length,
      outcomes,
      problems,
    };
  } finally {
    await deployment?.close();
    await sandbox.close();
  }
}
