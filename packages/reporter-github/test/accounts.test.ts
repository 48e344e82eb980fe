import {
  HOSTILE_ACCOUNT_NAME,
  memberAccountReport,
  multiAccountDigest,
  overThresholdReport,
  sampleDigest,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { fitDigestBody, renderIssueBody, renderIssueTitle } from "../src/index.js";
import { CTX, outsideCodeSpans, TOKEN } from "./helpers.js";
import { receiver, reporterFor, useReceivers } from "./receivers.js";

// [8/8]: issues and digests say which account an image is in, and two accounts' images never share an issue.

useReceivers();

const digestBody = (digest: Parameters<typeof fitDigestBody>[0]) => fitDigestBody(digest).body;
const NOW = new Date("2026-11-30T08:00:00.000Z");
const HUB = "123456789012";
const PROD = "111111111111";
const STAGING = "222222222222";

describe("an issue of a named account", () => {
  it("names the account in the title, after the image, and in the body's image table", () => {
    const report = memberAccountReport();
    expect(renderIssueTitle(report, NOW)).toBe("[ecr-scan] team-a/api:v1.4.2 (prod) — 1 critical, 2 high");
    const body = renderIssueBody(report, { now: NOW });
    expect(body).toContain("| Registry | `111111111111` (`eu-west-1`) |\n| Account | prod |\n");
  });

  it("keeps the title and table as before without a name", () => {
    expect(renderIssueTitle(overThresholdReport(), NOW)).toBe(
      "[ecr-scan] team-a/api:v1.4.2 — 1 critical, 2 high",
    );
    expect(renderIssueBody(overThresholdReport(), { now: NOW })).not.toContain("| Account |");
  });

  it("keeps a hostile name inert: one line in the title, escaped Markdown in the body", () => {
    const report = memberAccountReport({ accountName: HOSTILE_ACCOUNT_NAME });
    const title = renderIssueTitle(report, NOW);
    expect(title).toBe('[ecr-scan] team-a/api:v1.4.2 (<b>&"x" Bcc: victim@example.com) — 1 critical, 2 high');
    const body = renderIssueBody(report, { now: NOW });
    expect(body).toContain('| Account | \\<b\\>&"x" Bcc: `victim@example.com` |');
    expect(outsideCodeSpans(body)).not.toContain("<b>");
  });
});

describe("issues of two accounts against the GitHub receiver (every request checked against GitHub's OpenAPI description)", () => {
  it("opens one issue per account for the same repository and tag, and updates each in its own issue", async () => {
    const { reporter } = reporterFor();
    const prod = memberAccountReport();
    const staging = memberAccountReport({ account: STAGING, accountName: "staging" });

    expect(await reporter.report(prod, CTX)).toMatchObject({ status: "sent", detail: "opened issue #1" });
    expect(await reporter.report(staging, CTX)).toMatchObject({ status: "sent", detail: "opened issue #2" });
    expect(receiver.issues.map((issue) => issue.title)).toEqual([
      "[ecr-scan] team-a/api:v1.4.2 (prod) — 1 critical, 2 high",
      "[ecr-scan] team-a/api:v1.4.2 (staging) — 1 critical, 2 high",
    ]);
    expect(receiver.issues[0]?.body).toContain(`<!-- ecr-scan-reporter:image=${PROD}/team-a/api:v1.4.2 -->`);
    expect(receiver.issues[1]?.body).toContain(
      `<!-- ecr-scan-reporter:image=${STAGING}/team-a/api:v1.4.2 -->`,
    );

    // The staging image is clean now: its own issue closes; prod's stays open, untouched.
    const clean = memberAccountReport({ account: STAGING, accountName: "staging", findings: [] });
    expect(await reporter.report(clean, CTX)).toMatchObject({ status: "sent", detail: "closed issue #2" });
    expect(receiver.issues.map((issue) => issue.state)).toEqual(["open", "closed"]);
    expect(receiver.violations).toEqual([]);
    expect(receiver.responseViolations).toEqual([]);
  });

  it("finds and updates an issue opened before [8/8] for the hub's own account; a member's image gets its own", async () => {
    // What the reporter wrote before accounts existed: the same image marker, with the deployment's registry id.
    const legacyBody =
      "### Vulnerabilities in `team-a/api:v1.4.2`\n\nThe latest scan found findings over the thresholds.\n\n" +
      `<!-- ecr-scan-reporter:image=${HUB}/team-a/api:v1.4.2 -->\n` +
      "<!-- ecr-scan-reporter:findings=v1;n=0;sha=e3b0c44298fc1c149afbf4c8996fb924;ids= -->";
    const created = await fetch(`${receiver.url}/repos/acme/security/issues`, {
      method: "POST",
      headers: {
        authorization: `token ${TOKEN}`,
        "content-type": "application/json",
        accept: "application/vnd.github+json",
      },
      body: JSON.stringify({
        title: "[ecr-scan] team-a/api:v1.4.2 — 1 critical",
        body: legacyBody,
        labels: ["ecr-scan"],
      }),
    });
    expect(created.status).toBe(201);

    const { reporter } = reporterFor();
    // The configuration now lists accounts and names the hub's own entry `hub`.
    const hub = { ...overThresholdReport(), accountName: "hub" };
    expect(await reporter.report(hub, CTX)).toMatchObject({
      status: "sent",
      detail: expect.stringMatching(/^updated issue #1/),
    });
    expect(receiver.issues).toHaveLength(1);
    expect(receiver.issues[0]?.title).toBe("[ecr-scan] team-a/api:v1.4.2 (hub) — 1 critical, 2 high");
    expect(receiver.issues[0]?.body).toContain(`<!-- ecr-scan-reporter:image=${HUB}/team-a/api:v1.4.2 -->`);

    expect(await reporter.report(memberAccountReport(), CTX)).toMatchObject({ detail: "opened issue #2" });
    expect(receiver.violations).toEqual([]);
  });
});

describe("a digest of several accounts", () => {
  const body = digestBody(multiAccountDigest());

  it("has a table of the accounts, names escaped and ids as code", () => {
    expect(body).toContain(
      "#### By account\n\n" +
        "| Account | Open findings | Images with findings | Over the thresholds | Not reported on yet |\n" +
        "| --- | --- | ---: | ---: | ---: |\n" +
        "| hub (`123456789012`) | 4 medium | 1 of 3 | 0 | 0 |\n" +
        "| prod (`111111111111`) | 2 critical, 5 high, 20 medium, 8 low, 1 informational | 6 of 7 | 2 | 1 |\n" +
        "| `222222222222` | 4 high, 7 medium, 4 low | 4 of 4 | 1 | 0 |\n" +
        "| legacy (`444444444444`) | **not reachable:** AccountUnreachableError: cannot assume arn:aws:iam::444444444444:role/ecr-scan-reporter-member",
    );
    expect(body).toContain("**Accounts:** 4 (`eu-west-1`)");
  });

  it("shows an account that could not be read as not reachable, its reason escaped, instead of its counts", () => {
    const digest = multiAccountDigest();
    const accounts = (digest.accounts ?? []).map((account) =>
      account.unreachable === undefined
        ? account
        : { ...account, unreachable: "denied | @org/team #1 <b>x</b>" },
    );
    const hostile = digestBody({ ...digest, accounts });
    expect(hostile).toContain(
      "| legacy (`444444444444`) | **not reachable:** denied \\| `@org/team` `#1` \\<b\\>x\\</b\\> | — | — | — |\n",
    );
    expect(outsideCodeSpans(hostile)).not.toContain("<b>");
  });

  it("names each image's account in the images table and each reference's in the lists", () => {
    expect(body).toContain("| | Image | Account | Open findings | Oldest open | Issue | Console |");
    expect(body).toMatch(/\| 1 \| `team-a\/api:v1\.4\.2` \| prod \| /);
    expect(body).toMatch(/\| 2 \| `team-a\/api:v1\.4\.2` \| `222222222222` \| /);
    expect(body).toContain("`team-a/api:v1.4.2 (222222222222)`, `team-a/api:v1.4.2 (prod)`");
  });

  it("of one account keeps its tables", () => {
    const single = digestBody(sampleDigest());
    expect(single).not.toContain("By account");
    expect(single).toContain("| | Image | Open findings | Oldest open | Issue | Console |");
  });

  it("escapes a hostile account name in the tables", () => {
    const hostile = digestBody(multiAccountDigest(HOSTILE_ACCOUNT_NAME));
    expect(hostile).toContain('| \\<b\\>&"x" Bcc: `victim@example.com` (`111111111111`) |');
    // A reference holds the name in a code span, where GitHub parses nothing; elsewhere it is escaped.
    expect(hostile).toContain('`team-a/worker:2026.11.28 (<b>&"x" Bcc: victim@example.com)`');
    expect(outsideCodeSpans(hostile)).not.toContain("<b>");
  });
});
