import { describe, expect, it } from "vitest";
import { DemoAccountsError, demoAccounts, parseDemoAccounts } from "../src/demo/accounts.js";
import {
  type PassSummary,
  type ReportLine,
  summariseAccounts,
  summariseReports,
} from "../src/demo/passes.js";
import { DEMO_REPOSITORIES } from "../src/demo/seed.js";
import { renderSummaryPage } from "../src/demo/summary-page.js";

// `demo --accounts N`: which accounts, what each holds, and the per-account figures the terminal and the page show.

const HUB = "123456789012";
const TEAM_A = "210987654321";
const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;
const C = `sha256:${"c".repeat(64)}`;

const line = (digest: string, repository: string, due: boolean, sent: string[]): ReportLine => ({
  repository,
  digest,
  tags: ["v1"],
  status: "COMPLETE",
  counts: { CRITICAL: due ? 1 : 0 },
  verdict: { due, highestSeverity: due ? "CRITICAL" : undefined },
  outcomes: Object.fromEntries(sent.map((r) => [r, "sent"])),
});

describe("demo --accounts", () => {
  it("takes 1 to 3, 1 when absent; anything else is a usage problem", () => {
    expect(parseDemoAccounts(undefined)).toBe(1);
    expect(parseDemoAccounts("3")).toBe(3);
    for (const bad of ["0", "4", "2.5", "two", "-1", ""])
      expect(() => parseDemoAccounts(bad), bad).toThrow(DemoAccountsError);
    expect(() => parseDemoAccounts("4")).toThrow(/from 1 to 3/);
  });

  it("covers the hub and the member accounts the hub module renders, each member holding its team's repositories", () => {
    const [hub, teamA, teamB, ...more] = demoAccounts(3);
    expect(more).toEqual([]);
    expect(hub).toMatchObject({ accountId: HUB, repositories: DEMO_REPOSITORIES });
    expect(hub?.roleArn).toBeUndefined();
    expect(teamA).toMatchObject({
      accountId: TEAM_A,
      name: "team-a",
      roleArn: `arn:aws:iam::${TEAM_A}:role/ecr-scan-reporter-member`,
      externalId: "ecr-scan-reporter-demo",
    });
    expect(teamA?.repositories).toEqual(DEMO_REPOSITORIES.filter((r) => r.startsWith("team-a/")));
    expect(teamB).toMatchObject({ accountId: "345678901234", name: "team-b" });
    expect(teamB?.externalId).toBeUndefined();
    expect(demoAccounts(2).map((a) => a.accountId)).toEqual([HUB, TEAM_A]);
    expect(() => demoAccounts(4)).toThrow(DemoAccountsError);
  });

  it("counts each account's scans and reports, a silent account included, and the page shows them escaped", () => {
    const accountOf = new Map([
      [A, HUB],
      [B, TEAM_A],
      [C, TEAM_A],
    ]);
    const reports = summariseReports(
      [
        line(A, "team-a/api", true, ["sns", "metrics"]),
        line(B, "team-a/api", true, ["metrics", "sns"]),
        line(C, "team-a/web", false, ["metrics"]),
      ],
      () => [],
      (digest) => accountOf.get(digest),
    );
    expect(reports.imageReports.map((r) => r.account)).toEqual([HUB, TEAM_A, TEAM_A]);
    const accounts = [
      { accountId: HUB, name: "hub" },
      { accountId: TEAM_A, name: "<b>team-a</b>" },
      { accountId: "345678901234" },
    ];
    const figures = summariseAccounts(accounts, reports.imageReports, { [HUB]: 1, [TEAM_A]: 2 });
    expect(figures).toEqual([
      {
        accountId: HUB,
        name: "hub",
        scansStarted: 1,
        reports: 1,
        reportsDue: 1,
        reportsPerReporter: { sns: 1, metrics: 1 },
      },
      {
        accountId: TEAM_A,
        name: "<b>team-a</b>",
        scansStarted: 2,
        reports: 2,
        reportsDue: 1,
        reportsPerReporter: { sns: 1, metrics: 2 },
      },
      { accountId: "345678901234", scansStarted: 0, reports: 0, reportsDue: 0, reportsPerReporter: {} },
    ]);
    // One reporter order for every account: the pass's.
    expect(Object.keys(figures[1]?.reportsPerReporter ?? {})).toEqual(["sns", "metrics"]);

    const pass: PassSummary = {
      pass: 1,
      at: "2026-12-01T10:00:00.000Z",
      newlyPublishedCves: [],
      decisions: {},
      expectedDecisionsMatched: true,
      scansStarted: 3,
      ledgerMissedScans: 0,
      awsCalls: {},
      ...reports,
      accounts: figures,
    };
    const html = renderSummaryPage({
      wallTimeMs: 1,
      secondPassAfterDays: 8,
      feedUpdate: [],
      passes: [pass],
      accounts,
    });
    expect(html).toContain('<table class="accounts">');
    expect(html).toContain("&lt;b&gt;team-a&lt;/b&gt; (210987654321)");
    expect(html).not.toContain("<b>team-a</b>");
    // Each report row names its image's account: team-a/api of the hub and of team-a are two rows.
    expect(html).toContain(`<span class="account">hub (${HUB})</span><br>team-a/api:v1`);
    expect(html).toContain(
      `<span class="account">&lt;b&gt;team-a&lt;/b&gt; (${TEAM_A})</span><br>team-a/api:v1`,
    );
    // A single-account page has no accounts section.
    expect(
      renderSummaryPage({
        wallTimeMs: 1,
        secondPassAfterDays: 8,
        feedUpdate: [],
        passes: [{ ...pass, accounts: undefined }],
      }),
    ).not.toContain('class="accounts"');
  });
});
