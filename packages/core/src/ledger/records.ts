import * as z from "zod";
import { type CompactFinding, decodeFindings } from "./compact.js";

/**
 * The ledger's items, one table (docs/architecture.md, "Findings ledger"):
 *
 * - `IMAGE#<registryId>/<repository>@<digest>` / `SCAN`: the image's last scan (small: the scheduler reads it for
 *   every image, and DynamoDB charges a read by the whole item's size);
 * - the same partition / `FINDINGS`: the findings of the image's last complete scan;
 * - `REF#<registryId>/<repository>:<tag>` (or `@<digest>` when untagged) / `LAST`: what was last reported for that
 *   image reference;
 * - the same partition / `SENT#<reporter>`: what that reporter was last sent for the reference, and the claim of a
 *   send in flight.
 *
 * Every item carries `schema`, the version of its format. An item of another version, or one that does not match
 * its schema, is read as absent (with a reason to log), one record at a time: never fatal.
 */
export const LEDGER_SCHEMA_VERSION = 1;

/** An image, by digest. */
export interface LedgerImage {
  registryId: string;
  repository: string;
  digest: string;
}

/** An image reference: repository and tag, or repository@digest when the image is untagged (`tag` absent). */
export interface LedgerReference extends LedgerImage {
  tag?: string;
}

export interface ItemKey {
  pk: string;
  sk: string;
}

export const IMAGE_PREFIX = "IMAGE#";
export const REFERENCE_PREFIX = "REF#";
export const IMAGE_SORT_KEY = "SCAN";
export const IMAGE_FINDINGS_SORT_KEY = "FINDINGS";
export const LAST_REPORT_SORT_KEY = "LAST";
export const SENT_PREFIX = "SENT#";

/** `<registryId>/<repository>@<digest>`: the key of an image in maps the ledger returns. */
export function imageName(image: LedgerImage): string {
  return `${image.registryId}/${image.repository}@${image.digest}`;
}

/**
 * `<registryId>/<repository>:<tag>`, or `<registryId>/<repository>@<digest>` when untagged. Unambiguous: ECR allows
 * neither `:` nor `@` in repository names and tags.
 */
export function referenceName(ref: LedgerReference): string {
  return ref.tag ? `${ref.registryId}/${ref.repository}:${ref.tag}` : imageName(ref);
}

export function imageKey(image: LedgerImage): ItemKey {
  return { pk: `${IMAGE_PREFIX}${imageName(image)}`, sk: IMAGE_SORT_KEY };
}

export function imageFindingsKey(image: LedgerImage): ItemKey {
  return { pk: `${IMAGE_PREFIX}${imageName(image)}`, sk: IMAGE_FINDINGS_SORT_KEY };
}

export function lastReportKey(ref: LedgerReference): ItemKey {
  return { pk: `${REFERENCE_PREFIX}${referenceName(ref)}`, sk: LAST_REPORT_SORT_KEY };
}

export function sentKey(ref: LedgerReference, reporter: string): ItemKey {
  return { pk: `${REFERENCE_PREFIX}${referenceName(ref)}`, sk: `${SENT_PREFIX}${reporter}` };
}

/** The references a report of an image speaks for: one per tag, or the digest itself when untagged. */
export function referencesOf(image: LedgerImage & { tags: readonly string[] }): LedgerReference[] {
  const { registryId, repository, digest } = image;
  if (image.tags.length === 0) return [{ registryId, repository, digest }];
  return [...new Set(image.tags)].map((tag) => ({ registryId, repository, digest, tag }));
}

/**
 * `<digest>#<completedAt>`: identifies one scan completion, the unit a reporter is sent at most once. The time is
 * normalized to `Date.toISOString` form, so that the same completion written two ways (`…:00Z`, `…:00.000Z`) is one.
 */
export function scanKeyOf(digest: string, completedAt: string): string {
  return `${digest}#${isoTimeOf(completedAt)}`;
}

