import { existsSync } from "node:fs";
import { join } from "node:path";
import { BUILT_IN_REPORTER_NAMES } from "@ecr-scan-reporter/built-in-reporters";
import {
  AccountAccess,
  AccountUnreachableError,
  type Config,
  ConfigError,
  type CoveredAccount,
  countScanRun,
  describeError,
  type EcrGateway,
  isRetryableAwsError,
  planOptionsOf,
  planRepository,
  type RegistrySelection,
  type RepositoryPlan,
  type ScanType,
  selectAccountsRepositories,
  selectRepositories,
  type UnreachableAccount,
  unknownReporterProblems,
} from "@ecr-scan-reporter/core";
import pLimit from "p-limit";
import {
  type AccountEntry,
  accountOfOption,
  accountShortText,
  accountText,
  accountUnreachableMessage,
  shownPath,
} from "../context.js";
import { EXIT } from "../exit-codes.js";
import { ageText, printJson, printTable, shortImageName, writeSummary } from "../output.js";
import { UsageError } from "../usage-error.js";

/** Repositories planned at once; each plans its images with bounded concurrency of its own. */
const REPOSITORY_CONCURRENCY = 4;

export interface RegistryPlan {
  /** The `accounts` entry whose registry this is; absent: the caller's own registry (no `accounts` list). */
  account?: CoveredAccount;
  scanType: ScanType;
  plans: RepositoryPlan[];
}

/** The plans of every account the configuration lists, and the accounts that could not be read. */
export interface AccountsPlan {
  registries: RegistryPlan[];
  unreachable: UnreachableAccount[];
}

/**
 * Which registries `plan` and `scan` cover: the one `--account` names; without it, every account the configuration
 * lists, as the scheduled run covers them (the configuration says which registries the product covers); with no
 * `accounts` list, the caller's own registry, as before [8/8].
 */
export type PlanTarget = { kind: "one"; account?: AccountEntry } | { kind: "every-account" };

export function planTargetOf(config: Pick<Config, "accounts">, accountOption?: string): PlanTarget {
  if (accountOption !== undefined) return { kind: "one", account: accountOfOption(config, accountOption) };
  return config.accounts ? { kind: "every-account" } : { kind: "one" };
}

/** The repositories named on the command line, or those the configuration selects. */
function repositoriesToPlan(registry: RegistrySelection, names: readonly string[]) {
  if (names.length === 0) return registry.selected;
  const missing = names.filter((n) => !registry.repositories.some((r) => r.repositoryName === n));
  if (missing.length > 0) throw new UsageError(`No such repository in this registry: ${missing.join(", ")}.`);
  return registry.repositories.filter((r) => names.includes(r.repositoryName));
}

/** Plans each repository of one registry; `registryId` goes on every ECR call when the account is known. */
async function planRepositories(
  gateway: EcrGateway,
  config: Config,
  repositories: RegistrySelection["selected"],
  registry: { registryId?: string; scanType: ScanType },
  now: Date,
): Promise<RepositoryPlan[]> {
  const limit = pLimit(REPOSITORY_CONCURRENCY);
  return Promise.all(
    repositories.map((r) =>
      limit(() =>
        planRepository(
          gateway,
          r.repositoryName,
          planOptionsOf(
            config.scan,
            { registryId: registry.registryId || r.registryId || undefined, scanType: registry.scanType },
            now,
          ),
        ),
      ),
    ),
  );
}

/**
 * Plans the registry exactly as schedule-scans and scan-images would: the repositories the config selects (or
 * those named), the registry's scan type, and each image's decision. Starts nothing. With `account`, the registry
 * is that account's (its registryId on every call, through a gateway with its credentials).
 */
export async function planRegistry(
  gateway: EcrGateway,
  config: Config,
  names: readonly string[] = [],
  now = new Date(),
  account?: CoveredAccount,
): Promise<RegistryPlan> {
  const registry = await selectRepositories(gateway, config.repositories, account?.accountId);
  const { scanType } = registry;
  const selected = repositoriesToPlan(registry, names);
  const plans = await planRepositories(
    gateway,
    config,
    selected,
    { registryId: account?.accountId, scanType },
    now,
  );
  return { ...(account && { account }), scanType, plans };
}

