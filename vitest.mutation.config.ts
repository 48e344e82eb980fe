import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Alias } from "vite";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import base from "./vitest.config.js";

// The vitest configuration `pnpm mutate` runs (stryker.config.mjs): the `unit` project of vitest.config.ts alone —
// no sandbox processes, no bundles, no Terraform — with every workspace package resolved to the sources beside
// this file. Stryker runs the tests in a copy of the tree (.stryker-tmp/sandbox-*) whose sources carry the mutants,
// but `@ecr-scan-reporter/core` in a package's node_modules is a pnpm symlink to the ORIGINAL packages/core, so a
// reporter's or a Lambda's tests would run unmutated core and could kill none of its mutants. The aliases follow
// each package.json `exports` map, so a new entry point needs no change here.
//
// The unit project's `isolate: false` is kept (files of one run share the module cache: half the time of isolated
// files): vitest starts new worker threads for each run Stryker asks for, so no module state, nor a mutant that
// acts while a module loads, carries over from one mutant's run to the next (checked with vitest 4.1.12).
const root = fileURLToPath(new URL(".", import.meta.url));

const packageDirs = [
  ...readdirSync(join(root, "packages")).map((name) => join(root, "packages", name)),
  join(root, "terraform/examples/custom-reporter/teams-reporter"),
].filter((dir) => existsSync(join(dir, "package.json")));

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** One exact-match alias per `exports` entry of each workspace package: `@scope/pkg/sub` → <dir>/<target>. */
function workspaceAliases(): Alias[] {
  return packageDirs.flatMap((dir) => {
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      name: string;
      exports?: string | Record<string, unknown>;
    };
    const exportsMap =
      typeof manifest.exports === "string" ? { ".": manifest.exports } : (manifest.exports ?? {});
    return Object.entries(exportsMap).map(([subpath, target]) => {
      if (typeof target !== "string") {
        throw new Error(
          `${manifest.name}: exports["${subpath}"] is not a plain path; vitest.mutation.config.ts maps only those`,
        );
      }
      const specifier = subpath === "." ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
      return { find: new RegExp(`^${escapeRegExp(specifier)}$`), replacement: join(dir, target) };
    });
  });
}

const unit = base.test?.projects
  ?.filter((project): project is TestProjectInlineConfiguration => typeof project === "object")
  .find((project) => project.test?.name === "unit");
if (!unit?.test)
  throw new Error("vitest.config.ts has no `unit` project: vitest.mutation.config.ts runs that one");

export default defineConfig({
  resolve: { alias: workspaceAliases() },
  test: {
    ...unit.test,
    env: base.test?.env,
  },
});
