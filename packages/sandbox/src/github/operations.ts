import type { JsonObject } from "./openapi.js";
import type { GitHubRepresentations, GitHubUrls } from "./representations.js";
import { safeDecode } from "./router.js";
import type { GitHubStore, Repository } from "./state.js";
import type { ReceivedIssue } from "./types.js";

// The operations the GitHub reporter calls, by operationId of the description. Paging follows "Using pagination
// in the REST API" (https://docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api):
// `per_page` at most 100 (default 30), `page`, newest first, and a `Link` header with next/last/first/prev.

const MAX_PER_PAGE = 100;
const DEFAULT_PER_PAGE = 30;

/** An answer other than success, with GitHub's status and message. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface OperationResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type OperationHandler = (
  params: Record<string, string>,
  query: URLSearchParams,
  body: JsonObject,
  url: URL,
) => OperationResult;

function pageOf(query: URLSearchParams): { perPage: number; page: number } {
  return {
    perPage: Math.min(Math.max(Number(query.get("per_page") ?? DEFAULT_PER_PAGE), 1), MAX_PER_PAGE),
    page: Math.max(Number(query.get("page") ?? 1), 1),
  };
}

export function operationHandlers(
  store: GitHubStore,
  json: GitHubRepresentations,
  urls: GitHubUrls,
): Record<string, OperationHandler> {
  // A repository the token cannot see answers 404, as GitHub hides private ones.
  const repositoryOf = (params: Record<string, string>): Repository => {
    const repo = store.repository(`${safeDecode(params.owner ?? "")}/${safeDecode(params.repo ?? "")}`);
    if (!repo) throw new HttpError(404, "Not Found");
    return repo;
  };

  const issueOf = (repo: Repository, params: Record<string, string>): ReceivedIssue => {
    const issue = store.issue(repo, Number(params.issue_number));
    if (!issue) throw new HttpError(404, "Not Found");
    return issue;
  };

  return {
    "repos/get": (params) => ({ status: 200, body: json.repository(repositoryOf(params)) }),

    "issues/list-for-repo": (params, query, _body, url) => {
      const repo = repositoryOf(params);
      const matching = store.listIssues(repo, {
        state: query.get("state") ?? "open",
        labels: (query.get("labels") ?? "")
          .split(",")
          .map((l) => l.trim().toLowerCase())
          .filter(Boolean),
        direction: query.get("direction") ?? "desc",
      });
      const { perPage, page } = pageOf(query);
      const lastPage = Math.max(Math.ceil(matching.length / perPage), 1);
      const pageUrl = (n: number) => {
        const next = new URL(url.href);
        next.searchParams.set("page", String(n));
        return `<${urls.origin}${next.pathname}${next.search}>`;
      };
      const links: string[] = [];
      if (page < lastPage) links.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(lastPage)}; rel="last"`);
      if (page > 1) links.push(`${pageUrl(1)}; rel="first"`, `${pageUrl(page - 1)}; rel="prev"`);
      return {
        status: 200,
        body: matching.slice((page - 1) * perPage, page * perPage).map((i) => json.issue(repo, i)),
        headers: links.length > 0 ? { link: links.join(", ") } : undefined,
      };
    },

    "issues/get": (params) => {
      const repo = repositoryOf(params);
      return { status: 200, body: json.issue(repo, issueOf(repo, params)) };
    },

    "issues/create": (params, _query, body) => {
      const repo = repositoryOf(params);
      const issue = store.createIssue(repo, body);
      return {
        status: 201,
        body: json.issue(repo, issue),
        headers: { location: urls.api(`/repos/${issue.repository}/issues/${issue.number}`) },
      };
    },

    "issues/update": (params, _query, body) => {
      const repo = repositoryOf(params);
      const issue = issueOf(repo, params);
      store.updateIssue(repo, issue, body);
      return { status: 200, body: json.issue(repo, issue) };
    },

    "issues/create-comment": (params, _query, body) => {
      const repo = repositoryOf(params);
      const issue = issueOf(repo, params);
      const comment = store.addComment(issue, String(body.body));
      return {
        status: 201,
        body: json.comment(comment),
        headers: { location: urls.api(`/repos/${issue.repository}/issues/comments/${comment.id}`) },
      };
    },

    "issues/list-comments": (params, query) => {
      const repo = repositoryOf(params);
      const issue = issueOf(repo, params);
      const { perPage, page } = pageOf(query);
      const list = store.commentsOf(issue);
      return {
        status: 200,
        body: list.slice((page - 1) * perPage, page * perPage).map((c) => json.comment(c)),
      };
    },
  };
}
