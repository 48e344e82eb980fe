import {
  defineReporter,
  isFailedScan,
  type ReportContext,
  type Reporter,
  type ReporterDeps,
  ReporterError,
  type ReporterPlugin,
  type ReportOutcome,
  type ScanReport,
} from "@ecr-scan-reporter/core";
import {
  type ClientTuning,
  createGitHubClient,
  DEFAULT_BASE_URL,
  type GitHubClient,
  gitHubMessageOf,
  statusOf,
} from "./client.js";
import { type ExistingIssue, type IssueAction, planIssueAction } from "./lifecycle.js";
import {
  compareFindings,
  findingIdsOf,
  hasImageMarker,
  imageMarker,
  imageReferenceOf,
  parseFindingsMarker,
} from "./markers.js";
import { type GitHubReporterOptions, githubOptionsSchema } from "./options.js";
import {
  checkTemplates,
  createGitHubRenderer,
  fitIssueBody,
  renderComment,
  renderIssueTitle,
} from "./render.js";
import { imageLabelText } from "./view.js";

/** An issue as the reporter sees it in GitHub's answers. */
interface IssueSnapshot extends ExistingIssue {
  title: string;
  labels: string[];
  htmlUrl: string;
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

const sameName = (a: string) => (b: string) => a.toLowerCase() === b.toLowerCase();

function sameLabelSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name) => b.some(sameName(name)));
}

/**
 * The GitHub reporter of one configuration entry. `tuning` changes pacing and retries (tests and the sandbox
 * shorten GitHub's recommended one second between writes); the plugin's `create` uses the defaults.
 */
