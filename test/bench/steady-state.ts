import { LocalDeployment, type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { countServedCalls, sumWhere } from "./sandbox-counters.js";

const DAY = 86_400_000;
/** The schedule's expiry in this benchmark (the module's default). */
const EXPIRY_DAYS = 7;

/** What the sandbox is told to behave like in the steady-state benchmark (as the schedule benchmark's). */
export interface SteadyStateBenchOptions {
  repositories: number;
  imagesPerRepository: number;
  latencyMs: number;
  rateLimits: Record<string, number>;
  distDir: string;
  /** Bounds each drain (a stuck message shows as a timed-out run). */
  timeoutMs: number;
  log: (line: string) => void;
}

const fmtCalls = (calls: Record<string, number>) =>
  Object.entries(calls)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");

/** DynamoDB operations that read items (billed in read request units). */
const DYNAMODB_READS = new Set(["GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"]);
const isDynamoRead = (key: string) => key.startsWith("dynamodb:") && DYNAMODB_READS.has(key.slice(9));
const isDynamoWrite = (key: string) => key.startsWith("dynamodb:") && !isDynamoRead(key);
const isEcrRead = (key: string) => key.startsWith("ecr:") && key !== "ecr:StartImageScan";

/** The difference of two counters, keys with no change left out. */
function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(after)) {
    const d = n - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/**
 * A registry in steady state under a daily schedule and a 7-day expiry: every image was scanned within the last
 * week, spread evenly over it — image i of a repository 0.5 + (i mod 7) days before the first run, so that a run a
 * day later finds a seventh of them past the expiry. Every 25th image untagged, all pulled a day ago. Returns the
 * `repository@digest` of the images past the expiry `dayLater` days after `now`.
 */
export function seedSteadyRegistry(
  sandbox: Sandbox,
  shape: { repositories: number; imagesPerRepository: number },
  now: number,
  dayLater: number,
): Set<string> {
  const dueLater = new Set<string>();
  for (let r = 0; r < shape.repositories; r++) {
    const name = `bench/service-${String(r).padStart(4, "0")}`;
    sandbox.ecr.createRepository(name);
    for (let i = 0; i < shape.imagesPerRepository; i++) {
      const ageDays = 0.5 + (i % EXPIRY_DAYS);
      const digest = sandbox.ecr.seedImage(
        name,
        {
          tags: i % 25 === 24 ? [] : [`v1.${i}.0`],
          pushedAt: new Date(now - 30 * DAY),
          lastRecordedPullTime: new Date(now - DAY),
          scan: { status: "COMPLETE", completedAt: new Date(now - ageDays * DAY), findings: [] },
        },
        `${name}#${i}`,
      );
      if (ageDays + dayLater > EXPIRY_DAYS) dueLater.add(`${name}@${digest}`);
    }
  }
  return dueLater;
}

/** One repetition: the first run (the ledger learns every image), then the measured run a day later. */
export interface SteadyStateRun {
  images: number;
  /** The first run: scan-images learns each image's last scan from ECR and records it in the ledger. */
  fill: { wallTimeMs: number; scansStarted: number; calls: Record<string, number> };
  /** The measured run, a day later: every image known to the ledger. */
  wallTimeMs: number;
  /** Requests per `service:Operation` of the measured run, throttled ones included. */
  calls: Record<string, number>;
  /** Requests that reached the operation (not throttled). */
  servedCalls: Record<string, number>;
  throttlesTotal: number;
  ecrReadCalls: number;
  dynamodbReadCalls: number;
  dynamodbWriteCalls: number;
  /** (ECR reads but StartImageScan + DynamoDB reads) per image, throttled ECR answers excluded. */
  readCallsPerImage: number;
  ecrReadCallsPerImage: number;
  dynamodbReadCallsPerImage: number;
  /** Read capacity units the measured run's DynamoDB reads consumed (their ConsumedCapacity, summed). */
  dynamodbReadCapacity: number;
  decisions: Record<string, number>;
  /** Images past the expiry at the measured run (a seventh of the registry), which it should scan. */
  scansDue: number;
  /** StartImageScan answers of the measured run (started or not). */
  scanRequests: number;
  /** Scans the measured run asked for of images within the expiry, which the ledger knew to be fresh. */
  scansOfFreshImages: number;
  ledgerMissedScans: number;
  drainTimedOut: boolean;
  failedInvocations: number;
  queuesAtEnd: { scan: number; scanDlq: number; report: number; reportDlq: number };
  peakRssMb: { scanImages: number };
  durationMs: { scanImages: number };
}

/**
 * The scheduler's steady state: seeds a registry whose images were all scanned within the expiry (seedSteadyRegistry),
 * runs the schedule once — scan-images asks ECR for each image's last scan and records it in the findings ledger —
 * then moves the sandbox's clock a day ahead, as the daily schedule would, and measures the second run: every image
 * is in the ledger, a seventh of them are past the expiry and scanned, and ECR is asked about no image.
 */
export async function runSteadyStateOnce(options: SteadyStateBenchOptions): Promise<SteadyStateRun> {
  const now = Date.now();
  let clockOffsetMs = 0;
  const sandbox = await startSandbox({
    latencyMs: options.latencyMs,
    rateLimits: options.rateLimits,
    // An hour: no scan the measured run starts completes within it, so only the schedule path is measured.
    scanDurationMs: 3_600_000,
    scansPerRegistryPerDay: 100_000,
    now: () => Date.now() + clockOffsetMs,
  });
  const tally = countServedCalls(sandbox);
  let deployment: LocalDeployment | undefined;
  try {
    const dueLater = seedSteadyRegistry(sandbox, options, now, 1);
    const images = options.repositories * options.imagesPerRepository;
    deployment = new LocalDeployment({
      sandbox,
      distDir: options.distDir,
      config: { scan: { expiry: `${EXPIRY_DAYS}d`, maxScansPerRun: 5000 } },
    });
    const { scanImages } = deployment.functions;

    const fillStarted = performance.now();
    const first = await deployment.runSchedule();
    if (!first.ok) throw new Error(`schedule-scans failed: ${first.errorType}: ${first.errorMessage}`);
    const fillDrain = await deployment.drain({ timeoutMs: options.timeoutMs, waitForScans: false });
    if (fillDrain.timedOut) throw new Error("the first run did not drain in time");
    const fillCalls = sandbox.server.callCounts();
    const fill = {
      wallTimeMs: performance.now() - fillStarted,
      scansStarted: sandbox.ecr.scanRequests.filter((s) => s.outcome === "IN_PROGRESS").length,
      calls: fillCalls,
    };
    options.log(
      `    first run: ${fmtCalls(fillCalls)} in ${(fill.wallTimeMs / 1000).toFixed(0)} s; the measured run is a day later`,
    );
    clockOffsetMs += DAY;

    const before = {
      calls: fillCalls,
      served: tally().served,
      capacity: { ...sandbox.dynamodb.consumedCapacity },
      scanRequests: sandbox.ecr.scanRequests.length,
      scanLogs: scanImages.jsonLogs().length,
      invocations: scanImages.invocations.length,
      scheduleInvocations: deployment.functions.scheduleScans.invocations.length,
    };
    const started = performance.now();
    const second = await deployment.runSchedule();
    if (!second.ok) throw new Error(`schedule-scans failed: ${second.errorType}: ${second.errorMessage}`);
    const drain = await deployment.drain({ timeoutMs: options.timeoutMs, waitForScans: false });
    const wallTimeMs = performance.now() - started;

    const after = tally();
    const calls = delta(after.received, before.calls);
    const servedCalls = delta(after.served, before.served);
    // DynamoDB is not throttled here (on-demand, no rate limit set): its requests are all served.
    for (const [k, n] of Object.entries(calls)) if (k.startsWith("dynamodb:")) servedCalls[k] = n;
    const capacity = delta(sandbox.dynamodb.consumedCapacity, before.capacity);
    const decisions: Record<string, number> = {};
    let ledgerMissedScans = 0;
    for (const line of scanImages.jsonLogs().slice(before.scanLogs)) {
      if (line.message !== "scan-images summary") continue;
      const summary = line.summary as { decisions: Record<string, number>; ledgerMissedScans?: number };
      for (const [k, v] of Object.entries(summary.decisions)) decisions[k] = (decisions[k] ?? 0) + v;
      ledgerMissedScans += summary.ledgerMissedScans ?? 0;
    }
    const measured = scanImages.invocations.slice(before.invocations);
    const measuredScans = sandbox.ecr.scanRequests.slice(before.scanRequests);
    const scheduleMeasured = deployment.functions.scheduleScans.invocations.slice(before.scheduleInvocations);
    const ecrReadCalls = sumWhere(servedCalls, isEcrRead);
    const dynamodbReadCalls = sumWhere(servedCalls, isDynamoRead);
    return {
      images,
      fill,
      wallTimeMs,
      calls,
      servedCalls,
      throttlesTotal: sumWhere(calls, () => true) - sumWhere(servedCalls, () => true),
      ecrReadCalls,
      dynamodbReadCalls,
      dynamodbWriteCalls: sumWhere(servedCalls, isDynamoWrite),
      readCallsPerImage: (ecrReadCalls + dynamodbReadCalls) / images,
      ecrReadCallsPerImage: ecrReadCalls / images,
      dynamodbReadCallsPerImage: dynamodbReadCalls / images,
      dynamodbReadCapacity: sumWhere(capacity, (k) => DYNAMODB_READS.has(k)),
      decisions,
      scansDue: dueLater.size,
      scanRequests: measuredScans.length,
      scansOfFreshImages: measuredScans.filter((s) => !dueLater.has(`${s.repositoryName}@${s.imageDigest}`))
        .length,
      ledgerMissedScans,
      drainTimedOut: drain.timedOut,
      failedInvocations: [...measured, ...scheduleMeasured].filter((i) => !i.ok).length,
      queuesAtEnd: {
        scan: deployment.queues.scan.messages.length,
        scanDlq: deployment.queues.scanDlq.messages.length,
        report: deployment.queues.report.messages.length,
        reportDlq: deployment.queues.reportDlq.messages.length,
      },
      peakRssMb: { scanImages: Math.max(0, ...measured.map((i) => i.maxRssKb)) / 1024 },
      durationMs: { scanImages: measured.reduce((n, i) => n + i.durationMs, 0) },
    };
  } finally {
    await deployment?.close();
    await sandbox.close();
  }
}
