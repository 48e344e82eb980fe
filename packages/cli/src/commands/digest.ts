import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type ECRClient, GetRegistryScanningConfigurationCommand } from "@aws-sdk/client-ecr";
import { BUILT_IN_REPORTERS } from "@ecr-scan-reporter/built-in-reporters";
import {
  AccountAccess,
  type BuildDigestsOptions,
  buildDigests,
  type Config,
  createEcrClient,
  createPackageResolver,
  type Digest,
  type DigestOutcome,
  intelFromEnvironment,
  LEDGER_TABLE_ENV,
  type LoadedReporter,
  loadReporters,
  openDigestLedgers,
  type PreviewFile,
  periodKeyOf,
  type ReporterDeps,
  SEVERITIES,
  type SendDigestsResult,
  sendDigests,
} from "@ecr-scan-reporter/core";
import { printJson, printTable, writeSummary } from "../output.js";
import { createCliReporterDeps } from "../reporter-deps.js";
import { templatesFolder } from "../templates-option.js";
import { UsageError } from "../usage-error.js";

export interface DigestOptions {
  out?: string;
  table?: string;
  json?: boolean;
  templates?: string;
  debug?: boolean;
  /** The node_modules folder custom reporter packages load from (`--reporters`, default ./node_modules). */
  reportersDir?: string;
}

/** Said when no table is given: digests are built from the ledger, and there is no stand-in for it. */
export const NO_DIGEST_TABLE_MESSAGE = `digest needs the findings ledger's DynamoDB table: pass --table NAME or set ${LEDGER_TABLE_ENV} (the Terraform module's ledger_table_name output).`;

/** The ledger table from --table, else LEDGER_TABLE_NAME; a UsageError without either. */
export function digestTableName(option: string | undefined, env: Record<string, string | undefined>): string {
  const name = (option ?? env[LEDGER_TABLE_ENV])?.trim();
  if (!name) throw new UsageError(NO_DIGEST_TABLE_MESSAGE);
  return name;
}

/**
 * What goes into a reporter's folder of `digest --out`: its digest preview, or a note saying why there is none
 * (the entry turned digests off, the reporter has no digest(), or its plugin cannot preview one).
 */
export function digestPreviewFiles(
  loaded: LoadedReporter,
  digest: Digest | undefined,
  deps: Pick<ReporterDeps, "templates" | "clock">,
): PreviewFile[] {
  if (!digest) {
    const why =
      loaded.entry.digest === false
        ? "its entry says digest: false"
        : `${loaded.entry.use} does not support digests (its reporter has no digest(), reporter contract v1)`;
    return [{ name: "NOT-SENT.txt", content: `${loaded.id} would not be sent a digest: ${why}.\n` }];
  }
  return (
    loaded.plugin.previewDigest?.(digest, loaded.options, deps) ?? [
      {
        name: "NO-PREVIEW.txt",
        content: `${loaded.entry.use} offers no digest preview (its plugin has no previewDigest()); digest() would still send one.\n`,
      },
    ]
  );
}

/** One line about a digest: its open findings, images and how many are over the thresholds. */
export function describeDigest(digest: Digest): string {
  if (digest.emptyLedger) {
    return `${digest.route.reporterId}: the ledger knows nothing yet of its ${digest.open.images} images in use`;
  }
  const counts = SEVERITIES.filter((severity) => digest.open.counts[severity] > 0)
    .map((severity) => `${digest.open.counts[severity]} ${severity.toLowerCase()}`)
    .join(", ");
  return `${digest.route.reporterId}: ${counts || "no open findings"} over ${digest.open.images} images in use; ${digest.overThresholds.total} over the thresholds`;
}

function outcomeDetail(outcome: DigestOutcome): string {
  switch (outcome.status) {
    case "held":
      return outcome.why;
    case "failed":
      return outcome.error;
    case "sent":
      return outcome.detail ?? outcome.ref ?? "";
    default:
      return outcome.detail ?? "";
  }
}

/** The private registry's id, which is its account's: what the Lambda reads from its scheduled event. */
async function registryAccount(ecr: ECRClient): Promise<string> {
  const out = await ecr.send(new GetRegistryScanningConfigurationCommand({}));
  return out.registryId ?? "";
}

/**
 * `ecr-scan-reporter digest`: each route's digest, built from the ledger and the registry as send-digests builds it.
 * With --out, written as each reporter would send it and nothing claimed or sent; without, sent under the period
 * of the current minute, so a second run within the minute is held as already sent.
 */
export async function digestCommand(config: Config, options: DigestOptions): Promise<number> {
  const tableName = digestTableName(options.table, process.env);
  const deps = createCliReporterDeps({
    templatesDir: templatesFolder(options.templates),
    debug: options.debug,
  });
  const reporters = await loadReporters(
    config.reporters,
    BUILT_IN_REPORTERS,
    deps,
    createPackageResolver(options.reportersDir ?? join(process.cwd(), "node_modules")),
  );
  const ecr = createEcrClient();
  // Each account's registry with its own credentials (a member's role assumed with the caller's), as send-digests.
  const access = new AccountAccess(config.accounts);
  const ledgers = openDigestLedgers(tableName, process.env, deps.logger);
  const now = new Date();
  const build: BuildDigestsOptions = {
    gateway: (accountId) => access.gateway(accountId),
    ledger: ledgers.ledger,
    digestLedger: ledgers.digestLedger,
    reporters,
    config,
    account: await registryAccount(ecr),
    region: await ecr.config.region(),
    now,
    periodKey: periodKeyOf(now),
    logger: deps.logger,
    // The known-exploited section, from the KEV catalog of the config's `intel`, cached in the same ledger.
    kev: intelFromEnvironment({ ...process.env, [LEDGER_TABLE_ENV]: tableName }, config.intel, deps.logger),
  };

  if (options.out) {
    const built = await buildDigests(build);
    const outDir = resolve(options.out);
    mkdirSync(outDir, { recursive: true });
    const digests = new Map(built.digests.map(({ loaded, digest }) => [loaded.id, digest]));
    const written: string[] = [];
    for (const loaded of reporters) {
      const dir = join(outDir, loaded.id);
      // A reused folder keeps nothing of an earlier run: a file no longer rendered would pass for a current one.
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const file of digestPreviewFiles(loaded, digests.get(loaded.id), deps)) {
        writeFileSync(join(dir, file.name), file.content);
        written.push(join(loaded.id, file.name));
      }
    }
    if (options.json) {
      printJson({ periodKey: build.periodKey, digests: [...digests.values()], written });
    } else {
      process.stdout.write(
        `wrote ${written.length} files to ${outDir} (nothing sent):\n${written.map((w) => `  ${w}\n`).join("")}`,
      );
      for (const digest of digests.values()) process.stdout.write(`${describeDigest(digest)}\n`);
    }
    return 0;
  }

  const result: SendDigestsResult = await sendDigests({ ...build, source: "cli" });
  if (options.json) printJson(result);
  else {
    printTable(
      ["REPORTER", "OUTCOME", "DETAIL"],
      [
        ...result.outcomes.map((outcome) => [outcome.reporter, outcome.status, outcomeDetail(outcome)]),
        ...result.withoutDigest.map((id) => [id, "skipped", "its reporter does not support digests"]),
      ],
    );
    // The summary after the table: on stderr in a pipe, so stdout holds the rows only.
    writeSummary(
      `period ${result.periodKey}: ${result.repositories} repositories, ${result.images} images in use`,
    );
  }
  return result.failed.length > 0 ? 3 : 0;
}
