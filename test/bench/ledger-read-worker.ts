// The process the digest and exposure benchmarks measure, forked once per run (digest.ts, exposure.ts): as
// send-digests' Lambda or the CLI's `exposure`, it reaches the sandbox's ECR and DynamoDB over HTTP with the real SDK
// clients (AWS_ENDPOINT_URL), runs the product's use case once, and sends back its time, the ledger classes'
// counters and its memory. Forked with `--import tsx`, so it runs the sources, as the rest of the bench does.
import { readFileSync } from "node:fs";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  createEcrClient,
  type Digest,
  DynamoDbDigestLedger,
  DynamoDbLedger,
  defineReporter,
  EcrGateway,
  ledgerClientFor,
  loadReporters,
  queryExposure,
  sendDigests,
} from "@ecr-scan-reporter/core";
import { parseConfig } from "@ecr-scan-reporter/core/config";
import { recordingLogger, testDeps } from "@ecr-scan-reporter/core/testing";
import { z } from "zod";

export interface DigestJob {
  kind: "digest";
  tableName: string;
  account: string;
  region: string;
  /** ISO 8601: the schedule's time. */
  now: string;
  periodKey: string;
  /** The configuration document's `thresholds` and `reporters` (every reporter `use: "bench-recorder"`). */
  config: unknown;
}

export interface ExposureJob {
  kind: "exposure";
  tableName: string;
  vulnerability?: string;
  packageName?: string;
  packageVersion?: string;
}

export type LedgerReadJob = DigestJob | ExposureJob;

/** The process's memory over the measured call. */
export interface WorkerMemory {
  /** RSS and V8 heap used once modules, clients and reporters are set up, just before the call. */
  baselineRssMb: number;
  baselineHeapMb: number;
  /** Highest V8 heap used seen while the call ran (sampled every 10 ms, and at its end). */
  peakHeapMb: number;
  /** Highest RSS seen while the call ran (sampled likewise). */
  sampledPeakRssMb: number;
  /** The process's peak RSS, its set-up included: VmHWM of /proc/self/status (Linux), else getrusage's max RSS. */
  peakRssMb: number;
  /** getrusage's max RSS, for comparison. */
  maxRssMb: number;
}

/** What one route's recording reporter received. */
export interface RecordedDigest {
  reporterId: string;
  repositories?: string;
  minSeverity?: string;
  emptyLedger: boolean;
  open: Digest["open"];
  overThresholds: { total: number; listed: number };
  newFindings: number;
  fixedFindings: number;
  coverageImages?: number;
  /** The digest as JSON: what a reporter gets to render. */
  jsonBytes: number;
}

export interface DigestWorkerResult {
  kind: "digest";
  durationMs: number;
  outcomes: Record<string, string>;
  repositories: number;
  images: number;
  imagesSummarizedOnRead: number;
  received: RecordedDigest[];
  /** `stats()` of the findings ledger and of the digests' side, as send-digests holds them. */
  ledgerStats: { findings: LedgerStatsLike; digests: LedgerStatsLike };
  itemsRead: ItemsRead;
  memory: WorkerMemory;
  warnings: string[];
}

export interface ExposureWorkerResult {
  kind: "exposure";
  durationMs: number;
  /** Rows of the answer (image and package), distinct images, and those in use. */
  rows: number;
  images: number;
  inUse: number;
  stats: { queryCalls: number; readCalls: number; consumedReadUnits: number; pages: number };
  itemsRead: ItemsRead;
  memory: WorkerMemory;
  warnings: string[];
}

export type LedgerReadWorkerResult = DigestWorkerResult | ExposureWorkerResult;

interface LedgerStatsLike {
  calls: Record<string, number | undefined>;
  readCapacityUnits: number;
  writeCapacityUnits: number;
  unprocessedRetries: number;
  unknownKeys: number;
}

/** Items DynamoDB answered, counted on the client's side: what the use case read, against the table's size. */
export interface ItemsRead {
  /** Items a Query looked at (ScannedCount: before any filter, what DynamoDB bills). */
  queried: number;
  /** Keys a BatchGetItem asked for, and the items it answered. */
  batchGetKeys: number;
  batchGetItems: number;
  getItem: number;
}

/**
 * The product's DynamoDB client, its answers counted on the way back: a tap on the real client (every call goes to
 * the sandbox over HTTP as it would), so that items read can be set against the table's item count.
 */
function countingClient(client: DynamoDBClient, read: ItemsRead): Pick<DynamoDBClient, "send"> {
  return {
    send: (async (command: { input: Record<string, unknown>; constructor: { name: string } }) => {
      const output = (await client.send(command as never)) as unknown as Record<string, unknown>;
      const name = command.constructor.name;
      if (name === "QueryCommand") read.queried += Number(output.ScannedCount ?? 0);
      if (name === "GetItemCommand" && output.Item) read.getItem += 1;
      if (name === "BatchGetItemCommand") {
        const asked = command.input.RequestItems as Record<string, { Keys?: unknown[] }>;
        for (const entry of Object.values(asked)) read.batchGetKeys += entry.Keys?.length ?? 0;
        const answered = (output.Responses ?? {}) as Record<string, unknown[]>;
        for (const items of Object.values(answered)) read.batchGetItems += items.length;
      }
      return output;
    }) as DynamoDBClient["send"],
  };
}

const noItemsRead = (): ItemsRead => ({ queried: 0, batchGetKeys: 0, batchGetItems: 0, getItem: 0 });

const MB = 1024 * 1024;

