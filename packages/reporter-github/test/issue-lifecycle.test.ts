import {
  cleanReport,
  failedScanReport,
  overThresholdReport,
  sampleReport,
  untaggedReport,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { CTX, TOKEN } from "./helpers.js";
import { changedReport, cleanSameTag, receiver, reporterFor, useReceivers, writes } from "./receivers.js";

useReceivers();

describe("issue lifecycle against the GitHub receiver (every request checked against GitHub's OpenAPI description)", () => {
  it("creates, updates with a comment on what changed, closes, and reopens on a regression", async () => {
    const { reporter } = reporterFor();

    // 1. Due, no issue: opened, labelled, with the marker.
    const created = await reporter.report(overThresholdReport(), CTX);
    expect(created).toMatchObject({ status: "sent", detail: "opened issue #1" });
    expect(created.ref).toMatch(/\/acme\/security\/issues\/1$/);
    expect(receiver.issues).toHaveLength(1);
    const issue = receiver.issues[0];
    expect(issue).toMatchObject({
      number: 1,
      state: "open",
      title: "[ecr-scan] team-a/api:v1.4.2 — 1 critical, 2 high",
      labels: ["ecr-scan", "severity:critical"],
    });
    expect(issue?.body).toContain("<!-- ecr-scan-reporter:image=123456789012/team-a/api:v1.4.2 -->");

    // 2. Due again with other findings: the body is rewritten, a comment counts new / fixed / unchanged.
    const updated = await reporter.report(changedReport(), CTX);
    expect(updated).toMatchObject({
      status: "sent",
      detail: "updated issue #1: 1 new, 3 fixed, 2 unchanged",
    });
    expect(receiver.comments).toHaveLength(1);
    const updateComment = receiver.comments[0]?.body ?? "";
    expect(updateComment).toContain("1 new, 3 fixed, 2 unchanged (3 findings now, 5 before)");
    expect(updateComment).toContain("- New: `CVE-2024-6387`");
    expect(updateComment).toContain("- Fixed: `CVE-2022-40897`, `CVE-2023-29383`, `CVE-2023-4863`");
    expect(issue?.body).toContain("[`CVE-2024-6387`](https://nvd.nist.gov/vuln/detail/CVE-2024-6387)");
    expect(issue?.body).not.toContain("`CVE-2023-4863`");
    expect(receiver.issues).toHaveLength(1);

    // 2b. The same report again (a redelivery): nothing to say, nothing written.
    const writesBefore = writes(receiver).length;
    const again = await reporter.report(changedReport(), CTX);
    expect(again).toMatchObject({ status: "skipped", detail: "issue #1 is already up to date" });
    expect(writes(receiver)).toHaveLength(writesBefore);

    // 3. Within the thresholds now: a comment, then closed as completed; severity labels removed.
    const closed = await reporter.report(cleanSameTag(), CTX);
    expect(closed).toMatchObject({ status: "sent", detail: "closed issue #1" });
    expect(issue).toMatchObject({ state: "closed", stateReason: "completed", labels: ["ecr-scan"] });
    const closeComment = receiver.comments[1]?.body ?? "";
    expect(closeComment).toContain(
      "**`team-a/api:v1.4.2` is back within the thresholds: the scan of 2026-11-28 found no vulnerabilities.** This issue is closed.",
    );
    expect(closeComment).toContain("0 new, 3 fixed, 0 unchanged");
    expect(closeComment).toContain("- Fixed: `CVE-2023-44487`, `CVE-2024-3094`, `CVE-2024-6387`");

    // 3b. Still clean: the closed issue is left alone.
    expect(await reporter.report(cleanSameTag(), CTX)).toMatchObject({ status: "skipped" });
    expect(receiver.comments).toHaveLength(2);

    // 4. Over the thresholds again: a regression reopens the same issue, with a comment.
    const reopened = await reporter.report(overThresholdReport(), CTX);
    expect(reopened).toMatchObject({
      status: "sent",
      detail: "reopened issue #1: 5 new, 0 fixed, 0 unchanged",
    });
    expect(issue).toMatchObject({
      state: "open",
      stateReason: "reopened",
      labels: ["ecr-scan", "severity:critical"],
    });
    expect(receiver.comments[2]?.body).toContain(
      "Reopened: `team-a/api:v1.4.2` is over the thresholds again",
    );
    expect(receiver.issues).toHaveLength(1);
    expect(receiver.comments.every((c) => c.issueNumber === 1)).toBe(true);

    expect(receiver.violations).toEqual([]);
    expect(receiver.responseViolations).toEqual([]);
    // Issues are found again by listing the label (never the eventually consistent search API).
    expect(receiver.requests.filter((q) => q.operationId === "issues/list-for-repo")[0]?.query).toEqual({
      labels: "ecr-scan",
      state: "all",
      sort: "created",
      direction: "asc",
      per_page: "100",
    });
    expect(receiver.requests.some((q) => q.path.startsWith("/search"))).toBe(false);
    // A report within the thresholds only needs the open issues.
    const states = receiver.requests
      .filter((q) => q.operationId === "issues/list-for-repo")
      .map((q) => q.query.state);
    expect(new Set(states)).toEqual(new Set(["all", "open"]));
  });

  it("a failed scan opens a 'scan failed' issue, comments on it after, and never closes it", async () => {
    const { reporter } = reporterFor();
    expect(await reporter.report(failedScanReport(), CTX)).toMatchObject({
      status: "sent",
      detail: "opened issue #1",
    });
    expect(receiver.issues[0]).toMatchObject({
      title: "[ecr-scan] team-a/api:scratch-build — scan failed",
      labels: ["ecr-scan"],
      state: "open",
    });

    expect(await reporter.report(failedScanReport(), CTX)).toMatchObject({
      detail: "commented on issue #1: scan failed",
    });
    expect(receiver.comments[0]?.body).toContain("**The latest scan of `team-a/api:scratch-build` failed**");
    expect(receiver.issues[0]?.state).toBe("open");

    // The first completed scan: over the thresholds, with nothing known to compare with.
    const completed = { ...overThresholdReport(), tags: ["scratch-build"] };
    expect(await reporter.report(completed, CTX)).toMatchObject({
      detail: "updated issue #1: findings changed",
    });
    expect(receiver.comments[1]?.body).toContain("the previous findings of this issue are not known");
    expect(receiver.issues).toHaveLength(1);
    expect(receiver.violations).toEqual([]);
  });

  it("a failed scan with notifyOnScanFailure off, or a clean scan with no issue, opens nothing", async () => {
    const { reporter } = reporterFor();
    const quiet = { ...failedScanReport(), verdict: { ...failedScanReport().verdict, due: false } };
    expect(await reporter.report(quiet, CTX)).toMatchObject({ status: "skipped" });
    expect(receiver.requests).toEqual([]);
    expect(await reporter.report(cleanReport(), CTX)).toMatchObject({
      status: "skipped",
      detail: "within thresholds; no issue for this image",
    });
    expect(writes(receiver)).toEqual([]);
  });

  it("keeps one issue per image: another tag, or an untagged digest, is another issue", async () => {
    const { reporter } = reporterFor();
    await reporter.report(overThresholdReport(), CTX);
    await reporter.report({ ...overThresholdReport(), tags: ["v1.4.20"] }, CTX);
    await reporter.report(untaggedReport(), CTX);
    await reporter.report(overThresholdReport(), CTX);
    expect(receiver.issues.map((i) => i.title)).toEqual([
      "[ecr-scan] team-a/api:v1.4.2 — 1 critical, 2 high",
      "[ecr-scan] team-a/api:v1.4.20 — 1 critical, 2 high",
      "[ecr-scan] team-a/api@sha256:0a1b2c3d4e5f — 2 high",
    ]);
    expect(receiver.violations).toEqual([]);
  });

  it("finds its issue on a later page of the label's issues (Link header pagination)", async () => {
    const { reporter } = reporterFor();
    // 100 issues with the label first (by hand), so this image's issue (#101, oldest first) is on page 2.
    for (let i = 0; i < 100; i++) {
      const response = await fetch(`${receiver.url}/repos/acme/security/issues`, {
        method: "POST",
        headers: { authorization: `token ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ title: `other ${i}`, body: "not ours", labels: ["ecr-scan"] }),
      });
      expect(response.status).toBe(201);
    }
    await reporter.report(overThresholdReport(), CTX);
    receiver.requests.length = 0;
    expect(await reporter.report(cleanSameTag(), CTX)).toMatchObject({ detail: "closed issue #101" });
    const lists = receiver.requests.filter((q) => q.operationId === "issues/list-for-repo");
    expect(lists.map((q) => q.query.page)).toEqual([undefined, "2"]);
    expect(receiver.violations).toEqual([]);
  });

  it("applies severityLabels: false and custom labels, and assigns new issues", async () => {
    const { reporter } = reporterFor({
      labels: ["security", "ecr"],
      severityLabels: false,
      assignees: ["octo-sec"],
    });
    await reporter.report(overThresholdReport(), CTX);
    expect(receiver.issues[0]).toMatchObject({ labels: ["security", "ecr"], assignees: ["octo-sec"] });
    expect(receiver.requests.find((q) => q.operationId === "issues/list-for-repo")?.query.labels).toBe(
      "security",
    );
  });

  it("keeps labels people added, and swaps the severity label as the highest severity changes", async () => {
    const { reporter } = reporterFor();
    await reporter.report(overThresholdReport(), CTX);
    const issue = receiver.issues[0];
    if (!issue) throw new Error("no issue");
    issue.labels.push("team-a");
    // Now only high findings: severity:critical goes, severity:high comes, team-a stays.
    await reporter.report(sampleReport({ findings: changedReport().findings.slice(1) }), CTX);
    expect(issue.labels).toEqual(["ecr-scan", "team-a", "severity:high"]);
  });
});

describe("never a duplicate", () => {
  it("two reporters (two Lambdas) reporting the same image at once end with exactly one open issue", async () => {
    // Hold both creates until both reporters have listed the issues and found none: the race, every time.
    let arrived = 0;
    let release: () => void = () => {};
    const bothListed = new Promise<void>((resolve) => {
      release = resolve;
    });
    const racingFetch: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (init?.method === "POST" && /\/issues$/.test(url)) {
        arrived += 1;
        if (arrived === 2) release();
        await bothListed;
      }
      return fetch(input, init);
    };
    const lambdaA = reporterFor({}, { fetch: racingFetch });
    const lambdaB = reporterFor({}, { fetch: racingFetch });

    const outcomes = await Promise.all([
      lambdaA.reporter.report(overThresholdReport(), CTX),
      lambdaB.reporter.report(overThresholdReport(), CTX),
    ]);

    expect(receiver.issues).toHaveLength(2); // both created: the race did happen
    expect(receiver.issues.filter((i) => i.state === "open").map((i) => i.number)).toEqual([1]);
    expect(receiver.issues[1]).toMatchObject({ number: 2, state: "closed", stateReason: "duplicate" });
    const duplicateComments = receiver.comments.filter((c) => c.issueNumber === 2);
    expect(duplicateComments.length).toBeGreaterThanOrEqual(1);
    expect(duplicateComments[0]?.body).toMatch(/^Duplicate of #1: two scans of `team-a\/api:v1\.4\.2`/);
    // The kept issue got no noise: same findings, so no comment.
    expect(receiver.comments.filter((c) => c.issueNumber === 1)).toEqual([]);
    expect(outcomes.map((o) => o.status)).toEqual(["sent", "sent"]);
    expect(outcomes.map((o) => o.detail).join(" | ")).toContain("closed as its duplicate");
    expect(receiver.violations).toEqual([]);

    // The next report of the image updates the one kept issue.
    await lambdaB.reporter.report(changedReport(), CTX);
    expect(receiver.comments.filter((c) => c.issueNumber === 1)).toHaveLength(1);
    expect(receiver.issues.filter((i) => i.state === "open")).toHaveLength(1);
  });

  it("a leftover duplicate (both missed each other) is closed by the next report of the image", async () => {
    const { reporter } = reporterFor();
    await reporter.report(overThresholdReport(), CTX);
    // Simulate the rare case where two issues survived: copy #1 as #2.
    const first = receiver.issues[0];
    if (!first) throw new Error("no issue");
    receiver.issues.push({ ...first, id: first.id + 1, number: 2, labels: [...first.labels] });
    await reporter.report(changedReport(), CTX);
    expect(receiver.issues.map((i) => [i.number, i.state])).toEqual([
      [1, "open"],
      [2, "closed"],
    ]);
  });

  it("reports of the same image within one process run one after the other: one create", async () => {
    const { reporter } = reporterFor();
    const outcomes = await Promise.all([
      reporter.report(overThresholdReport(), CTX),
      reporter.report(overThresholdReport(), CTX),
      reporter.report(changedReport(), CTX),
    ]);
    expect(receiver.requests.filter((q) => q.operationId === "issues/create")).toHaveLength(1);
    expect(outcomes.map((o) => o.detail)).toEqual([
      "opened issue #1",
      "issue #1 is already up to date",
      "updated issue #1: 1 new, 3 fixed, 2 unchanged",
    ]);
  });
});
