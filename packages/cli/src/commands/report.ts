import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DescribeImagesCommand, type ImageDetail } from "@aws-sdk/client-ecr";
import { BUILT_IN_REPORTERS } from "@ecr-scan-reporter/built-in-reporters";
import {
  type Config,
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
  reportImage,
  type ScanReport,
  shortDigest,
  whyNotRouted,
} from "@ecr-scan-reporter/core";
import { parseImageRef } from "../image-ref.js";
import { printJson, printTable } from "../output.js";
import { createCliReporterDeps } from "../reporter-deps.js";
import { UsageError } from "../usage-error.js";

export interface ReportOptions {
  out?: string;
  json?: boolean;
  failOnFindings?: boolean;
  templates?: string;
  debug?: boolean;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}

/**
 * Fetches one image's findings and builds its report with the configured policy, as report-findings would; with
 * `deps.intel`, its CVE ids are looked up in the threat intel first.
 */
export async function buildImageReport(
  reference: string,
  config: Config,
  deps: ReportImageDeps = {},
): Promise<ScanReport> {
  const ref = parseImageRef(reference);
  const ecr = createEcrClient();
  let detail: ImageDetail | undefined;
  try {
    const out = await ecr.send(
      new DescribeImagesCommand({
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
  try {
    const { report, expiredIgnoreEntries } = await reportImage(
      ecr,
      {
        registryId: detail.registryId ?? "",
        repository: ref.repositoryName,
        digest: detail.imageDigest,
        tags: detail.imageTags ?? [],
        scanType: await new EcrGateway(ecr).getRegistryScanType(),
      },
      config,
      deps,
    );
    for (const entry of expiredIgnoreEntries) {
      process.stderr.write(
        `warning: ignore entry ${entry.id} expired on ${entry.until}; its findings count again\n`,
      );
    }
    return report;
  } catch (error) {
    if (errorName(error) === "ScanNotFoundException") {
      throw new UsageError(
        `${reference} was never scanned: run \`ecr-scan-reporter scan ${ref.repositoryName}\` first.`,
      );
    }
    throw error;
  }
}

/** `ecr-scan-reporter report <repository>[:tag|@digest]` */
export async function reportCommand(
  reference: string,
  config: Config,
  options: ReportOptions,
): Promise<number> {
  const deps = createCliReporterDeps({ templatesDir: options.templates, debug: options.debug });
  // KEV and EPSS as the Lambda's reports carry them (a preview too: it shows what would be sent), cached in the
  // findings ledger when LEDGER_TABLE_NAME names one; a feed that cannot be reached never stops the report.
  const report = await buildImageReport(reference, config, {
    intel: intelFromEnvironment(process.env, config.intel, deps.logger),
  });
  const reporters = await loadReporters(
    config.reporters,
    BUILT_IN_REPORTERS,
    deps,
    createPackageResolver(join(process.cwd(), "node_modules")),
  );

  if (options.out) {
    const outDir = resolve(options.out);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
    const written = ["report.json"];
    for (const loaded of reporters) {
      const dir = join(outDir, loaded.id);
      mkdirSync(dir, { recursive: true });
      const notRouted = whyNotRouted(report, loaded);
      const files = notRouted
        ? [{ name: "NOT-SENT.txt", content: `${loaded.id} would not be sent this report: ${notRouted}.\n` }]
        : (loaded.plugin.preview?.(report, loaded.options, deps) ?? [
            {
              name: "NO-PREVIEW.txt",
              content: `${loaded.entry.use} offers no preview (its plugin has no preview()).\n`,
            },
          ]);
      for (const file of files) {
        writeFileSync(join(dir, file.name), file.content);
        written.push(join(loaded.id, file.name));
      }
    }
    if (options.json) printJson({ report, written });
    else
      process.stdout.write(
        `wrote ${written.length} files to ${outDir}:\n${written.map((w) => `  ${w}\n`).join("")}`,
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
    if (options.json) printJson({ report, outcomes: result.outcomes, held: result.held });
    else {
      printTable(
        ["REPORTER", "OUTCOME", "DETAIL"],
        [
          ...result.outcomes.map((o) => [
            o.reporter,
            o.status,
            "error" in o ? o.error : (o.detail ?? ("ref" in o ? (o.ref ?? "") : "")),
          ]),
          ...result.held.map((h) => [h.reporter, "held", h.why]),
        ],
      );
    }
    if (result.failed.length > 0) return 3;
  }
  if (!options.json) {
    const counts = Object.entries(report.counts)
      .filter(([, n]) => n > 0)
      .map(([s, n]) => `${n} ${s.toLowerCase()}`)
      .join(", ");
    const kev = intelCounts(report.findings, new Date());
    const known = kevCountText(kev.kev, kev.overdue);
    process.stdout.write(
      `${report.repository}@${shortDigest(report.digest)} ${report.status}: ${counts || "no findings"}${known ? `; ${known}` : ""} — ${report.verdict.due ? "over the thresholds" : "within the thresholds"}\n`,
    );
    // A source that failed: the reader must know the report may miss what it would have said.
    const note = intelNote(report.intel);
    if (note) process.stdout.write(`threat intel: ${cleanText(note, { singleLine: true })}\n`);
  }
  return options.failOnFindings && report.verdict.due ? 1 : 0;
}
