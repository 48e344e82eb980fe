// Prints `tests: N passed, N failed` from what the runners of `pnpm test` recorded: vitest's JSON report and
// the summary lines of `terraform test`. Missing reports count as nothing run.
import { existsSync, readFileSync } from "node:fs";

let passed = 0;
let failed = 0;
if (existsSync(".vitest-results.json")) {
  const report = JSON.parse(readFileSync(".vitest-results.json", "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
}
if (existsSync(".terraform-test-results.txt")) {
  for (const match of readFileSync(".terraform-test-results.txt", "utf8").matchAll(
    /(\d+) passed, (\d+) failed/g,
  )) {
    passed += Number(match[1]);
    failed += Number(match[2]);
  }
}
console.log(`tests: ${passed} passed, ${failed} failed`);
