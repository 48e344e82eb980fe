import { join } from "node:path";
import {
  type BasicFinding,
  type IamPrincipal,
  LocalDeployment,
  loadModulePolicies,
  localDeploymentNames,
  type PublishedMessage,
  type Sandbox,
  startSandbox,
} from "@ecr-scan-reporter/sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/bundles.js";

// One hub deployment covering its own registry and two member accounts (issue [8/8]), on the sandbox: the built
// bundles run with the IAM policies the hub module renders with member accounts (module-policies.json
// `multi_account`), assume the member roles through the sandbox's STS, and the sandbox accepts each registry's calls
// only with credentials of that account's role.

const DIST = join(REPO_ROOT, "terraform", "dist");
const DRAIN = { timeoutMs: 120_000 };
const TIMEOUT_MS = 240_000;
const DAY = 86_400_000;

/** The accounts the hub module renders for its multi_account plan: the hub's own entry, team-a and team-b. */
const RENDERED_ACCOUNTS = (
  loadModulePolicies().deployments.multi_account.config as unknown as {
    accounts: { accountId: string; roleArn?: string; externalId?: string; name?: string }[];
  }
).accounts;
const HUB = "123456789012";
const TEAM_A = "210987654321";
const TEAM_B = "345678901234";
const UNLISTED = "456789012345";
const MEMBER_ROLE_SESSION = "ecr-scan-reporter";

const CRITICAL_FINDING: BasicFinding = {
  name: "CVE-2021-44228",
  uri: "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
  severity: "CRITICAL",
  description: "CVE-2021-44228 in log4j-core",
  attributes: [
    { key: "package_name", value: "log4j-core" },
    { key: "package_version", value: "2.14.1" },
  ],
};

/** Repositories per account; `shop/api` is in two registries: the same name, two images, two reports. */
const REPOSITORIES: Record<string, string[]> = {
  [HUB]: ["shop/api", "platform/base"],
  [TEAM_A]: ["shop/api", "team-a/worker"],
  [TEAM_B]: ["payments/core"],
};

interface Flow {
  sandbox: Sandbox;
  deployment: LocalDeployment;
  /** The digest of each seeded image, by account. */
  digests: Record<string, string[]>;
}

const flows: Flow[] = [];
afterEach(async () => {
  for (const flow of flows.splice(0)) {
    await flow.deployment.close();
    await flow.sandbox.close();
  }
});

/** Seeds one image never scanned and pulled lately in each of the account's repositories. */
function seedAccount(sandbox: Sandbox, accountId: string, repositories: readonly string[]): string[] {
  return repositories.map((name) => {
    sandbox.ecr.createRepository(name, accountId);
    return sandbox.ecr.seedImage(
      name,
      { tags: ["v1"], lastRecordedPullTime: new Date(sandbox.now() - 2 * DAY) },
      `${accountId}/${name}/v1`,
      accountId,
    );
  });
}

async function deploy(
  options: {
    accounts?: typeof RENDERED_ACCOUNTS;
    /** Registers member accounts (or anything else) before the deployment does. */
    before?: (sandbox: Sandbox) => void;
    membersNotSetUp?: string[];
    /** Accounts with a registry to seed (default: every account of REPOSITORIES the sandbox has). */
    seed?: string[];
  } = {},
): Promise<Flow> {
  // Every scan finds a CRITICAL: each report is due, so each goes to SNS and e-mail.
  const sandbox = await startSandbox({ scanDurationMs: 150, findingsFor: () => [CRITICAL_FINDING] });
  options.before?.(sandbox);
  const topicArn = sandbox.sns.createTopic(localDeploymentNames().topicName);
  sandbox.ses.verifyIdentity("acme.example");
  const deployment = new LocalDeployment({
    sandbox,
    distDir: DIST,
    config: {
      accounts: options.accounts ?? RENDERED_ACCOUNTS,
      scan: { expiry: "7d", onlyPulledWithin: "90d" },
      thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: null, LOW: null },
      reporters: [
        { use: "sns", options: { topicArn } },
        { use: "email", options: { from: "scans@acme.example", to: ["security@acme.example"] } },
        { use: "metrics" },
      ],
    },
    membersNotSetUp: options.membersNotSetUp,
  });
  const digests: Record<string, string[]> = {};
  for (const [accountId, repositories] of Object.entries(REPOSITORIES)) {
    if (options.seed && !options.seed.includes(accountId)) continue;
    if (!sandbox.ecr.registryIds.includes(accountId)) continue;
    digests[accountId] = seedAccount(sandbox, accountId, repositories);
  }
  const flow = { sandbox, deployment, digests };
  flows.push(flow);
  return flow;
}

