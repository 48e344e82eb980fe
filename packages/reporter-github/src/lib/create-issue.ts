import { ReporterError, type ReportOutcome } from "@ecr-scan-reporter/core";
import { fitIssueBody, renderIssueTitle } from "../render.js";
import { keptAfterCreate } from "./find-issue.js";
import type { IssueSnapshot } from "./issues-api.js";
import { hasLabel, labelsFor, listLabelOf } from "./labels.js";
import { logFields, type ReportStep } from "./step.js";

/** What one reporter remembers across its reports. */
export interface CreateState {
  /**
   * Set once GitHub dropped the labels of a new issue (the token may not label): every later report would open
   * another issue that nothing can find again, so they fail at once instead.
   */
  labelsDroppedOn?: number;
}

/** The issue just opened, and the issue kept for the image: the same one, unless another process won a race. */
export interface CreatedIssue {
  created: IssueSnapshot;
  kept: IssueSnapshot;
}

/** Opens the image's issue, then looks again for an older one opened at the same moment (see keptAfterCreate). */
export async function createIssue(step: ReportStep, state: CreateState): Promise<CreatedIssue> {
  const { api, options, report } = step;
  const listLabel = listLabelOf(options);
  if (state.labelsDroppedOn !== undefined) {
    throw new ReporterError(
      step.reporterId,
      `not opening an issue in ${api.where}: GitHub dropped the labels of issue #${state.labelsDroppedOn}, so the ` +
        "token cannot label issues (it needs triage or write access) and new issues could not be found again",
    );
  }
  const fitted = fitIssueBody(report, {
    maxFindings: options.maxFindings,
    renderer: step.renderer,
    now: step.now,
  });
  const created = await api.create({
    title: renderIssueTitle(report, step.now),
    body: fitted.body,
    labels: labelsFor(options, [], report),
    ...(options.assignees?.length ? { assignees: options.assignees } : {}),
  });
  if (!hasLabel(created.labels, listLabel)) {
    state.labelsDroppedOn = created.number;
    await api.update(created.number, { state: "closed", state_reason: "not_planned" });
    throw new ReporterError(
      step.reporterId,
      `GitHub dropped the labels of new issue #${created.number} in ${api.where} (the token needs triage or write ` +
        `access to label issues); without the "${listLabel}" label it could never be found again, so it was closed`,
    );
  }
  step.logger.info(
    "GitHub issue opened",
    logFields(step, created.number, {
      listedFindings: fitted.listedFindings,
      totalFindings: fitted.totalFindings,
    }),
  );
  return { created, kept: await keptAfterCreate(step, created) };
}

/** The outcome of opening an issue that was kept. */
export function openedOutcome(created: IssueSnapshot): ReportOutcome {
  return { status: "sent", ref: created.htmlUrl, detail: `opened issue #${created.number}` };
}

/** The outcome of the report applied to the kept issue, after the one it opened was closed as a duplicate. */
export function closedAsDuplicateOutcome(created: IssueSnapshot, onKept: ReportOutcome): ReportOutcome {
  return {
    ...onKept,
    // Something was written either way: the duplicate was opened and closed.
    status: "sent",
    detail: `${onKept.detail ?? ""}; issue #${created.number}, opened at the same moment, closed as its duplicate`,
  };
}
