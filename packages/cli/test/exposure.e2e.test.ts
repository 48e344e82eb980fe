// `ecr-scan-reporter exposure` against a findings ledger on the sandbox's DynamoDB, run in-process as the other CLI
// tests run it: what a person sees in a pipe, what a script gets with --json, and the exit codes.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type CompactFinding, DynamoDbLedger, LEDGER_TABLE_ENV } from "@ecr-scan-reporter/core";
import { recordingLogger } from "@ecr-scan-reporter/core/testing";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";

const TABLE = "cli-exposure-ledger";
const REGISTRY = "123456789012";
const SCANNED_AT = "2026-03-01T08:00:00.000Z";
const digestOf = (c: string) => `sha256:${c.repeat(64)}`;
// Text no ECR tag may hold, but the ledger is read as untrusted: an escape sequence that would paint the terminal,
// a title-setting OSC, a line break that would forge a row.
const HOSTILE_TAG = "evil\u001b[31mred\nFORGED\trow";
const HOSTILE_PACKAGE = "log4j-core\u001b]0;pwned\u0007";

let sandbox: Sandbox;
let client: DynamoDBClient;
let configPath: string;

const cli = (...args: string[]) =>
  runCli("exposure", ...args, "--endpoint-url", sandbox.endpoint, "--config", configPath);

const log4shell: CompactFinding = {
  id: "CVE-2021-44228",
  severity: "CRITICAL",
  package: "log4j-core",
  version: "2.14.1",
  fixedIn: "2.15.0",
  firstSeen: "2026-02-01T08:00:00.000Z",
};

beforeAll(async () => {
  sandbox = await startSandbox();
  // The endpoint comes from --endpoint-url on each run, as a person would give it.
  const { AWS_ENDPOINT_URL: _, ...env } = sandbox.env();
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  await sandbox.dynamodb.createLedgerTable(TABLE);
  // The threat intel of a CVE id comes from the sandbox's KEV feed and EPSS API, never from CISA or FIRST.
  configPath = join(mkdtempSync(join(tmpdir(), "cli-exposure-")), "config.json");
  writeFileSync(
    configPath,
    JSON.stringify({ intel: { kevUrl: sandbox.intel.kevUrl, epssUrl: sandbox.intel.epssUrl } }),
  );
  client = new DynamoDBClient({ endpoint: sandbox.endpoint, region: sandbox.region, maxAttempts: 1 });
  const ledger = new DynamoDbLedger({ client, tableName: TABLE, logger: recordingLogger() });
  const images = [
    // In use: v1 was last reported for this image.
    {
      repository: "team-a/api",
      digest: digestOf("a"),
      tags: ["v1"],
      finding: log4shell,
      pointsAt: digestOf("a"),
    },
    // v0 moved to a rebuild: not in use.
    {
      repository: "team-a/api",
      digest: digestOf("b"),
      tags: ["v0"],
      finding: log4shell,
      pointsAt: digestOf("c"),
    },
    // Never reported: its tag counts as where it was at the scan.
    {
      repository: "team-b/hostile",
      digest: digestOf("d"),
      tags: [HOSTILE_TAG],
      finding: { ...log4shell, package: HOSTILE_PACKAGE, severity: "HIGH" } satisfies CompactFinding,
      pointsAt: undefined,
    },
  ];
  for (const image of images) {
    const ref = { registryId: REGISTRY, repository: image.repository, digest: image.digest };
    // The scan's findings go to the image's index items, as report-findings records them.
    await ledger.recordScan({ ...ref, tags: image.tags }, { status: "COMPLETE", completedAt: SCANNED_AT }, [
      image.finding,
    ]);
    const [tag] = image.tags;
    if (image.pointsAt && tag) {
      await ledger.recordReport([{ ...ref, tag }], {
        digest: image.pointsAt,
        scanCompletedAt: SCANNED_AT,
        findings: [],
        over: true,
      });
    }
  }
});
afterAll(async () => {
  client?.destroy();
  await sandbox?.close();
});
beforeEach(() => {
  process.env[LEDGER_TABLE_ENV] = TABLE;
});