/** A time in `Date.toISOString` form (as the ledger stores and compares times); the text itself when unreadable. */
export function isoTimeOf(time: string | Date): string {
  const date = typeof time === "string" ? new Date(time) : time;
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString();
}

/** Times are written by `Date.toISOString` (UTC, `Z`), so that they compare as strings in condition expressions. */
const isoTime = z.iso.datetime();
const epochSeconds = z.number().int().nonnegative();
const storedFindings = z.array(z.unknown());

const imageItemSchema = z.object({
  pk: z.string().startsWith(IMAGE_PREFIX),
  sk: z.literal(IMAGE_SORT_KEY),
  status: z.string().min(1),
  completedAt: isoTime,
  description: z.string().optional(),
  updatedAt: isoTime,
  expiresAt: epochSeconds.optional(),
});

const imageFindingsItemSchema = z.object({
  pk: z.string().startsWith(IMAGE_PREFIX),
  sk: z.literal(IMAGE_FINDINGS_SORT_KEY),
  findingsAt: isoTime,
  findings: storedFindings,
  truncated: z.boolean().optional(),
  updatedAt: isoTime,
  expiresAt: epochSeconds.optional(),
});

const lastReportItemSchema = z.object({
  pk: z.string().startsWith(REFERENCE_PREFIX),
  sk: z.literal(LAST_REPORT_SORT_KEY),
  digest: z.string().min(1),
  scanCompletedAt: isoTime,
  findings: storedFindings,
  truncated: z.boolean().optional(),
  over: z.boolean(),
  reportedAt: isoTime,
});

const sentItemSchema = z
  .object({
    pk: z.string().startsWith(REFERENCE_PREFIX),
    sk: z.string().startsWith(SENT_PREFIX),
    scanKey: z.string().min(1).optional(),
    over: z.boolean().optional(),
    failed: z.boolean().optional(),
    at: isoTime.optional(),
    /** The CVE ids the sent report showed as known exploited (KEV), so an escalation of only those is held. */
    kev: z.array(z.string()).optional(),
    claimScanKey: z.string().min(1).optional(),
    claimToken: z.string().min(1).optional(),
    claimExpiresAt: epochSeconds.optional(),
  })
  .refine((item) => (item.scanKey === undefined) === (item.over === undefined && item.at === undefined), {
    message: "scanKey, over and at go together",
  })
  .refine(
    (item) =>
      (item.claimToken === undefined) ===
      (item.claimScanKey === undefined && item.claimExpiresAt === undefined),
    { message: "claimScanKey, claimToken and claimExpiresAt go together" },
  );

/** The last scan of an image. */
export interface ImageScanRecord {
  status: string;
  completedAt: string;
  description?: string;
  updatedAt: string;
  /** Epoch seconds; set when the image is known gone from the registry (the table's TTL attribute). */
  expiresAt?: number;
}

/** The findings of an image's last complete scan. */
export interface ImageFindingsRecord {
  /** Completion time of the scan whose findings these are (older than the last scan after a failed rescan). */
  findingsAt: string;
  findings: CompactFinding[];
  /** Some (the least severe) findings were left out to keep the item under DynamoDB's size limit. */
  truncated: boolean;
  /** Stored entries that could not be read (another version's format, a hand edit). */
  skippedFindings: number;
  updatedAt: string;
  expiresAt?: number;
}

/** What was last reported for an image reference. */
export interface LastReportRecord {
  digest: string;
  scanCompletedAt: string;
  findings: CompactFinding[];
  truncated: boolean;
  skippedFindings: number;
  /** The report's verdict was due (over the thresholds, or a failed scan to notify). */
  over: boolean;
  reportedAt: string;
}

/** What one reporter was last sent for an image reference, and a send claimed but not yet done. */
export interface SentRecord {
  reporter: string;
  sent?: {
    scanKey: string;
    over: boolean;
    failed: boolean;
    at: string;
    /** The CVE ids that report showed on CISA's KEV catalog (absent: none, or sent before this was recorded). */
    kev?: string[];
  };
  /** A claim in flight; abandoned (and claimable again) once `expiresAt` (epoch seconds) has passed. */
  pending?: { scanKey: string; expiresAt: number };
}

