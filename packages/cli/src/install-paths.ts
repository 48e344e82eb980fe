import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Where the CLI finds what travels with it. From the workspace (src/ run through tsx) these are the repository's own
// files; from the installed package (dist/cli.mjs, built by scripts/build.mjs) they are the copies its build put in
// dist/. Both layouts are tried, so the same code serves a clone and an `npm install` of the tarball.
const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, "..");

/** The Lambda bundles (`<function>/index.mjs`) the demo and the sandbox run: the ones Terraform deploys. */
export function functionBundlesDir(): string {
  // Beside the bundle only: the sources in a clone run terraform/dist even when a `pnpm pack` left dist/ behind (a copy
  // that the next `pnpm build` makes stale).
  const installed = join(here, "functions");
  if (existsSync(join(installed, "report-findings", "index.mjs"))) return installed;
  return join(packageRoot, "..", "..", "terraform", "dist");
}

/** The packed `@ecr-scan-reporter/core` tarball that travels with the CLI (for `new-reporter`), if this build has one. */
export function bundledCoreTarball(): string | undefined {
  // Beside the bundle only, as the function bundles: a clone's dist/ is a leftover of `pnpm pack`, maybe stale.
  const vendor = join(here, "vendor");
  if (!existsSync(vendor)) return undefined;
  const tarball = readdirSync(vendor).find((name) => /^ecr-scan-reporter-core-.+\.tgz$/.test(name));
  return tarball ? join(vendor, tarball) : undefined;
}

/** The CLI package's own folder: packages/cli in a clone, `…/node_modules/@ecr-scan-reporter/cli` once installed. */
export function cliPackageRoot(): string {
  return packageRoot;
}
