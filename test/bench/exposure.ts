import { createHash } from "node:crypto";
import { type AttributeValue, GetItemCommand } from "@aws-sdk/client-dynamodb";
import {
  type CompactFinding,
  DynamoDbLedger,
  fitFindings,
  LEDGER_SCHEMA_VERSION,
  type LedgerImage,
  lastReportKey,
  type Severity,
  vulnerabilityIndexItem,
} from "@ecr-scan-reporter/core";
import { recordingLogger } from "@ecr-scan-reporter/core/testing";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { toItem } from "../../packages/core/src/ledger/attributes.js";
import { scanItem } from "./digest.js";
import { callsOf, counterDelta, populationClient, putItems, sandboxSnapshot } from "./ledger-population.js";
import { runInWorker } from "./ledger-read-process.js";
import type { ExposureWorkerResult } from "./ledger-read-worker.js";

const DAY = 86_400_000;
const TABLE = "ecr-scan-reporter-ledger";
const DYNAMODB_READS = new Set(["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"]);

/** The vulnerability queried, and the second one of its package in the same images (so by package reads both). */
export const EXPOSED_CVE = "CVE-2021-44228";
export const EXPOSED_PACKAGE = "log4j-core";
const SECOND_CVE = "CVE-2021-45046";
/** Index items per image: two log4j findings and a filler for an exposed image, three fillers for the others. */
export const INDEX_ITEMS_PER_IMAGE = 3;
const REPOSITORIES = 100;

export interface ExposureBenchOptions {
  /** Registry sizes (images) to measure at, ascending: the table grows from one to the next. */
  sizes: number[];
  /** Images that contain the queried vulnerability, all among the first size's images. */
  exposedImages: number;
  /** Runs per query and size, each in a fresh process (as the CLI runs). */
  runs: number;
  /**
   * `performance.now()` by which the bench must be done: a size after the first is measured only if its population
   * and queries, estimated from the size before, fit before it.
   */
  deadlineMs: number;
  latencyMs: number;
  log: (line: string) => void;
}

export type ExposureQueryName = "by-id" | "by-package";

export const EXPOSURE_QUERIES: Record<
  ExposureQueryName,
  { label: string; vulnerability?: string; packageName?: string }
> = {
  "by-id": { label: `exposure ${EXPOSED_CVE}`, vulnerability: EXPOSED_CVE },
  "by-package": { label: `exposure --package ${EXPOSED_PACKAGE}`, packageName: EXPOSED_PACKAGE },
};

export interface ExposureRun {
  query: ExposureQueryName;
  /** queryExposure itself, timed in the worker. */
  wallTimeMs: number;
  /** From fork to answer: process start, imports, the client, and the query. */
  processMs: number;
  /** DynamoDB calls per operation, counted by the sandbox. */
  dynamodbCalls: Record<string, number>;
  /** Read units the sandbox answered (ConsumedCapacity summed), and queryExposure's own stats. */
  sandboxReadUnits: number;
  worker: ExposureWorkerResult;
  problems: string[];
}

export interface ExposureSize {
  images: number;
  /** Items in the table when measured, by kind. */
  tableItems: { total: number; index: number; scan: number; findings: number; references: number };
  /** Population of this step (the growth from the previous size), by part. */
  populationMs: { exposedImages: number; fillerIndex: number; total: number };
  /** Index items of the other images written in this step. */
  fillerItems: number;
  runs: ExposureRun[];
}

export interface ExposureBenchResult {
  exposedImages: number;
  /** Exposed images whose tag was last reported for another digest since (not in use). */
  exposedNotInUse: number;
  repositories: number;
  sizes: ExposureSize[];
  /** A size left out because it would not fit in the time budget, and why. */
  skipped?: { images: number; reason: string };
  /** The first exposed image's items, written by recordScan and recordReport, against the bench's own. */
  formatCheck: string;
  populationNote: string;
}

const repositoryOf = (i: number) =>
  `bench/team-${"abcd"[i % 4]}/service-${String(i % REPOSITORIES).padStart(3, "0")}`;
const digestOf = (i: number) => `sha256:${createHash("sha256").update(`exposure#${i}`).digest("hex")}`;
const SEVERITY_CYCLE: Severity[] = ["LOW", "MEDIUM", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "CRITICAL"];

