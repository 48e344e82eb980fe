import { fullNameOf, type GitHubStore, isoSeconds, type Repository } from "./state.js";
import type { ReceivedComment, ReceivedIssue } from "./types.js";

// The JSON GitHub answers for users, repositories, labels, issues and comments: every member the description's
// response schemas require (the receiver can check its answers against them with `validateResponses`).

/** The receiver's URLs; the origin is known once it listens. */
export class GitHubUrls {
  origin = "";

  constructor(readonly prefix: string) {}

  /** A page of the web interface (`/owner/repo/issues/1`). */
  web(path: string): string {
    return `${this.origin}${path}`;
  }

  /** An API resource, under the prefix (`/api/v3/repos/owner/repo`). */
  api(path: string): string {
    return `${this.origin}${this.prefix}${path}`;
  }
}

export class GitHubRepresentations {
  constructor(
    private readonly urls: GitHubUrls,
    private readonly store: GitHubStore,
  ) {}

  user() {
    const login = "ecr-scan-bot";
    const url = this.urls.api(`/users/${login}`);
    return {
      login,
      id: 1,
      node_id: "U_kgDOAAAAAQ",
      avatar_url: this.urls.web(`/avatars/${login}`),
      gravatar_id: "",
      url,
      html_url: this.urls.web(`/${login}`),
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
  }

  repository(repo: Repository) {
    const full = fullNameOf(repo);
    const url = this.urls.api(`/repos/${full}`);
    const created = isoSeconds(Date.UTC(2024, 0, 1));
    const templated = (name: string, suffix = "") => [`${name}_url`, `${url}/${name}${suffix}`];
    const openIssues = this.store.openIssueCount(repo);
    const host = this.urls.origin.replace(/^https?:\/\//, "");
    return {
      id: repo.id,
      node_id: `R_${repo.id}`,
      name: repo.name,
      full_name: full,
      owner: { ...this.user(), login: repo.owner, type: "Organization" },
      private: true,
      html_url: this.urls.web(`/${full}`),
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
      clone_url: `${this.urls.web(`/${full}`)}.git`,
      git_url: `git://${host}/${full}.git`,
      ssh_url: `git@${host}:${full}.git`,
      svn_url: this.urls.web(`/${full}`),
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
  }

  label(repo: Repository, name: string) {
    const label = repo.labels.get(name.toLowerCase()) ?? { id: 0, name };
    return {
      id: label.id,
      node_id: `LA_${label.id}`,
      url: this.urls.api(`/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(label.name)}`),
      name: label.name,
      description: null,
      color: "ededed",
      default: false,
    };
  }

  issue(repo: Repository, issue: ReceivedIssue) {
    const url = this.urls.api(`/repos/${issue.repository}/issues/${issue.number}`);
    const user = this.user();
    const assignees = issue.assignees.map((login) => ({ ...user, login }));
    return {
      id: issue.id,
      node_id: `I_${issue.id}`,
      url,
      repository_url: this.urls.api(`/repos/${issue.repository}`),
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: this.urls.web(`/${issue.repository}/issues/${issue.number}`),
      number: issue.number,
      state: issue.state,
      state_reason: issue.stateReason,
      title: issue.title,
      body: issue.body,
      user,
      labels: issue.labels.map((name) => this.label(repo, name)),
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
  }

  comment(comment: ReceivedComment) {
    return {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      url: this.urls.api(`/repos/${comment.repository}/issues/comments/${comment.id}`),
      html_url: this.urls.web(
        `/${comment.repository}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
      ),
      issue_url: this.urls.api(`/repos/${comment.repository}/issues/${comment.issueNumber}`),
      body: comment.body,
      user: this.user(),
      created_at: comment.createdAt,
      updated_at: comment.createdAt,
      author_association: "NONE",
    };
  }
}
