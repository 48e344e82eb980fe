import { DeleteItemCommand, GetItemCommand } from "@aws-sdk/client-dynamodb";
import {
  type CompactFinding,
  DynamoDbLedger,
  digestStateKey,
  imageKey,
  LEDGER_SCHEMA_VERSION,
  type LedgerImage,
  periodKeyOf,
  type RepositoryCoverage,
  SEVERITIES,
  type Severity,
  type SeverityCounts,
  summarizeFindings,
} from "@ecr-scan-reporter/core";
import { recordingLogger } from "@ecr-scan-reporter/core/testing";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { toItem } from "../../packages/core/src/ledger/attributes.js";
// The SCAN item's summary attributes exactly as recordScan writes them (not exported from the package).
import { summaryAttributes } from "../../packages/core/src/ledger/summary.js";
import {
  callsOf,
  counterDelta,
  inPool,
  populationClient,
  putItems,
  sandboxSnapshot,
} from "./ledger-population.js";
import { runInWorker } from "./ledger-read-process.js";
import type { DigestWorkerResult, RecordedDigest } from "./ledger-read-worker.js";
import { countServedCalls } from "./sandbox-counters.js";

const DAY = 86_400_000;
const TABLE = "ecr-scan-reporter-ledger";
const DYNAMODB_READS = new Set(["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"]);

export interface DigestBenchOptions {
  repositories: number;
  imagesPerRepository: number;
  /** Change-log items (reports that found something new, fixed or raised) over the week before the digests. */
  changeLogEntries: number;
  runs: number;
  latencyMs: number;
  rateLimits: Record<string, number>;
  /** send-digests' memory (the module's default): the worker gets the V8 limits Lambda derives from it. */
  memoryMb: number;
  log: (line: string) => void;
}

/** The routes: three reporter entries of one recording reporter, as a configuration would name them. */
export const DIGEST_ROUTES = [
  { id: "bench-recorder", label: "whole registry, every severity", entry: { use: "bench-recorder" } },
  {
    id: "bench-recorder#2",
    label: "one team's 25 repositories (^bench/team-a/), HIGH and above",
    entry: { use: "bench-recorder", repositories: "^bench/team-a/", minSeverity: "HIGH" },
  },
  {
    id: "bench-recorder#3",
    label: "whole registry, CRITICAL only",
    entry: { use: "bench-recorder", minSeverity: "CRITICAL" },
  },
] as const;

/** What was put in the sandbox before the runs, and how long each part took. */
export interface DigestPopulation {
  repositories: number;
  images: number;
  /** How the SCAN items were written, and the check of their format against recordScan. */
  scanItems: { count: number; method: string; formatCheck: string };
  changeLogEntries: number;
  coverageItems: number;
  /** Items in the ledger's table when the runs start. */
  tableItems: number;
  ms: { ecrSeed: number; scanItems: number; changeLog: number; coverage: number; total: number };
}

export interface DigestRun {
  periodKey: string;
  /** sendDigests itself, timed in the worker. */
  wallTimeMs: number;
  /** From fork to answer: process start, imports, clients and reporters set up, and the digests. */
  processMs: number;
  ecrCalls: Record<string, number>;
  ecrThrottles: Record<string, number>;
  dynamodbCalls: Record<string, number>;
  /** Read and write units the sandbox's DynamoDB answered (ConsumedCapacity, summed per operation). */
  sandboxReadUnits: number;
  sandboxWriteUnits: number;
  /** The same as the ledger classes counted them (`stats()` of the findings ledger and the digests' side). */
  ledgerReadUnits: number;
  ledgerWriteUnits: number;
  ledgerCalls: Record<string, number>;
  unprocessedRetries: number;
  worker: DigestWorkerResult;
  /** What the digests should have counted and did not (empty when every check holds). */
  problems: string[];
}

export interface DigestBenchResult {
  population: DigestPopulation;
  runs: DigestRun[];
  expected: Record<string, { open: SeverityCounts; images: number; overThresholds: number }>;
}

