// The digest and exposure benchmarks' results: medians over the runs, the goals, and their Markdown sections.
import { existsSync, readFileSync } from "node:fs";
import { DIGEST_ROUTES, type DigestBenchResult, type DigestPopulation, type DigestRun } from "./digest.js";
import {
  EXPOSED_CVE,
  EXPOSED_PACKAGE,
  EXPOSURE_QUERIES,
  type ExposureBenchResult,
  type ExposureQueryName,
  type ExposureRun,
  INDEX_ITEMS_PER_IMAGE,
} from "./exposure.js";
import type { RecordedDigest, WorkerMemory } from "./ledger-read-worker.js";
import { type BenchSettings, fmt, fmtSpread, type Goal } from "./results.js";
import { type Spread, spreadOf } from "./stats.js";

const row = (cells: string[]) => `| ${cells.join(" | ")} |`;

/** send-digests' memory and timeout as the module sets them by default (variables.tf), with fallbacks. */
export function sendDigestsDefaults(variablesTf: string): {
  memoryMb: number;
  timeoutS: number;
  source: string;
} {
  const fallback = { memoryMb: 1024, timeoutS: 300, source: "built-in fallback (variables.tf not read)" };
  if (!existsSync(variablesTf)) return fallback;
  const text = readFileSync(variablesTf, "utf8");
  const defaultOf = (name: string) =>
    new RegExp(`variable\\s+"${name}"\\s*\\{[^}]*?default\\s*=\\s*(\\d+)`, "s").exec(text)?.[1];
  const memory = defaultOf("send_digests_memory_size");
  const timeout = defaultOf("send_digests_timeout");
  return {
    memoryMb: memory ? Number(memory) : fallback.memoryMb,
    timeoutS: timeout ? Number(timeout) : fallback.timeoutS,
    source: memory && timeout ? "terraform/variables.tf defaults" : "terraform/variables.tf, partly fallback",
  };
}

/** Spreads of every key of some per-run counters (a key missing from a run counts 0). */
function spreadsOf<T>(runs: readonly T[], pick: (run: T) => Record<string, number>): Record<string, Spread> {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
  return Object.fromEntries(keys.map((k) => [k, spreadOf(runs, (r) => pick(r)[k] ?? 0)]));
}

const memoryFigures = <T>(runs: readonly T[], memory: (run: T) => WorkerMemory) => ({
  baselineRssMb: spreadOf(runs, (r) => memory(r).baselineRssMb),
  peakRssMb: spreadOf(runs, (r) => memory(r).peakRssMb),
  baselineHeapMb: spreadOf(runs, (r) => memory(r).baselineHeapMb),
  peakHeapMb: spreadOf(runs, (r) => memory(r).peakHeapMb),
  heapGrowthMb: spreadOf(runs, (r) => memory(r).peakHeapMb - memory(r).baselineHeapMb),
});

// ---- Digest ------------------------------------------------------------------------------------------------------

export interface DigestResult {
  benchmark: string;
  repositories: number;
  imagesPerRepository: number;
  images: number;
  settings: BenchSettings;
  repetitions: number;
  repetitionNote: string;
  population: DigestPopulation;
  routes: { id: string; label: string }[];
  sendDigests: { memoryMb: number; timeoutS: number; source: string };
  figures: {
    wallTimeS: Spread;
    processS: Spread;
    ecrCalls: Record<string, Spread>;
    ecrThrottles: Record<string, Spread>;
    dynamodbCalls: Record<string, Spread>;
    /** Read request units as the ledger classes counted them (`stats()`), and as the sandbox's DynamoDB answered. */
    readUnits: Spread;
    sandboxReadUnits: Spread;
    readUnitsPerImage: Spread;
    writeUnits: Spread;
    /** Items DynamoDB answered: Query ScannedCount + BatchGetItem items, against the table's items. */
    itemsRead: Spread;
    tableItems: number;
    imagesSummarizedOnRead: Spread;
    memory: ReturnType<typeof memoryFigures>;
  };
  /** What each route's recording reporter received in the last run. */
  digests: RecordedDigest[];
  goals: Goal[];
  runs: DigestRun[];
}

