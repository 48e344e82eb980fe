import type { BundleColdStart } from "./cold-start.js";
import { gbSeconds, lambdaSizeFor, type MemorySizes } from "./lambda-sizing.js";
import type { ReportCase, ReportRun } from "./report.js";
import type { ScheduleRun } from "./schedule.js";
import { type Spread, spreadOf } from "./stats.js";

/** The sandbox's behaviour for every benchmark, recorded with the results. */
export interface BenchSettings {
  latencyMs: number;
  rateLimits: Record<string, number>;
  notes: string[];
}

/** A goal and whether the measurements met it. */
export interface Goal {
  goal: string;
  pass: boolean;
  detail: string;
}

export interface ScheduleResult {
  benchmark: string;
  repositories: number;
  imagesPerRepository: number;
  images: number;
  settings: BenchSettings;
  repetitions: number;
  repetitionNote: string;
  figures: {
    wallTimeS: Spread;
    imagesPerSecond: Spread;
    callsPerOperation: Record<string, Spread>;
    throttlesPerOperation: Record<string, Spread>;
    throttlesTotal: Spread;
    ecrReadCallsPerImage: Spread;
    ecrReadCallsPerImageWithThrottles: Spread;
    floorCallsPerImage: number;
    ratioToFloor: Spread;
    scansPlanned: Spread;
    scansStarted: Spread;
    scansQuota: Spread;
    peakRssMb: { scheduleScans: Spread; scanImages: Spread };
    durationS: { scheduleScans: Spread; scanImages: Spread };
  };
  costPer1000Images: {
    memoryMb: {
      moduleDefault: MemorySizes;
      measuredPeakRoundedUp: Pick<MemorySizes, "schedule-scans" | "scan-images">;
    };
    memorySource: string;
    lambdaGbSeconds: {
      atModuleDefault: { scheduleScans: number; scanImages: number };
      atMeasuredPeakRoundedUp: { scheduleScans: number; scanImages: number };
    };
    lambdaInvocations: { scheduleScans: number; scanImages: number };
    sqsRequests: {
      total: number;
      sendMessageBatch: number;
      receiveMessage: number;
      deleteMessageBatch: number;
    };
    ecrCalls: number;
    notes: string[];
  };
  goals: Goal[];
  runs: ScheduleRun[];
}

const per1000 = (value: number, images: number) => (value / images) * 1000;

