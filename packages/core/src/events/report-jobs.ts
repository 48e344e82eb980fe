/**
 * From a batch of report-queue messages to the reports to produce: one job per image, targeted retries merged.
 * Pure; report-findings runs each job (docs/architecture.md, "How a report travels").
 */

import { coalesceScanCompletions, scanCompletionKey } from "./coalesce.js";
import type { KevEscalation } from "./kev-escalation.js";
import type { ReportQueueMessage } from "./report-queue.js";
import type { ScanCompleted } from "./scan-event.js";

/** Deliveries of one report before its failing reporters are parked in the dead-letter queue. */
export const MAX_REPORT_ATTEMPTS = 5;

/** SQS's longest message delay (DelaySeconds), which caps the back-off between attempts. */
export const SQS_MAX_DELAY_SECONDS = 900;

/** A report-queue message that asks for a report, with the SQS message id it came in. */
export interface ReportRequest {
  messageId: string;
  message: Extract<ReportQueueMessage, { kind: "scan-completed" }>;
}

/** One report to produce: an image, the messages it answers, and which reporters to run. */
export interface ReportJob {
  event: ScanCompleted;
  rawEvent: Record<string, unknown>;
  messageIds: string[];
  /** Undefined: every reporter. */
  only?: string[];
  attempt: number;
  /** How many times the report already waited for findings its event counted (0: never). */
  findingsWaits: number;
  /** Set for a KEV escalation: the report names the findings with these CVE ids as now known exploited. */
  escalation?: KevEscalation;
}

/**
 * Turns a batch's parsed messages into one job per image: plain events coalesced (a burst of Inspector finding
 * events is one report), targeted retries merged per image, and a retry dropped when a plain event for the same
 * image already runs every reporter. KEV escalations are planned apart (planEscalationJobs).
 */
export function planReportJobs(requests: readonly ReportRequest[]): ReportJob[] {
  return [
    ...planScanJobs(requests.filter((r) => !r.message.escalation)),
    ...planEscalationJobs(requests.filter((r) => r.message.escalation)),
  ];
}

function planScanJobs(requests: readonly ReportRequest[]): ReportJob[] {
  const plain = requests.filter((r) => !r.message.retryReporters);
  const retries = requests.filter((r) => r.message.retryReporters);
  const coalesced = coalesceScanCompletions(plain.map((r) => r.message.event));
  const jobs: ReportJob[] = coalesced.unique.map((event, i) => {
    // coalesceScanCompletions gives one group per kept event, of positions in `plain`, the kept event among them:
    // the fallbacks below only satisfy the type checker (noUncheckedIndexedAccess).
    // Stryker disable next-line ArrayDeclaration: unreachable fallback, see above
    const group = (coalesced.groups[i] ?? []).map((index) => plain[index] as ReportRequest);
    return {
      event,
      // Stryker disable next-line OptionalChaining: unreachable fallback, see above
      rawEvent: group.find((r) => r.message.event === event)?.message.rawEvent ?? {},
      messageIds: group.map((r) => r.messageId),
      attempt: 1,
      findingsWaits: Math.max(0, ...group.map((r) => r.message.findingsWaits ?? 0)),
    };
  });
  for (const retry of retries) {
    const existing = jobs.find((j) => scanCompletionKey(j.event) === scanCompletionKey(retry.message.event));
    if (existing) existing.findingsWaits = Math.max(existing.findingsWaits, retry.message.findingsWaits ?? 0);
    if (existing && !existing.only) {
      existing.messageIds.push(retry.messageId);
      continue;
    }
    if (existing?.only) {
      // Stryker disable next-line ArrayDeclaration: unreachable, `retries` all have retryReporters (the type cannot say so)
      existing.only = [...new Set([...existing.only, ...(retry.message.retryReporters ?? [])])];
      existing.attempt = Math.max(existing.attempt, retry.message.attempt);
      existing.messageIds.push(retry.messageId);
      continue;
    }
    jobs.push({
      event: retry.message.event,
      rawEvent: retry.message.rawEvent,
      messageIds: [retry.messageId],
      only: retry.message.retryReporters,
      attempt: retry.message.attempt,
      findingsWaits: retry.message.findingsWaits ?? 0,
    });
  }
  return jobs;
}

/**
 * KEV escalations, one job per image and CVE ids. Never folded into a scan completion of the same image in the
 * batch, nor it into them: a scan's report does not name the findings newly known exploited, and its send key is
 * not the escalation's (events/kev-escalation.ts `kevEscalationSendKey`). The same escalation twice (a doubled
 * message, a targeted retry beside it) is one job, merged as scan completions are: a plain message runs every
 * reporter, retries add their reporters up.
 */