/** Image i's findings: a spread of severities and first-seen ages, the same on every run of the bench. */
export function benchFindings(i: number, now: number): CompactFinding[] {
  const perSeverity: Record<Severity, number> = {
    CRITICAL: i % 20 === 0 ? 1 + (i % 3) : 0,
    HIGH: i % 5 === 0 ? 1 + (i % 4) : 0,
    MEDIUM: i % 6,
    LOW: i % 4,
    INFORMATIONAL: i % 3 === 0 ? 1 : 0,
    UNDEFINED: 0,
  };
  const findings: CompactFinding[] = [];
  let k = 0;
  for (const severity of SEVERITIES) {
    for (let n = 0; n < perSeverity[severity]; n++, k++) {
      findings.push({
        id: `CVE-2025-${String((i * 7 + k) % 30_000).padStart(5, "0")}`,
        severity,
        package: `pkg-${(i + k) % 500}`,
        version: `1.0.${k}`,
        fixedIn: `1.0.${k + 1}`,
        firstSeen: new Date(now - (((i + k) % 90) + 1) * DAY).toISOString(),
      });
    }
  }
  return findings;
}

/** The SCAN item recordScan writes for a complete scan with these findings (its UpdateExpression's attributes). */
export function scanItem(
  image: LedgerImage,
  completedAt: string,
  updatedAt: string,
  findings: CompactFinding[],
) {
  return toItem({
    ...imageKey(image),
    status: "COMPLETE",
    completedAt,
    updatedAt,
    schema: LEDGER_SCHEMA_VERSION,
    ...summaryAttributes(summarizeFindings(findings)),
  });
}

const repositoryName = (r: number) => `bench/team-${"abcd"[r % 4]}/service-${String(r).padStart(3, "0")}`;

/** What each route's digest must count: the seeded summaries, filtered as the route filters. */
function expectedDigests(images: { repository: string; counts: SeverityCounts }[]) {
  const expected: DigestBenchResult["expected"] = {};
  for (const route of DIGEST_ROUTES) {
    const entry = route.entry as { repositories?: string; minSeverity?: Severity };
    const pattern = entry.repositories ? new RegExp(entry.repositories) : undefined;
    const counted = entry.minSeverity
      ? SEVERITIES.slice(0, SEVERITIES.indexOf(entry.minSeverity) + 1)
      : SEVERITIES;
    const open = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as SeverityCounts;
    let count = 0;
    let over = 0;
    for (const image of images) {
      if (pattern && !pattern.test(image.repository)) continue;
      count++;
      for (const s of counted) open[s] += image.counts[s];
      // The module's default thresholds: any CRITICAL or HIGH; an image is listed when the route counts some of it.
      const exceeded = image.counts.CRITICAL > 0 || image.counts.HIGH > 0;
      if (exceeded && counted.some((s) => image.counts[s] > 0)) over++;
    }
    expected[route.id] = { open, images: count, overThresholds: over };
  }
  return expected;
}

/** The differences between what a route's digest counted and what the seed says it must. */
function checkDigest(got: RecordedDigest | undefined, want: DigestBenchResult["expected"][string]): string[] {
  if (!got) return ["no digest received"];
  const problems: string[] = [];
  if (got.emptyLedger) problems.push("emptyLedger");
  if (got.open.images !== want.images) problems.push(`images ${got.open.images}, expected ${want.images}`);
  if (got.open.imagesUnknown !== 0) problems.push(`${got.open.imagesUnknown} images unknown to the ledger`);
  for (const s of SEVERITIES) {
    if (got.open.counts[s] !== want.open[s])
      problems.push(`${s} ${got.open.counts[s]}, expected ${want.open[s]}`);
  }
  if (got.overThresholds.total !== want.overThresholds)
    problems.push(`over thresholds ${got.overThresholds.total}, expected ${want.overThresholds}`);
  return problems;
}

/**
 * Seeds `repositories × imagesPerRepository` tagged images in the sandbox's ECR, their SCAN items with summaries in
 * the ledger, a week of change log and the last run's coverage; then runs send-digests' use case `runs` times, each
 * in a fresh process with a new period key, the routes' digest records removed before each so that every run is
 * the same work (a route's first digest of a 7-day period).
 */
