import type { BundleColdStart } from "./cold-start.js";
import {
  type BenchSettings,
  fmt,
  fmtSpread,
  type Goal,
  type LedgerReportFigures,
  type LedgerReportResult,
  type ReportCaseResult,
  type ScheduleResult,
  type SteadyStateResult,
} from "./results.js";

const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
const OPERATIONS = [
  "ecr:DescribeRepositories",
  "ecr:GetRegistryScanningConfiguration",
  "ecr:DescribeImages",
  "ecr:DescribeImageScanFindings",
  "ecr:StartImageScan",
  "sqs:SendMessageBatch",
];

/** The Markdown summary of every benchmark: tables, the goals as PASS/FAIL lines, and the cost inputs. */
export function renderSummary(input: {
  settings: BenchSettings;
  schedules: ScheduleResult[];
  reports: ReportCaseResult[];
  bundles: BundleColdStart[];
  coldRuns: number;
  goals: Goal[];
  totalS: number;
  /** The scheduler in steady state, every image in the findings ledger. */
  steadyStates?: SteadyStateResult[];
  /** report-findings' work on the ledger per report. */
  ledgerReports?: LedgerReportResult[];
  /** Sections rendered by the parts themselves (digest, exposure), in order. */
  sections?: string[][];
}): string {
  const { schedules, reports, bundles, settings } = input;
  const lines: string[] = [];
  lines.push("# ecr-scan-reporter benchmarks", "");
  lines.push(
    `Sandbox: ${settings.latencyMs} ms per call; rate limits per second: ${Object.entries(settings.rateLimits)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}. Total bench time ${fmt(input.totalS)} s. Figures are median (min–max) over the runs.`,
    "",
  );
  for (const note of settings.notes) lines.push(`- ${note}`);
  lines.push("");

  const scheduleSectionAt = lines.length;
  lines.push("## Schedule at scale", "");
  lines.push(
    row([
      "",
      ...schedules.map((s) => `${s.benchmark} (${s.repetitions} run${s.repetitions > 1 ? "s" : ""})`),
    ]),
  );
  lines.push(row(["---", ...schedules.map(() => "---:")]));
  const add = (label: string, f: (s: ScheduleResult) => string) =>
    lines.push(row([label, ...schedules.map(f)]));
  add("images", (s) => fmt(s.images));
  add("wall time (s)", (s) => fmtSpread(s.figures.wallTimeS, 1));
  add("images per second", (s) => fmtSpread(s.figures.imagesPerSecond));
  for (const op of OPERATIONS) {
    add(`calls ${op}`, (s) => {
      const c = s.figures.callsPerOperation[op];
      return c ? fmtSpread(c) : "0";
    });
  }
  add("ECR read calls per image (excl. throttled)", (s) => fmtSpread(s.figures.ecrReadCallsPerImage, 4));
  add("  … incl. throttled answers", (s) => fmtSpread(s.figures.ecrReadCallsPerImageWithThrottles, 4));
  add("  floor (1 DescribeImages/1,000 images/repo + 1 status call/image)", (s) =>
    fmt(s.figures.floorCallsPerImage, 4),
  );
  add("  ratio to floor", (s) => `×${fmtSpread(s.figures.ratioToFloor, 4)}`);
  add("scans planned", (s) => fmtSpread(s.figures.scansPlanned));
  add("scans started (IN_PROGRESS)", (s) => fmtSpread(s.figures.scansStarted));
  add("scans answered quota (LimitExceeded)", (s) => fmtSpread(s.figures.scansQuota));
  add("throttling answers met", (s) =>
    s.figures.throttlesTotal.max === 0
      ? "0"
      : `${fmtSpread(s.figures.throttlesTotal)}: ${Object.entries(s.figures.throttlesPerOperation)
          .map(([op, n]) => `${op.replace("ecr:", "")} ${fmtSpread(n)}`)
          .join(", ")}`,
  );
  add("peak RSS schedule-scans (MB)", (s) => fmtSpread(s.figures.peakRssMb.scheduleScans, 1));
  add("peak RSS scan-images (MB)", (s) => fmtSpread(s.figures.peakRssMb.scanImages, 1));
  add("billed duration schedule-scans (s)", (s) => fmtSpread(s.figures.durationS.scheduleScans, 1));
  add("billed duration scan-images, all batches (s)", (s) => fmtSpread(s.figures.durationS.scanImages, 1));
  lines.push("");
  for (const s of schedules) lines.push(`- ${s.benchmark}: ${s.repetitionNote}`);
  lines.push("");

  // A part the bench did not run (--only) leaves its section out.
  if (schedules.length === 0) lines.length = scheduleSectionAt;
  const reportSectionAt = lines.length;
  lines.push("## Report at size (report-findings, every built-in reporter)", "");
  lines.push(
    row([
      "image",
      "runs",
      "wall time (s)",
      "report invocation (ms)",
      "init: import + reporters (ms)",
      "RSS before report (MB)",
      "peak RSS (MB)",
      "AWS calls per report",
      "Slack / GitHub requests",
      "uncapped: peak RSS (MB)",
    ]),
  );
  lines.push(row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---", "---:", "---:"]));
  for (const r of reports) {
    lines.push(
      row([
        `${fmt(r.findings)} ${r.kind.startsWith("basic") ? "basic" : "enhanced"} findings`,
        String(r.repetitions),
        fmtSpread(r.wallTimeS, 2),
        fmtSpread(r.invocationMs),
        fmtSpread(r.initMs),
        fmtSpread(r.baselineRssMb, 1),
        fmtSpread(r.peakRssMb, 1),
        `${r.awsCallsTotal}: ${Object.entries(r.awsCalls)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
        `${r.slackRequests} / ${r.githubRequests}`,
        r.uncapped ? fmt(r.uncapped.peakRssMb, 1) : "–",
      ]),
    );
  }
  lines.push("");
  if (reports[0]) {
    lines.push(
      `- Runs under ${reports[0].heapCap}. Once per cold start the reporters also call: ${Object.entries(
        reports[0].initAwsCalls,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}.`,
    );
  }
  for (const r of reports)
    if (r.problems.length) lines.push(`- ${r.kind} problems: ${r.problems.join("; ")}`);
  lines.push("");

  // A part the bench did not run (--only) leaves its section out.
  if (reports.length === 0) lines.length = reportSectionAt;
  if (input.steadyStates?.length) lines.push(...steadyStateSection(input.steadyStates));
  if (input.ledgerReports?.length) lines.push(...ledgerReportSection(input.ledgerReports));
  for (const section of input.sections ?? []) lines.push(...section);

  const coldStartSectionAt = lines.length;
  lines.push(`## Cold start (fresh Node process per import, ${input.coldRuns} imports each)`, "");
  lines.push(
    row([
      "bundle",
      "index.mjs (KiB)",
      "zip (KiB)",
      "import (ms)",
      "node start + import (ms)",
      "RSS after import (MB)",
    ]),
  );
  lines.push(row(["---", "---:", "---:", "---:", "---:", "---:"]));
  for (const b of bundles) {
    lines.push(
      row([
        b.function,
        fmt(b.rawBytes / 1024),
        b.zippedBytes < 0 ? "missing" : fmt(b.zippedBytes / 1024),
        fmtSpread(b.importMs),
        fmtSpread(b.processMs),
        fmtSpread(b.rssAfterImportMb, 1),
      ]),
    );
  }
  lines.push("");

  // A part the bench did not run (--only) leaves its section out.
  if (bundles.length === 0) lines.length = coldStartSectionAt;
  const costSectionAt = lines.length;
  lines.push("## Cost inputs", "");
  lines.push(
    row([
      "per 1,000 images",
      "scan-images GB-s (module default / measured size)",
      "schedule-scans GB-s (module default / measured size)",
      "scan-images invocations",
      "SQS requests (send + receive + delete)",
      "ECR calls",
    ]),
  );
  lines.push(row(["---", "---:", "---:", "---:", "---:", "---:"]));
  for (const s of schedules) {
    const c = s.costPer1000Images;
    lines.push(
      row([
        s.benchmark,
        `${fmt(c.lambdaGbSeconds.atModuleDefault.scanImages, 3)} @${c.memoryMb.moduleDefault["scan-images"]} MB / ${fmt(c.lambdaGbSeconds.atMeasuredPeakRoundedUp.scanImages, 3)} @${c.memoryMb.measuredPeakRoundedUp["scan-images"]} MB`,
        `${fmt(c.lambdaGbSeconds.atModuleDefault.scheduleScans, 4)} @${c.memoryMb.moduleDefault["schedule-scans"]} MB / ${fmt(c.lambdaGbSeconds.atMeasuredPeakRoundedUp.scheduleScans, 4)} @${c.memoryMb.measuredPeakRoundedUp["schedule-scans"]} MB`,
        fmt(c.lambdaInvocations.scanImages, 2),
        `${fmt(c.sqsRequests.total, 2)} (${fmt(c.sqsRequests.sendMessageBatch, 2)} + ${fmt(c.sqsRequests.receiveMessage, 2)} + ${fmt(c.sqsRequests.deleteMessageBatch, 2)})`,
        fmt(c.ecrCalls),
      ]),
    );
  }
  lines.push("");
  lines.push(
    row([
      "per report",
      "duration (ms)",
      "init (ms)",
      "peak RSS (MB)",
      "GB-s (module default / measured size)",
    ]),
  );
  lines.push(row(["---", "---:", "---:", "---:", "---:"]));
  for (const r of reports) {
    const c = r.costPerReport;
    lines.push(
      row([
        `${fmt(r.findings)} ${r.kind.startsWith("basic") ? "basic" : "enhanced"}`,
        fmt(c.durationMs),
        fmt(c.initDurationMs),
        fmt(r.peakRssMb.max, 1),
        `${fmt(c.gbSeconds.atModuleDefault, 3)} @${c.memoryMb.moduleDefault} MB / ${fmt(c.gbSeconds.atMeasuredPeakRoundedUp, 3)} @${c.memoryMb.measuredPeakRoundedUp} MB`,
      ]),
    );
  }
  lines.push("");
  if (schedules[0]) for (const note of schedules[0].costPer1000Images.notes) lines.push(`- ${note}`);
  lines.push("");

  // A part the bench did not run (--only) leaves its section out.
  if (schedules.length === 0 && reports.length === 0) lines.length = costSectionAt;
  lines.push("## Goals", "");
  for (const g of input.goals) lines.push(`- ${g.pass ? "PASS" : "FAIL"} ${g.goal}: ${g.detail}`);
  lines.push("");
  return lines.join("\n");
}

const STEADY_OPERATIONS = [
  "ecr:DescribeRepositories",
  "ecr:GetRegistryScanningConfiguration",
  "ecr:DescribeImages",
  "ecr:DescribeImageScanFindings",
  "dynamodb:BatchGetItem",
  "dynamodb:UpdateItem",
  "ecr:StartImageScan",
];

/** The scheduler's steady state: calls per image a day after a run that put every image in the ledger. */
function steadyStateSection(results: SteadyStateResult[]): string[] {
  const lines = ["## Schedule in steady state (every image in the findings ledger)", ""];
  lines.push(
    row(["", ...results.map((r) => `${r.benchmark} (${r.repetitions} run${r.repetitions > 1 ? "s" : ""})`)]),
  );
  lines.push(row(["---", ...results.map(() => "---:")]));
  const add = (label: string, f: (r: SteadyStateResult) => string) =>
    lines.push(row([label, ...results.map(f)]));
  add("images", (r) => fmt(r.images));
  add("first run: wall time (s), the ledger learns every image", (r) =>
    fmtSpread(r.figures.firstRun.wallTimeS, 1),
  );
  add("first run: calls", (r) =>
    Object.entries(r.figures.firstRun.callsPerOperation)
      .map(([op, n]) => `${op} ${fmtSpread(n)}`)
      .join(", "),
  );
  add("measured run, a day later: wall time (s)", (r) => fmtSpread(r.figures.wallTimeS, 1));
  for (const op of STEADY_OPERATIONS) {
    add(`calls ${op}`, (r) => {
      const c = r.figures.callsPerOperation[op];
      return c ? fmtSpread(c) : "0";
    });
  }
  add("read calls per image (ECR + DynamoDB, StartImageScan not counted)", (r) =>
    fmtSpread(r.figures.readCallsPerImage, 4),
  );
  add("  … ECR", (r) => fmtSpread(r.figures.ecrReadCallsPerImage, 4));
  add("  … DynamoDB", (r) => fmtSpread(r.figures.dynamodbReadCallsPerImage, 4));
  add("DynamoDB read request units per image", (r) => fmtSpread(r.figures.dynamodbReadUnitsPerImage, 3));
  add("DynamoDB writes", (r) => fmtSpread(r.figures.dynamodbWriteCalls));
  add(
    "scans due (past the 7-day expiry) / started / of fresh images",
    (r) =>
      `${fmtSpread(r.figures.scansDue)} / ${fmtSpread(r.figures.scansStarted)} / ${fmtSpread(r.figures.scansOfFreshImages)}`,
  );
  add("scans the ledger missed", (r) => fmtSpread(r.figures.ledgerMissedScans));
  add("throttling answers met", (r) => fmtSpread(r.figures.throttlesTotal));
  add("peak RSS scan-images (MB)", (r) => fmtSpread(r.figures.peakRssMbScanImages, 1));
  add("billed duration scan-images, all batches (s)", (r) => fmtSpread(r.figures.durationSScanImages, 1));
  lines.push("");
  for (const r of results) lines.push(`- ${r.benchmark}: ${r.repetitionNote}`);
  lines.push("");
  return lines;
}

const ledgerCells = (f: LedgerReportFigures) => [
  `${f.readCalls + f.writeCalls}: ${Object.entries(f.calls)
    .map(([op, n]) => `${op} ${n}`)
    .join(", ")}`,
  fmtSpread(f.readUnits, 1),
  fmtSpread(f.writeUnits, 1),
  fmtSpread(f.conditionalCheckFailures),
  fmtSpread(f.invocationMs),
  fmtSpread(f.peakRssMb, 1),
  `${fmt(f.tableItems)} / ${fmt(f.tableBytes / 1024, 1)}`,
];

/** report-findings with the ledger: DynamoDB calls, capacity, time and memory per report. */
function ledgerReportSection(results: LedgerReportResult[]): string[] {
  const lines = ["## Report with the findings ledger (report-findings, every built-in reporter)", ""];
  lines.push(
    row([
      "report",
      "runs",
      "DynamoDB calls",
      "read units",
      "write units",
      "conditional failures",
      "invocation (ms)",
      "peak RSS (MB)",
      "table after: items / KiB",
    ]),
  );
  lines.push(row(["---", "---:", "---", "---:", "---:", "---:", "---:", "---:", "---:"]));
  for (const r of results) {
    lines.push(
      row([`${fmt(r.findings)} findings, first report`, String(r.repetitions), ...ledgerCells(r.first)]),
    );
    if (r.rescan) {
      lines.push(
        row([
          `${fmt(r.findings)} findings, rescan a week later, nothing new`,
          String(r.repetitions),
          ...ledgerCells(r.rescan),
        ]),
      );
    }
    if (r.withoutLedger) {
      lines.push(
        row([
          `${fmt(r.findings)} findings, no ledger (reference)`,
          "1",
          "0",
          "0",
          "0",
          "0",
          fmt(r.withoutLedger.invocationMs),
          fmt(r.withoutLedger.peakRssMb, 1),
          "–",
        ]),
      );
    }
  }
  lines.push("");
  lines.push(
    "- Read and write units are the ConsumedCapacity DynamoDB (dynalite) answered, summed: what on-demand billing charges as read and write request units. A refused conditional write is billed too and carries none; it is counted apart. Peak RSS is the process's, so a rescan's is at least its first report's.",
  );
  for (const r of results)
    if (r.problems.length) lines.push(`- ${r.kind} problems: ${r.problems.join("; ")}`);
  lines.push("");
  return lines;
}