/** A record read from an item, or why the item was ignored (for one log line). */
export type Parsed<T> = { record: T; reason?: undefined } | { record: undefined; reason: string };

function versionProblem(item: Record<string, unknown>): string | undefined {
  if (item.schema === LEDGER_SCHEMA_VERSION) return undefined;
  if (item.schema === undefined) return "no schema attribute: not an item of this product's ledger";
  return `record format ${String(item.schema)}, this version reads format ${LEDGER_SCHEMA_VERSION}`;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "item"}: ${issue.message}`).join("; ");
}

/**
 * Reads one ledger item of any kind (these records, digests, the vulnerability index, KEV escalations, the intel
 * cache): an item of another record format, or one `schema` rejects, is read as absent with the reason to log.
 * `toRecord` turns the valid item into the record, or returns a string: what its schema cannot check (read as
 * malformed too).
 */
export function parseLedgerItem<S extends z.ZodType, T extends object>(
  schema: S,
  item: Record<string, unknown>,
  toRecord: (valid: z.infer<S>) => T | string,
): Parsed<T> {
  const problem = versionProblem(item);
  if (problem) return { record: undefined, reason: problem };
  const result = schema.safeParse(item);
  if (!result.success) return { record: undefined, reason: `malformed: ${describeIssues(result.error)}` };
  const record = toRecord(result.data);
  return typeof record === "string" ? { record: undefined, reason: `malformed: ${record}` } : { record };
}

export function parseImageItem(item: Record<string, unknown>): Parsed<ImageScanRecord> {
  return parseLedgerItem(imageItemSchema, item, (valid) => {
    const record: ImageScanRecord = {
      status: valid.status,
      completedAt: valid.completedAt,
      updatedAt: valid.updatedAt,
    };
    if (valid.description !== undefined) record.description = valid.description;
    if (valid.expiresAt !== undefined) record.expiresAt = valid.expiresAt;
    return record;
  });
}

export function parseImageFindingsItem(item: Record<string, unknown>): Parsed<ImageFindingsRecord> {
  return parseLedgerItem(imageFindingsItemSchema, item, (valid) => {
    const decoded = decodeFindings(valid.findings);
    const record: ImageFindingsRecord = {
      findingsAt: valid.findingsAt,
      findings: decoded.findings,
      truncated: valid.truncated ?? false,
      skippedFindings: decoded.skipped,
      updatedAt: valid.updatedAt,
    };
    if (valid.expiresAt !== undefined) record.expiresAt = valid.expiresAt;
    return record;
  });
}

export function parseLastReportItem(item: Record<string, unknown>): Parsed<LastReportRecord> {
  return parseLedgerItem(lastReportItemSchema, item, (valid) => {
    const decoded = decodeFindings(valid.findings);
    return {
      digest: valid.digest,
      scanCompletedAt: valid.scanCompletedAt,
      findings: decoded.findings,
      truncated: valid.truncated ?? false,
      skippedFindings: decoded.skipped,
      over: valid.over,
      reportedAt: valid.reportedAt,
    };
  });
}

export function parseSentItem(item: Record<string, unknown>): Parsed<SentRecord> {
  return parseLedgerItem(sentItemSchema, item, (valid) => {
    const record: SentRecord = { reporter: valid.sk.slice(SENT_PREFIX.length) };
    if (valid.scanKey !== undefined && valid.over !== undefined && valid.at !== undefined) {
      record.sent = { scanKey: valid.scanKey, over: valid.over, failed: valid.failed ?? false, at: valid.at };
      if (valid.kev !== undefined) record.sent.kev = valid.kev;
    }
    if (valid.claimScanKey !== undefined && valid.claimExpiresAt !== undefined) {
      record.pending = { scanKey: valid.claimScanKey, expiresAt: valid.claimExpiresAt };
    }
    return record;
  });
}
