// `pnpm bench`: the benchmarks of docs/performance.md on the sandbox, with results in bench-results/ (git-ignored).
// Goals that are not met are printed as FAIL lines; the process exits non-zero only when a benchmark crashes.
// `pnpm bench --only steady-state,report-ledger` runs only the parts named (PARTS), with a summary of those. The
// digest and exposure parts, ~10 minutes of their own on a 2-core machine, run only when named (`--only digest,exposure`),
// and so does the multi-account part (`--only accounts`, 100,000 images in 10 accounts, ~15 minutes).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SANDBOX_ACCOUNT, startGitHubReceiver, startSlackReceiver } from "@ecr-scan-reporter/sandbox";
import { runAccountsOnce } from "./accounts.js";
import {
  type AccountsRun,
  accountsSection,
  benchAccounts,
  ecrCallsServed,
  stsIssued,
  stsRequests,
  summariseAccounts,
} from "./accounts-results.js";
import { FUNCTIONS, measureColdStarts } from "./cold-start.js";
import { runDigestBench } from "./digest.js";
import { runExposureBench } from "./exposure.js";
import { moduleMemoryDefaults } from "./lambda-sizing.js";
import {
  digestSection,
  exposureSection,
  sendDigestsDefaults,
  summariseDigest,
  summariseExposure,
} from "./ledger-read-results.js";
import { lambdaNodeOptions, type ReportCase, type ReportRun, runReportOnce } from "./report.js";
import {
  type BenchSettings,
  fmt,
  type Goal,
  type LedgerReportResult,
  ledgerReportGoals,
  type ReportCaseResult,
  reportAndBundleGoals,
  type ScheduleResult,
  type SteadyStateResult,
  summariseLedgerReport,
  summariseReport,
  summariseSchedule,
  summariseSteadyState,
} from "./results.js";
import { runScheduleOnce, type ScheduleRun } from "./schedule.js";
import { spreadOf } from "./stats.js";
import { runSteadyStateOnce, type SteadyStateRun } from "./steady-state.js";
import { renderSummary } from "./summary.js";

const REPO_ROOT = join(import.meta.dirname, "..", "..");
const DIST = join(REPO_ROOT, "terraform", "dist");
const OUT = join(REPO_ROOT, "bench-results");

/** The whole bench must end within 10 minutes; this leaves room for pnpm, tsx and the last write-out. */
const BUDGET_S = Number(process.env.BENCH_BUDGET_S ?? 575);
const COLD_START_RUNS = 20;
const REPORT_RUNS = 3;
// Two, not three: the steady-state run needs the time within the budget.
const SMALL_RUNS = 2;
const LARGE_RUNS_MAX = 3;
const STEADY_STATE_RUNS = 1;
/** The digest over 100 repositories × 1,000 tagged images, 3 routes; a week of change log of 5,000 reports. */
const DIGEST_SHAPE = { repositories: 100, imagesPerRepository: 1000 };
const DIGEST_CHANGE_LOG_ENTRIES = 5000;
const DIGEST_RUNS = 3;
/**
 * Exposure: 2,000 images hold the CVE; the index (3 items per image) measured as the registry grows through these
 * sizes, each after the first only if it fits in the budget (filling dynalite is what takes the time): the reads
 * must not change from one size to the next.
 */
const EXPOSURE_SIZES = [10_000, 30_000, 100_000];
const EXPOSED_IMAGES = 2000;
const EXPOSURE_RUNS = 3;
/**
 * Multi-account: the hub's own account and 9 members, 100 repositories × 100 images each. A single-account run of
 * one account's shape first; then a run with every account reachable (~5 minutes with one scan-images consumer on an
 * idle 2-core machine, several times that on a busy one), one with a member's role missing, and more all-reachable
 * runs (up to ACCOUNTS_RUNS in all) while another fits in the part's budget.
 */
const ACCOUNTS_SHAPE = { accounts: 10, repositoriesPerAccount: 100, imagesPerRepository: 100 };
const ACCOUNTS_RUNS = Number(process.env.BENCH_ACCOUNTS_RUNS ?? 3);
const ACCOUNTS_BUDGET_S = Number(process.env.BENCH_ACCOUNTS_BUDGET_S ?? 2400);
/** The member whose role is missing in the one-unreachable run: one in the middle of the queue's order. */
const UNREACHABLE_MEMBER = 5;

