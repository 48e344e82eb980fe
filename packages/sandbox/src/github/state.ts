import type { JsonObject } from "./openapi.js";
import type { ReceivedComment, ReceivedIssue, RepositoryPermissions } from "./types.js";

// What the receiver holds (repositories, their labels, issues and comments) and the rules GitHub documents for
// changing them:
// - "Create an issue" / "Update an issue" (https://docs.github.com/rest/issues/issues): labels that do not exist
//   yet are created; without push access labels and assignees are "silently dropped"; `labels` on update replaces
//   the set; closing records `state_reason` (`completed` by default), reopening sets `reopened`.
// - "List repository issues": `labels` is a comma-separated list that an issue must all carry (names compared
//   case-insensitively), `state` open (default) / closed / all.

export interface Repository {
  id: number;
  owner: string;
  name: string;
  permissions: RepositoryPermissions;
  labels: Map<string, { id: number; name: string }>;
  nextNumber: number;
}

/** Write access: what a token with `repo` scope on a repository it can push to gets. */
const FULL_PERMISSIONS: RepositoryPermissions = {
  admin: false,
  maintain: false,
  push: true,
  triage: true,
  pull: true,
};

/** A timestamp the way GitHub writes one: whole seconds, `Z`. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export const fullNameOf = (repo: Repository) => `${repo.owner}/${repo.name}`;

export class GitHubStore {
  readonly issues: ReceivedIssue[] = [];
  readonly comments: ReceivedComment[] = [];
  private readonly repositories = new Map<string, Repository>();
  private nextId = 1000;

  constructor(
    private readonly now: () => number,
    private readonly defaultPermissions: Partial<RepositoryPermissions> = {},
  ) {}

  addRepository(fullName: string, permissions: Partial<RepositoryPermissions> = {}): void {
    const [owner, name, ...rest] = fullName.split("/");
    if (!owner || !name || rest.length > 0) throw new Error(`"${fullName}" is not owner/repo`);
    this.repositories.set(fullName.toLowerCase(), {
      id: this.nextId++,
      owner,
      name,
      permissions: { ...FULL_PERMISSIONS, ...this.defaultPermissions, ...permissions },
      labels: new Map(),
      nextNumber: 1,
    });
  }

  /** The repository `owner/repo` (compared case-insensitively, as GitHub does), if it exists. */
  repository(fullName: string): Repository | undefined {
    return this.repositories.get(fullName.toLowerCase());
  }

  issue(repo: Repository, issueNumber: number): ReceivedIssue | undefined {
    return this.issues.find((i) => i.repository === fullNameOf(repo) && i.number === issueNumber);
  }

  openIssueCount(repo: Repository): number {
    return this.issues.filter((i) => i.repository === fullNameOf(repo) && i.state === "open").length;
  }

  /** The issues of "List repository issues", before paging. */
  listIssues(
    repo: Repository,
    filter: { state: string; labels: string[]; direction: string },
  ): ReceivedIssue[] {
    const wanted = filter.labels.map((l) => l.toLowerCase());
    return this.issues
      .filter((i) => i.repository === fullNameOf(repo))
      .filter((i) => filter.state === "all" || i.state === filter.state)
      .filter((i) => wanted.every((w) => i.labels.some((l) => l.toLowerCase() === w)))
      .sort((a, b) => (filter.direction === "asc" ? a.number - b.number : b.number - a.number));
  }

  commentsOf(issue: ReceivedIssue): ReceivedComment[] {
    return this.comments.filter((c) => c.repository === issue.repository && c.issueNumber === issue.number);
  }

  /** "Create an issue" with its request body. */
  createIssue(repo: Repository, body: JsonObject): ReceivedIssue {
    const at = isoSeconds(this.now());
    const issue: ReceivedIssue = {
      repository: fullNameOf(repo),
      id: this.nextId++,
      number: repo.nextNumber++,
      title: String(body.title),
      body: typeof body.body === "string" ? body.body : null,
      state: "open",
      stateReason: null,
      // "Only users with push access can set labels for new issues. Labels are silently dropped otherwise."
      labels: this.canLabel(repo) ? this.labelNames(repo, body.labels) : [],
      assignees: this.canLabel(repo) && Array.isArray(body.assignees) ? body.assignees.map(String) : [],
      comments: 0,
      createdAt: at,
      updatedAt: at,
      closedAt: null,
    };
    this.issues.push(issue);
    return issue;
  }

  /** "Update an issue" with its request body. */
  updateIssue(repo: Repository, issue: ReceivedIssue, body: JsonObject): void {
    const at = isoSeconds(this.now());
    if (body.title !== undefined && body.title !== null) issue.title = String(body.title);
    if (body.body !== undefined) issue.body = typeof body.body === "string" ? body.body : null;
    if (body.labels !== undefined && this.canLabel(repo)) issue.labels = this.labelNames(repo, body.labels);
    if (Array.isArray(body.assignees) && this.canLabel(repo)) issue.assignees = body.assignees.map(String);
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
  }

  addComment(issue: ReceivedIssue, body: string): ReceivedComment {
    const comment: ReceivedComment = {
      repository: issue.repository,
      issueNumber: issue.number,
      id: this.nextId++,
      body,
      createdAt: isoSeconds(this.now()),
    };
    this.comments.push(comment);
    issue.comments += 1;
    issue.updatedAt = comment.createdAt;
    return comment;
  }

  /** Forgets every issue, comment and label; repositories stay, numbering from 1 again. */
  reset(): void {
    this.issues.length = 0;
    this.comments.length = 0;
    for (const repo of this.repositories.values()) {
      repo.nextNumber = 1;
      repo.labels.clear();
    }
  }

  private canLabel(repo: Repository): boolean {
    return (
      repo.permissions.push || repo.permissions.triage || repo.permissions.maintain || repo.permissions.admin
    );
  }

  /** The label names of a request (strings or `{ name }`), creating the labels that do not exist yet. */
  private labelNames(repo: Repository, raw: unknown): string[] {
    const names: string[] = [];
    for (const item of Array.isArray(raw) ? raw : []) {
      const name = typeof item === "string" ? item : (item as { name?: unknown })?.name;
      if (typeof name !== "string" || name.trim() === "") continue;
      let label = repo.labels.get(name.toLowerCase());
      if (!label) {
        label = { id: this.nextId++, name };
        repo.labels.set(name.toLowerCase(), label);
      }
      if (!names.some((n) => n.toLowerCase() === name.toLowerCase())) names.push(label.name);
    }
    return names;
  }
}
