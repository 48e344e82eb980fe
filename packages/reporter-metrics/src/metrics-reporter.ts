import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import {
  type Digest,
  defineReporter,
  type Finding,
  isExploitable,
  isFailedScan,
  type ScanReport,
  SEVERITIES,
  type Severity,
  severityRank,
} from "@ecr-scan-reporter/core";
import * as z from "zod";

const optionsSchema = z.strictObject({
  namespace: z
    .string()
    .regex(/^[^:]{1,255}$/, { message: "must be 1–255 characters with no colon (a CloudWatch namespace)" })
    .default("EcrScanReporter"),
  /**
   * Repository as a dimension (the default): alarms per repository, but 7 CloudWatch custom metrics per repository
   * (10 with the KEV counts), each billed monthly. `false`: Severity only, 7 (10) metrics for the whole registry.
   */
  perRepository: z.boolean().default(true),
  /**
   * Account as a dimension ([8/8], the 12-digit id; names may change, ids do not): one series per account, so the
   * same repository name in two member accounts never adds up. Off by default: a dimension more makes every metric
   * a new one in CloudWatch, and a single-account deployment's alarms and dashboards must keep theirs. A hub that
   * covers several accounts turns it on (each account's metrics billed apart).
   */
  perAccount: z.boolean().default(false),
});

export type MetricsOptions = z.output<typeof optionsSchema>;

/** One EMF line: the given metrics (Count) with the given dimensions, serialized by Powertools. */
function emfLine(
  options: MetricsOptions,
  at: Date,
  dimensions: Record<string, string>,
  metrics: readonly (readonly [name: string, value: number])[],
): string {
  const emf = new Metrics({ namespace: options.namespace, serviceName: "ecr-scan-reporter" });
  emf.setTimestamp(at);
  emf.addDimensions(dimensions);
  for (const [name, value] of metrics) emf.addMetric(name, MetricUnit.Count, value);
  // Serialized by Powertools, written by the caller: Lambda to stdout, the CLI to --out.
  const text = JSON.stringify(emf.serializeMetrics());
  emf.clearMetrics();
  return text;
}

/**
 * True when the report's findings were checked against CISA's KEV catalog (fresh, or the last cached copy): only
 * then are the KEV and exploitable counts known, and a 0 a fact rather than a false all clear.
 */
function kevChecked(report: Pick<ScanReport, "status" | "intel">): boolean {
  const state = report.intel?.kev.state;
  return !isFailedScan(report.status) && (state === "fresh" || state === "stale");
}

/**
 * The EMF lines of one report: Findings per (Repository ×) Severity, ScanFailed (per Repository), and — when the
 * findings were checked against CISA's KEV catalog — KevFindings (on the catalog) and ExploitableFindings (on it,
 * or with a public exploit according to Amazon Inspector) per Repository. Unknown counts are not written: a gap
 * on a dashboard, not a false 0.
 */
function emfLines(report: ScanReport, options: MetricsOptions, at: Date): string[] {
  const repository = scopeDimensions(report, options);
  const lines = [
    ...SEVERITIES.map((severity) =>
      emfLine(options, at, { ...repository, Severity: severity }, [["Findings", report.counts[severity]]]),
    ),
    emfLine(options, at, repository, [["ScanFailed", report.status === "FAILED" ? 1 : 0]]),
  ];
  if (kevChecked(report)) {
    lines.push(
      emfLine(options, at, repository, [
        ["KevFindings", report.findings.filter((finding) => finding.kev !== undefined).length],
        ["ExploitableFindings", report.findings.filter(isExploitable).length],
      ]),
    );
  }
  return lines;
}

/** The dimensions every line of a report carries: Account (with `perAccount`), Repository (with `perRepository`). */
function scopeDimensions(
  report: Pick<ScanReport, "account" | "repository">,
  options: MetricsOptions,
): Record<string, string> {
  return {
    ...(options.perAccount ? { Account: dimensionValue(report.account) } : {}),
    ...(options.perRepository ? { Repository: report.repository } : {}),
  };
}

/**
 * The findings a KEV escalation names, or undefined when the report is not one. An escalation (schedule-scans
 * re-queues an image in use when CISA's KEV catalog gains a CVE its findings have; docs/architecture.md, "KEV
 * escalations") is the only report whose `changes` carry `nowKnownExploited`; for an `onlyFixable` entry it holds
 * the escalated findings with a fix, so it may be empty.
 */
function escalatedFindings(report: Pick<ScanReport, "changes">): readonly Finding[] | undefined {
  return report.changes?.nowKnownExploited;
}

/**
 * The EMF lines of a report: a scan's (emfLines), or for a KEV escalation one `KevEscalations` line only. An
 * escalation reports the same scan of the same image again; writing its Findings and KEV counts again would count
 * the image twice in the period (a Sum over the repository, a SampleCount of reports). None when the escalation
 * names no finding this entry counts.
 */
function reportEmfLines(report: ScanReport, options: MetricsOptions, at: Date): string[] {
  const escalated = escalatedFindings(report);
  if (!escalated) return emfLines(report, options, at);
  if (escalated.length === 0) return [];
  const repository = scopeDimensions(report, options);
  return [emfLine(options, at, repository, [["KevEscalations", escalated.length]])];
}

/**
 * A CloudWatch dimension value: ASCII without control characters, at least one non-space character, at most 1,024
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Dimension.html); cut to 255, what an
 * alarm's dimension takes. A route is a reporter id (`metrics`, `metrics#2`), so this only guards odd ones.
 */
export function dimensionValue(text: string): string {
  return (
    text
      .replace(/[^\x20-\x7E]/g, "")
      .trim()
      .slice(0, 255)
      .trim() || "unknown"
  );
}

