import type { ECRClient } from "@aws-sdk/client-ecr";
import { describeError, isRetryableAwsError } from "../errors.js";
import { findingsNowKnownExploited } from "../events/kev-escalation.js";
import type { ReportJob } from "../events/report-jobs.js";
import { planFindingsWait, planReporterRetry } from "../events/report-jobs.js";
import type { ThreatIntel } from "../intel/intel.js";
import { disabledLedger, type FindingsLedger, LedgerError } from "../ledger/ledger.js";
import type { ScanReport } from "../model.js";
import type { ReportPolicy } from "../policy/policy.js";
import { isFailedScan } from "../policy/policy.js";
import type { ReporterLogger } from "../reporters/contract.js";
import { longestRetryAfter } from "../reporters/dispatcher.js";
import type { LoadedReporter } from "../reporters/loader.js";
import { type DeliveryResult, deliverReport } from "./deliver-report.js";
import { reportImage } from "./report-image.js";

/** What became of one report job, for the invocation's summary. */
export type ReportJobOutcome =
  | "reported"
  | "not-due"
  | "partially-failed"
  | "fetch-retry"
  | "fetch-failed"
  | "ledger-retry"
  | "awaiting-findings"
  /** A KEV escalation whose CVE ids are in none of the image's current findings (fixed, or rescanned since). */
  | "not-escalated"
  /** The image's account could not be entered (its member role): retried by SQS, then dead-lettered. */
  | "account-unreachable";

export interface ReportJobResult {
  /** Message ids SQS must deliver again (none when everything is settled). */
  retry: string[];
  outcome: ReportJobOutcome;
}

/** A report sent back through the report queue (or parked in its DLQ), and why. */
export interface RequeueRequest {
  job: ReportJob;
  destination: "queue" | "dlq";
  delaySeconds: number;
  /** The reporters to run; absent: every reporter of the job. */
  reporters?: string[];
  /** The delivery number the message carries (2+ for a targeted retry). */
  attempt: number;
  /** Set when the report waits for findings: how many times it will have waited. */
  findingsWaits?: number;
}

/** Sends a report back to the queue (or the DLQ) as asked; false when that queue is not configured. */
export type RequeueReport = (request: RequeueRequest) => Promise<boolean>;

export interface ReportJobDeps {
  ecr: ECRClient;
  reporters: readonly LoadedReporter[];
  policy: ReportPolicy;
  logger: ReporterLogger;
  requeue: RequeueReport;
  /** The findings ledger (LEDGER_TABLE_NAME); without it every due report is sent, as before the ledger. */
  ledger?: FindingsLedger;
  /** The threat intel (KEV, EPSS) the findings are checked against; absent: none is looked up. */
  intel?: ThreatIntel;
  /** The configuration's name of the image's account (`accounts[].name`), shown in the report beside its id. */
  accountName?: string;
}

/**
 * Builds and dispatches the report of one job. A fetch that a retry could mend returns the job's messages for
 * SQS to redeliver; failed reporters are re-queued alone with a back-off (so what went out is not sent twice),
 * and only when that is impossible is the whole message redelivered.
 */
