// Runs `terraform test -json -verbose` on some of the module's test files (mock provider: no credentials, no
// network) and hands each plan, state and summary message to the caller: how the TypeScript tests read what the
// module renders. Terraform's working files go to a temporary TF_DATA_DIR, so that runs of several test files at
// once, and `node scripts/terraform-check.mjs`, do not race over terraform/.terraform.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MODULE_DIR = join(import.meta.dirname, "..", "..", "terraform");
const PLUGIN_MIRROR = "/opt/tf-plugins";

export interface StateResource {
  mode: string;
  type: string;
  values: Record<string, unknown>;
}

export interface StateModule {
  address?: string;
  resources?: StateResource[];
  child_modules?: StateModule[];
}

export interface PlannedResourceChange {
  address: string;
  type: string;
  index?: string | number;
  change: { actions: string[]; after?: Record<string, unknown> | null };
}

/** An error or warning of `terraform test -json`: where a failed validation or precondition is reported. */
export interface TerraformDiagnostic {
  severity: string;
  summary: string;
  detail: string;
  range?: { filename: string; start: { line: number } };
}

/** One line of `terraform test -json -verbose`, with the fields the tests read. */
export interface TerraformTestMessage {
  type: string;
  "@testfile"?: string;
  "@testrun"?: string;
  diagnostic?: TerraformDiagnostic;
  test_run?: { run: string; progress: string; status?: string };
  test_plan?: {
    output_changes?: Record<string, { after?: unknown }>;
    resource_changes?: PlannedResourceChange[];
  };
  test_state?: { root_module?: StateModule };
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
    // A plan or state line is megabytes long: gather its chunks and join them once, at its newline.
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
      reject(new Error(`could not run terraform (${error.message}); install Terraform >= 1.7`)),
    );
    child.on("close", (code) => {
      if (pending.length > 0) emit(pending.join(""));
      resolve({ code, stderr, stdoutTail });
    });
  });
}

export interface RunTerraformTestsOptions {
  /** The directory of the test files, relative to terraform/ (Terraform refuses one outside it): default "tests". */
  testDirectory?: string;
  /** Resolve even when runs fail (their diagnostics are the point), as long as Terraform ran them all. */
  allowFailedRuns?: boolean;
}

/**
 * Runs the given test files of terraform/ (paths like "tests/events.tftest.hcl"; none: every file of the test
 * directory) and calls onMessage with each plan, state, run progress, diagnostic and summary message. Rejects
 * unless every run passed (or, with allowFailedRuns, unless Terraform got to its summary).
 */
export async function runTerraformTests(
  files: readonly string[],
  onMessage: (message: TerraformTestMessage) => void,
  options: RunTerraformTestsOptions = {},
): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "tf-data-"));
  try {
    const env = terraformEnv(dataDir);
    // init installs the modules the test files' runs plan (`module { source = … }`): those of the directory tested.
    const initArgs = ["init", "-backend=false", "-input=false", "-no-color"];
    if (options.testDirectory) initArgs.push(`-test-directory=${options.testDirectory}`);
    const init = await terraform(initArgs, env);
    if (init.code !== 0) throw new Error(`terraform init failed:\n${init.stderr}${init.stdoutTail}`);

    let summary: TerraformTestMessage["test_summary"];
    const args = ["test", "-json", "-verbose", ...files.map((file) => `-filter=${file}`)];
    if (options.testDirectory) args.push(`-test-directory=${options.testDirectory}`);
    const test = await terraform(args, env, (line) => {
      // Only what is needed is parsed: plan and state messages carry the provider's whole schema (megabytes).
      if (!/"type":"(test_(plan|state|summary|run)|diagnostic)"/.test(line)) return;
      const message = JSON.parse(line) as TerraformTestMessage;
      if (message.type === "test_summary") summary = message.test_summary;
      onMessage(message);
    });
    const finished = options.allowFailedRuns
      ? summary !== undefined
      : test.code === 0 && summary?.status === "pass";
    if (!finished) {
      throw new Error(
        `terraform test ${files.join(" ")} failed (${JSON.stringify(summary)}):\n${test.stderr}${test.stdoutTail}`,
      );
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
