import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { loadGitHubApiDescription } from "./description.js";
import { lengthErrors, validationFailed } from "./limits.js";
import type { JsonObject } from "./openapi.js";
import { HttpError, operationHandlers } from "./operations.js";
import { SecondaryRateLimits } from "./rate-limits.js";
import { GitHubRepresentations, GitHubUrls } from "./representations.js";
import { GitHubStore } from "./state.js";
import type { GitHubReceiver, GitHubReceiverOptions, GitHubRequestRecord, GitHubViolation } from "./types.js";

// The receiver's HTTP side: it records every request, checks it against GitHub's description, answers bad
// credentials with 401, injected secondary rate limits as GitHub does (rate-limits.ts), lengths GitHub refuses
// with its 422 (limits.ts), and hands the rest to the operation handlers.

const DOCS = "https://docs.github.com/rest";

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "x-github-media-type": "github.v3; format=json",
    "x-github-request-id": randomUUID().toUpperCase(),
    ...headers,
  });
  res.end(text);
}

const errorBody = (status: number, message: string, extra: JsonObject = {}) => ({
  message,
  documentation_url: DOCS,
  status: String(status),
  ...extra,
});

/** Starts the receiver on 127.0.0.1 at a free port. Loads GitHub's description first (once per process). */
export async function startGitHubReceiver(options: GitHubReceiverOptions = {}): Promise<GitHubReceiver> {
  const api = loadGitHubApiDescription();
  const urls = new GitHubUrls((options.pathPrefix ?? "").replace(/\/+$/, ""));
  const prefix = urls.prefix;
  const store = new GitHubStore(options.now ?? Date.now, options.permissions);
  const handlers = operationHandlers(store, new GitHubRepresentations(urls, store), urls);
  const requests: GitHubRequestRecord[] = [];
  const violations: GitHubViolation[] = [];
  const responseViolations: GitHubViolation[] = [];
  const secondaryLimits = new SecondaryRateLimits(options.secondMs ?? 1_000);

  for (const fullName of options.repositories ?? ["acme/security"]) store.addRepository(fullName);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", urls.origin);
    const query = Object.fromEntries(url.searchParams);
    const record: GitHubRequestRecord = { method, path: url.pathname, query, status: 0 };
    requests.push(record);
    const answer = (status: number, body: unknown, headers?: Record<string, string>) => {
      record.status = status;
      send(res, status, body, headers);
    };

    if (prefix && url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
      violations.push({ method, path: url.pathname, problems: [`the path is not under ${prefix}`] });
      return answer(404, errorBody(404, "Not Found"));
    }
    const path = url.pathname.slice(prefix.length) || "/";
    record.path = path;

    let body: unknown;
    const hasBody = raw.trim() !== "";
    if (hasBody) {
      try {
        body = JSON.parse(raw);
      } catch {
        violations.push({ method, path, problems: ["body: not JSON"] });
        return answer(400, errorBody(400, "Problems parsing JSON"));
      }
    }
    record.body = body;

    const match = api.match(method, path);
    if ("error" in match) {
      violations.push({ method, path, problems: [match.error] });
      return answer(404, errorBody(404, "Not Found"));
    }
    record.operationId = match.operationId;
    const problems = api.validateRequest(match, url.searchParams, body, hasBody);
    if (problems.length > 0) violations.push({ method, path, operationId: match.operationId, problems });

    const reply = (status: number, replyBody: unknown, headers?: Record<string, string>) => {
      if (options.validateResponses) {
        const wrong = api.validateResponse(match, status, replyBody);
        if (wrong.length > 0) {
          responseViolations.push({ method, path, operationId: match.operationId, problems: wrong });
        }
      }
      answer(status, replyBody, headers);
    };

    if (options.token !== undefined) {
      const given = /^(?:token|bearer)\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1];
      if (given !== options.token) return reply(401, errorBody(401, "Bad credentials"));
    }
    const limited = secondaryLimits.answer(method);
    if (limited) {
      if (limited.early)
        violations.push({ method, path, operationId: match.operationId, problems: [limited.early] });
      return reply(limited.status, limited.body, limited.headers);
    }
    // A body that breaks the schema gets GitHub's answer to it, not a guess at what was meant.
    if (problems.some((p) => p.startsWith("body") || p.startsWith("path"))) {
      return reply(422, errorBody(422, "Validation Failed", { errors: problems }));
    }
    const tooLong = lengthErrors(match.operationId, body);
    if (tooLong.length > 0) return reply(422, validationFailed(match.operationId, tooLong));
    const handler = handlers[match.operationId];
    if (!handler) {
      violations.push({
        method,
        path,
        operationId: match.operationId,
        problems: [`${match.operationId} is a GitHub operation this receiver does not implement`],
      });
      return answer(501, errorBody(501, `The sandbox does not implement ${match.operationId}`));
    }
    try {
      const result = handler(match.pathParameters, url.searchParams, (body ?? {}) as JsonObject, url);
      reply(result.status, result.body, result.headers);
    } catch (error) {
      if (error instanceof HttpError) return reply(error.status, errorBody(error.status, error.message));
      throw error;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, errorBody(500, `sandbox error: ${String(error)}`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  urls.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: urls.api(""),
    requests,
    violations,
    responseViolations,
    issues: store.issues,
    comments: store.comments,
    addRepository: (fullName, permissions) => store.addRepository(fullName, permissions),
    injectSecondaryRateLimit(count, rateOptions = {}) {
      secondaryLimits.add(count, {
        retryAfter: rateOptions.retryAfterSeconds ?? 1,
        methods: rateOptions.methods,
      });
    },
    secondaryLimitOnce(limit = {}) {
      secondaryLimits.add(1, limit);
    },
    reset() {
      for (const list of [requests, violations, responseViolations]) list.length = 0;
      store.reset();
      secondaryLimits.reset();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
