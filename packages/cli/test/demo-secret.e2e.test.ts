import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SENTINEL_SECRET } from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";

// `demo --secret` with a custom reporter that fails, quoting its secrets in its error (as a careless reporter
// might): the demo seeds the secrets before any function runs, lets the functions read them as the module would
// (their references are in the reporter's options), prints each failing reporter once with its first error's
// message and how many reports failed the same way, and never prints a secret value (SENTINEL_SECRET's idea).

const PAGER_TOKEN = "pd-token-SENTINEL-0c1d2e3f";
const TOKEN_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:acme/pager-token";

/** A reporter package (plain ESM, any options) whose report() reads two secrets and fails saying them. */
function writeLeakyReporter(nodeModules: string): void {
  const dir = join(nodeModules, "@test", "leaky-pager");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "@test/leaky-pager", version: "1.0.0", type: "module", main: "index.mjs" }),
  );
  writeFileSync(
    join(dir, "index.mjs"),
    `export default {
  name: "@test/leaky-pager",
  optionsSchema: { safeParse: (data) => ({ success: true, data }) },
  create(options, deps) {
    return {
      async report() {
        const key = await deps.resolveSecret(options.routingKey);
        const token = await deps.resolveSecret(options.token);
        throw new Error("the pager refused routing key " + key + " with token " + token);
      },
    };
  },
};
`,
  );
}

describe("ecr-scan-reporter demo --secret", () => {
  it("runs a custom reporter with the secrets given, and prints why it failed without printing them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "demo-secret-"));
    writeLeakyReporter(join(dir, "node_modules"));
    const configPath = join(dir, "config.json");
    writeFileSync(
      configPath,
      JSON.stringify({
        reporters: [
          {
            use: "@test/leaky-pager",
            options: {
              routingKey: { parameter: "/acme/pager/routing-key" },
              token: { secretArn: TOKEN_ARN },
            },
          },
          // The same reporter with a parameter nobody stored: its error names the AWS error.
          {
            use: "@test/leaky-pager",
            options: { routingKey: { parameter: "/acme/pager/missing" }, token: { secretArn: TOKEN_ARN } },
          },
        ],
      }),
    );
    const out = join(dir, "demo-output");
    const run = await runCli(
      "demo",
      "--out",
      out,
      "--config",
      configPath,
      "--secret",
      `/acme/pager/routing-key=${SENTINEL_SECRET}`,
      "--secret",
      `${TOKEN_ARN}=${PAGER_TOKEN}`,
    );
    // A reporter failed: the demo says so with exit 3.
    expect(run.code).toBe(3);
    const summary = readFileSync(join(out, "demo-summary.json"), "utf8");
    for (const output of [run.stdout, run.stderr, summary]) {
      expect(output).not.toContain("SENTINEL-0c1d2e3f");
      expect(output).not.toContain("secret.invalid");
    }
    const errors = run.stdout.split("\n").filter((l) => l.startsWith("error: "));
    // One line per reporter and pass, not one per report.
    const first = errors.filter((l) =>
      l.startsWith("error: pass 1: report-findings: reporter @test/leaky-pager "),
    );
    expect(first).toHaveLength(1);
    // Both secrets were there for the function to read (stored before it ran, readable by its role).
    expect(first[0]).toMatch(
      /failed for \d+ reports: Error: the pager refused routing key \[redacted\] with token \[redacted\] \(all the same way\)$/,
    );
    const missing = errors.filter((l) =>
      l.startsWith("error: pass 1: report-findings: reporter @test/leaky-pager#2 "),
    );
    expect(missing).toHaveLength(1);
    // Its reason names the parameter it could not read (and the AWS error, in parentheses).
    expect(missing[0]).toContain(": SecretError: Could not read the SSM parameter /acme/pager/missing (");

    const parsed = JSON.parse(summary) as {
      reporterFailures: {
        when: string;
        reporter: string;
        failed: number;
        sameError: number;
        firstError: string;
      }[];
      passes: { reportsDue: number }[];
    };
    const pass1 = parsed.reporterFailures.filter((f) => f.when === "pass 1");
    expect(pass1.map((f) => f.reporter).sort()).toEqual(["@test/leaky-pager", "@test/leaky-pager#2"]);
    for (const failure of pass1) {
      // Every due report of the pass failed, each counted once.
      expect(failure.failed).toBe(parsed.passes[0]?.reportsDue);
      expect(failure.sameError).toBe(failure.failed);
    }
  }, 180_000);
});
