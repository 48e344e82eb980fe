import { ReporterError } from "@ecr-scan-reporter/core";
import { type GitHubClient, gitHubMessageOf, statusOf } from "../client.js";
import type { ExistingIssue } from "../lifecycle.js";

/** An issue as the reporter sees it in GitHub's answers. */
export interface IssueSnapshot extends ExistingIssue {
  title: string;
  labels: string[];
  htmlUrl: string;
}

/** The fields of an issue the reporter writes. */
export interface IssueFields {
  title?: string;
  body?: string;
  labels?: string[];
  state?: "open" | "closed";
  state_reason?: "completed" | "not_planned" | "duplicate" | "reopened";
}

interface IssueData {
  number: number;
  state?: string;
  title: string;
  body?: string | null;
  html_url: string;
  labels: (string | { name?: string })[];
  pull_request?: unknown;
}

function snapshotOf(data: IssueData): IssueSnapshot {
  return {
    number: data.number,
    state: data.state === "closed" ? "closed" : "open",
    title: data.title,
    body: data.body ?? null,
    htmlUrl: data.html_url,
    labels: data.labels
      .map((l) => (typeof l === "string" ? l : (l.name ?? "")))
      .filter((name) => name !== ""),
  };
}

/** The issue requests of one repository; a failed one is a ReporterError saying what was done, where, and why. */
export interface IssuesApi {
  /** `owner/repo`, for messages and logs. */
  readonly where: string;
  /** Every issue (never a pull request) carrying `label`, oldest first, every page. */
  list(label: string, state: "all" | "open"): Promise<IssueSnapshot[]>;
  create(
    fields: Required<Pick<IssueFields, "title" | "body" | "labels">> & { assignees?: string[] },
  ): Promise<IssueSnapshot>;
  comment(issueNumber: number, body: string): Promise<void>;
  update(issueNumber: number, fields: IssueFields): Promise<IssueSnapshot>;
}

export function issuesApi(
  octokit: GitHubClient,
  target: { owner: string; repo: string },
  reporterId: string,
): IssuesApi {
  const { owner, repo } = target;
  const where = `${owner}/${repo}`;
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      const status = statusOf(error);
      throw new ReporterError(
        reporterId,
        `${what} in GitHub repository ${where} failed${status ? ` (${status})` : ""}: ${gitHubMessageOf(error)}`,
        { cause: error },
      );
    }
  };
  return {
    where,
    list: (label, state) =>
      call(`listing the issues labelled ${JSON.stringify(label)}`, async () => {
        // "List repository issues" reads the issues themselves; the search API would be eventually consistent.
        const issues = (await octokit.paginate(octokit.rest.issues.listForRepo, {
          owner,
          repo,
          labels: label,
          state,
          sort: "created",
          direction: "asc",
          per_page: 100,
        })) as IssueData[];
        return issues
          .filter((issue) => !issue.pull_request)
          .map(snapshotOf)
          .sort((a, b) => a.number - b.number);
      }),
    create: async (fields) => {
      const { data } = await call("opening an issue", () =>
        octokit.rest.issues.create({ owner, repo, ...fields }),
      );
      return snapshotOf(data as IssueData);
    },
    comment: async (issueNumber, body) => {
      await call(`commenting on issue #${issueNumber}`, () =>
        octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body }),
      );
    },
    update: async (issueNumber, fields) => {
      const { data } = await call(`updating issue #${issueNumber}`, () =>
        octokit.rest.issues.update({ owner, repo, issue_number: issueNumber, ...fields }),
      );
      return snapshotOf(data as IssueData);
    },
  };
}