/**
 * Plans every account the configuration lists, each with its own credentials, as one scheduled run would: an
 * account that cannot be read (its role not assumable, access denied) is set aside with the reason and never stops
 * the others. Named repositories are planned in every account that has one; a name no account has is a usage error.
 */
export async function planAccounts(
  access: Pick<AccountAccess, "gateway">,
  config: Config,
  names: readonly string[] = [],
  now = new Date(),
): Promise<AccountsPlan> {
  const { reached, unreachable } = await selectAccountsRepositories(access, config);
  if (names.length > 0 && unreachable.length === 0) {
    const missing = names.filter(
      (n) => !reached.some((r) => r.repositories.some((repo) => repo.repositoryName === n)),
    );
    if (missing.length > 0)
      throw new UsageError(
        `No such repository in the configured accounts' registries: ${missing.join(", ")}.`,
      );
  }
  const registries: RegistryPlan[] = [];
  const failed: UnreachableAccount[] = [];
  for (const selection of reached) {
    const { account, scanType } = selection;
    const repositories =
      names.length === 0
        ? selection.selected
        : selection.repositories.filter((r) => names.includes(r.repositoryName));
    try {
      const plans = await planRepositories(
        access.gateway(account.accountId),
        config,
        repositories,
        { registryId: account.accountId, scanType },
        now,
      );
      registries.push({ account, scanType, plans });
    } catch (error) {
      failed.push({ account, reason: describeError(error), retryable: isRetryableAwsError(error), error });
    }
  }
  return { registries, unreachable: [...unreachable, ...failed] };
}

/** True when `nodeModules` holds a package of that name (its package.json), without loading it. */
export function isInstalledPackage(packageName: string, nodeModules: string): boolean {
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(packageName)) return false;
  return existsSync(join(nodeModules, ...packageName.split("/"), "package.json"));
}

/**
 * Rejects a configuration whose reporters name neither a built-in reporter nor a package installed in
 * `nodeModules` (exit 2, the built-in names listed): `plan` and `scan` do not run reporters, but a misspelt one
 * would fail the report function later, far from the person who made the slip. Checked by name only.
 */
export function assertKnownReporters(
  config: { reporters: readonly Pick<Config["reporters"][number], "use">[] },
  nodeModules: string,
  cwd = process.cwd(),
): void {
  const shown = shownPath(nodeModules, cwd);
  const where = shown === nodeModules ? shown : `./${shown}`;
  const problems = unknownReporterProblems(
    config.reporters,
    BUILT_IN_REPORTER_NAMES,
    (name) => isInstalledPackage(name, nodeModules),
    `${where} (--reporters DIR names another folder)`,
  );
  if (problems.length > 0) throw new ConfigError(problems, "reporters");
}

/** The DETAIL cell of a decision: the skip's detail, or how old the scan being redone is. */
export function decisionDetail(decision: RepositoryPlan["decisions"][number]["decision"], now: Date): string {
  if (decision.action === "skip") return decision.detail ?? "";
  if (!decision.lastScannedAt) return decision.reason === "expired" ? "last scan time unknown" : "";
  const age = ageText(now.getTime() - decision.lastScannedAt.getTime());
  return decision.reason === "retry-failed" ? `failed ${age}` : `last scan ${age}`;
}

/** Counts decisions as `scan:<reason>` / `skip:<reason>`. */
export function countDecisions(plans: readonly RepositoryPlan[]): Record<string, number> {
  return countScanRun(
    plans.flatMap((plan) => plan.decisions),
    [],
  ).decisions;
}

/** How --json names an account: its id and its configured name. */
function accountJson(account: CoveredAccount) {
  return { accountId: account.accountId, ...(account.name !== undefined && { name: account.name }) };
}

/** The JSON shape of a plan, for --json. */
export function planJson({ account, scanType, plans }: RegistryPlan) {
  return {
    ...(account && { account: accountJson(account) }),
    scanType,
    repositories: plans.map((p) => ({
      repository: p.repositoryName,
      found: p.found,
      images: p.decisions.map(({ image, decision }) => ({
        digest: image.imageDigest,
        tags: image.imageTags,
        action: decision.action,
        reason: decision.reason,
        detail: decision.action === "skip" ? decision.detail : undefined,
        lastScannedAt: decision.action === "scan" ? decision.lastScannedAt?.toISOString() : undefined,
      })),
    })),
    summary: countDecisions(plans),
  };
}