/** Filler finding k of image i: one of 20,000 ids over 1,000 packages, none of them the queried ones. */
function fillerFinding(i: number, k: number, firstSeen: string): CompactFinding {
  const n = i * INDEX_ITEMS_PER_IMAGE + k;
  return {
    id: `CVE-2024-${String(n % 20_000).padStart(5, "0")}`,
    severity: SEVERITY_CYCLE[n % SEVERITY_CYCLE.length] as Severity,
    package: `pkg-${n % 1000}`,
    version: `1.${n % 10}.0`,
    fixedIn: `1.${n % 10}.1`,
    firstSeen,
  };
}

function log4jFindings(firstSeen: string): CompactFinding[] {
  return [
    {
      id: EXPOSED_CVE,
      severity: "CRITICAL",
      package: EXPOSED_PACKAGE,
      version: "2.14.1",
      fixedIn: "2.15.0",
      firstSeen,
    },
    {
      id: SECOND_CVE,
      severity: "CRITICAL",
      package: EXPOSED_PACKAGE,
      version: "2.14.1",
      fixedIn: "2.16.0",
      firstSeen,
    },
  ];
}

/**
 * The vulnerability index of a registry that grows through `sizes`: at each size the queries by id and by package
 * run `runs` times, each in a fresh process. The exposed images get their SCAN, REF and index items (the first
 * through the ledger's own recordScan and recordReport, which the others' items are checked against); the other
 * images only their index items: the query reads the index and then the found images' SCAN and REF items, so the
 * others' SCAN, FINDINGS and REF items would change nothing but the table's size.
 */
