import { LocalDeployment, startSandbox } from "@ecr-scan-reporter/sandbox";
import { countServedCalls, sumWhere } from "./sandbox-counters.js";

const DAY = 86_400_000;

/** What the sandbox is told to behave like in the schedule benchmark. */
export interface ScheduleBenchOptions {
  repositories: number;
  imagesPerRepository: number;
  latencyMs: number;
  rateLimits: Record<string, number>;
  distDir: string;
  /** Stops waiting for the queues after this long (a stuck message shows as a timed-out run). */
  timeoutMs: number;
  log: (line: string) => void;
}

/** One repetition of the schedule benchmark, everything measured. */
export interface ScheduleRun {
  wallTimeMs: number;
  seedMs: number;
  images: number;
  /** Requests per `service:Operation`, throttled ones included. */
  calls: Record<string, number>;
  /** Requests per `service:Operation` that reached the operation (not throttled). */
  servedCalls: Record<string, number>;
  throttles: Record<string, number>;
  throttlesTotal: number;
  /** ECR read calls (everything but StartImageScan) per image, throttled requests excluded / included. */
  readCallsPerImage: number;
  readCallsPerImageWithThrottles: number;
  /** One DescribeImages page per 1,000 images of a repository + one status call per image without a summary. */
  floorCallsPerImage: number;
  scansPlanned: number;
  scansExpected: number;
  scanOutcomes: Record<string, number>;
  /** Expected scans whose last StartImageScan answer was neither IN_PROGRESS (started) nor LimitExceeded (quota). */
  scansUnanswered: number;
  decisions: Record<string, number>;
  invocations: { scheduleScans: number; scanImages: number };
  failedInvocations: number;
  messagesRetried: number;
  drainTimedOut: boolean;
  queuesAtEnd: { scan: number; scanDlq: number; report: number; reportDlq: number };
  peakRssMb: { scheduleScans: number; scanImages: number };
  durationMs: { scheduleScans: number; scanImages: number };
  coldStartMs: { scheduleScans: number; scanImages: number };
  sqs: { sendMessageBatch: number; receives: number; deletes: number };
}

/** The seed mix of a repository: 30 % never scanned, 30 % stale (10 days), 40 % fresh (2 days). */
function seedKind(i: number): "never" | "stale" | "fresh" {
  const slot = i % 10;
  return slot < 3 ? "never" : slot < 6 ? "stale" : "fresh";
}

const maxRss = (xs: { maxRssKb: number }[]) => Math.max(0, ...xs.map((x) => x.maxRssKb)) / 1024;
const sumDuration = (xs: { durationMs: number }[]) => xs.reduce((n, x) => n + x.durationMs, 0);

/**
 * Seeds a registry of `repositories × imagesPerRepository` images on a fresh sandbox with latency and rate limits,
 * runs schedule-scans once and drains the scan queue through scan-images (one instance of each function; scans
 * never complete within the run, so no report path runs), and measures it.
 */