/** Medians, spreads, cost inputs and goals of the schedule benchmark's repetitions. */
export function summariseSchedule(
  benchmark: string,
  runs: ScheduleRun[],
  shape: { repositories: number; imagesPerRepository: number },
  settings: BenchSettings,
  repetitionNote: string,
  memory: { sizes: MemorySizes; source: string },
): ScheduleResult {
  const images = shape.repositories * shape.imagesPerRepository;
  const operations = [...new Set(runs.flatMap((r) => Object.keys(r.calls)))].sort();
  const throttledOps = [...new Set(runs.flatMap((r) => Object.keys(r.throttles)))].sort();
  const ratio = spreadOf(runs, (r) => r.readCallsPerImage / r.floorCallsPerImage);
  const scanImagesS = spreadOf(runs, (r) => r.durationMs.scanImages / 1000);
  const scheduleScansS = spreadOf(runs, (r) => r.durationMs.scheduleScans / 1000);
  const peakScan = spreadOf(runs, (r) => r.peakRssMb.scanImages);
  const peakSchedule = spreadOf(runs, (r) => r.peakRssMb.scheduleScans);
  const measured = {
    "schedule-scans": lambdaSizeFor(peakSchedule.max),
    "scan-images": lambdaSizeFor(peakScan.max),
  };
  const sendBatch = spreadOf(runs, (r) => r.servedCalls["sqs:SendMessageBatch"] ?? 0).median;
  const receives = spreadOf(runs, (r) => r.sqs.receives).median;
  const deletes = spreadOf(runs, (r) => r.sqs.deletes).median;
  const ecrCalls = spreadOf(runs, (r) =>
    Object.entries(r.calls).reduce((n, [k, v]) => (k.startsWith("ecr:") ? n + v : n), 0),
  ).median;

  const goals: Goal[] = [];
  const worstRatio = ratio.max;
  goals.push({
    goal: `${benchmark}: ECR calls per image ≤ 1.01 × the floor`,
    pass: worstRatio <= 1.01,
    detail: `${fmt(spreadOf(runs, (r) => r.readCallsPerImage).max, 5)} read calls per image (throttled answers excluded; ${fmt(spreadOf(runs, (r) => r.readCallsPerImageWithThrottles).max, 5)} with them) against a floor of ${fmt(runs[0]?.floorCallsPerImage ?? 0, 5)}: ×${fmt(worstRatio, 5)} (worst of ${runs.length} run(s))`,
  });
  const lost = runs.filter(
    (r) =>
      r.drainTimedOut ||
      r.queuesAtEnd.scan > 0 ||
      r.queuesAtEnd.scanDlq > 0 ||
      r.scansUnanswered > 0 ||
      r.scansPlanned !== r.scansExpected ||
      r.failedInvocations > 0,
  );
  const throttles = spreadOf(runs, (r) => r.throttlesTotal);
  goals.push({
    goal: `${benchmark}: no message lost or retried forever under throttling`,
    pass: lost.length === 0,
    detail:
      lost.length === 0
        ? `scan queue and DLQ empty, every one of ${fmt(runs[0]?.scansExpected ?? 0)} planned scans answered started/quota, in each of ${runs.length} run(s); throttling answers met: ${fmtSpread(throttles)}${throttles.max === 0 ? " (throttling was NOT exercised)" : ""}; messages retried: ${runs.map((r) => r.messagesRetried).join(", ")}`
        : lost
            .map(
              (r) =>
                `${r.drainTimedOut ? "drain stopped at the bench's time budget, " : ""}queue ${r.queuesAtEnd.scan}, DLQ ${r.queuesAtEnd.scanDlq}, unanswered ${r.scansUnanswered}, planned ${r.scansPlanned}/${r.scansExpected}, failed invocations ${r.failedInvocations}`,
            )
            .join("; "),
  });

  return {
    benchmark,
    ...shape,
    images,
    settings,
    repetitions: runs.length,
    repetitionNote,
    figures: {
      wallTimeS: spreadOf(runs, (r) => r.wallTimeMs / 1000),
      imagesPerSecond: spreadOf(runs, (r) => r.images / (r.wallTimeMs / 1000)),
      callsPerOperation: Object.fromEntries(
        operations.map((op) => [op, spreadOf(runs, (r) => r.calls[op] ?? 0)]),
      ),
      throttlesPerOperation: Object.fromEntries(
        throttledOps.map((op) => [op, spreadOf(runs, (r) => r.throttles[op] ?? 0)]),
      ),
      throttlesTotal: throttles,
      ecrReadCallsPerImage: spreadOf(runs, (r) => r.readCallsPerImage),
      ecrReadCallsPerImageWithThrottles: spreadOf(runs, (r) => r.readCallsPerImageWithThrottles),
      floorCallsPerImage: runs[0]?.floorCallsPerImage ?? 0,
      ratioToFloor: ratio,
      scansPlanned: spreadOf(runs, (r) => r.scansPlanned),
      scansStarted: spreadOf(runs, (r) => r.scanOutcomes.IN_PROGRESS ?? 0),
      scansQuota: spreadOf(runs, (r) => r.scanOutcomes.LimitExceededException ?? 0),
      peakRssMb: { scheduleScans: peakSchedule, scanImages: peakScan },
      durationS: { scheduleScans: scheduleScansS, scanImages: scanImagesS },
    },
    costPer1000Images: {
      memoryMb: { moduleDefault: memory.sizes, measuredPeakRoundedUp: measured },
      memorySource: `module defaults from ${memory.source}; measured peak = highest max RSS of the runs, rounded up to 128/256/512/… MB`,
      lambdaGbSeconds: {
        atModuleDefault: {
          scheduleScans: per1000(
            gbSeconds(scheduleScansS.median * 1000, memory.sizes["schedule-scans"]),
            images,
          ),
          scanImages: per1000(gbSeconds(scanImagesS.median * 1000, memory.sizes["scan-images"]), images),
        },
        atMeasuredPeakRoundedUp: {
          scheduleScans: per1000(gbSeconds(scheduleScansS.median * 1000, measured["schedule-scans"]), images),
          scanImages: per1000(gbSeconds(scanImagesS.median * 1000, measured["scan-images"]), images),
        },
      },
      lambdaInvocations: {
        scheduleScans: per1000(1, images),
        scanImages: per1000(spreadOf(runs, (r) => r.invocations.scanImages).median, images),
      },
      sqsRequests: {
        total: per1000(sendBatch + receives + deletes, images),
        sendMessageBatch: per1000(sendBatch, images),
        receiveMessage: per1000(receives, images),
        deleteMessageBatch: per1000(deletes, images),
      },
      ecrCalls: per1000(ecrCalls, images),
      notes: [
        "Duration is the median of the summed invocation durations (billed duration, init excluded); it includes the time the SDK's adaptive retry spends waiting after throttling answers, so it depends on the assumed rate limits.",
        "SendMessageBatch counts the calls the sandbox served; ReceiveMessage and DeleteMessageBatch are one each per batch the event source mapping delivered (10 messages here). The mapping's empty long polls are a fixed cost per hour, not per image, and are left out.",
        "ECR API calls are not billed; they are listed for the rate-limit budget.",
      ],
    },
    goals,
    runs,
  };
}

