import { describeError } from "../errors.js";
import {
  findingsNowKnownExploited,
  type KevEscalation,
  kevEscalationSendKey,
} from "../events/kev-escalation.js";
import { carryFirstSeen, computeChanges, toCompactFinding } from "../ledger/changes.js";
import type { FindingsLedger, ReferenceHistory, SendClaim } from "../ledger/ledger.js";
import { LedgerError } from "../ledger/ledger.js";
import {
  alreadyShownAsKev,
  decideNotification,
  type LastSent,
  type NotificationDecision,
} from "../ledger/notify.js";
import {
  type LastReportRecord,
  type LedgerReference,
  referenceName,
  referencesOf,
  type SentRecord,
  scanKeyOf,
} from "../ledger/records.js";
import type { CompactFinding, ScanReport } from "../model.js";
import { isFailedScan, NO_FINDING_WITH_A_FIX, reportForEntry, routeReport } from "../policy/policy.js";
import type { ReporterLogger } from "../reporters/contract.js";
import { type DispatchOutcome, dispatchReport, whyNotRouted } from "../reporters/dispatcher.js";
import type { LoadedReporter } from "../reporters/loader.js";

/**
 * Appends the report's changes to the ledger's change log, which digests read. Keyed by the scan's completion, so a
 * redelivery or a targeted retry writes the same item again. A failure costs the digest a line, never the report.
 */
async function logChanges(
  ledger: FindingsLedger,
  report: ScanReport,
  refs: readonly LedgerReference[],
  completedAt: string,
  logger: ReporterLogger,
): Promise<void> {
  const changes = report.changes;
  if (!changes || changes.firstReport) return;
  if (changes.newFindings.length + changes.fixedFindings.length + changes.severityRaised.length === 0) return;
  try {
    await ledger.recordChanges({
      at: completedAt,
      registryId: report.registryId,
      repository: report.repository,
      digest: report.digest,
      references: refs.map(referenceName),
      newFindings: changes.newFindings.map((finding) => toCompactFinding(finding)),
      fixedFindings: changes.fixedFindings,
      raisedFindings: changes.severityRaised.map(({ finding }) => toCompactFinding(finding)),
    });
  } catch (error) {
    logger.warn("changes not recorded in the findings ledger's change log (digests will miss them)", {
      repository: report.repository,
      digest: report.digest,
      error: describeError(error),
    });
  }
}

/** A reporter the ledger kept quiet for this scan, and why (one log field, one summary count). */
export interface HeldReport {
  reporter: string;
  why: NotificationDecision["why"] | "in-flight";
}

export interface DeliveryResult {
  outcomes: DispatchOutcome[];
  /** Reporters to run again through the targeted-retry path (failed sends, claims a retry can mend). */
  failed: string[];
  held: HeldReport[];
  /** The ledger could not be read: the report went out as it would without one. */
  ledgerUnavailable: boolean;
}

export interface DeliverReportOptions {
  ledger: FindingsLedger;
  reporters: readonly LoadedReporter[];
  logger: ReporterLogger;
  /** The event's time: the scan's identity when the report carries no completion time (a failed scan). */
  eventTime: string;
  attempt: number;
  only?: readonly string[];
  source?: string;
  /**
   * A KEV escalation (events/kev-escalation.ts): the report says which findings are now known exploited
   * (`changes.nowKnownExploited`), and is sent under its own send key, so that it is neither held as the scan already
   * sent nor sent twice.
   */
  escalation?: KevEscalation;
}

/** The reference history written last (by scan completion time) among the report's references. */
function latestReport(histories: readonly ReferenceHistory[]): LastReportRecord | undefined {
  let latest: LastReportRecord | undefined;
  for (const history of histories) {
    if (!history.known || !history.last) continue;
    if (!latest || history.last.scanCompletedAt > latest.scanCompletedAt) latest = history.last;
  }
  return latest;
}

/** What a reporter was last sent for any of the report's references (the latest send wins). */
function lastSentTo(reporter: string, histories: readonly ReferenceHistory[]): LastSent | undefined {
  let latest: SentRecord["sent"];
  for (const history of histories) {
    const sent = history.known ? history.sent.get(reporter)?.sent : undefined;
    if (sent && (!latest || sent.at > latest.at)) latest = sent;
  }
  return (
    latest && {
      scanKey: latest.scanKey,
      over: latest.over,
      failed: latest.failed,
      state: "sent",
      ...(latest.kev && { kevIds: latest.kev }),
    }
  );
}