const itemsReadOf = (r: {
  worker: { itemsRead: { queried: number; batchGetItems: number; getItem: number } };
}) => r.worker.itemsRead.queried + r.worker.itemsRead.batchGetItems + r.worker.itemsRead.getItem;

export function summariseDigest(
  bench: DigestBenchResult,
  shape: { repositories: number; imagesPerRepository: number },
  settings: BenchSettings,
  sendDigests: { memoryMb: number; timeoutS: number; source: string },
): DigestResult {
  const { runs, population } = bench;
  const images = population.images;
  const benchmark = `digest ${fmt(shape.repositories)} × ${fmt(shape.imagesPerRepository)}`;
  const wall = spreadOf(runs, (r) => r.wallTimeMs / 1000);
  const memory = memoryFigures(runs, (r) => r.worker.memory);
  const failed = runs.filter((r) => r.problems.length > 0);
  const last = runs[runs.length - 1];
  const goals: Goal[] = [
    {
      goal: `${benchmark}: every one of ${fmt(images)} images counted from its SCAN item's summary (no FINDINGS read, no Scan), each route's counts equal to the seeded summaries`,
      pass: runs.length > 0 && failed.length === 0,
      detail:
        failed.length === 0
          ? `${runs.length} run(s): ${DIGEST_ROUTES.map((route) => {
              const d = last?.worker.received.find((x) => x.reporterId === route.id);
              return `${route.id} ${fmt(d?.open.images ?? 0)} images, ${fmt(d?.overThresholds.total ?? 0)} over the thresholds`;
            }).join("; ")}; images summarized on read: 0; Scan calls: 0`
          : failed.map((r) => `${r.periodKey}: ${r.problems.join("; ")}`).join(" | "),
    },
    {
      goal: `${benchmark}: within send-digests' module defaults (${fmt(sendDigests.memoryMb)} MB, ${fmt(sendDigests.timeoutS)} s)`,
      pass: runs.length > 0 && memory.peakRssMb.max < sendDigests.memoryMb && wall.max < sendDigests.timeoutS,
      detail: `peak RSS ${fmtSpread(memory.peakRssMb)} MB of ${fmt(sendDigests.memoryMb)}; wall time ${fmtSpread(wall, 1)} s of ${fmt(sendDigests.timeoutS)} (one process, on the shared 2-core machine)`,
    },
  ];
  return {
    benchmark,
    ...shape,
    images,
    settings,
    repetitions: runs.length,
    repetitionNote: `${runs.length} runs, each in a fresh process with Lambda's V8 limits for ${fmt(sendDigests.memoryMb)} MB, a new period key, and the routes' digest records removed first (every run a first weekly digest: the same reads)`,
    population,
    routes: DIGEST_ROUTES.map(({ id, label }) => ({ id, label })),
    sendDigests,
    figures: {
      wallTimeS: wall,
      processS: spreadOf(runs, (r) => r.processMs / 1000),
      ecrCalls: spreadsOf(runs, (r) => r.ecrCalls),
      ecrThrottles: spreadsOf(runs, (r) => r.ecrThrottles),
      dynamodbCalls: spreadsOf(runs, (r) => r.dynamodbCalls),
      readUnits: spreadOf(runs, (r) => r.ledgerReadUnits),
      sandboxReadUnits: spreadOf(runs, (r) => r.sandboxReadUnits),
      readUnitsPerImage: spreadOf(runs, (r) => r.ledgerReadUnits / images),
      writeUnits: spreadOf(runs, (r) => r.ledgerWriteUnits),
      itemsRead: spreadOf(runs, itemsReadOf),
      tableItems: population.tableItems,
      imagesSummarizedOnRead: spreadOf(runs, (r) => r.worker.imagesSummarizedOnRead),
      memory,
    },
    digests: last?.worker.received ?? [],
    goals,
    runs,
  };
}

