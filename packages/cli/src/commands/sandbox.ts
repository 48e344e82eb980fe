import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type Sandbox,
  seedSecret,
  startGitHubReceiver,
  startSandbox,
  startSlackReceiver,
  startWebhookReceiver,
} from "@ecr-scan-reporter/sandbox";
import {
  createReceivedWriter,
  DEMO_SCAN_CONFIG,
  seedDemoRegistry,
  wireLocalReporters,
} from "@ecr-scan-reporter/sandbox/demo";
import { shownPath } from "../context.js";
import { UsageError } from "../usage-error.js";
import { sandboxHints, thisCliCommand } from "./sandbox-hints.js";
import { parseSecretFlags } from "./secret-flag.js";

/** The ledger table the sandbox command creates (the module's would be `<name_prefix>-ledger`). */
export const SANDBOX_LEDGER_TABLE = "ecr-scan-reporter-ledger";

/** Where a custom reporter finds the sandbox's webhook receiver: the demo's parameter, the same name. */
export const SANDBOX_WEBHOOK_PARAMETER = "/ecr-scan-reporter/demo-webhook-url";

/** The file that marks a folder as a sandbox's output (a later session may replace it, nothing else). */
const SESSION_FILE = "sandbox-session.json";

/** How often what the receivers got is written out. */
const WRITE_INTERVAL_MS = 200;

export interface SandboxCommandOptions {
  port?: string;
  writeConfig: string;
  /** Where to write what the receivers get. */
  out: string;
  /** `NAME=VALUE` each: secrets for custom reporters, where their configuration references them. */
  secret?: string[];
}

/** A running sandbox with its receivers, configuration and output folder. */
export interface SandboxSession {
  sandbox: Sandbox;
  configPath: string;
  outDir: string;
  /** What the command prints: where everything is, and the commands to try. */
  lines: string[];
  /** Writes what the receivers got since the last call; returns the files, relative to `outDir`. */
  flush(): string[];
  close(): Promise<void>;
}

/** --port as a number: 1 to 65535. */
export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65_535)) {
    throw new UsageError(
      `--port ${text}: expected a port number from 1 to 65535, or omit --port for a free one.`,
    );
  }
  return port;
}

/** What to do when the port cannot be listened on (Node's listen error), in words; undefined for other errors. */
export function listenProblem(error: unknown): string | undefined {
  const { code, port } = (error ?? {}) as { code?: unknown; port?: unknown };
  if (code === "EADDRINUSE")
    return `port ${String(port)} is in use: pick another with --port, or omit --port for a free one.`;
  if (code === "EACCES")
    return `port ${String(port)} is not allowed for this user (ports below 1024 need privileges): pick another with --port, or omit --port for a free one.`;
  return undefined;
}

/** A previous sandbox's output may be replaced, never a folder holding something else. */
function checkOutDir(outDir: string): void {
  if (existsSync(outDir) && readdirSync(outDir).length > 0 && !existsSync(join(outDir, SESSION_FILE))) {
    throw new UsageError(
      `--out ${outDir} is not empty and holds no previous sandbox output: choose another folder with --out.`,
    );
  }
}

/** Creates the output folder empty (checkOutDir said it may). */
function prepareOutDir(outDir: string): void {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
}

/**
 * Starts the sandbox with the demo's registry, Slack, GitHub and webhook receivers, the findings ledger's table and
 * the secrets given; writes a configuration whose five reporters send to them, and prepares the output folder.
 */
