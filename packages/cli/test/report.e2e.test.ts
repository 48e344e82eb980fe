import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BasicFinding, type Sandbox, type SeedImage, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../src/main.js";
import { runCli } from "./support/run-cli.js";

// `report` on the sandbox's registry, as a CI gate runs it: an image without a complete scan never passes, --wait
// waits for a running one, --out keeps each image in a folder of its own, and a terminal gets the top findings.

const REPOSITORY = "gate/app";
const CRITICAL: BasicFinding = {
  name: "CVE-2024-3094",
  severity: "CRITICAL",
  attributes: [{ key: "package_name", value: "xz" }],
};
const LOG4SHELL: BasicFinding = {
  name: "CVE-2021-44228",
  severity: "HIGH",
  attributes: [
    { key: "package_name", value: "log4j-core" },
    { key: "package_version", value: "2.14.1" },
  ],
};

let sandbox: Sandbox;
let dir: string;
let configPath: string;
let tagCount = 0;
/** The digest of each image `seed` pushed, by `repository:tag`. */
const digests = new Map<string, string>();

beforeAll(async () => {
  // Scans started by a test finish after a second: long enough to be seen running, short enough to wait for.
  sandbox = await startSandbox({ scanDurationMs: 1_000 });
  for (const [k, v] of Object.entries(sandbox.env())) process.env[k] = v;
  sandbox.ecr.createRepository(REPOSITORY);
  const topicArn = sandbox.sns.createTopic("gate");
  dir = mkdtempSync(join(tmpdir(), "report-e2e-"));
  configPath = join(dir, "config.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: null, LOW: null },
      notifyOnScanFailure: true,
      intel: { kevUrl: sandbox.intel.kevUrl, epssUrl: sandbox.intel.epssUrl },
      reporters: [{ use: "sns", options: { topicArn } }],
    }),
  );
});
afterAll(async () => {
  await sandbox.close();
});

/** A new image in the test repository, under a tag of its own; returns `repository:tag`. */
function seed(image: SeedImage = {}): string {
  tagCount += 1;
  const ref = `${REPOSITORY}:t${tagCount}`;
  digests.set(ref, sandbox.ecr.seedImage(REPOSITORY, { tags: [`t${tagCount}`], ...image }));
  return ref;
}

const report = (image: string, ...args: string[]) =>
  runCli("report", image, "--config", configPath, "--endpoint-url", sandbox.endpoint, ...args);

/** Everything the command said, wherever it said it (stdout, or stderr for a summary in a pipe). */
const said = (run: { stdout: string; stderr: string }) => `${run.stdout}\n${run.stderr}`;

