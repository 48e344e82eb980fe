/** Severities as ECR and Inspector write them, most severe first. */
export const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The registry-wide scan setting read from GetRegistryScanningConfiguration. */
export type ScanType = "BASIC" | "ENHANCED";

/** Scan statuses ECR documents; newer values may appear, so code must accept any string too. */
export const KNOWN_SCAN_STATUSES = [
  "IN_PROGRESS",
  "COMPLETE",
  "FAILED",
  "UNSUPPORTED_IMAGE",
  "ACTIVE",
  "PENDING",
  "SCAN_ELIGIBILITY_EXPIRED",
  "FINDINGS_UNAVAILABLE",
  "LIMIT_EXCEEDED",
  "IMAGE_ARCHIVED",
] as const;
export type ScanStatus = (typeof KNOWN_SCAN_STATUSES)[number] | (string & {});

/** One image (or OCI artifact) of a repository, as DescribeImages lists it. Identified by digest always. */
export interface ImageDetail {
  registryId: string;
  repositoryName: string;
  imageDigest: string;
  /** Empty for an untagged image. */
  imageTags: string[];
  imagePushedAt?: Date;
  lastRecordedPullTime?: Date;
  imageManifestMediaType?: string;
  artifactMediaType?: string;
  /** ACTIVE, or ARCHIVED / ACTIVATING for an image in (or coming back from) ECR's archive storage class. */
  imageStatus?: string;
  /** Filled only by the retired Clair engine; AWS-native basic scanning leaves it empty. */
  scanSummary?: LastScan;
}

/** What is known of an image's most recent scan. */
export type LastScan =
  | { kind: "never" }
  | { kind: "scanned"; status: ScanStatus; description?: string; completedAt?: Date };

/** Findings per severity; every severity is present, 0 when none. */
export type SeverityCounts = Record<Severity, number>;

/** One vulnerability finding, the same shape whether it came from basic or enhanced scanning. */
export interface Finding {
  /** The vulnerability id, e.g. CVE-2023-4863 (basic `name`, enhanced `vulnerabilityId`). */
  id: string;
  severity: Severity;
  /** A one-line title; untrusted text from the vulnerability feed. */
  title: string;
  /** Untrusted text from the vulnerability feed. */
  description?: string;
  packageName?: string;
  packageVersion?: string;
  fixedInVersion?: string;
  cvssScore?: number;
  url?: string;
  /**
   * On CISA's Known Exploited Vulnerabilities catalog (looked up by CVE id): when it was added, the federal
   * remediation due date, the required action (untrusted text from the feed) and known ransomware use.
   */
  kev?: KevEntry;
  /** FIRST's Exploit Prediction Scoring System: the probability of exploitation in the next 30 days, and its percentile. */
  epss?: EpssScore;
  /** Amazon Inspector (enhanced scanning): whether a public exploit is known. */
  exploitAvailable?: "YES" | "NO";
  /** Amazon Inspector (enhanced scanning): whether a fix is available for every affected package, some, or none. */
  fixAvailable?: "YES" | "NO" | "PARTIAL";
  /** Amazon Inspector's own score for the finding (its adjusted CVSS), when it gives one. */
  inspectorScore?: number;
  /** ISO 8601: when Amazon Inspector first observed the finding on the image. */
  firstObservedAt?: string;
}

/** One entry of CISA's KEV catalog, as a finding carries it. */
export interface KevEntry {
  /** `YYYY-MM-DD`. */
  dateAdded: string;
  /** `YYYY-MM-DD`: the remediation due date for US federal agencies (BOD 22-01); a date in the past is overdue. */
  dueDate?: string;
  /** Untrusted text from the feed. */
  requiredAction?: string;
  /** CISA's `knownRansomwareCampaignUse`: "Known" or "Unknown". */
  knownRansomwareCampaignUse?: string;
}

/** An EPSS score as FIRST publishes it. */
export interface EpssScore {
  /** 0..1: the probability of exploitation activity in the next 30 days. */
  score: number;
  /** 0..1: the share of scored CVEs with a lower score. */
  percentile: number;
  /** `YYYY-MM-DD`: the day of the model run. */
  date: string;
}

/** Which threat-intel sources a report's findings were checked against, and how fresh each was. */
export interface IntelStatus {
  kev: IntelSourceStatus;
  epss: IntelSourceStatus;
}

