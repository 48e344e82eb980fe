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
      // The sandbox's KEV feed and EPSS API: no test reaches CISA or FIRST.
      intel: { kevUrl: sandbox.intel.kevUrl, epssUrl: sandbox.intel.epssUrl },
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

  it("prints plain tab-separated lines in a pipe, and only the repositories named; the summary on stderr", async () => {
    const { code, stdout, stderr } = await cli(
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
    const rows = lines.slice(1);
    expect(rows.length).toBe(seeded.filter((s) => s.repository === "team-a/api").length);
    expect(rows.every((r) => r.startsWith("team-a/api\t"))).toBe(true);
    // An expired image's row says how old its last scan is (the demo seeds it 8 days and more ago).
    const expired = rows.filter((r) => r.includes("\texpired\t"));
    expect(expired.length).toBeGreaterThan(0);
    for (const row of expired) expect(row).toMatch(/\tlast scan (8|9|\d\d) days ago$/);
    expect(stderr).toMatch(/^1 repositories, \d+ images \(registry scan type BASIC\)/);
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
    const { report, folder, written } = JSON.parse(stdout);
    // One CRITICAL finding over the threshold of 0: the report is due.
    expect(report.verdict.due).toBe(true);
    expect(written).toContain("report.json");
    // A folder per image under --out: <repository>/@<tag, or sha256-… for an image named by digest>.
    expect(folder).toBe(join(out, "cli", "report-out", `@${digest.replace(":", "-")}`));
    expect(readdirSync(join(folder, "metrics"))).toEqual(["metrics.emf.jsonl"]);
    // One text with its message attributes (the default message structure).
    expect(readdirSync(join(folder, "sns")).sort()).toEqual(["sns-message.txt", "sns-publish.json"]);
    expect(readFileSync(join(folder, "sns", "sns-message.txt"), "utf8")).toContain("CVE-2024-3094");
    expect(readdirSync(join(folder, "email")).sort()).toEqual(["email.eml", "email.html", "email.txt"]);
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
    const cleanFolder = join(cleanOut, "cli", "report-out", `@${clean.replace(":", "-")}`);
    expect(readFileSync(join(cleanFolder, "sns", "NOT-SENT.txt"), "utf8")).toContain("not due");
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

describe("ecr-scan-reporter report with threat intel", () => {
  /** An image of its own: Log4Shell (on the sandbox's KEV catalog, due 2021-12-24) and xz's backdoor (not on it). */
  function seedLog4Shell(tag: string): string {
    if (!sandbox.ecr.repositories.has("cli/report-intel")) sandbox.ecr.createRepository("cli/report-intel");
    return sandbox.ecr.seedImage("cli/report-intel", {
      tags: [tag],
      scan: {
        status: "COMPLETE",
        completedAt: new Date(),
        findings: [
          { name: "CVE-2024-3094", severity: "CRITICAL", attributes: [{ key: "package_name", value: "xz" }] },
          {
            name: "CVE-2021-44228",
            severity: "HIGH",
            attributes: [{ key: "package_name", value: "log4j-core" }],
          },
        ],
      },
    });
  }
  const report = (digest: string, ...args: string[]) =>
    cli(
      "report",
      `cli/report-intel@${digest}`,
      "--config",
      configPath,
      "--endpoint-url",
      sandbox.endpoint,
      ...args,
    );

  it("carries KEV and EPSS from the configured feeds: the KEV finding first, overdue, said in the summary", async () => {
    const digest = seedLog4Shell("v1");
    const feedRequests = { ...sandbox.intel.requests };
    const json = await report(digest, "--out", join(dir, "out-intel"), "--json");
    expect(json.code).toBe(0);
    const { report: built } = JSON.parse(json.stdout);
    expect(built.intel).toEqual({
      kev: { state: "fresh", asOf: expect.any(String) },
      epss: { state: "fresh", asOf: expect.any(String) },
    });
    // The KEV finding goes before the CRITICAL one that is not on the catalog.
    expect(built.findings.map((f: { id: string }) => f.id)).toEqual(["CVE-2021-44228", "CVE-2024-3094"]);
    expect(built.findings[0].kev).toMatchObject({
      dateAdded: "2021-12-10",
      dueDate: "2021-12-24",
      knownRansomwareCampaignUse: "Known",
    });
    expect(built.findings[0].epss).toMatchObject({ score: 0.94358, percentile: 0.9999 });
    expect(built.findings[1].kev).toBeUndefined();
    // From the sandbox's feeds, each asked once.
    expect(sandbox.intel.requests.kev).toBe(feedRequests.kev + 1);
    expect(sandbox.intel.requests.epss).toBe(feedRequests.epss + 1);

    const text = await report(digest, "--out", join(dir, "out-intel"));
    expect(text.code).toBe(0);
    // The verdict is a summary: on stderr in a pipe (stdout keeps the list of files written).
    expect(text.stderr).toMatch(
      /cli\/report-intel@sha256:\w+ COMPLETE: 1 critical, 1 high; 1 known exploited \(KEV\), 1 overdue — over the thresholds\n$/,
    );
    expect(text.stdout + text.stderr).not.toContain("threat intel:");
  });

  it("still sends the report when the KEV feed fails, and says KEV was unavailable", async () => {
    const digest = seedLog4Shell("v2");
    sandbox.intel.fail("kev", "error-500");
    try {
      const publishedBefore = sandbox.sns.published.length;
      const sent = await report(digest, "--json");
      expect(sent.code).toBe(0);
      const { report: built, outcomes } = JSON.parse(sent.stdout);
      expect(outcomes.find((o: { reporter: string }) => o.reporter === "sns")?.status).toBe("sent");
      expect(sandbox.sns.published).toHaveLength(publishedBefore + 1);
      expect(built.intel.kev).toEqual({ state: "unavailable", reason: "HTTP 500" });
      // EPSS, still reachable, is still there; nothing of KEV is.
      expect(built.intel.epss.state).toBe("fresh");
      expect(built.findings.find((f: { id: string }) => f.id === "CVE-2021-44228")).toMatchObject({
        epss: { score: 0.94358 },
      });
      expect(built.findings.some((f: { kev?: unknown }) => f.kev !== undefined)).toBe(false);

      const text = await report(digest, "--out", join(dir, "out-intel-failing"));
      expect(text.code).toBe(0);
      expect(text.stderr).toContain("COMPLETE: 1 critical, 1 high — over the thresholds\n");
      expect(text.stderr).toMatch(/\nthreat intel: KEV unavailable: HTTP 500\n$/);
    } finally {
      sandbox.intel.fail("kev", null);
    }
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
    const running = main([
      "node",
      "ecr-scan-reporter",
      "sandbox",
      "--write-config",
      configFile,
      "--out",
      join(dir, "sandbox-output"),
    ]);
    try {
      await vi.waitFor(() => expect(output).toMatch(/sandbox on http:\/\/127\.0\.0\.1:\d+/), {
        timeout: 10_000,
      });
    } finally {
      out.mockRestore();
    }
    const endpoint = /sandbox on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1] ?? "";
    // Its configuration reads threat intel from the sandbox's own feeds, not from CISA's and FIRST's.
    expect(JSON.parse(readFileSync(configFile, "utf8")).intel).toEqual({
      kevUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/kev\.json$/),
      epssUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/epss$/),
    });
    const plan = await cli("plan", "--endpoint-url", endpoint, "--config", configFile, "--json");
    expect(plan.code).toBe(0);
    const images = JSON.parse(plan.stdout).repositories.flatMap((r: { images: unknown[] }) => r.images);
    expect(images.length).toBe(seeded.filter((s) => s.expected !== "not-selected").length);
    process.emit("SIGINT");
    expect(await running).toBe(0);
  });
});
