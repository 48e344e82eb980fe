import { join } from "node:path";
import {
  AccountAccess,
  type Config,
  type StartedScan,
  startPlannedScans,
  type UnreachableAccount,
} from "@ecr-scan-reporter/core";
import { SingleBar } from "cli-progress";
import { accountShortText, accountText } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { isInteractive, printJson, shortImageName, writeSummary } from "../output.js";
import {
  accountsPlanJson,
  assertKnownReporters,
  countDecisions,
  planAccounts,
  planJson,
  planRegistry,
  planTargetOf,
  type RegistryPlan,
  unreachableAccountLine,
} from "./plan.js";

/**
 * `ecr-scan-reporter scan [repository...] [--account id|name]`: plans like `plan` (the same registries: the one
 * `--account` names, else every listed account, else the caller's own), then starts the scans, most urgent first,
 * each in its account's registry with that account's credentials. In a pipe, stdout gets one
 * `repository:image<TAB>outcome` line per scan (`account<TAB>repository:image<TAB>outcome` across accounts) and the
 * summary goes to stderr.
 */
export async function scanCommand(
  config: Config,
  names: string[],
  json: boolean,
  options: { reportersDir?: string; account?: string } = {},
): Promise<number> {
  const target = planTargetOf(config, options.account);
  assertKnownReporters(config, options.reportersDir ?? join(process.cwd(), "node_modules"));
  const access = new AccountAccess(config.accounts);
  let registries: RegistryPlan[];
  let unreachable: UnreachableAccount[] = [];
  if (target.kind === "every-account") {
    ({ registries, unreachable } = await planAccounts(access, config, names));
  } else {
    const { account } = target;
    registries = [await planRegistry(access.gateway(account?.accountId), config, names, new Date(), account)];
  }
  for (const u of unreachable) process.stderr.write(`${unreachableAccountLine(u)}\n`);
  const acrossAccounts = target.kind === "every-account";

  const total = registries.reduce((n, r) => n + r.plans.reduce((m, p) => m + p.toScan.length, 0), 0);
  const bar =
    isInteractive() && !json
      ? new SingleBar({ format: "scanning [{bar}] {value}/{total} {image}" })
      : undefined;
  bar?.start(total, 0, { image: "" });
  const started: { accountId?: string; scan: StartedScan }[] = [];
  for (const registry of registries) {
    const gateway = access.gateway(registry.account?.accountId);
    const account = registry.account ? accountShortText(registry.account) : "";
    for (const repositoryPlan of registry.plans) {
      // The images carry the registryId DescribeImages answered with: StartImageScan names that registry.
      await startPlannedScans(gateway, repositoryPlan.toScan, {
        onOutcome: (scan) => {
          started.push({ accountId: registry.account?.accountId, scan });
          const image = `${repositoryPlan.repositoryName}:${shortImageName(scan.image)}`;
          const name = acrossAccounts ? `${account}\t${image}` : image;
          if (bar) bar.increment({ image: acrossAccounts ? `${account} ${image}` : image });
          else if (!json) process.stdout.write(`${name}\t${scan.result.outcome}\n`);
        },
      });
    }
  }
  bar?.stop();
  const outcomes: Record<string, number> = {};
  for (const { scan } of started) outcomes[scan.result.outcome] = (outcomes[scan.result.outcome] ?? 0) + 1;
  if (json) {
    const scans = started.map(({ accountId, scan }) => ({
      ...(acrossAccounts && { accountId }),
      repository: scan.image.repositoryName,
      digest: scan.image.imageDigest,
      ...scan.result,
    }));
    const [single] = registries;
    const plan = acrossAccounts ? accountsPlanJson({ registries, unreachable }) : single && planJson(single);
    printJson({ ...plan, scans, outcomes });
  } else {
    const decisions = Object.entries(countDecisions(registries.flatMap((r) => r.plans)))
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const results = Object.entries(outcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const accounts = acrossAccounts
      ? `accounts: ${registries.length} read${unreachable.length > 0 ? `, ${unreachable.length} not read` : ""}\n`
      : registries[0]?.account
        ? `account ${accountText(registries[0].account)}\n`
        : "";
    writeSummary(`${accounts}${decisions || "nothing to do"}\nscans: ${results || "none started"}`);
  }
  return unreachable.length > 0 ? EXIT.failure : EXIT.ok;
}
