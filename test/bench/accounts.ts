import { LocalDeployment, startSandbox } from "@ecr-scan-reporter/sandbox";
import {
  type AccountsRun,
  type BenchAccount,
  scannedAt,
  seedAgeOf,
  tallyAssumeRoles,
  tallySigners,
} from "./accounts-results.js";
import { countServedCalls, sumWhere } from "./sandbox-counters.js";

const DAY = 86_400_000;

/** One run of the multi-account benchmark: which accounts, which of them is unreachable, and the sandbox's behaviour. */
export interface AccountsRunOptions {
  /**
   * The configuration's `accounts` (the hub's own entry without a role, members with theirs); undefined: a
   * single-account deployment (no `accounts`), seeded with one account's shape in the sandbox's own registry.
   */
  accounts?: readonly BenchAccount[];
  /** A member whose member module was never applied (no role): AssumeRole of it is refused. */
  unreachableAccount?: string;
  repositoriesPerAccount: number;
  imagesPerRepository: number;
  latencyMs: number;
  rateLimits: Record<string, number>;
  distDir: string;
  timeoutMs: number;
  log: (line: string) => void;
}

const maxRss = (xs: { maxRssKb: number }[]) => Math.max(0, ...xs.map((x) => x.maxRssKb)) / 1024;

/**
 * Seeds every account's registry in process (the sandbox's seeding API, not HTTP), runs schedule-scans once and
 * drains the scan queue through scan-images (one instance of each, with the hub module's roles: AssumeMemberRoles on
 * the members' role ARNs; scans never complete within the run, so no report path runs), and measures it. The
 * functions assume each member's role through the sandbox's STS and sign that registry's ECR calls with it.
 */
