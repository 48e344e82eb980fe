import {
  type Digest,
  type DigestImage,
  type ReporterDeps,
  ReporterError,
  type ReportOutcome,
} from "@ecr-scan-reporter/core";
import {
  digestCounts,
  type FittedDigestBody,
  fitDigestBody,
  type ImageIssueLookup,
  renderDigestComment,
  renderDigestTitle,
} from "../digest-render.js";
import { hasDigestMarker, imageMarker, imageMarkerOf, parseDigestStateMarker } from "../markers.js";
import type { GitHubReporterOptions } from "../options.js";
import type { CreateState } from "./create-issue.js";
import type { IssueFields, IssueSnapshot, IssuesApi } from "./issues-api.js";
import { hasLabel, listLabelOf } from "./labels.js";

// The tracking issue of a route's digests: one per route, found again by the route's marker among the issues
// carrying the reporter's first label — the same listing that finds the per-image issues the body links to. Created
// when there is none, its body replaced each period with a comment on what changed, reopened when people closed it.

/** What one digest delivery works with. */
export interface DigestStep {
  api: IssuesApi;
  digest: Digest;
  /** The route's hidden marker. */
  marker: string;
  options: GitHubReporterOptions;
  logger: ReporterDeps["logger"];
  reporterId: string;
  /** Shared with the reports: set once GitHub dropped the labels of an issue this reporter opened. */
  state: CreateState;
}

function logFields(step: DigestStep, issue: number, extra: Record<string, unknown> = {}) {
  return {
    reporter: step.reporterId,
    repository: step.api.where,
    issue,
    period: step.digest.period.key,
    ...extra,
  };
}

/**
 * The per-image issues of a listing, by image marker: the open one when there are several (closed ones are history),
 * else the oldest. The digest's images are then looked up in memory: one listing for the digest, not one per image.
 */
export function imageIssueIndex(issues: readonly IssueSnapshot[]): Map<string, IssueSnapshot> {
  const index = new Map<string, IssueSnapshot>();
  for (const issue of [...issues].sort((a, b) => a.number - b.number)) {
    const marker = imageMarkerOf(issue.body);
    if (!marker) continue;
    const known = index.get(marker);
    if (!known || (known.state === "closed" && issue.state === "open")) index.set(marker, issue);
  }
  return index;
}

/**
 * The per-image issue of an image over the thresholds: reports key an image's issue by the first tag of their scan
 * (or its digest when untagged), and the tags that point at an image now may come in another order, so each tag is
 * tried, then the digest.
 */
export function imageIssueLookup(index: ReadonlyMap<string, IssueSnapshot>): ImageIssueLookup {
  return (image: DigestImage) => {
    const base = { registryId: image.registryId, repository: image.repository };
    const markers = [
      ...image.tags
        .filter((tag) => tag !== "")
        .map((tag) => imageMarker({ ...base, kind: "tag", value: tag })),
      imageMarker({ ...base, kind: "digest", value: image.digest }),
    ];
    const found = markers.map((marker) => index.get(marker)).filter((issue) => issue !== undefined);
    return (found.find((issue) => issue.state === "open") ?? found[0])?.number;
  };
}

/** The route's tracking issues in a listing, oldest first. */
function ownIssues(step: DigestStep, issues: readonly IssueSnapshot[]): IssueSnapshot[] {
  return issues
    .filter((issue) => hasDigestMarker(issue.body, step.marker))
    .sort((a, b) => a.number - b.number);
}

/** Keeps the oldest tracking issue of the route and closes the other open ones as its duplicates. */
async function keepOldest(
  step: DigestStep,
  issues: readonly IssueSnapshot[],
): Promise<IssueSnapshot | undefined> {
  const [kept, ...others] = issues;
  if (!kept) return undefined;
  for (const duplicate of others) {
    if (duplicate.state !== "open") continue;
    await step.api.comment(
      duplicate.number,
      `Duplicate of #${kept.number}: the digests of this route were sent at the same moment twice, and ` +
        `#${kept.number} is the issue kept for them.`,
    );
    await step.api.update(duplicate.number, { state: "closed", state_reason: "duplicate" });
    step.logger.info(
      "GitHub digest issue closed as a duplicate",
      logFields(step, duplicate.number, { kept: kept.number }),
    );
  }
  return kept;
}