/** The JSON shape of every account's plan, for --json: one plan per account, and those not read. */
export function accountsPlanJson({ registries, unreachable }: AccountsPlan) {
  return {
    accounts: registries.map(planJson),
    unreachable: unreachable.map((u) => ({
      ...accountJson(u.account),
      ...(u.account.roleArn !== undefined && { roleArn: u.account.roleArn }),
      reason: u.reason,
      retryable: u.retryable,
    })),
    summary: countDecisions(registries.flatMap((r) => r.plans)),
  };
}

/** The line that says an account was left out, and why: for a role not assumed, what to do about it. */
export function unreachableAccountLine(unreachable: UnreachableAccount): string {
  const why =
    unreachable.error instanceof AccountUnreachableError
      ? accountUnreachableMessage(unreachable.error)
      : unreachable.reason;
  return `account ${accountText(unreachable.account)} not read: ${why}`;
}

/** The summary of one registry's plan. */
function planSummary(plan: RegistryPlan): string {
  const images = plan.plans.reduce((n, p) => n + p.decisions.length, 0);
  const counts = Object.entries(countDecisions(plan.plans))
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  const where = plan.account ? `account ${accountText(plan.account)}: ` : "";
  return `${where}${plan.plans.length} repositories, ${images} images (registry scan type ${plan.scanType}): ${counts || "nothing to do"}`;
}

/** The rows of a plan: an ACCOUNT cell first when several accounts are planned. */
function planRows(plan: RegistryPlan, now: Date, withAccount: boolean): string[][] {
  const account = plan.account ? accountShortText(plan.account) : "";
  return plan.plans.flatMap((p) =>
    p.decisions.map(({ image, decision }) => [
      ...(withAccount ? [account] : []),
      p.repositoryName,
      shortImageName(image),
      decision.action,
      decision.reason,
      decisionDetail(decision, now),
    ]),
  );
}

const PLAN_HEADERS = ["REPOSITORY", "IMAGE", "DECISION", "REASON", "DETAIL"];

/**
 * Prints a plan as a table (terminal, fitted to its width), lines (pipe) or JSON. The summary line goes where
 * summaries go (writeSummary): after the table on a terminal, to stderr in a pipe.
 */
export function printPlan(plan: RegistryPlan, json: boolean, now = new Date()): void {
  if (json) {
    printJson(planJson(plan));
    return;
  }
  printTable(PLAN_HEADERS, planRows(plan, now, false));
  writeSummary(planSummary(plan));
}

/**
 * Prints every account's plan in one table whose first column names the account, a summary line per account, and
 * a line on stderr for each account not read (data on stdout stays data).
 */
export function printAccountsPlan(all: AccountsPlan, json: boolean, now = new Date()): void {
  for (const unreachable of all.unreachable) process.stderr.write(`${unreachableAccountLine(unreachable)}\n`);
  if (json) {
    printJson(accountsPlanJson(all));
    return;
  }
  printTable(
    ["ACCOUNT", ...PLAN_HEADERS],
    all.registries.flatMap((plan) => planRows(plan, now, true)),
  );
  writeSummary(all.registries.map(planSummary).join("\n") || "no account could be read");
}

/** `ecr-scan-reporter plan [repository...] [--account id|name]` */
export async function planCommand(
  config: Config,
  names: string[],
  json: boolean,
  options: { reportersDir?: string; account?: string } = {},
): Promise<number> {
  const target = planTargetOf(config, options.account);
  assertKnownReporters(config, options.reportersDir ?? join(process.cwd(), "node_modules"));
  const access = new AccountAccess(config.accounts);
  if (target.kind === "every-account") {
    const all = await planAccounts(access, config, names);
    printAccountsPlan(all, json);
    return all.unreachable.length > 0 ? EXIT.failure : EXIT.ok;
  }
  const { account } = target;
  const plan = await planRegistry(access.gateway(account?.accountId), config, names, new Date(), account);
  printPlan(plan, json);
  return EXIT.ok;
}
