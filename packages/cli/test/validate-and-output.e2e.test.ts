// `validate` against the sandbox's SSM and Secrets Manager: each secret reference asked for as the functions ask
// (GetParameter decrypted, GetSecretValue), an unresolvable one named with the AWS error; AWS_ENDPOINT_URL alone
// (no credentials) gets the placeholder credentials; the metrics reporter's EMF lines only with --debug; and scan's
// summary kept off stdout in a pipe.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isolatedAwsEnvironment } from "./support/aws-env.js";
import { runCli } from "./support/run-cli.js";

let sandbox: Sandbox;
let dir: string;
let restore: () => void;
let jsonSecretArn: string;
const MISSING_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:no-such-secret-AbCdEf";

beforeAll(async () => {
  sandbox = await startSandbox({ scanDurationMs: 50 });
  sandbox.ssm.putParameter("/ecr/slack-url", "https://hooks.slack.com/services/T000/B000/XXXX");
  jsonSecretArn = sandbox.secretsManager.createSecret(
    "webhooks",
    JSON.stringify({ teamA: "https://a.example" }),
  );
  dir = mkdtempSync(join(tmpdir(), "validate-e2e-"));
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  ({ restore } = isolatedAwsEnvironment());
  Object.assign(process.env, sandbox.env());
});
afterEach(() => restore());

function writeConfig(reporters: unknown[]): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ reporters }, null, 2));
  return path;
}

const resolvable = { use: "slack", options: { webhookUrl: { parameter: "/ecr/slack-url" } } };

describe("validate's secret check", () => {
  it("lists every reference that does not resolve, with the AWS error's name, and exits 2", async () => {
    const path = writeConfig([
      resolvable,
      {
        use: "github",
        options: { owner: "acme", repo: "images", token: { parameter: "/ecr/missing-token" } },
      },
      { use: "slack", options: { webhookUrl: { secretArn: MISSING_ARN } } },
      { use: "slack", options: { webhookUrl: { secretArn: jsonSecretArn, jsonKey: "teamB" } } },
    ]);
    const { code, stdout, stderr } = await runCli("validate", "-c", path);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("3 problem(s):");
    expect(stderr).toContain(
      "  - reporters[1].options.token: ssm:/ecr/missing-token: ParameterNotFound — it does not exist in this account and region\n",
    );
    expect(stderr).toContain(
      `  - reporters[2].options.webhookUrl: secretsmanager:${MISSING_ARN}: ResourceNotFoundException — it does not exist in this account and region\n`,
    );
    expect(stderr).toContain(
      `  - reporters[3].options.webhookUrl: secretsmanager:${jsonSecretArn}: has no string at jsonKey "teamB"\n`,
    );
    // No secret value is ever printed.
    expect(stderr).not.toContain("hooks.slack.com");
    expect(stderr).not.toContain("a.example");
  });

  it("says the references resolved when they do, and exits 0", async () => {
    const path = writeConfig([
      resolvable,
      { use: "slack", options: { webhookUrl: { secretArn: jsonSecretArn, jsonKey: "teamA" } } },
    ]);
    const { code, stdout, stderr } = await runCli("validate", "-c", path);
    expect(code).toBe(0);
    expect(stdout).toBe("valid: 2 reporters (slack, slack#2), 2 secret references resolved\n");
    expect(stderr).toBe("");
  });

  it("reaches a loopback AWS_ENDPOINT_URL without AWS credentials, as --endpoint-url does", async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const { code, stdout } = await runCli("validate", "-c", writeConfig([resolvable]));
    expect(code).toBe(0);
    expect(stdout).toBe("valid: 1 reporter (slack), 1 secret reference resolved\n");
  });

  it("says the references are not checked, and why, when there are no credentials", async () => {
    // A remote endpoint gets no placeholder credentials, and this machine has none: nothing is asked.
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_EC2_METADATA_DISABLED = "true";
    const { code, stdout, stderr } = await runCli(
      "validate",
      "-c",
      writeConfig([resolvable]),
      "--endpoint-url",
      "https://ssm.invalid",
    );
    expect(code).toBe(0);
    expect(stdout).toBe("valid: 1 reporter (slack), 1 secret reference NOT checked\n");
    expect(stderr).toBe(
      "not checked: secrets: no AWS credentials: sign in, pass --profile or set AWS_PROFILE\n",
    );
  });
});

describe("EMF metric lines", () => {
  it("are not printed by report unless --debug", async () => {
    sandbox.ecr.createRepository("cli/emf");
    const digest = sandbox.ecr.seedImage("cli/emf", {
      tags: ["v1"],
      scan: {
        status: "COMPLETE",
        completedAt: new Date(),
        findings: [{ name: "CVE-2024-3094", severity: "CRITICAL" }],
      },
    });
    const path = writeConfig([{ use: "metrics" }]);
    const quiet = await runCli("report", `cli/emf@${digest}`, "-c", path, "--json");
    expect(quiet.code).toBe(0);
    expect(JSON.parse(quiet.stdout).outcomes).toEqual([
      expect.objectContaining({ reporter: "metrics", status: "sent" }),
    ]);
    expect(quiet.stdout + quiet.stderr).not.toContain('"_aws"');

    const debug = await runCli("report", `cli/emf@${digest}`, "-c", path, "--json", "--debug");
    expect(debug.code).toBe(0);
    expect(debug.stderr).toContain('"_aws"');
    expect(debug.stdout).not.toContain('"_aws"');
  });
});

describe("scan in a pipe", () => {
  it("writes one line per scan started on stdout, and the summary on stderr", async () => {
    sandbox.ecr.createRepository("team-pipe/api");
    sandbox.ecr.seedImage("team-pipe/api", { tags: ["v1"] });
    const path = join(dir, "scan-config.json");
    writeFileSync(path, JSON.stringify({ repositories: { include: "^team-pipe/" } }));
    const { code, stdout, stderr } = await runCli("scan", "-c", path);
    expect(code).toBe(0);
    expect(stdout).toBe("team-pipe/api:v1\tstarted\n");
    expect(stderr).toBe("scan:never-scanned 1\nscans: started 1\n");
  });
});
