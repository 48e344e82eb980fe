import { readdirSync } from "node:fs";
import { defineConfig } from "vitest/config";

// One vitest project per package, plus the cross-package tests under test/.
const packages = readdirSync(new URL("./packages", import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

export default defineConfig({
  test: {
    // The JSON report gives .ci/run the real pass/fail counts.
    reporters: ["default", "json"],
    // The AWS SDK warns once per process that it will need Node 22 from 2027: noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    outputFile: { json: ".vitest-results.json" },
    projects: [
      ...packages.map((name) => ({
        test: { name, root: `packages/${name}`, include: ["test/**/*.test.ts"] },
      })),
      {
        test: {
          name: "teams-reporter-example",
          root: "terraform/examples/custom-reporter/teams-reporter",
          include: ["test/**/*.test.ts"],
        },
      },
      { test: { name: "integration", root: "test", include: ["**/*.test.ts"], testTimeout: 60_000 } },
    ],
  },
});
