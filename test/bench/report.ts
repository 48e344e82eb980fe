import { createHash } from "node:crypto";
import { type AttributeValue, DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { generateFindings } from "@ecr-scan-reporter/core/testing";
import {
  type CveRecord,
  type GitHubReceiver,
  type InspectorScanEvent,
  LocalDeployment,
  type Sandbox,
  type SlackReceiver,
  startSandbox,
} from "@ecr-scan-reporter/sandbox";
// The sandbox's own Inspector finding shape, so the benchmark's enhanced findings look like the ones it serves.
import { wireLocalReporters } from "@ecr-scan-reporter/sandbox/demo";
import { enhancedFindingFrom } from "../../packages/sandbox/src/data/findings.js";
import { imageScanEvent, toBasicFinding } from "../support/scenario.js";

/** An image of basic-scan findings (5,000 at size; 50 for a typical image), or of enhanced ones. */
export type ReportCase = "basic-5000" | "basic-50" | "enhanced-1000";

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
  /** The findings ledger's table and LEDGER_TABLE_NAME, as the module deploys them (default); `false` without. */
  ledger?: boolean;
  /**
   * KEV and EPSS look-ups against the sandbox's feeds (default, as the module's default config does against CISA's and
   * FIRST's); `false` turns both sources off, to measure what intel adds.
   */
  intel?: boolean;
  /**
   * After the report, a rescan of the same image a week later (the sandbox's clock moved) with the same findings:
   * the steady-state report, which the ledger compares with the last one and holds back from the alerting reporters.
   */
  rescan?: boolean;
}

/** What one report did to the findings ledger's table, counted on the sandbox's side. */
export interface LedgerFigures {
  /** Requests per DynamoDB operation. */
  calls: Record<string, number>;
  readCalls: number;
  writeCalls: number;
  /** Capacity units consumed (the answers' ConsumedCapacity): read and write request units under on-demand. */
  readCapacity: number;
  writeCapacity: number;
  /** Conditional writes refused (billed at least one write unit each, with no ConsumedCapacity in the answer). */
  conditionalCheckFailures: number;
  /** The ledger's table afterwards: its items and their billable size (DynamoDB's rules, 100 bytes of overhead each). */
  table: { items: number; bytes: number };
}

/** The weekly rescan of the same image: its own invocation, DynamoDB figures and what was sent or held back. */
export interface RescanFigures {
  invocationMs: number;
  peakRssMb: number;
  awsCalls: Record<string, number>;
  ledger: LedgerFigures;
  outcomes: Record<string, string>;
  held: Record<string, string>;
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
  /** Whether the ledger's table was there (LEDGER_TABLE_NAME set). */
  ledgerEnabled: boolean;
  /** The report's work on the ledger's table (zero without a ledger). */
  ledger: LedgerFigures;
  /** The rescan a week later, when asked for. */
  rescan?: RescanFigures;
  /** Everything that went wrong: failed invocations, errors logged, messages left, rejected requests. */
  problems: string[];
}

/** DynamoDB operations that read items (read request units); the others write. */
const DYNAMODB_READS = new Set(["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"]);

/** Calls between two snapshots of a counter, keys with no change left out. */
function since(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(after)) if (n - (before[k] ?? 0) > 0) out[k] = n - (before[k] ?? 0);
  return out;
}

/** A snapshot of what the sandbox counts of DynamoDB: calls, consumed capacity and conditional failures. */
function ledgerSnapshot(sandbox: Sandbox) {
  return {
    calls: sandbox.server.callCounts(),
    capacity: { ...sandbox.dynamodb.consumedCapacity },
    failures: { ...sandbox.dynamodb.conditionalCheckFailures },
  };
}

/** The billable size of an attribute value: DynamoDB's item size rules ("Calculating item size" in its guide). */
export function attributeValueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|^0+/g, "").length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((n, v) => n + Buffer.byteLength(v), 0);
  if (value.NS) return value.NS.reduce((n, v) => n + attributeValueBytes({ N: v }), 0);
  if (value.L) return 3 + value.L.reduce((n, v) => n + 1 + attributeValueBytes(v), 0);
  if (value.M) return 3 + itemBytes(value.M) + Object.keys(value.M).length;
  return 0;
}

/** An item's size: attribute names and values (without the storage overhead). */
function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce(
    (n, [name, v]) => n + Buffer.byteLength(name) + attributeValueBytes(v),
    0,
  );
}

/** DynamoDB's storage overhead per item ("Item sizes and formats": 100 bytes for indexing). */
const ITEM_OVERHEAD_BYTES = 100;

/** The items of a table and their billable storage, read from dynalite directly (no IAM, no call counts). */
export async function tableStorage(
  sandbox: Sandbox,
  tableName: string,
): Promise<{ items: number; bytes: number }> {
  const client = new DynamoDBClient({
    endpoint: sandbox.dynamodb.dynaliteEndpoint,
    region: sandbox.region,
    credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
  });
  let items = 0;
  let bytes = 0;
  try {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) {
        items += 1;
        bytes += itemBytes(item) + ITEM_OVERHEAD_BYTES;
      }
      start = page.LastEvaluatedKey;
    } while (start);
  } finally {
    client.destroy();
  }
  return { items, bytes };
}