function planEscalationJobs(requests: readonly ReportRequest[]): ReportJob[] {
  const jobs = new Map<string, ReportJob>();
  for (const { messageId, message } of requests) {
    // Stryker disable next-line ArrayDeclaration: unreachable fallback, `requests` all have an escalation
    const escalation = message.escalation ?? { cves: [] };
    const key = `${scanCompletionKey(message.event)}#kev:${escalation.cves.join(",")}`;
    const existing = jobs.get(key);
    if (!existing) {
      jobs.set(key, {
        event: message.event,
        rawEvent: message.rawEvent,
        messageIds: [messageId],
        ...(message.retryReporters ? { only: message.retryReporters } : {}),
        attempt: message.attempt,
        findingsWaits: message.findingsWaits ?? 0,
        escalation,
      });
      continue;
    }
    existing.messageIds.push(messageId);
    existing.findingsWaits = Math.max(existing.findingsWaits, message.findingsWaits ?? 0);
    if (existing.only && message.retryReporters) {
      existing.only = [...new Set([...existing.only, ...message.retryReporters])];
      existing.attempt = Math.max(existing.attempt, message.attempt);
    } else if (existing.only) {
      // A plain message runs every reporter, as the first delivery.
      existing.only = undefined;
      existing.event = message.event;
      existing.rawEvent = message.rawEvent;
      existing.attempt = message.attempt;
    }
  }
  return [...jobs.values()];
}

/** Where a report's failed reporters go next: back on the report queue after a delay, or to the DLQ. */
export interface RetryPlan {
  destination: "queue" | "dlq";
  /** The attempt number the re-sent message carries. */
  attempt: number;
  /** 0 for the dead-letter queue. */
  delaySeconds: number;
}

export interface ReporterRetryOptions {
  /**
   * The longest wait a failed reporter asked for (a 429's `Retry-After`, carried by its ReporterError), in seconds.
   * Retrying sooner would only be refused again and spend an attempt.
   */
  retryAfterSeconds?: number;
  /** Deliveries before the reporters are parked in the dead-letter queue (MAX_REPORT_ATTEMPTS). */
  maxAttempts?: number;
}

/**
 * Back-off for the failed reporters of a delivery: 60·2^(attempt−1) s (1, 2, 4, 8 minutes), or longer when a
 * reporter asked to wait longer (`retryAfterSeconds`), never more than SQS's 900 s: SendMessage takes a
 * `DelaySeconds` of 0 to 900 (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html).
 * A longer wait is not carried over: the reporter is tried again after 900 s, and each try that is refused again
 * spends an attempt. After `maxAttempts` deliveries the reporters are parked in the dead-letter queue.
 */
export function planReporterRetry(attempt: number, options: ReporterRetryOptions = {}): RetryPlan {
  const next = attempt + 1;
  if (next > (options.maxAttempts ?? MAX_REPORT_ATTEMPTS)) {
    return { destination: "dlq", attempt: next, delaySeconds: 0 };
  }
  const backOff = 60 * 2 ** (attempt - 1);
  const asked = options.retryAfterSeconds ?? 0;
  // Not Math.max: a NaN from a reporter is no wait at all (NaN > n is false), not a NaN delay.
  const wait = asked > backOff ? Math.ceil(asked) : backOff;
  return { destination: "queue", attempt: next, delaySeconds: Math.min(SQS_MAX_DELAY_SECONDS, wait) };
}

/** How many times a report waits for findings its event counted before it is sent as it is, marked incomplete. */
export const MAX_FINDINGS_WAITS = 3;

/**
 * Whether a report should wait for more findings: its event counted more than ECR returned (Amazon Inspector
 * keeps writing findings for a while after its event), and it has not waited MAX_FINDINGS_WAITS times yet. The
 * wait before try n+1 is 60·2^n s (1, 2, 4 minutes). Undefined: send now.
 */
export function planFindingsWait(
  expectedFindings: number | undefined,
  findingsRead: number,
  findingsWaits: number,
): { findingsWaits: number; delaySeconds: number } | undefined {
  if (expectedFindings === undefined || findingsRead >= expectedFindings) return undefined;
  if (findingsWaits >= MAX_FINDINGS_WAITS) return undefined;
  return {
    findingsWaits: findingsWaits + 1,
    delaySeconds: Math.min(SQS_MAX_DELAY_SECONDS, 60 * 2 ** findingsWaits),
  };
}