/** Whose credentials an access key id is: a function's role (the hub's) or an STS session of a member role. */
function principalsOf(flow: Flow): Map<string, IamPrincipal> {
  const principals = new Map<string, IamPrincipal>();
  for (const p of Object.values(flow.deployment.principals)) if (p) principals.set(p.accessKeyId, p);
  for (const p of flow.sandbox.sts.sessions) principals.set(p.accessKeyId, p);
  return principals;
}

const accountOf = (arn: string) => arn.split(":")[4] ?? "";

/** The ECR calls the sandbox authorized, each with who signed it. */
function ecrDecisions(flow: Flow) {
  const principals = principalsOf(flow);
  return flow.sandbox.iam.decisions
    .filter((d) => d.service === "ecr")
    .map((d) => ({ ...d, principal: principals.get(d.accessKeyId) }));
}

/** The digests scan-images started a scan of, by registry. */
function scansStarted(flow: Flow): Record<string, string[]> {
  const started: Record<string, string[]> = {};
  for (const r of flow.sandbox.ecr.scanRequests.filter((r) => r.outcome === "IN_PROGRESS"))
    started[r.registryId] = [...(started[r.registryId] ?? []), r.imageDigest].sort();
  return started;
}

const sorted = (record: Record<string, string[]>) =>
  Object.fromEntries(Object.entries(record).map(([k, v]) => [k, [...v].sort()]));

/** The SNS messages about one image (its digest is in the message). */
const messagesAbout = (flow: Flow, digest: string): PublishedMessage[] =>
  flow.sandbox.sns.published.filter((m) => m.message.includes(digest));

function scheduleSummary(flow: Flow) {
  const line = flow.deployment.functions.scheduleScans
    .jsonLogs()
    .find((l) => l.message === "schedule-scans summary");
  return line?.summary as
    | {
        accounts?: number;
        accountsReached?: number;
        accountsUnreachable?: { accountId: string; name?: string; reason: string }[];
      }
    | undefined;
}

/** The AccountsUnreachable metric of schedule-scans' EMF lines. */
function accountsUnreachableMetric(flow: Flow): number | undefined {
  const emf = flow.deployment.functions.scheduleScans.jsonLogs().find((l) => "AccountsUnreachable" in l);
  return emf?.AccountsUnreachable as number | undefined;
}

