import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import formatsModule from "ajv-formats";

// A local GitHub REST API for the endpoints the GitHub reporter uses, answering like api.github.com and checking
// every request against GitHub's own published OpenAPI description (`@octokit/openapi`, the api.github.com
// description): the path and method must be an operation of it, and the path parameters, query parameters and
// JSON body must match that operation's schemas. Behaviour it copies from GitHub's documentation:
// - "List repository issues": `labels` is a comma-separated list that an issue must all carry (names compared
//   case-insensitively), `state` open (default) / closed / all, `per_page` at most 100 (default 30), `page`,
//   newest first, and a `Link` header with `next`/`last`/`first`/`prev` ("Using pagination in the REST API").
// - "Create an issue" / "Update an issue": labels that do not exist yet are created; without push access labels and
//   assignees are "silently dropped"; `labels` on update replaces the set; closing records `state_reason`
//   (`completed` by default), reopening sets `reopened`.
// - Secondary rate limits ("Rate limits for the REST API"): a 403 with a `retry-after` header and the message
//   "You have exceeded a secondary rate limit…", injectable for the next N requests.
// - Bad credentials answer 401; a repository the token cannot see answers 404, as GitHub hides private ones.

/** Where the api.github.com description lives inside `@octokit/openapi` (the package's `index.js` would load all ten). */
const DESCRIPTION_MODULE = "@octokit/openapi/generated/api.github.com.json";

const SECONDARY_RATE_LIMIT_MESSAGE =
  "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to " +
  "GitHub Support for help, please include the request ID ";
const DOCS = "https://docs.github.com/rest";
const MAX_PER_PAGE = 100;
const DEFAULT_PER_PAGE = 30;

type JsonObject = Record<string, unknown>;

/** One request the receiver answered, as it came in. */
export interface GitHubRequestRecord {
  method: string;
  /** The path without the receiver's prefix (`/repos/acme/security/issues`). */
  path: string;
  query: Record<string, string>;
  body?: unknown;
  /** The operation of the description it matched (`issues/create`), if any. */
  operationId?: string;
  status: number;
}

/** A request that does not conform to GitHub's description, and why. */
export interface GitHubViolation {
  method: string;
  path: string;
  operationId?: string;
  problems: string[];
}

