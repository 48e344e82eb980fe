import {
  type ReporterDeps,
  ReporterError,
  type ReporterPlugin,
  type ScanReport,
} from "@ecr-scan-reporter/core";
import {
  checkReporterConformance,
  cleanReport,
  failedScanReport,
  overThresholdReport,
  SAMPLE_FINDINGS,
  sampleReport,
  untaggedReport,
} from "@ecr-scan-reporter/core/testing";
// The receiver is the sandbox's; imported by path until @ecr-scan-reporter/sandbox exports it.
import { type GitHubReceiver, startGitHubReceiver } from "@ecr-scan-reporter/sandbox";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type ClientTuning,
  createGitHubReporter,
  defineGitHubReporter,
  type GitHubReporterOptionsInput,
  githubOptionsSchema,
  githubReporter,
} from "../src/index.js";
import { CTX, FAST, TOKEN, TOKEN_REF, testDeps } from "./helpers.js";

let receiver: GitHubReceiver;
let enterprise: GitHubReceiver;

beforeAll(async () => {
  receiver = await startGitHubReceiver({ token: TOKEN, validateResponses: true });
  enterprise = await startGitHubReceiver({ token: TOKEN, pathPrefix: "/api/v3" });
});
afterAll(async () => {
  await receiver.close();
  await enterprise.close();
});
beforeEach(() => {
  receiver.reset();
  enterprise.reset();
});

function reporterFor(
  options: Partial<GitHubReporterOptionsInput> = {},
  deps: Partial<ReporterDeps> & { token?: string } = {},
  tuning: ClientTuning = FAST,
) {
  const parsed = githubOptionsSchema.parse({
    owner: "acme",
    repo: "security",
    token: TOKEN_REF,
    baseUrl: receiver.url,
    ...options,
  });
  const { deps: reporterDeps, logs } = testDeps(deps);
  return { reporter: createGitHubReporter(parsed, reporterDeps, tuning), logs };
}

/** The same image (tag v1.4.2) with other findings: CVE-2024-3094 and CVE-2023-44487 stay, one is new. */
function changedReport(): ScanReport {
  return sampleReport({
    findings: [
      SAMPLE_FINDINGS[0],
      {
        id: "CVE-2024-6387",
        severity: "HIGH",
        title: "CVE-2024-6387 - openssh",
        packageName: "openssh-server",
        packageVersion: "1:9.2p1-2",
        fixedInVersion: "1:9.2p1-2+deb12u3",
        cvssScore: 8.1,
        url: "https://nvd.nist.gov/vuln/detail/CVE-2024-6387",
      },
      SAMPLE_FINDINGS[2],
    ] as ScanReport["findings"],
  });
}

/** A clean scan of the same tag as overThresholdReport. */
function cleanSameTag(): ScanReport {
  return { ...cleanReport(), tags: ["v1.4.2", "latest"] };
}

const writes = (r: GitHubReceiver) => r.requests.filter((q) => q.method !== "GET");

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
    expect(updateComment).toContain("- New: CVE\\-2024\\-6387");
    expect(updateComment).toContain("- Fixed: CVE\\-2022\\-40897, CVE\\-2023\\-29383, CVE\\-2023\\-4863");
    expect(issue?.body).toContain("[CVE\\-2024\\-6387](https://nvd.nist.gov/vuln/detail/CVE-2024-6387)");
    expect(issue?.body).not.toContain("CVE\\-2023\\-4863");
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
    expect(closeComment).toContain("is below the thresholds now");
    expect(closeComment).toContain("0 new, 3 fixed, 0 unchanged");
    expect(closeComment).toContain("- Fixed: CVE\\-2023\\-44487, CVE\\-2024\\-3094, CVE\\-2024\\-6387");

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
      "Reopened: team\\-a/api&#58;v1\\.4\\.2 is over the thresholds again",
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
    expect(receiver.comments[0]?.body).toContain(
      "**The latest scan of team\\-a/api&#58;scratch\\-build failed**",
    );
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
    expect(duplicateComments[0]?.body).toMatch(/^Duplicate of #1: two scans of team\\-a\/api&#58;v1\\.4\\.2/);
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

describe("rate limits", () => {
  it("rides out a secondary rate limit (403, retry-after) and still opens the issue", async () => {
    const { reporter, logs } = reporterFor();
    receiver.injectSecondaryRateLimit(1, { retryAfterSeconds: 1, methods: ["POST"] });
    const started = Date.now();
    const outcome = await reporter.report(overThresholdReport(), CTX);
    expect(outcome).toMatchObject({ status: "sent", detail: "opened issue #1" });
    const creates = receiver.requests.filter((q) => q.operationId === "issues/create");
    expect(creates.map((q) => q.status)).toEqual([403, 201]);
    // retry-after: 1 second, at the test's 50 ms per second.
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
    expect(logs).toContainEqual({
      level: "warn",
      message: "GitHub secondary rate limit",
      extra: expect.objectContaining({ retryAfterSeconds: 1, retryCount: 0, retrying: true }),
    });
    expect(receiver.issues).toHaveLength(1);
    expect(receiver.violations).toEqual([]);
  });

  it("gives up after two retries, with an error that names the repository", async () => {
    const { reporter, logs } = reporterFor();
    receiver.injectSecondaryRateLimit(5, { methods: ["POST"] });
    const error = await reporter.report(overThresholdReport(), CTX).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReporterError);
    expect((error as Error).message).toMatch(
      /^reporter github: opening an issue in GitHub repository acme\/security failed \(403\): You have exceeded a secondary rate limit/,
    );
    expect(receiver.requests.filter((q) => q.operationId === "issues/create")).toHaveLength(3);
    expect(
      logs.filter((l) => l.message === "GitHub secondary rate limit").map((l) => l.extra?.retrying),
    ).toEqual([true, true, false]);
  });

  it("does not wait when GitHub asks for longer than a Lambda should", async () => {
    const { reporter } = reporterFor();
    receiver.injectSecondaryRateLimit(1, { retryAfterSeconds: 3_600, methods: ["POST"] });
    await expect(reporter.report(overThresholdReport(), CTX)).rejects.toThrow(/secondary rate limit/);
    expect(receiver.requests.filter((q) => q.operationId === "issues/create")).toHaveLength(1);
  });
});