/** The CVE ids a report shows as known exploited: marked from CISA's KEV catalog, or escalated as now on it. */
function kevIdsOf(report: ScanReport): string[] {
  const shown = [...report.findings.filter((f) => f.kev), ...(report.changes?.nowKnownExploited ?? [])];
  return [...new Set(shown.map((f) => f.id.toUpperCase()))].sort();
}

/**
 * An escalation to a reporter that receives every scan (an issue tracker, metrics) whose last report already
 * showed each escalated CVE as known exploited: held, as `decideNotification` holds it for the others.
 */
function escalationAlreadyShown(report: ScanReport, lastSent: LastSent | undefined): boolean {
  const escalated = report.changes?.nowKnownExploited ?? [];
  return escalated.length > 0 && alreadyShownAsKev(escalated, lastSent);
}

/**
 * Whether a reporter gets this report at all, before the ledger is asked: its routing, and — for reporters that
 * receive only due reports — the verdict. A report within the thresholds still reaches a "due" reporter when it
 * may be a "back within thresholds" notice; then only the repositories route it (its findings are below the
 * thresholds by definition, so `minSeverity` would hide exactly the news).
 */
function mayReceive(report: ScanReport, loaded: LoadedReporter, ledgerKnown: boolean): boolean {
  const receivesAll = (loaded.plugin.receives ?? "due") === "all";
  if (receivesAll || report.verdict.due) return whyNotRouted(report, loaded) === undefined;
  const mayBeBackWithin = ledgerKnown && report.verdict.reason === "within-thresholds";
  return mayBeBackWithin && routeReport(report, { repositories: loaded.entry.repositories });
}

/**
 * "Deliver a report" with the findings ledger (docs/architecture.md, "Findings ledger"): records the scan, sets
 * `report.changes` from the references' last report, asks each reporter's `notify` mode whether this is news,
 * claims each send so that redeliveries and concurrent invocations never send one scan twice, and dispatches.
 * Without a ledger (or when it cannot be read) it dispatches as before: every due report, every "all" reporter.
 * Throws a retryable LedgerError only before anything was sent, for SQS to redeliver the message.
 */