/**
 * `fresh`: fetched or cached today; `stale`: the feed could not be reached, the last cached copy (of `asOf`) was
 * used; `unavailable`: neither (the findings carry nothing from this source); `off`: turned off by configuration.
 */
export type IntelSourceStatus =
  | { state: "fresh"; asOf: string }
  | { state: "stale"; asOf: string; reason: string }
  | { state: "unavailable"; reason: string }
  | { state: "off" };

/** Why a report is or is not sent, decided once by the policy before any reporter runs. */
export interface PolicyVerdict {
  /** True when reporters should be told: a count over its threshold, an escalation, or a failed scan to notify. */
  due: boolean;
  /**
   * `escalated`: within the thresholds, but a finding matches the `escalate` policy (known exploited, an exploit
   * available, EPSS above the limit); `escalations` lists them. Over the thresholds wins over escalated.
   */
  reason: "over-threshold" | "escalated" | "within-thresholds" | "scan-failed" | "scan-failed-not-notified";
  /** The findings the `escalate` policy matched (any reason), and why; absent when none did (or none was judged). */
  escalations?: Escalation[];
  /** Severities whose count exceeds their threshold. */
  exceeded: Severity[];
  /** The most severe severity with at least one finding (after the ignore list). */
  highestSeverity?: Severity;
  /** How many findings the ignore list removed. */
  ignoredFindings: number;
}

/** A finding the `escalate` policy matched. */
export interface Escalation {
  id: string;
  packageName?: string;
  /** Every rule it matched: on the KEV catalog, an exploit available, EPSS above the limit. */
  why: ("kev" | "exploit-available" | "epss")[];
}

/** Everything known of one completed (or failed) scan of one image, after normalization and policy. */
export interface ScanReport {
  /** The 12-digit id of the account whose registry holds the image (its registryId). */
  account: string;
  /**
   * The `name` the configuration's `accounts` gives that account ([8/8]), or its id when the list does not name it
   * (so subjects name the account in every multi-account deployment); absent without `accounts`. Reporters show
   * both with the view kit's `accountLabel`.
   */
  accountName?: string;
  region: string;
  registryId: string;
  repository: string;
  digest: string;
  /** Empty for an untagged image. */
  tags: string[];
  scanType: ScanType;
  status: ScanStatus;
  statusDescription?: string;
  /** ISO 8601. */
  completedAt?: string;
  /** ISO 8601. */
  vulnerabilitySourceUpdatedAt?: string;
  /** Counts recomputed from `findings` (after the ignore list). */
  counts: SeverityCounts;
  /** Most severe first, then by CVSS score. */
  findings: Finding[];
  consoleUrl: string;
  verdict: PolicyVerdict;
  /**
   * Set when the scan event counted more findings than could be read after waiting for them (Amazon Inspector
   * keeps writing findings for a while after its event): the report may be incomplete.
   */
  completeness?: { expectedFindings: number; findingsRead: number };
  /** What changed since the last report for this image reference; absent when no findings ledger is configured. */
  changes?: ReportChanges;
  /** Which threat-intel sources the findings were checked against; absent when intel was not looked up (CLI preview). */
  intel?: IntelStatus;
}

/** A finding as the findings ledger keeps it: what identifies it and what a reader of a change needs. */
export interface CompactFinding {
  id: string;
  severity: Severity;
  package?: string;
  version?: string;
  fixedIn?: string;
  /** ISO 8601, whole seconds: when the ledger first saw this finding (id + package) on the image reference. */
  firstSeen?: string;
}

/** What changed between the last report for an image reference and this one (ledger/changes.ts). */
export interface ReportChanges {
  /** No earlier report for this image reference is known: nothing can be called new or fixed. */
  firstReport: boolean;
  /** ISO 8601 completion time of the scan behind the previous report. */
  previousScanAt?: string;
  newFindings: Finding[];
  fixedFindings: CompactFinding[];
  severityRaised: { finding: Finding; from: Severity }[];
  /** Findings added to CISA's KEV catalog since the last report (an escalation without a rescan names them). */
  nowKnownExploited?: Finding[];
}

/** A SeverityCounts with every severity at 0. */
export function emptySeverityCounts(): SeverityCounts {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 };
}
