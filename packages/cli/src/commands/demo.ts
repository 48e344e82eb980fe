import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseConfigText } from "@ecr-scan-reporter/core";
import {
  DemoAccountsError,
  OutputFolderInUseError,
  parseDemoAccounts,
  runDemo,
} from "@ecr-scan-reporter/sandbox/demo";
import { functionBundlesDir } from "../install-paths.js";
import { printJson } from "../output.js";
import { UsageError } from "../usage-error.js";
import { parseSecretFlags } from "./secret-flag.js";

/** `ecr-scan-reporter demo` */
export async function demoCommand(options: {
  out: string;
  config?: string;
  reporters?: string;
  /** `NAME=VALUE` each: secrets for the custom reporters, where their configuration references them. */
  secret?: string[];
  /** How many accounts the hub covers, 1–3 (`--accounts`). */
  accounts?: string;
  json?: boolean;
}): Promise<number> {
  // A malformed --secret or --accounts stops the demo before anything starts.
  const secrets = parseSecretFlags(options.secret);
  let accounts: number;
  try {
    accounts = parseDemoAccounts(options.accounts);
  } catch (error) {
    if (error instanceof DemoAccountsError) throw new UsageError(error.message);
    throw error;
  }
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
    // The bundles Terraform deploys: terraform/dist in a clone, the copies in dist/functions once installed.
    distDir: functionBundlesDir(),
    extraReporters,
    reportersPath,
    secrets,
    accounts,
    log: options.json ? () => undefined : (line: string) => process.stdout.write(`${line}\n`),
  }).catch((error: unknown) => {
    // Someone else's files in --out: exit 2, as the sandbox's and report's --out say it.
    if (error instanceof OutputFolderInUseError) throw new UsageError(error.message);
    throw error;
  });
  if (options.json) printJson(summary);
  return summary.ok ? 0 : 3;
}
