import { ReporterError } from "@ecr-scan-reporter/core";
import {
  checkReporterConformance,
  manyFindingsReport,
  overThresholdReport,
  sampleReport,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import {
  defineGitHubReporter,
  fitIssueBody,
  GITHUB_BODY_MAX_CHARS,
  GITHUB_TITLE_MAX_CHARS,
  githubOptionsSchema,
  githubReporter,
} from "../src/index.js";
import { CTX, FAST, TOKEN, TOKEN_REF } from "./helpers.js";
import { cleanSameTag, enterprise, receiver, reporterFor, useReceivers } from "./receivers.js";

useReceivers();

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

  it.each([403, 429] as const)(
    "waits a minute (at the FAST tuning) after a secondary limit (%i) without retry-after, then opens the issue",
    async (status) => {
      const { reporter, logs } = reporterFor();
      receiver.secondaryLimitOnce({ status, methods: ["POST"] });
      const started = Date.now();
      const outcome = await reporter.report(overThresholdReport(), CTX);
      expect(outcome).toMatchObject({ status: "sent", detail: "opened issue #1" });
      const creates = receiver.requests.filter((q) => q.operationId === "issues/create");
      expect(creates.map((q) => q.status)).toEqual([status, 201]);
      // GitHub: without retry-after, wait at least one minute; 60 × 50 ms here. An earlier retry is a violation.
      expect(Date.now() - started).toBeGreaterThanOrEqual(60 * FAST.retryBaseMs - 10);
      expect(receiver.violations).toEqual([]);
      expect(logs).toContainEqual({
        level: "warn",
        message: "GitHub secondary rate limit",
        extra: expect.objectContaining({ retryAfterSeconds: 60, retryCount: 0, retrying: true }),
      });
    },
    15_000,
  );

  it("waits as retry-after asks after a 429 secondary limit, then opens the issue", async () => {
    const { reporter } = reporterFor();
    receiver.secondaryLimitOnce({ status: 429, retryAfter: 2, methods: ["POST"] });
    const started = Date.now();
    await expect(reporter.report(overThresholdReport(), CTX)).resolves.toMatchObject({ status: "sent" });
    expect(receiver.requests.filter((q) => q.operationId === "issues/create").map((q) => q.status)).toEqual([
      429, 201,
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * FAST.retryBaseMs - 10);
    expect(receiver.violations).toEqual([]);
    expect(receiver.issues).toHaveLength(1);
  });

  it("does not wait when GitHub asks for longer than a Lambda should", async () => {
    const { reporter } = reporterFor();
    receiver.injectSecondaryRateLimit(1, { retryAfterSeconds: 3_600, methods: ["POST"] });
    await expect(reporter.report(overThresholdReport(), CTX)).rejects.toThrow(/secondary rate limit/);
    expect(receiver.requests.filter((q) => q.operationId === "issues/create")).toHaveLength(1);
  });
});

describe("GitHub's length limits, which the receiver answers with 422", () => {
  it("cuts the body of 5,000 listed findings to 65,536 characters, which GitHub takes", async () => {
    const report = manyFindingsReport();
    // Without the cut the body would be far longer than GitHub takes.
    expect(
      fitIssueBody(report, { maxFindings: 5_000, maxChars: Number.POSITIVE_INFINITY }).body.length,
    ).toBeGreaterThan(GITHUB_BODY_MAX_CHARS);
    const { reporter } = reporterFor({ maxFindings: 5_000 });
    await expect(reporter.report(report, CTX)).resolves.toMatchObject({ status: "sent" });
    const body = receiver.issues[0]?.body ?? "";
    expect(body.length).toBeLessThanOrEqual(GITHUB_BODY_MAX_CHARS);
    expect(body.length).toBeGreaterThan(GITHUB_BODY_MAX_CHARS - 1_000);
    expect(receiver.requests.filter((q) => q.status === 422)).toEqual([]);
  });

  it("cuts a comment of a template that renders more than 65,536 characters", async () => {
    const { reporter } = reporterFor({
      templates: { "github/comment.hbs": "c".repeat(70_000) },
    });
    const first = reporterFor();
    await first.reporter.report(overThresholdReport(), CTX);
    await reporter.report(sampleReport({ findings: overThresholdReport().findings.slice(0, 2) }), CTX);
    expect(receiver.comments.length).toBeGreaterThan(0);
    for (const comment of receiver.comments)
      expect(comment.body.length).toBeLessThanOrEqual(GITHUB_BODY_MAX_CHARS);
    expect(receiver.requests.filter((q) => q.status === 422)).toEqual([]);
  });

  it("cuts the title of an image with the longest repository name and tag to 256 characters", async () => {
    const report = sampleReport({ repository: `team-a/${"r".repeat(249)}`, tags: ["t".repeat(128)] });
    const { reporter } = reporterFor();
    await expect(reporter.report(report, CTX)).resolves.toMatchObject({ status: "sent" });
    expect(receiver.issues[0]?.title.length).toBe(GITHUB_TITLE_MAX_CHARS);
    expect(receiver.requests.filter((q) => q.status === 422)).toEqual([]);
  });

  it("takes label names of up to 50 characters and refuses longer ones in the options", async () => {
    const longest = "l".repeat(50);
    const { reporter } = reporterFor({
      labels: [longest],
      severityLabels: { CRITICAL: `s${"c".repeat(49)}` },
    });
    await expect(reporter.report(overThresholdReport(), CTX)).resolves.toMatchObject({ status: "sent" });
    expect(receiver.issues[0]?.labels).toEqual([longest, `s${"c".repeat(49)}`]);
    const tooLong = githubOptionsSchema.safeParse({
      owner: "acme",
      repo: "security",
      token: TOKEN_REF,
      labels: [`${longest}x`],
    });
    expect(tooLong.error?.issues[0]?.message).toContain("at most 50 characters");
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
    const result = await checkReporterConformance(defineGitHubReporter(FAST), {
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
    expect(files?.[1]?.content).toMatch(/^Custom: `team-a\/api:v1\.4\.2`\n\n<!-- ecr-scan-reporter:image=/);
    expect(receiver.requests).toEqual([]);
  });
});
