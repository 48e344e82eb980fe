import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SAMPLE_FINDINGS } from "@ecr-scan-reporter/core/testing";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invokeBundle, REPO_ROOT, sandboxIntel, sqsEvent } from "./support/bundles.js";
import { imageScanEvent, toBasicFinding } from "./support/scenario.js";
import { expectNoSecretIn, sandboxSecrets } from "./support/secrets.js";

const EXAMPLE = join(REPO_ROOT, "terraform", "examples", "custom-reporter", "teams-reporter");

let sandbox: Sandbox;
let layerModules: string;
let receiver: Server;
let receiverUrl: string;
const received: { path: string; body: unknown }[] = [];
let event: unknown;
let secretArn: string;

beforeAll(async () => {
  // The layer exactly as the example's own build script makes it, unpacked as Lambda unpacks layers under /opt.
  const out = mkdtempSync(join(tmpdir(), "teams-layer-"));
  execFileSync(process.execPath, [join(EXAMPLE, "scripts", "build-layer.mjs"), "--out", out], {
    stdio: "ignore",
  });
  layerModules = join(out, "layer", "nodejs", "node_modules");

  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      received.push({ path: req.url ?? "", body: JSON.parse(body) });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/workflows/teams-webhook`;

  sandbox = await startSandbox();
  sandbox.ecr.createRepository("team-a/api");
  const digest = sandbox.ecr.seedImage("team-a/api", {
    tags: ["v1.4.2"],
    scan: { status: "COMPLETE", completedAt: new Date(), findings: SAMPLE_FINDINGS.map(toBasicFinding) },
  });
  event = imageScanEvent(sandbox, "team-a/api", digest);
  secretArn = sandbox.secretsManager.createSecret("teams-webhook", receiverUrl);
});

afterAll(async () => {
  await sandbox.close();
  await new Promise((resolve) => receiver.close(resolve));
});

function invoke(reporters: unknown[], reportersPath = layerModules) {
  return invokeBundle("report-findings", sqsEvent([{ messageId: "m1", body: JSON.stringify(event) }]), {
    ...sandbox.env(),
    ECR_SCAN_REPORTER_REPORTERS_PATH: reportersPath,
    ECR_SCAN_REPORTER_CONFIG: JSON.stringify({ intel: sandboxIntel(sandbox), reporters }),
  });
}

describe("a custom reporter package loaded from a Lambda layer by the built report-findings bundle", () => {
  it("loads @acme/ecr-reporter-teams from the layer folder and posts an Adaptive Card", async () => {
    const result = await invoke([
      { use: "@acme/ecr-reporter-teams", options: { webhookUrl: { secretArn } } },
    ]);
    expect(result.ok && result.result).toEqual({ batchItemFailures: [] });
    expect(received).toHaveLength(1);
    const message = received[0]?.body as {
      type: string;
      attachments: { contentType: string; content: { type: string; body: { text?: string }[] } }[];
    };
    expect(message.type).toBe("message");
    expect(message.attachments[0]?.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(message.attachments[0]?.content.type).toBe("AdaptiveCard");
    expect(JSON.stringify(message)).toContain("CVE-2024-3094");
    expect(result.logs.find((l) => l.message === "report")?.outcomes).toEqual({
      "@acme/ecr-reporter-teams": "sent",
    });
    // The webhook URL from Secrets Manager is where the card goes (received[].path), nowhere else.
    expectNoSecretIn(
      { stdout: result.stdout, stderr: result.stderr, cards: received.map((r) => r.body) },
      sandboxSecrets(sandbox),
    );
  });

  it("fails at cold start, naming the entry, when the package is not in the layer", async () => {
    const result = await invoke([
      { use: "sns", options: {} },
      { use: "@acme/not-installed", options: {} },
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errorType).toBe("ConfigError");
    expect(result.errorMessage).toContain(
      'reporters[1].use: "@acme/not-installed" is neither a built-in reporter',
    );
    // Every problem at once: the sns entry's missing topic too.
    expect(result.errorMessage).toContain("reporters[0].options.topicArn: required");
  });

  it("fails at cold start when the package has no valid default export", async () => {
    const folder = mkdtempSync(join(tmpdir(), "bad-layer-"));
    const modules: [string, string][] = [
      ["no-default", "export const reporter = {};\n"],
      ["not-a-plugin", "export default { name: 'x' };\n"],
    ];
    for (const [name, code] of modules) {
      mkdirSync(join(folder, "@acme", name), { recursive: true });
      writeFileSync(
        join(folder, "@acme", name, "package.json"),
        JSON.stringify({ name: `@acme/${name}`, type: "module", main: "index.mjs" }),
      );
      writeFileSync(join(folder, "@acme", name, "index.mjs"), code);
    }
    const result = await invoke([{ use: "@acme/no-default" }, { use: "@acme/not-a-plugin" }], folder);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errorMessage).toContain(
      'reporters[0].use: "@acme/no-default" could not be loaded: Error: its module',
    );
    expect(result.errorMessage).toContain("has no default export");
    expect(result.errorMessage).toContain(
      'reporters[1].use: "@acme/not-a-plugin": its default export is not a reporter plugin: missing optionsSchema',
    );
  });

  it("fails at cold start when the options fail the package's own schema", async () => {
    const result = await invoke([
      { use: "@acme/ecr-reporter-teams", options: { webhookUrl: receiverUrl, maxFindings: 500 } },
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errorMessage).toContain("reporters[0].options.webhookUrl:");
    expect(result.errorMessage).toContain("reporters[0].options.maxFindings:");
    // A webhook URL put in the options by mistake is a secret all the same: not echoed in the error or the log.
    expectNoSecretIn(
      { errorMessage: result.errorMessage, stdout: result.stdout, stderr: result.stderr },
      { "the webhook URL given as an option": receiverUrl },
    );
  });
});