describe("GitHub Enterprise Server", () => {
  it("works under baseUrl https://HOST/api/v3", async () => {
    const { reporter } = reporterFor({ baseUrl: enterprise.url });
    expect(enterprise.url).toMatch(/\/api\/v3$/);
    await reporter.verify?.();
    await reporter.report(overThresholdReport(), CTX);
    await reporter.report(cleanSameTag(), CTX);
    expect(enterprise.issues).toHaveLength(1);
    expect(enterprise.issues[0]?.state).toBe("closed");
    expect(enterprise.requests.length).toBeGreaterThanOrEqual(5);
    // Any request outside /api/v3 would be a violation there.
    expect(enterprise.violations).toEqual([]);
    expect(receiver.requests).toEqual([]);
  });
});

describe("verify()", () => {
  it("passes when the token can read the repository and label its issues", async () => {
    const { reporter } = reporterFor();
    await expect(reporter.verify?.()).resolves.toBeUndefined();
    expect(receiver.requests.map((q) => [q.method, q.path])).toEqual([["GET", "/repos/acme/security"]]);
  });

  it("fails on bad credentials naming owner/repo, never the token", async () => {
    const { reporter } = reporterFor({}, { token: "ghp_wrongTokenMustNotLeak000000000000000" });
    const error = (await reporter.verify?.().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ReporterError);
    expect(error.message).toContain("cannot read GitHub repository acme/security");
    expect(error.message).toContain("(401): Bad credentials");
    expect(error.message).not.toContain("ghp_wrong");
    expect(error.message).not.toContain(TOKEN);
  });

  it("fails for a repository that does not exist", async () => {
    const { reporter } = reporterFor({ repo: "nope" });
    await expect(reporter.verify?.()).rejects.toThrow(/acme\/nope .*\(404\): Not Found/);
  });

  it("fails when the token may read but not label (labels would be dropped)", async () => {
    receiver.addRepository("acme/read-only", { push: false, triage: false });
    const { reporter } = reporterFor({ repo: "read-only" });
    await expect(reporter.verify?.()).rejects.toThrow(/cannot label its issues/);
  });
});

describe("labels dropped by GitHub", () => {
  it("closes the unfindable issue it just opened and opens no more", async () => {
    receiver.addRepository("acme/no-triage", { push: false, triage: false });
    const { reporter } = reporterFor({ repo: "no-triage" });
    await expect(reporter.report(overThresholdReport(), CTX)).rejects.toThrow(
      /dropped the labels of new issue #1/,
    );
    expect(receiver.issues[0]).toMatchObject({ state: "closed", stateReason: "not_planned" });
    await expect(reporter.report(overThresholdReport(), CTX)).rejects.toThrow(/not opening an issue/);
    expect(receiver.issues).toHaveLength(1);
  });
});

describe("the authoring kit", () => {
  it("passes the conformance check against the receiver", async () => {
    const result = await checkReporterConformance(defineGitHubReporter(FAST) as ReporterPlugin<unknown>, {
      validOptions: { owner: "acme", repo: "security", token: TOKEN_REF, baseUrl: receiver.url },
      invalidOptions: [
        { options: { owner: "acme", repo: "security", token: "ghp_plain" }, why: "a bare token" },
        { options: { owner: "acme", token: TOKEN_REF }, why: "no repository" },
        {
          options: { owner: "acme", repo: "security", token: TOKEN_REF, labels: [] },
          why: "no label to find issues by",
        },
      ],
      deps: { fetch: globalThis.fetch, resolveSecret: async () => TOKEN },
      failingDeps: {
        fetch: (async () => new Response("upstream failure", { status: 500 })) as typeof fetch,
      },
    });
    expect(result.problems).toEqual([]);
    expect(result.outcomes.clean).toMatchObject({ status: "skipped" });
    expect(result.outcomes.manyFindings).toMatchObject({
      status: "sent",
      detail: expect.stringMatching(/^opened issue #\d+$/),
    });
    expect(receiver.violations).toEqual([]);
  });

  it("previews the title and body it would write, with template overrides", () => {
    const options = githubOptionsSchema.parse({ owner: "acme", repo: "security", token: TOKEN_REF });
    const files = githubReporter.preview?.(overThresholdReport(), options, {
      templates: {
        override: (name) => (name === "github/issue.hbs" ? "Custom: {{image.label}}" : undefined),
      },
      clock: () => new Date(),
    });
    expect(files?.map((f) => f.name)).toEqual(["issue-title.txt", "issue-body.md"]);
    expect(files?.[0]?.content).toBe("[ecr-scan] team-a/api:v1.4.2 — 1 critical, 2 high\n");
    expect(files?.[1]?.content).toMatch(
      /^Custom: team\\-a\/api&#58;v1\\\.4\\\.2\n\n<!-- ecr-scan-reporter:image=/,
    );
    expect(receiver.requests).toEqual([]);
  });
});
