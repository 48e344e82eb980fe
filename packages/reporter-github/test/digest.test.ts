import { type Digest, REPORTER_CONTRACT_VERSION } from "@ecr-scan-reporter/core";
import {
  allClearDigest,
  emptyLedgerDigest,
  hostileDigest,
  overThresholdReport,
  sampleDigest,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import {
  digestMarker,
  fitDigestBody,
  GITHUB_BODY_MAX_CHARS,
  githubOptionsSchema,
  githubReporter,
  imageMarker,
  parseDigestStateMarker,
  renderDigestComment,
  renderDigestTitle,
} from "../src/index.js";
import { CTX, outsideCodeSpans, TOKEN_REF } from "./helpers.js";
import { receiver, reporterFor, useReceivers, writes } from "./receivers.js";

useReceivers();

const ROUTE = { reporterId: "github", repositories: "^team-a/" };

/** This route's digest of the sample week. */
function firstDigest(): Digest {
  return sampleDigest({ route: ROUTE });
}

/** The route's digest of the week after: one image fewer over the thresholds, other counts. */
function secondDigest(): Digest {
  const first = firstDigest();
  return {
    ...first,
    period: {
      key: "2026-12-07T08:00Z",
      start: "2026-11-30T08:00:00.000Z",
      end: "2026-12-07T08:00:00.000Z",
      previousDigestAt: "2026-11-30T08:00:00.000Z",
    },
    open: {
      ...first.open,
      counts: { ...first.open.counts, CRITICAL: 1, HIGH: 10 },
      previous: first.open.counts,
    },
    overThresholds: { total: 2, top: first.overThresholds.top.slice(0, 2) },
    newFindings: { total: 1, top: first.newFindings.top.slice(0, 1) },
    fixedFindings: { total: 4, top: first.fixedFindings.top },
  };
}

/** The body without its hidden markers: what GitHub renders. */
function visible(body: string): string {
  return body.slice(0, body.indexOf("\n\n<!-- ecr-scan-reporter:digest="));
}

/** Cells of a GFM table row (split at unescaped `|`). */
function cells(row: string): string[] {
  return row.split(/(?<!\\)\|/).slice(1, -1);
}

describe("digest rendering", () => {
  it("titles the tracking issue by its route, the same every period", () => {
    expect(renderDigestTitle(firstDigest())).toBe("Vulnerability digest: github");
    expect(renderDigestTitle(secondDigest())).toBe(renderDigestTitle(firstDigest()));
    expect(renderDigestTitle(sampleDigest({ route: { reporterId: "github#2" } }))).toBe(
      "Vulnerability digest: github#2",
    );
  });

  it("shows the digest's counts, images over the thresholds, new and fixed findings, coverage and links", () => {
    const issues = new Map([["team-a/api", 12]]);
    const { body, state } = fitDigestBody(firstDigest(), {
      issueFor: (image) => issues.get(image.repository),
    });
    const text = visible(body);
    expect(text).toContain("### Vulnerability digest: `github`");
    expect(text).toContain(
      "**Period:** 2026-11-23 to 2026-11-30 (since the previous digest) · **Scope:** repositories matching " +
        "`^team-a/`, findings of every severity · **Registry:** `123456789012` (`eu-west-1`)",
    );
    expect(text).toContain(
      "**55 open findings** in 11 of the 14 images in use: 2 critical (-1), 9 high (+2), 31 medium (+1), 12 low, " +
        "1 informational (+1). **3 images are over the thresholds.**",
    );
    expect(text).toContain("| Critical | 2 | -1 |\n| High | 9 | +2 |");
    expect(text).toContain("| **Total** | 55 | +3 |");
    // Worst first, each linked to its per-image issue when there is one, and to the ECR console.
    const api = firstDigest().overThresholds.top[0]?.consoleUrl;
    expect(text).toContain(
      "| 1 | `team-a/api:v1.4.2` | **1 critical**, **3 high**, 7 medium | `CVE-2024-6387` (critical) in " +
        `\`openssh-server\`, 60 days (since 2026-10-02) | #12 | [Open](${api}) |`,
    );
    expect(text).toMatch(/^\| 2 \| `team-a\/worker:2026\.11\.28` \| .* \| {2}\| \[Open\]\(https:/m);
    expect(text).toContain("#### New this period (3)");
    expect(text).toContain(
      "| Critical | `CVE-2023-44487` | `golang.org/x/net` | `0.15.0` | `0.17.0` | `team-a/worker:2026.11.28` |",
    );
    expect(text).toContain("| `team-a/web:latest`, `team-a/web:v3` |");
    expect(text).toContain("#### Fixed this period (2)");
    expect(text).toContain("| 17 | 1 | 1 | 1 | 2 | 1 | 0 | 0 |");
    expect(text).toContain(`[Open the registry in the ECR console](${firstDigest().consoleUrl})`);
    // The route's marker and the state the next digest compares with end the body.
    expect(
      body.endsWith(
        `${digestMarker("github")}\n<!-- ecr-scan-reporter:digest-state=v1;period=2026-11-30T08:00Z;over=3 -->\n`,
      ),
    ).toBe(true);
    expect(parseDigestStateMarker(body)).toEqual({ period: "2026-11-30T08:00Z", overThresholds: 3 });
    expect(state).toEqual({ period: "2026-11-30T08:00Z", overThresholds: 3 });
  });

  it("says 'All clear' when nothing is open, and that the ledger knows nothing when it is empty", () => {
    const clear = visible(fitDigestBody(allClearDigest({ route: ROUTE })).body);
    expect(clear).toContain("**All clear:** no open findings in the 5 images in use.");
    expect(clear).not.toContain("Images over the thresholds");
    expect(clear).toContain("#### New this period: none");
    expect(clear).toContain("#### Fixed this period (1)");

    const empty = visible(fitDigestBody(emptyLedgerDigest({ route: ROUTE })).body);
    expect(empty).toContain(
      "**No findings known yet:** the findings ledger holds nothing for the images of this route",
    );
    expect(empty).toContain("This is not an all clear.");
    expect(empty).not.toMatch(/all clear:/i);
    expect(empty).not.toContain("| Severity | Open |");
    expect(empty).toContain("(the first digest of this route)");
    expect(empty).toContain("No scheduled scan run is recorded yet");
  });

  it("keeps hostile text inert: no mentions, links, HTML, table breaks or markers", () => {
    const digest = hostileDigest();
    const body = fitDigestBody(digest).body;
    const text = visible(body);
    const live = outsideCodeSpans(text);
    expect(live).not.toMatch(/<(script|!--|!channel|!here|@|https)/i);
    expect(live).not.toContain("@");
    expect(live).not.toContain("javascript:");
    expect(live).not.toContain("evil.example");
    // The only links are the console's, from the digest's own (checked) URLs.
    const targets = [...live.matchAll(/\]\(([^)]*)\)/g)].map((m) => m[1]);
    expect(targets).toHaveLength(2);
    for (const target of targets)
      expect(target).toMatch(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/ecr\//);
    expect(text).not.toContain("\r");
    expect(text).not.toMatch(/^X-Injected/m);
    // Every row of each table keeps its cells: `|` inside a package name is escaped.
    const rows = text.split("\n").filter((line) => line.startsWith("| "));
    const images = rows.filter((row) => /^\| \d+ \| `/.test(row));
    expect(images.length).toBeGreaterThan(0);
    for (const row of images) expect(cells(row)).toHaveLength(6);
    const severityRows = rows.filter((row) => /^\| (Critical|High|Medium|Low) \| `/.test(row));
    const kev = severityRows.filter((row) => row.includes("CVE-2099-0003"));
    expect(kev).toHaveLength(1);
    for (const row of kev) expect(cells(row)).toHaveLength(5);
    const changes = severityRows.filter((row) => !kev.includes(row));
    expect(changes.length).toBeGreaterThan(0);
    for (const row of changes) expect(cells(row)).toHaveLength(6);
    expect(text).toContain("`| table | break | <script>alert(1)</script>`".replace(/\|/g, "\\|"));
    expect(text).toContain("`^team-<!channel>/`");
    // The only markers are the route's own, at the end.
    expect(body.match(/<!-- ecr-scan-reporter:/g)).toHaveLength(2);
    expect(renderDigestComment(digest, undefined, "updated")).not.toMatch(/@|<!/);
  });

  it("never lets a tag pass for a marker, and cuts its lists to fit GitHub's limit", () => {
    const fake = imageMarker({
      registryId: "123456789012",
      repository: "team-a/api",
      kind: "tag",
      value: "v1.4.2",
    });
    const base = sampleDigest({ route: ROUTE });
    const image = base.overThresholds.top[0];
    const change = base.newFindings.top[0];
    if (!image || !change) throw new Error("sample digest changed");
    const long = "x".repeat(3000);
    const digest: Digest = {
      ...base,
      overThresholds: {
        total: 400,
        top: Array.from({ length: 20 }, () => ({
          ...image,
          tags: [fake, ...Array.from({ length: 9 }, () => long)],
        })),
      },
      newFindings: {
        total: 900,
        top: Array.from({ length: 20 }, () => ({
          ...change,
          package: long,
          references: Array.from({ length: 5 }, () => long),
        })),
      },
    };
    const fitted = fitDigestBody(digest);
    expect(fitted.body.length).toBeLessThanOrEqual(GITHUB_BODY_MAX_CHARS);
    expect(fitted.listLimit).toBeLessThan(20);
    expect(fitted.body).toContain(`…and ${400 - fitted.listLimit} more images over the thresholds.`);
    // The tag is shown, defused: the per-image lookup of reports cannot take this issue for the image's.
    expect(fitted.body).not.toContain(fake);
    expect(fitted.body).toContain("ecr-scan-reporter\\:image=123456789012/team-a/api:v1.4.2");
  });

  it("comments on what changed since the last digest, and why a closed issue is reopened", () => {
    const previous = { period: "2026-11-30T08:00Z", overThresholds: 3 };
    expect(renderDigestComment(secondDigest(), previous, "updated")).toBe(
      [
        "**Digest of 2026-12-07** (since 2026-11-30):",
        "",
        "- 1 new finding and 4 fixed this period",
        "- Open: 1 critical (-1), 10 high (+1), 31 medium, 12 low, 1 informational",
        "- Images over the thresholds: 2 (-1, was 3)",
        "- 2 known exploited (KEV), 1 overdue",
      ].join("\n"),
    );
    const reopened = renderDigestComment(
      allClearDigest({ route: ROUTE }),
      { ...previous, overThresholds: 0 },
      "reopened",
    );
    expect(reopened).toMatch(
      /^\*\*Reopened:\*\* this issue tracks the vulnerability digests of `github`, one issue per route/,
    );
    expect(reopened).toContain("closing it does not stop the digests");
    expect(reopened).toContain("- All clear: no open findings in the 5 images in use");
    expect(reopened).toContain("- Images over the thresholds: 0 (unchanged)");
    expect(renderDigestComment(emptyLedgerDigest({ route: ROUTE }), undefined, "updated")).toContain(
      "- No findings known yet: the findings ledger holds nothing",
    );
  });

  it("is previewed as title, body and comment, and declares contract v2", () => {
    expect(githubReporter.contractVersion).toBe(REPORTER_CONTRACT_VERSION);
    const options = githubOptionsSchema.parse({ owner: "acme", repo: "security", token: TOKEN_REF });
    const files = githubReporter.previewDigest?.(firstDigest(), options, {
      templates: { override: () => undefined },
      clock: () => new Date(),
    });
    expect(files?.map((f) => f.name)).toEqual([
      "digest-issue-title.txt",
      "digest-issue-body.md",
      "digest-comment.md",
    ]);
    expect(files?.[1]?.content).toBe(fitDigestBody(firstDigest()).body);
  });
});

describe("digest tracking issue against the GitHub receiver (every request checked against GitHub's OpenAPI description)", () => {
  it("creates the route's issue, then updates its body and comments; never a second issue", async () => {
    const { reporter } = reporterFor({ assignees: ["octo-sec"] });
    // The image of the first over-threshold entry has its own issue (#1), opened by a report.
    await reporter.report(overThresholdReport(), CTX);
    const digestOf = (d: Digest) => {
      if (!reporter.digest) throw new Error("the GitHub reporter has no digest()");
      return reporter.digest(d, CTX);
    };

    const created = await digestOf(firstDigest());
    expect(created).toMatchObject({ status: "sent", detail: "opened digest issue #2" });
    expect(created.ref).toMatch(/\/acme\/security\/issues\/2$/);
    const issue = receiver.issues[1];
    expect(issue).toMatchObject({
      number: 2,
      state: "open",
      title: "Vulnerability digest: github",
      labels: ["ecr-scan"],
      assignees: ["octo-sec"],
    });
    expect(issue?.body).toContain(digestMarker("github"));
    // Linked to the per-image issue found in the same listing, and not the other images (no issue of theirs).
    expect(issue?.body).toMatch(/^\| 1 \| `team-a\/api:v1\.4\.2` \| .* \| #1 \| \[Open\]/m);
    expect(issue?.body).not.toMatch(/^\| 2 \| .* \| #\d+ \|/m);
    expect(receiver.comments).toHaveLength(0);
    // One listing finds both the tracking issue and the per-image issues (and one after the create).
    const lists = () => receiver.requests.filter((q) => q.operationId === "issues/list-for-repo");
    const listsBefore = lists().length;

    const updated = await digestOf(secondDigest());
    expect(updated).toMatchObject({
      status: "sent",
      detail: expect.stringMatching(/^updated digest issue #2: /),
    });
    expect(lists().length - listsBefore).toBe(1);
    expect(receiver.issues).toHaveLength(2);
    expect(issue?.body).toContain("2026-11-30 to 2026-12-07");
    expect(parseDigestStateMarker(issue?.body)).toEqual({ period: "2026-12-07T08:00Z", overThresholds: 2 });
    expect(receiver.comments).toHaveLength(1);
    expect(receiver.comments[0]).toMatchObject({ issueNumber: 2 });
    expect(receiver.comments[0]?.body).toContain("- Images over the thresholds: 2 (-1, was 3)");
    expect(receiver.comments[0]?.body).toContain("- 1 new finding and 4 fixed this period");
    const update = receiver.requests.filter((q) => q.operationId === "issues/update").at(-1);
    expect(update?.method).toBe("PATCH");

    // The same period again (a retry): nothing new to say, nothing written.
    const writesBefore = writes(receiver).length;
    expect(await digestOf(secondDigest())).toMatchObject({
      status: "skipped",
      detail: "digest issue #2 is already up to date",
    });
    expect(writes(receiver)).toHaveLength(writesBefore);

    // Reports of the image still find the image's issue, never the tracking issue.
    await reporter.report(overThresholdReport(), CTX);
    expect(receiver.issues).toHaveLength(2);
    expect(receiver.violations).toEqual([]);
    expect(receiver.responseViolations).toEqual([]);
    expect(receiver.requests.some((q) => q.path.startsWith("/search"))).toBe(false);
  });

  it("reopens a tracking issue people closed, saying why, rather than opening another", async () => {
    const { reporter } = reporterFor();
    await reporter.digest?.(firstDigest(), CTX);
    const issue = receiver.issues[0];
    if (!issue) throw new Error("no issue");
    issue.state = "closed";
    issue.stateReason = "completed";

    const outcome = await reporter.digest?.(secondDigest(), CTX);
    expect(outcome).toMatchObject({
      status: "sent",
      detail: expect.stringMatching(/^reopened digest issue #1: /),
    });
    expect(receiver.issues).toHaveLength(1);
    expect(issue).toMatchObject({ state: "open", stateReason: "reopened" });
    expect(receiver.comments[0]?.body).toMatch(
      /^\*\*Reopened:\*\* this issue tracks the vulnerability digests/,
    );
    expect(receiver.comments[0]?.body).toContain("- Images over the thresholds: 2 (-1, was 3)");
    expect(receiver.violations).toEqual([]);
  });

  it("keeps one issue per route: another route is another issue, and a hostile digest goes through", async () => {
    const { reporter } = reporterFor();
    await reporter.digest?.(firstDigest(), CTX);
    await reporter.digest?.(sampleDigest({ route: { reporterId: "github#2" } }), {
      ...CTX,
      reporterId: "github#2",
    });
    await reporter.digest?.(hostileDigest(), { ...CTX, reporterId: "slack" });
    expect(receiver.issues.map((i) => i.title)).toEqual([
      "Vulnerability digest: github",
      "Vulnerability digest: github#2",
      "Vulnerability digest: slack",
    ]);
    expect(receiver.violations).toEqual([]);
  });

  it("closes a tracking issue GitHub opened without its label, and opens no more (nor image issues)", async () => {
    receiver.addRepository("acme/no-triage", { push: false, triage: false });
    const { reporter } = reporterFor({ repo: "no-triage" });
    await expect(reporter.digest?.(firstDigest(), CTX)).rejects.toThrow(
      /dropped the labels of new digest issue #1/,
    );
    expect(receiver.issues[0]).toMatchObject({ state: "closed", stateReason: "not_planned" });
    await expect(reporter.digest?.(firstDigest(), CTX)).rejects.toThrow(/not opening a digest issue/);
    await expect(reporter.report(overThresholdReport(), CTX)).rejects.toThrow(/not opening an issue/);
    expect(receiver.issues).toHaveLength(1);
  });

  it("two processes sending the same digest at once end with exactly one open tracking issue", async () => {
    let arrived = 0;
    let release: () => void = () => {};
    const bothListed = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Hold both creates until both have listed the issues and found none: the race, every time.
    const racingFetch: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (init?.method === "POST" && /\/issues$/.test(url)) {
        arrived += 1;
        if (arrived === 2) release();
        await bothListed;
      }
      return fetch(input, init);
    };
    const a = reporterFor({}, { fetch: racingFetch });
    const b = reporterFor({}, { fetch: racingFetch });
    const outcomes = await Promise.all([
      a.reporter.digest?.(firstDigest(), CTX),
      b.reporter.digest?.(firstDigest(), CTX),
    ]);

    expect(receiver.issues).toHaveLength(2);
    expect(receiver.issues.filter((i) => i.state === "open").map((i) => i.number)).toEqual([1]);
    expect(receiver.issues[1]).toMatchObject({ state: "closed", stateReason: "duplicate" });
    expect(receiver.comments.find((c) => c.issueNumber === 2)?.body).toMatch(/^Duplicate of #1: /);
    expect(outcomes.map((o) => o?.status)).toEqual(["sent", "sent"]);
    expect(receiver.violations).toEqual([]);

    // The next period updates the one kept issue.
    await b.reporter.digest?.(secondDigest(), CTX);
    expect(receiver.issues.filter((i) => i.state === "open")).toHaveLength(1);
    expect(receiver.comments.filter((c) => c.issueNumber === 1)).toHaveLength(1);
  });
});
