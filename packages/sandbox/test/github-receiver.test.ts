import { request } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type GitHubReceiver,
  loadGitHubApiDescription,
  startGitHubReceiver,
} from "../src/github-receiver.js";

const TOKEN = "ghp_receiverTestToken000000000000000000";

let receiver: GitHubReceiver;

beforeAll(async () => {
  receiver = await startGitHubReceiver({ token: TOKEN, validateResponses: true });
});
afterAll(() => receiver.close());
beforeEach(() => receiver.reset());

async function call(
  method: string,
  path: string,
  body?: unknown,
  options: { token?: string; base?: string } = {},
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const response = await fetch(`${options.base ?? receiver.url}${path}`, {
    method,
    headers: {
      authorization: `token ${options.token ?? TOKEN}`,
      accept: "application/vnd.github+json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

describe("GitHub's OpenAPI description", () => {
  it("matches operations, literal segments before parameters", () => {
    const api = loadGitHubApiDescription();
    expect(api.match("PATCH", "/repos/acme/security/issues/7")).toMatchObject({
      operationId: "issues/update",
      pathParameters: { owner: "acme", repo: "security", issue_number: "7" },
    });
    expect(api.match("GET", "/repos/acme/security/issues/comments")).toMatchObject({
      operationId: "issues/list-comments-for-repo",
    });
    expect(api.match("PUT", "/repos/acme/security/issues")).toEqual({
      error: expect.stringMatching(
        /^PUT is not an operation of \/repos\/\{owner\}\/\{repo\}\/issues \(it has GET, POST\)$/,
      ),
    });
    expect(api.match("GET", "/repos/acme/security/tickets")).toEqual({
      error: "no path of GitHub's REST API matches /repos/acme/security/tickets",
    });
  });

  it("is loaded once per process", () => {
    expect(loadGitHubApiDescription()).toBe(loadGitHubApiDescription());
  });
});

describe("request validation", () => {
  it("records an unknown operation as a violation and answers 404", async () => {
    const answer = await call("POST", "/repos/acme/security/tickets", { title: "x" });
    expect(answer.status).toBe(404);
    expect(receiver.violations).toEqual([
      {
        method: "POST",
        path: "/repos/acme/security/tickets",
        problems: ["no path of GitHub's REST API matches /repos/acme/security/tickets"],
      },
    ]);
  });

  it("answers 422 to a body that breaks the operation's schema, naming each problem", async () => {
    const answer = await call("POST", "/repos/acme/security/issues", {
      body: "no title",
      labels: "not-an-array",
    });
    expect(answer.status).toBe(422);
    expect(receiver.violations[0]?.operationId).toBe("issues/create");
    expect(receiver.violations[0]?.problems).toEqual(
      expect.arrayContaining(["body: must have required property 'title'", "body/labels: must be array"]),
    );
    expect(receiver.issues).toEqual([]);
  });

  it("flags an enum value GitHub does not know, a property and a query parameter it does not document", async () => {
    await call("POST", "/repos/acme/security/issues", { title: "t" });
    await call("PATCH", "/repos/acme/security/issues/1", { state: "resolved", colour: "red" });
    await call("GET", "/repos/acme/security/issues?label=ecr-scan&per_page=abc");
    const problems = receiver.violations.flatMap((v) => v.problems);
    expect(problems).toEqual(
      expect.arrayContaining([
        'body/state: must be equal to one of the allowed values ("open", "closed")',
        "body: colour is not a property of issues/update",
        "query: label is not a parameter of issues/list-for-repo",
        "query/per_page: must be integer",
      ]),
    );
  });

  it("flags a path parameter of the wrong type and a body where the operation takes none", async () => {
    await call("PATCH", "/repos/acme/security/issues/abc", { title: "t" });
    // fetch() refuses a GET with a body; node:http sends one.
    const { port } = new URL(receiver.url);
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "GET", path: "/repos/acme/security" }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      const body = JSON.stringify({ unexpected: true });
      req.setHeader("authorization", `token ${TOKEN}`);
      // A GET has no body framing by default: say how long it is, or the server never sees it.
      req.setHeader("content-length", Buffer.byteLength(body));
      req.end(body);
    });
    const problems = receiver.violations.flatMap((v) => v.problems);
    expect(problems).toContain("path/issue_number: must be integer");
    expect(problems).toContain("body: repos/get takes no request body");
  });

  it("passes a conforming client's requests without a violation", async () => {
    await call("GET", "/repos/acme/security");
    await call("POST", "/repos/acme/security/issues", {
      title: "t",
      body: "b",
      labels: ["ecr-scan"],
      milestone: null,
    });
    await call("PATCH", "/repos/acme/security/issues/1", { state: "closed", state_reason: "duplicate" });
    await call("POST", "/repos/acme/security/issues/1/comments", { body: "c" });
    await call("GET", "/repos/acme/security/issues?labels=ecr-scan&state=all&per_page=100&page=1");
    expect(receiver.violations).toEqual([]);
    // The receiver's own answers match the documented response schemas.
    expect(receiver.responseViolations).toEqual([]);
  });
});

describe("issues", () => {
  it("creates, labels (creating labels), updates, closes with a reason and reopens", async () => {
    const created = await call("POST", "/repos/acme/security/issues", {
      title: "t",
      body: "b",
      labels: ["x", "y"],
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`${receiver.url}/repos/acme/security/issues/1`);
    expect(created.json).toMatchObject({ number: 1, state: "open", labels: [{ name: "x" }, { name: "y" }] });

    await call("PATCH", "/repos/acme/security/issues/1", { labels: ["y", "z"], state: "closed" });
    expect(receiver.issues[0]).toMatchObject({
      state: "closed",
      stateReason: "completed",
      labels: ["y", "z"],
    });
    expect(receiver.issues[0]?.closedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    await call("PATCH", "/repos/acme/security/issues/1", { state: "open" });
    expect(receiver.issues[0]).toMatchObject({ state: "open", stateReason: "reopened", closedAt: null });

    const comment = await call("POST", "/repos/acme/security/issues/1/comments", { body: "hello" });
    expect(comment.status).toBe(201);
    expect(receiver.comments).toEqual([expect.objectContaining({ issueNumber: 1, body: "hello" })]);
    expect(receiver.issues[0]?.comments).toBe(1);
    expect((await call("GET", "/repos/acme/security/issues/1/comments")).json).toHaveLength(1);
  });

  it("lists by label (all of them, any case) and state, newest first by default, with Link pagination", async () => {
    for (let i = 1; i <= 5; i++) {
      await call("POST", "/repos/acme/security/issues", {
        title: `t${i}`,
        labels: i % 2 ? ["ECR-Scan", "a"] : ["b"],
      });
    }
    await call("PATCH", "/repos/acme/security/issues/5", { state: "closed" });
    const open = await call("GET", "/repos/acme/security/issues?labels=ecr-scan");
    expect((open.json as { number: number }[]).map((i) => i.number)).toEqual([3, 1]);
    const both = await call("GET", "/repos/acme/security/issues?labels=ecr-scan,a&state=all&direction=asc");
    expect((both.json as { number: number }[]).map((i) => i.number)).toEqual([1, 3, 5]);

    const page1 = await call("GET", "/repos/acme/security/issues?state=all&per_page=2");
    expect((page1.json as unknown[]).length).toBe(2);
    const link = page1.headers.get("link") ?? "";
    expect(link).toContain(
      `<${receiver.url}/repos/acme/security/issues?state=all&per_page=2&page=2>; rel="next"`,
    );
    expect(link).toContain('page=3>; rel="last"');
    const page3 = await call("GET", "/repos/acme/security/issues?state=all&per_page=2&page=3");
    expect(page3.headers.get("link")).toContain('rel="prev"');
    expect(page3.headers.get("link")).not.toContain('rel="next"');
  });

  it("caps per_page at 100", async () => {
    for (let i = 0; i < 101; i++) await call("POST", "/repos/acme/security/issues", { title: `t${i}` });
    const page = await call("GET", "/repos/acme/security/issues?per_page=500");
    expect((page.json as unknown[]).length).toBe(100);
    expect(receiver.violations).toEqual([]);
  });

  it("silently drops labels and assignees without push or triage access, as GitHub does", async () => {
    receiver.addRepository("acme/read-only", { push: false, triage: false });
    const created = await call("POST", "/repos/acme/read-only/issues", {
      title: "t",
      labels: ["x"],
      assignees: ["a"],
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ labels: [], assignees: [] });
    expect((await call("GET", "/repos/acme/read-only")).json).toMatchObject({
      permissions: { push: false, triage: false, pull: true },
    });
  });

  it("answers 404 for an unknown repository or issue, and 401 for a wrong token", async () => {
    expect((await call("GET", "/repos/acme/nope")).status).toBe(404);
    expect((await call("PATCH", "/repos/acme/security/issues/99", { title: "t" })).status).toBe(404);
    const denied = await call("GET", "/repos/acme/security", undefined, { token: "ghp_wrong" });
    expect(denied).toMatchObject({ status: 401, json: { message: "Bad credentials" } });
  });
});

describe("secondary rate limits", () => {
  // A rate limit's second is 10 ms here, so its waits take a few of them.
  let limited: GitHubReceiver;
  beforeAll(async () => {
    limited = await startGitHubReceiver({ token: TOKEN, secondMs: 10 });
  });
  afterAll(() => limited.close());
  beforeEach(() => limited.reset());
  const base = () => ({ base: limited.url });
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("answers the next N matching requests with GitHub's 403, retry-after and message", async () => {
    limited.injectSecondaryRateLimit(2, { retryAfterSeconds: 7, methods: ["POST"] });
    expect((await call("GET", "/repos/acme/security", undefined, base())).status).toBe(200);
    const answer = await call("POST", "/repos/acme/security/issues", { title: "t" }, base());
    expect(answer.status).toBe(403);
    expect(answer.headers.get("retry-after")).toBe("7");
    expect((answer.json as { message: string }).message).toMatch(
      /^You have exceeded a secondary rate limit\. Please wait a few minutes before you try again\./,
    );
    // Not the primary limit: requests remain.
    expect(answer.headers.get("x-ratelimit-remaining")).not.toBe("0");
    await sleep(80);
    expect((await call("POST", "/repos/acme/security/issues", { title: "t" }, base())).status).toBe(403);
    await sleep(80);
    expect((await call("POST", "/repos/acme/security/issues", { title: "t" }, base())).status).toBe(201);
    expect(limited.issues).toHaveLength(1);
    expect(limited.violations).toEqual([]);
  });

  it.each([403, 429] as const)(
    "answers %i without retry-after, and holds every request for a minute then",
    async (status) => {
      limited.secondaryLimitOnce({ status });
      const answer = await call("POST", "/repos/acme/security/issues", { title: "t" }, base());
      expect(answer.status).toBe(status);
      expect(answer.headers.get("retry-after")).toBeNull();
      expect((answer.json as { message: string }).message).toContain("secondary rate limit");
      // A retry within the minute (60 of this receiver's 10-ms seconds) is limited again, and is a violation.
      await sleep(100);
      expect((await call("POST", "/repos/acme/security/issues", { title: "t" }, base())).status).toBe(status);
      expect(limited.violations).toEqual([
        expect.objectContaining({ problems: [expect.stringMatching(/^POST \d+ ms before the end of/)] }),
      ]);
      await sleep(520);
      expect((await call("POST", "/repos/acme/security/issues", { title: "t" }, base())).status).toBe(201);
    },
  );

  it("holds requests for retry-after seconds when it is given", async () => {
    limited.secondaryLimitOnce({ status: 429, retryAfter: 3 });
    const answer = await call("GET", "/repos/acme/security", undefined, base());
    expect([answer.status, answer.headers.get("retry-after")]).toEqual([429, "3"]);
    await sleep(40);
    expect((await call("GET", "/repos/acme/security", undefined, base())).status).toBe(200);
    expect(limited.violations).toEqual([]);
  });
});

describe("lengths GitHub refuses with 422", () => {
  it.each([
    [
      "an issue body over 65,536 characters",
      "POST",
      "/repos/acme/security/issues",
      { title: "t", body: "b".repeat(65_537) },
      {
        resource: "Issue",
        code: "custom",
        field: "body",
        message: "body is too long (maximum is 65536 characters)",
      },
    ],
    [
      "an issue title over 256 characters",
      "POST",
      "/repos/acme/security/issues",
      { title: "t".repeat(257) },
      {
        resource: "Issue",
        code: "custom",
        field: "title",
        message: "title is too long (maximum is 256 characters)",
      },
    ],
    [
      "a label name over 50 characters",
      "POST",
      "/repos/acme/security/issues",
      { title: "t", labels: ["ecr-scan", "l".repeat(51)] },
      { value: "l".repeat(51), resource: "Label", field: "name", code: "invalid" },
    ],
  ])("refuses %s, in GitHub's validation error shape", async (_, method, path, body, error) => {
    const answer = await call(method, path, body);
    expect(answer.status).toBe(422);
    expect(answer.json).toEqual({
      message: "Validation Failed",
      errors: [error],
      documentation_url: "https://docs.github.com/rest/issues/issues#create-an-issue",
      status: "422",
    });
    expect(receiver.issues).toEqual([]);
    // The answer matches the 422 the description documents for the operation.
    expect(receiver.responseViolations).toEqual([]);
  });

  it("applies them to updates and comments too, and takes exactly the maximum", async () => {
    await call("POST", "/repos/acme/security/issues", {
      title: "t".repeat(256),
      body: "b".repeat(65_536),
      labels: ["l".repeat(50)],
    });
    expect(receiver.issues).toHaveLength(1);
    const update = await call("PATCH", "/repos/acme/security/issues/1", { labels: ["x".repeat(51)] });
    expect(update.status).toBe(422);
    const comment = await call("POST", "/repos/acme/security/issues/1/comments", {
      body: "c".repeat(65_537),
    });
    expect(comment.status).toBe(422);
    expect((comment.json as { errors: unknown[] }).errors).toEqual([
      expect.objectContaining({ resource: "IssueComment", field: "body" }),
    ]);
    expect(receiver.comments).toEqual([]);
    expect(receiver.violations).toEqual([]);
  });
});

describe("GitHub Enterprise Server prefix", () => {
  it("serves under /api/v3 and flags requests outside it", async () => {
    const ghes = await startGitHubReceiver({ pathPrefix: "/api/v3" });
    try {
      expect(ghes.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
      expect((await call("GET", "/repos/acme/security", undefined, { base: ghes.url })).status).toBe(200);
      const outside = await call("GET", "/repos/acme/security", undefined, {
        base: ghes.url.replace("/api/v3", ""),
      });
      expect(outside.status).toBe(404);
      expect(ghes.violations).toEqual([
        { method: "GET", path: "/repos/acme/security", problems: ["the path is not under /api/v3"] },
      ]);
    } finally {
      await ghes.close();
    }
  });
});
