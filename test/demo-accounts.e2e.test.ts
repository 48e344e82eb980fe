import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type PassSummary, runDemo } from "@ecr-scan-reporter/sandbox/demo";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/bundles.js";

const DIST = join(REPO_ROOT, "terraform", "dist");
const ACCOUNTS = [
  { accountId: "123456789012", name: "hub" },
  { accountId: "210987654321", name: "team-a" },
  { accountId: "345678901234", name: "team-b" },
];
const label = (a: { accountId: string; name: string }) => `${a.name} (${a.accountId})`;
const sum = (values: number[]) => values.reduce((n, v) => n + v, 0);

describe("demo --accounts 3: one hub deployment, its own registry and two member accounts'", () => {
  it("scans and reports every account with its own credentials, and shows what each account got", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "demo-accounts-")), "out");
    const summary = await runDemo({ outDir: out, distDir: DIST, accounts: 3 });
    expect(summary.errors).toEqual([]);
    expect(summary.ok).toBe(true);
    // The functions ran with the hub module's policies (AssumeMemberRoles on exactly the two member roles), and the
    // member roles with the member module's: nothing was refused.
    expect(summary.iam.denied).toBe(0);
    expect(summary.accounts?.map((a) => [a.accountId, a.name])).toEqual(
      ACCOUNTS.map((a) => [a.accountId, a.name]),
    );
    expect(sum(summary.accounts?.map((a) => a.images) ?? [])).toBe(summary.images);

    for (const pass of summary.passes) {
      expect(pass.expectedDecisionsMatched).toBe(true);
      expect(pass.awsCalls["sts:AssumeRole"]).toBeGreaterThan(0);
      const accounts = pass.accounts ?? [];
      expect(accounts.map((a) => a.accountId)).toEqual(ACCOUNTS.map((a) => a.accountId));
      // Every account was scanned and reported in every pass; the accounts' figures add up to the pass's.
      for (const account of accounts) {
        expect(account.scansStarted, account.accountId).toBeGreaterThan(0);
        expect(account.reports, account.accountId).toBeGreaterThan(0);
      }
      expect(sum(accounts.map((a) => a.scansStarted))).toBe(pass.scansStarted);
      expect(sum(accounts.map((a) => a.reports))).toBe(pass.reports);
      expect(sum(accounts.map((a) => a.reportsDue))).toBe(pass.reportsDue);
      expect(pass.imageReports.every((r) => ACCOUNTS.some((a) => a.accountId === r.account))).toBe(true);
    }

    // What SNS sent about a member's image names that member, id and name; the hub's name its own.
    const first = summary.passes[0] as PassSummary;
    const snsMessages = readdirSync(join(out, "sns"))
      .filter((f) => f.startsWith("pass1-"))
      .map((f) => (JSON.parse(readFileSync(join(out, "sns", f), "utf8")) as { message: string }).message);
    for (const account of ACCOUNTS) {
      const sent = first.imageReports.filter(
        (r) => r.account === account.accountId && r.sentTo.includes("sns"),
      );
      expect(sent.length, account.accountId).toBeGreaterThan(0);
      for (const report of sent) {
        const message = snsMessages.find((m) => m.includes(report.digest));
        expect(message, report.image).toContain(`Account:    ${label(account)}`);
      }
    }

    // team-a/api is in the hub's registry and in team-a's: two images, two GitHub issues, one per account.
    const issues = readdirSync(join(out, "github"))
      .filter((f) => f.startsWith("pass1-") && f.endsWith(".md"))
      .map((f) => readFileSync(join(out, "github", f), "utf8"))
      .filter((text) => text.includes("team-a/api:v1.0.0"));
    expect(issues).toHaveLength(2);
    expect(issues.filter((text) => text.includes("210987654321"))).toHaveLength(1);

    const page = readFileSync(join(out, "index.html"), "utf8");
    expect(page).toContain('<table class="accounts">');
    for (const account of ACCOUNTS) expect(page).toContain(label(account));
  }, 180_000);
});