/** An issue as the receiver holds it. */
export interface ReceivedIssue {
  /** `owner/repo`. */
  repository: string;
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: "open" | "closed";
  stateReason: string | null;
  labels: string[];
  assignees: string[];
  comments: number;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

/** A comment as the receiver holds it. */
export interface ReceivedComment {
  repository: string;
  issueNumber: number;
  id: number;
  body: string;
  createdAt: string;
}

/** What the token may do in a repository (`permissions` of "Get a repository"). */
export interface RepositoryPermissions {
  admin: boolean;
  maintain: boolean;
  push: boolean;
  triage: boolean;
  pull: boolean;
}

export interface GitHubReceiverOptions {
  /** `/api/v3` to stand in for GitHub Enterprise Server; empty (api.github.com) by default. */
  pathPrefix?: string;
  /** Repositories that exist, as `owner/repo` (default `acme/security`). */
  repositories?: string[];
  /** The token that authenticates (as `token X` or `Bearer X`); any token when unset. */
  token?: string;
  /** The token's permissions in every repository (default: write access). */
  permissions?: Partial<RepositoryPermissions>;
  /** Also checks every answer against the operation's response schema (into `responseViolations`). */
  validateResponses?: boolean;
  /** Milliseconds since the epoch, for timestamps (default Date.now). */
  now?: () => number;
}

export interface GitHubReceiver {
  /** The API base URL to give Octokit as `baseUrl` (`http://127.0.0.1:PORT` or `…/api/v3`). */
  url: string;
  requests: GitHubRequestRecord[];
  /** Requests that do not match GitHub's description; a conforming client leaves this empty. */
  violations: GitHubViolation[];
  /** Answers of the receiver that do not match the description (only with `validateResponses`). */
  responseViolations: GitHubViolation[];
  issues: ReceivedIssue[];
  comments: ReceivedComment[];
  /** Adds a repository (`owner/repo`), optionally with its own permissions. */
  addRepository(fullName: string, permissions?: Partial<RepositoryPermissions>): void;
  /**
   * Answers the next `count` requests (only those with one of `methods`, when given) with GitHub's secondary rate
   * limit answer: 403, `retry-after`, and the documented message.
   */
  injectSecondaryRateLimit(count: number, options?: { retryAfterSeconds?: number; methods?: string[] }): void;
  /** Forgets every issue, comment, request and violation (repositories stay). */
  reset(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// The description and its validators

interface ParameterObject {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: JsonObject;
}

interface OperationObject {
  operationId?: string;
  parameters?: (ParameterObject | { $ref: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonObject }> };
  responses?: Record<string, { content?: Record<string, { schema?: JsonObject }> } | { $ref: string }>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, JsonObject>;
    parameters: Record<string, ParameterObject>;
    responses?: Record<string, unknown>;
  };
}

const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const COMPONENTS_ID = "github-components";

/**
 * OpenAPI 3.0 schema → JSON Schema for Ajv: `nullable: true` becomes a `null` type (or an `anyOf` with null where
 * there is no `type`, which Ajv's own `nullable` refuses), and `#/components/…` references point at the
 * components schema registered with Ajv. Returns a new object; the description is not changed.
 */
function toJsonSchema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toJsonSchema);
  if (value === null || typeof value !== "object") return value;
  const source = value as JsonObject;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(source)) {
    if (key === "$ref" && typeof child === "string" && child.startsWith("#/"))
      out[key] = COMPONENTS_ID + child;
    else if (key === "nullable" && typeof child === "boolean") continue;
    else out[key] = toJsonSchema(child);
  }
  if (source.nullable !== true) return out;
  if (typeof out.type === "string") {
    out.type = [out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    return out;
  }
  return { anyOf: [out, { type: "null" }] };
}

interface Route {
  template: string;
  segments: (string | { param: string })[];
  literals: number;
  item: Record<string, unknown>;
}

interface CompiledOperation {
  operationId: string;
  pathParameters: ParameterObject[];
  queryParameters: Map<string, ParameterObject>;
  validatePath: ValidateFunction;
  validateQuery: ValidateFunction;
  body?: { required: boolean; validate: ValidateFunction; knownProperties?: Set<string> };
}

/** An operation of the description that a request matched, with its raw path parameters. */
export interface OperationMatch {
  operationId: string;
  template: string;
  method: string;
  pathParameters: Record<string, string>;
}

function describeAjvErrors(where: string, errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath ? `${where}${e.instancePath}` : where;
    const detail =
      e.keyword === "enum"
        ? ` (${(e.params as { allowedValues?: unknown[] }).allowedValues?.map((v) => JSON.stringify(v)).join(", ")})`
        : e.keyword === "additionalProperties"
          ? ` (${JSON.stringify((e.params as { additionalProperty?: string }).additionalProperty)})`
          : "";
    return `${at}: ${e.message ?? e.keyword}${detail}`;
  });
}

/** The api.github.com description, with request (and response) validators compiled on first use per operation. */
export class GitHubApiDescription {
  readonly document: OpenApiDocument;
  private readonly routes: Route[];
  private readonly ajv: Ajv;
  private readonly operations = new Map<string, CompiledOperation>();
  private readonly responseValidators = new Map<string, ValidateFunction | null>();

