import { describeError, isRetryableAwsError } from "../errors.js";
import type { CompactFinding, LastScan } from "../model.js";
import type { ReporterLogger } from "../reporters/contract.js";
import type { ForgetImageOutcome } from "./deleted-images.js";
import type { ChangeLogEntry, RepositoryCoverage } from "./digest-records.js";
import {
  type ImageFindingsRecord,
  type LastReportRecord,
  type LedgerImage,
  type LedgerReference,
  referenceName,
  type SentRecord,
} from "./records.js";
import type { ImageSummary } from "./summary.js";

/** The logger the ledger writes to: the project's structured logger, or any ReporterLogger. */
export type LedgerLogger = Pick<ReporterLogger, "debug" | "info" | "warn">;

/** An image's last scan as the ledger knows it. */
export interface KnownScan {
  status: string;
  /** ISO 8601. */
  completedAt: string;
  description?: string;
  /** Open findings by severity and the oldest CRITICAL/HIGH, of the last complete scan (digests read it). */
  summary?: ImageSummary;
}

/** A scan to record: completed, failed, or any other status an ECR scan event carries. */
export interface ScanToRecord {
  status: string;
  /** ISO 8601; the event's time when ECR gives no completion time. */
  completedAt: string;
  description?: string;
}

/** "stale": the ledger already holds a later scan of the image, and keeps it. */
export type RecordScanOutcome = "recorded" | "stale" | "disabled";

/** What a report told about an image reference, written as the reference's LAST item. */
export interface ReportToRecord {
  digest: string;
  scanCompletedAt: string;
  findings: readonly CompactFinding[];
  /** The verdict was due (over the thresholds, or a failed scan to notify). */
  over: boolean;
}

/**
 * What the ledger knows of an image reference: its last report and, per reporter asked for, what it was last sent.
 * `known: false` when there is no ledger or the read did not succeed: changes cannot be computed.
 */
export type ReferenceHistory =
  | { known: false }
  | { known: true; last?: LastReportRecord; sent: ReadonlyMap<string, SentRecord> };

/** A send to claim: one reporter, one scan completion, every reference the report speaks for. */
export interface SendRequest {
  refs: readonly LedgerReference[];
  reporter: string;
  /** records.ts `scanKeyOf`. */
  scanKey: string;
  /** The report's verdict was due; remembered to decide a later "back within thresholds" notice. */
  over: boolean;
  /** The report is about a failed scan. */
  failedScan?: boolean;
  /**
   * The CVE ids the report sent to this reporter shows as known exploited: a later KEV escalation of only these
   * ids tells this reporter nothing new (notify.ts, "already-known-exploited").
   */
  kevIds?: readonly string[];
}

/** A claimed send; pass it to completeSend once the reporter has sent, or to releaseSend when it failed. */
export interface SendClaim extends SendRequest {
  token: string;
}

/**
 * "already-sent": this reporter was sent this scan completion (on one of the references). "in-flight": another
 * invocation holds a live claim on it; if that one fails it releases the claim, and a retry may send.
 */
export type ClaimOutcome =
  | { outcome: "claimed"; claim: SendClaim }
  | { outcome: "already-sent" | "in-flight" };

/**
 * The findings ledger (docs/architecture.md, "Findings ledger"): what the product remembers between scans, so that
 * reports say what changed and reporters are not sent the same thing twice. One interface for the Lambdas, the CLI
 * and tests; `disabledLedger` stands in when no table is configured.
 */