/** Opens the route's tracking issue; like a report's issue, never left without the label it is found by. */
async function createTrackingIssue(step: DigestStep, fitted: FittedDigestBody): Promise<IssueSnapshot> {
  const { api, options, state } = step;
  const listLabel = listLabelOf(options);
  if (state.labelsDroppedOn !== undefined) {
    throw new ReporterError(
      step.reporterId,
      `not opening a digest issue in ${api.where}: GitHub dropped the labels of issue #${state.labelsDroppedOn}, so ` +
        "the token cannot label issues (it needs triage or write access) and new issues could not be found again",
    );
  }
  const created = await api.create({
    title: renderDigestTitle(step.digest),
    body: fitted.body,
    labels: [...options.labels],
    ...(options.assignees?.length ? { assignees: options.assignees } : {}),
  });
  if (!hasLabel(created.labels, listLabel)) {
    state.labelsDroppedOn = created.number;
    await api.update(created.number, { state: "closed", state_reason: "not_planned" });
    throw new ReporterError(
      step.reporterId,
      `GitHub dropped the labels of new digest issue #${created.number} in ${api.where} (the token needs triage or ` +
        `write access to label issues); without the "${listLabel}" label it could never be found again, so it was closed`,
    );
  }
  step.logger.info(
    "GitHub digest issue opened",
    logFields(step, created.number, { listLimit: fitted.listLimit }),
  );
  return created;
}

/**
 * Brings an existing tracking issue to this digest: the comment first (a new period, or a reopening), then one
 * update with what differs (body, title, missing configured labels, state). A digest of a period the body already
 * shows (a retry) says nothing again: it only rewrites what differs.
 */
async function updateTrackingIssue(
  step: DigestStep,
  issue: IssueSnapshot,
  fitted: FittedDigestBody,
): Promise<ReportOutcome> {
  const { digest, options } = step;
  const previous = parseDigestStateMarker(issue.body);
  const reopen = issue.state === "closed";
  const newPeriod = previous?.period !== digest.period.key;
  const fields: IssueFields = {};
  if (issue.body !== fitted.body) fields.body = fitted.body;
  const title = renderDigestTitle(digest);
  if (issue.title !== title) fields.title = title;
  const missing = options.labels.filter((label) => !hasLabel(issue.labels, label));
  if (missing.length > 0) fields.labels = [...issue.labels, ...missing];
  if (reopen) {
    fields.state = "open";
    fields.state_reason = "reopened";
  }
  // As for reports: the comment goes before the update, so a failed update is retried with it rather than never.
  const commented = reopen || newPeriod;
  if (commented) {
    await step.api.comment(
      issue.number,
      renderDigestComment(digest, newPeriod ? previous : undefined, reopen ? "reopened" : "updated"),
    );
  }
  const written = Object.keys(fields).length > 0;
  if (written) await step.api.update(issue.number, fields);
  const counts = digestCounts(digest);
  step.logger.info(
    reopen ? "GitHub digest issue reopened" : "GitHub digest issue updated",
    logFields(step, issue.number, { counts, commented, listLimit: fitted.listLimit }),
  );
  if (!commented && !written) {
    return {
      status: "skipped",
      ref: issue.htmlUrl,
      detail: `digest issue #${issue.number} is already up to date`,
    };
  }
  return {
    status: "sent",
    ref: issue.htmlUrl,
    detail: `${reopen ? "reopened" : "updated"} digest issue #${issue.number}: ${counts}`,
  };
}

/**
 * Sends one digest to the route's tracking issue. One listing of the label finds both the tracking issue and the
 * per-image issues the body links to. Without a tracking issue one is opened, then the listing is read again: when
 * another process opened one at the same moment, the oldest is kept and the others closed as its duplicates, and
 * the digest goes to the kept one.
 */
export async function sendDigest(step: DigestStep): Promise<ReportOutcome> {
  const listed = await step.api.list(listLabelOf(step.options), "all");
  const fitted = fitDigestBody(step.digest, { issueFor: imageIssueLookup(imageIssueIndex(listed)) });
  const existing = await keepOldest(step, ownIssues(step, listed));
  if (existing) return updateTrackingIssue(step, existing, fitted);

  const created = await createTrackingIssue(step, fitted);
  const again = ownIssues(step, await step.api.list(listLabelOf(step.options), "all"));
  const all = again.some((issue) => issue.number === created.number) ? again : [...again, created];
  const kept = (await keepOldest(step, all)) ?? created;
  if (kept.number === created.number) {
    return { status: "sent", ref: created.htmlUrl, detail: `opened digest issue #${created.number}` };
  }
  const onKept = await updateTrackingIssue(step, kept, fitted);
  return {
    ...onKept,
    status: "sent",
    detail: `${onKept.detail ?? ""}; digest issue #${created.number}, opened at the same moment, closed as its duplicate`,
  };
}
