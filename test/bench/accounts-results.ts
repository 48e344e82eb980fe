// The multi-account benchmark's pure parts: the accounts and image ages it seeds, how its STS and ECR records are
// counted, its figures over the runs, its goals and its Markdown section (accounts.ts runs it).
import { type BenchSettings, fmt, fmtSpread, type Goal } from "./results.js";
import { type Spread, spread, spreadOf } from "./stats.js";

const DAY = 86_400_000;
const row = (cells: string[]) => `| ${cells.join(" | ")} |`;

/** The member module's default role name (terraform/modules/member-account `role_name`). */
export const MEMBER_ROLE_NAME = "ecr-scan-reporter-member";

/** One entry of the bench's `accounts`: the configuration's shape. */
export interface BenchAccount {
  accountId: string;
  name: string;
  /** Absent for the hub's own entry, read with the functions' own credentials. */
  roleArn?: string;
  externalId?: string;
}

/**
 * The hub's own account and `members` member accounts (210000000001, 210000000002, …), each member with the member
 * module's role and an ExternalId of its own, as a hub module renders `accounts` from `member_accounts`.
 */
export function benchAccounts(hubAccountId: string, members: number): BenchAccount[] {
  const entries: BenchAccount[] = [{ accountId: hubAccountId, name: "hub" }];
  for (let m = 1; m <= members; m++) {
    const suffix = String(m).padStart(2, "0");
    const accountId = `2100000000${suffix}`;
    entries.push({
      accountId,
      name: `member-${suffix}`,
      roleArn: `arn:aws:iam::${accountId}:role/${MEMBER_ROLE_NAME}`,
      externalId: `ecr-scan-reporter-bench-${suffix}`,
    });
  }
  return entries;
}

/**
 * The last scan of image `i` of a repository under a 7-day expiry and a daily schedule, so that a run plans what a
 * daily run meets: 80 % scanned 0.5–6.5 days ago (fresh), 15 % scanned 8–20 days ago (expired: a schedule that was
 * paused, or images ECR's 14-day-style gaps left behind), 5 % never scanned (pushed since the last run). Pure.
 */
export function seedAgeOf(i: number): { kind: "fresh" | "expired" | "never"; scannedDaysAgo?: number } {
  const slot = i % 20;
  if (slot === 0) return { kind: "never" };
  if (slot <= 3) return { kind: "expired", scannedDaysAgo: 8 + (i % 13) };
  return { kind: "fresh", scannedDaysAgo: 0.5 + (i % 7) };
}

/** The scan completion time of a seeded image, or undefined for one never scanned. */
export function scannedAt(i: number, nowMs: number): Date | undefined {
  const age = seedAgeOf(i);
  return age.scannedDaysAgo === undefined ? undefined : new Date(nowMs - age.scannedDaysAgo * DAY);
}

