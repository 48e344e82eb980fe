import { loadModulePolicies } from "../iam/module-policies.js";
import { DEMO_REPOSITORIES } from "./seed.js";

// The accounts of `demo --accounts N`: the hub (the sandbox's own account) and up to two member accounts, as the
// hub module renders them for its multi_account plan (module-policies.json, terraform/tests/local-deployment.tftest.hcl:
// team-a 210987654321 with ExternalId "ecr-scan-reporter-demo", team-b 345678901234), so that the functions run
// with the policies the module gives a hub of exactly these members.

/** One entry of the configuration's `accounts`, with the repositories the demo seeds in its registry. */
export interface DemoAccount {
  accountId: string;
  name?: string;
  /** Absent for the hub's own entry. */
  roleArn?: string;
  externalId?: string;
  repositories: readonly string[];
}

/** The number of accounts `demo --accounts` takes: the hub and each member account the module renders. */
export const MAX_DEMO_ACCOUNTS = 3;

/** `--accounts` out of range: a usage problem, the demo never started. */
export class DemoAccountsError extends Error {
  override readonly name = "DemoAccountsError";
}

/** `--accounts` as given on the command line: an integer from 1 to MAX_DEMO_ACCOUNTS; 1 when absent. */
export function parseDemoAccounts(text: string | undefined): number {
  if (text === undefined) return 1;
  const count = Number(text);
  if (!/^\d+$/.test(text.trim()) || count < 1 || count > MAX_DEMO_ACCOUNTS) {
    throw new DemoAccountsError(
      `--accounts takes a number from 1 to ${MAX_DEMO_ACCOUNTS} (the hub and up to ${MAX_DEMO_ACCOUNTS - 1} member accounts), not "${text}"`,
    );
  }
  return count;
}

/**
 * The demo's accounts: the hub's own entry (all of DEMO_REPOSITORIES, as the single-account demo) and the first
 * `count - 1` member accounts of the rendered hub, each holding its team's repositories (team-a's registry the
 * `team-a/…` ones): the same names as in the hub's registry, other images — two accounts, two reports, two issues.
 */
export function demoAccounts(count: number): DemoAccount[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_DEMO_ACCOUNTS)
    throw new DemoAccountsError(`the demo covers 1 to ${MAX_DEMO_ACCOUNTS} accounts, not ${count}`);
  const rendered = (
    loadModulePolicies().deployments.multi_account.config as {
      accounts?: Omit<DemoAccount, "repositories">[];
    }
  ).accounts;
  const hub = rendered?.find((a) => a.roleArn === undefined);
  const members = (rendered ?? []).filter((a) => a.roleArn !== undefined);
  if (!hub || members.length < MAX_DEMO_ACCOUNTS - 1) {
    throw new Error(
      "module-policies.json: the multi_account deployment does not list the hub and two member accounts; run `pnpm exec tsx scripts/render-iam.ts`",
    );
  }
  return [
    { ...hub, repositories: DEMO_REPOSITORIES },
    ...members.slice(0, count - 1).map((member) => ({
      ...member,
      repositories: DEMO_REPOSITORIES.filter((r) => r.startsWith(`${member.name ?? member.accountId}/`)),
    })),
  ];
}
