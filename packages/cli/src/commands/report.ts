import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  type ECRClient,
  type ImageDetail,
} from "@aws-sdk/client-ecr";
import { BUILT_IN_REPORTERS } from "@ecr-scan-reporter/built-in-reporters";
import {
  AccountAccess,
  type Config,
  ConfigError,
  checkSecretReferences,
  cleanText,
  createEcrClient,
  createPackageResolver,
  deliverReport,
  EcrGateway,
  intelCounts,
  intelFromEnvironment,
  intelNote,
  kevCountText,
  ledgerFromEnvironment,
  loadReporters,
  type ReportImageDeps,
  reportAccountName,
  reportImage,
  type ScanReport,
  shortDigest,
  whyNotRouted,
} from "@ecr-scan-reporter/core";
import { formatDuration } from "@ecr-scan-reporter/core/config";
import { type AccountEntry, accountOfOption, accountText } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { type ImageRef, parseImageRef } from "../image-ref.js";
import { printJson, printTable, writeSummary } from "../output.js";
import { imageFolder, NOT_REPORTED_FILE, prepareImageFolder, REPORT_FILE } from "../report-folder.js";
import { createCliReporterDeps } from "../reporter-deps.js";
import {
  type IncompleteScan,
  incompleteScanMessage,
  parseWaitTimeout,
  type ScanRead,
  type ScanState,
  scanStateOf,
  screenReportedImage,
  type WaitForScanOptions,
  waitForScan,
} from "../scan-state.js";
import { templatesFolder } from "../templates-option.js";
import { TOP_FINDINGS_HEADERS, topFindingRows, topFindingsHeading } from "../top-findings.js";
import { UsageError } from "../usage-error.js";

export interface ReportOptions {
  out?: string;
  json?: boolean;
  failOnFindings?: boolean;
  templates?: string;
  debug?: boolean;
  /** Wait for a running (IN_PROGRESS, PENDING) scan to finish before reporting. */
  wait?: boolean;
  /** How long `--wait` waits (`10m` when absent); given alone, it implies `--wait`. */
  waitTimeout?: string;
  /** The node_modules folder custom reporter packages load from (`--reporters`, default ./node_modules). */
  reportersDir?: string;
  /** `--account`: the accountId or name of an `accounts` entry whose registry holds the image. */
  account?: string;
}

/** The image a report is about. */
export interface ReportedImage {
  repository: string;
  digest: string;
  /** Empty for an untagged image. */
  tags: string[];
  /** The registry's account, when the configuration lists `accounts` (reports then name it). */
  account?: string;
  /** That account's `name` in the configuration. */
  accountName?: string;
}

/** What `buildImageReport` found: the scan's state, and the report when there is one to give. */
export interface ImageReportOutcome {
  image: ReportedImage;
  /** `complete`, or why the image's findings cannot be judged. */
  state: ScanState;
  /**
   * Built for a complete scan, and for a failed one: reporters may be told of a failure (`notifyOnScanFailure`),
   * as report-findings tells them. Absent in every other state: there is nothing to report.
   */
  report?: ScanReport;
}