const callList = (calls: Record<string, Spread>) =>
  Object.entries(calls)
    .map(([op, n]) => `${op} ${fmtSpread(n)}`)
    .join(", ") || "0";

/** The digest's section of the summary. */
export function digestSection(r: DigestResult): string[] {
  const f = r.figures;
  const p = r.population;
  const lines = [
    `## Digest over ${fmt(r.images)} images (send-digests' use case, ${r.routes.length} routes)`,
    "",
  ];
  lines.push(row(["", `${r.benchmark} (${r.repetitions} run${r.repetitions > 1 ? "s" : ""})`]));
  lines.push(row(["---", "---:"]));
  const add = (label: string, value: string) => lines.push(row([label, value]));
  add("images in use (tagged) / repositories", `${fmt(r.images)} / ${fmt(r.repositories)}`);
  add("ledger table: items (SCAN + change log + coverage)", fmt(f.tableItems));
  add("wall time of sendDigests (s)", fmtSpread(f.wallTimeS, 1));
  add("  process: start, imports, set-up and digests (s)", fmtSpread(f.processS, 1));
  add("ECR calls", callList(f.ecrCalls));
  add("ECR throttling answers", callList(f.ecrThrottles));
  add("DynamoDB calls", callList(f.dynamodbCalls));
  add(
    "DynamoDB read units (ledger stats(); sandbox's count)",
    `${fmtSpread(f.readUnits, 1)}; ${fmtSpread(f.sandboxReadUnits, 1)}`,
  );
  add("  read units per image", fmtSpread(f.readUnitsPerImage, 3));
  add("DynamoDB write units (claims and completions)", fmtSpread(f.writeUnits, 1));
  add(
    "items read: SCAN items (BatchGetItem) + change log and coverage (Query ScannedCount); per image",
    `${fmtSpread(f.itemsRead)}; ${fmt(f.itemsRead.median / r.images, 3)}`,
  );
  add("images summarized from FINDINGS on read", fmtSpread(f.imagesSummarizedOnRead));
  add(
    "RSS before the call / peak RSS (MB)",
    `${fmtSpread(f.memory.baselineRssMb)} / ${fmtSpread(f.memory.peakRssMb)}`,
  );
  add(
    "V8 heap used before / peak / growth (MB)",
    `${fmtSpread(f.memory.baselineHeapMb)} / ${fmtSpread(f.memory.peakHeapMb)} / ${fmtSpread(f.memory.heapGrowthMb)}`,
  );
  lines.push("");
  lines.push(
    row([
      "route",
      "filter",
      "images",
      "open C / H / M / L / I",
      "over thresholds (listed)",
      "new / fixed",
      "digest JSON (KiB)",
    ]),
  );
  lines.push(row(["---", "---", "---:", "---:", "---:", "---:", "---:"]));
  for (const d of r.digests) {
    const c = d.open.counts;
    lines.push(
      row([
        d.reporterId,
        r.routes.find((x) => x.id === d.reporterId)?.label ?? "",
        fmt(d.open.images),
        [c.CRITICAL, c.HIGH, c.MEDIUM, c.LOW, c.INFORMATIONAL].map((n) => fmt(n)).join(" / "),
        `${fmt(d.overThresholds.total)} (${d.overThresholds.listed})`,
        `${fmt(d.newFindings)} / ${fmt(d.fixedFindings)}`,
        fmt(d.jsonBytes / 1024, 1),
      ]),
    );
  }
  lines.push("");
  lines.push(
    `- Population (not measured; straight into dynalite, outside the counts): ECR ${fmt(p.images)} images in ${fmt(p.ms.ecrSeed / 1000, 1)} s; ${fmt(p.scanItems.count)} SCAN items in ${fmt(p.ms.scanItems / 1000, 1)} s — ${p.scanItems.method}; format check: ${p.scanItems.formatCheck}; ${fmt(p.changeLogEntries)} change-log items (recordChanges, over the 7 days before the digest) in ${fmt(p.ms.changeLog / 1000, 1)} s; ${fmt(p.coverageItems)} coverage items (recordCoverage) in ${fmt(p.ms.coverage / 1000, 1)} s; total ${fmt(p.ms.total / 1000, 1)} s.`,
    `- ${r.repetitionNote}. Memory: send-digests' ${fmt(r.sendDigests.memoryMb)} MB (${r.sendDigests.source}); peak RSS is the process's VmHWM.`,
    "- The bench's table holds what a digest reads: one SCAN item per image in use, the period's change log, the last run's coverage. A real ledger also holds each image's FINDINGS and index items and each reference's REF and SENT items, which a digest never reads: its reads follow the images in use and the period's reports, not the table's size.",
  );
  lines.push("");
  return lines;
}

