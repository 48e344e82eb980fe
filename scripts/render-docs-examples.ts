// Renders what each built-in reporter sends for the sample reports into docs/examples/, from the reporters' own
// preview() — so the README's examples are never edited by hand — and, from previewDigest(), what each sends as a
// digest of the sample digest into docs/examples/digest/. `--check` fails when a file is stale.
// Run by `pnpm build` (write) and `pnpm test` (check).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { AnyReporterPlugin, ScanReport } from "@ecr-scan-reporter/core";
import {
  escalatedReport,
  exploitAwareReport,
  failedScanReport,
  memberAccountReport,
  multiAccountDigest,
  overThresholdReport,
  sampleDigest,
} from "@ecr-scan-reporter/core/testing";
import { emailReporter } from "@ecr-scan-reporter/reporter-email";
import { githubReporter } from "@ecr-scan-reporter/reporter-github";
import { metricsReporter } from "@ecr-scan-reporter/reporter-metrics";
import { slackReporter } from "@ecr-scan-reporter/reporter-slack";
import { snsReporter } from "@ecr-scan-reporter/reporter-sns";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "docs", "examples");

const EXAMPLES: { plugin: AnyReporterPlugin; options: unknown }[] = [
  {
    plugin: snsReporter,
    options: { topicArn: "arn:aws:sns:eu-west-1:123456789012:ecr-findings" },
  },
  {
    plugin: slackReporter,
    options: { webhookUrl: { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a" } },
  },
  {
    plugin: githubReporter,
    options: { owner: "acme", repo: "security", token: { parameter: "/ecr-scan-reporter/github-token" } },
  },
  {
    plugin: emailReporter,
    options: { from: "ECR scans <scans@acme.example>", to: ["security@acme.example"] },
  },
  { plugin: metricsReporter, options: { namespace: "EcrScanReporter" } },
];

const REPORTS: Record<string, () => ScanReport> = {
  "over-threshold": overThresholdReport,
  "failed-scan": failedScanReport,
  "known-exploited": exploitAwareReport,
  escalated: escalatedReport,
  // A hub covering several accounts ([8/8]): an image of the member account the configuration names `prod`.
  "member-account": memberAccountReport,
};

/** Every file the examples consist of, by path relative to docs/examples. */
export function renderExamples(): Map<string, string> {
  const files = new Map<string, string>();
  const deps = { templates: { override: () => undefined }, clock: () => new Date("2026-11-28T06:15:00Z") };
  for (const { plugin, options } of EXAMPLES) {
    const parsed = plugin.optionsSchema.parse(options);
    for (const [reportName, report] of Object.entries(REPORTS)) {
      for (const file of plugin.preview?.(report(), parsed, deps) ?? []) {
        files.set(`${plugin.name}/${reportName}/${file.name}`, file.content);
      }
    }
    // A reporter without previewDigest (it sends no digests) has no digest example.
    for (const file of plugin.previewDigest?.(sampleDigest(), parsed, deps) ?? []) {
      files.set(`digest/${plugin.name}/${file.name}`, file.content);
    }
    // The digest of a hub covering three accounts: each account's picture, each image's account.
    for (const file of plugin.previewDigest?.(multiAccountDigest(), parsed, deps) ?? []) {
      files.set(`digest-accounts/${plugin.name}/${file.name}`, file.content);
    }
  }
  return files;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

const files = renderExamples();
if (process.argv.includes("--check")) {
  const committed = listFiles(outDir).map((f) => relative(outDir, f));
  const stale = [...new Set([...committed, ...files.keys()])].filter((name) => {
    const path = join(outDir, name);
    return !existsSync(path) || files.get(name) !== readFileSync(path, "utf8");
  });
  if (stale.length > 0) {
    console.error(
      `docs/examples is stale (${stale.slice(0, 5).join(", ")}…): run \`pnpm build\` and commit docs/examples.`,
    );
    process.exitCode = 1;
  } else {
    console.log(`docs/examples matches the reporters' rendering (${files.size} files).`);
  }
} else {
  rmSync(outDir, { recursive: true, force: true });
  for (const [name, content] of files) {
    mkdirSync(dirname(join(outDir, name)), { recursive: true });
    writeFileSync(join(outDir, name), content);
  }
  console.log(`wrote ${files.size} files to docs/examples`);
}