/** The severities a digest counts: at or above the route's minSeverity (a 0 below it would mean "not counted"). */
function countedSeverities(digest: Pick<Digest, "route">): Severity[] {
  const min = digest.route.minSeverity;
  return min ? SEVERITIES.filter((s) => severityRank(s) <= severityRank(min)) : [...SEVERITIES];
}

/**
 * The EMF gauges of one digest, each with the route (the reporter id) as a dimension, so two metrics entries with
 * different filters never mix: OpenFindings per Severity, then ImagesInUse and ImagesOverThresholds, then
 * OpenKevVulnerabilities and OverdueKevVulnerabilities (CISA's KEV catalog, when it was read), then the
 * coverage gauges ImagesNeverScanned and ImagesStale of the latest scheduled run. A gauge whose value is unknown is
 * not written — nothing from the ledger when it holds nothing yet for the route (`emptyLedger`: a 0 would read as
 * "all clear"), no coverage before a scheduled run is recorded — so dashboards show a gap, not a false zero.
 */
export function digestEmfLines(digest: Digest, options: MetricsOptions, at: Date): string[] {
  const route = { Route: dimensionValue(digest.route.reporterId) };
  const lines: string[] = [];
  if (!digest.emptyLedger) {
    for (const severity of countedSeverities(digest)) {
      lines.push(
        emfLine(options, at, { ...route, Severity: severity }, [
          ["OpenFindings", digest.open.counts[severity]],
        ]),
      );
    }
    lines.push(
      emfLine(options, at, route, [
        ["ImagesInUse", digest.open.images],
        ["ImagesOverThresholds", digest.overThresholds.total],
      ]),
    );
    // Absent when KEV was off or its catalog could not be read: no gauge rather than a false 0.
    const kev = digest.knownExploited;
    if (kev) {
      lines.push(
        emfLine(options, at, route, [
          ["OpenKevVulnerabilities", kev.total],
          ["OverdueKevVulnerabilities", kev.overdue],
        ]),
      );
    }
  }
  // With `perAccount`, a multi-account digest's picture of each account too ([8/8]): Route and Account.
  if (!digest.emptyLedger && options.perAccount) {
    for (const account of digest.accounts ?? []) {
      // An account that could not be read whole gets no gauges this period: zeros (or the part that was read)
      // would draw a registry that went clean, and an alarm on OpenFindings would resolve. A missing datapoint is
      // what CloudWatch alarms already treat as "no data" (TreatMissingData), and the digest's text says why.
      if (account.unreachable !== undefined) continue;
      const scope = { ...route, Account: dimensionValue(account.account) };
      for (const severity of countedSeverities(digest)) {
        lines.push(
          emfLine(options, at, { ...scope, Severity: severity }, [
            ["OpenFindings", account.counts[severity]],
          ]),
        );
      }
      lines.push(
        emfLine(options, at, scope, [
          ["ImagesInUse", account.images],
          ["ImagesOverThresholds", account.overThresholds],
        ]),
      );
    }
  }
  const coverage = digest.coverage;
  if (coverage) {
    lines.push(
      emfLine(options, at, route, [
        ["ImagesNeverScanned", coverage.neverScanned],
        ["ImagesStale", coverage.stale],
      ]),
    );
  }
  return lines;
}

/**
 * Built-in `metrics` reporter: CloudWatch Embedded Metric Format lines, one per severity with Repository and
 * Severity as dimensions, plus ScanFailed per repository, and KevFindings and ExploitableFindings per repository
 * when the findings were checked against CISA's KEV catalog. No API call: CloudWatch Logs turns the lines into
 * metrics, so users can alarm on counts. It receives every report, due or not, so the series stay continuous; a KEV
 * escalation, which reports an image's scan again, writes only KevEscalations (reportEmfLines).
 * Contract v2: each digest adds its route's gauges (digestEmfLines), for dashboards and alarms per team.
 */
export const metricsReporter = defineReporter({
  name: "metrics",
  receives: "all",
  contractVersion: 2,
  optionsSchema,
  create(options, deps) {
    return {
      async digest(digest) {
        const lines = digestEmfLines(digest, options, deps.clock());
        if (lines.length === 0) {
          return {
            status: "skipped",
            detail:
              "the ledger holds nothing yet for this route and no scheduled run is recorded: no gauge is known",
          };
        }
        for (const line of lines) deps.writeLine(line);
        return { status: "sent", detail: `${lines.length} EMF digest lines in ${options.namespace}` };
      },

      async report(report) {
        const lines = reportEmfLines(report, options, deps.clock());
        const escalation = escalatedFindings(report) !== undefined;
        if (lines.length === 0) {
          return {
            status: "skipped",
            detail: "KEV escalation of findings this entry does not count (onlyFixable: none has a fix)",
          };
        }
        for (const line of lines) deps.writeLine(line);
        return {
          status: "sent",
          detail: escalation
            ? `KEV escalation: KevEscalations in ${options.namespace}; the findings were counted with the scan`
            : `${lines.length} EMF lines in ${options.namespace}`,
        };
      },
    };
  },
  previewDigest(digest, options, deps) {
    return [
      {
        name: "metrics-digest.emf.jsonl",
        content: digestEmfLines(digest, options, deps.clock())
          .map((line) => `${line}\n`)
          .join(""),
      },
    ];
  },
  preview(report, options, deps) {
    return [
      {
        name: "metrics.emf.jsonl",
        content: reportEmfLines(report, options, deps.clock())
          .map((line) => `${line}\n`)
          .join(""),
      },
    ];
  },
});