export async function deliverReport(
  report: ScanReport,
  options: DeliverReportOptions,
): Promise<DeliveryResult> {
  const { ledger, logger } = options;
  const image = { registryId: report.registryId, repository: report.repository, digest: report.digest };
  const completedAt = report.completedAt ?? options.eventTime;
  const scanKey = options.escalation
    ? kevEscalationSendKey(report.digest, completedAt, options.escalation.cves)
    : scanKeyOf(report.digest, completedAt);
  const failedScan = isFailedScan(report.status);
  const refs = referencesOf({ ...image, tags: report.tags });
  const selected = options.only
    ? options.reporters.filter((r) => options.only?.includes(r.id))
    : options.reporters;

  let histories: ReferenceHistory[] | undefined;
  let previous: LastReportRecord | undefined;
  let findingsToKeep: CompactFinding[] | undefined;
  try {
    const read = await ledger.readReferences(
      refs,
      selected.map((r) => r.id),
    );
    histories = refs.map((ref) => read.get(referenceName(ref)) ?? { known: false });
    previous = latestReport(histories);
    // Findings keep the time the reference first showed them; a failed scan keeps the last complete scan's.
    findingsToKeep = failedScan
      ? undefined
      : carryFirstSeen(report.findings, previous?.findings, completedAt);
    await ledger.recordScan(
      { ...image, tags: report.tags },
      { status: report.status, completedAt, description: report.statusDescription },
      findingsToKeep,
    );
  } catch (error) {
    if (error instanceof LedgerError && error.retryable) throw error;
    histories = undefined;
    logger.error("findings ledger unavailable; the report goes out as without one", {
      ...image,
      table: error instanceof LedgerError ? error.tableName : undefined,
      error: describeError(error),
    });
  }
  const known = ledger.enabled && histories?.every((h) => h.known) === true;
  if (!known) previous = undefined;
  if (known && !failedScan) {
    report.changes = computeChanges(report.findings, previous && { ...previous });
    if (options.escalation) {
      report.changes.nowKnownExploited = findingsNowKnownExploited(report.findings, options.escalation.cves);
    }
    await logChanges(ledger, report, refs, completedAt, logger);
  }

  const decisions = new Map<string, NotificationDecision>();
  /** Per reporter, the KEV ids of the report it would be sent, recorded with its send. */
  const kevShown = new Map<string, string[]>();
  const held: HeldReport[] = [];
  const notRouted: DispatchOutcome[] = [];
  for (const loaded of selected) {
    // What this entry receives (an `onlyFixable` entry: the findings with a fix): it is routed, and told, by that.
    const entryReport = reportForEntry(report, loaded.entry);
    if (!entryReport) {
      notRouted.push({ reporter: loaded.id, status: "not-routed", detail: NO_FINDING_WITH_A_FIX });
      continue;
    }
    if (!mayReceive(entryReport, loaded, known)) {
      const detail = whyNotRouted(report, loaded) ?? "routing (repositories) excludes it";
      notRouted.push({ reporter: loaded.id, status: "not-routed", detail });
      continue;
    }
    const receivesAll = (loaded.plugin.receives ?? "due") === "all";
    const lastSent = known && histories ? lastSentTo(loaded.id, histories) : undefined;
    // Reporters that receive every scan (issue lifecycle, metrics) keep their own state: they get each scan
    // completion once; `notify` quiets only the reporters that people read as alerts.
    const decision: NotificationDecision =
      receivesAll && !(lastSent?.scanKey === scanKey)
        ? escalationAlreadyShown(entryReport, lastSent)
          ? { send: false, kind: undefined, why: "already-known-exploited" }
          : { send: true, kind: "report", why: "always" }
        : decideNotification({
            mode: loaded.entry.notify ?? "changes",
            verdictDue: report.verdict.due,
            verdictReason: report.verdict.reason,
            changes: known ? (entryReport.changes ?? computeChanges([], previous)) : undefined,
            lastSent,
            scanKey,
          });
    if (decision.send) decisions.set(loaded.id, decision);
    else held.push({ reporter: loaded.id, why: decision.why });
    kevShown.set(loaded.id, kevIdsOf(entryReport));
  }

  // Claim each send before it goes out: of two invocations with the same scan, one sends.
  const claims = new Map<string, SendClaim>();
  const failed: string[] = [];
  if (known) {
    await Promise.all(
      [...decisions.keys()].map(async (reporter) => {
        const decision = decisions.get(reporter);
        try {
          const claimed = await ledger.claimSend({
            refs,
            reporter,
            scanKey,
            over: report.verdict.due && decision?.kind === "report",
            failedScan,
            kevIds: kevShown.get(reporter),
          });
          if (claimed.outcome === "claimed") claims.set(reporter, claimed.claim);
          else {
            decisions.delete(reporter);
            held.push({ reporter, why: claimed.outcome === "already-sent" ? "duplicate-scan" : "in-flight" });
          }
        } catch (error) {
          decisions.delete(reporter);
          failed.push(reporter);
          logger.error("could not claim the send in the findings ledger; the reporter will be retried", {
            ...image,
            reporter,
            table: error instanceof LedgerError ? error.tableName : undefined,
            error: describeError(error),
          });
        }
      }),
    );
  }

  const toSend = selected.filter((r) => decisions.has(r.id));
  const dispatched = await dispatchReport(report, toSend, {
    logger,
    attempt: options.attempt,
    source: options.source,
    notifications: decisions,
  });
  await Promise.all(
    dispatched.outcomes.map(async (outcome) => {
      const claim = claims.get(outcome.reporter);
      if (!claim) return;
      try {
        if (outcome.status === "failed") await ledger.releaseSend(claim);
        else await ledger.completeSend(claim);
      } catch (error) {
        // A claim left pending expires (ledger CLAIM_TIMEOUT_MS): a redelivery after that may send once more.
        logger.error("could not record the send in the findings ledger", {
          ...image,
          reporter: outcome.reporter,
          error: describeError(error),
        });
      }
    }),
  );
  failed.push(...dispatched.failed);

  // The reference's last report is written once every reporter has it, so that a targeted retry of a failed
  // reporter still compares with the report before this one and sees the same changes.
  if (known && failed.length === 0) {
    try {
      await ledger.recordReport(refs, {
        digest: report.digest,
        scanCompletedAt: completedAt,
        findings: findingsToKeep ?? previous?.findings ?? [],
        over: report.verdict.due,
      });
    } catch (error) {
      logger.error(
        "could not record the report in the findings ledger; the next scan compares with the one before",
        {
          ...image,
          error: describeError(error),
        },
      );
    }
  }
  return {
    outcomes: [...dispatched.outcomes, ...notRouted],
    failed,
    held,
    ledgerUnavailable: ledger.enabled && !known,
  };
}