export async function runDigestBench(options: DigestBenchOptions): Promise<DigestBenchResult> {
  const t0 = Date.now();
  const sandbox = await startSandbox({
    latencyMs: options.latencyMs,
    rateLimits: options.rateLimits,
    // AWS answers a BatchGetItem of 100 small items whole (UnprocessedKeys come above 16 MB or under throttling);
    // the sandbox's default of answering 50 and returning the rest is a test of the retry, not a cost to measure.
    dynamodb: { batchGetUnprocessed: false },
  });
  const tally = countServedCalls(sandbox);
  const client = populationClient(sandbox);
  try {
    const population = await populate(sandbox, client, options, t0);
    const runs: DigestRun[] = [];
    const expected = population.expected;
    for (let i = 0; i < options.runs; i++) {
      // Every run the routes' first digest: a new period (and key), no previous digest, no claim.
      for (const route of DIGEST_ROUTES) {
        await client.send(
          new DeleteItemCommand({ TableName: TABLE, Key: toItem({ ...digestStateKey(route.id) }) }),
        );
      }
      const now = new Date(t0 + i * 60_000);
      const periodKey = periodKeyOf(now);
      const before = { ...sandboxSnapshot(sandbox), tally: tally() };
      const { result: worker, processMs } = await runInWorker<DigestWorkerResult>(
        sandbox,
        {
          kind: "digest",
          tableName: TABLE,
          account: sandbox.accountId,
          region: sandbox.region,
          now: now.toISOString(),
          periodKey,
          config: { reporters: DIGEST_ROUTES.map((r) => r.entry) },
        },
        { memoryMb: options.memoryMb, timeoutMs: 600_000 },
      );
      const after = { ...sandboxSnapshot(sandbox), tally: tally() };
      const capacity = counterDelta(after.capacity, before.capacity);
      const sum = (record: Record<string, number>, reads: boolean) =>
        Object.entries(record).reduce((n, [op, v]) => (DYNAMODB_READS.has(op) === reads ? n + v : n), 0);
      const stats = [worker.ledgerStats.findings, worker.ledgerStats.digests];
      const ledgerCalls: Record<string, number> = {};
      for (const s of stats)
        for (const [op, n] of Object.entries(s.calls)) ledgerCalls[op] = (ledgerCalls[op] ?? 0) + (n ?? 0);
      const problems: string[] = [];
      for (const route of DIGEST_ROUTES) {
        const want = expected[route.id];
        const got = worker.received.find((d) => d.reporterId === route.id);
        if (want) for (const p of checkDigest(got, want)) problems.push(`${route.id}: ${p}`);
        if (worker.outcomes[route.id] !== "sent")
          problems.push(`${route.id}: ${worker.outcomes[route.id] ?? "no outcome"}`);
      }
      if (worker.images !== population.population.images)
        problems.push(`listed ${worker.images} images in use, seeded ${population.population.images}`);
      if (worker.imagesSummarizedOnRead > 0)
        problems.push(`${worker.imagesSummarizedOnRead} images summarized from their FINDINGS item`);
      const dynamodbCalls = callsOf("dynamodb", after.calls, before.calls);
      if (dynamodbCalls.Scan) problems.push(`${dynamodbCalls.Scan} Scan calls`);
      problems.push(...worker.warnings);
      const run: DigestRun = {
        periodKey,
        wallTimeMs: worker.durationMs,
        processMs,
        ecrCalls: callsOf("ecr", after.calls, before.calls),
        ecrThrottles: callsOf("ecr", after.tally.throttled, before.tally.throttled),
        dynamodbCalls,
        sandboxReadUnits: sum(capacity, true),
        sandboxWriteUnits: sum(capacity, false),
        ledgerReadUnits: stats.reduce((n, s) => n + s.readCapacityUnits, 0),
        ledgerWriteUnits: stats.reduce((n, s) => n + s.writeCapacityUnits, 0),
        ledgerCalls,
        unprocessedRetries: stats.reduce((n, s) => n + s.unprocessedRetries, 0),
        worker,
        problems,
      };
      runs.push(run);
      options.log(
        `digest run ${i + 1}/${options.runs} (${periodKey}): ${(run.wallTimeMs / 1000).toFixed(1)} s, ECR ${fmtCalls(run.ecrCalls)}; DynamoDB ${fmtCalls(run.dynamodbCalls)}, ${run.ledgerReadUnits} RRU; peak RSS ${worker.memory.peakRssMb.toFixed(0)} MB, heap ${worker.memory.baselineHeapMb.toFixed(0)} → ${worker.memory.peakHeapMb.toFixed(0)} MB${problems.length ? `; PROBLEMS: ${problems.join("; ")}` : ""}`,
      );
    }
    return { population: population.population, runs, expected };
  } finally {
    client.destroy();
    await sandbox.close();
  }
}