export async function startSandboxSession(
  options: SandboxCommandOptions,
  cwd = process.cwd(),
): Promise<SandboxSession> {
  // Everything the flags can get wrong is found before anything starts.
  const port = parsePort(options.port);
  const secrets = parseSecretFlags(options.secret);
  const outDir = resolve(cwd, options.out);
  const configPath = resolve(cwd, options.writeConfig);
  checkOutDir(outDir);

  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({ port, scanDurationMs: 1_000 });
  } catch (error) {
    const problem = listenProblem(error);
    throw problem ? new UsageError(problem) : error;
  }
  const closers: (() => Promise<void>)[] = [() => sandbox.close()];
  const close = async () => {
    await Promise.all(closers.map((c) => c()));
  };
  try {
    prepareOutDir(outDir);
    const slack = await startSlackReceiver({ rateLimit: false });
    closers.push(() => slack.close());
    const github = await startGitHubReceiver({ repositories: ["acme/security"] });
    closers.push(() => github.close());
    const webhook = await startWebhookReceiver();
    closers.push(() => webhook.close());

    const seeded = seedDemoRegistry(sandbox.ecr);
    // The receivers' URLs and the GitHub token as a deployment keeps them (a secret, a SecureString), as the demo.
    const reporters = wireLocalReporters(sandbox, { slackWebhookUrl: slack.url(), githubApiUrl: github.url });
    sandbox.ssm.putParameter(SANDBOX_WEBHOOK_PARAMETER, webhook.url);
    // After the sandbox's own: a --secret naming one of them replaces it.
    for (const secret of secrets) seedSecret(sandbox, secret.ref, secret.value);
    await sandbox.dynamodb.createLedgerTable(SANDBOX_LEDGER_TABLE);
    writeFileSync(
      configPath,
      `${JSON.stringify(
        {
          ...DEMO_SCAN_CONFIG,
          // The sandbox's KEV feed and EPSS API: reports, digests and exposure never reach CISA or FIRST from it.
          intel: { kevUrl: sandbox.intel.kevUrl, epssUrl: sandbox.intel.epssUrl },
          reporters,
        },
        null,
        2,
      )}\n`,
    );
    writeFileSync(
      join(outDir, SESSION_FILE),
      `${JSON.stringify({ endpoint: sandbox.endpoint, region: sandbox.region, config: configPath }, null, 2)}\n`,
    );
    const writer = createReceivedWriter(
      outDir,
      { sns: sandbox.sns, ses: sandbox.ses, slack, github, webhook },
      { numbering: "running" },
    );
    const prefix = thisCliCommand(cwd);
    const shown = shownPath(outDir, cwd);
    const lines = [
      `sandbox on ${sandbox.endpoint}: ${sandbox.ecr.repositories.size} repositories, ${seeded.length} images (the demo's registry)`,
      `configuration written to ${configPath}: reporters sns, slack, github, email and metrics, sending to the sandbox and its Slack and GitHub receivers`,
      `what the receivers get is written to ${shown}/ as it arrives (sns/, slack/, github/, email/; webhooks/ for a custom reporter pointed at the SSM parameter ${SANDBOX_WEBHOOK_PARAMETER})`,
      ...(secrets.length > 0
        ? [
            `secrets stored: ${secrets.map(({ ref }) => ("parameter" in ref ? ref.parameter : ref.secretArn)).join(", ")}`,
          ]
        : []),
      "",
      ...sandboxHints({
        prefix,
        endpoint: sandbox.endpoint,
        region: sandbox.region,
        configPath,
        ledgerTable: SANDBOX_LEDGER_TABLE,
        repository: "team-a/api",
        tag: "v1.0.0",
        cve: "CVE-2024-3094",
      }),
      "",
      "Ctrl-C stops it.",
    ];
    return {
      sandbox,
      configPath,
      outDir,
      lines,
      flush: () => writer.flush({ label: new Date(sandbox.now()).toISOString() }),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * `ecr-scan-reporter sandbox`: the demo's registry on a local sandbox that stays up until Ctrl-C, so `plan`,
 * `scan`, `report`, `digest` and `exposure` can be tried against it with --endpoint-url. Writes a matching
 * configuration file, creates a findings ledger table as the Terraform module would, and writes what its receivers
 * get to a folder as it arrives.
 */
export async function sandboxCommand(options: SandboxCommandOptions): Promise<number> {
  const session = await startSandboxSession(options);
  process.stdout.write(`${session.lines.join("\n")}\n`);
  const shown = shownPath(session.outDir);
  const flush = () => {
    try {
      const files = session.flush();
      if (files.length > 0)
        process.stdout.write(`received: ${files.map((f) => join(shown, f)).join(", ")}\n`);
    } catch (error) {
      process.stderr.write(
        `could not write to ${shown}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
  };
  const timer = setInterval(flush, WRITE_INTERVAL_MS);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      done();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  clearInterval(timer);
  flush();
  await session.close();
  return 0;
}