function ledgerFigures(
  before: ReturnType<typeof ledgerSnapshot>,
  after: ReturnType<typeof ledgerSnapshot>,
  table: { items: number; bytes: number },
): LedgerFigures {
  const calls = Object.fromEntries(
    Object.entries(since(after.calls, before.calls))
      .filter(([k]) => k.startsWith("dynamodb:"))
      .map(([k, n]) => [k.slice("dynamodb:".length), n]),
  );
  const capacity = since(after.capacity, before.capacity);
  const sum = (record: Record<string, number>, reads: boolean) =>
    Object.entries(record).reduce((n, [op, v]) => (DYNAMODB_READS.has(op) === reads ? n + v : n), 0);
  return {
    calls,
    readCalls: sum(calls, true),
    writeCalls: sum(calls, false),
    readCapacity: sum(capacity, true),
    writeCapacity: sum(capacity, false),
    conditionalCheckFailures: Object.values(since(after.failures, before.failures)).reduce(
      (a, b) => a + b,
      0,
    ),
    table,
  };
}

const REPOSITORY = "bench/big-image";
const MANIFEST = "bench-big-image-manifest";
/** The digest the sandbox gives an image of this manifest (sha256 of it). */
const digestOf = (manifest: string) => `sha256:${createHash("sha256").update(manifest).digest("hex")}`;

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
  // The sandbox's clock: moved a week ahead for the rescan.
  let clockOffsetMs = 0;
  const sandbox = await startSandbox({
    latencyMs: options.latencyMs,
    rateLimits: options.rateLimits,
    now: () => Date.now() + clockOffsetMs,
  });
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
    if (options.kind.startsWith("basic-")) {
      const basic = generateFindings(Number(options.kind.slice("basic-".length))).map(toBasicFinding);
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
      ...(options.intel === false ? { intel: { kevUrl: null, epssUrl: null } } : {}),
    };
    const nodeOptions = options.lambdaHeapLimits ? lambdaNodeOptions(options.memoryMb) : null;
    const ledgerEnabled = options.ledger ?? true;
    deployment = new LocalDeployment({
      sandbox,
      distDir: options.distDir,
      config,
      ledger: ledgerEnabled,
      env: {
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb),
        ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
      },
    });

    // An empty batch first: the cold start and the reporters' set-up, so the report itself is measured warm.
    const fn = deployment.functions.reportFindings;
    const init = await fn.invoke({ Records: [] });
    const initAwsCalls = sandbox.server.callCounts();
    const ledgerBefore = ledgerSnapshot(sandbox);

    const started = performance.now();
    sandbox.sqs.send(deployment.queues.report, JSON.stringify(event));
    const drain = await deployment.drain({ timeoutMs: 60_000, waitForScans: false });
    const wallTimeMs = performance.now() - started;
    const ledgerAfter = ledgerSnapshot(sandbox);
    const storage = () =>
      ledgerEnabled
        ? tableStorage(sandbox, deployment?.names.ledgerTableName ?? "")
        : Promise.resolve({ items: 0, bytes: 0 });
    const ledger = ledgerFigures(ledgerBefore, ledgerAfter, await storage());

    // The same image rescanned a week later, with the same findings: a new scan completion, nothing new in it.
    let rescan: RescanFigures | undefined;
    if (options.rescan && options.kind.startsWith("basic-")) {
      clockOffsetMs += 7 * 86_400_000;
      const image = sandbox.ecr.repositories.get(REPOSITORY)?.images.get(digestOf(MANIFEST));
      if (!image?.scan) throw new Error("the benchmark's image has no scan to repeat");
      image.scan.completedAt = new Date(sandbox.now());
      image.scan.vulnerabilitySourceUpdatedAt = image.scan.completedAt;
      const rescanEvent = {
        ...imageScanEvent(sandbox, REPOSITORY, image.digest),
        id: "bench-rescan",
        time: image.scan.completedAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
      };
      const callsBefore = sandbox.server.callCounts();
      sandbox.sqs.send(deployment.queues.report, JSON.stringify(rescanEvent));
      const rescanDrain = await deployment.drain({ timeoutMs: 60_000, waitForScans: false });
      if (rescanDrain.timedOut) throw new Error("the rescan's report did not drain within 60 s");
      const invocation = fn.invocations[fn.invocations.length - 1];
      const line = fn
        .jsonLogs()
        .filter((l) => l.message === "report")
        .at(-1) as { outcomes?: Record<string, string>; held?: Record<string, string> } | undefined;
      rescan = {
        invocationMs: invocation?.durationMs ?? 0,
        peakRssMb: (invocation?.maxRssKb ?? 0) / 1024,
        awsCalls: since(sandbox.server.callCounts(), callsBefore),
        ledger: ledgerFigures(ledgerAfter, ledgerSnapshot(sandbox), await storage()),
        outcomes: line?.outcomes ?? {},
        held: line?.held ?? {},
      };
    }

    const problems: string[] = [];
    if (drain.timedOut) problems.push("the report queue did not drain within 60 s");
    const expectedInvocations = rescan ? 3 : 2;
    if (fn.invocations.length !== expectedInvocations)
      problems.push(`${fn.invocations.length - 1} report invocation(s), ${expectedInvocations - 1} expected`);
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
    const awsCalls = since(ledgerAfter.calls, initAwsCalls);
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
      ledgerEnabled,
      ledger,
      rescan,
      problems,
    };
  } finally {
    await deployment?.close();
    await sandbox.close();
  }
}
