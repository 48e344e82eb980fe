import { hasImageMarker } from "../markers.js";
import { renderComment } from "../render.js";
import type { IssueSnapshot } from "./issues-api.js";
import { listLabelOf } from "./labels.js";
import { logFields, type ReportStep } from "./step.js";

/** The issues of the image, oldest first: those listed by the first label whose body carries the image's marker. */
async function imageIssues(step: ReportStep, state: "all" | "open"): Promise<IssueSnapshot[]> {
  const listed = await step.api.list(listLabelOf(step.options), state);
  return listed.filter((issue) => hasImageMarker(issue.body, step.marker));
}

/** Keeps the oldest issue of the image and closes the other open ones as its duplicates. */
async function keepOldest(
  step: ReportStep,
  issues: readonly IssueSnapshot[],
): Promise<IssueSnapshot | undefined> {
  const [kept, ...others] = [...issues].sort((a, b) => a.number - b.number);
  if (!kept) return undefined;
  for (const duplicate of others) {
    if (duplicate.state !== "open") continue;
    await step.api.comment(
      duplicate.number,
      renderComment(step.renderer, "duplicate", step.report, undefined, kept.number, step.now),
    );
    await step.api.update(duplicate.number, { state: "closed", state_reason: "duplicate" });
    step.logger.info(
      "GitHub issue closed as a duplicate",
      logFields(step, duplicate.number, { keptIssue: kept.number }),
    );
  }
  return kept;
}

/**
 * The issue of the image, if any. Every lookup also closes the image's newer open issues as duplicates, so one
 * left over from a race that both processes missed goes at the next report.
 */
export async function findIssue(step: ReportStep): Promise<IssueSnapshot | undefined> {
  // A report within the thresholds can only close an open issue: listing the open ones is enough, and cheaper.
  return keepOldest(step, await imageIssues(step, step.report.verdict.due ? "all" : "open"));
}

/**
 * The issue kept for the image right after `created` was opened. GitHub has no conditional create: another process
 * may have opened the same issue at the same moment. Look again; the oldest issue of the image wins, newer ones
 * are closed as its duplicates (perhaps `created` itself).
 */
export async function keptAfterCreate(step: ReportStep, created: IssueSnapshot): Promise<IssueSnapshot> {
  const found = await imageIssues(step, "all");
  const all = found.some((i) => i.number === created.number) ? found : [...found, created];
  return (await keepOldest(step, all)) ?? created;
}
