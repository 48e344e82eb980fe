import { isFailedScan, type ScanReport } from "@ecr-scan-reporter/core";

/** What is known of the issue of an image, when there is one. */
export interface ExistingIssue {
  number: number;
  state: "open" | "closed";
  body: string | null;
}

/** What to do with the issue of an image for one report. */
export type IssueAction =
  | { action: "create"; failed: boolean }
  /** Rewrite the body (and title, labels); comment when the findings changed. */
  | { action: "update" }
  /** A closed issue whose image is over the thresholds again: rewrite, comment, reopen. */
  | { action: "reopen" }
  /** An open issue whose image is within the thresholds now: rewrite, comment, close. */
  | { action: "close" }
  /** A failed scan of an image that has an issue: a comment only; the body keeps the last completed scan. */
  | { action: "comment-failure" }
  | { action: "skip"; reason: string };

/**
 * The issue lifecycle, pure: due and no issue → create; due and open → update; due and closed → reopen (a
 * regression); not due and open → close; not due otherwise → nothing. A failed scan never closes or reopens: it
 * comments on the issue there is, or opens a "scan failed" issue when the policy says it is due
 * (`notifyOnScanFailure`).
 */
export function planIssueAction(
  report: Pick<ScanReport, "status" | "verdict">,
  existing: ExistingIssue | undefined,
): IssueAction {
  if (isFailedScan(report.status)) {
    if (!report.verdict.due) return { action: "skip", reason: "scan failed; notifyOnScanFailure is off" };
    return existing ? { action: "comment-failure" } : { action: "create", failed: true };
  }
  if (report.verdict.due) {
    if (!existing) return { action: "create", failed: false };
    return existing.state === "open" ? { action: "update" } : { action: "reopen" };
  }
  if (existing?.state === "open") return { action: "close" };
  return {
    action: "skip",
    reason: existing
      ? `within thresholds; issue #${existing.number} is already closed`
      : "within thresholds; no issue for this image",
  };
}
