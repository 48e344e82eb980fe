import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { LocalDeployment, Sandbox } from "@ecr-scan-reporter/sandbox";
import { type DemoOptions, runDemo } from "@ecr-scan-reporter/sandbox/demo";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/bundles.js";
import { expectNoSecretIn, sandboxSecrets } from "./support/secrets.js";

const DIST = join(REPO_ROOT, "terraform", "dist");

/** Every file under `dir`, by its path in `dir`, with its content. */
function filesUnder(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile()) files[relative(dir, path)] = readFileSync(path, "utf8");
  }
  return files;
}

/**
 * Runs the demo, then checks that none of the secrets its sandbox held (the Slack webhook URL, the GitHub token,
 * a custom reporter's webhook URL) is in what its functions wrote or in anything the reporters sent (the files).
 */
async function runDemoWithoutLeaks(options: DemoOptions) {
  const seen: { deployment?: LocalDeployment; sandbox?: Sandbox } = {};
  const summary = await runDemo({
    ...options,
    onDeployed: (deployment, sandbox) => Object.assign(seen, { deployment, sandbox }),
  });
  const { deployment, sandbox } = seen;
  if (!deployment || !sandbox) throw new Error("the demo never set up its deployment");
  const written = Object.fromEntries(
    Object.entries(deployment.functions).map(([name, fn]) => [
      `${name} stdout and stderr`,
      fn.logs.join("\n"),
    ]),
  );
  expectNoSecretIn({ ...written, ...filesUnder(options.outDir) }, sandboxSecrets(sandbox));
  return summary;
}

describe("the demo (the README's main job)", () => {
  it("runs the whole flow and writes every report each reporter sent, with no secret in them", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "demo-")), "demo-output");
    // No bound on the wall time, which only says how busy the machine is: the demo fails by itself (summary.errors)
    // when its queues do not drain.
    const summary = await runDemoWithoutLeaks({ outDir: out, distDir: DIST });
    expect(summary.errors).toEqual([]);
    expect(summary.ok).toBe(true);
    expect(summary.expectedDecisionsMatched).toBe(true);
    expect(summary.githubViolations).toBe(0);
    expect(summary.slackRejections).toBe(0);

    const due = summary.reports - (summary.highestSeverities.none ?? 0);
    expect(summary.reportsPerReporter).toEqual({
      metrics: summary.reports,
      sns: due,
      slack: due,
      github: due,
      email: due,
    });
    expect(readdirSync(join(out, "sns"))).toHaveLength(due);
    expect(readdirSync(join(out, "slack"))).toHaveLength(due);
    expect(readdirSync(join(out, "github")).filter((f) => f.endsWith(".md"))).toHaveLength(due);
    const emails = readdirSync(join(out, "email"));
    expect(emails.filter((f) => f.endsWith(".html"))).toHaveLength(due);
    expect(emails.filter((f) => f.endsWith(".eml"))).toHaveLength(due);
    const eml = readFileSync(join(out, "email", emails.find((f) => f.endsWith(".eml")) ?? ""), "utf8");
    expect(eml).toMatch(/^From: ECR scans <scans@acme\.example>\r\n/);
    expect(eml).toContain("Content-Type: multipart/alternative;");
    const page = readFileSync(join(out, "index.html"), "utf8");
    expect(page).toContain("<svg");
    expect(page).toContain("Findings per severity");
    expect(JSON.parse(readFileSync(join(out, "demo-summary.json"), "utf8")).reports).toBe(summary.reports);
  }, 90_000);

  it("adds a custom reporter package by config: the Teams example posts its cards", async () => {
    const layer = mkdtempSync(join(tmpdir(), "teams-layer-"));
    execFileSync(
      process.execPath,
      [
        join(REPO_ROOT, "terraform/examples/custom-reporter/teams-reporter/scripts/build-layer.mjs"),
        "--out",
        layer,
      ],
      { stdio: "ignore" },
    );
    const config = JSON.parse(
      readFileSync(join(REPO_ROOT, "terraform/examples/custom-reporter/demo.json"), "utf8"),
    );
    const out = join(mkdtempSync(join(tmpdir(), "demo-")), "out");
    const summary = await runDemoWithoutLeaks({
      outDir: out,
      distDir: DIST,
      extraReporters: config.reporters,
      reportersPath: join(layer, "layer", "nodejs", "node_modules"),
    });
    expect(summary.errors).toEqual([]);
    const teams = summary.reportsPerReporter["@acme/ecr-reporter-teams"] ?? 0;
    expect(teams).toBeGreaterThan(0);
    const cards = readdirSync(join(out, "webhooks"));
    expect(cards).toHaveLength(teams);
    const card = JSON.parse(readFileSync(join(out, "webhooks", cards[0] ?? ""), "utf8"));
    expect(card.attachments[0].content.type).toBe("AdaptiveCard");
  }, 90_000);

  it("refuses to overwrite a folder that is not a previous demo's output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "not-demo-"));
    execFileSync("touch", [join(dir, "precious.txt")]);
    await expect(runDemo({ outDir: dir, distDir: DIST })).rejects.toThrow(
      /is not empty and holds no previous demo output/,
    );
    expect(existsSync(join(dir, "precious.txt"))).toBe(true);
  });
});