describe("ecr-scan-reporter exposure", () => {
  it("prints a row per image in a pipe, in use first, and a one-line summary", async () => {
    const { code, stdout, stderr } = await cli("CVE-2021-44228");
    expect(code).toBe(0);
    // In a pipe, stdout holds the rows; the summary and the intel line go to stderr.
    const lines = [...stdout.trimEnd().split("\n"), ...stderr.trimEnd().split("\n")];
    expect(stderr.trimEnd().split("\n")).toHaveLength(2);
    expect(lines[0]).toBe(
      "REPOSITORY\tTAGS\tDIGEST\tSEVERITY\tPACKAGE\tFIXED IN\tFIRST SEEN\tLAST SCAN\tIN USE",
    );
    expect(lines.slice(1, -2).map((line) => line.split("\t"))).toEqual([
      [
        "team-a/api",
        "v1",
        `sha256:${"a".repeat(12)}`,
        "CRITICAL",
        "log4j-core@2.14.1",
        "2.15.0",
        "2026-02-01",
        "2026-03-01",
        "yes",
      ],
      [
        "team-b/hostile",
        "evil[31mred FORGED row",
        `sha256:${"d".repeat(12)}`,
        "HIGH",
        "log4j-core]0;pwned@2.14.1",
        "2.15.0",
        "2026-02-01",
        "2026-03-01",
        "yes",
      ],
      [
        "team-a/api",
        "(was v0)",
        `sha256:${"b".repeat(12)}`,
        "CRITICAL",
        "log4j-core@2.14.1",
        "2.15.0",
        "2026-02-01",
        "2026-03-01",
        "no",
      ],
    ]);
    expect(lines.at(-2)).toBe("CVE-2021-44228: 3 images (2 in use)");
    // What the sandbox's KEV catalog and EPSS API say of it, overdue long since.
    expect(lines.at(-1)).toBe(
      "CVE-2021-44228: on CISA's KEV catalog since 2021-12-10, overdue since 2021-12-24, known ransomware use; EPSS 94 % (99th percentile)",
    );
    // No escape sequence or bell reaches the terminal.
    expect(stdout).not.toContain("\u001b");
    expect(stdout).not.toContain("\u0007");
  });

  it("prints { vulnerability, images, intel } with --json, for a CVE id in any case", async () => {
    const { code, stdout } = await cli("cve-2021-44228", "--json");
    expect(code).toBe(0);
    const answer = JSON.parse(stdout) as {
      vulnerability: string;
      package?: unknown;
      images: { repository: string; digest: string; tags: string[]; inUse: boolean }[];
      intel: unknown;
    };
    expect(answer.vulnerability).toBe("CVE-2021-44228");
    expect(answer.intel).toEqual({
      kev: expect.objectContaining({
        dateAdded: "2021-12-10",
        dueDate: "2021-12-24",
        knownRansomwareCampaignUse: "Known",
      }),
      epss: { score: 0.94358, percentile: 0.9999, date: expect.stringMatching(/^\d{4}-\d\d-\d\d$/) },
      status: {
        kev: { state: "fresh", asOf: expect.any(String) },
        epss: { state: "fresh", asOf: expect.any(String) },
      },
    });
    expect(answer).not.toHaveProperty("package");
    expect(
      answer.images.map(({ repository, digest, tags, inUse }) => ({ repository, digest, tags, inUse })),
    ).toEqual([
      { repository: "team-a/api", digest: digestOf("a"), tags: ["v1"], inUse: true },
      { repository: "team-b/hostile", digest: digestOf("d"), tags: [HOSTILE_TAG], inUse: true },
      { repository: "team-a/api", digest: digestOf("b"), tags: [], inUse: false },
    ]);
  });

  it("answers --package NAME@VERSION without an id, the vulnerabilities in a column of their own", async () => {
    const json = await cli("--package", "log4j-core@2.14", "--json");
    expect(json.code).toBe(0);
    const answer = JSON.parse(json.stdout) as {
      vulnerability: null;
      package: unknown;
      images: { digest: string }[];
    };
    expect(answer.vulnerability).toBeNull();
    expect(answer.package).toEqual({ name: "log4j-core", version: "2.14" });
    // No vulnerability named: nothing to look up.
    expect(answer).not.toHaveProperty("intel");
    expect(answer.images.map((image) => image.digest)).toEqual([digestOf("a"), digestOf("b")]);

    const table = await cli("--package", "log4j-core");
    const lines = [...table.stdout.trimEnd().split("\n"), table.stderr.trimEnd()];
    expect(lines[0]?.split("\t").at(-1)).toBe("VULNERABILITIES");
    expect(lines[1]?.split("\t").at(-1)).toBe("CVE-2021-44228");
    expect(lines.at(-1)).toBe("log4j-core: 2 images (1 in use)");
  });

  it("exits 0 with an empty answer for an id the ledger does not know, and what the feeds say of it", async () => {
    const table = await cli("CVE-2099-0001");
    expect(table.code).toBe(0);
    expect(table.stdout).toBe("");
    expect(table.stderr).toBe(
      "CVE-2099-0001: 0 images (0 in use)\nCVE-2099-0001: not on CISA's KEV catalog; no EPSS score\n",
    );
    const json = await cli("CVE-2099-0001", "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      vulnerability: "CVE-2099-0001",
      images: [],
      intel: {
        status: {
          kev: { state: "fresh", asOf: expect.any(String) },
          epss: { state: "fresh", asOf: expect.any(String) },
        },
      },
    });
  });

  it("only reads the ledger: the threat intel comes straight from the feeds", async () => {
    const callsBefore = sandbox.server.calls.length;
    const requests = { ...sandbox.intel.requests };
    const { code } = await cli("CVE-2021-44228", "--json");
    expect(code).toBe(0);
    const operations = sandbox.server.calls
      .slice(callsBefore)
      .filter((call) => call.service === "dynamodb")
      .map((call) => call.operation);
    expect([...new Set(operations)].sort()).toEqual(["BatchGetItem", "Query"]);
    expect(sandbox.intel.requests).toEqual({ kev: requests.kev + 1, epss: requests.epss + 1 });
  });

  it("looks up nothing for an id that is not a CVE id", async () => {
    const requests = { ...sandbox.intel.requests };
    const json = await cli("GHSA-jfh8-c2jp-5v3q", "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ vulnerability: "GHSA-jfh8-c2jp-5v3q", images: [] });
    expect(sandbox.intel.requests).toEqual(requests);
  });

  it("says a feed that failed, and still answers with what the other gave", async () => {
    sandbox.intel.fail("kev", "error-500");
    try {
      const table = await cli("CVE-2021-44228");
      expect(table.code).toBe(0);
      const lines = table.stderr.trimEnd().split("\n");
      expect(lines.at(-2)).toBe("CVE-2021-44228: 3 images (2 in use)");
      expect(lines.at(-1)).toBe("CVE-2021-44228: EPSS 94 % (99th percentile); KEV unavailable: HTTP 500");
      expect(table.stderr).toContain("KEV feed unavailable");
      const json = await cli("CVE-2021-44228", "--json");
      expect((JSON.parse(json.stdout) as { intel: unknown }).intel).toEqual({
        epss: expect.objectContaining({ score: 0.94358 }),
        status: {
          kev: { state: "unavailable", reason: "HTTP 500" },
          epss: { state: "fresh", asOf: expect.any(String) },
        },
      });
    } finally {
      sandbox.intel.fail("kev", null);
    }
  });

  it("reads the table from --table when LEDGER_TABLE_NAME is unset", async () => {
    delete process.env[LEDGER_TABLE_ENV];
    const { code, stdout } = await cli("CVE-2021-44228", "--table", TABLE, "--json");
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { images: unknown[] }).images).toHaveLength(3);
  });

  it("exits 2 without a table, saying how to give one", async () => {
    delete process.env[LEDGER_TABLE_ENV];
    const { code, stdout, stderr } = await cli("CVE-2021-44228");
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("--table NAME or set LEDGER_TABLE_NAME");
  });

  it("exits 2 without an id or a package, and for a package argument it cannot read", async () => {
    const neither = await cli();
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("Name a vulnerability or a package");
    const badPackage = await cli("--package", "log4j-core@");
    expect(badPackage.code).toBe(2);
    expect(badPackage.stderr).toContain("expected NAME or NAME@VERSION");
  });

  it("exits 3 when the table does not exist, naming it and what to set", async () => {
    const { code, stderr } = await cli("CVE-2021-44228", "--table", "no-such-ledger");
    expect(code).toBe(3);
    expect(stderr).toContain("ledger table no-such-ledger not found");
    expect(stderr).toContain("Set LEDGER_TABLE_NAME or --table");
  });
});