export async function runExposureBench(options: ExposureBenchOptions): Promise<ExposureBenchResult> {
  const [first] = options.sizes;
  if (first === undefined || first % options.exposedImages !== 0)
    throw new Error("the first size must be a multiple of the exposed images");
  const every = first / options.exposedImages;
  const t0 = Date.now();
  const sandbox = await startSandbox({
    latencyMs: options.latencyMs,
    // As for the digest: AWS answers 100 small items whole; the sandbox's partial answers test the retry only.
    dynamodb: { batchGetUnprocessed: false },
  });
  const client = populationClient(sandbox);
  const ledger = new DynamoDbLedger({ client, tableName: TABLE, logger: recordingLogger() });
  const sizes: ExposureSize[] = [];
  let exposedNotInUse = 0;
  let formatCheck = "";
  const items = { index: 0, scan: 0, findings: 0, references: 0 };
  try {
    await sandbox.dynamodb.createLedgerTable(TABLE);
    let populated = 0;
    let skipped: ExposureBenchResult["skipped"];
    for (const size of options.sizes) {
      const previous = sizes[sizes.length - 1];
      if (previous) {
        // Population and queries of this size, at the rates of the size before, with a tenth to spare.
        const growth = (size - populated) * INDEX_ITEMS_PER_IMAGE;
        const perItemMs = previous.populationMs.fillerIndex / Math.max(1, previous.fillerItems);
        const queriesMs = previous.runs.reduce((n, r) => n + r.processMs, 0);
        const expectedMs = (growth * perItemMs + queriesMs) * 1.1;
        const leftMs = options.deadlineMs - performance.now();
        if (expectedMs > leftMs) {
          skipped = {
            images: size,
            reason: `its population and queries (~${Math.round(expectedMs / 1000)} s at the rates measured at ${previous.images.toLocaleString("en-US")} images) would not fit in the ${Math.round(leftMs / 1000)} s left of the bench's budget`,
          };
          options.log(`  exposure at ${size.toLocaleString("en-US")} images left out: ${skipped.reason}`);
          break;
        }
      }
      const started = performance.now();
      // The exposed images first (only in the first step); the first of them through the ledger's own writes, which
      // the items of the others must equal (checkExposedItems).
      let mark = performance.now();
      const exposedItems: ReturnType<typeof toItem>[] = [];
      let exposedCount = 0;
      for (let i = populated; i < size && i < first; i += every) {
        exposedCount++;
        if (i === 0) {
          formatCheck = await checkExposedItems(client, ledger, exposedImage(sandbox, 0, every, t0));
          items.findings += 1;
          continue;
        }
        const built = exposedImageItems(exposedImage(sandbox, i, every, t0), new Date(t0).toISOString());
        exposedItems.push(built.scan, built.reference, ...built.index);
      }
      await putItems(client, TABLE, exposedItems);
      const exposedMs = performance.now() - mark;
      exposedNotInUse += Math.floor(exposedCount / 10);
      items.index += exposedCount * INDEX_ITEMS_PER_IMAGE;
      items.scan += exposedCount;
      items.references += exposedCount;

      // Every other image: three index items of other vulnerabilities.
      mark = performance.now();
      const filler: ReturnType<typeof toItem>[] = [];
      for (let i = populated; i < size; i++) {
        if (i < first && i % every === 0) continue;
        const image: LedgerImage & { tags: string[] } = {
          registryId: sandbox.accountId,
          repository: repositoryOf(i),
          digest: digestOf(i),
          tags: [`v1.${i}.0`],
        };
        const firstSeen = new Date(t0 - ((i % 60) + 1) * DAY).toISOString();
        const findingsAt = new Date(t0 - ((i % 7) + 1) * DAY).toISOString();
        for (let k = 0; k < INDEX_ITEMS_PER_IMAGE; k++)
          filler.push(toItem(vulnerabilityIndexItem(image, fillerFinding(i, k, firstSeen), findingsAt)));
      }
      await putItems(client, TABLE, filler);
      items.index += filler.length;
      const fillerMs = performance.now() - mark;
      populated = size;
      const total = items.index + items.scan + items.findings + items.references;
      const populationMs = {
        exposedImages: exposedMs,
        fillerIndex: fillerMs,
        total: performance.now() - started,
      };
      options.log(
        `  exposure population to ${size.toLocaleString("en-US")} images: ${exposedCount.toLocaleString("en-US")} exposed images (SCAN, REF and index items) in ${(exposedMs / 1000).toFixed(1)} s, ${filler.length.toLocaleString("en-US")} index items by BatchWriteItem in ${(fillerMs / 1000).toFixed(1)} s; table ${total.toLocaleString("en-US")} items`,
      );

      const runs: ExposureRun[] = [];
      for (const query of Object.keys(EXPOSURE_QUERIES) as ExposureQueryName[]) {
        for (let r = 0; r < options.runs; r++) {
          runs.push(await measureQuery(sandbox, query, options.exposedImages));
          const run = runs[runs.length - 1] as ExposureRun;
          options.log(
            `exposure ${query} at ${size.toLocaleString("en-US")} images, run ${r + 1}/${options.runs}: ${(run.wallTimeMs / 1000).toFixed(2)} s, ${run.worker.images} images (${run.worker.inUse} in use); Query ${run.worker.stats.queryCalls} (${run.worker.stats.pages} pages), BatchGetItem ${run.worker.stats.readCalls}, ${run.worker.stats.consumedReadUnits} RRU; items read ${run.worker.itemsRead.queried + run.worker.itemsRead.batchGetItems} of ${total.toLocaleString("en-US")}${run.problems.length ? `; PROBLEMS: ${run.problems.join("; ")}` : ""}`,
          );
        }
      }
      sizes.push({
        images: size,
        tableItems: { total, ...items },
        populationMs,
        fillerItems: filler.length,
        runs,
      });
    }
    return {
      exposedImages: options.exposedImages,
      exposedNotInUse,
      repositories: REPOSITORIES,
      sizes,
      skipped,
      formatCheck,
      populationNote: `${options.exposedImages.toLocaleString("en-US")} images (every ${every}th of the first ${first.toLocaleString("en-US")}) hold ${EXPOSED_CVE} and ${SECOND_CVE} in ${EXPOSED_PACKAGE} 2.14.1 and one other finding: their SCAN item, their one tag's REF item (every tenth tag last reported for another digest since, so not in use) and ${INDEX_ITEMS_PER_IMAGE} index items each. The first of them is written by the ledger's own recordScan (which adds its FINDINGS item) and recordReport; the others by BatchWriteItem of the same items, built by the product's functions. Every other image has ${INDEX_ITEMS_PER_IMAGE} index items (vulnerabilityIndexItem) of 20,000 other ids over 1,000 packages, by BatchWriteItem; their SCAN, FINDINGS and REF items are not written: the query never reads them, and in DynamoDB a GSI query's cost does not depend on the table's size. Population goes straight to dynalite, outside the counts.`,
    };
  } finally {
    client.destroy();
    await sandbox.close();
  }
}

/** An exposed image: its key, its one tag, when it was scanned, and its three findings. */
interface ExposedImage {
  image: LedgerImage & { tags: string[] };
  tag: string;
  completedAt: string;
  findings: CompactFinding[];
  /** The digest the tag was last reported for: the image's, or another's (the tag moved since). */
  lastReportedDigest: string;
}