export async function runScheduleOnce(options: ScheduleBenchOptions): Promise<ScheduleRun> {
  const now = Date.now();
  const sandbox = await startSandbox({
    latencyMs: options.latencyMs,
    rateLimits: options.rateLimits,
    // An hour: no scan completes during the run, so only the schedule path is measured.
    scanDurationMs: 3_600_000,
    scansPerRegistryPerDay: 100_000,
  });
  const tally = countServedCalls(sandbox);
  let deployment: LocalDeployment | undefined;
  try {
    const seedStarted = performance.now();
    const expectedScans = new Set<string>();
    for (let r = 0; r < options.repositories; r++) {
      const name = `bench/service-${String(r).padStart(4, "0")}`;
      sandbox.ecr.createRepository(name);
      for (let i = 0; i < options.imagesPerRepository; i++) {
        const kind = seedKind(i);
        const digest = sandbox.ecr.seedImage(
          name,
          {
            tags: i % 25 === 24 ? [] : [`v1.${i}.0`],
            pushedAt: new Date(now - 30 * DAY),
            lastRecordedPullTime: new Date(now - DAY),
            scan:
              kind === "never"
                ? undefined
                : {
                    status: "COMPLETE",
                    completedAt: new Date(now - (kind === "stale" ? 10 : 2) * DAY),
                    findings: [],
                  },
          },
          `${name}#${i}`,
        );
        if (kind !== "fresh") expectedScans.add(`${name}@${digest}`);
      }
    }
    const seedMs = performance.now() - seedStarted;
    const images = options.repositories * options.imagesPerRepository;

    deployment = new LocalDeployment({
      sandbox,
      distDir: options.distDir,
      config: { scan: { expiry: "7d", maxScansPerRun: 5000 } },
    });
    const started = performance.now();
    const schedule = await deployment.runSchedule();
    if (!schedule.ok)
      throw new Error(`schedule-scans failed: ${schedule.errorType}: ${schedule.errorMessage}`);
    let lastProgress = performance.now();
    const progress = setInterval(() => {
      const done = sandbox.ecr.scanRequests.length;
      if (performance.now() - lastProgress >= 20_000) {
        lastProgress = performance.now();
        options.log(
          `    … ${((performance.now() - started) / 1000).toFixed(0)} s: ${deployment?.queues.scan.messages.length ?? 0} repository messages left, ${done} StartImageScan answers`,
        );
      }
    }, 1_000);
    const drain = await deployment
      .drain({ timeoutMs: options.timeoutMs, waitForScans: false })
      .finally(() => clearInterval(progress));
    const wallTimeMs = performance.now() - started;

    const { received, served, throttled } = tally();
    const isRead = (k: string) => k.startsWith("ecr:") && k !== "ecr:StartImageScan";
    const floor =
      options.repositories * Math.ceil(options.imagesPerRepository / 1000) +
      // AWS-native basic scanning leaves DescribeImages without a summary: one status call per image.
      images;

    // The last StartImageScan answer per image (a retried message may have asked again).
    const lastOutcome = new Map<string, string>();
    for (const s of sandbox.ecr.scanRequests)
      lastOutcome.set(`${s.repositoryName}@${s.imageDigest}`, s.outcome);
    const scanOutcomes: Record<string, number> = {};
    for (const s of sandbox.ecr.scanRequests) scanOutcomes[s.outcome] = (scanOutcomes[s.outcome] ?? 0) + 1;
    let scansUnanswered = 0;
    for (const key of expectedScans) {
      const outcome = lastOutcome.get(key);
      if (outcome !== "IN_PROGRESS" && outcome !== "LimitExceededException") scansUnanswered += 1;
    }

    const decisions: Record<string, number> = {};
    let messagesRetried = 0;
    for (const line of deployment.functions.scanImages.jsonLogs()) {
      if (line.message !== "scan-images summary") continue;
      const summary = line.summary as { decisions: Record<string, number>; messagesRetried: number };
      for (const [k, v] of Object.entries(summary.decisions)) decisions[k] = (decisions[k] ?? 0) + v;
      messagesRetried += summary.messagesRetried;
    }
    const { scheduleScans, scanImages } = deployment.functions;
    const failedInvocations = [...scheduleScans.invocations, ...scanImages.invocations].filter(
      (i) => !i.ok,
    ).length;
    // The event source mapping's polls: one ReceiveMessage and one DeleteMessageBatch per batch it invoked with.
    const batches = scanImages.invocations.length;
    return {
      wallTimeMs,
      seedMs,
      images,
      calls: received,
      servedCalls: served,
      throttles: throttled,
      throttlesTotal: sumWhere(throttled, () => true),
      readCallsPerImage: sumWhere(served, isRead) / images,
      readCallsPerImageWithThrottles: sumWhere(received, isRead) / images,
      floorCallsPerImage: floor / images,
      scansPlanned: sumWhere(decisions, (k) => k.startsWith("scan:")),
      scansExpected: expectedScans.size,
      scanOutcomes,
      scansUnanswered,
      decisions,
      invocations: { scheduleScans: scheduleScans.invocations.length, scanImages: batches },
      failedInvocations,
      messagesRetried,
      drainTimedOut: drain.timedOut,
      queuesAtEnd: {
        scan: deployment.queues.scan.messages.length,
        scanDlq: deployment.queues.scanDlq.messages.length,
        report: deployment.queues.report.messages.length,
        reportDlq: deployment.queues.reportDlq.messages.length,
      },
      peakRssMb: {
        scheduleScans: maxRss(scheduleScans.invocations),
        scanImages: maxRss(scanImages.invocations),
      },
      durationMs: {
        scheduleScans: sumDuration(scheduleScans.invocations),
        scanImages: sumDuration(scanImages.invocations),
      },
      coldStartMs: {
        scheduleScans: scheduleScans.invocations[0]?.coldStartMs ?? 0,
        scanImages: scanImages.invocations[0]?.coldStartMs ?? 0,
      },
      sqs: { sendMessageBatch: received["sqs:SendMessageBatch"] ?? 0, receives: batches, deletes: batches },
    };
  } finally {
    await deployment?.close();
    await sandbox.close();
  }
}
