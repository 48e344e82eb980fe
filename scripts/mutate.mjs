// `pnpm mutate [stryker options]`: runs Stryker (stryker.config.mjs) with the options given, then makes the two
// reports it keeps in reports/mutation/ independent of where the tree was checked out, so the committed
// incremental file does not change with the machine: Stryker writes the absolute project root into them.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const stryker = spawnSync("pnpm", ["exec", "stryker", "run", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});

for (const file of ["reports/mutation/mutation.json", "reports/mutation/stryker-incremental.json"]) {
  const path = join(root, file);
  if (!existsSync(path)) continue;
  const report = JSON.parse(readFileSync(path, "utf8"));
  if (report.projectRoot === undefined) continue;
  report.projectRoot = ".";
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
process.exitCode = stryker.status ?? 1;