describe("one hub deployment for several accounts (issue [8/8])", { timeout: TIMEOUT_MS }, () => {
  it("scans two member accounts and the hub's own registry in one run, each with its own credentials", async () => {
    expect(RENDERED_ACCOUNTS.map((a) => a.accountId)).toEqual([HUB, TEAM_A, TEAM_B]);
    const flow = await deploy();
    const { sandbox, deployment } = flow;
    expect((await deployment.runSchedule()).ok).toBe(true);
    expect((await deployment.drain(DRAIN)).timedOut).toBe(false);

    // Every seeded image of every account was scanned, in its own registry.
    expect(scansStarted(flow)).toEqual(sorted(flow.digests));
    // Each registry served the functions' reads and scans (ECR routes a call by its registryId).
    for (const account of [HUB, TEAM_A, TEAM_B]) {
      expect(Object.keys(sandbox.ecr.callsByAccount[account] ?? {}).sort()).toEqual(
        expect.arrayContaining(["DescribeImageScanFindings", "DescribeRepositories", "StartImageScan"]),
      );
    }

    // Every ECR call was signed by a principal of the deployment: the member role's session for a member's
    // registry, a function's own role for the hub's — never the hub's credentials on a member's repository.
    const decisions = ecrDecisions(flow);
    expect(decisions.length).toBeGreaterThan(0);
    const memberRole = (account: string) =>
      RENDERED_ACCOUNTS.find((a) => a.accountId === account)
        ?.roleArn?.split("/")
        .pop();
    for (const d of decisions) {
      expect(d.principal, `${d.operation} by ${d.accessKeyId}`).toBeDefined();
      const signer = d.principal as IamPrincipal;
      const registry = d.resource === "*" ? accountOf(signer.arn) : accountOf(d.resource);
      expect(accountOf(signer.arn), `${d.operation} on ${d.resource}`).toBe(registry);
      if (registry === HUB) {
        expect(Object.values(deployment.principals)).toContain(signer);
      } else {
        expect(signer.arn).toBe(
          `arn:aws:sts::${registry}:assumed-role/${memberRole(registry)}/${MEMBER_ROLE_SESSION}`,
        );
      }
    }
    // The operations each registry served are exactly those the principals of its account were authorized for.
    for (const account of [HUB, TEAM_A, TEAM_B]) {
      const authorized = new Set(
        decisions.filter((d) => accountOf(d.principal?.arn ?? "") === account).map((d) => d.operation),
      );
      expect([...authorized].sort()).toEqual(Object.keys(sandbox.ecr.callsByAccount[account] ?? {}).sort());
    }

    // AssumeRole: the product's session name, the ExternalId the entry gives (team-a's), none otherwise; asked by
    // the hub's function roles, each of which caches its credentials (one AssumeRole per function and member).
    const assumed = sandbox.sts.calls;
    expect(assumed.length).toBeGreaterThan(0);
    for (const call of assumed) {
      expect(call.outcome).toBe("issued");
      expect(call.roleSessionName).toBe(MEMBER_ROLE_SESSION);
      const entry = RENDERED_ACCOUNTS.find((a) => a.roleArn === call.roleArn);
      expect(entry?.accountId).not.toBe(HUB);
      expect(call.externalId).toBe(entry?.externalId);
      expect(accountOf(call.callerArn ?? "")).toBe(HUB);
    }
    expect(RENDERED_ACCOUNTS.find((a) => a.accountId === TEAM_A)?.externalId).toBe("ecr-scan-reporter-demo");
    const perCallerAndRole = new Map<string, number>();
    for (const c of assumed)
      perCallerAndRole.set(
        `${c.callerArn} ${c.roleArn}`,
        (perCallerAndRole.get(`${c.callerArn} ${c.roleArn}`) ?? 0) + 1,
      );
    expect([...perCallerAndRole.values()].every((n) => n === 1)).toBe(true);
    for (const fn of ["schedule-scans", "scan-images", "report-findings"] as const) {
      const caller = deployment.principals[fn]?.arn;
      expect(
        assumed
          .filter((c) => c.callerArn === caller)
          .map((c) => accountOf(c.roleArn))
          .sort(),
      ).toEqual([TEAM_A, TEAM_B]);
    }

    // The functions' policies (the hub module's, AssumeMemberRoles on exactly the member roles) allowed it all.
    expect(sandbox.iam.denials()).toEqual([]);
    expect(deployment.queues.scanDlq.messages).toHaveLength(0);
    expect(deployment.queues.reportDlq.messages).toHaveLength(0);
  });

  it("reports a member's scan with its account id and name, and keeps two accounts' same-named repositories apart", async () => {
    const flow = await deploy();
    const { sandbox, deployment } = flow;
    await deployment.runSchedule();
    expect((await deployment.drain(DRAIN)).timedOut).toBe(false);

    // The members' events reached the hub's report queue with their own account.
    const eventAccounts = new Set(
      (deployment.deliveredEvents as { account: string; "detail-type": string }[])
        .filter((e) => e["detail-type"] === "ECR Image Scan")
        .map((e) => e.account),
    );
    expect([...eventAccounts].sort()).toEqual([HUB, TEAM_A, TEAM_B]);

    for (const entry of RENDERED_ACCOUNTS) {
      const label = entry.name ? `${entry.name} (${entry.accountId})` : entry.accountId;
      for (const digest of flow.digests[entry.accountId] ?? []) {
        const messages = messagesAbout(flow, digest);
        expect(messages, `${entry.accountId} ${digest}`).toHaveLength(1);
        expect(messages[0]?.message).toContain(label);
        // The e-mail of the same report names the account in its body.
        const email = sandbox.ses.sent.find((m) => JSON.stringify(m).includes(digest));
        expect(JSON.stringify(email)).toContain(entry.accountId);
      }
    }
    // shop/api of the hub and of team-a: two images, two reports, each naming its own account only.
    const [hubShop] = flow.digests[HUB] ?? [];
    const [teamAShop] = flow.digests[TEAM_A] ?? [];
    expect(hubShop).not.toBe(teamAShop);
    expect(messagesAbout(flow, teamAShop ?? "")[0]?.message).not.toContain(`(${HUB})`);
    expect(messagesAbout(flow, hubShop ?? "")[0]?.message).not.toContain(TEAM_A);
    expect(sandbox.iam.denials()).toEqual([]);
  });

  it("leaves the other accounts scanned and reported when one member role is missing and another does not trust the hub", async () => {
    const flow = await deploy({
      // team-b applied the member module naming another hub's roles: its trust does not name this hub.
      before: (sandbox) =>
        sandbox.addAccount(TEAM_B, {
          trustedRoleArns: [`arn:aws:iam::${UNLISTED}:role/another-hub-scan-images`],
        }),
      // A fourth listed account never applied the member module: no role to assume.
      accounts: [
        ...RENDERED_ACCOUNTS,
        {
          accountId: UNLISTED,
          roleArn: `arn:aws:iam::${UNLISTED}:role/ecr-scan-reporter-member`,
          name: "team-c",
        },
      ],
      membersNotSetUp: [UNLISTED],
    });
    const { sandbox, deployment } = flow;
    expect((await deployment.runSchedule()).ok).toBe(true);
    expect((await deployment.drain(DRAIN)).timedOut).toBe(false);

    const summary = scheduleSummary(flow);
    expect(summary?.accounts).toBe(4);
    expect(summary?.accountsReached).toBe(2);
    expect(summary?.accountsUnreachable?.map((u) => [u.accountId, u.name]).sort()).toEqual([
      [TEAM_B, "team-b"],
      [UNLISTED, "team-c"],
    ]);
    expect(accountsUnreachableMetric(flow)).toBe(2);
    const unreachableLogs = deployment.functions.scheduleScans
      .jsonLogs()
      .filter((l) => l.message === "account not reachable; its repositories are not scanned this run");
    expect(unreachableLogs.map((l) => l.accountId).sort()).toEqual([TEAM_B, UNLISTED]);

    // The hub and team-a were scanned and reported all the same; team-b's registry was never touched.
    expect(scansStarted(flow)).toEqual(
      sorted({ [HUB]: flow.digests[HUB] ?? [], [TEAM_A]: flow.digests[TEAM_A] ?? [] }),
    );
    for (const digest of [...(flow.digests[HUB] ?? []), ...(flow.digests[TEAM_A] ?? [])])
      expect(messagesAbout(flow, digest)).toHaveLength(1);
    expect(sandbox.ecr.callsByAccount[TEAM_B]).toBeUndefined();
    // STS refused both, as AWS does: AccessDenied, the role's existence never told.
    const refused = sandbox.sts.calls.filter((c) => c.outcome !== "issued");
    expect(new Set(refused.map((c) => accountOf(c.roleArn)))).toEqual(new Set([TEAM_B, UNLISTED]));
    expect(refused.every((c) => c.outcome === "AccessDenied")).toBe(true);
    // Only the trust of the members refused them: the hub's own policies allowed every call they made.
    expect(sandbox.iam.denials().filter((d) => d.service !== "sts")).toEqual([]);
  });

  it("drops an event of an account not in `accounts` without any ECR call into that account", async () => {
    const flow = await deploy({
      // An account that forwards its events to the hub's bus (an organization-wide bus policy) but is not listed.
      before: (sandbox) => sandbox.addAccount(UNLISTED, { forwardEvents: true }),
    });
    const { sandbox, deployment } = flow;
    sandbox.ecr.createRepository("rogue/app", UNLISTED);
    const rogue = sandbox.ecr.seedImage("rogue/app", { tags: ["v1"] }, "rogue/app/v1", UNLISTED);
    // A scan in the unlisted account (its own CI): its completion event reaches the hub's report queue.
    const ecrCallsBefore = { ...sandbox.ecr.callsByAccount[UNLISTED] };
    await sandbox.ecr.operations.StartImageScan?.({
      registryId: UNLISTED,
      repositoryName: "rogue/app",
      imageId: { imageDigest: rogue },
    });
    const calls = { ...sandbox.ecr.callsByAccount[UNLISTED] };
    await sandbox.ecr.whenScansSettled();
    expect(
      (deployment.deliveredEvents as { account: string }[]).filter((e) => e.account === UNLISTED),
    ).toHaveLength(1);
    expect((await deployment.drain(DRAIN)).timedOut).toBe(false);

    const dropped = deployment.functions.reportFindings
      .jsonLogs()
      .filter((l) => l.message === "dropping an event of an account not in the configuration's accounts");
    expect(dropped.map((l) => l.accountId)).toEqual([UNLISTED]);
    // Nothing read the unlisted registry after its own scan, with any credentials; nothing assumed its role.
    expect(sandbox.ecr.callsByAccount[UNLISTED]).toEqual(calls);
    expect(calls).toEqual({ ...ecrCallsBefore, StartImageScan: (ecrCallsBefore.StartImageScan ?? 0) + 1 });
    expect(sandbox.sts.calls.filter((c) => accountOf(c.roleArn) === UNLISTED)).toEqual([]);
    expect(messagesAbout(flow, rogue)).toEqual([]);
    expect(deployment.queues.reportDlq.messages).toHaveLength(0);
    expect(sandbox.iam.denials()).toEqual([]);
  });

  it("refreshes member credentials that expire mid-run and retries the call: the scans still complete", async () => {
    const flow = await deploy();
    const { sandbox, deployment } = flow;
    await deployment.runSchedule();
    expect((await deployment.drain(DRAIN)).timedOut).toBe(false);
    const firstSessions = new Set(sandbox.sts.sessions.map((s) => s.accessKeyId));
    const assumedBefore = sandbox.sts.calls.length;
    // Every member session the functions hold ends now, though its Expiration said an hour: their next calls with it
    // are refused as expired. New images were pushed meanwhile, for a second run to scan and report.
    expect(sandbox.sts.expireSessions()).toBe(firstSessions.size);
    const expiredAt = sandbox.now();
    const pushed = Object.fromEntries(
      [TEAM_A, TEAM_B].map((account) => {
        const name = REPOSITORIES[account]?.[0] ?? "";
        const digest = sandbox.ecr.seedImage(
          name,
          { tags: ["v2"], lastRecordedPullTime: new Date(sandbox.now() - DAY) },
          `${account}/${name}/v2`,
          account,
        );
        return [account, [digest]];
      }),
    );
    expect((await deployment.runSchedule()).ok).toBe(true);
    expect((await deployment.drain(DRAIN)).timedOut).toBe(false);

    // Refused as AWS refuses expired credentials (ExpiredTokenException, before IAM looks at the call: no decision
    // names an ended session after its end), then refreshed: each function that reads a member's registry assumed
    // its role again — which it does only after such an answer, its cached credentials saying an hour — and the call
    // was retried with the new session.
    const lateDecisions = sandbox.iam.decisions.filter((d) => d.at >= expiredAt);
    expect(lateDecisions.filter((d) => firstSessions.has(d.accessKeyId))).toEqual([]);
    const reassumed = sandbox.sts.calls.slice(assumedBefore);
    expect(reassumed.every((c) => c.outcome === "issued")).toBe(true);
    for (const fn of ["schedule-scans", "scan-images", "report-findings"] as const) {
      const caller = deployment.principals[fn]?.arn;
      expect(
        reassumed
          .filter((c) => c.callerArn === caller)
          .map((c) => accountOf(c.roleArn))
          .sort(),
        fn,
      ).toEqual([TEAM_A, TEAM_B]);
    }
    // The retry-once path, call by call (sandbox.server.calls, in the order answered): ECR answered
    // ExpiredTokenException to calls signed by an ended member session, and each was followed by a successful call of
    // the same operation on the same account's registry signed by a session assumed after the end.
    const accountOfSession = new Map(sandbox.sts.sessions.map((s) => [s.accessKeyId, accountOf(s.arn)]));
    const newSessions = new Set(reassumed.flatMap((c) => (c.accessKeyId ? [c.accessKeyId] : [])));
    const ecrCalls = sandbox.server.calls.filter((c) => c.service === "ecr");
    const refused = ecrCalls.flatMap((call, index) =>
      call.error === "ExpiredTokenException" && firstSessions.has(call.accessKeyId ?? "")
        ? [{ call, index }]
        : [],
    );
    expect(refused.length).toBeGreaterThan(0);
    for (const { call, index } of refused) {
      const account = accountOfSession.get(call.accessKeyId ?? "");
      const retried = ecrCalls
        .slice(index + 1)
        .find(
          (later) =>
            later.operation === call.operation &&
            later.status === 200 &&
            newSessions.has(later.accessKeyId ?? "") &&
            accountOfSession.get(later.accessKeyId ?? "") === account,
        );
      expect(retried, `${call.operation} in ${account} retried with a new session`).toBeDefined();
    }
    // The run completed: the new images scanned in their registries and reported once each, nothing dead-lettered.
    const started = sandbox.ecr.scanRequests.filter((r) => r.outcome === "IN_PROGRESS");
    for (const [account, digests] of Object.entries(pushed))
      for (const digest of digests) {
        expect(started.filter((r) => r.imageDigest === digest).map((r) => r.registryId)).toEqual([account]);
        expect(messagesAbout(flow, digest)).toHaveLength(1);
      }
    expect(deployment.queues.scanDlq.messages).toHaveLength(0);
    expect(deployment.queues.reportDlq.messages).toHaveLength(0);
    expect(sandbox.iam.denials()).toEqual([]);
  });
});
