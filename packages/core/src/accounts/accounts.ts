import type { AccountEntry, Config } from "../config/schema.js";
import type { ConfigProblem } from "../errors.js";

/**
 * The RoleSessionName of every AssumeRole the hub makes: a member account's CloudTrail then names the product as
 * the one who read its registry (AWS STS API Reference, AssumeRole: "RoleSessionName … is visible to, and can be
 * logged by the account that owns the role").
 */
export const ROLE_SESSION_NAME = "ecr-scan-reporter";

/**
 * A registry one run covers. `accountId` is undefined only for the deployment's own account when the configuration
 * lists no `accounts` (the account ECR answers for, learnt from the registryId it returns).
 */
export interface CoveredAccount {
  accountId?: string;
  name?: string;
  /** The member role the hub assumes; absent: the functions' own credentials (the hub's own account). */
  roleArn?: string;
  externalId?: string;
}

/** The registries a scheduled run or a digest covers: the listed accounts, or the deployment's own. */
export function coveredAccounts(config: Pick<Config, "accounts">): CoveredAccount[] {
  return config.accounts ? config.accounts.map((entry) => ({ ...entry })) : [{}];
}

/** What the configuration says of an account an event or a message names. */
export type AccountLookup =
  /** No `accounts` list: the deployment's own account, read with its own credentials (the behaviour before [8/8]). */
  | { kind: "own" }
  | { kind: "listed"; account: AccountEntry }
  /** A list exists and does not name it: never read, with any credentials. */
  | { kind: "unlisted" };

export function lookUpAccount(
  config: { accounts?: readonly AccountEntry[] },
  accountId: string | undefined,
): AccountLookup {
  if (!config.accounts) return { kind: "own" };
  const account = config.accounts.find((entry) => entry.accountId === accountId);
  return account ? { kind: "listed", account } : { kind: "unlisted" };
}

/** The `name` the configuration gives an account, if any. */
export function accountNameOf(
  config: { accounts?: readonly { accountId: string; name?: string }[] },
  accountId: string,
): string | undefined {
  return config.accounts?.find((entry) => entry.accountId === accountId)?.name;
}

/**
 * The name a report shows for its account: the configuration's `name`, or — when the configuration lists `accounts`
 * without naming this one — the id itself, so that subjects and titles name the account in every multi-account
 * deployment (two unnamed accounts' `team/api:v1` never read the same). Undefined without `accounts`.
 */
export function reportAccountName(config: Pick<Config, "accounts">, accountId: string): string | undefined {
  if (!config.accounts) return undefined;
  return accountNameOf(config, accountId) ?? accountId;
}

/** Whether a reporter entry's `accounts` filter (ids or names) lets a report of this account through. */
export function isAccountRouted(
  filter: readonly string[] | undefined,
  report: { account: string; accountName?: string },
): boolean {
  if (!filter) return true;
  return filter.some(
    (item) => item === report.account || (report.accountName !== undefined && item === report.accountName),
  );
}

/**
 * An entry without `roleArn` is read with the functions' own credentials, so it must be the account they run in:
 * another id would be listed with the hub's credentials (AccessDenied, or — under a registry policy that allows it —
 * exactly the read with the hub's credentials a member must never get), and GetRegistryScanningConfiguration would
 * answer for the hub. The problem, naming the entry, or undefined.
 */
export function hubEntryProblem(
  accounts: readonly AccountEntry[] | undefined,
  ownAccountId: string,
): ConfigProblem | undefined {
  const index = (accounts ?? []).findIndex((entry) => !entry.roleArn && entry.accountId !== ownAccountId);
  const entry = accounts?.[index];
  if (!entry) return undefined;
  return {
    path: `accounts[${index}].accountId`,
    reason: `${entry.accountId} has no roleArn, so it must be the account these functions run in (${ownAccountId}): give it the roleArn of its member role, or correct the id`,
  };
}

/** The account id in a Lambda function's ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME), if it is one. */
export function accountOfArn(arn: string | undefined): string | undefined {
  return /^arn:[\w-]+:[\w-]+:[\w-]*:(\d{12}):/.exec(arn ?? "")?.[1];
}
