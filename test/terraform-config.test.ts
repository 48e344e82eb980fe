// The configuration document the Terraform module renders must be one the functions accept: this plans the module
// offline (terraform test, mock provider: no credentials, no network) and parses the documents of two runs of
// terraform/tests/reporters.tftest.hcl — the defaults and every reporter enabled — with the core schema.
//
// `terraform test -json -verbose` prints each run's plan as JSON (a "test_plan" message); the document is the
// planned value of the `config_document` output. Terraform's working files go to a temporary TF_DATA_DIR, so this
// test does not race `node scripts/terraform-check.mjs` over terraform/.terraform.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@ecr-scan-reporter/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MODULE_DIR = join(import.meta.dirname, "..", "terraform");
const TEST_FILE = "tests/reporters.tftest.hcl";
const PLUGIN_MIRROR = "/opt/tf-plugins";

interface TestPlanMessage {
  type: string;
  "@testrun"?: string;
  test_plan?: { output_changes?: Record<string, { after?: unknown }> };
  test_summary?: { status: string; passed: number; failed: number; errored: number };
}

function terraformEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TF_DATA_DIR: dataDir,
    TF_IN_AUTOMATION: "1",
    CHECKPOINT_DISABLE: "1",
  };
  if (existsSync(PLUGIN_MIRROR)) env.TF_CLI_CONFIG_FILE = join(MODULE_DIR, "terraform.cli.hcl");
  return env;
}

/** Runs terraform in the module; calls onLine for each line of stdout; resolves with the exit code and stderr. */
function terraform(args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void = () => {}) {
  return new Promise<{ code: number | null; stderr: string; stdoutTail: string }>((resolve, reject) => {
    const child = spawn("terraform", args, { cwd: MODULE_DIR, env });
    // A plan line is megabytes long: gather its chunks and join them once, at its newline.
    let pending: string[] = [];
    let stderr = "";
    let stdoutTail = "";
    const emit = (line: string) => {
      if (line.length < 2000) stdoutTail = `${stdoutTail}${line}\n`.slice(-4000);
      onLine(line);
    };
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      let start = 0;
      for (let newline = chunk.indexOf("\n"); newline !== -1; newline = chunk.indexOf("\n", start)) {
        pending.push(chunk.slice(start, newline));
        emit(pending.join(""));
        pending = [];
        start = newline + 1;
      }
      if (start < chunk.length) pending.push(chunk.slice(start));
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", (error) =>
      reject(new Error(`could not run terraform (${error.message}); install Terraform >= 1.6`)),
    );
    child.on("close", (code) => {
      if (pending.length > 0) emit(pending.join(""));
      resolve({ code, stderr, stdoutTail });
    });
  });
}

describe("the Terraform module's config document", () => {
  const documents = new Map<string, string>();
  let dataDir = "";

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "tf-data-"));
    const env = terraformEnv(dataDir);
    const init = await terraform(["init", "-backend=false", "-input=false", "-no-color"], env);
    if (init.code !== 0) throw new Error(`terraform init failed:\n${init.stderr}${init.stdoutTail}`);

    let summary: TestPlanMessage["test_summary"];
    const test = await terraform(["test", "-json", "-verbose", `-filter=${TEST_FILE}`], env, (line) => {
      // Each plan message carries the provider's whole schema (megabytes): only those of our two runs are parsed.
      if (!line.includes('"type":"test_plan"') && !line.includes('"type":"test_summary"')) return;
      const message = JSON.parse(line) as TestPlanMessage;
      if (message.type === "test_summary") summary = message.test_summary;
      const run = message["@testrun"];
      const after = message.test_plan?.output_changes?.config_document?.after;
      if (run && typeof after === "string") documents.set(run, after);
    });
    if (test.code !== 0 || summary?.status !== "pass") {
      throw new Error(
        `terraform test ${TEST_FILE} failed (${JSON.stringify(summary)}):\n${test.stderr}${test.stdoutTail}`,
      );
    }
  }, 120_000);

  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  function documentOf(run: string): unknown {
    const text = documents.get(run);
    expect(text, `the plan of run "${run}" has a config_document output`).toBeTypeOf("string");
    return JSON.parse(text as string);
  }

  it("parses the default plan's document with the core schema", () => {
    const config = parseConfig(documentOf("default_reporters"), "terraform plan (defaults)");

    expect(config.scan.expiry).toEqual({ text: "7d", ms: 7 * 24 * 3600 * 1000 });
    expect(config.scan.maxScansPerRun).toBe(5000);
    expect(config.scan.onlyPulledWithin).toBeUndefined();
    expect(config.repositories).toEqual({});
    expect(config.thresholds).toEqual({
      CRITICAL: 0,
      HIGH: 0,
      MEDIUM: null,
      LOW: null,
      INFORMATIONAL: null,
      UNDEFINED: null,
    });
    expect(config.notifyOnScanFailure).toBe(true);
    expect(config.ignore).toEqual([]);
    expect(config.reporters).toEqual([
      { use: "sns", options: { topicArn: "arn:aws:sns:eu-west-1:123456789012:ecr-scan-reporter-findings" } },
    ]);
  });

  it("parses the every-reporter plan's document with the core schema", () => {
    const config = parseConfig(documentOf("every_reporter"), "terraform plan (every reporter)");

    expect(config.repositories.include?.source).toBe("^team-");
    expect(config.repositories.exclude?.source).toBe("sandbox");
    expect(config.scan.expiry.text).toBe("3d");
    expect(config.scan.onlyPulledWithin?.text).toBe("90d");
    expect(config.scan.maxScansPerRun).toBe(1000);
    expect(config.thresholds).toMatchObject({ CRITICAL: 0, HIGH: 0, MEDIUM: 10, LOW: null });
    expect(config.notifyOnScanFailure).toBe(false);
    expect(config.ignore.map((entry) => [entry.id, entry.repositories?.source, entry.until])).toEqual([
      ["CVE-2023-4863", /^legacy\//.source, "2027-01-31"],
      ["GHSA-xxxx-yyyy-zzzz", undefined, undefined],
    ]);
    expect(config.reporters.map((r) => [r.use, r.repositories?.source, r.minSeverity])).toEqual([
      ["sns", undefined, undefined],
      ["slack", /^team-a\//.source, "HIGH"],
      ["github", undefined, undefined],
      ["email", undefined, "CRITICAL"],
      ["metrics", undefined, undefined],
      ["@acme/ecr-reporter-teams", /^team-b\//.source, undefined],
      ["@acme/ecr-reporter-jira", undefined, "HIGH"],
    ]);
    const options = Object.fromEntries(config.reporters.map((r) => [r.use, r.options]));
    expect(options.slack).toMatchObject({
      webhookUrl: { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a" },
    });
    expect(options.github).toMatchObject({ token: { parameter: "/ecr-scan-reporter/github-token" } });
    expect(options.email).toMatchObject({
      from: "ECR scans <scans@mail.acme.example>",
      replyTo: ["noreply@acme.example"],
    });
    expect(options["@acme/ecr-reporter-jira"]).toEqual({
      project: "SEC",
      labels: ["ecr"],
      token: { parameter: "/acme/jira-token" },
    });
  });
});
