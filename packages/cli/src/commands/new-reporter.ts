import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { BUILT_IN_REPORTER_NAMES } from "@ecr-scan-reporter/built-in-reporters";
import { cleanText } from "@ecr-scan-reporter/core";
import { bundledCoreTarball } from "../install-paths.js";
import { UsageError } from "../usage-error.js";
import { reporterPackageFiles } from "./new-reporter-template.js";
import { shellQuote, thisCliCommand } from "./sandbox-hints.js";

export interface NewReporterOptions {
  /** The npm package name; default: from the folder's name. */
  name?: string;
  /** The npm spec of the core dependency; default: the core tarball that travels with the CLI. */
  core?: string;
}

/** Where the `@ecr-scan-reporter/core` dependency comes from: a spec, and a tarball to copy into vendor/ for it. */
export interface CoreSource {
  spec: string;
  tarball?: string;
}

/** Names npm refuses for a new package, whatever their characters. */
const RESERVED_NAMES = new Set(["node_modules", "favicon.ico"]);

/**
 * Why `name` cannot be the package's name, or undefined when it can: npm's rules for a new package (lower case,
 * URL-safe, at most 214 characters, not a Node.js module) narrowed to what report-findings loads from a layer (no
 * `~`), and not a built-in reporter's name, which `use` would resolve to the built-in one.
 */
export function packageNameProblem(name: string): string | undefined {
  const shown = JSON.stringify(cleanText(name, { singleLine: true }));
  if (name.length === 0) return "the package name is empty";
  if (name.length > 214) return `${shown} is longer than npm's 214 characters`;
  if (!/^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/.test(name)) {
    return `${shown} is not an npm package name: lower-case letters, digits, "-", "." and "_", starting with a letter or digit, optionally under a scope (@acme/…)`;
  }
  if (BUILT_IN_REPORTER_NAMES.includes(name)) {
    return `${shown} is a built-in reporter's name: a configuration's "use" would load the built-in one`;
  }
  if (RESERVED_NAMES.has(name) || builtinModules.includes(name)) return `${shown} is a name npm reserves`;
  return undefined;
}

/** A package name from a folder's name (`My Reporter` → `my-reporter`); undefined when nothing usable is left. */
export function packageNameFromFolder(folder: string): string | undefined {
  const name = basename(resolve(folder))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[._-]+|[-.]+$/g, "");
  return name || undefined;
}

/** The package's name: `--name` when given, else the folder's; a usage error says what to do when neither works. */
export function packageNameOf(folder: string, name: string | undefined): string {
  if (name !== undefined) {
    const problem = packageNameProblem(name);
    if (problem) throw new UsageError(`--name: ${problem}.`);
    return name;
  }
  const derived = packageNameFromFolder(folder);
  const problem = derived === undefined ? "no package name can be made of it" : packageNameProblem(derived);
  if (problem || derived === undefined) {
    throw new UsageError(
      `The folder's name gives no package name (${problem}): pass --name, e.g. --name @acme/ecr-reporter-webhook.`,
    );
  }
  return derived;
}

/**
 * The core dependency: `--core` as given, but a `file:` tarball is copied into the package (vendor/) and named
 * relative to it, so the package does not depend on where the tarball was; without `--core`, the tarball that
 * travels with the CLI. A run from the workspace has none: then `--core` is required.
 */
export function coreSourceOf(core: string | undefined, bundled: string | undefined, cwd: string): CoreSource {
  if (core === undefined) {
    if (bundled) return { spec: `file:vendor/${basename(bundled)}`, tarball: bundled };
    throw new UsageError(
      "No @ecr-scan-reporter/core tarball comes with this CLI (it runs from the workspace, not from its build): pass " +
        "--core, e.g. --core file:/path/to/ecr-scan-reporter-core-0.1.0.tgz (made by `pnpm --filter " +
        "@ecr-scan-reporter/core pack`) or, once core is published, --core ^0.1.0.",
    );
  }
  const spec = core.trim();
  if (!spec)
    throw new UsageError("--core is empty: pass an npm spec such as file:/path/to/core.tgz or ^0.1.0.");
  if (!spec.startsWith("file:")) return { spec };
  const path = resolve(cwd, spec.slice("file:".length));
  if (!existsSync(path)) throw new UsageError(`--core ${spec}: ${path} does not exist.`);
  if (statSync(path).isFile()) return { spec: `file:vendor/${basename(path)}`, tarball: path };
  return { spec: `file:${path}` };
}

/** The folder must be new, or an empty folder: new-reporter never writes beside other files. */
function checkTarget(target: string, shown: string): void {
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory())
    throw new UsageError(`${shown} is a file: name a new or empty folder.`);
  if (readdirSync(target).length > 0) {
    throw new UsageError(`${shown} is not empty: new-reporter writes into a new or empty folder only.`);
  }
}

/** Where the command runs, and the core tarball that came with the CLI: replaceable in tests. */
export interface NewReporterEnvironment {
  cwd: string;
  bundledCore: () => string | undefined;
  /** How to run this CLI in the printed next steps (`npx ecr-scan-reporter`, `pnpm exec …`, `node …/bin/…`). */
  cliCommand?: (cwd: string) => string;
}

/** `ecr-scan-reporter new-reporter <dir>`: writes a reporter package into a new (or empty) folder. */
export async function newReporterCommand(
  dir: string,
  options: NewReporterOptions,
  { cwd, bundledCore, cliCommand = thisCliCommand }: NewReporterEnvironment = {
    cwd: process.cwd(),
    bundledCore: bundledCoreTarball,
  },
): Promise<number> {
  const target = resolve(cwd, dir);
  const shown = isAbsolute(dir) ? target : relative(cwd, target) || ".";
  // Everything is checked before anything is written: a refused run leaves no half-made folder.
  checkTarget(target, shown);
  const packageName = packageNameOf(target, options.name);
  const core = coreSourceOf(options.core, bundledCore(), cwd);
  const folder = shellQuote(shown);

  const files = reporterPackageFiles({ packageName, coreSpec: core.spec, folder });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    writeFileSync(join(target, path), content);
  }
  if (core.tarball) {
    mkdirSync(join(target, "vendor"), { recursive: true });
    copyFileSync(core.tarball, join(target, "vendor", basename(core.tarball)));
  }

  const written = [...Object.keys(files), ...(core.tarball ? [`vendor/${basename(core.tarball)}`] : [])];
  process.stdout.write(
    [
      `Wrote the reporter package ${packageName} into ${shown}/ (@ecr-scan-reporter/core: ${core.spec}):`,
      ...written.map((path) => `  ${path}`),
      "",
      "Next, from here:",
      `  (cd ${folder} && npm install && npm test && npm run build)`,
      `  ${cliCommand(cwd)} demo --config ${folder}/demo.json --reporters ${folder}/dist/layer/nodejs/node_modules`,
      "",
    ].join("\n"),
  );
  return 0;
}
