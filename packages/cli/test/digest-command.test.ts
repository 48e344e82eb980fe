import { type AnyReporterPlugin, loadReporters, parseConfig } from "@ecr-scan-reporter/core";
import { emptyLedgerDigest, sampleDigest, testDeps } from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeDigest, digestPreviewFiles, digestTableName } from "../src/commands/digest.js";
import { UsageError } from "../src/usage-error.js";

const sent = async () => ({ status: "sent" as const });

/** A v2 reporter that sends digests but cannot preview them, and a v1 reporter that knows nothing of digests. */
const PLUGINS = new Map<string, AnyReporterPlugin>([
  [
    "no-preview",
    {
      name: "no-preview",
      contractVersion: 2,
      optionsSchema: z.object({}).optional(),
      create: () => ({ report: sent, digest: sent }),
    },
  ],
  ["v1", { name: "v1", optionsSchema: z.object({}).optional(), create: () => ({ report: sent }) }],
  [
    "previews",
    {
      name: "previews",
      contractVersion: 2,
      optionsSchema: z.object({ label: z.string().default("team") }),
      create: () => ({ report: sent, digest: sent }),
      previewDigest: (digest, options: { label: string }) => [
        { name: "digest.txt", content: `${options.label}: ${digest.route.reporterId}` },
      ],
    },
  ],
]);

async function loaded(entries: unknown[]) {
  const config = parseConfig({ reporters: entries }, "test");
  return loadReporters(config.reporters, PLUGINS, testDeps().deps);
}

describe("digest --out files of one reporter", () => {
  it("is the plugin's previewDigest, given the entry's parsed options", async () => {
    const [reporter] = await loaded([{ use: "previews", options: { label: "platform" } }]);
    if (!reporter) throw new Error("not loaded");
    expect(digestPreviewFiles(reporter, sampleDigest(), testDeps().deps)).toEqual([
      { name: "digest.txt", content: `platform: ${sampleDigest().route.reporterId}` },
    ]);
  });

  it("is a note when the plugin sends digests but cannot preview them", async () => {
    const [reporter] = await loaded([{ use: "no-preview" }]);
    if (!reporter) throw new Error("not loaded");
    const files = digestPreviewFiles(reporter, sampleDigest(), testDeps().deps);
    expect(files.map((f) => f.name)).toEqual(["NO-PREVIEW.txt"]);
    expect(files[0]?.content).toContain("no previewDigest()");
  });

  it("is a note saying why when the route takes no digest", async () => {
    const [off, v1] = await loaded([{ use: "previews", digest: false }, { use: "v1" }]);
    if (!off || !v1) throw new Error("not loaded");
    expect(digestPreviewFiles(off, undefined, testDeps().deps)).toEqual([
      {
        name: "NOT-SENT.txt",
        content: "previews would not be sent a digest: its entry says digest: false.\n",
      },
    ]);
    expect(digestPreviewFiles(v1, undefined, testDeps().deps)[0]?.content).toContain("reporter contract v1");
  });
});

describe("digest's ledger table", () => {
  it("is --table, else LEDGER_TABLE_NAME, and a usage error when neither names one", () => {
    expect(digestTableName("from-flag", { LEDGER_TABLE_NAME: "from-env" })).toBe("from-flag");
    expect(digestTableName(undefined, { LEDGER_TABLE_NAME: " from-env " })).toBe("from-env");
    expect(() => digestTableName(undefined, {})).toThrow(UsageError);
    expect(() => digestTableName(undefined, { LEDGER_TABLE_NAME: "  " })).toThrow(/--table NAME/);
  });
});

describe("a digest in one line", () => {
  it("counts open findings by severity, images in use and those over the thresholds", () => {
    const digest = sampleDigest();
    const line = describeDigest(digest);
    expect(line).toContain(`${digest.open.counts.CRITICAL} critical, ${digest.open.counts.HIGH} high`);
    expect(line).toContain(`over ${digest.open.images} images in use; ${digest.overThresholds.total} over`);
  });

  it("says the ledger knows nothing yet rather than all clear", () => {
    const line = describeDigest(emptyLedgerDigest({ route: { reporterId: "slack" } }));
    expect(line).toBe("slack: the ledger knows nothing yet of its 0 images in use");
  });
});