const fmtCalls = (calls: Record<string, number>) =>
  Object.entries(calls)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");

async function populate(
  sandbox: Sandbox,
  client: ReturnType<typeof populationClient>,
  options: DigestBenchOptions,
  t0: number,
): Promise<{ population: DigestPopulation; expected: DigestBenchResult["expected"] }> {
  const log = options.log;
  const started = performance.now();
  await sandbox.dynamodb.createLedgerTable(TABLE);

  // ECR: every image tagged, pushed a month ago (all in use).
  let mark = performance.now();
  const images: (LedgerImage & { tag: string; index: number })[] = [];
  for (let r = 0; r < options.repositories; r++) {
    const name = repositoryName(r);
    sandbox.ecr.createRepository(name);
    for (let i = 0; i < options.imagesPerRepository; i++) {
      const tag = `v1.${i}.0`;
      const digest = sandbox.ecr.seedImage(
        name,
        { tags: [tag], pushedAt: new Date(t0 - 30 * DAY) },
        `${name}#${i}`,
      );
      images.push({ registryId: sandbox.accountId, repository: name, digest, tag, index: images.length });
    }
  }
  const ecrSeed = performance.now() - mark;
  log(
    `  digest population: ${images.length.toLocaleString("en-US")} images in ECR in ${(ecrSeed / 1000).toFixed(1)} s`,
  );

  // The SCAN items, in recordScan's format, checked against recordScan itself on a table of their own.
  mark = performance.now();
  const formatCheck = await checkScanItemFormat(sandbox, client, images[0] as LedgerImage, t0);
  const summaries: { repository: string; counts: SeverityCounts }[] = [];
  const scanItems = images.map((image) => {
    const findings = benchFindings(image.index, t0);
    summaries.push({ repository: image.repository, counts: summarizeFindings(findings).counts });
    const completedAt = new Date(t0 - ((image.index % 7) + 1) * DAY).toISOString();
    return scanItem(image, completedAt, completedAt, findings);
  });
  await putItems(client, TABLE, scanItems);
  const scanMs = performance.now() - mark;
  log(
    `  digest population: ${scanItems.length.toLocaleString("en-US")} SCAN items (BatchWriteItem) in ${(scanMs / 1000).toFixed(1)} s`,
  );

  // A week of change log and the last run's coverage, written by the ledger's own methods.
  const ledger = new DynamoDbLedger({ client, tableName: TABLE, logger: recordingLogger() });
  mark = performance.now();
  const week = 7 * DAY - 2 * 3_600_000;
  const changeTasks = Array.from({ length: options.changeLogEntries }, (_, j) => async () => {
    const image = images[(j * 20) % images.length] as (typeof images)[number];
    const findings = benchFindings(image.index + j, t0);
    await ledger.recordChanges({
      at: new Date(t0 - 3_600_000 - Math.floor((j / options.changeLogEntries) * week)).toISOString(),
      registryId: image.registryId,
      repository: image.repository,
      digest: image.digest,
      references: [`${image.registryId}/${image.repository}:${image.tag}`],
      newFindings: [
        {
          id: `CVE-2026-${String(j % 1500).padStart(5, "0")}`,
          severity: j % 9 === 0 ? "CRITICAL" : "HIGH",
          package: `pkg-${j % 300}`,
          version: "2.0.0",
          fixedIn: "2.0.1",
        },
        ...findings.slice(0, j % 3),
      ],
      fixedFindings: findings.slice(0, j % 2),
      raisedFindings: j % 7 === 0 ? findings.slice(0, 1) : [],
    });
  });
  await inPool(changeTasks, 4);
  const changeLog = performance.now() - mark;
  mark = performance.now();
  const coverageTasks = Array.from({ length: options.repositories }, (_, r) => async () => {
    const coverage: RepositoryCoverage = {
      registryId: sandbox.accountId,
      repository: repositoryName(r),
      runId: "bench-run",
      at: new Date(t0 - DAY).toISOString(),
      images: options.imagesPerRepository,
      scanned: options.imagesPerRepository - 60,
      stale: 30,
      neverScanned: 10,
      unsupported: 5,
      notImages: 5,
      notInUse: 10,
      archived: 0,
      enhanced: 0,
    };
    await ledger.recordCoverage(coverage);
  });
  await inPool(coverageTasks, 4);
  const coverage = performance.now() - mark;
  log(
    `  digest population: ${options.changeLogEntries.toLocaleString("en-US")} change-log items (recordChanges) in ${(changeLog / 1000).toFixed(1)} s, ${options.repositories} coverage items (recordCoverage) in ${(coverage / 1000).toFixed(1)} s`,
  );
  return {
    population: {
      repositories: options.repositories,
      images: images.length,
      scanItems: {
        count: scanItems.length,
        method:
          "BatchWriteItem of SCAN items in recordScan's format (key, status, completedAt, updatedAt, schema, summaryCounts, summaryOldest from summarizeFindings), straight into dynalite: recordScan's UpdateItem plus FINDINGS item and index sync per image would take the bench's whole time budget",
        formatCheck,
      },
      changeLogEntries: options.changeLogEntries,
      coverageItems: options.repositories,
      tableItems: scanItems.length + options.changeLogEntries + options.repositories,
      ms: {
        ecrSeed,
        scanItems: scanMs,
        changeLog,
        coverage,
        total: performance.now() - started,
      },
    },
    expected: expectedDigests(summaries),
  };
}

