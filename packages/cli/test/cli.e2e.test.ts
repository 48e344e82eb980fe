import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { DEMO_SCAN_CONFIG, type SeededImage, seedDemoRegistry } from "@ecr-scan-reporter/sandbox/demo";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../src/main.js";
import { runCli } from "./support/run-cli.js";

let sandbox: Sandbox;
let seeded: SeededImage[];
let dir: string;
let configPath: string;
let topicArn: string;

const cli = runCli;

beforeAll(async () => {
  sandbox = await startSandbox({ scanDurationMs: 50 });
  seeded = seedDemoRegistry(sandbox.ecr);
  topicArn = sandbox.sns.createTopic("findings");
  sandbox.ses.verifyIdentity("acme.example");
  for (const [k, v] of Object.entries(sandbox.env())) process.env[k] = v;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  dir = mkdtempSync(join(tmpdir(), "cli-"));
  configPath = join(dir, "config.json");
  writeFileSync(
    configPath,
    JSON.stringify({
      ...DEMO_SCAN_CONFIG,
      reporters: [
        { use: "sns", options: { topicArn } },
        { use: "email", options: { from: "scans@acme.example", to: ["sec@acme.example"] } },
        { use: "metrics" },
      ],
    }),
  );
});
afterAll(async () => {
  await sandbox.close();
});

describe("ecr-scan-reporter plan", () => {
  it("prints the decision for every image of the selected repositories", async () => {
    const { code, stdout } = await cli(
      "plan",
      "--config",
      configPath,
      "--endpoint-url",
      sandbox.endpoint,
      "--json",
    );
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as {
      repositories: { repository: string; images: { digest: string; action: string; reason: string }[] }[];
    };
    const decided = new Map(
      plan.repositories.flatMap((r) => r.images.map((i) => [i.digest, `${i.action}:${i.reason}`])),
    );
    for (const image of seeded) {
      if (image.expected === "not-selected") expect(decided.has(image.digest)).toBe(false);
      else expect(decided.get(image.digest)).toBe(image.expected);
    }
    expect(sandbox.ecr.scanRequests).toHaveLength(0);
  });

  it("prints plain tab-separated lines in a pipe, and only the repositories named", async () => {
    const { code, stdout } = await cli(
      "plan",
      "team-a/api",
      "--config",
      configPath,
      "--endpoint-url",
      sandbox.endpoint,
    );
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toBe("REPOSITORY\tIMAGE\tDECISION\tREASON\tDETAIL");
    const rows = lines.slice(1, -1);
    expect(rows.length).toBe(seeded.filter((s) => s.repository === "team-a/api").length);
    expect(rows.every((r) => r.startsWith("team-a/api\t"))).toBe(true);
    expect(lines.at(-1)).toMatch(/^1 repositories, \d+ images \(registry scan type BASIC\)/);
  });
});