/** The account of an IAM or STS ARN (arn:aws:iam::123456789012:role/…), if it names one. */
export function accountOfArn(arn: string): string | undefined {
  const account = arn.split(":")[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** AssumeRole answers per member account, by outcome ("issued" or the error code). */
export type StsTally = Record<string, Record<string, number>>;

/** Counts AssumeRole records by the role's account and outcome. Pure. */
export function tallyAssumeRoles(calls: readonly { roleArn: string; outcome: string }[]): StsTally {
  const tally: StsTally = {};
  for (const call of calls) {
    const account = accountOfArn(call.roleArn) ?? call.roleArn;
    const byOutcome = tally[account] ?? {};
    byOutcome[call.outcome] = (byOutcome[call.outcome] ?? 0) + 1;
    tally[account] = byOutcome;
  }
  return tally;
}

/** Whose credentials signed the ECR requests on each registry. */
export interface SignerTally {
  /** Requests on a member registry signed with a session of that member's role (what the design requires). */
  memberWithOwnSession: number;
  /** Requests on a member registry signed with anything else (the hub's own role, another member's session). */
  memberWithOtherCredentials: number;
  /** Requests on the hub's registry signed with a hub function role. */
  hubWithFunctionRole: number;
  /** ECR requests the sandbox's IAM denied. */
  denied: number;
}

/**
 * Classifies the sandbox's IAM decisions on ECR repositories by the registry's account and the signer: a member's
 * registry must only be read with a session STS issued for that member's role. Requests on "*" (the registry's
 * scanning configuration) name no account and are left out. Pure.
 */
export function tallySigners(
  decisions: readonly { service: string; resource: string; accessKeyId: string; allowed: boolean }[],
  sessions: readonly { accessKeyId: string; arn: string }[],
  hubAccountId: string,
): SignerTally {
  const sessionAccount = new Map(sessions.map((s) => [s.accessKeyId, accountOfArn(s.arn)]));
  const tally: SignerTally = {
    memberWithOwnSession: 0,
    memberWithOtherCredentials: 0,
    hubWithFunctionRole: 0,
    denied: 0,
  };
  for (const d of decisions) {
    if (d.service !== "ecr") continue;
    if (!d.allowed) tally.denied += 1;
    const registry = accountOfArn(d.resource);
    if (registry === undefined) continue;
    if (registry === hubAccountId) {
      if (!sessionAccount.has(d.accessKeyId)) tally.hubWithFunctionRole += 1;
      continue;
    }
    if (sessionAccount.get(d.accessKeyId) === registry) tally.memberWithOwnSession += 1;
    else tally.memberWithOtherCredentials += 1;
  }
  return tally;
}

/** ECR read calls: everything the scan path asks ECR but StartImageScan (as the schedule part counts them). */
export const isEcrRead = (operation: string) => operation !== "StartImageScan";

const sum = (record: Record<string, number> | undefined, keep: (key: string) => boolean = () => true) =>
  Object.entries(record ?? {}).reduce((n, [k, v]) => (keep(k) ? n + v : n), 0);

/** One run of the multi-account benchmark, as accounts.ts measures it. */
export interface AccountsRun {
  kind: "single-account" | "all-reachable" | "one-unreachable";
  accounts: number;
  /** The member account whose role was never set up, in the one-unreachable run. */
  unreachableAccount?: string;
  images: number;
  /** Images of the accounts the run could reach (all of them but the unreachable account's). */
  reachableImages: number;
  seedMs: number;
  wallTimeMs: number;
  scheduleScansMs: number;
  /** Served ECR calls per registry account, per operation (sandbox.ecr.callsByAccount). */
  ecrCallsByAccount: Record<string, Record<string, number>>;
  /** ECR requests answered with a throttle (or a denial): received − served, all accounts. */
  ecrThrottles: number;
  /** AssumeRole answers per member account: during schedule-scans' run, and scan-images' drain. */
  sts: { scheduleScans: StsTally; scanImages: StsTally };
  signers: SignerTally;
  /** What schedule-scans' summary named unreachable. */
  summaryUnreachable: { accountId: string; name?: string; reason: string }[];
  scansExpected: number;
  /** Expected scans whose last StartImageScan answer was IN_PROGRESS or LimitExceeded (answered). */
  scansAnswered: number;
  scanOutcomes: Record<string, number>;
  /** Repository messages queued per account (the scan messages' registryId). */
  messagesByAccount: Record<string, number>;
  failedInvocations: number;
  messagesRetried: number;
  drainTimedOut: boolean;
  queuesLeft: number;
  peakRssMb: { scheduleScans: number; scanImages: number };
  invocations: { scheduleScans: number; scanImages: number };
}

/** ECR read calls per image of some accounts of a run (each account's own images). */
export function readCallsPerImage(run: AccountsRun, accounts: readonly string[], imagesPerAccount: number) {
  const reads = accounts.reduce((n, a) => n + sum(run.ecrCallsByAccount[a], isEcrRead), 0);
  return accounts.length === 0 ? 0 : reads / (accounts.length * imagesPerAccount);
}

/** ECR calls served in a run, every registry and operation (StartImageScan included). */
export function ecrCallsServed(run: AccountsRun): number {
  return Object.values(run.ecrCallsByAccount).reduce((n, calls) => n + sum(calls), 0);
}

/** Issued AssumeRole credentials in a run, both containers. */
export function stsIssued(run: AccountsRun): number {
  return [run.sts.scheduleScans, run.sts.scanImages].reduce(
    (n, tally) => n + Object.values(tally).reduce((m, byOutcome) => m + (byOutcome.issued ?? 0), 0),
    0,
  );
}

/** Every AssumeRole request in a run, issued or refused. */
export function stsRequests(run: AccountsRun): number {
  return [run.sts.scheduleScans, run.sts.scanImages].reduce(
    (n, tally) => n + Object.values(tally).reduce((m, byOutcome) => m + sum(byOutcome), 0),
    0,
  );
}

export interface AccountsShape {
  accounts: number;
  repositoriesPerAccount: number;
  imagesPerRepository: number;
}

export interface AccountsResult {
  benchmark: string;
  shape: AccountsShape & { images: number };
  settings: BenchSettings;
  seedNote: string;
  repetitionNote: string;
  figures: {
    /** The single-account run of one account's shape (today's deployment, no `accounts`). */
    singleAccount: { readCallsPerImage: number; wallTimeS: number; images: number };
    wallTimeS: Spread;
    seedS: Spread;
    imagesPerSecond: Spread;
    /** ECR read calls per image, all accounts. */
    readCallsPerImage: Spread;
    /** Per account: the median over the all-reachable runs of its read calls per image, and its calls by operation. */
    perAccount: {
      accountId: string;
      name: string;
      readCallsPerImage: number;
      calls: Record<string, number>;
    }[];
    startImageScanPerImage: Spread;
    ecrThrottles: Spread;
    /** AssumeRole credentials issued per run, per member account per container, and per image. */
    stsIssued: Spread;
    stsPerMemberPerContainer: Spread;
    stsPerImage: Spread;
    /** ECR read calls + every AssumeRole request, per image. */
    callsPerImageWithSts: Spread;
    ratioToSingleAccount: Spread;
    signers: SignerTally;
    scansExpected: Spread;
    scansAnswered: Spread;
    peakRssMb: { scheduleScans: Spread; scanImages: Spread };
  };
  unreachable?: {
    accountId: string;
    name: string;
    wallTimeS: Spread;
    /** Wall time against the all-reachable median, whole and per image of the accounts it reached. */
    wallTimeRatio: Spread;
    wallTimePerReachableImageRatio: Spread;
    /** The reachable accounts' read calls per image against the same accounts' in the all-reachable runs. */
    othersReadCallsPerImage: Spread;
    othersCallsRatio: Spread;
    /** AssumeRole requests for the unreachable account, and the ECR calls on its registry (must be none). */
    assumeRolesOfUnreachable: Spread;
    ecrCallsOnUnreachable: Spread;
    summaryNamesIt: boolean;
    reason: string;
  };
  goals: Goal[];
  runs: AccountsRun[];
}

/** Goals of the multi-account benchmark. */
export const CALLS_RATIO_GOAL = 1.1;
export const UNREACHABLE_WALL_TIME_GOAL = 1.25;

/**
 * Medians, ratios and goals of the multi-account runs: the all-reachable runs against the single-account run of one
 * account's shape, and the one-unreachable runs against the all-reachable median. Pure.
 */
export function summariseAccounts(input: {
  benchmark: string;
  shape: AccountsShape;
  accounts: readonly BenchAccount[];
  hubAccountId: string;
  single: AccountsRun;
  allReachable: readonly AccountsRun[];
  oneUnreachable: readonly AccountsRun[];
  settings: BenchSettings;
  seedNote: string;
  repetitionNote: string;
}): AccountsResult {
  const { shape, accounts, single, allReachable, oneUnreachable } = input;
  const imagesPerAccount = shape.repositoriesPerAccount * shape.imagesPerRepository;
  const images = shape.accounts * imagesPerAccount;
  const ids = accounts.map((a) => a.accountId);
  const members = accounts.filter((a) => a.roleArn).length;
  const containers = 2;
  const singleReads = readCallsPerImage(single, [input.hubAccountId], imagesPerAccount);
  const readCalls = spreadOf(allReachable, (r) => readCallsPerImage(r, ids, imagesPerAccount));
  const withSts = spreadOf(
    allReachable,
    (r) => readCallsPerImage(r, ids, imagesPerAccount) + stsRequests(r) / r.images,
  );
  const ratio = spreadOf(
    allReachable,
    (r) => (readCallsPerImage(r, ids, imagesPerAccount) + stsRequests(r) / r.images) / singleReads,
  );
  const wallTimeS = spreadOf(allReachable, (r) => r.wallTimeMs / 1000);
  const signers = allReachable.reduce<SignerTally>(
    (t, r) => ({
      memberWithOwnSession: t.memberWithOwnSession + r.signers.memberWithOwnSession,
      memberWithOtherCredentials: t.memberWithOtherCredentials + r.signers.memberWithOtherCredentials,
      hubWithFunctionRole: t.hubWithFunctionRole + r.signers.hubWithFunctionRole,
      denied: t.denied + r.signers.denied,
    }),
    { memberWithOwnSession: 0, memberWithOtherCredentials: 0, hubWithFunctionRole: 0, denied: 0 },
  );
  const perAccount = accounts.map((a) => {
    const operations = [
      ...new Set(allReachable.flatMap((r) => Object.keys(r.ecrCallsByAccount[a.accountId] ?? {}))),
    ];
    return {
      accountId: a.accountId,
      name: a.name,
      readCallsPerImage: spreadOf(allReachable, (r) => readCallsPerImage(r, [a.accountId], imagesPerAccount))
        .median,
      calls: Object.fromEntries(
        operations
          .sort()
          .map((op) => [
            op,
            spreadOf(allReachable, (r) => r.ecrCallsByAccount[a.accountId]?.[op] ?? 0).median,
          ]),
      ),
    };
  });

  const goals: Goal[] = [];
  goals.push({
    goal: `${input.benchmark}: ECR read calls + AssumeRole calls per image ≤ ${CALLS_RATIO_GOAL} × the single-account figure`,
    pass: ratio.max <= CALLS_RATIO_GOAL,
    detail: `${fmt(withSts.max, 5)} per image (ECR ${fmt(readCalls.max, 5)} + STS ${fmt(spreadOf(allReachable, (r) => stsRequests(r) / r.images).max, 5)}) against ${fmt(singleReads, 5)} for one account: ×${fmt(ratio.max, 4)} (worst of ${allReachable.length} run(s))`,
  });
  goals.push({
    goal: `${input.benchmark}: every member registry read only with its own role's session`,
    pass:
      signers.memberWithOtherCredentials === 0 && signers.denied === 0 && signers.memberWithOwnSession > 0,
    detail: `${fmt(signers.memberWithOwnSession)} member-registry requests with the member's session, ${fmt(signers.memberWithOtherCredentials)} with other credentials, ${fmt(signers.denied)} ECR denials (all runs)`,
  });
  const lost = allReachable.filter(
    (r) =>
      r.drainTimedOut || r.queuesLeft > 0 || r.scansAnswered < r.scansExpected || r.failedInvocations > 0,
  );
  goals.push({
    goal: `${input.benchmark}: every planned scan of every account answered, queues empty, no failed invocation`,
    pass: lost.length === 0,
    detail: lost.length
      ? lost
          .map(
            (r) =>
              `${fmt(r.scansAnswered)} of ${fmt(r.scansExpected)} scans answered, ${r.queuesLeft} messages left, ${r.failedInvocations} failed invocations${r.drainTimedOut ? ", timed out" : ""}`,
          )
          .join("; ")
      : `${fmt(spreadOf(allReachable, (r) => r.scansExpected).median)} scans answered in each run`,
  });

  let unreachable: AccountsResult["unreachable"];
  if (oneUnreachable.length > 0) {
    const accountId = oneUnreachable[0]?.unreachableAccount ?? "";
    const name = accounts.find((a) => a.accountId === accountId)?.name ?? accountId;
    const others = ids.filter((id) => id !== accountId);
    const othersInAll = spread(
      allReachable.map((r) => readCallsPerImage(r, others, imagesPerAccount)),
    ).median;
    const wallMedianMs = wallTimeS.median * 1000;
    const perImageMedian = spread(allReachable.map((r) => r.wallTimeMs / r.reachableImages)).median;
    const othersReads = spreadOf(oneUnreachable, (r) => readCallsPerImage(r, others, imagesPerAccount));
    const othersCallsRatio = spreadOf(
      oneUnreachable,
      (r) => readCallsPerImage(r, others, imagesPerAccount) / othersInAll,
    );
    const perImageRatio = spreadOf(oneUnreachable, (r) => r.wallTimeMs / r.reachableImages / perImageMedian);
    const named = oneUnreachable.every((r) => r.summaryUnreachable.some((u) => u.accountId === accountId));
    const notRead = oneUnreachable.every(
      (r) => sum(r.ecrCallsByAccount[accountId]) === 0 && (r.messagesByAccount[accountId] ?? 0) === 0,
    );
    unreachable = {
      accountId,
      name,
      wallTimeS: spreadOf(oneUnreachable, (r) => r.wallTimeMs / 1000),
      wallTimeRatio: spreadOf(oneUnreachable, (r) => r.wallTimeMs / wallMedianMs),
      wallTimePerReachableImageRatio: perImageRatio,
      othersReadCallsPerImage: othersReads,
      othersCallsRatio,
      assumeRolesOfUnreachable: spreadOf(oneUnreachable, (r) =>
        [r.sts.scheduleScans, r.sts.scanImages].reduce((n, t) => n + sum(t[accountId]), 0),
      ),
      ecrCallsOnUnreachable: spreadOf(oneUnreachable, (r) => sum(r.ecrCallsByAccount[accountId])),
      summaryNamesIt: named,
      reason: oneUnreachable[0]?.summaryUnreachable.find((u) => u.accountId === accountId)?.reason ?? "",
    };
    goals.push({
      goal: `${input.benchmark}: with ${name} unreachable, the others' wall time per image ≤ ${UNREACHABLE_WALL_TIME_GOAL} × the all-reachable median`,
      pass: perImageRatio.max <= UNREACHABLE_WALL_TIME_GOAL,
      detail: `×${fmt(perImageRatio.max, 3)} per image of the ${others.length} accounts reached (whole run ${fmt(unreachable.wallTimeS.max, 1)} s against ${fmt(wallTimeS.median, 1)} s: ×${fmt(unreachable.wallTimeRatio.max, 3)})`,
    });
    goals.push({
      goal: `${input.benchmark}: with ${name} unreachable, the others' ECR calls per image no more than when all are reachable`,
      pass: othersCallsRatio.max <= 1.001,
      detail: `${fmt(othersReads.max, 5)} against ${fmt(othersInAll, 5)}: ×${fmt(othersCallsRatio.max, 5)}`,
    });
    goals.push({
      goal: `${input.benchmark}: the unreachable account is named in schedule-scans' summary and never read`,
      pass: named && notRead && oneUnreachable.every((r) => r.queuesLeft === 0 && !r.drainTimedOut),
      detail: `named in ${oneUnreachable.filter((r) => r.summaryUnreachable.some((u) => u.accountId === accountId)).length} of ${oneUnreachable.length} run(s) (${unreachable.reason}); ${fmt(unreachable.ecrCallsOnUnreachable.max)} ECR calls on its registry, ${fmt(spreadOf(oneUnreachable, (r) => r.messagesByAccount[accountId] ?? 0).max)} scan messages for it`,
    });
  }

  return {
    benchmark: input.benchmark,
    shape: { ...shape, images },
    settings: input.settings,
    seedNote: input.seedNote,
    repetitionNote: input.repetitionNote,
    figures: {
      singleAccount: {
        readCallsPerImage: singleReads,
        wallTimeS: single.wallTimeMs / 1000,
        images: single.images,
      },
      wallTimeS,
      seedS: spreadOf(allReachable, (r) => r.seedMs / 1000),
      imagesPerSecond: spreadOf(allReachable, (r) => r.images / (r.wallTimeMs / 1000)),
      readCallsPerImage: readCalls,
      perAccount,
      startImageScanPerImage: spreadOf(
        allReachable,
        (r) => ids.reduce((n, a) => n + (r.ecrCallsByAccount[a]?.StartImageScan ?? 0), 0) / r.images,
      ),
      ecrThrottles: spreadOf(allReachable, (r) => r.ecrThrottles),
      stsIssued: spreadOf(allReachable, stsIssued),
      stsPerMemberPerContainer: spreadOf(allReachable, (r) => stsIssued(r) / (members * containers)),
      stsPerImage: spreadOf(allReachable, (r) => stsRequests(r) / r.images),
      callsPerImageWithSts: withSts,
      ratioToSingleAccount: ratio,
      signers,
      scansExpected: spreadOf(allReachable, (r) => r.scansExpected),
      scansAnswered: spreadOf(allReachable, (r) => r.scansAnswered),
      peakRssMb: {
        scheduleScans: spreadOf(allReachable, (r) => r.peakRssMb.scheduleScans),
        scanImages: spreadOf(allReachable, (r) => r.peakRssMb.scanImages),
      },
    },
    ...(unreachable ? { unreachable } : {}),
    goals,
    runs: [single, ...allReachable, ...oneUnreachable],
  };
}

/** An unreachable account's reason cut to its first sentence (AWS's message follows, with the fix to apply). */
export function shortReason(reason: string, max = 200): string {
  const first = reason.split(/(?<=[^.]\.)\s/)[0] ?? reason;
  return first.length > max ? `${first.slice(0, max - 1)}…` : first;
}

/** The multi-account section of the summary. */
export function accountsSection(r: AccountsResult): string[] {
  const f = r.figures;
  const s = r.shape;
  const lines = [
    `## Multi-account: ${s.accounts} accounts × ${fmt(s.repositoriesPerAccount)} repositories × ${fmt(s.imagesPerRepository)} images (${fmt(s.images)} images)`,
    "",
  ];
  lines.push(row(["", `all reachable (${f.wallTimeS.n} run${f.wallTimeS.n > 1 ? "s" : ""})`]));
  lines.push(row(["---", "---:"]));
  const add = (label: string, value: string) => lines.push(row([label, value]));
  add("wall time, schedule-scans → scan-images drained (s)", fmtSpread(f.wallTimeS, 1));
  add("images per second", fmtSpread(f.imagesPerSecond));
  add("ECR read calls per image, all accounts", fmtSpread(f.readCallsPerImage, 5));
  add("STS AssumeRole credentials issued per run", fmtSpread(f.stsIssued));
  add(
    "  per member account per container (schedule-scans, scan-images)",
    fmtSpread(f.stsPerMemberPerContainer, 2),
  );
  add("  AssumeRole calls per image", fmtSpread(f.stsPerImage, 6));
  add("ECR read + AssumeRole calls per image", fmtSpread(f.callsPerImageWithSts, 5));
  add(
    `single account, ${fmt(f.singleAccount.images)} images of the same shape (1 run): read calls per image; wall time`,
    `${fmt(f.singleAccount.readCallsPerImage, 5)}; ${fmt(f.singleAccount.wallTimeS, 1)} s`,
  );
  add("ratio to the single-account figure", `×${fmtSpread(f.ratioToSingleAccount, 4)}`);
  add(
    "StartImageScan per image; throttling answers (all ECR)",
    `${fmtSpread(f.startImageScanPerImage, 3)}; ${fmtSpread(f.ecrThrottles)}`,
  );
  add("scans planned / answered", `${fmtSpread(f.scansExpected)} / ${fmtSpread(f.scansAnswered)}`);
  add(
    "member-registry requests signed with the member's session / other credentials; ECR denials",
    `${fmt(f.signers.memberWithOwnSession)} / ${fmt(f.signers.memberWithOtherCredentials)}; ${fmt(f.signers.denied)}`,
  );
  add(
    "peak RSS schedule-scans / scan-images (MB)",
    `${fmtSpread(f.peakRssMb.scheduleScans)} / ${fmtSpread(f.peakRssMb.scanImages)}`,
  );
  add("seeding (in-process, not measured) (s)", fmtSpread(f.seedS, 1));
  lines.push("");
  lines.push(row(["account", "read calls per image", "calls by operation (median)"]));
  lines.push(row(["---", "---:", "---"]));
  for (const a of f.perAccount) {
    lines.push(
      row([
        `${a.name} (${a.accountId})`,
        fmt(a.readCallsPerImage, 5),
        Object.entries(a.calls)
          .map(([op, n]) => `${op} ${fmt(n)}`)
          .join(", "),
      ]),
    );
  }
  lines.push("");
  const u = r.unreachable;
  if (u) {
    lines.push(
      row([
        "",
        `${u.name} (${u.accountId}) unreachable (${u.wallTimeS.n} run${u.wallTimeS.n > 1 ? "s" : ""})`,
      ]),
    );
    lines.push(row(["---", "---:"]));
    lines.push(
      row([
        "wall time (s); against the all-reachable median",
        `${fmtSpread(u.wallTimeS, 1)}; ×${fmtSpread(u.wallTimeRatio, 3)}`,
      ]),
    );
    lines.push(
      row([
        "wall time per image of the accounts reached, against all reachable",
        `×${fmtSpread(u.wallTimePerReachableImageRatio, 3)}`,
      ]),
    );
    lines.push(
      row([
        "the others' ECR read calls per image; against all reachable",
        `${fmtSpread(u.othersReadCallsPerImage, 5)}; ×${fmtSpread(u.othersCallsRatio, 5)}`,
      ]),
    );
    lines.push(
      row([
        "AssumeRole requests for it (refused); ECR calls on its registry",
        `${fmtSpread(u.assumeRolesOfUnreachable)}; ${fmtSpread(u.ecrCallsOnUnreachable)}`,
      ]),
    );
    lines.push(
      row([
        "named in schedule-scans' summary (accountsUnreachable)",
        u.summaryNamesIt ? `yes: ${shortReason(u.reason)}` : "no",
      ]),
    );
    lines.push("");
  }
  lines.push(`- ${r.seedNote}`, `- ${r.repetitionNote}`, "");
  return lines;
}