describe("report --fail-on-findings never passes an image without a complete scan", () => {
  const cases: { name: string; image: () => string; wording: RegExp }[] = [
    {
      name: "a scan IN_PROGRESS",
      image: () => seed({ scan: { status: "IN_PROGRESS" } }),
      wording: /: scan not complete \(IN_PROGRESS\): the scan has not finished; pass --wait to wait for it\n/,
    },
    {
      name: "an UNSUPPORTED_IMAGE",
      image: () =>
        seed({
          scan: {
            status: "UNSUPPORTED_IMAGE",
            completedAt: new Date(),
            description: "The operating system and/or package manager are not supported.",
          },
        }),
      wording:
        /: scan not complete \(UNSUPPORTED_IMAGE\): ECR cannot scan this image's operating system or packages \(ECR: The operating system and\/or package manager are not supported\.\)\n/,
    },
    {
      name: "a FAILED scan",
      image: () =>
        seed({
          scan: { status: "FAILED", completedAt: new Date(), description: "Unable to retrieve image layers" },
        }),
      wording: /: scan failed: Unable to retrieve image layers\n/,
    },
    {
      name: "an image never scanned",
      image: () => seed(),
      wording: /: never scanned: run `ecr-scan-reporter scan gate\/app` first\n/,
    },
    {
      name: "a cosign signature",
      image: () => seed({ artifactMediaType: "application/vnd.dev.cosign.artifact.sig.v1+json" }),
      wording:
        /: not an image: signatures and charts are never scanned \(artifact type application\/vnd\.dev\.cosign\.artifact\.sig\.v1\+json\)\n/,
    },
    {
      name: "a Helm chart",
      image: () => seed({ artifactMediaType: "application/vnd.cncf.helm.config.v1+json" }),
      wording: /: not an image: signatures and charts are never scanned/,
    },
  ];

  it.each(cases)("exits 4 for $name, saying why, with and without --fail-on-findings", async (c) => {
    const image = c.image();
    const gate = await report(image, "--fail-on-findings");
    expect(gate.code).toBe(EXIT.scanIncomplete);
    expect(said(gate)).toMatch(c.wording);
    expect(said(gate)).not.toContain("within the thresholds");
    expect(said(gate)).not.toContain("no findings");

    const plain = await report(image, "--out", join(dir, "plain"));
    expect(plain.code).toBe(EXIT.scanIncomplete);
    expect(said(plain)).toMatch(c.wording);
  });

  it("still tells the reporters of a failed scan (notifyOnScanFailure), then exits 4", async () => {
    const image = seed({ scan: { status: "FAILED", completedAt: new Date(), description: "layer missing" } });
    const published = sandbox.sns.published.length;
    const run = await report(image, "--json");
    expect(run.code).toBe(EXIT.scanIncomplete);
    const { report: built, outcomes, notComplete } = JSON.parse(run.stdout);
    expect(built.status).toBe("FAILED");
    expect(outcomes).toEqual([expect.objectContaining({ reporter: "sns", status: "sent" })]);
    expect(sandbox.sns.published).toHaveLength(published + 1);
    expect(notComplete).toMatchObject({ kind: "failed", message: "scan failed: layer missing" });
  });

  it("gives no report in --json for a running scan, only why", async () => {
    const run = await report(seed({ scan: { status: "IN_PROGRESS" } }), "--json");
    expect(run.code).toBe(EXIT.scanIncomplete);
    const out = JSON.parse(run.stdout);
    expect(out.report).toBeUndefined();
    expect(out.image.repository).toBe(REPOSITORY);
    expect(out.notComplete).toMatchObject({ kind: "running", status: "IN_PROGRESS" });
  });

  it("exits 1 over the thresholds and 0 within them, once the scan is COMPLETE", async () => {
    const over = seed({ scan: { status: "COMPLETE", completedAt: new Date(), findings: [CRITICAL] } });
    const overRun = await report(over, "--fail-on-findings", "--out", join(dir, "complete"));
    expect(overRun.code).toBe(EXIT.findings);
    expect(said(overRun)).toContain("COMPLETE: 1 critical — over the thresholds");
    const within = seed({
      scan: {
        status: "COMPLETE",
        completedAt: new Date(),
        findings: [{ name: "CVE-2011-3374", severity: "LOW" }],
      },
    });
    const withinRun = await report(within, "--fail-on-findings", "--out", join(dir, "complete"));
    expect(withinRun.code).toBe(EXIT.ok);
    expect(said(withinRun)).toContain("COMPLETE: 1 low — within the thresholds");
  });
});

