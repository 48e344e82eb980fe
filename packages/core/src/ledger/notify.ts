import type { PolicyVerdict, ReportChanges } from "../model.js";

/** How noisy a reporter is (`reporters[].notify`): only what changed (the default), or every due report. */
export type NotifyMode = "changes" | "always";

export const NOTIFY_MODES: readonly NotifyMode[] = ["changes", "always"];

/** What a reporter was last sent for an image reference (its SENT item), as the decision needs it. */
export interface LastSent {
  scanKey: string;
  /** That report's verdict was due: over the thresholds, or a failed scan. */
  over: boolean;
  /** That report was about a failed scan. */
  failed?: boolean;
  /** "pending": claimed but not known to be sent; such a scan key does not count as sent (the claim decides). */
  state?: "pending" | "sent";
  /** The CVE ids that report showed as known exploited. */
  kevIds?: readonly string[];
}

export interface NotificationInput {
  mode: NotifyMode;
  verdictDue: boolean;
  verdictReason: PolicyVerdict["reason"];
  /**
   * Absent when no ledger is configured (or it could not be read): changes cannot be computed. For a failed scan,
   * which has no findings to compare, only its presence matters (pass `computeChanges([], undefined)` or the like).
   */
  changes: ReportChanges | undefined;
  /** Absent when this reporter was never sent anything for the image reference. */
  lastSent?: LastSent;
  /** The scan completion this report is about (records.ts `scanKeyOf`). */
  scanKey: string;
}

export type NotificationKind = "report" | "back-within-thresholds";

export type NotificationWhy =
  | "first-report"
  | "new-findings"
  | "severity-raised"
  /** Findings of the report were added to CISA's KEV catalog since it was sent (a KEV escalation, without a rescan). */
  | "now-known-exploited"
  /**
   * A KEV escalation of CVE ids this reporter's last report already showed as known exploited (that report came
   * after CISA's addition, before the scheduled comparison): saying "now known exploited" again would be noise.
   */
  | "already-known-exploited"
  | "verdict-changed"
  | "always"
  /** No ledger: every due report is sent, as without one. */
  | "no-ledger"
  | "duplicate-scan"
  | "unchanged"
  | "not-due"
  | "back-within-thresholds";

export interface NotificationDecision {
  send: boolean;
  kind: NotificationKind | undefined;
  why: NotificationWhy;
}

const send = (kind: NotificationKind, why: NotificationWhy): NotificationDecision => ({
  send: true,
  kind,
  why,
});
const hold = (why: NotificationWhy): NotificationDecision => ({ send: false, kind: undefined, why });

/** Whether the last report sent to this reporter already marked every one of these findings as known exploited. */
export function alreadyShownAsKev(
  findings: readonly { id: string }[],
  lastSent: LastSent | undefined,
): boolean {
  if (!lastSent?.kevIds || lastSent.state === "pending") return false;
  const shown = new Set(lastSent.kevIds.map((id) => id.toUpperCase()));
  return findings.every((f) => shown.has(f.id.toUpperCase()));
}

/**
 * Whether one reporter is sent the report of one scan completion (issue 14, item 3). Pure.
 *
 * - In both modes a scan completion already sent to this reporter is never sent again (redeliveries, duplicate
 *   events); concurrent sends of the same one are settled by the ledger's claim, not here.
 * - "always" sends every due report.
 * - "changes" sends a due report when it is the first this reporter gets for the reference, when findings are new,
 *   rose in severity or are now known exploited (`changes.nowKnownExploited`: a KEV escalation), or when the
 *   verdict changed: the last message sent was within the thresholds or about a
 *   failed scan and this one is over them, or the scan failed and the last message was not about a failure. It
 *   sends one "back within thresholds" notice when the last message sent was due (over the thresholds, or a failed
 *   scan) and this scan is within them.
 */
export function decideNotification(input: NotificationInput): NotificationDecision {
  const { mode, lastSent, changes } = input;
  if (lastSent && lastSent.state !== "pending" && lastSent.scanKey === input.scanKey)
    return hold("duplicate-scan");
  if (!input.verdictDue) {
    const backWithin =
      mode === "changes" && lastSent?.over === true && input.verdictReason === "within-thresholds";
    return backWithin ? send("back-within-thresholds", "back-within-thresholds") : hold("not-due");
  }
  // An escalation of what this reporter's last report already marked known exploited tells it nothing, in either
  // mode: "always" means every scan's report, not the same fact twice.
  const nowKnownExploited = changes?.nowKnownExploited ?? [];
  if (nowKnownExploited.length > 0 && alreadyShownAsKev(nowKnownExploited, lastSent))
    return hold("already-known-exploited");
  if (mode === "always") return send("report", "always");
  if (!changes) return send("report", "no-ledger");
  if (input.verdictReason === "scan-failed") {
    // A failed scan has no findings to compare: news when the reporter was not already told the scan fails.
    if (!lastSent) return send("report", "first-report");
    return lastSent.failed ? hold("unchanged") : send("report", "verdict-changed");
  }
  // The reason an escalation exists: said first, even to a reporter never sent the reference before.
  if (nowKnownExploited.length > 0) return send("report", "now-known-exploited");
  if (!lastSent || changes.firstReport) return send("report", "first-report");
  if (changes.newFindings.length > 0) return send("report", "new-findings");
  if (changes.severityRaised.length > 0) return send("report", "severity-raised");
  // The last message was "within the thresholds" (a back-within notice) or "the scan failed": over is news.
  if (!lastSent.over || lastSent.failed) return send("report", "verdict-changed");
  return hold("unchanged");
}
