import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { BUILT_IN_REPORTERS } from "@ecr-scan-reporter/built-in-reporters";
import {
  ConfigError,
  type ConfigValidation,
  createPackageResolver,
  createSecretFetchers,
  validateConfigText,
} from "@ecr-scan-reporter/core";
import {
  configFileOf,
  DEFAULT_CONFIG_FILE,
  type GlobalOptions,
  regionOrWhyNot,
  reportersFolderOf,
  shownPath,
} from "../context.js";
import { printJson } from "../output.js";
import { createCliReporterDeps } from "../reporter-deps.js";
import { UsageError } from "../usage-error.js";

/** What to do about a check AWS could not answer, in the CLI's terms. */
function skippedReason(why: string): string {
  if (why === "no AWS credentials") return `${why}: sign in, pass --profile or set AWS_PROFILE`;
  return why;
}

/** The one line of a valid document: what was loaded and checked, and what could not be. */
export function validSummary(result: ConfigValidation): string {
  const { reporters, secretReferences, templates } = result;
  const parts = [
    `valid: ${reporters.length} reporter${reporters.length === 1 ? "" : "s"}${reporters.length > 0 ? ` (${reporters.map((r) => r.id).join(", ")})` : ""}`,
  ];
  const n = secretReferences.found;
  if (n > 0) {
    const noun = `secret reference${n === 1 ? "" : "s"}`;
    parts.push(secretReferences.checked ? `${n} ${noun} resolved` : `${n} ${noun} NOT checked`);
  }
  if (templates) parts.push(`templates ${templates.dir} (${templates.overrides} overrides)`);
  return parts.join(", ");
}

/** The lines that say which checks were skipped and why (stderr): a skipped check is not a passed one. */
export function skippedLines(result: ConfigValidation): string[] {
  return result.skipped.map(({ check, why }) => `not checked: ${check}: ${skippedReason(why)}`);
}

/**
 * `ecr-scan-reporter validate [-c FILE]`: the whole document checked as the functions will load it, every problem
 * listed at once. Exit 0 when valid (skipped checks are said, not failed), 2 when not. Secret references are asked
 * of AWS (SSM GetParameter, Secrets Manager GetSecretValue) with the default chain; without a region they are
 * skipped, with the reason.
 */
export async function validateCommand(options: GlobalOptions, cwd = process.cwd()): Promise<number> {
  const { path, shown } = configFileOf(options, cwd);
  if (!existsSync(path)) {
    throw new UsageError(
      options.config
        ? `--config ${options.config}: no such file.`
        : `No ${DEFAULT_CONFIG_FILE} here to validate: pass --config FILE.`,
    );
  }
  const nodeModules = reportersFolderOf(options, cwd);
  const region = await regionOrWhyNot();
  const result = await validateConfigText(readFileSync(path, "utf8"), shown, {
    builtIns: BUILT_IN_REPORTERS,
    resolveCustom: createPackageResolver(nodeModules),
    reporterDeps: createCliReporterDeps({ debug: options.debug }),
    secrets: "region" in region ? { fetchers: createSecretFetchers() } : { skip: region.why },
    ...(options.templates === undefined ? {} : { templatesDir: resolve(cwd, options.templates) }),
  });

  if (options.json) {
    printJson(result);
    return result.valid ? 0 : 2;
  }
  const notes = skippedLines(result);
  if (result.valid) {
    process.stdout.write(`${validSummary(result)}\n`);
    for (const note of notes) process.stderr.write(`${note}\n`);
    return 0;
  }
  process.stderr.write(`${new ConfigError(result.problems, shown).message}\n`);
  if (result.problems.some((p) => p.check === "reporters" && p.path.endsWith(".use"))) {
    const folder = shownPath(nodeModules, cwd);
    const where = folder === nodeModules ? folder : `./${folder}`;
    process.stderr.write(
      `(custom reporter packages were looked for in ${where}; --reporters DIR names another folder)\n`,
    );
  }
  for (const note of notes) process.stderr.write(`${note}\n`);
  return 2;
}