  constructor(document: OpenApiDocument) {
    this.document = document;
    this.routes = Object.entries(document.paths).map(([template, item]) => {
      const segments = template
        .split("/")
        .slice(1)
        .map((s) => {
          const param = /^\{([^}]+)\}$/.exec(s)?.[1];
          return param ? { param } : s;
        });
      return { template, segments, literals: segments.filter((s) => typeof s === "string").length, item };
    });
    // Unknown keywords (`example`, `x-github`, `discriminator`) are annotations here, and OpenAPI's `int32`-style
    // formats are not checked: strict mode off, logging off.
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false });
    formatsModule.default(this.ajv);
    this.ajv.addSchema(
      toJsonSchema({ components: { schemas: document.components.schemas } }) as JsonObject,
      COMPONENTS_ID,
    );
  }

  /** The operation of `method` on `path`, or why there is none. */
  match(method: string, path: string): OperationMatch | { error: string } {
    const parts = path.split("/").slice(1);
    let best: { route: Route; params: Record<string, string> } | undefined;
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const segment = route.segments[i];
        const part = parts[i] ?? "";
        if (typeof segment === "string") ok = segment === part;
        else if (part === "") ok = false;
        else params[segment?.param ?? ""] = part;
      }
      // Literal segments win over parameters: /issues/comments is not /issues/{issue_number}.
      if (ok && (!best || route.literals > best.route.literals)) best = { route, params };
    }
    if (!best) return { error: `no path of GitHub's REST API matches ${path}` };
    const operation = best.route.item[method.toLowerCase()] as OperationObject | undefined;
    if (!operation || !HTTP_METHODS.includes(method.toLowerCase())) {
      const allowed = Object.keys(best.route.item).filter((k) => HTTP_METHODS.includes(k));
      return {
        error: `${method} is not an operation of ${best.route.template} (it has ${allowed.map((m) => m.toUpperCase()).join(", ")})`,
      };
    }
    return {
      operationId: operation.operationId ?? `${method} ${best.route.template}`,
      template: best.route.template,
      method: method.toLowerCase(),
      pathParameters: best.params,
    };
  }

  private resolveParameter(parameter: ParameterObject | { $ref: string }): ParameterObject {
    if (!("$ref" in parameter)) return parameter;
    const name = parameter.$ref.replace("#/components/parameters/", "");
    const resolved = this.document.components.parameters[name];
    if (!resolved) throw new Error(`the description has no parameter ${parameter.$ref}`);
    return resolved;
  }

  private resolveSchema(schema: JsonObject | undefined): JsonObject | undefined {
    let current = schema;
    for (let depth = 0; current && typeof current.$ref === "string" && depth < 10; depth++) {
      current = this.document.components.schemas[current.$ref.replace("#/components/schemas/", "")];
    }
    return current;
  }

  private compile(match: OperationMatch): CompiledOperation {
    const key = `${match.method} ${match.template}`;
    const cached = this.operations.get(key);
    if (cached) return cached;
    const item = this.document.paths[match.template] ?? {};
    const operation = item[match.method] as OperationObject;
    const parameters = [
      ...((item.parameters as ParameterObject[] | undefined) ?? []),
      ...(operation.parameters ?? []),
    ].map((p) => this.resolveParameter(p));
    const objectSchema = (list: ParameterObject[]) => ({
      type: "object",
      properties: Object.fromEntries(list.map((p) => [p.name, toJsonSchema(p.schema ?? {})])),
      required: list.filter((p) => p.required).map((p) => p.name),
    });
    const pathParameters = parameters.filter((p) => p.in === "path");
    const queryParameters = parameters.filter((p) => p.in === "query");
    const compiled: CompiledOperation = {
      operationId: match.operationId,
      pathParameters,
      queryParameters: new Map(queryParameters.map((p) => [p.name, p])),
      validatePath: this.ajv.compile(objectSchema(pathParameters)),
      validateQuery: this.ajv.compile(objectSchema(queryParameters)),
    };
    const jsonBody = operation.requestBody?.content?.["application/json"]?.schema;
    if (jsonBody) {
      const resolved = this.resolveSchema(jsonBody);
      const knownProperties =
        resolved?.properties && resolved.additionalProperties === undefined
          ? new Set(Object.keys(resolved.properties as JsonObject))
          : undefined;
      compiled.body = {
        required: operation.requestBody?.required === true,
        validate: this.ajv.compile(toJsonSchema(jsonBody) as JsonObject),
        knownProperties,
      };
    }
    this.operations.set(key, compiled);
    return compiled;
  }

  /**
   * The problems of a request against its operation: path parameters, query parameters (values coerced from text
   * the way a server reads them; a parameter the operation does not document is a problem too, since GitHub
   * would silently ignore it), and the JSON body (a top-level property the schema does not list is a problem for
   * the same reason).
   */
  validateRequest(match: OperationMatch, query: URLSearchParams, body: unknown, hasBody: boolean): string[] {
    const operation = this.compile(match);
    const problems: string[] = [];

    const pathValues: JsonObject = {};
    for (const p of operation.pathParameters) {
      const raw = match.pathParameters[p.name];
      if (raw !== undefined) pathValues[p.name] = coerceParameter(safeDecode(raw), p.schema);
    }
    if (!operation.validatePath(pathValues)) {
      problems.push(...describeAjvErrors("path", operation.validatePath.errors));
    }

    const queryValues: JsonObject = {};
    for (const name of new Set(query.keys())) {
      const parameter = operation.queryParameters.get(name);
      if (!parameter) {
        problems.push(`query: ${name} is not a parameter of ${operation.operationId}`);
        continue;
      }
      const values = query.getAll(name);
      queryValues[name] =
        parameter.schema?.type === "array"
          ? values.map((v) => coerceParameter(v, parameter.schema?.items as JsonObject | undefined))
          : coerceParameter(values[values.length - 1] ?? "", parameter.schema);
    }
    if (!operation.validateQuery(queryValues)) {
      problems.push(...describeAjvErrors("query", operation.validateQuery.errors));
    }

    if (!operation.body) {
      if (hasBody) problems.push(`body: ${operation.operationId} takes no request body`);
    } else if (!hasBody) {
      if (operation.body.required) problems.push(`body: ${operation.operationId} requires a JSON body`);
    } else {
      if (!operation.body.validate(body)) {
        problems.push(...describeAjvErrors("body", operation.body.validate.errors));
      }
      const known = operation.body.knownProperties;
      if (known && body !== null && typeof body === "object" && !Array.isArray(body)) {
        for (const key of Object.keys(body)) {
          if (!known.has(key)) problems.push(`body: ${key} is not a property of ${operation.operationId}`);
        }
      }
    }
    return problems;
  }

  /** The problems of an answer against the operation's documented response for that status. */
  validateResponse(match: OperationMatch, status: number, body: unknown): string[] {
    const key = `${match.method} ${match.template} ${status}`;
    let validate = this.responseValidators.get(key);
    if (validate === undefined) {
      const item = this.document.paths[match.template] ?? {};
      const operation = item[match.method] as OperationObject;
      const response = operation.responses?.[String(status)];
      const schema =
        response && !("$ref" in response) ? response.content?.["application/json"]?.schema : undefined;
      validate = schema ? this.ajv.compile(toJsonSchema(schema) as JsonObject) : null;
      this.responseValidators.set(key, validate);
    }
    if (validate === null) {
      return status >= 400 ? [] : [`response: ${status} is not a documented answer of ${match.operationId}`];
    }
    return validate(body) ? [] : describeAjvErrors("response", validate.errors);
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A query or path value as its schema's type reads it; left as text when it does not parse, so validation says so. */
function coerceParameter(value: string, schema: JsonObject | undefined): unknown {
  const type = schema?.type;
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === "boolean" && (value === "true" || value === "false")) return value === "true";
  return value;
}