/** The process's RSS high-water mark (VmHWM, kB) on Linux; undefined elsewhere. */
function highWaterRssKb(): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"));
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Samples the heap and RSS while `run` runs; the process's peak RSS comes from the kernel's high-water mark. */
async function measured<T>(
  run: () => Promise<T>,
): Promise<{ value: T; durationMs: number; memory: WorkerMemory }> {
  const baseline = process.memoryUsage();
  let peakHeap = baseline.heapUsed;
  let peakRss = baseline.rss;
  const sample = () => {
    const now = process.memoryUsage();
    peakHeap = Math.max(peakHeap, now.heapUsed);
    peakRss = Math.max(peakRss, now.rss);
  };
  const sampler = setInterval(sample, 10);
  const started = performance.now();
  try {
    const value = await run();
    const durationMs = performance.now() - started;
    sample();
    const maxRssMb = process.resourceUsage().maxRSS / 1024;
    const highWater = highWaterRssKb();
    return {
      value,
      durationMs,
      memory: {
        baselineRssMb: baseline.rss / MB,
        baselineHeapMb: baseline.heapUsed / MB,
        peakHeapMb: peakHeap / MB,
        sampledPeakRssMb: peakRss / MB,
        peakRssMb: highWater === undefined ? maxRssMb : highWater / 1024,
        maxRssMb,
      },
    };
  } finally {
    clearInterval(sampler);
  }
}

/** A reporter that keeps what it is given: the digest's route sees exactly what a built-in reporter would. */
function recordingReporter(received: RecordedDigest[]) {
  return defineReporter({
    name: "bench-recorder",
    contractVersion: 2,
    optionsSchema: z.strictObject({}),
    create: () => ({
      report: async () => ({ status: "skipped" as const, detail: "the digest bench sends no reports" }),
      digest: async (digest, ctx) => {
        received.push({
          reporterId: ctx.reporterId,
          repositories: digest.route.repositories,
          minSeverity: digest.route.minSeverity,
          emptyLedger: digest.emptyLedger,
          open: digest.open,
          overThresholds: { total: digest.overThresholds.total, listed: digest.overThresholds.top.length },
          newFindings: digest.newFindings.total,
          fixedFindings: digest.fixedFindings.total,
          coverageImages: digest.coverage?.images,
          jsonBytes: Buffer.byteLength(JSON.stringify(digest)),
        });
        return { status: "sent" as const, ref: `recorded:${ctx.reporterId}` };
      },
    }),
  });
}

const warningsOf = (logger: ReturnType<typeof recordingLogger>) =>
  logger.logs.filter((l) => l.level === "warn" || l.level === "error").map((l) => `${l.level}: ${l.message}`);

async function runDigest(job: DigestJob): Promise<DigestWorkerResult> {
  const logger = recordingLogger();
  const config = parseConfig(job.config, "digest bench");
  const received: RecordedDigest[] = [];
  const reporters = await loadReporters(
    config.reporters,
    new Map([["bench-recorder", recordingReporter(received)]]),
    testDeps({ logger }).deps,
  );
  // As send-digests' handler (openDigestLedgers): ECR's client, and both sides of the ledger on one DynamoDB client.
  const gateway = new EcrGateway(createEcrClient());
  const itemsRead = noItemsRead();
  const client = countingClient(ledgerClientFor(process.env), itemsRead);
  const ledger = new DynamoDbLedger({ client, tableName: job.tableName, logger });
  const digestLedger = new DynamoDbDigestLedger({ client, tableName: job.tableName, logger });
  const now = new Date(job.now);
  const run = await measured(() =>
    sendDigests({
      gateway,
      ledger,
      digestLedger,
      reporters,
      config,
      account: job.account,
      region: job.region,
      now,
      periodKey: job.periodKey,
      logger,
      source: "digest bench",
    }),
  );
  const result = run.value;
  return {
    kind: "digest",
    durationMs: run.durationMs,
    outcomes: Object.fromEntries(
      result.outcomes.map((o) => [o.reporter, o.status === "held" ? `held (${o.why})` : o.status]),
    ),
    repositories: result.repositories,
    images: result.images,
    imagesSummarizedOnRead: result.imagesSummarizedOnRead,
    received,
    ledgerStats: { findings: ledger.stats(), digests: digestLedger.stats() },
    itemsRead,
    memory: run.memory,
    warnings: warningsOf(logger),
  };
}

async function runExposure(job: ExposureJob): Promise<ExposureWorkerResult> {
  const logger = recordingLogger();
  // The CLI's client (exposure.ts): adaptive retry, the endpoint from AWS_ENDPOINT_URL.
  const raw = ledgerClientFor(process.env);
  const itemsRead = noItemsRead();
  try {
    const run = await measured(() =>
      queryExposure({
        client: countingClient(raw, itemsRead),
        tableName: job.tableName,
        logger,
        vulnerability: job.vulnerability,
        packageName: job.packageName,
        packageVersion: job.packageVersion,
      }),
    );
    const { images, stats } = run.value;
    const name = (i: (typeof images)[number]) => `${i.registryId}/${i.repository}@${i.digest}`;
    return {
      kind: "exposure",
      durationMs: run.durationMs,
      rows: images.length,
      images: new Set(images.map(name)).size,
      inUse: new Set(images.filter((i) => i.inUse).map(name)).size,
      stats,
      itemsRead,
      memory: run.memory,
      warnings: warningsOf(logger),
    };
  } finally {
    raw.destroy();
  }
}

process.once("message", (job: LedgerReadJob) => {
  const run = job.kind === "digest" ? runDigest(job) : runExposure(job);
  run.then(
    (result) => process.send?.({ ok: true, result }, () => process.exit(0)),
    (error: unknown) =>
      process.send?.(
        { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) },
        () => process.exit(1),
      ),
  );
});