export interface ReportCaseResult {
  kind: ReportCase;
  findings: number;
  repetitions: number;
  heapCap: string;
  wallTimeS: Spread;
  invocationMs: Spread;
  initMs: Spread;
  coldStartMs: Spread;
  baselineRssMb: Spread;
  peakRssMb: Spread;
  awsCalls: Record<string, number>;
  awsCallsTotal: number;
  initAwsCalls: Record<string, number>;
  slackRequests: number;
  githubRequests: number;
  problems: string[];
  /** The same report once without the small-Lambda V8 limits, for reference. */
  uncapped?: { invocationMs: number; peakRssMb: number; baselineRssMb: number };
  costPerReport: {
    memoryMb: { moduleDefault: number; measuredPeakRoundedUp: number };
    gbSeconds: { atModuleDefault: number; atMeasuredPeakRoundedUp: number };
    durationMs: number;
    initDurationMs: number;
  };
}

/** Medians and cost inputs of one report size. */
export function summariseReport(
  kind: ReportCase,
  runs: ReportRun[],
  uncapped: ReportRun | undefined,
  heapCap: string,
  reportMemoryMb: number,
): ReportCaseResult {
  const last = runs[runs.length - 1];
  const invocation = spreadOf(runs, (r) => r.invocationMs);
  const peak = spreadOf(runs, (r) => r.peakRssMb);
  const measured = lambdaSizeFor(peak.max);
  return {
    kind,
    findings: last?.findings ?? 0,
    repetitions: runs.length,
    heapCap,
    wallTimeS: spreadOf(runs, (r) => r.wallTimeMs / 1000),
    invocationMs: invocation,
    initMs: spreadOf(runs, (r) => r.initMs),
    coldStartMs: spreadOf(runs, (r) => r.coldStartMs),
    baselineRssMb: spreadOf(runs, (r) => r.baselineRssMb),
    peakRssMb: peak,
    awsCalls: last?.awsCalls ?? {},
    awsCallsTotal: last?.awsCallsTotal ?? 0,
    initAwsCalls: last?.initAwsCalls ?? {},
    slackRequests: last?.slackRequests ?? 0,
    githubRequests: last?.githubRequests ?? 0,
    problems: [...new Set(runs.flatMap((r) => r.problems))],
    uncapped: uncapped
      ? {
          invocationMs: uncapped.invocationMs,
          peakRssMb: uncapped.peakRssMb,
          baselineRssMb: uncapped.baselineRssMb,
        }
      : undefined,
    costPerReport: {
      memoryMb: { moduleDefault: reportMemoryMb, measuredPeakRoundedUp: measured },
      gbSeconds: {
        atModuleDefault: gbSeconds(invocation.median, reportMemoryMb),
        atMeasuredPeakRoundedUp: gbSeconds(invocation.median, measured),
      },
      durationMs: invocation.median,
      initDurationMs: spreadOf(runs, (r) => r.initMs).median,
    },
  };
}

/** The goals of the report and cold-start benchmarks. */
export function reportAndBundleGoals(reports: ReportCaseResult[], bundles: BundleColdStart[]): Goal[] {
  const goals: Goal[] = [];
  const basic = reports.find((r) => r.kind === "basic-5000");
  if (basic) {
    goals.push({
      goal: "report of 5,000 findings under 128 MB (peak RSS of the report-findings process)",
      pass: basic.peakRssMb.max < 128 && basic.problems.length === 0,
      detail: `peak RSS ${fmtSpread(basic.peakRssMb, 1)} MB over ${basic.repetitions} run(s) (${fmt(basic.baselineRssMb.median, 1)} MB of it before the report: Node + bundle + reporters set up)${basic.problems.length ? `; problems: ${basic.problems.join("; ")}` : "; every reporter sent"}`,
    });
  }
  const limit = 1024 * 1024;
  const over = bundles.filter((b) => b.zippedBytes < 0 || b.zippedBytes > limit);
  goals.push({
    goal: "each bundle ≤ 1 MB zipped",
    pass: over.length === 0,
    detail: bundles.map((b) => `${b.function} ${fmt(b.zippedBytes / 1024)} KiB`).join(", "),
  });
  return goals;
}

export const fmt = (x: number, decimals = 0) =>
  x.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });

/** `median (min–max)`, or just the value when the runs agree. */
export function fmtSpread(s: Spread, decimals = 0): string {
  if (s.n <= 1 || s.min === s.max) return fmt(s.median, decimals);
  return `${fmt(s.median, decimals)} (${fmt(s.min, decimals)}–${fmt(s.max, decimals)})`;
}