// ---- Exposure ----------------------------------------------------------------------------------------------------

export interface ExposureQueryFigures {
  runs: number;
  wallTimeS: Spread;
  processS: Spread;
  queryCalls: number;
  pages: number;
  batchGetCalls: number;
  readUnits: Spread;
  sandboxReadUnits: Spread;
  /** Index items the Query looked at, and SCAN and REF items BatchGetItem answered. */
  indexItemsRead: number;
  tableItemsRead: number;
  itemsRead: number;
  images: number;
  inUse: number;
  memory: ReturnType<typeof memoryFigures>;
  problems: string[];
}

export interface ExposureResult {
  benchmark: string;
  settings: BenchSettings;
  exposedImages: number;
  exposedNotInUse: number;
  populationNote: string;
  formatCheck: string;
  sizes: {
    images: number;
    tableItems: ExposureBenchResult["sizes"][number]["tableItems"];
    populationS: { exposedImages: number; fillerIndex: number; total: number };
    queries: Record<ExposureQueryName, ExposureQueryFigures>;
  }[];
  /** The 100,000-image registry: measured, or what the measured sizes say of it. */
  extrapolation: { images: number; indexItems: number; note: string };
  skipped?: { images: number; reason: string };
  goals: Goal[];
}

function queryFigures(runs: ExposureRun[]): ExposureQueryFigures {
  const last = runs[runs.length - 1];
  const read = last?.worker.itemsRead;
  return {
    runs: runs.length,
    wallTimeS: spreadOf(runs, (r) => r.wallTimeMs / 1000),
    processS: spreadOf(runs, (r) => r.processMs / 1000),
    queryCalls: last?.worker.stats.queryCalls ?? 0,
    pages: last?.worker.stats.pages ?? 0,
    batchGetCalls: last?.worker.stats.readCalls ?? 0,
    readUnits: spreadOf(runs, (r) => r.worker.stats.consumedReadUnits),
    sandboxReadUnits: spreadOf(runs, (r) => r.sandboxReadUnits),
    indexItemsRead: read?.queried ?? 0,
    tableItemsRead: read?.batchGetItems ?? 0,
    itemsRead: last ? itemsReadOf(last) : 0,
    images: last?.worker.images ?? 0,
    inUse: last?.worker.inUse ?? 0,
    memory: memoryFigures(runs, (r) => r.worker.memory),
    problems: [...new Set(runs.flatMap((r) => r.problems))],
  };
}

/** Whether the runs' reads are the same at every size (the answer comes from the index, not from the table). */
function sameReadsAtEverySize(sizes: ExposureResult["sizes"], query: ExposureQueryName): boolean {
  const reads = sizes.map((s) =>
    [s.queries[query].itemsRead, s.queries[query].queryCalls, s.queries[query].batchGetCalls].join(),
  );
  return new Set(reads).size === 1;
}

