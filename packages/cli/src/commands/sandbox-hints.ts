import { existsSync } from "node:fs";
import { basename, delimiter, dirname, isAbsolute, join, relative, sep } from "node:path";
import { cliPackageRoot } from "../install-paths.js";

// The commands `ecr-scan-reporter sandbox` prints to try: each must work when pasted into a POSIX shell (sh, bash,
// zsh) in the folder the sandbox was started from, however the CLI was installed there.

/** A word for a POSIX shell: as it is when nothing in it is special, else in single quotes. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_/.:=@%+,-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Whether `path` is `dir` or inside it. */
function within(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * How to run this CLI from `cwd`, from where its package is (`packageRoot`):
 * - in a clone (no node_modules on the way), anywhere inside the pnpm workspace: `pnpm exec ecr-scan-reporter`;
 * - installed in a project (`<project>/node_modules/…`), anywhere inside that project: `npx ecr-scan-reporter`
 *   (npx runs the project's own copy: outside a project it would look the name up in the registry instead);
 * - installed globally by npm (`<prefix>/lib/node_modules/…`, its bin in `<prefix>/bin` on PATH): the bare name;
 * - anything else (npx's cache, a folder outside the project): `node <the CLI's bin file>`, which works anywhere.
 */
export function commandPrefix(input: {
  packageRoot: string;
  cwd: string;
  exists: (path: string) => boolean;
  pathEnv?: string;
}): string {
  const { packageRoot, cwd, exists } = input;
  const modules = packageRoot.indexOf(`${sep}node_modules${sep}`);
  if (modules < 0) {
    for (let dir = packageRoot; dir !== dirname(dir); dir = dirname(dir)) {
      if (!exists(join(dir, "pnpm-workspace.yaml"))) continue;
      if (within(dir, cwd)) return "pnpm exec ecr-scan-reporter";
      break;
    }
  } else {
    const project = packageRoot.slice(0, modules);
    if (exists(join(project, "package.json")) && within(project, cwd)) return "npx ecr-scan-reporter";
    const path = (input.pathEnv ?? "").split(delimiter);
    if (basename(project) === "lib" && path.includes(join(dirname(project), "bin")))
      return "ecr-scan-reporter";
  }
  return `node ${shellQuote(join(packageRoot, "bin", "ecr-scan-reporter.mjs"))}`;
}

/** How to run this very CLI from `cwd`, in a command printed for the user to paste (commandPrefix). */
export function thisCliCommand(cwd: string): string {
  return commandPrefix({ packageRoot: cliPackageRoot(), cwd, exists: existsSync, pathEnv: process.env.PATH });
}

/** What the hints are about. */
export interface SandboxHintContext {
  /** How to run the CLI (commandPrefix). */
  prefix: string;
  endpoint: string;
  region: string;
  configPath: string;
  ledgerTable: string;
  /** A repository of the sandbox's registry, and one of its tags. */
  repository: string;
  tag: string;
  /** A CVE some of the registry's images carry, for `exposure`. */
  cve: string;
}

/**
 * The lines of commands to try, indented by two spaces, between lines of prose: scan before report (a report of a
 * scan still running waits for it with --wait), the ledger's table exported before the commands that read it.
 */
export function sandboxHints(ctx: SandboxHintContext): string[] {
  const aws = `--endpoint-url ${shellQuote(ctx.endpoint)} --region ${shellQuote(ctx.region)} --config ${shellQuote(ctx.configPath)}`;
  const run = (command: string) => `  ${ctx.prefix} ${command} ${aws}`;
  const image = shellQuote(`${ctx.repository}:${ctx.tag}`);
  return [
    "try, in another terminal in this folder:",
    run("plan"),
    run(`scan ${shellQuote(ctx.repository)}`),
    `${run(`report ${image} --wait`)} --out preview`,
    "",
    `with the findings ledger (table ${ctx.ledgerTable}): scan, then report sends through every reporter and records it, then digest and exposure read it:`,
    `  export LEDGER_TABLE_NAME=${shellQuote(ctx.ledgerTable)}`,
    run(`scan ${shellQuote(ctx.repository)}`),
    run(`report ${image} --wait`),
    `${run("digest")} --out digest-preview`,
    run(`exposure ${shellQuote(ctx.cve)}`),
  ];
}
