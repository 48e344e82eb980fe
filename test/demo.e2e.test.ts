import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { LocalDeployment, Sandbox } from "@ecr-scan-reporter/sandbox";
import { DEMO_KEV_ADDITION } from "@ecr-scan-reporter/sandbox";
import {
  DEMO_FEED_UPDATE,
  type DemoOptions,
  type PassSummary,
  runDemo,
  SECOND_PASS_AFTER_DAYS,
} from "@ecr-scan-reporter/sandbox/demo";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/bundles.js";
import { expectNoSecretIn, sandboxSecrets } from "./support/secrets.js";

const DIST = join(REPO_ROOT, "terraform", "dist");
const DAY = 86_400_000;

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
    expect(summary.githubViolations).toBe(0);
    expect(summary.slackRejections).toBe(0);
    expect(summary.passes.map((p) => p.pass)).toEqual([1, 2]);
    const [first, second] = summary.passes as [PassSummary, PassSummary];
    // One account (no --accounts): the deployment's own registry, no `accounts`, no AssumeRole, no per-account rows.
    expect(summary.accounts).toBeUndefined();
    expect(summary.passes.map((p) => p.accounts)).toEqual([undefined, undefined]);
    expect(summary.awsCalls["sts:AssumeRole"]).toBeUndefined();
    for (const pass of summary.passes) {
      expect(pass.expectedDecisionsMatched).toBe(true);
      expect(pass.ledgerMissedScans).toBe(0);
    }

    // Pass 1: everything is news, every due report goes to every reporter.
    const due = first.reports - (first.highestSeverities.none ?? 0);
    expect(first.reportsDue).toBe(due);
    expect(first.reportsPerReporter).toEqual({
      metrics: first.reports,
      sns: due,
      slack: due,
      github: due,
      email: due,
    });
    expect(first.reportsHeldUnchanged).toBe(0);
    const files = (dir: string, pass: number) =>
      readdirSync(join(out, dir)).filter((f) => f.startsWith(`pass${pass}-`));
    expect(files("sns", 1)).toHaveLength(due);
    expect(files("slack", 1)).toHaveLength(due);
    expect(files("github", 1).filter((f) => f.endsWith(".md"))).toHaveLength(due);
    const emails = files("email", 1);
    expect(emails.filter((f) => f.endsWith(".html"))).toHaveLength(due);
    expect(emails.filter((f) => f.endsWith(".eml"))).toHaveLength(due);
    const eml = readFileSync(join(out, "email", emails.find((f) => f.endsWith(".eml")) ?? ""), "utf8");
    expect(eml).toMatch(/^From: ECR scans <scans@acme\.example>\r\n/);
    expect(eml).toContain("Content-Type: multipart/alternative;");

    // Pass 2, eight days later on the sandbox's clock: every image the first pass scanned is scanned again.
    expect(Date.parse(second.at) - Date.parse(first.at)).toBeGreaterThanOrEqual(SECOND_PASS_AFTER_DAYS * DAY);
    const rescanned = new Set(second.imageReports.map((r) => r.digest));
    expect(first.imageReports.filter((r) => !rescanned.has(r.digest))).toEqual([]);
    // The feed's new CVEs reached some of the images, not all.
    const feedIds = DEMO_FEED_UPDATE.map((r) => r.id);
    expect(second.newlyPublishedCves).toEqual(feedIds);
    const withNewCves = second.imageReports.filter((r) => r.newlyPublishedFound.length > 0);
    expect(withNewCves.length).toBeGreaterThan(0);
    expect(withNewCves.length).toBeLessThan(second.reportsDue);

    // Of the images SNS was sent in pass 1, exactly those whose rescan found a new CVE are sent again, naming it as
    // new; the others are held back as unchanged by every reporter with notify "changes".
    const sentBefore = new Set(
      first.imageReports.filter((r) => r.sentTo.includes("sns")).map((r) => r.digest),
    );
    // The reports of the rescans; the KEV escalations (below) are reports of their own, without a rescan.
    const rescans = second.imageReports.filter((r) => r.nowKnownExploited.length === 0);
    const again = rescans.filter((r) => sentBefore.has(r.digest));
    expect(again.length).toBe(sentBefore.size);
    const resent = again.filter((r) => r.sentTo.includes("sns"));
    expect(resent.map((r) => r.image).sort()).toEqual(
      again
        .filter((r) => r.newlyPublishedFound.length > 0)
        .map((r) => r.image)
        .sort(),
    );
    expect(resent.length).toBeGreaterThan(0);
    for (const r of resent) {
      expect(r.newFindings.sort()).toEqual([...r.newlyPublishedFound].sort());
      expect(r.sentTo).toEqual(expect.arrayContaining(["sns", "email"]));
    }
    const unchanged = again.filter((r) => !r.sentTo.includes("sns"));
    expect(unchanged.length).toBeGreaterThan(0);
    for (const r of unchanged)
      expect(r.held).toEqual({ sns: "unchanged", slack: "unchanged", email: "unchanged" });
    // Every other SNS message of pass 2 is an image's first report (skipped in pass 1 as fresh or failed recently).
    for (const r of rescans.filter((r) => r.sentTo.includes("sns") && !sentBefore.has(r.digest)))
      expect(r.firstReport).toBe(true);

    // CISA added CVE-2023-4911 to KEV between the passes: the images in use that carry it were reported again as
    // "now known exploited", each once, to every reporter with notify "changes" — whether or not their rescan had
    // news. Their rescans carry it on KEV too.
    const escalations = second.imageReports.filter((r) => r.nowKnownExploited.length > 0);
    expect(escalations.length).toBe(second.reportsNowKnownExploited);
    expect(escalations.length).toBeGreaterThan(0);
    expect(new Set(escalations.map((r) => r.digest)).size).toBe(escalations.length);
    for (const r of escalations) {
      expect(r.nowKnownExploited).toEqual([DEMO_KEV_ADDITION.cveID]);
      expect(r.sentTo).toEqual(expect.arrayContaining(["sns", "slack", "email"]));
      expect(rescans.find((rescan) => rescan.digest === r.digest)?.knownExploited).toContain(
        DEMO_KEV_ADDITION.cveID,
      );
    }
    expect(first.knownExploitedCves).not.toContain(DEMO_KEV_ADDITION.cveID);
    expect(second.knownExploitedCves).toContain(DEMO_KEV_ADDITION.cveID);

    // The figures add up: each due report is sent or held back as unchanged, once.
    expect(second.reportsHeldUnchanged).toBe(unchanged.length);
    expect(second.reportsWithNewFindings).toBe(
      second.imageReports.filter((r) => r.newFindings.length).length,
    );
    for (const reporter of ["sns", "slack", "email"]) {
      expect(
        (second.reportsPerReporter[reporter] ?? 0) + (second.heldPerReporter[reporter]?.unchanged ?? 0),
      ).toBe(second.reportsDue);
    }
    expect(second.reportsPerReporter.sns).toBeLessThan(second.reportsDue);
    expect(files("sns", 2)).toHaveLength(second.reportsPerReporter.sns ?? -1);
    expect(files("slack", 2)).toHaveLength(second.reportsPerReporter.slack ?? -1);
    expect(files("email", 2).filter((f) => f.endsWith(".eml"))).toHaveLength(
      second.reportsPerReporter.email ?? -1,
    );
    const resentMessage = files("sns", 2)
      .map(
        (f) => JSON.parse(readFileSync(join(out, "sns", f), "utf8")) as { subject: string; message: string },
      )
      .find((m) => m.message.includes(` new since ${first.at.slice(0, 10)}: `));
    expect(resentMessage?.subject).toMatch(/\(\d+ new\)/);
    expect(feedIds.some((id) => resentMessage?.message.includes(id))).toBe(true);

    const page = readFileSync(join(out, "index.html"), "utf8");
    // Each report row links to what every reporter sent for it (each message from one row), and every link opens.
    const links = [...page.matchAll(/href="([^"]+)"/g)]
      .map((m) => decodeURIComponent(m[1] ?? ""))
      .filter((href) => !href.startsWith("https://"));
    for (const href of links) expect(existsSync(join(out, href)), href).toBe(true);
    for (const pass of [first, second])
      for (const [reporter, file] of [
        ["sns", /\.json$/],
        ["slack", /\.json$/],
        ["email", /\.html$/],
      ] as const)
        expect(
          links.filter((h) => h.startsWith(`${reporter}/pass${pass.pass}-`) && file.test(h)),
        ).toHaveLength(pass.reportsPerReporter[reporter] ?? -1);
    expect(page.match(/>github<\/a>/g)).toHaveLength(
      (first.reportsPerReporter.github ?? 0) + (second.reportsPerReporter.github ?? 0),
    );
    expect(page).toContain('<table class="cves">');
    expect(page).toContain("<svg");
    expect(page).toContain("Findings per severity");
    expect(page).toContain(`pass 2, ${SECOND_PASS_AFTER_DAYS} days later`);
    expect(page).toContain("reports held back as unchanged");
    for (const id of feedIds) expect(page).toContain(id);
    const written = JSON.parse(readFileSync(join(out, "demo-summary.json"), "utf8"));
    expect(written.passes.map((p: PassSummary) => p.reportsHeldUnchanged)).toEqual([0, unchanged.length]);
  }, 120_000);

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
    const teams = summary.passes.reduce(
      (n, p) => n + (p.reportsPerReporter["@acme/ecr-reporter-teams"] ?? 0),
      0,
    );
    expect(teams).toBeGreaterThan(0);
    const cards = readdirSync(join(out, "webhooks"));
    expect(cards).toHaveLength(teams);
    const card = JSON.parse(readFileSync(join(out, "webhooks", cards[0] ?? ""), "utf8"));
    expect(card.attachments[0].content.type).toBe("AdaptiveCard");
  }, 120_000);

  it("refuses to overwrite a folder that is not a previous demo's output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "not-demo-"));
    execFileSync("touch", [join(dir, "precious.txt")]);
    await expect(runDemo({ outDir: dir, distDir: DIST })).rejects.toThrow(
      /is not empty and holds no previous demo output/,
    );
    expect(existsSync(join(dir, "precious.txt"))).toBe(true);
  });
});
