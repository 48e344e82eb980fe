import { existsSync } from "node:fs";
import { join } from "node:path";
import { BUILT_IN_REPORTER_NAMES } from "@ecr-scan-reporter/built-in-reporters";
import {
  type Config,
  ConfigError,
  countScanRun,
  createEcrClient,
  EcrGateway,
  planOptionsOf,
  planRepository,
  type RepositoryPlan,
  type ScanType,
  selectRepositories,
  unknownReporterProblems,
} from "@ecr-scan-reporter/core";
import pLimit from "p-limit";
import { shownPath } from "../context.js";
import { ageText, printJson, printTable, shortImageName, writeSummary } from "../output.js";
import { UsageError } from "../usage-error.js";

/** Repositories planned at once; each plans its images with bounded concurrency of its own. */
const REPOSITORY_CONCURRENCY = 4;

export interface RegistryPlan {
  scanType: ScanType;
  plans: RepositoryPlan[];
}

/**
 * Plans the registry exactly as schedule-scans and scan-images would: the repositories the config selects (or
 * those named), the registry's scan type, and each image's decision. Starts nothing.
 */
export async function planRegistry(
  gateway: EcrGateway,
  config: Config,
  names: readonly string[] = [],
  now = new Date(),
): Promise<RegistryPlan> {
  const registry = await selectRepositories(gateway, config.repositories);
  const { repositories, scanType } = registry;
  let { selected } = registry;
  if (names.length > 0) {
    const missing = names.filter((n) => !repositories.some((r) => r.repositoryName === n));
    if (missing.length > 0)
      throw new UsageError(`No such repository in this registry: ${missing.join(", ")}.`);
    selected = repositories.filter((r) => names.includes(r.repositoryName));
  }
  const limit = pLimit(REPOSITORY_CONCURRENCY);
  const plans = await Promise.all(
    selected.map((r) =>
      limit(() =>
        planRepository(gateway, r.repositoryName, planOptionsOf(config.scan, { ...r, scanType }, now)),
      ),
    ),
  );
  return { scanType, plans };
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

/** The JSON shape of a plan, for --json. */
export function planJson({ scanType, plans }: RegistryPlan) {
  return {
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

/**
 * Prints a plan as a table (terminal, fitted to its width), lines (pipe) or JSON. The summary line goes where
 * summaries go (writeSummary): after the table on a terminal, to stderr in a pipe.
 */
export function printPlan(plan: RegistryPlan, json: boolean, now = new Date()): void {
  if (json) {
    printJson(planJson(plan));
    return;
  }
  const rows = plan.plans.flatMap((p) =>
    p.decisions.map(({ image, decision }) => [
      p.repositoryName,
      shortImageName(image),
      decision.action,
      decision.reason,
      decisionDetail(decision, now),
    ]),
  );
  printTable(["REPOSITORY", "IMAGE", "DECISION", "REASON", "DETAIL"], rows);
  const summary = Object.entries(countDecisions(plan.plans))
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  writeSummary(
    `${plan.plans.length} repositories, ${rows.length} images (registry scan type ${plan.scanType}): ${summary || "nothing to do"}`,
  );
}

/** `ecr-scan-reporter plan [repository...]` */
export async function planCommand(
  config: Config,
  names: string[],
  json: boolean,
  options: { reportersDir?: string } = {},
): Promise<number> {
  assertKnownReporters(config, options.reportersDir ?? join(process.cwd(), "node_modules"));
  const plan = await planRegistry(new EcrGateway(createEcrClient()), config, names);
  printPlan(plan, json);
  return 0;
}