describe("ecr-scan-reporter scan and report", () => {
  it("starts the planned scans, then a re-run starts none", async () => {
    // A registry of its own: its scans would change the decisions the plan tests expect of the shared one.
    const own = await startSandbox({ scanDurationMs: 50 });
    try {
      const ownSeeded = seedDemoRegistry(own.ecr);
      const first = await cli("scan", "--config", configPath, "--endpoint-url", own.endpoint, "--json");
      expect(first.code).toBe(0);
      const expectedScans = ownSeeded.filter((s) => s.expected.startsWith("scan:")).length;
      expect(JSON.parse(first.stdout).outcomes).toEqual({ started: expectedScans });
      await own.ecr.whenScansSettled();
      const second = await cli("scan", "--config", configPath, "--endpoint-url", own.endpoint, "--json");
      expect(JSON.parse(second.stdout).outcomes).toEqual({});
    } finally {
      await own.close();
    }
  });

  it("writes what each reporter would send with --out, and exits 1 with --fail-on-findings", async () => {
    // An image of its own, already scanned, in a repository the configuration does not select: the report does
    // not hang on another test's scans, and the plan and scan tests do not see it.
    sandbox.ecr.createRepository("cli/report-out");
    const digest = sandbox.ecr.seedImage("cli/report-out", {
      tags: ["v1"],
      scan: {
        status: "COMPLETE",
        completedAt: new Date(),
        findings: [
          { name: "CVE-2024-3094", severity: "CRITICAL", attributes: [{ key: "package_name", value: "xz" }] },
        ],
      },
    });
    const out = join(dir, "out");
    const publishedBefore = sandbox.sns.published.length;
    const { code, stdout } = await cli(
      "report",
      `cli/report-out@${digest}`,
      "--config",
      configPath,
      "--endpoint-url",
      sandbox.endpoint,
      "--out",
      out,
      "--json",
    );
    expect(code).toBe(0);
    const { report, written } = JSON.parse(stdout);
    // One CRITICAL finding over the threshold of 0: the report is due.
    expect(report.verdict.due).toBe(true);
    expect(written).toContain("report.json");
    expect(readdirSync(join(out, "metrics"))).toEqual(["metrics.emf.jsonl"]);
    // One text with its message attributes (the default message structure).
    expect(readdirSync(join(out, "sns")).sort()).toEqual(["sns-message.txt", "sns-publish.json"]);
    expect(readFileSync(join(out, "sns", "sns-message.txt"), "utf8")).toContain("CVE-2024-3094");
    expect(readdirSync(join(out, "email")).sort()).toEqual(["email.eml", "email.html", "email.txt"]);
    // Written, not sent.
    expect(sandbox.sns.published).toHaveLength(publishedBefore);
    const failing = await cli(
      "report",
      `cli/report-out@${digest}`,
      "--config",
      configPath,
      "--endpoint-url",
      sandbox.endpoint,
      "--out",
      out,
      "--fail-on-findings",
    );
    expect(failing.code).toBe(1);

    // An image with a LOW finding only, within the thresholds: nothing would be sent.
    const clean = sandbox.ecr.seedImage("cli/report-out", {
      tags: ["v2"],
      scan: {
        status: "COMPLETE",
        completedAt: new Date(),
        findings: [{ name: "CVE-2011-3374", severity: "LOW" }],
      },
    });
    const cleanOut = join(dir, "out-clean");
    const notDue = await cli(
      "report",
      `cli/report-out@${clean}`,
      "--config",
      configPath,
      "--endpoint-url",
      sandbox.endpoint,
      "--out",
      cleanOut,
      "--fail-on-findings",
    );
    expect(notDue.code).toBe(0);
    expect(readFileSync(join(cleanOut, "sns", "NOT-SENT.txt"), "utf8")).toContain("not due");
  });

  it("sends through the configured reporters without --out", async () => {
    const image = seeded.find((s) => s.repository === "team-b/payments" && s.kind === "stale");
    const { code, stdout } = await cli(
      "report",
      `team-b/payments@${image?.digest}`,
      "--config",
      configPath,
      "--endpoint-url",
      sandbox.endpoint,
      "--json",
    );
    expect(code).toBe(0);
    const { report, outcomes } = JSON.parse(stdout);
    const sns = outcomes.find((o: { reporter: string }) => o.reporter === "sns");
    expect(sns.status).toBe(report.verdict.due ? "sent" : "not-routed");
    expect(sandbox.sns.published).toHaveLength(report.verdict.due ? 1 : 0);
  });
});

describe("errors and exit codes", () => {
  it("exits 2 with every problem of a bad configuration, and no stack trace", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({ scan: { expiry: "7 days" }, reporters: [{ use: "sns", options: {} }] }),
    );
    const { code, stderr } = await cli("plan", "--config", bad, "--endpoint-url", sandbox.endpoint);
    expect(code).toBe(2);
    expect(stderr).toContain('scan.expiry: "7 days" is not a duration like 7d, 12h or 30m');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("exits 2 for a bad image reference, a missing repository, an unknown command or a missing config file", async () => {
    expect((await cli("report", "Not A Ref", "--endpoint-url", sandbox.endpoint)).code).toBe(2);
    const missing = await cli("plan", "no/such-repo", "--endpoint-url", sandbox.endpoint);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("No such repository in this registry: no/such-repo");
    expect((await cli("frobnicate")).code).toBe(2);
    expect((await cli("plan", "--config", join(dir, "nope.json"))).code).toBe(2);
  });

  it("exits 3 with one line when AWS cannot be reached, and the stack only with --debug", async () => {
    const { code, stderr } = await cli(
      "plan",
      "--endpoint-url",
      "http://127.0.0.1:9",
      "--config",
      configPath,
    );
    expect(code).toBe(3);
    expect(stderr).toMatch(/^error: /);
    expect(stderr).toContain("--debug");
  }, 60_000);
});

describe("ecr-scan-reporter sandbox", () => {
  it("keeps the demo's registry on a local sandbox until interrupted, with a matching configuration", async () => {
    const configFile = join(dir, "sandbox-config.json");
    let output = "";
    const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      output += String(chunk);
      return true;
    });
    const running = main(["node", "ecr-scan-reporter", "sandbox", "--write-config", configFile]);
    try {
      await vi.waitFor(() => expect(output).toMatch(/sandbox on http:\/\/127\.0\.0\.1:\d+/), {
        timeout: 10_000,
      });
    } finally {
      out.mockRestore();
    }
    const endpoint = /sandbox on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? "";
    const plan = await cli("plan", "--endpoint-url", endpoint, "--config", configFile, "--json");
    expect(plan.code).toBe(0);
    const images = JSON.parse(plan.stdout).repositories.flatMap((r: { images: unknown[] }) => r.images);
    expect(images.length).toBe(seeded.filter((s) => s.expected !== "not-selected").length);
    process.emit("SIGINT");
    expect(await running).toBe(0);
  });
});
