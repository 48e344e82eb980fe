import pLimit from "p-limit";
import type { AccountAccess } from "../accounts/account-access.js";
import { type CoveredAccount, coveredAccounts } from "../accounts/accounts.js";
import type { Config } from "../config/schema.js";
import { describeError, isRetryableAwsError } from "../errors.js";
import { type RegistrySelection, selectRepositories } from "./select-repositories.js";

/** Accounts read at once by a scheduled run: each costs an AssumeRole and two ECR calls, then pages. */
export const ACCOUNTS_READ_AT_ONCE = 4;

/** One covered account's registry as the run saw it. */
export interface AccountSelection extends RegistrySelection {
  account: CoveredAccount;
}

/** A covered account the run could not read (role missing, access denied, throttled past the SDK's retries). */
export interface UnreachableAccount {
  account: CoveredAccount;
  /** AWS's (or STS's) error, secret-free. */
  reason: string;
  /** Whether the next run may succeed without anyone fixing anything. */
  retryable: boolean;
  /** The error itself, for a caller that fails on it (the deployment's own registry, without `accounts`). */
  error: unknown;
}

export interface AccountsSelection {
  reached: AccountSelection[];
  unreachable: UnreachableAccount[];
}

/**
 * "Select the repositories of every covered account": each listed account's registry read with its own
 * credentials (the hub's for its own entry), a few accounts at a time. One account that cannot be read is set
 * aside with the reason and never stops the others; without `accounts`, the deployment's own registry as before.
 */
export async function selectAccountsRepositories(
  access: Pick<AccountAccess, "gateway">,
  config: Pick<Config, "accounts" | "repositories">,
): Promise<AccountsSelection> {
  const limit = pLimit(ACCOUNTS_READ_AT_ONCE);
  const results = await Promise.all(
    coveredAccounts(config).map((account) =>
      limit(async () => {
        try {
          const selection = await selectRepositories(
            access.gateway(account.accountId),
            config.repositories,
            account.accountId,
          );
          return { reached: { account, ...selection } };
        } catch (error) {
          return {
            unreachable: {
              account,
              reason: describeError(error),
              retryable: isRetryableAwsError(error),
              error,
            },
          };
        }
      }),
    ),
  );
  return {
    reached: results.flatMap((r) => (r.reached ? [r.reached] : [])),
    unreachable: results.flatMap((r) => (r.unreachable ? [r.unreachable] : [])),
  };
}