/** What `buildImageReport` may be given besides what `reportImage` takes. */
export interface BuildImageReportDeps extends ReportImageDeps {
  /** Wait this way for a running scan to finish; absent: take the scan as it is now. */
  wait?: WaitForScanOptions;
  /** The `accounts` entry whose registry holds the image (`--account`); absent: the caller's own registry. */
  account?: AccountEntry;
  /** Where that account's ECR client comes from (default: the configuration's `accounts`). */
  access?: Pick<AccountAccess, "ecr">;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

/**
 * DescribeImages of the one image a reference names, in `registryId`'s registry (else the caller's own); a
 * UsageError when it or its repository does not exist.
 */
async function describeImage(
  ecr: ECRClient,
  reference: string,
  ref: ImageRef,
  registryId: string | undefined,
): Promise<ImageDetail> {
  let detail: ImageDetail | undefined;
  try {
    const out = await ecr.send(
      new DescribeImagesCommand({
        registryId,
        repositoryName: ref.repositoryName,
        imageIds: [ref.imageDigest ? { imageDigest: ref.imageDigest } : { imageTag: ref.imageTag }],
      }),
    );
    detail = out.imageDetails?.[0];
  } catch (error) {
    if (["ImageNotFoundException", "RepositoryNotFoundException"].includes(errorName(error))) {
      throw new UsageError(`${reference}: ${error instanceof Error ? error.message : String(error)}`);
    }
    throw error;
  }
  if (!detail?.imageDigest) throw new UsageError(`${reference}: no such image.`);
  return detail;
}

/**
 * The image's last scan status, from one page of DescribeImageScanFindings (the findings are read later, once):
 * ScanNotFoundException means it was never scanned.
 */
async function readScan(ecr: ECRClient, detail: ImageDetail): Promise<ScanRead> {
  try {
    const out = await ecr.send(
      new DescribeImageScanFindingsCommand({
        registryId: detail.registryId || undefined,
        repositoryName: detail.repositoryName,
        imageId: { imageDigest: detail.imageDigest },
        maxResults: 1,
      }),
    );
    return {
      kind: "scanned",
      status: out.imageScanStatus?.status,
      description: out.imageScanStatus?.description,
    };
  } catch (error) {
    if (errorName(error) === "ScanNotFoundException") return { kind: "never" };
    throw error;
  }
}

/**
 * Finds one image and the state of its last scan (waiting for a running one with `deps.wait`), then, when the scan
 * is complete or failed, builds its report with the configured policy as report-findings would; with
 * `deps.intel`, its CVE ids are looked up in the threat intel first.
 */
export async function buildImageReport(
  reference: string,
  config: Config,
  deps: BuildImageReportDeps = {},
): Promise<ImageReportOutcome> {
  const ref = parseImageRef(reference);
  // A listed account's registry is read with its credentials (its role assumed with the caller's own), and named
  // on every call: the registryId of the entry, never the one the caller's credentials would default to.
  const ecr = deps.account
    ? (deps.access ?? new AccountAccess(config.accounts)).ecr(deps.account.accountId)
    : createEcrClient();
  const detail = await describeImage(ecr, reference, ref, deps.account?.accountId);
  const registryId = deps.account?.accountId ?? detail.registryId ?? "";
  const accountName = reportAccountName(config, registryId);
  const image: ReportedImage = {
    repository: ref.repositoryName,
    digest: detail.imageDigest ?? "",
    tags: detail.imageTags ?? [],
    ...(config.accounts && { account: registryId, ...(accountName !== undefined && { accountName }) }),
  };
  const screened = screenReportedImage(detail);
  if (screened) return { image, state: screened };

  const read = () => readScan(ecr, { ...detail, registryId });
  const { state } = deps.wait ? await waitForScan(read, deps.wait) : { state: scanStateOf(await read()) };
  if (state.kind !== "complete" && state.kind !== "failed") return { image, state };

  let built: Awaited<ReturnType<typeof reportImage>>;
  try {
    built = await reportImage(
      ecr,
      {
        registryId,
        ...(accountName !== undefined && { accountName }),
        repository: image.repository,
        digest: image.digest,
        tags: image.tags,
        scanType: await new EcrGateway(ecr).getRegistryScanType(),
      },
      config,
      { intel: deps.intel },
    );
  } catch (error) {
    // The scan was there a moment ago: the image was deleted and pushed again in between. Still never scanned.
    if (errorName(error) === "ScanNotFoundException") return { image, state: { kind: "never-scanned" } };
    throw error;
  }
  for (const entry of built.expiredIgnoreEntries) {
    process.stderr.write(
      `warning: ignore entry ${entry.id} expired on ${entry.until}; its findings count again\n`,
    );
  }
  // Judged on what the report itself read: a scan started again since the first read is not complete any more.
  const final = scanStateOf({
    kind: "scanned",
    status: built.report.status,
    description: built.report.statusDescription,
  });
  if (final.kind !== "complete" && final.kind !== "failed") return { image, state: final };
  return { image, state: final, report: built.report };
}

/**
 * `team-a/api@sha256:0123456789ab`: how the summary lines name the image; `… in prod (222222222222)` when the
 * configuration lists `accounts`, so that two accounts' images of one repository name are told apart.
 */
function imageLabel(image: Pick<ReportedImage, "repository" | "digest" | "account" | "accountName">): string {
  const where = image.account
    ? ` in ${accountText({ accountId: image.account, name: image.accountName })}`
    : "";
  return `${image.repository}@${shortDigest(image.digest)}${where}`;
}

/** The verdict of a complete scan: counts, KEV, and whether it is over the thresholds. */
function verdictLine(report: ScanReport, image: ReportedImage): string {
  const counts = Object.entries(report.counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s.toLowerCase()}`)
    .join(", ");
  const kev = intelCounts(report.findings, new Date());
  const known = kevCountText(kev.kev, kev.overdue);
  return `${imageLabel(image)} ${report.status}: ${counts || "no findings"}${known ? `; ${known}` : ""} — ${report.verdict.due ? "over the thresholds" : "within the thresholds"}`;
}

/** `ecr-scan-reporter report <repository>[:tag|@digest]` */
export async function reportCommand(
  reference: string,
  config: Config,
  options: ReportOptions,
): Promise<number> {
  // Usage problems first, before any AWS call: a bad --templates, --wait-timeout or image reference.
  const templatesDir = templatesFolder(options.templates);
  const waitTimeoutMs =
    options.wait || options.waitTimeout !== undefined ? parseWaitTimeout(options.waitTimeout) : undefined;
  const account = options.account !== undefined ? accountOfOption(config, options.account) : undefined;
  const folder = options.out
    ? imageFolder(options.out, parseImageRef(reference), account?.accountId)
    : undefined;

  const deps = createCliReporterDeps({ templatesDir, debug: options.debug });
  // KEV and EPSS as the Lambda's reports carry them (a preview too: it shows what would be sent), cached in the
  // findings ledger when LEDGER_TABLE_NAME names one; a feed that cannot be reached never stops the report.
  const outcome = await buildImageReport(reference, config, {
    account,
    intel: intelFromEnvironment(process.env, config.intel, deps.logger),
    wait:
      waitTimeoutMs === undefined
        ? undefined
        : {
            timeoutMs: waitTimeoutMs,
            onWait: (status) =>
              process.stderr.write(
                `waiting up to ${formatDuration(waitTimeoutMs)} for the scan of ${reference} (${status})…\n`,
              ),
          },
  });
  const incomplete: IncompleteScan | undefined =
    outcome.state.kind === "complete" ? undefined : outcome.state;
  const notComplete = incomplete && {
    ...incomplete,
    message: incompleteScanMessage(incomplete, outcome.image.repository),
  };
  const { report } = outcome;

  if (!report) {
    // Nothing to report: say why, and leave no earlier report of this image in --out to pass for this one.
    const message = notComplete?.message ?? "";
    const written: string[] = [];
    if (folder) {
      prepareImageFolder(folder);
      writeFileSync(join(folder, NOT_REPORTED_FILE), `${reference}: ${message}\n`);
      written.push(NOT_REPORTED_FILE);
    }
    if (options.json) printJson({ image: outcome.image, notComplete, ...(folder && { folder, written }) });
    else {
      if (folder) writeSummary(`wrote ${join(folder, NOT_REPORTED_FILE)}`);
      writeSummary(`${imageLabel(outcome.image)}: ${message}`);
    }
    return EXIT.scanIncomplete;
  }

  const reporters = await loadReporters(
    config.reporters,
    BUILT_IN_REPORTERS,
    deps,
    createPackageResolver(options.reportersDir ?? join(process.cwd(), "node_modules")),
  );

  let deliveryFailed = false;
  if (folder) {
    // A preview sends nothing, but it must not pass a configuration whose secrets the functions could not read.
    await assertSecretsResolve(config);
    prepareImageFolder(folder);
    writeFileSync(join(folder, REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
    const written = [REPORT_FILE];
    for (const loaded of reporters) {
      const dir = join(folder, loaded.id);
      const notRouted = whyNotRouted(report, loaded);
      const files = notRouted
        ? [{ name: "NOT-SENT.txt", content: `${loaded.id} would not be sent this report: ${notRouted}.\n` }]
        : (loaded.plugin.preview?.(report, loaded.options, deps) ?? [
            {
              name: "NO-PREVIEW.txt",
              content: `${loaded.entry.use} offers no preview (its plugin has no preview()).\n`,
            },
          ]);
      mkdirSync(dir, { recursive: true });
      for (const file of files) {
        writeFileSync(join(dir, file.name), file.content);
        written.push(join(loaded.id, file.name));
      }
    }
    if (options.json) printJson({ report, folder, written, ...(notComplete && { notComplete }) });
    else
      process.stdout.write(
        `wrote ${written.length} files to ${folder}:\n${written.map((w) => `  ${w}\n`).join("")}`,
      );
  } else {
    // With LEDGER_TABLE_NAME (the module's table, or the sandbox's), a CLI send is change-aware like the Lambda's.
    const result = await deliverReport(report, {
      ledger: ledgerFromEnvironment(process.env, deps.logger),
      reporters,
      logger: deps.logger,
      eventTime: new Date().toISOString(),
      attempt: 1,
      source: "cli",
    });
    if (options.json) {
      printJson({
        report,
        outcomes: result.outcomes,
        held: result.held,
        ...(notComplete && { notComplete }),
      });
    } else {
      printTable(
        ["REPORTER", "OUTCOME", "DETAIL"],
        [
          ...result.outcomes.map((o) => [
            o.reporter,
            o.status,
            // A target's own words (GitHub's message, a custom reporter's error): untrusted, one clean line.
            cleanText("error" in o ? o.error : (o.detail ?? ("ref" in o ? (o.ref ?? "") : "")), {
              singleLine: true,
            }),
          ]),
          ...result.held.map((h) => [h.reporter, "held", cleanText(h.why, { singleLine: true })]),
        ],
      );
    }
    deliveryFailed = result.failed.length > 0;
  }
  if (!options.json) {
    // A failed scan has no findings: "no findings — within the thresholds" would pass it for a clean image.
    writeSummary(
      notComplete
        ? `${imageLabel(outcome.image)}: ${notComplete.message}`
        : verdictLine(report, outcome.image),
    );
    // A source that failed: the reader must know the report may miss what it would have said.
    const note = intelNote(report.intel);
    if (note) writeSummary(`threat intel: ${cleanText(note, { singleLine: true })}`);
    // On a terminal, what to look at first; a pipe gets the verdict only (and --json the whole report).
    if (!notComplete && process.stdout.isTTY && report.findings.length > 0) {
      process.stdout.write(`${topFindingsHeading(report.findings.length)}\n`);
      printTable(TOP_FINDINGS_HEADERS, topFindingRows(report, new Date()));
    }
  }
  if (deliveryFailed) return EXIT.failure;
  if (notComplete) return EXIT.scanIncomplete;
  return options.failOnFindings && report.verdict.due ? EXIT.findings : EXIT.ok;
}

/**
 * `--out` sends nothing, but a preview that passes a secret the functions cannot read would hide the one failure that
 * matters: every reference in the reporters' options must resolve (ConfigError, exit 2, naming each one). When AWS
 * cannot be asked at all (no credentials), the check is skipped with a note rather than failed.
 */
async function assertSecretsResolve(config: Config): Promise<void> {
  const check = await checkSecretReferences(config);
  if (check.problems.length > 0)
    throw new ConfigError(check.problems, "secret references; nothing was written");
  if (check.unchecked) process.stderr.write(`note: secret references not checked: ${check.unchecked}\n`);
}
