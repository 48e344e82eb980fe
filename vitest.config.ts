import { defineConfig } from "vitest/config";

// Four projects, by what a test needs to run (docs/development.md):
// - unit: one process, no AWS sandbox, no built bundles, no child processes, no Terraform (the Slack and GitHub
//   receivers on loopback stand in for the targets). `pnpm test:unit`, seconds; sees a source change at once.
// - bundle: the built Lambda bundles in terraform/dist, each run in a fresh Node process against the sandbox.
// - e2e: the whole flow, the demo and the CLI, as processes on the sandbox.
// - terraform: the module's configuration document rendered by `terraform test` and parsed by the real schemas.
const SLOW = 60_000;

export default defineConfig({
  test: {
    // The JSON report gives .ci/run the real pass/fail counts.
    reporters: ["default", "json"],
    // The AWS SDK warns once per process that it will need Node 22 from 2027: noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    outputFile: { json: ".vitest-results.json" },
    projects: [
      {
        test: {
          name: "unit",
          // Worker threads, and test files sharing a worker's module cache: on two cores the unit run takes ~30 s
          // instead of ~65 s. Safe because unit tests hold no state between files: handlers are imported afresh
          // per test (vi.resetModules), AWS client mocks are reset before each test, environment stubs undone
          // after each (checked with the files in shuffled order).
          pool: "threads",
          isolate: false,
          include: [
            "packages/*/test/**/*.test.ts",
            "terraform/examples/custom-reporter/teams-reporter/test/**/*.test.ts",
            "test/conformance.test.ts",
            "test/incomplete-report.test.ts",
            "test/support/**/*.test.ts",
            "test/bench/**/*.test.ts",
          ],
          exclude: ["**/node_modules/**", "**/*.bundle.test.ts", "**/*.e2e.test.ts"],
        },
      },
      { test: { name: "bundle", include: ["test/**/*.bundle.test.ts"], testTimeout: SLOW } },
      {
        test: {
          name: "e2e",
          include: ["test/**/*.e2e.test.ts", "packages/*/test/**/*.e2e.test.ts"],
          testTimeout: SLOW,
        },
      },
      { test: { name: "terraform", include: ["test/terraform-*.test.ts"], testTimeout: 5 * SLOW } },
    ],
  },
});