export async function runReportJob(job: ReportJob, deps: ReportJobDeps): Promise<ReportJobResult> {
  const { event } = job;
  const { logger } = deps;
  const image = { repository: event.repositoryName, digest: event.imageDigest, messageIds: job.messageIds };
  let report: ScanReport;
  let findingsRead: number;
  try {
    const built = await reportImage(
      deps.ecr,
      {
        // The registry's account, which an Inspector event sent to a delegated administrator does not carry.
        account: event.registryId || event.account,
        accountName: deps.accountName,
        region: event.region,
        registryId: event.registryId,
        repository: event.repositoryName,
        digest: event.imageDigest,
        tags: event.imageTags,
        scanType: event.scanType,
      },
      deps.policy,
      { intel: deps.intel },
    );
    for (const entry of built.expiredIgnoreEntries) {
      logger.warn("ignore entry has expired and no longer hides a finding", {
        ...image,
        id: entry.id,
        until: entry.until,
        reason: entry.reason,
      });
    }
    report = built.report;
    findingsRead = built.findingsRead;
  } catch (error) {
    if (isRetryableAwsError(error)) {
      logger.warn("could not fetch findings; the message will be retried", {
        ...image,
        error: describeError(error),
      });
      return { retry: job.messageIds, outcome: "fetch-retry" };
    }
    // A member role that cannot be assumed (missing, trust not matching) is fixed by someone: the message goes back
    // to SQS and, after the queue's maxReceiveCount, to its dead-letter queue to be redriven then, never dropped.
    if ((error as { code?: unknown }).code === "ACCOUNT_UNREACHABLE") {
      logger.error("account not reachable; the report waits in the queue, then in its dead-letter queue", {
        ...image,
        error: describeError(error),
      });
      return { retry: job.messageIds, outcome: "account-unreachable" };
    }
    logger.error("could not fetch findings; dropping the message", { ...image, error: describeError(error) });
    return { retry: [], outcome: "fetch-failed" };
  }

  const { expectedFindings } = event;
  const countedMore =
    !isFailedScan(report.status) &&
    // Stryker disable next-line ConditionalExpression: there for the type; `n < undefined` is false anyway
    expectedFindings !== undefined &&
    findingsRead < expectedFindings;
  const wait = countedMore ? planFindingsWait(expectedFindings, findingsRead, job.findingsWaits) : undefined;
  if (wait) {
    const request = {
      job,
      destination: "queue",
      attempt: job.attempt,
      reporters: job.only,
      ...wait,
    } as const;
    const waiting = { ...image, expectedFindings, findingsRead, ...wait };
    try {
      if (await deps.requeue(request)) {
        logger.info("fewer findings than the scan event counted; the report waits for the rest", waiting);
        return { retry: [], outcome: "awaiting-findings" };
      }
    } catch (error) {
      // SQS redelivers the messages after their visibility timeout: a wait all the same, bounded by the redrive.
      logger.warn("could not re-queue the report to wait for its findings; the message will be retried", {
        ...waiting,
        error: describeError(error),
      });
      return { retry: job.messageIds, outcome: "awaiting-findings" };
    }
  }
  if (countedMore) {
    // Out of waits (or nowhere to wait): send what is there, once, and say so.
    report.completeness = { expectedFindings, findingsRead };
  }

  if (job.escalation && findingsNowKnownExploited(report.findings, job.escalation.cves).length === 0) {
    // Nothing of it is left to tell: the report would be the one already sent for the image's scan.
    logger.info("KEV escalation: none of its CVE ids is among the image's current findings; nothing sent", {
      ...image,
      cves: job.escalation.cves,
      status: report.status,
    });
    return { retry: [], outcome: "not-escalated" };
  }

  let result: DeliveryResult;
  try {
    result = await deliverReport(report, {
      ledger: deps.ledger ?? disabledLedger(logger),
      reporters: deps.reporters,
      logger,
      eventTime: event.time,
      attempt: job.attempt,
      only: job.only,
      source: job.messageIds[0],
      escalation: job.escalation,
    });
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    // Nothing was sent yet: SQS delivers the messages again, and the ledger decides then.
    logger.warn("the findings ledger could not be read; the message will be retried", {
      ...image,
      table: error.tableName,
      error: describeError(error),
    });
    return { retry: job.messageIds, outcome: "ledger-retry" };
  }
  logger.info("report", {
    ...image,
    // The account of the image's registry: two accounts' images of one repository name are told apart in logs too.
    account: report.account,
    ...(report.accountName !== undefined && { accountName: report.accountName }),
    tags: report.tags,
    status: report.status,
    counts: report.counts,
    verdict: report.verdict,
    attempt: job.attempt,
    outcomes: Object.fromEntries(result.outcomes.map((o) => [o.reporter, o.status])),
    held: Object.fromEntries(result.held.map((h) => [h.reporter, h.why])),
    changes: report.changes && {
      firstReport: report.changes.firstReport,
      previousScanAt: report.changes.previousScanAt,
      new: report.changes.newFindings.map((f) => f.id),
      fixed: report.changes.fixedFindings.map((f) => f.id),
      severityRaised: report.changes.severityRaised.map((r) => r.finding.id),
      ...(report.changes.nowKnownExploited && {
        nowKnownExploited: report.changes.nowKnownExploited.map((f) => f.id),
      }),
    },
  });
  if (result.failed.length === 0) return { retry: [], outcome: report.verdict.due ? "reported" : "not-due" };
  // A reporter refused for a while (Slack's 429 Retry-After) is not tried again before it asked.
  const retryAfterSeconds = longestRetryAfter(result.outcomes);
  const plan = planReporterRetry(job.attempt, { retryAfterSeconds });
  try {
    if (await deps.requeue({ job, reporters: result.failed, ...plan })) {
      logger.warn(
        plan.destination === "dlq"
          ? "the failed reporters are out of attempts; parked in the dead-letter queue"
          : "re-queued the failed reporters only",
        {
          ...image,
          reporters: result.failed,
          ...plan,
          ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
        },
      );
      return { retry: [], outcome: "partially-failed" };
    }
  } catch (error) {
    logger.error("could not re-queue the failed reporters; the whole message will be retried", {
      ...image,
      error: describeError(error),
    });
  }
  return { retry: job.messageIds, outcome: "partially-failed" };
}