describe("report --wait", () => {
  it("waits for a running scan to complete, then reports it", async () => {
    const image = seed({ nextScan: { outcome: "complete", findings: [CRITICAL] } });
    sandbox.ecr.operations.StartImageScan?.({
      repositoryName: REPOSITORY,
      imageId: { imageDigest: digests.get(image) },
    });

    const run = await report(image, "--wait", "--fail-on-findings", "--json");
    expect(run.stderr).toContain(`waiting up to 10m for the scan of ${image} (IN_PROGRESS)…`);
    expect(run.code).toBe(EXIT.findings);
    const { report: built } = JSON.parse(run.stdout);
    expect(built.status).toBe("COMPLETE");
    expect(built.findings.map((f: { id: string }) => f.id)).toEqual(["CVE-2024-3094"]);
  }, 30_000);

  it("does not wait for an image that nothing will scan", async () => {
    const started = Date.now();
    const run = await report(seed(), "--wait-timeout", "1m");
    expect(run.code).toBe(EXIT.scanIncomplete);
    expect(said(run)).toContain("never scanned");
    expect(run.stderr).not.toContain("waiting");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("takes a bounded timeout: anything else is a usage error, before any AWS call", async () => {
    const calls = sandbox.server.calls.length;
    const run = await report(seed({ scan: { status: "IN_PROGRESS" } }), "--wait-timeout", "30s");
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain('--wait-timeout "30s" is not a duration like 10m or 1h.');
    expect((await report(`${REPOSITORY}:x`, "--wait-timeout", "3h")).code).toBe(EXIT.usage);
    expect(sandbox.server.calls.length).toBe(calls);
  });
});

describe("report --out", () => {
  it("writes each image into a folder of its own, and replaces an earlier report of it whole", async () => {
    const out = join(dir, "per-image");
    const first = seed({ scan: { status: "COMPLETE", completedAt: new Date(), findings: [CRITICAL] } });
    const second = seed({ scan: { status: "COMPLETE", completedAt: new Date(), findings: [LOG4SHELL] } });
    const firstFolder = join(out, "gate", "app", `@${first.split(":")[1]}`);
    const secondFolder = join(out, "gate", "app", `@${second.split(":")[1]}`);

    expect((await report(first, "--out", out)).code).toBe(EXIT.ok);
    const run = await report(second, "--out", out, "--json");
    expect(JSON.parse(run.stdout).folder).toBe(secondFolder);
    expect(readdirSync(join(out, "gate", "app")).sort()).toEqual(
      [`@${first.split(":")[1]}`, `@${second.split(":")[1]}`].sort(),
    );
    expect(readFileSync(join(firstFolder, "sns", "sns-message.txt"), "utf8")).toContain("CVE-2024-3094");
    expect(readFileSync(join(secondFolder, "sns", "sns-message.txt"), "utf8")).toContain("CVE-2021-44228");

    // A file of an earlier run (a reporter since removed from the configuration) does not survive the next one.
    mkdirSync(join(firstFolder, "slack"));
    writeFileSync(join(firstFolder, "slack", "slack-message.json"), "{}");
    expect((await report(first, "--out", out)).code).toBe(EXIT.ok);
    expect(readdirSync(firstFolder).sort()).toEqual(["report.json", "sns"]);
    expect(readdirSync(secondFolder).sort()).toEqual(["report.json", "sns"]);
  });

  it("leaves no earlier report of a tag that now names an image without a scan", async () => {
    const out = join(dir, "moved-tag");
    const image = seed({ scan: { status: "COMPLETE", completedAt: new Date(), findings: [CRITICAL] } });
    const folder = join(out, "gate", "app", `@${image.split(":")[1]}`);
    expect((await report(image, "--out", out)).code).toBe(EXIT.ok);
    expect(existsSync(join(folder, "report.json"))).toBe(true);
    // The tag moves to a new push, never scanned (PutImage moves a tag from the image that held it).
    sandbox.ecr.operations.PutImage?.({
      repositoryName: REPOSITORY,
      imageTag: image.split(":")[1],
      imageManifest: JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.docker.distribution.manifest.v2+json",
        config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: "sha256:1", size: 1 },
        layers: [],
      }),
    });
    const run = await report(image, "--out", out, "--fail-on-findings");
    expect(run.code).toBe(EXIT.scanIncomplete);
    expect(readdirSync(folder)).toEqual(["NOT-REPORTED.txt"]);
    expect(readFileSync(join(folder, "NOT-REPORTED.txt"), "utf8")).toBe(
      `${image}: never scanned: run \`ecr-scan-reporter scan gate/app\` first\n`,
    );
  });

  it("checks that every secret reference resolves, without sending: one that does not exits 2, nothing written", async () => {
    const out = join(dir, "secrets");
    const image = seed({ scan: { status: "COMPLETE", completedAt: new Date(), findings: [CRITICAL] } });
    const withSlack = (parameter: string) => {
      const path = join(dir, `slack-${parameter.replaceAll("/", "-")}.json`);
      const config = JSON.parse(readFileSync(configPath, "utf8")) as { reporters: unknown[] };
      config.reporters.push({ use: "slack", options: { webhookUrl: { parameter } } });
      writeFileSync(path, JSON.stringify(config));
      return path;
    };
    const missing = await runCli(
      "report",
      image,
      "--config",
      withSlack("/gate/missing-webhook"),
      "--endpoint-url",
      sandbox.endpoint,
      "--out",
      out,
    );
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain("ssm:/gate/missing-webhook: ParameterNotFound");
    expect(existsSync(out)).toBe(false);

    sandbox.ssm.putParameter(
      "/gate/webhook",
      "https://hooks.slack.com/services/T0/B0/secret",
      "SecureString",
    );
    const present = await runCli(
      "report",
      image,
      "--config",
      withSlack("/gate/webhook"),
      "--endpoint-url",
      sandbox.endpoint,
      "--out",
      out,
    );
    expect(present.code, present.stderr).toBe(EXIT.ok);
    expect(readdirSync(join(out, "gate", "app", `@${image.split(":")[1]}`)).sort()).toEqual([
      "report.json",
      "slack",
      "sns",
    ]);
  });

  it("will not delete an image folder holding files that are not a report: exit 2", async () => {
    const out = join(dir, "foreign");
    const image = seed({ scan: { status: "COMPLETE", completedAt: new Date(), findings: [CRITICAL] } });
    const folder = join(out, "gate", "app", `@${image.split(":")[1]}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "notes.md"), "mine");
    const run = await report(image, "--out", out);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain("holds files that are not an earlier report of this image");
    expect(readdirSync(folder)).toEqual(["notes.md"]);
  });
});

describe("report on a terminal", () => {
  const wasTty = process.stdout.isTTY;
  const wasColumns = process.stdout.columns;
  afterEach(() => {
    process.stdout.isTTY = wasTty;
    process.stdout.columns = wasColumns;
  });

  it("lists the top findings after the verdict, most urgent (KEV) first; a pipe and --json do not", async () => {
    const image = seed({
      scan: { status: "COMPLETE", completedAt: new Date(), findings: [CRITICAL, LOG4SHELL] },
    });
    const piped = await report(image, "--out", join(dir, "tty"));
    expect(said(piped)).not.toContain("most urgent first");

    // A terminal wide enough that no cell wraps: each finding is one line of the table.
    process.stdout.isTTY = true;
    process.stdout.columns = 200;
    const tty = await report(image, "--out", join(dir, "tty"));
    expect(tty.code).toBe(EXIT.ok);
    const lines = tty.stdout.split("\n");
    const verdict = lines.findIndex((line) => line.includes("over the thresholds"));
    const heading = lines.indexOf("2 findings, most urgent first:");
    expect(verdict).toBeGreaterThan(-1);
    expect(heading).toBeGreaterThan(verdict);
    const log4shell = lines.findIndex((line) => line.includes("CVE-2021-44228"));
    const xz = lines.findIndex((line) => line.includes("CVE-2024-3094"));
    expect(log4shell).toBeGreaterThan(heading);
    expect(xz).toBeGreaterThan(log4shell);
    expect(lines[log4shell]).toMatch(/HIGH.*log4j-core 2\.14\.1.*fix unknown.*KEV, overdue since 2021-12-24/);

    const json = await report(image, "--out", join(dir, "tty"), "--json");
    expect(JSON.parse(json.stdout).report.findings).toHaveLength(2);
  });
});

describe("--templates", () => {
  it("exits 2 when the folder does not exist, for report and for digest", async () => {
    const missing = join(dir, "no-templates");
    const run = await report(seed(), "--templates", missing);
    expect(run.code).toBe(EXIT.usage);
    expect(run.stderr).toContain(`--templates ${missing}: no such folder.`);
    const digest = await runCli(
      "digest",
      "--table",
      "ledger",
      "--templates",
      missing,
      "--config",
      configPath,
      "--endpoint-url",
      sandbox.endpoint,
    );
    expect(digest.code).toBe(EXIT.usage);
    expect(digest.stderr).toContain(`--templates ${missing}: no such folder.`);
  });
});
