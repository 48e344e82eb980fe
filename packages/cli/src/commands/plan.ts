import {
  type Config,
  countScanRun,
  createEcrClient,
  EcrGateway,
  planOptionsOf,
  planRepository,
  type RepositoryPlan,
  type ScanType,
  selectRepositories,
} from "@ecr-scan-reporter/core";
import pLimit from "p-limit";
import { printJson, printTable, shortImageName } from "../output.js";
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
      })),
    })),
    summary: countDecisions(plans),
  };
}

/** Prints a plan as a table (terminal), lines (pipe) or JSON. */
export function printPlan(plan: RegistryPlan, json: boolean): void {
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
      decision.action === "skip" ? (decision.detail ?? "") : "",
    ]),
  );
  printTable(["REPOSITORY", "IMAGE", "DECISION", "REASON", "DETAIL"], rows);
  const summary = Object.entries(countDecisions(plan.plans))
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  process.stdout.write(
    `${plan.plans.length} repositories, ${rows.length} images (registry scan type ${plan.scanType}): ${summary || "nothing to do"}\n`,
  );
}

/** `ecr-scan-reporter plan [repository...]` */
export async function planCommand(config: Config, names: string[], json: boolean): Promise<number> {
  const plan = await planRegistry(new EcrGateway(createEcrClient()), config, names);
  printPlan(plan, json);
  return 0;
}
