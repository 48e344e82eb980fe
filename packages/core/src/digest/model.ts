import type { IntelStatus, Severity, SeverityCounts } from "../model.js";

/**
 * A digest: one route's periodic picture of the registry, built from the findings ledger by send-digests
 * (docs/architecture.md, "Digests"). Every text in it that came from an image or a vulnerability feed (repository
 * names, tags, package names, vulnerability ids) is untrusted: a reporter escapes it for its target, as for reports.
 */
export interface Digest {
  /** The deployment's own account (the hub's, with `accounts`). */
  account: string;
  region: string;
  /**
   * The accounts whose registries the digest covers, in the configuration's order, each with its own picture
   * ([8/8]); present only when the configuration lists `accounts`. Then every image and image reference the digest
   * names carries its account (`DigestImage.registryId`/`accountName`, references suffixed `(name)`).
   */
  accounts?: DigestAccount[];
  /** The period this digest closes. `key` identifies it: one digest per route per key, ever. */
  period: DigestPeriod;
  /** Whom this digest is for: the reporter entry and the filter that made it. */
  route: DigestRoute;
  /** True when the ledger held nothing for this route's images: the digest says so rather than "all clear". */
  emptyLedger: boolean;
  /** Open findings over the images in use (the image each tag points at now), at or above the route's minSeverity. */
  open: {
    counts: SeverityCounts;
    /** The same counts at the previous digest of this route; absent for the first. */
    previous?: SeverityCounts;
    /** Images in use the route covers (tagged images still in the registry). */
    images: number;
    /** Of those, images with at least one open finding counted above. */
    imagesWithFindings: number;
    /** Images in use the ledger has no findings for yet (never reported on): not counted above. */
    imagesUnknown: number;
  };
  /** Images whose open findings exceed the configured thresholds, worst first. */
  overThresholds: {
    /** How many images are over the thresholds in all. */
    total: number;
    /** The worst ones (at most DIGEST_TOP_IMAGES). */
    top: DigestImage[];
  };
  /** Findings that reports called new in this period (per image reference), most severe first. */
  newFindings: DigestChangeList;
  /** Findings that reports called fixed in this period, most severe first. */
  fixedFindings: DigestChangeList;
  /**
   * Open findings on CISA's KEV catalog in the route's images in use, overdue first, then by due date; absent when
   * KEV is off or its catalog could not be read (`intel` says which).
   */
  knownExploited?: DigestKevList;
  /** The state of the threat-intel sources the digest used; absent when intel was not looked up. */
  intel?: IntelStatus;
  /** What the latest scheduled scan run saw of the route's repositories; absent when no run has been recorded. */
  coverage?: DigestCoverage;
  /** The ECR console's page of the account's private repositories in the region. */
  consoleUrl: string;
}

export interface DigestPeriod {
  /** Stable across a retried or doubled invocation of the same schedule: the scheduled time, to the minute. */
  key: string;
  /** ISO 8601: the previous digest of this route, or `end` minus the default period (7 days) for the first. */
  start: string;
  /** ISO 8601: when this digest was built (the schedule's time). */
  end: string;
  /** ISO 8601: the previous digest of this route, when there was one. */
  previousDigestAt?: string;
}

export interface DigestRoute {
  /** The reporter entry's id (`slack`, `slack#2`). */
  reporterId: string;
  /** The entry's `repositories` regex source, when it has one. */
  repositories?: string;
  /** The entry's `minSeverity`, when it has one: less severe findings are not counted. */
  minSeverity?: Severity;
  /** The entry's `accounts` (ids or names), when it has them: only those accounts' images are covered. */
  accounts?: string[];
}

/** One account of a multi-account digest: the same picture as the digest's `open`, for its images only. */
export interface DigestAccount {
  /** The 12-digit account id (the registryId of its images). */
  account: string;
  /** The configuration's `name` of the account, when it has one. */
  accountName?: string;
  /** Open findings over its images in use (at or above the route's minSeverity). */
  counts: SeverityCounts;
  images: number;
  imagesWithFindings: number;
  imagesUnknown: number;
  /** Its images over the thresholds. */
  overThresholds: number;
  /**
   * Why the account could not be read whole (its repositories not listed, or one of them not read; secret-free, e.g.
   * `describeError`): the images it could not read are not counted above, so a reporter shows it as not reachable
   * rather than its counts, which would read like an empty, clean registry. Absent when every read succeeded.
   */
  unreachable?: string;
}

