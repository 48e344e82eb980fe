import {
  changesShort,
  type ReportChanges,
  type ReportOutcome,
  reportedChanges,
} from "@ecr-scan-reporter/core";
import { compareFindings, type FindingsChange, findingIdsOf, parseFindingsMarker } from "../markers.js";
import { fitIssueBody, renderComment, renderIssueTitle } from "../render.js";
import type { IssueFields, IssueSnapshot } from "./issues-api.js";
import { labelsFor, sameLabelSet } from "./labels.js";
import { logFields, type ReportStep } from "./step.js";

// The comment always goes before the update that closes, reopens or rewrites: if the update then fails, the
// dispatcher's retry says it again rather than never.

/** A failed scan of an image with an issue: a comment only; the body keeps the last completed scan. */
export async function commentFailure(step: ReportStep, issue: IssueSnapshot): Promise<ReportOutcome> {
  await step.api.comment(
    issue.number,
    renderComment(step.renderer, "scan-failed", step.report, undefined, undefined, step.now),
  );
  step.logger.info("GitHub issue commented: scan failed", logFields(step, issue.number));
  return { status: "sent", ref: issue.htmlUrl, detail: `commented on issue #${issue.number}: scan failed` };
}

/** The body and labels the issue needs for this report (only those that differ), and what changed. */
function rewrite(step: ReportStep, issue: IssueSnapshot): { fields: IssueFields; change: FindingsChange } {
  const { options, report } = step;
  const fitted = fitIssueBody(report, {
    maxFindings: options.maxFindings,
    renderer: step.renderer,
    now: step.now,
  });
  const change = compareFindings(parseFindingsMarker(issue.body), findingIdsOf(report));
  const labels = labelsFor(options, issue.labels, report);
  const fields: IssueFields = {};
  if (issue.body !== fitted.body) fields.body = fitted.body;
  if (!sameLabelSet(issue.labels, labels)) fields.labels = labels;
  return { fields, change };
}

/** An open issue whose image is within the thresholds now: comment, rewrite, close as completed. */
export async function closeIssue(step: ReportStep, issue: IssueSnapshot): Promise<ReportOutcome> {
  const { fields, change } = rewrite(step, issue);
  await step.api.comment(
    issue.number,
    renderComment(step.renderer, "closed", step.report, change, undefined, step.now),
  );
  await step.api.update(issue.number, { ...fields, state: "closed", state_reason: "completed" });
  step.logger.info("GitHub issue closed: within thresholds", logFields(step, issue.number));
  return { status: "sent", ref: issue.htmlUrl, detail: `closed issue #${issue.number}` };
}

/**
 * What changed, as the outcome and the log say it: the ledger's changes when it tells them (core's short wording),
 * else the counts of the issue marker's comparison.
 */
function changeCounts(change: FindingsChange, ledger: ReportChanges | undefined, short: string): string {
  if (ledger) return short;
  if (change.newCount !== undefined) {
    return `${change.newCount} new, ${change.fixedCount ?? 0} fixed, ${change.unchangedCount ?? 0} unchanged`;
  }
  return change.changed ? "findings changed" : "findings unchanged";
}

/**
 * An issue whose image is over the thresholds: rewrite body, title and labels, comment when the findings changed,
 * and reopen it when it was closed (a regression, always commented).
 */
export async function updateIssue(
  step: ReportStep,
  issue: IssueSnapshot,
  reopen: boolean,
): Promise<ReportOutcome> {
  const { fields, change } = rewrite(step, issue);
  const title = renderIssueTitle(step.report, step.now);
  if (issue.title !== title) fields.title = title;
  // One notion of change in the product: the findings ledger's (report.changes), which also knows raised
  // severities. The issue's hidden findings marker is only the fallback, when the ledger tells nothing: no ledger
  // configured, or the ledger's first report for the image while the issue remembers an earlier one. A finding
  // added to CISA's KEV catalog since is news too (issue 16), though the findings themselves did not change.
  const ledger = reportedChanges(step.report);
  const news = ledger
    ? ledger.newFindings.length +
        ledger.severityRaised.length +
        ledger.fixedFindings.length +
        (ledger.nowKnownExploited?.length ?? 0) >
      0
    : change.changed;
  // An unchanged set of findings is no news: the body is refreshed quietly (a redelivered report changes nothing).
  const commented = reopen || news;
  if (commented) {
    const event = reopen ? "reopened" : "updated";
    await step.api.comment(
      issue.number,
      renderComment(step.renderer, event, step.report, change, undefined, step.now),
    );
  }
  if (reopen) {
    fields.state = "open";
    fields.state_reason = "reopened";
  }
  const written = Object.keys(fields).length > 0;
  if (written) await step.api.update(issue.number, fields);
  const counts = changeCounts(change, ledger, changesShort(step.report) ?? "");
  step.logger.info(
    reopen ? "GitHub issue reopened: over thresholds again" : "GitHub issue updated",
    logFields(step, issue.number, { change: counts, commented }),
  );
  if (!commented && !written) {
    return { status: "skipped", ref: issue.htmlUrl, detail: `issue #${issue.number} is already up to date` };
  }
  return {
    status: "sent",
    ref: issue.htmlUrl,
    detail: `${reopen ? "reopened" : "updated"} issue #${issue.number}: ${counts}`,
  };
}