let description: GitHubApiDescription | undefined;

/** GitHub's api.github.com description, read and prepared once per process (it is 13 MB of JSON). */
export function loadGitHubApiDescription(): GitHubApiDescription {
  if (!description) {
    const file = createRequire(import.meta.url).resolve(DESCRIPTION_MODULE);
    description = new GitHubApiDescription(JSON.parse(readFileSync(file, "utf8")) as OpenApiDocument);
  }
  return description;
}

// ---------------------------------------------------------------------------------------------------------------
// The server

interface Repository {
  id: number;
  owner: string;
  name: string;
  permissions: RepositoryPermissions;
  labels: Map<string, { id: number; name: string }>;
  nextNumber: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: JsonObject = {},
  ) {
    super(message);
  }
}

const FULL_PERMISSIONS: RepositoryPermissions = {
  admin: false,
  maintain: false,
  push: true,
  triage: true,
  pull: true,
};

function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** Starts the receiver on 127.0.0.1 at a free port. Loads GitHub's description first (once per process). */
export async function startGitHubReceiver(options: GitHubReceiverOptions = {}): Promise<GitHubReceiver> {
  const api = loadGitHubApiDescription();
  const prefix = (options.pathPrefix ?? "").replace(/\/+$/, "");
  const now = options.now ?? Date.now;
  const repositories = new Map<string, Repository>();
  const requests: GitHubRequestRecord[] = [];
  const violations: GitHubViolation[] = [];
  const responseViolations: GitHubViolation[] = [];
  const issues: ReceivedIssue[] = [];
  const comments: ReceivedComment[] = [];
  let nextId = 1000;
  let rateLimit: { remaining: number; retryAfterSeconds: number; methods?: string[] } | undefined;
  let origin = "";

  const addRepository = (fullName: string, permissions: Partial<RepositoryPermissions> = {}) => {
    const [owner, name, ...rest] = fullName.split("/");
    if (!owner || !name || rest.length > 0) throw new Error(`"${fullName}" is not owner/repo`);
    repositories.set(fullName.toLowerCase(), {
      id: nextId++,
      owner,
      name,
      permissions: { ...FULL_PERMISSIONS, ...options.permissions, ...permissions },
      labels: new Map(),
      nextNumber: 1,
    });
  };
  for (const fullName of options.repositories ?? ["acme/security"]) addRepository(fullName);

  const webUrl = (path: string) => `${origin}${path}`;
  const apiUrl = (path: string) => `${origin}${prefix}${path}`;

  const userJson = () => {
    const login = "ecr-scan-bot";
    const url = apiUrl(`/users/${login}`);
    return {
      login,
      id: 1,
      node_id: "U_kgDOAAAAAQ",
      avatar_url: webUrl(`/avatars/${login}`),
      gravatar_id: "",
      url,
      html_url: webUrl(`/${login}`),
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: "User",
      site_admin: false,
    };
  };

  const repositoryJson = (repo: Repository) => {
    const full = `${repo.owner}/${repo.name}`;
    const url = apiUrl(`/repos/${full}`);
    const created = isoSeconds(Date.UTC(2024, 0, 1));
    const templated = (name: string, suffix = "") => [`${name}_url`, `${url}/${name}${suffix}`];
    const openIssues = issues.filter((i) => i.repository === full && i.state === "open").length;
    return {
      id: repo.id,
      node_id: `R_${repo.id}`,
      name: repo.name,
      full_name: full,
      owner: { ...userJson(), login: repo.owner, type: "Organization" },
      private: true,
      html_url: webUrl(`/${full}`),
      description: null,
      fork: false,
      url,
      ...Object.fromEntries([
        templated("archive", "/{archive_format}{/ref}"),
        templated("assignees", "{/user}"),
        templated("blobs", "/git/blobs{/sha}"),
        templated("branches", "{/branch}"),
        templated("collaborators", "{/collaborator}"),
        templated("comments", "{/number}"),
        templated("commits", "{/sha}"),
        templated("compare", "/compare/{base}...{head}"),
        templated("contents", "/{+path}"),
        templated("contributors"),
        templated("deployments"),
        templated("downloads"),
        templated("events"),
        templated("forks"),
        ["git_commits_url", `${url}/git/commits{/sha}`],
        ["git_refs_url", `${url}/git/refs{/sha}`],
        ["git_tags_url", `${url}/git/tags{/sha}`],
        templated("hooks"),
        ["issue_comment_url", `${url}/issues/comments{/number}`],
        ["issue_events_url", `${url}/issues/events{/number}`],
        templated("issues", "{/number}"),
        templated("keys", "{/key_id}"),
        templated("labels", "{/name}"),
        templated("languages"),
        templated("merges"),
        templated("milestones", "{/number}"),
        templated("notifications", "{?since,all,participating}"),
        templated("pulls", "{/number}"),
        templated("releases", "{/id}"),
        templated("stargazers"),
        templated("statuses", "/{sha}"),
        templated("subscribers"),
        templated("subscription"),
        templated("tags"),
        templated("teams"),
        templated("trees", "/git/trees{/sha}"),
      ]),
      clone_url: `${webUrl(`/${full}`)}.git`,
      git_url: `git://${origin.replace(/^https?:\/\//, "")}/${full}.git`,
      ssh_url: `git@${origin.replace(/^https?:\/\//, "")}:${full}.git`,
      svn_url: webUrl(`/${full}`),
      mirror_url: null,
      homepage: null,
      language: null,
      default_branch: "main",
      forks: 0,
      forks_count: 0,
      stargazers_count: 0,
      watchers: 0,
      watchers_count: 0,
      network_count: 0,
      subscribers_count: 0,
      open_issues: openIssues,
      open_issues_count: openIssues,
      size: 0,
      has_issues: true,
      has_projects: false,
      has_wiki: false,
      has_pages: false,
      has_downloads: false,
      has_discussions: false,
      archived: false,
      disabled: false,
      license: null,
      pushed_at: created,
      created_at: created,
      updated_at: created,
      permissions: repo.permissions,
    };
  };

  const labelJson = (repo: Repository, name: string) => {
    const label = repo.labels.get(name.toLowerCase()) ?? { id: 0, name };
    return {
      id: label.id,
      node_id: `LA_${label.id}`,
      url: apiUrl(`/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(label.name)}`),
      name: label.name,
      description: null,
      color: "ededed",
      default: false,
    };
  };

  const issueJson = (repo: Repository, issue: ReceivedIssue) => {
    const url = apiUrl(`/repos/${issue.repository}/issues/${issue.number}`);
    const user = userJson();
    const assignees = issue.assignees.map((login) => ({ ...user, login }));
    return {
      id: issue.id,
      node_id: `I_${issue.id}`,
      url,
      repository_url: apiUrl(`/repos/${issue.repository}`),
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: webUrl(`/${issue.repository}/issues/${issue.number}`),
      number: issue.number,
      state: issue.state,
      state_reason: issue.stateReason,
      title: issue.title,
      body: issue.body,
      user,
      labels: issue.labels.map((name) => labelJson(repo, name)),
      assignee: assignees[0] ?? null,
      assignees,
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: issue.comments,
      closed_at: issue.closedAt,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_by: null,
      author_association: "NONE",
    };
  };

  const commentJson = (comment: ReceivedComment) => ({
    id: comment.id,
    node_id: `IC_${comment.id}`,
    url: apiUrl(`/repos/${comment.repository}/issues/comments/${comment.id}`),
    html_url: webUrl(`/${comment.repository}/issues/${comment.issueNumber}#issuecomment-${comment.id}`),
    issue_url: apiUrl(`/repos/${comment.repository}/issues/${comment.issueNumber}`),
    body: comment.body,
    user: userJson(),
    created_at: comment.createdAt,
    updated_at: comment.createdAt,
    author_association: "NONE",
  });

  const repositoryOf = (params: Record<string, string>): Repository => {
    const repo = repositories.get(
      `${safeDecode(params.owner ?? "")}/${safeDecode(params.repo ?? "")}`.toLowerCase(),
    );
    if (!repo) throw new HttpError(404, "Not Found");
    return repo;
  };

  const issueOf = (repo: Repository, params: Record<string, string>): ReceivedIssue => {
    const number = Number(params.issue_number);
    const issue = issues.find((i) => i.repository === `${repo.owner}/${repo.name}` && i.number === number);
    if (!issue) throw new HttpError(404, "Not Found");
    return issue;
  };

  const canLabel = (repo: Repository) =>
    repo.permissions.push || repo.permissions.triage || repo.permissions.maintain || repo.permissions.admin;

  const labelNames = (repo: Repository, raw: unknown): string[] => {
    const names: string[] = [];
    for (const item of Array.isArray(raw) ? raw : []) {
      const name = typeof item === "string" ? item : (item as { name?: unknown })?.name;
      if (typeof name !== "string" || name.trim() === "") continue;
      let label = repo.labels.get(name.toLowerCase());
      if (!label) {
        label = { id: nextId++, name };
        repo.labels.set(name.toLowerCase(), label);
      }
      if (!names.some((n) => n.toLowerCase() === name.toLowerCase())) names.push(label.name);
    }
    return names;
  };

  const handlers: Record<
    string,
    (
      params: Record<string, string>,
      query: URLSearchParams,
      body: JsonObject,
      url: URL,
    ) => { status: number; body: unknown; headers?: Record<string, string> }
  > = {
    "repos/get": (params) => ({ status: 200, body: repositoryJson(repositoryOf(params)) }),

    "issues/list-for-repo": (params, query, _body, url) => {
      const repo = repositoryOf(params);
      const full = `${repo.owner}/${repo.name}`;
      const state = query.get("state") ?? "open";
      const wanted = (query.get("labels") ?? "")
        .split(",")
        .map((l) => l.trim().toLowerCase())
        .filter(Boolean);
      const direction = query.get("direction") ?? "desc";
      const perPage = Math.min(Math.max(Number(query.get("per_page") ?? DEFAULT_PER_PAGE), 1), MAX_PER_PAGE);
      const page = Math.max(Number(query.get("page") ?? 1), 1);
      const matching = issues
        .filter((i) => i.repository === full)
        .filter((i) => state === "all" || i.state === state)
        .filter((i) => wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)))
        .sort((a, b) => (direction === "asc" ? a.number - b.number : b.number - a.number));
      const lastPage = Math.max(Math.ceil(matching.length / perPage), 1);
      const pageUrl = (n: number) => {
        const next = new URL(url.href);
        next.searchParams.set("page", String(n));
        return `<${origin}${next.pathname}${next.search}>`;
      };
      const links: string[] = [];
      if (page < lastPage) links.push(`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(lastPage)}; rel="last"`);
      if (page > 1) links.push(`${pageUrl(1)}; rel="first"`, `${pageUrl(page - 1)}; rel="prev"`);
      return {
        status: 200,
        body: matching.slice((page - 1) * perPage, page * perPage).map((i) => issueJson(repo, i)),
        headers: links.length > 0 ? { link: links.join(", ") } : undefined,
      };
    },

    "issues/get": (params) => {
      const repo = repositoryOf(params);
      return { status: 200, body: issueJson(repo, issueOf(repo, params)) };
    },

    "issues/create": (params, _query, body) => {
      const repo = repositoryOf(params);
      const at = isoSeconds(now());
      const issue: ReceivedIssue = {
        repository: `${repo.owner}/${repo.name}`,
        id: nextId++,
        number: repo.nextNumber++,
        title: String(body.title),
        body: typeof body.body === "string" ? body.body : null,
        state: "open",
        stateReason: null,
        // "Only users with push access can set labels for new issues. Labels are silently dropped otherwise."
        labels: canLabel(repo) ? labelNames(repo, body.labels) : [],
        assignees: canLabel(repo) && Array.isArray(body.assignees) ? body.assignees.map(String) : [],
        comments: 0,
        createdAt: at,
        updatedAt: at,
        closedAt: null,
      };
      issues.push(issue);
      return {
        status: 201,
        body: issueJson(repo, issue),
        headers: { location: apiUrl(`/repos/${issue.repository}/issues/${issue.number}`) },
      };
    },

    "issues/update": (params, _query, body) => {
      const repo = repositoryOf(params);
      const issue = issueOf(repo, params);
      const at = isoSeconds(now());
      if (body.title !== undefined && body.title !== null) issue.title = String(body.title);
      if (body.body !== undefined) issue.body = typeof body.body === "string" ? body.body : null;
      if (body.labels !== undefined && canLabel(repo)) issue.labels = labelNames(repo, body.labels);
      if (Array.isArray(body.assignees) && canLabel(repo)) issue.assignees = body.assignees.map(String);
      if (body.state === "closed" && issue.state === "open") {
        issue.state = "closed";
        issue.closedAt = at;
        issue.stateReason = typeof body.state_reason === "string" ? body.state_reason : "completed";
      } else if (body.state === "open" && issue.state === "closed") {
        issue.state = "open";
        issue.closedAt = null;
        issue.stateReason = "reopened";
      }
      issue.updatedAt = at;
      return { status: 200, body: issueJson(repo, issue) };
    },

    "issues/create-comment": (params, _query, body) => {
      const repo = repositoryOf(params);
      const issue = issueOf(repo, params);
      const comment: ReceivedComment = {
        repository: issue.repository,
        issueNumber: issue.number,
        id: nextId++,
        body: String(body.body),
        createdAt: isoSeconds(now()),
      };
      comments.push(comment);
      issue.comments += 1;
      issue.updatedAt = comment.createdAt;
      return {
        status: 201,
        body: commentJson(comment),
        headers: { location: apiUrl(`/repos/${issue.repository}/issues/comments/${comment.id}`) },
      };
    },

    "issues/list-comments": (params, query) => {
      const repo = repositoryOf(params);
      const issue = issueOf(repo, params);
      const perPage = Math.min(Math.max(Number(query.get("per_page") ?? DEFAULT_PER_PAGE), 1), MAX_PER_PAGE);
      const page = Math.max(Number(query.get("page") ?? 1), 1);
      const list = comments.filter(
        (c) => c.repository === issue.repository && c.issueNumber === issue.number,
      );
      return { status: 200, body: list.slice((page - 1) * perPage, page * perPage).map(commentJson) };
    },
  };

  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    const text = body === undefined ? "" : JSON.stringify(body);
    res.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "x-github-media-type": "github.v3; format=json",
      "x-github-request-id": randomUUID().toUpperCase(),
      ...headers,
    });
    res.end(text);
  };

  const errorBody = (status: number, message: string, extra: JsonObject = {}) => ({
    message,
    documentation_url: DOCS,
    status: String(status),
    ...extra,
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", origin);
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
    if (rateLimit && rateLimit.remaining > 0 && (!rateLimit.methods || rateLimit.methods.includes(method))) {
      rateLimit.remaining -= 1;
      const requestId = randomUUID().toUpperCase();
      return reply(
        403,
        {
          message: `${SECONDARY_RATE_LIMIT_MESSAGE}${requestId}.`,
          documentation_url:
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
          status: "403",
        },
        { "retry-after": String(rateLimit.retryAfterSeconds), "x-github-request-id": requestId },
      );
    }
    // A body that breaks the schema gets GitHub's answer to it, not a guess at what was meant.
    if (problems.some((p) => p.startsWith("body") || p.startsWith("path"))) {
      return reply(422, errorBody(422, "Validation Failed", { errors: problems }));
    }
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
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: `${origin}${prefix}`,
    requests,
    violations,
    responseViolations,
    issues,
    comments,
    addRepository,
    injectSecondaryRateLimit(count, rateOptions = {}) {
      rateLimit = {
        remaining: count,
        retryAfterSeconds: rateOptions.retryAfterSeconds ?? 1,
        methods: rateOptions.methods?.map((m) => m.toUpperCase()),
      };
    },
    reset() {
      for (const list of [requests, violations, responseViolations, issues, comments]) list.length = 0;
      for (const repo of repositories.values()) {
        repo.nextNumber = 1;
        repo.labels.clear();
      }
      rateLimit = undefined;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