function exposedImage(sandbox: Sandbox, i: number, every: number, t0: number): ExposedImage {
  const firstSeen = new Date(t0 - ((i % 60) + 1) * DAY).toISOString();
  const tag = `v1.${i}.0`;
  const image = {
    registryId: sandbox.accountId,
    repository: repositoryOf(i),
    digest: digestOf(i),
    tags: [tag],
  };
  const moved = (i / every) % 10 === 9;
  return {
    image,
    tag,
    completedAt: new Date(t0 - ((i % 7) + 1) * DAY).toISOString(),
    findings: [...log4jFindings(firstSeen), fillerFinding(i, 2, firstSeen)],
    lastReportedDigest: moved ? digestOf(-1 - i) : image.digest,
  };
}

/** The items recordScan and recordReport write for an exposed image (FINDINGS aside), built by the same functions. */
function exposedImageItems(exposed: ExposedImage, writtenAt: string) {
  const { image, completedAt, findings } = exposed;
  return {
    scan: scanItem(image, completedAt, writtenAt, findings),
    reference: toItem({
      ...lastReportKey({ ...image, tag: exposed.tag }),
      schema: LEDGER_SCHEMA_VERSION,
      digest: exposed.lastReportedDigest,
      scanCompletedAt: completedAt,
      over: true,
      reportedAt: writtenAt,
      truncated: false,
      findings: fitFindings(findings, Number.POSITIVE_INFINITY).entries,
    }),
    index: findings.map((finding) => toItem(vulnerabilityIndexItem(image, finding, completedAt))),
  };
}

/**
 * Writes an exposed image through the ledger (recordScan, recordReport) and checks that the items the bench writes
 * for the others are the same, attribute for attribute (the write times aside): a change of format fails the bench.
 */
async function checkExposedItems(
  client: ReturnType<typeof populationClient>,
  ledger: DynamoDbLedger,
  exposed: ExposedImage,
): Promise<string> {
  const { image, completedAt, findings, tag } = exposed;
  await ledger.recordScan(image, { status: "COMPLETE", completedAt }, findings);
  await ledger.recordReport([{ ...image, tag }], {
    digest: exposed.lastReportedDigest,
    scanCompletedAt: completedAt,
    findings,
    over: true,
  });
  const ours = exposedImageItems(exposed, "");
  const sorted = (item: Record<string, unknown>) =>
    JSON.stringify(Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b))));
  for (const item of [ours.scan, ours.reference, ...ours.index]) {
    const key = { pk: item.pk as AttributeValue, sk: item.sk as AttributeValue };
    const written = (await client.send(new GetItemCommand({ TableName: TABLE, Key: key }))).Item ?? {};
    const expected = { ...item };
    for (const time of ["updatedAt", "reportedAt"] as const)
      if (expected[time]) expected[time] = written[time] ?? { S: "" };
    if (sorted(written) !== sorted(expected))
      throw new Error(
        `the bench's item ${key.pk.S} ${key.sk.S} differs from the ledger's:\n ledger: ${sorted(written)}\n bench:  ${sorted(expected)}`,
      );
  }
  return `the SCAN, REF and ${ours.index.length} index items of the first exposed image, written by recordScan and recordReport, equal the bench's (write times aside)`;
}

async function measureQuery(
  sandbox: Sandbox,
  query: ExposureQueryName,
  exposed: number,
): Promise<ExposureRun> {
  const { label: _label, ...target } = EXPOSURE_QUERIES[query];
  const before = sandboxSnapshot(sandbox);
  const { result: worker, processMs } = await runInWorker<ExposureWorkerResult>(
    sandbox,
    { kind: "exposure", tableName: TABLE, ...target },
    { timeoutMs: 300_000 },
  );
  const after = sandboxSnapshot(sandbox);
  const capacity = counterDelta(after.capacity, before.capacity);
  const dynamodbCalls = callsOf("dynamodb", after.calls, before.calls);
  const problems: string[] = [...worker.warnings];
  if (worker.images !== exposed) problems.push(`${worker.images} images found, ${exposed} hold it`);
  if (worker.inUse !== exposed - exposed / 10)
    problems.push(`${worker.inUse} in use, ${exposed - exposed / 10} expected`);
  if (dynamodbCalls.Scan) problems.push(`${dynamodbCalls.Scan} Scan calls`);
  return {
    query,
    wallTimeMs: worker.durationMs,
    processMs,
    dynamodbCalls,
    sandboxReadUnits: Object.entries(capacity).reduce(
      (n, [op, v]) => (DYNAMODB_READS.has(op) ? n + v : n),
      0,
    ),
    worker,
    problems,
  };
}