export function summariseExposure(bench: ExposureBenchResult, settings: BenchSettings): ExposureResult {
  const sizes = bench.sizes.map((s) => ({
    images: s.images,
    tableItems: s.tableItems,
    populationS: {
      exposedImages: s.populationMs.exposedImages / 1000,
      fillerIndex: s.populationMs.fillerIndex / 1000,
      total: s.populationMs.total / 1000,
    },
    queries: Object.fromEntries(
      (Object.keys(EXPOSURE_QUERIES) as ExposureQueryName[]).map((q) => [
        q,
        queryFigures(s.runs.filter((r) => r.query === q)),
      ]),
    ) as Record<ExposureQueryName, ExposureQueryFigures>,
  }));
  const largest = sizes[sizes.length - 1];
  const smallest = sizes[0];
  const target = 100_000;
  const targetIndexItems = target * INDEX_ITEMS_PER_IMAGE;
  const queries = Object.keys(EXPOSURE_QUERIES) as ExposureQueryName[];
  const flat = queries.every((q) => sameReadsAtEverySize(sizes, q));
  const timeRatio = (q: ExposureQueryName) =>
    largest && smallest
      ? largest.queries[q].wallTimeS.median / smallest.queries[q].wallTimeS.median
      : Number.NaN;
  const measuredTarget = largest !== undefined && largest.images >= target;
  const readsLine = largest
    ? queries
        .map(
          (q) =>
            `${q}: ${fmt(largest.queries[q].itemsRead)} items in ${largest.queries[q].queryCalls} Query + ${largest.queries[q].batchGetCalls} BatchGetItem`,
        )
        .join("; ")
    : "";
  const extrapolation = {
    images: target,
    indexItems: targetIndexItems,
    note:
      !largest || !smallest
        ? "no size measured"
        : measuredTarget
          ? `Measured at ${fmt(largest.images)} images (${fmt(largest.tableItems.total)} items). From ${fmt(smallest.images)} to ${fmt(largest.images)} images the reads ${flat ? "did not change" : "CHANGED"} (${readsLine}) and the median time changed ×${queries.map((q) => fmt(timeRatio(q), 2)).join(" / ×")}: a Query reads one partition of the index, whose size is the number of exposed images, not the table's.`
          : `Not measured at ${fmt(target)} images (${fmt(targetIndexItems)} index items)${bench.skipped ? `: ${bench.skipped.reason}` : ""}. From ${fmt(smallest.images)} to ${fmt(largest.images)} images (${fmt(smallest.tableItems.total)} to ${fmt(largest.tableItems.total)} items) the reads ${flat ? "did not change" : "CHANGED"} (${readsLine}) and the median time changed ×${queries.map((q) => fmt(timeRatio(q), 2)).join(" / ×")}. A Query reads one partition of the index, whose size is the number of exposed images, not the table's: at ${fmt(target)} images with the same ${fmt(bench.exposedImages)} exposed, the same items are read — ${fmt(largest.queries["by-id"].itemsRead)} of about ${fmt(targetIndexItems + 2 * bench.exposedImages)} (${fmt((100 * largest.queries["by-id"].itemsRead) / (targetIndexItems + 2 * bench.exposedImages), 2)} %), fewer still of a real ledger, which also holds the other images' SCAN, FINDINGS and REF items — and the time should stay near the measured one: it grows with the exposed images (two keys each in BatchGetItem calls of 100), not with the registry. This is an extrapolation, not a measurement.`,
  };
  const problems = sizes.flatMap((s) => queries.flatMap((q) => s.queries[q].problems));
  const goals: Goal[] = [
    {
      goal: `exposure: answered from the index, not by scanning — no Scan, every one of ${fmt(bench.exposedImages)} exposed images found (${fmt(bench.exposedImages - bench.exposedNotInUse)} in use), the same reads at every table size`,
      pass: sizes.length > 1 && flat && problems.length === 0,
      detail: `${sizes
        .map(
          (s) =>
            `${fmt(s.tableItems.total)} items: ${queries.map((q) => `${q} read ${fmt(s.queries[q].itemsRead)} (${fmt((100 * s.queries[q].itemsRead) / s.tableItems.total, 1)} %)`).join(", ")}`,
        )
        .join("; ")}${problems.length ? `; problems: ${[...new Set(problems)].join("; ")}` : ""}`,
    },
    {
      goal: `exposure of ${fmt(bench.exposedImages)} images in seconds (median ≤ 10 s at the largest size measured)`,
      pass: largest !== undefined && queries.every((q) => largest.queries[q].wallTimeS.median <= 10),
      detail: largest
        ? queries.map((q) => `${q} ${fmtSpread(largest.queries[q].wallTimeS, 2)} s`).join(", ")
        : "not measured",
    },
  ];
  return {
    benchmark: `exposure of ${fmt(bench.exposedImages)} images`,
    settings,
    exposedImages: bench.exposedImages,
    exposedNotInUse: bench.exposedNotInUse,
    populationNote: bench.populationNote,
    formatCheck: bench.formatCheck,
    sizes,
    extrapolation,
    skipped: bench.skipped,
    goals,
  };
}

