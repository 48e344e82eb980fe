import {
  defineReporter,
  isFailedScan,
  type ReportContext,
  type Reporter,
  type ReporterDeps,
  type ReporterPlugin,
  type ReportOutcome,
  type ScanReport,
} from "@ecr-scan-reporter/core";
import { type ClientTuning, DEFAULT_BASE_URL } from "./client.js";
import { fitDigestBody, renderDigestComment, renderDigestTitle } from "./digest-render.js";
import {
  type CreateState,
  closedAsDuplicateOutcome,
  createIssue,
  openedOutcome,
} from "./lib/create-issue.js";
import { sendDigest } from "./lib/digest-issue.js";
import { findIssue } from "./lib/find-issue.js";
import { type IssueSnapshot, issuesApi } from "./lib/issues-api.js";
import { lazyClient } from "./lib/lazy-client.js";
import { perKeyQueue } from "./lib/per-key-queue.js";
import type { ReportStep } from "./lib/step.js";
import { closeIssue, commentFailure, updateIssue } from "./lib/update-issue.js";
import { verifyRepository } from "./lib/verify.js";
import { type IssueAction, planIssueAction } from "./lifecycle.js";
import { digestMarker, imageMarker, imageReferenceOf } from "./markers.js";
import { type GitHubReporterOptions, githubOptionsSchema } from "./options.js";
import { checkTemplates, createGitHubRenderer, fitIssueBody, renderIssueTitle } from "./render.js";
import { imageLabelText } from "./view.js";

// The reporter's lifecycle only: each step (find, create, update, close, verify) is a module of ./lib.

/** Carries out the planned action on the image's issue. */
async function apply(
  step: ReportStep,
  state: CreateState,
  action: IssueAction,
  issue: IssueSnapshot | undefined,
): Promise<ReportOutcome> {
  if (action.action === "skip") return { status: "skipped", detail: action.reason };
  if (action.action === "create") {
    const { created, kept } = await createIssue(step, state);
    if (kept.number === created.number) return openedOutcome(created);
    // Another process opened the image's issue first: ours was closed as its duplicate; the report goes there.
    const onKept = await apply(step, state, planIssueAction(step.report, kept), kept);
    return closedAsDuplicateOutcome(created, onKept);
  }
  if (!issue) throw new Error(`${action.action} needs an issue`);
  if (action.action === "comment-failure") return commentFailure(step, issue);
  if (action.action === "close") return closeIssue(step, issue);
  return updateIssue(step, issue, action.action === "reopen");
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
  const renderer = createGitHubRenderer({ templates: options.templates, overrides: deps.templates });
  checkTemplates(renderer);
  const client = lazyClient(options, deps, tuning);
  const oneAtATime = perKeyQueue();
  const state: CreateState = {};

  async function handle(report: ScanReport, ctx: ReportContext, marker: string): Promise<ReportOutcome> {
    // A failed scan the policy does not notify about changes nothing, whatever issue there is: no request at all.
    const decidedAlready = planIssueAction(report, undefined);
    if (decidedAlready.action === "skip" && isFailedScan(report.status)) {
      return { status: "skipped", detail: decidedAlready.reason };
    }
    const step: ReportStep = {
      api: issuesApi(await client(), { owner, repo }, ctx.reporterId),
      report,
      marker,
      image: imageLabelText(report),
      options,
      renderer,
      logger: deps.logger,
      reporterId: ctx.reporterId,
      now: deps.clock(),
    };
    const issue = await findIssue(step);
    return apply(step, state, planIssueAction(report, issue), issue);
  }

  return {
    async verify() {
      await verifyRepository(await client(), { owner, repo, baseUrl: options.baseUrl ?? DEFAULT_BASE_URL });
    },

    report(report, ctx) {
      // One report per image at a time within this process: a second report of the same image waits for the
      // first, and then finds the issue the first one created.
      const marker = imageMarker(imageReferenceOf(report));
      return oneAtATime(marker, () => handle(report, ctx, marker));
    },

    digest(digest, ctx) {
      // One digest per route at a time within this process: a second one finds the issue the first opened.
      const marker = digestMarker(digest.route.reporterId);
      return oneAtATime(marker, async () =>
        sendDigest({
          api: issuesApi(await client(), { owner, repo }, ctx.reporterId),
          digest,
          marker,
          options,
          logger: deps.logger,
          reporterId: ctx.reporterId,
          state,
        }),
      );
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
    contractVersion: 2,
    previewDigest(digest) {
      // Without GitHub there are no per-image issues to link, and no previous digest to compare with.
      return [
        { name: "digest-issue-title.txt", content: `${renderDigestTitle(digest)}\n` },
        { name: "digest-issue-body.md", content: fitDigestBody(digest).body },
        { name: "digest-comment.md", content: `${renderDigestComment(digest, undefined, "updated")}\n` },
      ];
    },
    preview(report, options, deps) {
      const renderer = createGitHubRenderer({ templates: options.templates, overrides: deps.templates });
      const now = deps.clock();
      const body = fitIssueBody(report, { maxFindings: options.maxFindings, renderer, now }).body;
      return [
        { name: "issue-title.txt", content: `${renderIssueTitle(report, now)}\n` },
        { name: "issue-body.md", content: body },
      ];
    },
    create: (options, deps) => createGitHubReporter(options, deps, tuning),
  });
}

/**
 * Built-in `github` reporter: one issue per image (repository and tag, or digest when untagged), found again by a
 * hidden marker and a label, opened, updated, closed and reopened as the scans change. It receives every report,
 * due or not, since a scan within the thresholds closes the issue. Contract v2: one tracking issue per route for its
 * digests, its body replaced each period, with a comment on what changed.
 */
export const githubReporter = defineGitHubReporter();