export function createGitHubReporter(
  options: GitHubReporterOptions,
  deps: ReporterDeps,
  tuning: ClientTuning = {},
): Reporter {
  const { owner, repo } = options;
  const where = `${owner}/${repo}`;
  const baseUrl = options.baseUrl ?? DEFAULT_BASE_URL;
  const listLabel = options.labels[0] ?? "ecr-scan";
  const renderer = createGitHubRenderer({ templates: options.templates, overrides: deps.templates });
  try {
    checkTemplates(renderer);
  } catch (error) {
    throw new ReporterError("github", error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  const severityLabelNames = options.severityLabels === false ? [] : Object.values(options.severityLabels);

  let client: Promise<GitHubClient> | undefined;
  const clientOnce = (): Promise<GitHubClient> => {
    if (!client) {
      const created = deps
        .resolveSecret(options.token)
        .then((token) => createGitHubClient(token, options.baseUrl, deps, { ...options.pacing, ...tuning }));
      // A failed secret read is not kept: the next report tries again.
      created.catch(() => {
        if (client === created) client = undefined;
      });
      client = created;
    }
    return client;
  };

  // One report per image at a time within this process: a second report of the same image waits for the first,
  // and then finds the issue the first one created.
  const chains = new Map<string, Promise<unknown>>();
  const serialized = <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const previous = chains.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(work);
    chains.set(key, run);
    const forget = () => {
      if (chains.get(key) === run) chains.delete(key);
    };
    run.then(forget, forget);
    return run;
  };

  // Set once GitHub dropped the labels of a new issue (the token may not label): every later report would open
  // another issue that nothing can find again, so they fail at once instead.
  let labelsDroppedOn: number | undefined;

  const labelsFor = (current: readonly string[], report: ScanReport): string[] => {
    const labels = current.filter((name) => !severityLabelNames.some(sameName(name)));
    for (const label of options.labels) if (!labels.some(sameName(label))) labels.push(label);
    const highest = report.verdict.highestSeverity;
    if (options.severityLabels !== false && highest && !isFailedScan(report.status)) {
      const label = options.severityLabels[highest];
      if (label && !labels.some(sameName(label))) labels.push(label);
    }
    return labels;
  };

  async function handle(report: ScanReport, ctx: ReportContext, marker: string): Promise<ReportOutcome> {
    // A failed scan the policy does not notify about changes nothing, whatever issue there is: no request at all.
    const decidedAlready = planIssueAction(report, undefined);
    if (decidedAlready.action === "skip" && isFailedScan(report.status)) {
      return { status: "skipped", detail: decidedAlready.reason };
    }
    const octokit = await clientOnce();
    const image = imageLabelText(report);

    const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      try {
        return await fn();
      } catch (error) {
        const status = statusOf(error);
        throw new ReporterError(
          ctx.reporterId,
          `${what} in GitHub repository ${where} failed${status ? ` (${status})` : ""}: ${gitHubMessageOf(error)}`,
          { cause: error },
        );
      }
    };

    const findIssues = (state: "all" | "open" = "all"): Promise<IssueSnapshot[]> =>
      call(`listing the issues labelled ${JSON.stringify(listLabel)}`, async () => {
        // "List repository issues" reads the issues themselves; the search API would be eventually consistent.
        const issues = (await octokit.paginate(octokit.rest.issues.listForRepo, {
          owner,
          repo,
          labels: listLabel,
          state,
          sort: "created",
          direction: "asc",
          per_page: 100,
        })) as IssueData[];
        return issues
          .filter((issue) => !issue.pull_request && hasImageMarker(issue.body, marker))
          .map(snapshotOf)
          .sort((a, b) => a.number - b.number);
      });

    const comment = (issueNumber: number, body: string) =>
      call(`commenting on issue #${issueNumber}`, () =>
        octokit.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body }),
      );

    const update = async (
      issueNumber: number,
      fields: {
        title?: string;
        body?: string;
        labels?: string[];
        state?: "open" | "closed";
        state_reason?: "completed" | "not_planned" | "duplicate" | "reopened";
      },
    ): Promise<IssueSnapshot> => {
      const { data } = await call(`updating issue #${issueNumber}`, () =>
        octokit.rest.issues.update({ owner, repo, issue_number: issueNumber, ...fields }),
      );
      return snapshotOf(data as IssueData);
    };

    /** Keeps the oldest issue of the image and closes the other open ones as its duplicates. */
    const keepOldest = async (issues: readonly IssueSnapshot[]): Promise<IssueSnapshot | undefined> => {
      const [kept, ...others] = [...issues].sort((a, b) => a.number - b.number);
      if (!kept) return undefined;
      for (const duplicate of others) {
        if (duplicate.state !== "open") continue;
        await comment(duplicate.number, renderComment(renderer, "duplicate", report, undefined, kept.number));
        await update(duplicate.number, { state: "closed", state_reason: "duplicate" });
        deps.logger.info("GitHub issue closed as a duplicate", {
          reporter: ctx.reporterId,
          repository: where,
          issue: duplicate.number,
          keptIssue: kept.number,
          image,
        });
      }
      return kept;
    };

    const apply = async (action: IssueAction, issue: IssueSnapshot | undefined): Promise<ReportOutcome> => {
      if (action.action === "skip") return { status: "skipped", detail: action.reason };

      if (action.action === "create") {
        if (labelsDroppedOn !== undefined) {
          throw new ReporterError(
            ctx.reporterId,
            `not opening an issue in ${where}: GitHub dropped the labels of issue #${labelsDroppedOn}, so the token ` +
              "cannot label issues (it needs triage or write access) and new issues could not be found again",
          );
        }
        const fitted = fitIssueBody(report, { maxFindings: options.maxFindings, renderer });
        const { data } = await call("opening an issue", () =>
          octokit.rest.issues.create({
            owner,
            repo,
            title: renderIssueTitle(report),
            body: fitted.body,
            labels: labelsFor([], report),
            ...(options.assignees?.length ? { assignees: options.assignees } : {}),
          }),
        );
        const created = snapshotOf(data as IssueData);
        if (!created.labels.some(sameName(listLabel))) {
          labelsDroppedOn = created.number;
          await update(created.number, { state: "closed", state_reason: "not_planned" });
          throw new ReporterError(
            ctx.reporterId,
            `GitHub dropped the labels of new issue #${created.number} in ${where} (the token needs triage or write ` +
              `access to label issues); without the "${listLabel}" label it could never be found again, so it was closed`,
          );
        }
        deps.logger.info("GitHub issue opened", {
          reporter: ctx.reporterId,
          repository: where,
          issue: created.number,
          image,
          listedFindings: fitted.listedFindings,
          totalFindings: fitted.totalFindings,
        });
        // GitHub has no conditional create: another process may have opened the same issue at the same moment.
        // Look again; the oldest issue of the image wins, newer ones are closed as its duplicates.
        const found = await findIssues();
        const all = found.some((i) => i.number === created.number) ? found : [...found, created];
        const kept = await keepOldest(all);
        if (kept && kept.number !== created.number) {
          const outcome = await apply(planIssueAction(report, kept), kept);
          return {
            ...outcome,
            // Something was written either way: the duplicate was opened and closed.
            status: "sent",
            detail: `${outcome.detail ?? ""}; issue #${created.number}, opened at the same moment, closed as its duplicate`,
          };
        }
        return { status: "sent", ref: created.htmlUrl, detail: `opened issue #${created.number}` };
      }

      if (!issue) throw new Error(`${action.action} needs an issue`);

      if (action.action === "comment-failure") {
        await comment(issue.number, renderComment(renderer, "scan-failed", report));
        deps.logger.info("GitHub issue commented: scan failed", {
          reporter: ctx.reporterId,
          repository: where,
          issue: issue.number,
          image,
        });
        return {
          status: "sent",
          ref: issue.htmlUrl,
          detail: `commented on issue #${issue.number}: scan failed`,
        };
      }

      const fitted = fitIssueBody(report, { maxFindings: options.maxFindings, renderer });
      const change = compareFindings(parseFindingsMarker(issue.body), findingIdsOf(report));
      const labels = labelsFor(issue.labels, report);
      const fields: Parameters<typeof update>[1] = {};
      if (issue.body !== fitted.body) fields.body = fitted.body;
      if (!sameLabelSet(issue.labels, labels)) fields.labels = labels;

      if (action.action === "close") {
        // The comment goes first: if the update then fails, the retry says it again rather than never.
        await comment(issue.number, renderComment(renderer, "closed", report, change));
        await update(issue.number, { ...fields, state: "closed", state_reason: "completed" });
        deps.logger.info("GitHub issue closed: within thresholds", {
          reporter: ctx.reporterId,
          repository: where,
          issue: issue.number,
          image,
        });
        return { status: "sent", ref: issue.htmlUrl, detail: `closed issue #${issue.number}` };
      }

      const title = renderIssueTitle(report);
      if (issue.title !== title) fields.title = title;
      const reopen = action.action === "reopen";
      // An unchanged set of findings is no news: the body is refreshed quietly (a redelivered report changes nothing).
      const commented = reopen || change.changed;
      if (commented) {
        await comment(issue.number, renderComment(renderer, reopen ? "reopened" : "updated", report, change));
      }
      if (reopen) {
        fields.state = "open";
        fields.state_reason = "reopened";
      }
      if (Object.keys(fields).length > 0) await update(issue.number, fields);
      const counts =
        change.newCount !== undefined
          ? `${change.newCount} new, ${change.fixedCount ?? 0} fixed, ${change.unchangedCount ?? 0} unchanged`
          : change.changed
            ? "findings changed"
            : "findings unchanged";
      deps.logger.info(reopen ? "GitHub issue reopened: over thresholds again" : "GitHub issue updated", {
        reporter: ctx.reporterId,
        repository: where,
        issue: issue.number,
        image,
        change: counts,
        commented,
      });
      if (!reopen && !commented && Object.keys(fields).length === 0) {
        return {
          status: "skipped",
          ref: issue.htmlUrl,
          detail: `issue #${issue.number} is already up to date`,
        };
      }
      return {
        status: "sent",
        ref: issue.htmlUrl,
        detail: `${reopen ? "reopened" : "updated"} issue #${issue.number}: ${counts}`,
      };
    };

    // A report within the thresholds can only close an open issue: listing the open ones is enough, and cheaper.
    const kept = await keepOldest(await findIssues(report.verdict.due ? "all" : "open"));
    return apply(planIssueAction(report, kept), kept);
  }

  return {
    async verify() {
      const octokit = await clientOnce();
      let data: { has_issues?: boolean; permissions?: Record<string, boolean | undefined> };
      try {
        ({ data } = await octokit.rest.repos.get({ owner, repo }));
      } catch (error) {
        const status = statusOf(error);
        throw new ReporterError(
          "github",
          `cannot read GitHub repository ${where} at ${baseUrl}${status ? ` (${status})` : ""}: ` +
            `${gitHubMessageOf(error)}. Check that the repository exists and that the token may read it and ` +
            "write its issues (fine-grained token: Issues read/write and Metadata read; classic token: repo scope).",
          { cause: error },
        );
      }
      if (data.has_issues === false) {
        throw new ReporterError(
          "github",
          `GitHub repository ${where} has issues turned off: turn them on in its settings`,
        );
      }
      const p = data.permissions;
      if (p && !(p.push || p.triage || p.maintain || p.admin)) {
        throw new ReporterError(
          "github",
          `the token can read ${where} but cannot label its issues (it needs triage or write access): GitHub would ` +
            "drop the labels by which issues are found again",
        );
      }
    },

    report(report, ctx) {
      const marker = imageMarker(imageReferenceOf(report));
      return serialized(marker, () => handle(report, ctx, marker));
    },
  };
}

/**
 * The `github` reporter plugin with its own pacing and retries: the sandbox demo and tests shorten GitHub's
 * recommended one second between writes. `githubReporter` is this with the defaults.
 */
export function defineGitHubReporter(tuning: ClientTuning = {}): ReporterPlugin<GitHubReporterOptions> {
  return defineReporter({
    name: "github",
    optionsSchema: githubOptionsSchema,
    receives: "all",
    preview(report, options, deps) {
      const renderer = createGitHubRenderer({ templates: options.templates, overrides: deps.templates });
      const body = fitIssueBody(report, { maxFindings: options.maxFindings, renderer }).body;
      return [
        { name: "issue-title.txt", content: `${renderIssueTitle(report)}\n` },
        { name: "issue-body.md", content: body },
      ];
    },
    create: (options, deps) => createGitHubReporter(options, deps, tuning),
  });
}

/**
 * Built-in `github` reporter: one issue per image (repository and tag, or digest when untagged), found again by a
 * hidden marker and a label, opened, updated, closed and reopened as the scans change. It receives every report,
 * due or not, since a scan within the thresholds closes the issue.
 */
export const githubReporter = defineGitHubReporter();