/** The exposure's section of the summary. */
export function exposureSection(r: ExposureResult): string[] {
  const lines = [
    `## Exposure (queryExposure, ${EXPOSED_CVE} and package ${EXPOSED_PACKAGE} in ${fmt(r.exposedImages)} images)`,
    "",
  ];
  const columns = r.sizes.flatMap((s) =>
    (Object.keys(EXPOSURE_QUERIES) as ExposureQueryName[]).map((q) => ({ s, q, f: s.queries[q] })),
  );
  lines.push(row(["", ...columns.map(({ s, q, f }) => `${q}, ${fmt(s.images)} images (${f.runs} runs)`)]));
  lines.push(row(["---", ...columns.map(() => "---:")]));
  const add = (label: string, cell: (c: (typeof columns)[number]) => string) =>
    lines.push(row([label, ...columns.map(cell)]));
  add("table items (index + SCAN + FINDINGS + REF)", ({ s }) => fmt(s.tableItems.total));
  add("wall time of queryExposure (s)", ({ f }) => fmtSpread(f.wallTimeS, 2));
  add("  process: start, imports and query (s)", ({ f }) => fmtSpread(f.processS, 1));
  add("Query calls (pages)", ({ f }) => `${f.queryCalls} (${f.pages})`);
  add("BatchGetItem calls", ({ f }) => fmt(f.batchGetCalls));
  add(
    "read units (queryExposure's stats; sandbox's count)",
    ({ f }) => `${fmtSpread(f.readUnits, 1)}; ${fmtSpread(f.sandboxReadUnits, 1)}`,
  );
  add(
    "items read: index + SCAN/REF = total",
    ({ f }) => `${fmt(f.indexItemsRead)} + ${fmt(f.tableItemsRead)} = ${fmt(f.itemsRead)}`,
  );
  add("  share of the table's items", ({ s, f }) => `${fmt((100 * f.itemsRead) / s.tableItems.total, 1)} %`);
  add("images found (in use)", ({ f }) => `${fmt(f.images)} (${fmt(f.inUse)})`);
  add(
    "peak RSS (MB); V8 heap growth (MB)",
    ({ f }) => `${fmtSpread(f.memory.peakRssMb)}; ${fmtSpread(f.memory.heapGrowthMb)}`,
  );
  lines.push("");
  lines.push(`- Population: ${r.populationNote}`);
  for (const s of r.sizes)
    lines.push(
      `- Population to ${fmt(s.images)} images (not measured): exposed images ${fmt(s.populationS.exposedImages, 1)} s, other index items ${fmt(s.populationS.fillerIndex, 1)} s, total ${fmt(s.populationS.total, 1)} s.`,
    );
  lines.push(`- Format check: ${r.formatCheck}.`);
  lines.push(`- ${fmt(r.extrapolation.images)} images: ${r.extrapolation.note}`);
  lines.push(
    "- Each run is a fresh process, as the CLI runs; its client is the CLI's (adaptive retry). Items read are counted on the client's side (Query ScannedCount, BatchGetItem items answered); read units are dynalite's ConsumedCapacity. Peak RSS is the process's VmHWM (getrusage's max RSS of a process forked from the large sandbox process carries the parent's).",
  );
  lines.push("");
  return lines;
}