/** An image in use that is over the thresholds. */
export interface DigestImage {
  /** The account the image is in (its 12-digit id). */
  registryId: string;
  /** The configuration's `name` of that account, in a multi-account digest whose account has one. */
  accountName?: string;
  repository: string;
  digest: string;
  /** The tags that point at it now. */
  tags: string[];
  /** Open findings by severity (at or above the route's minSeverity). */
  counts: SeverityCounts;
  /** The severities whose count exceeds its threshold. */
  exceeded: Severity[];
  /** The oldest open CRITICAL (else HIGH) finding, and when it was first seen on the image's references. */
  oldestOpen?: { id: string; severity: Severity; package?: string; firstSeen: string; openDays: number };
  /** ISO 8601 completion of the scan the counts are from. */
  scannedAt: string;
  consoleUrl: string;
}

/** One finding that changed, and where. */
export interface DigestChange {
  id: string;
  severity: Severity;
  package?: string;
  version?: string;
  fixedIn?: string;
  /**
   * The image references it changed on (`repository:tag`, or `repository@digest` when untagged), at most 5; in a
   * multi-account digest each ends with its account, `team-a/api:v1 (prod)` (the name, else the id).
   */
  references: string[];
  /** How many image references in all. */
  referenceCount: number;
}

export interface DigestChangeList {
  /** Distinct findings (vulnerability id + package) in all. */
  total: number;
  /** The most severe ones (at most DIGEST_TOP_CHANGES). */
  top: DigestChange[];
  /** The period's ledger log could not be read in full (the picture may miss some). */
  partial?: boolean;
}

/** One KEV vulnerability open in the route's images in use. */
export interface DigestKevFinding {
  id: string;
  severity: Severity;
  package?: string;
  /** `YYYY-MM-DD`. */
  dateAdded: string;
  /** `YYYY-MM-DD`: CISA's remediation due date. */
  dueDate?: string;
  /** The due date is before the digest's end. */
  overdue: boolean;
  /** CISA's knownRansomwareCampaignUse is "Known". */
  knownRansomware: boolean;
  /** The image references it is open on (`repository:tag`, with ` (account)` as above), at most 5. */
  references: string[];
  referenceCount: number;
}

export interface DigestKevList {
  /** Distinct KEV vulnerabilities open in the route's images in use. */
  total: number;
  /** How many of them are overdue. */
  overdue: number;
  /** The first ones (at most DIGEST_TOP_CHANGES): overdue first, then by due date, then most severe. */
  top: DigestKevFinding[];
}

/** What the latest scheduled run decided about the images of the route's repositories. */
export interface DigestCoverage {
  /** ISO 8601: the oldest of the latest per-repository runs counted (a run covers its repositories over minutes). */
  runAt: string;
  repositories: number;
  images: number;
  /** Images with a recent scan: fresh, scanning, or scanned by that run. */
  scanned: number;
  /** Images whose last scan is older than `scan.expiry`, or failed, and were not scanned by that run. */
  stale: number;
  neverScanned: number;
  unsupported: number;
  notImages: number;
  notInUse: number;
  archived: number;
  /** Images under enhanced scanning (Amazon Inspector rescans continuously; the run leaves them alone). */
  enhanced: number;
  /** Repositories the route covers with no recorded run yet. */
  repositoriesWithoutRun: number;
}

/** How many images over the thresholds a digest lists by name; the rest are counted. */
export const DIGEST_TOP_IMAGES = 20;
/** How many new (and fixed) findings a digest lists by name; the rest are counted. */
export const DIGEST_TOP_CHANGES = 20;
/** The period of a route's first digest. */
export const DEFAULT_DIGEST_PERIOD_DAYS = 7;
