import { join } from "node:path";
import {
  type Config,
  createEcrClient,
  EcrGateway,
  type StartedScan,
  startPlannedScans,
} from "@ecr-scan-reporter/core";
import { SingleBar } from "cli-progress";
import { isInteractive, printJson, shortImageName, writeSummary } from "../output.js";
import { assertKnownReporters, countDecisions, planJson, planRegistry } from "./plan.js";

/**
 * `ecr-scan-reporter scan [repository...]`: plans like `plan`, then starts the scans, most urgent first. In a pipe,
 * stdout gets one `repository:image<TAB>outcome` line per scan and the summary goes to stderr.
 */
export async function scanCommand(
  config: Config,
  names: string[],
  json: boolean,
  options: { reportersDir?: string } = {},
): Promise<number> {
  assertKnownReporters(config, options.reportersDir ?? join(process.cwd(), "node_modules"));
  const gateway = new EcrGateway(createEcrClient(), createEcrClient());
  const plan = await planRegistry(gateway, config, names);
  const total = plan.plans.reduce((n, p) => n + p.toScan.length, 0);
  const bar =
    isInteractive() && !json
      ? new SingleBar({ format: "scanning [{bar}] {value}/{total} {image}" })
      : undefined;
  bar?.start(total, 0, { image: "" });
  const started: StartedScan[] = [];
  for (const repositoryPlan of plan.plans) {
    await startPlannedScans(gateway, repositoryPlan.toScan, {
      onOutcome: (scan) => {
        started.push(scan);
        const name = `${repositoryPlan.repositoryName}:${shortImageName(scan.image)}`;
        if (bar) bar.increment({ image: name });
        else if (!json) process.stdout.write(`${name}\t${scan.result.outcome}\n`);
      },
    });
  }
  bar?.stop();
  const outcomes: Record<string, number> = {};
  for (const { result } of started) outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
  if (json) {
    printJson({
      ...planJson(plan),
      scans: started.map((s) => ({
        repository: s.image.repositoryName,
        digest: s.image.imageDigest,
        ...s.result,
      })),
      outcomes,
    });
  } else {
    const decisions = Object.entries(countDecisions(plan.plans))
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    const results = Object.entries(outcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    writeSummary(`${decisions || "nothing to do"}\nscans: ${results || "none started"}`);
  }
  return 0;
}