/** The parts of the bench, in the order they run. */
const PARTS = [
  "cold-start",
  "report",
  "report-ledger",
  "schedule",
  "steady-state",
  "digest",
  "exposure",
  "accounts",
] as const;
type Part = (typeof PARTS)[number];
/**
 * The parts `pnpm bench` runs without `--only`: the 10-minute bench. The digest and exposure take as long again, the
 * multi-account part longer.
 */
const DEFAULT_PARTS: readonly Part[] = PARTS.filter(
  (p) => p !== "digest" && p !== "exposure" && p !== "accounts",
);

/** The parts `--only a,b` names (the default parts without it); an unknown name stops the bench before it starts. */
function partsToRun(argv: readonly string[]): Set<Part> {
  const at = argv.indexOf("--only");
  if (at < 0) return new Set(DEFAULT_PARTS);
  const names = (argv[at + 1] ?? "").split(",").filter(Boolean);
  const unknown = names.filter((n) => !(PARTS as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length > 0)
    throw new Error(
      `--only takes a comma-separated list of ${PARTS.join(", ")}; got ${argv[at + 1] ?? "nothing"}`,
    );
  return new Set(names as Part[]);
}

const LATENCY_MS = 20;
// ECR publishes no requests-per-second quota for these operations (its quotas page lists the push/pull API
// rates and the scan quotas only), so these are assumptions, set where this load meets them.
const RATE_LIMITS: Record<string, number> = {
  "ecr:DescribeImages": 50,
  "ecr:DescribeImageScanFindings": 1000,
  "ecr:StartImageScan": 450,
};
const REPORT_MEMORY_MB = 128;

const settings: BenchSettings = {
  latencyMs: LATENCY_MS,
  rateLimits: RATE_LIMITS,
  notes: [
    "Rate limits are assumptions: ECR publishes no TPS quota for DescribeImages, DescribeImageScanFindings or StartImageScan (its quotas page lists push/pull API rates and the scan quotas, 1 per image and 100,000 per registry per 24 h). They are set where this load meets them, so the SDK's adaptive retry is exercised; above them the sandbox answers ThrottlingException (token bucket, burst = 1 s of rate).",
    "LocalDeployment runs ONE instance of each function, one invocation at a time, with batches of 10 scan messages (the module's mapping uses 5 and Lambda would scale scan-images out); wall time is that of a single consumer. Every deployment has the findings ledger's table (dynalite behind the sandbox), as the module creates it.",
    "Schedule seed per repository of 100 images: 30 % never scanned, 30 % COMPLETE 10 days ago (stale under the 7 d expiry), 40 % COMPLETE 2 days ago (fresh); every 25th image untagged. AWS-native basic scanning: DescribeImages carries no scan summary, so every image needs a status call. Scans last 1 h, so none completes and no report path runs.",
    "Steady state: 100 images per repository, each scanned 0.5 + (i mod 7) days before the first run (all within the 7-day expiry); the first run learns every image's last scan from ECR and records it in the ledger, then the sandbox's clock moves a day ahead and the second run is measured: a seventh of the images are past the expiry and scanned, the rest known fresh from the ledger. DynamoDB gets the same 20 ms per call and no rate limit (on-demand).",
    "Report with the ledger: the report runs below also rescan the image a week later on the sandbox's clock, with the same findings (a new scan completion, nothing new in it), measured apart; a 50-finding image stands for a typical one.",
    `Report runs: report-findings with AWS_LAMBDA_FUNCTION_MEMORY_SIZE=${REPORT_MEMORY_MB} and NODE_OPTIONS="${lambdaNodeOptions(REPORT_MEMORY_MB)}" (the V8 limits Lambda's Node.js bootstrap derives from the memory size); an empty batch first does the cold start and the reporters' set-up, then one event (ECR Image Scan for basic, Inspector2 Scan for enhanced) goes through the report queue; a fresh sandbox per run. Peak RSS is the process's getrusage max RSS; local Node is ${process.version}, Lambda's default runtime is nodejs22.x.`,
  ],
};

const started = performance.now();
const elapsedS = () => (performance.now() - started) / 1000;
const log = (line: string) => console.log(`[${elapsedS().toFixed(0).padStart(3)} s] ${line}`);
const writeJson = (name: string, value: unknown) => {
  writeFileSync(join(OUT, name), `${JSON.stringify(value, null, 2)}\n`);
  log(`wrote bench-results/${name}`);
};

async function main(): Promise<void> {
  const parts = partsToRun(process.argv.slice(2));
  for (const fn of FUNCTIONS) {
    if (!existsSync(join(DIST, fn, "index.mjs")))
      throw new Error(`terraform/dist/${fn}/index.mjs is missing: run pnpm build`);
  }
  mkdirSync(OUT, { recursive: true });
  const memory = moduleMemoryDefaults(join(REPO_ROOT, "terraform", "variables.tf"));
  log(
    `benchmarks on the sandbox: ${LATENCY_MS} ms per call, rate limits ${JSON.stringify(RATE_LIMITS)}; budget ${BUDGET_S} s; parts: ${[...parts].join(", ")}`,
  );

  // Cold start: sizes and fresh-process import times.
  let bundles: Awaited<ReturnType<typeof measureColdStarts>> = [];
  if (parts.has("cold-start")) {
    log(`cold start: ${COLD_START_RUNS} fresh-process imports of each bundle`);
    bundles = await measureColdStarts(DIST, COLD_START_RUNS);
    for (const b of bundles)
      log(
        `  ${b.function}: ${fmt(b.zippedBytes / 1024)} KiB zipped, import ${fmt(b.importMs.median)} ms (median)`,
      );
    writeJson("cold-start.json", { runs: COLD_START_RUNS, nodeVersion: process.version, bundles });
  }

  // Report at size, through every built-in reporter; with the ledger, the 5,000-finding image is rescanned too.
  const slack = await startSlackReceiver({ rateLimit: false });
  const github = await startGitHubReceiver({ repositories: ["acme/security"] });
  const reports: ReportCaseResult[] = [];
  const ledgerReports: LedgerReportResult[] = [];
  try {
    const common = { latencyMs: LATENCY_MS, rateLimits: RATE_LIMITS, distDir: DIST, slack, github };
    const reportRuns = async (kind: ReportCase, n: number, rescan: boolean) => {
      const runs: ReportRun[] = [];
      for (let i = 0; i < n; i++) {
        const run = await runReportOnce({
          ...common,
          kind,
          memoryMb: REPORT_MEMORY_MB,
          lambdaHeapLimits: true,
          rescan,
        });
        runs.push(run);
        log(
          `report ${kind} run ${i + 1}/${n}: ${fmt(run.invocationMs)} ms, peak RSS ${fmt(run.peakRssMb, 1)} MB, ${run.awsCallsTotal} AWS calls; ledger ${run.ledger.readCalls} reads (${fmt(run.ledger.readCapacity, 1)} RRU) ${run.ledger.writeCalls} writes (${fmt(run.ledger.writeCapacity, 1)} WRU)${run.rescan ? `; rescan ${fmt(run.rescan.invocationMs)} ms, ${run.rescan.ledger.readCalls} reads (${fmt(run.rescan.ledger.readCapacity, 1)} RRU) ${run.rescan.ledger.writeCalls} writes (${fmt(run.rescan.ledger.writeCapacity, 1)} WRU)` : ""}${run.problems.length ? `, problems: ${run.problems.join("; ")}` : ""}`,
        );
      }
      return runs;
    };
    const basicRuns: ReportRun[] = [];
    if (parts.has("report") || parts.has("report-ledger")) {
      basicRuns.push(...(await reportRuns("basic-5000", REPORT_RUNS, parts.has("report-ledger"))));
    }
    if (parts.has("report")) {
      for (const kind of ["basic-5000", "enhanced-1000"] as ReportCase[]) {
        const runs = kind === "basic-5000" ? basicRuns : await reportRuns(kind, REPORT_RUNS, false);
        const uncapped = await runReportOnce({
          ...common,
          kind,
          memoryMb: REPORT_MEMORY_MB,
          lambdaHeapLimits: false,
        });
        log(`report ${kind} with Node's default heap limits: peak RSS ${fmt(uncapped.peakRssMb, 1)} MB`);
        // The same report with threat intel off: what the KEV and EPSS look-ups add (the runs above have them).
        const withoutIntel = await runReportOnce({
          ...common,
          kind,
          memoryMb: REPORT_MEMORY_MB,
          lambdaHeapLimits: true,
          intel: false,
        });
        log(
          `report ${kind} without threat intel: ${fmt(withoutIntel.invocationMs)} ms, peak RSS ${fmt(withoutIntel.peakRssMb, 1)} MB (with intel, median ${fmt(spreadOf(runs, (r) => r.invocationMs).median)} ms, ${fmt(spreadOf(runs, (r) => r.peakRssMb).median, 1)} MB)`,
        );
        reports.push(
          summariseReport(
            kind,
            runs,
            uncapped,
            `NODE_OPTIONS="${lambdaNodeOptions(REPORT_MEMORY_MB)}"`,
            memory.sizes["report-findings"],
          ),
        );
      }
      writeJson("report.json", { settings, memorySource: memory.source, cases: reports, runsAreFresh: true });
    }
    if (parts.has("report-ledger")) {
      const typical = await reportRuns("basic-50", REPORT_RUNS, true);
      const withoutLedger = await runReportOnce({
        ...common,
        kind: "basic-5000",
        memoryMb: REPORT_MEMORY_MB,
        lambdaHeapLimits: true,
        ledger: false,
      });
      log(
        `report basic-5000 without the ledger: ${fmt(withoutLedger.invocationMs)} ms, peak RSS ${fmt(withoutLedger.peakRssMb, 1)} MB`,
      );
      ledgerReports.push(summariseLedgerReport("basic-50", typical, undefined));
      ledgerReports.push(summariseLedgerReport("basic-5000", basicRuns, withoutLedger));
      writeJson("report-ledger.json", { settings, cases: ledgerReports });
    }
  } finally {
    await Promise.all([slack.close(), github.close()]);
  }

  // Schedule at scale: the small run first, repeated; then the large one as often as the budget allows.
  const scheduleRun = async (
    repositories: number,
    label: string,
    i: number,
    timeoutMs: number,
    rateLimits: Record<string, number> = RATE_LIMITS,
  ) => {
    log(
      `${label} run ${i}: seeding ${fmt(repositories * 100)} images, then schedule-scans → scan queue → scan-images`,
    );
    const run = await runScheduleOnce({
      repositories,
      imagesPerRepository: 100,
      latencyMs: LATENCY_MS,
      rateLimits,
      distDir: DIST,
      timeoutMs,
      log,
    });
    log(
      `${label} run ${i}: ${fmt(run.wallTimeMs / 1000, 1)} s, ${fmt(run.readCallsPerImage, 4)} read calls/image (floor ${fmt(run.floorCallsPerImage, 4)}), ${fmt(run.scanOutcomes.IN_PROGRESS ?? 0)} scans started, ${fmt(run.throttlesTotal)} throttles, scan-images peak RSS ${fmt(run.peakRssMb.scanImages, 1)} MB${run.drainTimedOut ? ", TIMED OUT" : ""}`,
    );
    return run;
  };

  const schedules: ScheduleResult[] = [];
  let smallResult: ScheduleResult | undefined;
  if (parts.has("schedule")) {
    const small: ScheduleRun[] = [];
    for (let i = 1; i <= SMALL_RUNS; i++) small.push(await scheduleRun(100, "schedule 100×100", i, 300_000));
    smallResult = summariseSchedule(
      "100 × 100",
      small,
      { repositories: 100, imagesPerRepository: 100 },
      settings,
      `${small.length} runs`,
      memory,
    );
    writeJson("schedule-100x100.json", smallResult);
    schedules.push(smallResult);
  }

  // The scheduler in steady state: before the large run, whose first run always happens and is cut at the budget.
  const steadyStates: SteadyStateResult[] = [];
  if (parts.has("steady-state")) {
    const runs: SteadyStateRun[] = [];
    for (let i = 1; i <= STEADY_STATE_RUNS; i++) {
      log(
        `steady state 100×100 run ${i}: seeding 10,000 images scanned within the expiry, then two schedules`,
      );
      const run = await runSteadyStateOnce({
        repositories: 100,
        imagesPerRepository: 100,
        latencyMs: LATENCY_MS,
        rateLimits: RATE_LIMITS,
        distDir: DIST,
        timeoutMs: 300_000,
        log,
      });
      runs.push(run);
      log(
        `steady state 100×100 run ${i}: ${fmt(run.wallTimeMs / 1000, 1)} s, ${fmt(run.readCallsPerImage, 4)} read calls/image (ECR ${fmt(run.ecrReadCallsPerImage, 4)} + DynamoDB ${fmt(run.dynamodbReadCallsPerImage, 4)}), ${fmt(run.scanRequests)} scans of ${fmt(run.scansDue)} due, ${fmt(run.scansOfFreshImages)} of fresh images`,
      );
    }
    const reference = smallResult && {
      readCallsPerImage: smallResult.figures.ecrReadCallsPerImage.median,
      source: "the 100 × 100 schedule run above, whose images the ledger does not know yet",
    };
    steadyStates.push(
      summariseSteadyState(
        "100 × 100",
        runs,
        { repositories: 100, imagesPerRepository: 100 },
        settings,
        `${runs.length} run${runs.length > 1 ? "s" : ""} (each seeds, fills the ledger with a first run, then measures a second run a day later)`,
        reference,
      ),
    );
    writeJson("steady-state-100x100.json", steadyStates[0]);
  }

  let largeResult: ScheduleResult | undefined;
  if (parts.has("schedule")) {
    const small = smallResult?.runs ?? [];
    const large: ScheduleRun[] = [];
    let stopReason = `${LARGE_RUNS_MAX} runs, the most planned`;
    for (let i = 1; i <= LARGE_RUNS_MAX; i++) {
      const remainingS = BUDGET_S - elapsedS();
      const expectedS = large.length
        ? Math.max(...large.map((r) => (r.wallTimeMs + r.seedMs) / 1000)) * 1.1 + 10
        : // Before the first run: ten times the small run, which holds for a single consumer.
          (Math.max(...small.map((r) => r.wallTimeMs)) / 1000) * 10;
      if (i > 1 && expectedS > remainingS) {
        stopReason = `${large.length} run${large.length > 1 ? "s" : ""} only: another (~${fmt(expectedS)} s) would not fit in the ${BUDGET_S} s budget (${fmt(remainingS)} s left), so this run is repeated fewer times than the 100 × 100 one`;
        break;
      }
      // The first large run always happens; its drain stops at the budget rather than overrun it.
      const timeoutMs = Math.max(120_000, (remainingS - 12) * 1000);
      large.push(await scheduleRun(1000, "schedule 1,000×100", i, timeoutMs));
    }
    log(`schedule 1,000×100: ${stopReason}`);
    largeResult = summariseSchedule(
      "1,000 × 100",
      large,
      { repositories: 1000, imagesPerRepository: 100 },
      settings,
      stopReason,
      memory,
    );
    writeJson("schedule-1000x100.json", largeResult);
    schedules.push(largeResult);

    // With the time left: the small run once without rate limits, to show what the throttling costs.
    const smallWallS = smallResult?.figures.wallTimeS.median ?? 0;
    if (smallResult && BUDGET_S - elapsedS() >= smallWallS * 1.5 + 5) {
      const reference = await scheduleRun(100, "schedule 100×100 without rate limits", 1, 120_000, {});
      const referenceResult = summariseSchedule(
        "100 × 100, no rate limits",
        [reference],
        { repositories: 100, imagesPerRepository: 100 },
        { ...settings, rateLimits: {} },
        "1 run, for reference: the same load with no rate limit, so no throttling",
        memory,
      );
      schedules.push(referenceResult);
      writeJson("schedule-100x100.json", { ...smallResult, referenceWithoutRateLimits: referenceResult });
    } else {
      log("no time left for the 100×100 reference run without rate limits");
    }
  }
  // The ledger read at scale: send-digests over 100,000 images, then exposure queries.
  const sections: string[][] = [];
  const ledgerReadGoals: Goal[] = [];
  if (parts.has("digest")) {
    const defaults = sendDigestsDefaults(join(REPO_ROOT, "terraform", "variables.tf"));
    log(
      `digest: ${fmt(DIGEST_SHAPE.repositories * DIGEST_SHAPE.imagesPerRepository)} images, ${DIGEST_RUNS} runs of send-digests' use case (${fmt(defaults.memoryMb)} MB V8 limits)`,
    );
    const bench = await runDigestBench({
      ...DIGEST_SHAPE,
      changeLogEntries: DIGEST_CHANGE_LOG_ENTRIES,
      runs: DIGEST_RUNS,
      latencyMs: LATENCY_MS,
      rateLimits: RATE_LIMITS,
      memoryMb: defaults.memoryMb,
      log,
    });
    const result = summariseDigest(bench, DIGEST_SHAPE, settings, defaults);
    writeJson("digest.json", result);
    sections.push(digestSection(result));
    ledgerReadGoals.push(...result.goals);
  }
  if (parts.has("exposure")) {
    log(
      `exposure: ${fmt(EXPOSED_IMAGES)} images hold the CVE; index of ${EXPOSURE_SIZES.map((n) => fmt(n)).join(" then ")} images, ${EXPOSURE_RUNS} runs per query and size`,
    );
    const bench = await runExposureBench({
      sizes: EXPOSURE_SIZES,
      exposedImages: EXPOSED_IMAGES,
      runs: EXPOSURE_RUNS,
      latencyMs: LATENCY_MS,
      deadlineMs: started + BUDGET_S * 1000,
      log,
    });
    const result = summariseExposure(bench, settings);
    writeJson("exposure.json", result);
    sections.push(exposureSection(result));
    ledgerReadGoals.push(...result.goals);
  }

  const accountsGoals: Goal[] = [];
  if (parts.has("accounts")) {
    const accounts = benchAccounts(SANDBOX_ACCOUNT.accountId, ACCOUNTS_SHAPE.accounts - 1);
    const unreachable = accounts[UNREACHABLE_MEMBER];
    if (!unreachable) throw new Error(`no member ${UNREACHABLE_MEMBER} among ${accounts.length} accounts`);
    const { repositoriesPerAccount, imagesPerRepository } = ACCOUNTS_SHAPE;
    const common = {
      repositoriesPerAccount,
      imagesPerRepository,
      latencyMs: LATENCY_MS,
      rateLimits: RATE_LIMITS,
      distDir: DIST,
      // A stuck message shows as a timed-out run, not as a bench that never ends; a busy machine needs the room.
      timeoutMs: 3_600_000,
      log,
    };
    const partStarted = elapsedS();
    // Each run as it ends, so that a bench stopped midway keeps what it measured.
    const keep = (runs: AccountsRun[]) =>
      writeFileSync(join(OUT, "accounts-runs.json"), `${JSON.stringify(runs, null, 2)}\n`);
    const describe = (label: string, run: AccountsRun) =>
      log(
        `${label}: ${fmt(run.wallTimeMs / 1000, 1)} s (seeded ${fmt(run.images)} images in ${fmt(run.seedMs / 1000, 1)} s), ${fmt(ecrCallsServed(run))} ECR calls served, ${stsIssued(run)} AssumeRole credentials issued of ${stsRequests(run)} asked, ${fmt(run.scansAnswered)}/${fmt(run.scansExpected)} scans answered, ${fmt(run.ecrThrottles)} throttles${run.drainTimedOut ? ", TIMED OUT" : ""}`,
      );
    log(
      `accounts: single-account reference, ${fmt(repositoriesPerAccount)} repositories × ${fmt(imagesPerRepository)} images`,
    );
    const single = await runAccountsOnce(common);
    describe("accounts single-account", single);
    keep([single]);
    const allReachable: AccountsRun[] = [];
    const oneUnreachable: AccountsRun[] = [];
    let stopReason = `${ACCOUNTS_RUNS} all-reachable runs, the most planned`;
    for (let i = 1; i <= ACCOUNTS_RUNS; i++) {
      const longest = Math.max(0, ...allReachable.map((r) => (r.wallTimeMs + r.seedMs) / 1000 + 15));
      const leftS = ACCOUNTS_BUDGET_S - (elapsedS() - partStarted);
      if (i > 1 && longest * 1.1 > leftS) {
        stopReason = `${allReachable.length} all-reachable run${allReachable.length > 1 ? "s" : ""} only: another (~${fmt(longest)} s) would not fit in the part's ${ACCOUNTS_BUDGET_S} s budget (BENCH_ACCOUNTS_BUDGET_S; ${fmt(leftS)} s left)`;
        break;
      }
      log(`accounts all reachable run ${i}/${ACCOUNTS_RUNS}: ${accounts.length} accounts`);
      allReachable.push(await runAccountsOnce({ ...common, accounts }));
      describe(`accounts all reachable run ${i}`, allReachable[allReachable.length - 1] as AccountsRun);
      keep([single, ...allReachable, ...oneUnreachable]);
      if (i === 1) {
        log(
          `accounts with ${unreachable.name} (${unreachable.accountId}) unreachable: its role never set up`,
        );
        oneUnreachable.push(
          await runAccountsOnce({ ...common, accounts, unreachableAccount: unreachable.accountId }),
        );
        describe("accounts one unreachable", oneUnreachable[0] as AccountsRun);
        keep([single, ...allReachable, ...oneUnreachable]);
      }
    }
    log(`accounts: ${stopReason}`);
    const result = summariseAccounts({
      benchmark: `${ACCOUNTS_SHAPE.accounts} accounts × ${repositoriesPerAccount} × ${imagesPerRepository}`,
      shape: ACCOUNTS_SHAPE,
      accounts,
      hubAccountId: SANDBOX_ACCOUNT.accountId,
      single,
      allReachable,
      oneUnreachable,
      settings,
      seedNote:
        "Seed per repository of 100 images, with a 7-day expiry and a daily schedule in mind: 80 % scanned 0.5–6.5 days ago (fresh), 15 % 8–20 days ago (expired), 5 % never scanned (pushed since the last run); every 25th untagged. So 20 % of the images are scanned. Seeded in process (sandbox.ecr.seedImage with the account's registryId), outside the wall time.",
      repetitionNote: `${stopReason}; ${oneUnreachable.length} run with ${unreachable.name}'s role missing (the member module never applied: AssumeRole is refused), after the first; the single-account run seeds ${fmt(repositoriesPerAccount * imagesPerRepository)} images of the same shape in a deployment without \`accounts\`. The hub's functions run with the hub module's roles (AssumeMemberRoles on the members' role ARNs), assume each member's role through the sandbox's STS (ExternalId given) and sign that registry's calls with it. The sandbox's rate limits are per operation and per registry (ECR's quotas are per account and region), so each account has its own budget here.`,
    });
    writeJson("accounts.json", result);
    sections.push(accountsSection(result));
    accountsGoals.push(...result.goals);
  }

  const goals: Goal[] = [
    ...(largeResult?.goals ?? []),
    ...(smallResult?.goals ?? []),
    ...steadyStates.flatMap((r) => r.goals),
    ...reportAndBundleGoals(reports, bundles),
    ...ledgerReportGoals(ledgerReports),
    ...ledgerReadGoals,
    ...accountsGoals,
  ];
  const summary = renderSummary({
    settings,
    schedules,
    reports,
    bundles,
    coldRuns: COLD_START_RUNS,
    goals,
    totalS: elapsedS(),
    steadyStates,
    ledgerReports,
    sections,
  });
  const summaryFile =
    parts.size === DEFAULT_PARTS.length && DEFAULT_PARTS.every((p) => parts.has(p))
      ? "summary.md"
      : "summary-partial.md";
  writeFileSync(join(OUT, summaryFile), summary);
  log(`wrote bench-results/${summaryFile}`);
  console.log(`\n${summary}`);
  for (const g of goals) console.log(`${g.pass ? "PASS" : "FAIL"} ${g.goal}`);
  log(`done in ${fmt(elapsedS())} s`);
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    console.error("bench crashed:", error);
    process.exit(1);
  });