export interface FindingsLedger {
  /** False for the stand-in without a table: reads know nothing, writes keep nothing. */
  readonly enabled: boolean;
  /**
   * The last scan of each image, keyed by records.ts `imageName`; an image the ledger does not know (or could not
   * read) is absent. Batched: 100 images per read call.
   */
  lastScans(images: readonly LedgerImage[]): Promise<Map<string, KnownScan>>;
  /**
   * Records a scan event of an image, with the findings of the scan when it completed (the image's stored findings
   * are kept otherwise). Never replaces a later scan already recorded: "stale" then.
   */
  recordScan(
    image: LedgerImage & { tags?: readonly string[] },
    scan: ScanToRecord,
    findings?: readonly CompactFinding[],
  ): Promise<RecordScanOutcome>;
  /** Appends what one report called new, fixed and raised to the day's change log (digests read it). */
  recordChanges(entry: ChangeLogEntry): Promise<void>;
  /** Records what a scheduled run decided about one repository's images (a digest's coverage). */
  recordCoverage(coverage: RepositoryCoverage): Promise<void>;
  /** The findings of the image's last complete scan, as recorded by recordScan; undefined when unknown. */
  readImageFindings(image: LedgerImage): Promise<ImageFindingsRecord | undefined>;
  /** The same for many images, keyed by records.ts `imageName` (100 a read call); unknown images are absent. */
  readImagesFindings(images: readonly LedgerImage[]): Promise<Map<string, ImageFindingsRecord>>;
  /**
   * Forgets an image deleted from the registry (ledger/deleted-images.ts): deletes its items — SCAN, FINDINGS and
   * its vulnerability-index items, so that exposure, KEV escalations and digests stop finding it at once — except
   * those of a scan completed after `deletedAt` (the digest pushed again since), and lets the LAST item of each of
   * its references (the digest, `tags`, and its tags at scan) that still names it expire. Idempotent: a second
   * call finds nothing to delete and no LAST without its expiry.
   */
  forgetImage(
    image: LedgerImage & { tags?: readonly string[] },
    deletedAt: string,
  ): Promise<ForgetImageOutcome>;
  /**
   * Lets the LAST item of each reference expire (the table's TTL) while it still names the reference's digest and
   * has no expiry yet: a tag removed from an image. How many were given their expiry.
   */
  expireReferences(refs: readonly LedgerReference[]): Promise<number>;
  /** The history of each reference, keyed by records.ts `referenceName`, with what each named reporter was sent. */
  readReferences(
    refs: readonly LedgerReference[],
    reporters: readonly string[],
  ): Promise<Map<string, ReferenceHistory>>;
  /** Writes what was reported for each reference (its LAST item), unless a later scan was already recorded there. */
  recordReport(refs: readonly LedgerReference[], report: ReportToRecord): Promise<void>;
  /** Claims the send of one scan completion to one reporter: at most one invocation wins, and only once. */
  claimSend(request: SendRequest): Promise<ClaimOutcome>;
  /** Records the claimed send as done: this scan completion is never sent to this reporter again. */
  completeSend(claim: SendClaim): Promise<void>;
  /** Gives a claim up after a failed send, so that the targeted retry can claim and send again. */
  releaseSend(claim: SendClaim): Promise<void>;
}

export const NO_LEDGER_MESSAGE = "changes cannot be computed: no ledger table (LEDGER_TABLE_NAME)";

/**
 * The ledger when LEDGER_TABLE_NAME is unset (a CLI run with no table): the product works as without a ledger.
 * Reads know nothing, claims always succeed (nothing is remembered to deduplicate with), and the first read says
 * once that changes cannot be computed.
 */
export function disabledLedger(logger: LedgerLogger): FindingsLedger {
  let told = false;
  const tellOnce = () => {
    if (told) return;
    told = true;
    logger.warn(NO_LEDGER_MESSAGE);
  };
  return {
    enabled: false,
    async lastScans() {
      tellOnce();
      return new Map();
    },
    async recordScan() {
      return "disabled";
    },
    async recordChanges() {},
    async recordCoverage() {},
    async readImageFindings() {
      return undefined;
    },
    async readImagesFindings() {
      return new Map();
    },
    async forgetImage() {
      return { deleted: 0, kept: 0, referencesExpired: 0 };
    },
    async expireReferences() {
      return 0;
    },
    async readReferences(refs) {
      tellOnce();
      return new Map(refs.map((ref) => [referenceName(ref), { known: false }]));
    },
    async recordReport() {},
    async claimSend(request) {
      return { outcome: "claimed", claim: { ...request, token: "no-ledger" } };
    },
    async completeSend() {},
    async releaseSend() {},
  };
}

/** The scheduler's view of a scan the ledger knows. */
export function lastScanOf(known: KnownScan): LastScan {
  const scan: LastScan = { kind: "scanned", status: known.status, completedAt: new Date(known.completedAt) };
  if (known.description !== undefined) scan.description = known.description;
  return scan;
}

/**
 * A ledger call that failed for another reason than its condition: names the table, the operation and what it was
 * about (an image or references). `retryable` when a later try could mend it (throttling, 5xx, network).
 */
export class LedgerError extends Error {
  readonly tableName: string;
  readonly operation: string;
  readonly subject: string;
  readonly retryable: boolean;

  constructor(operation: string, tableName: string, subject: string, cause: unknown) {
    super(
      `findings ledger ${operation} of ${subject} on table ${tableName} failed: ${describeError(cause)}`,
      {
        cause,
      },
    );
    this.name = "LedgerError";
    this.tableName = tableName;
    this.operation = operation;
    this.subject = subject;
    this.retryable = isRetryableAwsError(cause);
  }
}
