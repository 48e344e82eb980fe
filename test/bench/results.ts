import type { BundleColdStart } from "./cold-start.js";
import { gbSeconds, lambdaSizeFor, type MemorySizes } from "./lambda-sizing.js";
import type { LedgerFigures, ReportCase, ReportRun } from "./report.js";
import type { ScheduleRun } from "./schedule.js";
import { type Spread, spreadOf } from "./stats.js";
import type { SteadyStateRun } from "./steady-state.js";

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
  // No bundle measured (a bench run without its cold-start part): no goal to judge.
  if (bundles.length > 0)
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

// ---- The findings ledger ----------------------------------------------------------------------------------------

/** What read calls per image cost without the ledger (docs/performance.md: one status call per image + paging). */
export const READ_CALLS_PER_IMAGE_WITHOUT_LEDGER = 1.01;
/** The steady-state goal: ECR + DynamoDB read calls per image per run. */
export const STEADY_STATE_READ_CALLS_GOAL = 0.05;

export interface SteadyStateResult {
  benchmark: string;
  repositories: number;
  imagesPerRepository: number;
  images: number;
  settings: BenchSettings;
  repetitions: number;
  repetitionNote: string;
  figures: {
    wallTimeS: Spread;
    callsPerOperation: Record<string, Spread>;
    readCallsPerImage: Spread;
    ecrReadCallsPerImage: Spread;
    dynamodbReadCallsPerImage: Spread;
    dynamodbWriteCalls: Spread;
    /** Read request units per image per run (DynamoDB's ConsumedCapacity). */
    dynamodbReadUnitsPerImage: Spread;
    scansDue: Spread;
    scansStarted: Spread;
    scansOfFreshImages: Spread;
    ledgerMissedScans: Spread;
    throttlesTotal: Spread;
    peakRssMbScanImages: Spread;
    durationSScanImages: Spread;
    firstRun: { wallTimeS: Spread; callsPerOperation: Record<string, Spread> };
  };
  goals: Goal[];
  runs: SteadyStateRun[];
}

/** Medians and the goal of the steady-state runs; `reference` is the read calls per image the same registry costs without the ledger, when measured. */
export function summariseSteadyState(
  benchmark: string,
  runs: SteadyStateRun[],
  shape: { repositories: number; imagesPerRepository: number },
  settings: BenchSettings,
  repetitionNote: string,
  reference?: { readCallsPerImage: number; source: string },
): SteadyStateResult {
  const operations = [...new Set(runs.flatMap((r) => Object.keys(r.calls)))].sort();
  const firstOps = [...new Set(runs.flatMap((r) => Object.keys(r.fill.calls)))].sort();
  const reads = spreadOf(runs, (r) => r.readCallsPerImage);
  const failed = runs.filter(
    (r) =>
      r.drainTimedOut ||
      r.failedInvocations > 0 ||
      r.ledgerMissedScans > 0 ||
      r.scansOfFreshImages > 0 ||
      r.scanRequests !== r.scansDue ||
      Object.values(r.queuesAtEnd).some((n) => n > 0),
  );
  const last = runs[runs.length - 1];
  const without = reference ?? {
    readCallsPerImage: READ_CALLS_PER_IMAGE_WITHOUT_LEDGER,
    source: "docs/performance.md",
  };
  const callList = (r: SteadyStateRun, keep: (k: string) => boolean) =>
    Object.entries(r.servedCalls)
      .filter(([k]) => keep(k) && k !== "ecr:StartImageScan")
      .map(([k, n]) => `${k.replace(/^\w+:/, "")} ${fmt(n)}`)
      .join(", ");
  const goals: Goal[] = [
    {
      goal: `${benchmark} steady state: read calls per image (ECR + DynamoDB, StartImageScan not counted) ≤ ${STEADY_STATE_READ_CALLS_GOAL} against ${fmt(without.readCallsPerImage, 2)} without the ledger, with 0 scans of images the ledger knows to be fresh`,
      pass: reads.max <= STEADY_STATE_READ_CALLS_GOAL && failed.length === 0 && runs.length > 0,
      detail: last
        ? `${fmt(reads.max, 4)} read calls per image (worst of ${runs.length} run(s)): ECR ${fmt(last.ecrReadCallsPerImage, 4)} (${callList(last, (k) => k.startsWith("ecr:"))}) + DynamoDB ${fmt(last.dynamodbReadCallsPerImage, 4)} (${callList(last, (k) => k.startsWith("dynamodb:"))}), against ${fmt(without.readCallsPerImage, 4)} without the ledger (${without.source}); StartImageScan for ${fmt(last.scanRequests)} images, the ${fmt(last.scansDue)} past the expiry, ${fmt(last.scansOfFreshImages)} of images within it; ledger missed scans ${last.ledgerMissedScans}${failed.length ? `; FAILED runs: ${failed.length} (timed out, failed invocations, missed scans, fresh images scanned or messages left)` : ""}`
        : "no run",
    },
  ];
  return {
    benchmark,
    ...shape,
    images: shape.repositories * shape.imagesPerRepository,
    settings,
    repetitions: runs.length,
    repetitionNote,
    figures: {
      wallTimeS: spreadOf(runs, (r) => r.wallTimeMs / 1000),
      callsPerOperation: Object.fromEntries(
        operations.map((op) => [op, spreadOf(runs, (r) => r.calls[op] ?? 0)]),
      ),
      readCallsPerImage: reads,
      ecrReadCallsPerImage: spreadOf(runs, (r) => r.ecrReadCallsPerImage),
      dynamodbReadCallsPerImage: spreadOf(runs, (r) => r.dynamodbReadCallsPerImage),
      dynamodbWriteCalls: spreadOf(runs, (r) => r.dynamodbWriteCalls),
      dynamodbReadUnitsPerImage: spreadOf(runs, (r) => r.dynamodbReadCapacity / r.images),
      scansDue: spreadOf(runs, (r) => r.scansDue),
      scansStarted: spreadOf(runs, (r) => r.calls["ecr:StartImageScan"] ?? 0),
      scansOfFreshImages: spreadOf(runs, (r) => r.scansOfFreshImages),
      ledgerMissedScans: spreadOf(runs, (r) => r.ledgerMissedScans),
      throttlesTotal: spreadOf(runs, (r) => r.throttlesTotal),
      peakRssMbScanImages: spreadOf(runs, (r) => r.peakRssMb.scanImages),
      durationSScanImages: spreadOf(runs, (r) => r.durationMs.scanImages / 1000),
      firstRun: {
        wallTimeS: spreadOf(runs, (r) => r.fill.wallTimeMs / 1000),
        callsPerOperation: Object.fromEntries(
          firstOps.map((op) => [op, spreadOf(runs, (r) => r.fill.calls[op] ?? 0)]),
        ),
      },
    },
    goals,
    runs,
  };
}

