import { ReporterError, type ReporterPlugin } from "@ecr-scan-reporter/core";
import { checkReporterConformance, overThresholdReport } from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { defineGitHubReporter, githubOptionsSchema, githubReporter } from "../src/index.js";
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
    expect(files?.[1]?.content).toMatch(/^Custom: `team-a\/api:v1\.4\.2`\n\n<!-- ecr-scan-reporter:image=/);
    expect(receiver.requests).toEqual([]);
  });
});