export async function runAccountsOnce(options: AccountsRunOptions): Promise<AccountsRun> {
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
    const accounts = options.accounts ?? [];
    const registryIds = options.accounts ? accounts.map((a) => a.accountId) : [sandbox.accountId];
    deployment = new LocalDeployment({
      sandbox,
      distDir: options.distDir,
      config: {
        scan: { expiry: "7d", maxScansPerRun: 5000 },
        ...(options.accounts ? { accounts } : {}),
      },
      // The unreachable member: its member module never applied (no role, and its registry added below).
      ...(options.unreachableAccount ? { membersNotSetUp: [options.unreachableAccount] } : {}),
    });
    // Members the deployment set up have their registry; the unreachable one gets one to hold its images.
    if (options.unreachableAccount) sandbox.ecr.addRegistry(options.unreachableAccount);

    const seedStarted = performance.now();
    const expectedScans = new Set<string>();
    for (const registryId of registryIds) {
      for (let r = 0; r < options.repositoriesPerAccount; r++) {
        const name = `bench/service-${String(r).padStart(4, "0")}`;
        sandbox.ecr.createRepository(name, registryId);
        for (let i = 0; i < options.imagesPerRepository; i++) {
          const completedAt = scannedAt(i, now);
          const digest = sandbox.ecr.seedImage(
            name,
            {
              tags: i % 25 === 24 ? [] : [`v1.${i}.0`],
              pushedAt: new Date(now - (completedAt ? 30 : 1) * DAY),
              lastRecordedPullTime: new Date(now - DAY),
              scan: completedAt ? { status: "COMPLETE", completedAt, findings: [] } : undefined,
            },
            // A manifest of its own per account: the same repository name in two accounts holds other images.
            `${registryId}/${name}#${i}`,
            registryId,
          );
          if (seedAgeOf(i).kind !== "fresh" && registryId !== options.unreachableAccount)
            expectedScans.add(`${registryId}/${name}@${digest}`);
        }
      }
    }
    const seedMs = performance.now() - seedStarted;
    const imagesPerAccount = options.repositoriesPerAccount * options.imagesPerRepository;
    const images = registryIds.length * imagesPerAccount;

    const started = performance.now();
    const schedule = await deployment.runSchedule();
    if (!schedule.ok)
      throw new Error(`schedule-scans failed: ${schedule.errorType}: ${schedule.errorMessage}`);
    const scheduleScansMs = performance.now() - started;
    const stsDuringSchedule = sandbox.sts.calls.length;
    // The repository messages schedule-scans queued, by the account each names (registryId).
    const messagesByAccount: Record<string, number> = {};
    for (const message of deployment.queues.scan.messages) {
      const { registryId } = JSON.parse(message.body) as { registryId?: string };
      const key = registryId ?? "(none)";
      messagesByAccount[key] = (messagesByAccount[key] ?? 0) + 1;
    }
    let lastProgress = performance.now();
    const progress = setInterval(() => {
      if (performance.now() - lastProgress >= 30_000) {
        lastProgress = performance.now();
        options.log(
          `    … ${((performance.now() - started) / 1000).toFixed(0)} s: ${deployment?.queues.scan.messages.length ?? 0} repository messages left, ${sandbox.ecr.scanRequests.length} StartImageScan answers`,
        );
      }
    }, 1_000);
    const drain = await deployment
      .drain({ timeoutMs: options.timeoutMs, waitForScans: false })
      .finally(() => clearInterval(progress));
    const wallTimeMs = performance.now() - started;

    const { received, served } = tally();
    const isEcr = (k: string) => k.startsWith("ecr:");
    const lastOutcome = new Map<string, string>();
    const scanOutcomes: Record<string, number> = {};
    for (const s of sandbox.ecr.scanRequests) {
      lastOutcome.set(`${s.registryId}/${s.repositoryName}@${s.imageDigest}`, s.outcome);
      scanOutcomes[s.outcome] = (scanOutcomes[s.outcome] ?? 0) + 1;
    }
    let scansAnswered = 0;
    for (const key of expectedScans) {
      const outcome = lastOutcome.get(key);
      if (outcome === "IN_PROGRESS" || outcome === "LimitExceededException") scansAnswered += 1;
    }

    const { scheduleScans, scanImages } = deployment.functions;
    const summaryLine = scheduleScans.jsonLogs().find((l) => l.message === "schedule-scans summary");
    const summary = (summaryLine?.summary ?? {}) as {
      accountsUnreachable?: { accountId: string; name?: string; reason: string }[];
    };
    let messagesRetried = 0;
    for (const line of scanImages.jsonLogs()) {
      if (line.message === "scan-images summary")
        messagesRetried += (line.summary as { messagesRetried: number }).messagesRetried;
    }
    const queuesLeft =
      deployment.queues.scan.messages.length +
      deployment.queues.scanDlq.messages.length +
      deployment.queues.scheduleDlq.messages.length;
    return {
      kind: options.accounts
        ? options.unreachableAccount
          ? "one-unreachable"
          : "all-reachable"
        : "single-account",
      accounts: registryIds.length,
      ...(options.unreachableAccount ? { unreachableAccount: options.unreachableAccount } : {}),
      images,
      reachableImages: images - (options.unreachableAccount ? imagesPerAccount : 0),
      seedMs,
      wallTimeMs,
      scheduleScansMs,
      ecrCallsByAccount: structuredClone(sandbox.ecr.callsByAccount),
      ecrThrottles: sumWhere(received, isEcr) - sumWhere(served, isEcr),
      sts: {
        scheduleScans: tallyAssumeRoles(sandbox.sts.calls.slice(0, stsDuringSchedule)),
        scanImages: tallyAssumeRoles(sandbox.sts.calls.slice(stsDuringSchedule)),
      },
      signers: tallySigners(sandbox.iam.decisions, sandbox.sts.sessions, sandbox.accountId),
      summaryUnreachable: summary.accountsUnreachable ?? [],
      scansExpected: expectedScans.size,
      scansAnswered,
      scanOutcomes,
      messagesByAccount,
      failedInvocations: [...scheduleScans.invocations, ...scanImages.invocations].filter((i) => !i.ok)
        .length,
      messagesRetried,
      drainTimedOut: drain.timedOut,
      queuesLeft,
      peakRssMb: {
        scheduleScans: maxRss(scheduleScans.invocations),
        scanImages: maxRss(scanImages.invocations),
      },
      invocations: {
        scheduleScans: scheduleScans.invocations.length,
        scanImages: scanImages.invocations.length,
      },
    };
  } finally {
    await deployment?.close();
    await sandbox.close();
  }
}