/** The ledger's figures of one kind of report (first, or the weekly rescan) over the runs. */
export interface LedgerReportFigures {
  /** Calls per DynamoDB operation (the same in every run: the last run's). */
  calls: Record<string, number>;
  readCalls: number;
  writeCalls: number;
  readUnits: Spread;
  writeUnits: Spread;
  conditionalCheckFailures: Spread;
  invocationMs: Spread;
  peakRssMb: Spread;
  /** The ledger's table afterwards (one image, one tag): items and billable bytes. */
  tableItems: number;
  tableBytes: number;
}

export interface LedgerReportResult {
  kind: ReportCase;
  findings: number;
  repetitions: number;
  first: LedgerReportFigures;
  rescan?: LedgerReportFigures & { held: Record<string, string>; outcomes: Record<string, string> };
  /** The same report with no ledger, for reference (one run). */
  withoutLedger?: { invocationMs: number; peakRssMb: number };
  problems: string[];
}

/** The ledger's figures per report: first report and rescan, from runs made with `rescan: true`. */
export function summariseLedgerReport(
  kind: ReportCase,
  runs: ReportRun[],
  withoutLedger: ReportRun | undefined,
): LedgerReportResult {
  const last = runs[runs.length - 1];
  const rescans = runs.flatMap((r) => (r.rescan ? [r.rescan] : []));
  const lastRescan = rescans[rescans.length - 1];
  const figures = (
    picked: { ledger: LedgerFigures; invocationMs: number; peakRssMb: number }[],
  ): LedgerReportFigures => {
    const tail = picked[picked.length - 1];
    return {
      calls: tail?.ledger.calls ?? {},
      readCalls: tail?.ledger.readCalls ?? 0,
      writeCalls: tail?.ledger.writeCalls ?? 0,
      readUnits: spreadOf(picked, (p) => p.ledger.readCapacity),
      writeUnits: spreadOf(picked, (p) => p.ledger.writeCapacity),
      conditionalCheckFailures: spreadOf(picked, (p) => p.ledger.conditionalCheckFailures),
      invocationMs: spreadOf(picked, (p) => p.invocationMs),
      peakRssMb: spreadOf(picked, (p) => p.peakRssMb),
      tableItems: tail?.ledger.table.items ?? 0,
      tableBytes: tail?.ledger.table.bytes ?? 0,
    };
  };
  return {
    kind,
    findings: last?.findings ?? 0,
    repetitions: runs.length,
    first: figures(runs),
    rescan: lastRescan
      ? { ...figures(rescans), held: lastRescan.held, outcomes: lastRescan.outcomes }
      : undefined,
    withoutLedger: withoutLedger
      ? { invocationMs: withoutLedger.invocationMs, peakRssMb: withoutLedger.peakRssMb }
      : undefined,
    problems: [...new Set([...runs, ...(withoutLedger ? [withoutLedger] : [])].flatMap((r) => r.problems))],
  };
}

/** The reporters people read as alerts, whose default `notify: "changes"` holds back a rescan with nothing new. */
const ALERTING_REPORTERS = ["sns", "slack", "email"];

/** The goals of the ledger's report figures. */
export function ledgerReportGoals(results: LedgerReportResult[]): Goal[] {
  return results.map((r) => {
    const held = r.rescan?.held ?? {};
    const heldAll = ALERTING_REPORTERS.every((reporter) => held[reporter] === "unchanged");
    const sent = Object.entries(r.rescan?.outcomes ?? {}).filter(
      ([reporter, o]) => o === "sent" && ALERTING_REPORTERS.includes(reporter),
    );
    return {
      goal: `report of ${fmt(r.findings)} findings with the ledger: a rescan with nothing new is held back from ${ALERTING_REPORTERS.join(", ")}`,
      pass: r.rescan !== undefined && heldAll && sent.length === 0 && r.problems.length === 0,
      detail: r.rescan
        ? `rescan held back: ${
            Object.entries(held)
              .map(([k, v]) => `${k} ${v}`)
              .join(", ") || "none"
          }; sent: ${Object.entries(r.rescan.outcomes)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")}${r.problems.length ? `; problems: ${r.problems.join("; ")}` : ""}`
        : "no rescan measured",
    };
  });
}
