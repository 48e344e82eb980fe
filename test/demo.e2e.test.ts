import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDemo } from "@ecr-scan-reporter/sandbox/demo";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/bundles.js";

const DIST = join(REPO_ROOT, "terraform", "dist");

describe("the demo (the README's main job)", () => {
  it("runs the whole flow and writes every report each reporter sent, within a minute", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "demo-")), "demo-output");
    const summary = await runDemo({ outDir: out, distDir: DIST });
    expect(summary.errors).toEqual([]);
    expect(summary.ok).toBe(true);
    expect(summary.expectedDecisionsMatched).toBe(true);
    expect(summary.wallTimeMs).toBeLessThan(60_000);
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
    const summary = await runDemo({
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
