import { readFileSync } from "node:fs";
import { AccountUnreachableError, type Config, ConfigError, describeError } from "@ecr-scan-reporter/core";
import { Command, CommanderError } from "commander";
import { demoCommand } from "./commands/demo.js";
import { digestCommand } from "./commands/digest.js";
import { exposureCommand } from "./commands/exposure.js";
import { newReporterCommand } from "./commands/new-reporter.js";
import { planCommand } from "./commands/plan.js";
import { reportCommand } from "./commands/report.js";
import { sandboxCommand } from "./commands/sandbox.js";
import { scanCommand } from "./commands/scan.js";
import { validateCommand } from "./commands/validate.js";
import {
  accountUnreachableMessage,
  applyAwsOptions,
  type GlobalOptions,
  loadCliConfig,
  reportersFolderOf,
  requireRegion,
} from "./context.js";
import { EXIT } from "./exit-codes.js";
import { UsageError } from "./usage-error.js";

export { EXIT };

/** The CLI package's version: its package.json is one folder up from src/main.ts and from the bundle, dist/cli.mjs. */
function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return manifest.version;
}

/** Commander's collector for a repeatable --secret. */
const collectSecret = (value: string, previous: string[]) => [...previous, value];

function withGlobalOptions(command: Command): Command {
  return command
    .option(
      "-c, --config <file>",
      "configuration document (JSON); default ./ecr-scan-reporter.json if present",
    )
    .option("--region <region>", "AWS region (else AWS_REGION / the profile's)")
    .option("--profile <name>", "AWS shared-config profile (else AWS_PROFILE / default chain)")
    .option("--endpoint-url <url>", "send every AWS call to this endpoint (the sandbox, LocalStack)")
    .option("--json", "print JSON instead of tables")
    .option("--debug", "print stack traces and debug logs");
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command("ecr-scan-reporter")
    .description("Keep every ECR image under regular vulnerability scanning, and report what the scans find.")
    .version(cliVersion(), "-V, --version", "print the version")
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  // Every command that reads a configuration: the flags applied (an unknown profile is a usage error), then the
  // configuration read once (its problems need no AWS to be seen), then a region required up front, so "Region is
  // missing" says what to do and exits 2 instead of failing at the first call.
  const withConfig =
    (action: (options: GlobalOptions, config: Config) => Promise<number>) =>
    async (...args: unknown[]) => {
      const options = (args.at(-1) as Command).opts<GlobalOptions>();
      applyAwsOptions(options);
      const { config } = loadCliConfig(options);
      await requireRegion();
      exitCode = await action(options, config);
    };
  // `validate` reads its document itself (every problem at once, JSON positions) and needs no region.
  const withoutRegion =
    (action: (options: GlobalOptions) => Promise<number>) =>
    async (...args: unknown[]) => {
      const options = (args.at(-1) as Command).opts<GlobalOptions>();
      applyAwsOptions(options);
      exitCode = await action(options);
    };

  withGlobalOptions(
    program
      .command("plan")
      .description("show what would be scanned and why, without starting anything")
      .argument("[repositories...]", "only these repositories (default: those the config selects)")
      .option(
        "--account <id|name>",
        "the registry of this account of the configuration's `accounts` (its role assumed with your credentials)",
      )
      .option(
        "--reporters <dir>",
        "node_modules folder of custom reporter packages (default: ./node_modules)",
      ),
  ).action(
    withConfig(async (options, config) => {
      const names = (program.commands.find((c) => c.name() === "plan")?.processedArgs[0] as string[]) ?? [];
      return planCommand(config, names, Boolean(options.json), {
        reportersDir: reportersFolderOf(options),
        account: options.account,
      });
    }),
  );

  withGlobalOptions(
    program
      .command("scan")
      .description("plan, then start the scans (a progress bar on a terminal)")
      .argument("[repositories...]", "only these repositories (default: those the config selects)")
      .option(
        "--account <id|name>",
        "the registry of this account of the configuration's `accounts` (its role assumed with your credentials)",
      )
      .option(
        "--reporters <dir>",
        "node_modules folder of custom reporter packages (default: ./node_modules)",
      ),
  ).action(
    withConfig(async (options, config) => {
      const names = (program.commands.find((c) => c.name() === "scan")?.processedArgs[0] as string[]) ?? [];
      return scanCommand(config, names, Boolean(options.json), {
        reportersDir: reportersFolderOf(options),
        account: options.account,
      });
    }),
  );

  withGlobalOptions(
    program
      .command("validate")
      .description(
        "check the configuration as the functions will (schema, reporters and their options, secrets, templates): every problem at once",
      )
      .option(
        "--reporters <dir>",
        "node_modules folder of custom reporter packages (default: ./node_modules)",
      )
      .option("--templates <dir>", "a folder of template overrides to check too (laid out like templates/)"),
  ).action(withoutRegion(async (options) => validateCommand(options)));

  withGlobalOptions(
    program
      .command("report")
      .description("fetch an image's findings, apply the policy and run the configured reporters")
      .argument("<image>", "repository:tag, repository@sha256:…, or repository (:latest)")
      .option(
        "--account <id|name>",
        "the registry of this account of the configuration's `accounts` (its role assumed with your credentials)",
      )
      .option(
        "-o, --out <dir>",
        "instead of sending, write what each reporter would send to <dir>/<repository>/@<tag or sha256-…>/",
      )
      .option(
        "--fail-on-findings",
        "exit 1 when the report is over the thresholds (an image without a complete scan exits 4 regardless)",
      )
      .option("--wait", "wait for a running scan (IN_PROGRESS, PENDING) to finish before reporting")
      .option("--wait-timeout <duration>", "how long --wait waits, 1m to 1h (default 10m; implies --wait)")
      .option(
        "--templates <dir>",
        "a folder of template overrides laid out like templates/ (slack/finding.hbs…)",
      )
      .option(
        "--reporters <dir>",
        "node_modules folder of custom reporter packages (default: ./node_modules)",
      ),
  ).action(
    withConfig(async (options, config) => {
      const command = program.commands.find((c) => c.name() === "report");
      const image = command?.processedArgs[0] as string;
      const extra =
        command?.opts<{
          out?: string;
          failOnFindings?: boolean;
          templates?: string;
          wait?: boolean;
          waitTimeout?: string;
          account?: string;
        }>() ?? {};
      return reportCommand(image, config, {
        ...extra,
        json: options.json,
        debug: options.debug,
        reportersDir: reportersFolderOf(options),
      });
    }),
  );

  withGlobalOptions(
    program
      .command("digest")
      .description("build each route's digest from the findings ledger and send it, or with --out write it")
      .option(
        "-o, --out <dir>",
        "write what each reporter would send to this folder; nothing is sent or claimed",
      )
      .option("--table <name>", "the findings ledger's DynamoDB table (else LEDGER_TABLE_NAME)")
      .option(
        "--templates <dir>",
        "a folder of template overrides laid out like templates/ (slack/digest-header.hbs…)",
      )
      .option(
        "--reporters <dir>",
        "node_modules folder of custom reporter packages (default: ./node_modules)",
      ),
  ).action(
    withConfig(async (options, config) => {
      const command = program.commands.find((c) => c.name() === "digest");
      const extra = command?.opts<{ out?: string; table?: string; templates?: string }>() ?? {};
      return digestCommand(config, {
        ...extra,
        json: options.json,
        debug: options.debug,
        reportersDir: reportersFolderOf(options),
      });
    }),
  );

  withGlobalOptions(
    program
      .command("exposure")
      .description(
        "which images contain a vulnerability (or a package), from the findings ledger, and which are in use",
      )
      .argument("[vulnerability-id]", "e.g. CVE-2021-44228 (a CVE id in any case)")
      .option(
        "--package <name[@version]>",
        "images with findings in this package (and version: 2.14 is 2.14, 2.14.1…)",
      )
      .option("--table <name>", "the findings ledger's DynamoDB table (else LEDGER_TABLE_NAME)"),
  ).action(
    withConfig(async (options, config) => {
      const command = program.commands.find((c) => c.name() === "exposure");
      const id = command?.processedArgs[0] as string | undefined;
      const extra = command?.opts<{ package?: string; table?: string }>() ?? {};
      return exposureCommand(id, config, {
        ...extra,
        json: options.json,
        debug: options.debug,
      });
    }),
  );

  program
    .command("demo")
    .description("the whole flow on a local sandbox, no AWS account needed; writes every report to a folder")
    .option("-o, --out <dir>", "where to write the reports and the summary page", "demo-output")
    .option("-c, --config <file>", "add the reporters of this configuration (e.g. a custom reporter package)")
    .option(
      "--reporters <dir>",
      "node_modules folder of custom reporter packages (default: next to --config)",
    )
    .option(
      "--secret <NAME=VALUE>",
      "store a secret where a reporter's config references it: NAME an SSM parameter name (/x/key) or a Secrets Manager ARN; repeatable",
      collectSecret,
      [],
    )
    .option(
      "--accounts <n>",
      "accounts one hub deployment covers, 1-3: the hub's registry and up to two member accounts' (default 1)",
    )
    .option("--json", "print the summary as JSON")
    .option("--debug", "print stack traces")
    .action(
      async (options: {
        out: string;
        config?: string;
        reporters?: string;
        secret: string[];
        accounts?: string;
        json?: boolean;
      }) => {
        exitCode = await demoCommand(options);
      },
    );

  program
    .command("sandbox")
    .description(
      "keep a local sandbox with the demo's registry running (until Ctrl-C), to try plan/scan/report on",
    )
    .option("--port <port>", "listen on this port (default: a free one)")
    .option("--write-config <file>", "where to write a configuration that matches it", "sandbox-config.json")
    .option("-o, --out <dir>", "where to write what its receivers get, as it arrives", "sandbox-output")
    .option(
      "--secret <NAME=VALUE>",
      "store a secret where a reporter's config references it: NAME an SSM parameter name (/x/key) or a Secrets Manager ARN; repeatable",
      collectSecret,
      [],
    )
    .action(async (options: { port?: string; writeConfig: string; out: string; secret: string[] }) => {
      exitCode = await sandboxCommand(options);
    });

  program
    .command("new-reporter")
    .description(
      "write a reporter package (a webhook reporter, its tests, its layer build) into a new folder",
    )
    .argument("<dir>", "the folder to write it into: new, or empty")
    .option("--name <package-name>", "its npm package name (default: made of the folder's name)")
    .option(
      "--core <npm-spec>",
      "the @ecr-scan-reporter/core dependency, e.g. file:/path/to/core.tgz (default: the tarball that comes with the CLI)",
    )
    .action(async (dir: string, options: { name?: string; core?: string }) => {
      exitCode = await newReporterCommand(dir, options);
    });

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    const debug = argv.includes("--debug");
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof ConfigError || error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      if (debug && error.stack) process.stderr.write(`${error.stack}\n`);
      return EXIT.usage;
    }
    // A member role the caller's credentials could not assume (`--account`): AWS was asked and said no, exit 3,
    // with what to change on the trust side.
    if (error instanceof AccountUnreachableError) {
      process.stderr.write(`error: ${accountUnreachableMessage(error)}\n`);
      return EXIT.failure;
    }
    process.stderr.write(`error: ${describeError(error)}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    else process.stderr.write("(run with --debug for details)\n");
    return EXIT.failure;
  }
}
