import type { IgnoreEntry } from "../config/schema.js";
import { applyIntel, urgencyOrder } from "../intel/apply.js";
import type { IntelLookup } from "../intel/intel.js";
import { emptySeverityCounts, type ScanReport, type ScanType } from "../model.js";
import {
  applyIgnoreList,
  decideVerdict,
  defaultReportPolicy,
  isFailedScan,
  type ReportPolicy,
} from "../policy/policy.js";
import type { FetchedScanFindings, NormalizedScanFindings } from "./fetch.js";
import { countBySeverity, normalizeScanFindings } from "./normalize.js";

/** Which image a report is about, and where; everything a report needs besides the scan itself. */
export interface ReportSubject {
  account: string;
  /** The configuration's name of that account, when `accounts` names it. */
  accountName?: string;
  region: string;
  registryId: string;
  repository: string;
  digest: string;
  /** Empty for an untagged image. */
  tags: readonly string[];
  scanType: ScanType;
}

export interface BuildScanReportInput extends ReportSubject {
  /** The scan's findings, raw (fetchScanFindings) or already normalized (fetchNormalizedFindings). */
  fetched: FetchedScanFindings | NormalizedScanFindings;
  /** The thresholds, ignore list, failure setting and escalations; a whole `Config` fits. Defaults when absent. */
  policy?: ReportPolicy;
  /**
   * What the threat-intel look-up said of the findings' CVE ids: sets each finding's `kev` and `epss` (before the
   * order and the verdict, so both see them) and the report's `intel`. Absent: intel was not looked up.
   */
  intel?: IntelLookup;
}

export interface BuildFailureReportInput extends ReportSubject {
  statusDescription?: string;
  completedAt?: Date;
  policy?: Pick<ReportPolicy, "notifyOnScanFailure">;
}

/** A report and what the caller should warn about while building it. */
export interface BuiltScanReport {
  report: ScanReport;
  /** Ignore entries that have expired and so no longer removed a finding of this report: log a warning. */
  expiredIgnoreEntries: IgnoreEntry[];
  /** Findings read from ECR, before the ignore list (to compare with what the scan event counted). */
  findingsRead: number;
}

/** The console's host per partition: China and GovCloud have consoles of their own. */
function consoleOrigin(region: string): string {
  if (region.startsWith("cn-")) return `https://${region}.console.amazonaws.cn`;
  if (region.startsWith("us-gov-")) return `https://${region}.console.amazonaws-us-gov.com`;
  return `https://${region}.console.aws.amazon.com`;
}

/** The ECR console's list of the account's private repositories in a region. */
export function registryConsoleUrl(region: string): string {
  return `${consoleOrigin(region)}/ecr/private-registry/repositories?region=${encodeURIComponent(region)}`;
}

/** `sha256:…` reads as the console writes it; `:` is legal in a path segment, everything else unsafe is escaped. */
function pathSegment(text: string): string {
  return encodeURIComponent(text).replace(/%3A/gi, ":");
}

/** The ECR console page of one image, by digest. */
export function imageConsoleUrl(image: {
  region: string;
  registryId: string;
  repository: string;
  digest: string;
}): string {
  // A namespaced repository (team-a/web-app) keeps its slashes: the console reads the name up to the `_`
  // segment, so only each part of the name is escaped.
  const repositoryPath = image.repository.split("/").map(pathSegment).join("/");
  const region = encodeURIComponent(image.region);
  return (
    `${consoleOrigin(image.region)}/ecr/repositories/private/${pathSegment(image.registryId)}/` +
    `${repositoryPath}/_/image/${pathSegment(image.digest)}/details?region=${region}`
  );
}

function subjectFields(subject: ReportSubject) {
  return {
    account: subject.account,
    ...(subject.accountName !== undefined && { accountName: subject.accountName }),
    region: subject.region,
    registryId: subject.registryId,
    repository: subject.repository,
    digest: subject.digest,
    tags: [...subject.tags],
    scanType: subject.scanType,
  };
}

/** The report of a FAILED scan: no findings, the status description kept, due when `notifyOnScanFailure` says so. */
export function buildFailureReport(input: BuildFailureReportInput): ScanReport {
  const counts = emptySeverityCounts();
  return {
    ...subjectFields(input),
    status: "FAILED",
    statusDescription: input.statusDescription,
    completedAt: input.completedAt?.toISOString(),
    counts,
    findings: [],
    consoleUrl: imageConsoleUrl(input),
    verdict: decideVerdict(
      { status: "FAILED", counts, ignoredFindings: 0 },
      {
        thresholds: {},
        notifyOnScanFailure: (input.policy ?? defaultReportPolicy()).notifyOnScanFailure,
      },
    ),
  };
}

/** The report every reporter receives: findings normalized, intel and the policy applied once, most urgent first. */
export function buildScanReport(input: BuildScanReportInput, now: Date = new Date()): BuiltScanReport {
  const policy = input.policy ?? defaultReportPolicy();
  const { fetched } = input;
  if (isFailedScan(fetched.status)) {
    return {
      report: buildFailureReport({
        ...input,
        statusDescription: fetched.statusDescription,
        completedAt: fetched.completedAt,
        policy,
      }),
      expiredIgnoreEntries: [],
      findingsRead: 0,
    };
  }
  const normalized = "findings" in fetched ? fetched.findings : normalizeScanFindings(fetched);
  const ignoreOutcome = applyIgnoreList(normalized, input.repository, policy.ignore, now);
  const findings = (input.intel ? applyIntel(ignoreOutcome.kept, input.intel) : ignoreOutcome.kept).sort(
    urgencyOrder,
  );
  const counts = countBySeverity(findings);
  // An absent status is kept visible rather than guessed: reporters show it as it is.
  const status = fetched.status ?? "UNKNOWN";
  return {
    report: {
      ...subjectFields(input),
      status,
      statusDescription: fetched.statusDescription,
      completedAt: fetched.completedAt?.toISOString(),
      vulnerabilitySourceUpdatedAt: fetched.vulnerabilitySourceUpdatedAt?.toISOString(),
      counts,
      findings,
      consoleUrl: imageConsoleUrl(input),
      verdict: decideVerdict({ status, counts, ignoredFindings: ignoreOutcome.ignored, findings }, policy),
      ...(input.intel && { intel: input.intel.status }),
    },
    expiredIgnoreEntries: ignoreOutcome.expiredEntries,
    findingsRead: normalized.length,
  };
}
