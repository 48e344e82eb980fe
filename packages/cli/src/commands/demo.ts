import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseConfigText } from "@ecr-scan-reporter/core";
import { runDemo } from "@ecr-scan-reporter/sandbox/demo";
import { printJson } from "../output.js";

/** The repository's terraform/dist: the bundles the demo runs are the ones Terraform deploys. */
const DIST_DIR = fileURLToPath(new URL("../../../../terraform/dist", import.meta.url));

/** `ecr-scan-reporter demo` */
export async function demoCommand(options: {
  out: string;
  config?: string;
  reporters?: string;
  json?: boolean;
}): Promise<number> {
  let extraReporters: unknown[] = [];
  let reportersPath: string | undefined;
  if (options.config) {
    const path = resolve(options.config);
    extraReporters = parseConfigText(readFileSync(path, "utf8"), path).reporters.map((r) => ({
      use: r.use,
      options: r.options,
      ...(r.repositories ? { repositories: r.repositories.source } : {}),
      ...(r.minSeverity ? { minSeverity: r.minSeverity } : {}),
      notify: r.notify,
    }));
    reportersPath = resolve(path, "..", "node_modules");
  }
  if (options.reporters) reportersPath = resolve(options.reporters);
  const summary = await runDemo({
    outDir: resolve(options.out),
    distDir: DIST_DIR,
    extraReporters,
    reportersPath,
    log: options.json ? () => undefined : (line: string) => process.stdout.write(`${line}\n`),
  });
  if (options.json) printJson(summary);
  return summary.ok ? 0 : 3;
}