/**
 * recordScan writes the first image's scan on a table of its own; the item the bench writes for it must be the same
 * attribute for attribute (updatedAt aside, recordScan's own clock). A change of the format fails the bench here.
 */
async function checkScanItemFormat(
  sandbox: Sandbox,
  client: ReturnType<typeof populationClient>,
  image: LedgerImage,
  t0: number,
): Promise<string> {
  const checkTable = `${TABLE}-format-check`;
  await sandbox.dynamodb.createLedgerTable(checkTable);
  const findings = benchFindings(0, t0);
  const completedAt = new Date(t0 - DAY).toISOString();
  const ledger = new DynamoDbLedger({ client, tableName: checkTable, logger: recordingLogger() });
  await ledger.recordScan({ ...image, tags: ["v1.0.0"] }, { status: "COMPLETE", completedAt }, findings);
  const key = toItem({ ...imageKey(image) });
  const written = (await client.send(new GetItemCommand({ TableName: checkTable, Key: key }))).Item ?? {};
  const ours = scanItem(image, completedAt, String(written.updatedAt?.S), findings);
  const a = JSON.stringify(
    Object.fromEntries(Object.entries(written).sort(([x], [y]) => x.localeCompare(y))),
  );
  const b = JSON.stringify(Object.fromEntries(Object.entries(ours).sort(([x], [y]) => x.localeCompare(y))));
  if (a !== b)
    throw new Error(`the bench's SCAN item differs from recordScan's:\n recordScan: ${a}\n bench:      ${b}`);
  return `same attributes and values as recordScan's item for the same image and findings (${Object.keys(written).length} attributes)`;
}
