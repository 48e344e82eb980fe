import type { DynamoDBClient, QueryCommandInput } from "@aws-sdk/client-dynamodb";
import { describeError } from "../errors.js";
import type { Severity } from "../model.js";
import { severityRank } from "../view/severity.js";
import { type AttributeMap, toAttributeValue } from "./attributes.js";
import { LedgerError, type LedgerLogger } from "./ledger.js";
import {
  IMAGE_SORT_KEY,
  type ImageScanRecord,
  type ItemKey,
  imageKey,
  imageName,
  LAST_REPORT_SORT_KEY,
  lastReportKey,
  type Parsed,
  parseImageItem,
  parseLastReportItem,
} from "./records.js";
import { LEDGER_TABLE, PACKAGE_INDEX, VULNERABILITY_INDEX } from "./table.js";
import { LedgerTable } from "./table-client.js";
import { parseVulnerabilityIndexItem, type VulnerabilityIndexEntry } from "./vulnerability-index.js";

/**
 * Exposure (docs/architecture.md, "Exposure"): "which images contain CVE-X?" and "which images have log4j-core
 * 2.14?", answered from the ledger's two sparse GSIs (table.ts) with a Query — never a Scan of the table — and then,
 * for each image found, whether a tag points at it now: the REF items' last report says which digest each tag was
 * last reported for, and the image's SCAN item gives its last scan and whether it is gone from the registry.
 */

/** What `@VERSION` may be followed by in a longer version it stands for: `2.14` is 2.14, 2.14.1, 2.14-r1, not 2.140. */
const VERSION_SEPARATORS = [".", "-", "+", "~"] as const;

const CVE_ID = /^cve-\d{4}-\d{4,}$/i;

export interface ExposureOptions {
  client: Pick<DynamoDBClient, "send">;
  tableName: string;
  /** A vulnerability id (CVE-…, GHSA-…, ALAS-…); with `packageName`, only its findings in that package. */
  vulnerability?: string;
  /** A package name; alone, every image with a finding in that package. */
  packageName?: string;
  /** With `packageName`: that version, or any version it is a prefix of up to a separator (2.14 → 2.14.1). */
  packageVersion?: string;
  logger: LedgerLogger;
  /** Items per Query page (DynamoDB's Limit); unset, DynamoDB's own pages of up to 1 MB. */
  pageSize?: number;
  /** The wait between BatchGetItem attempts for unprocessed keys; replaced in tests. */
  sleep?: (ms: number) => Promise<void>;
}

/** One vulnerability of an exposed image's package. */
export interface ExposedVulnerability {
  id: string;
  severity: Severity;
  fixedIn?: string;
  /** ISO 8601: when the image reference first showed it. */
  firstSeen?: string;
}

/**
 * An image found, one entry per image and package (and version): for a vulnerability id that is one finding; for
 * a package alone, every vulnerability found in that package of the image, worst first.
 */
export interface ExposedImage {
  registryId: string;
  repository: string;
  digest: string;
  /** The tags that point at the image now (a tag moved to another image since the scan is left out). */
  tags: string[];
  /** The image's tags when it was scanned. */
  tagsAtScan: string[];
  /** Some tag points at the image now. */
  inUse: boolean;
  /** The ledger knows the image is gone from the registry (its record is expiring): never in use. */
  gone: boolean;
  /** The worst severity of `vulnerabilities`. */
  severity: Severity;
  package?: string;
  version?: string;
  /** The highest fixed-in version of `vulnerabilities` (natural order): upgrading to it fixes them all. */
  fixedIn?: string;
  /** The earliest first-seen time of `vulnerabilities`. */
  firstSeen?: string;
  /** The image's last scan, which may be later than `findingsAt` (a failed rescan). */
  lastScan?: { status: string; completedAt: string };
  /** ISO 8601 completion of the scan these findings are from. */
  findingsAt: string;
  vulnerabilities: ExposedVulnerability[];
}

/** DynamoDB work done, for logs and `pnpm bench`. */
export interface ExposureStats {
  queryCalls: number;
  /** BatchGetItem calls, retries of unprocessed keys included. */
  readCalls: number;
  /** Read capacity units consumed by every Query and BatchGetItem. */
  consumedReadUnits: number;
  /** Pages of the query that answered. */
  pages: number;
}

export interface Exposure {
  /** The id as found in the ledger (`CVE-2021-44228` for `cve-2021-44228`); absent for a package query. */
  vulnerability?: string;
  package?: { name: string; version?: string };
  /** In use first, then worst severity, repository, tag. */
  images: ExposedImage[];
  stats: ExposureStats;
}

/** The JSON answer (the CLI's `--json`, the demo's file): `{ vulnerability, package?, images }`, the vulnerability null for a package query. */
export function exposureJson(exposure: Exposure) {
  return {
    vulnerability: exposure.vulnerability ?? null,
    ...(exposure.package ? { package: exposure.package } : {}),
    images: exposure.images,
  };
}

/**
 * An exposure query failed: the message names the table and says what to do (set the table, grant the
 * permissions, deploy the indexes). `cause` is the AWS error.
 */
export class ExposureError extends Error {
  readonly tableName: string;

  constructor(tableName: string, operation: string, cause: unknown) {
    super(exposureErrorMessage(tableName, operation, cause), { cause });
    this.name = "ExposureError";
    this.tableName = tableName;
  }
}

function errorName(error: unknown): string {
  return typeof error === "object" && error !== null && "name" in error ? String(error.name) : "";
}

function exposureErrorMessage(tableName: string, operation: string, cause: unknown): string {
  const name = errorName(cause);
  const detail = describeError(cause);
  const setTable =
    "Set LEDGER_TABLE_NAME or --table to the module's ledger table (Terraform output ledger_table_name), in its region";
  if (name === "ResourceNotFoundException") {
    return `ledger table ${tableName} not found (${detail}). ${setTable}.`;
  }
  if (name === "ValidationException" && /index/i.test(detail)) {
    const indexes = LEDGER_TABLE.globalSecondaryIndexes.map((index) => index.name).join(" and ");
    return `table ${tableName} does not have the ledger's indexes ${indexes} (${detail}): it is not the module's ledger table, or the module that created it predates them (apply the current module). ${setTable}.`;
  }
  if (/AccessDenied/.test(name)) {
    return `access denied on ledger table ${tableName} (${detail}). An exposure query needs dynamodb:Query on table/${tableName}/index/*, dynamodb:BatchGetItem on table/${tableName}, and kms:Decrypt on the table's key when it is a customer managed key.`;
  }
  return `exposure query: ${operation} on ledger table ${tableName} failed: ${detail}`;
}

/**
 * The ids to query for a vulnerability id as typed: the id as given, then, for a CVE id typed in another case
 * (`cve-2021-44228`), its upper-case form, the form ECR and Inspector store CVE ids in. Other ids (GHSA-…) are
 * case-sensitive in their feeds and kept as given.
 */
export function vulnerabilityIdCandidates(id: string): string[] {
  const given = id.trim();
  const upper = given.toUpperCase();
  return CVE_ID.test(given) && upper !== given ? [given, upper] : [given];
}

/**
 * `NAME[@VERSION]`: the version follows the last `@` that does not start the name (an npm scope, `@babel/core@7.1`,
 * keeps its own). Undefined when the name or the version after `@` is empty.
 */
export function parsePackageArgument(text: string): { name: string; version?: string } | undefined {
  const trimmed = text.trim();
  const at = trimmed.lastIndexOf("@");
  if (at <= 0) return trimmed ? { name: trimmed } : undefined;
  const name = trimmed.slice(0, at).trim();
  const version = trimmed.slice(at + 1).trim();
  return name && version ? { name, version } : undefined;
}

/** What to look for: an id, a package, or both; a version only with a package. */
export interface ExposureTarget {
  vulnerability?: string;
  packageName?: string;
  packageVersion?: string;
}

/**
 * The Query for a target, on the index whose keys narrow it most: id and package are the hash and range keys of
 * `by-package`; an id alone is the hash key of `by-vulnerability`, a package alone that of `by-package`. A version
 * is not a key of either: a FilterExpression (DynamoDB still reads, and bills, the items it filters out).
 */
export function exposureQueryInput(
  target: ExposureTarget,
): Pick<
  QueryCommandInput,
  | "IndexName"
  | "KeyConditionExpression"
  | "FilterExpression"
  | "ExpressionAttributeNames"
  | "ExpressionAttributeValues"
> {
  const names: Record<string, string> = {};
  const values: AttributeMap = {};
  const equals = (attribute: string, value: string) => {
    names[`#${attribute}`] = attribute;
    values[`:${attribute}`] = toAttributeValue(value);
    return `#${attribute} = :${attribute}`;
  };
  let indexName: string;
  let keyCondition: string;
  if (target.packageName) {
    indexName = PACKAGE_INDEX;
    keyCondition = equals("package", target.packageName);
    if (target.vulnerability) keyCondition += ` AND ${equals("vulnerability", target.vulnerability)}`;
  } else if (target.vulnerability) {
    indexName = VULNERABILITY_INDEX;
    keyCondition = equals("vulnerability", target.vulnerability);
  } else {
    throw new TypeError("an exposure query needs a vulnerability id or a package name");
  }
  let filter: string | undefined;
  if (target.packageVersion !== undefined) {
    if (!target.packageName) throw new TypeError("a package version needs a package name");
    const prefixes = VERSION_SEPARATORS.map((separator, i) => {
      values[`:version${i}`] = toAttributeValue(`${target.packageVersion}${separator}`);
      return `begins_with(#version, :version${i})`;
    });
    filter = `${equals("version", target.packageVersion)} OR ${prefixes.join(" OR ")}`;
  }
  return {
    IndexName: indexName,
    KeyConditionExpression: keyCondition,
    ...(filter ? { FilterExpression: filter } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The highest of some versions in natural order (2.17.1 after 2.15.0 and 2.9); undefined for none. */
export function highestVersion(versions: Iterable<string | undefined>): string | undefined {
  let highest: string | undefined;
  for (const version of versions) {
    if (version === undefined) continue;
    if (highest === undefined || version.localeCompare(highest, "en", { numeric: true }) > 0)
      highest = version;
  }
  return highest;
}

/** An image and package found by the index, before the reads of its tags and last scan. */
type FoundImage = Omit<ExposedImage, "tags" | "inUse" | "gone" | "lastScan">;

/**
 * Index entries grouped by image and package (and version), each group's vulnerabilities worst first: the worst
 * severity, the earliest first-seen, the highest fix, the latest findings; the tags at scan of all of them.
 */
export function groupExposure(entries: readonly VulnerabilityIndexEntry[]): FoundImage[] {
  const groups = new Map<string, { first: VulnerabilityIndexEntry; members: VulnerabilityIndexEntry[] }>();
  for (const entry of entries) {
    const key = [imageName(entry), entry.finding.package ?? "", entry.finding.version ?? ""].join("\n");
    const group = groups.get(key);
    if (group) group.members.push(entry);
    else groups.set(key, { first: entry, members: [entry] });
  }
  return [...groups.values()].map(({ first, members }) => {
    const vulnerabilities = members
      .map(({ finding }): ExposedVulnerability => {
        const vulnerability: ExposedVulnerability = { id: finding.id, severity: finding.severity };
        if (finding.fixedIn !== undefined) vulnerability.fixedIn = finding.fixedIn;
        if (finding.firstSeen !== undefined) vulnerability.firstSeen = finding.firstSeen;
        return vulnerability;
      })
      .sort((a, b) => severityRank(a.severity) - severityRank(b.severity) || a.id.localeCompare(b.id));
    const found: FoundImage = {
      registryId: first.registryId,
      repository: first.repository,
      digest: first.digest,
      tagsAtScan: [...new Set(members.flatMap((member) => member.tagsAtScan))],
      severity: vulnerabilities[0]?.severity ?? first.finding.severity,
      findingsAt: members.map((member) => member.findingsAt).reduce((a, b) => (laterIso(b, a) ? b : a)),
      vulnerabilities,
    };
    if (first.finding.package !== undefined) found.package = first.finding.package;
    if (first.finding.version !== undefined) found.version = first.finding.version;
    const fixedIn = highestVersion(vulnerabilities.map((v) => v.fixedIn));
    if (fixedIn !== undefined) found.fixedIn = fixedIn;
    const firstSeen = vulnerabilities
      .map((v) => v.firstSeen)
      .filter((time): time is string => time !== undefined)
      .reduce<string | undefined>((a, b) => (a === undefined || laterIso(a, b) ? b : a), undefined);
    if (firstSeen !== undefined) found.firstSeen = firstSeen;
    return found;
  });
}

const laterIso = (a: string, b: string) => Date.parse(a) > Date.parse(b);

/**
 * The tags that point at an image now: of its tags at the scan, those whose reference was last reported for this
 * digest. A tag whose reference has no readable record (never reported, unreadable, left unprocessed) counts as
 * where it was at the scan: "in use" is the safer answer to "are we exposed?". None when the image is gone.
 */
export function tagsPointingAt(
  image: { digest: string; tagsAtScan: readonly string[] },
  lastReportedDigest: (tag: string) => string | undefined,
  gone: boolean,
): string[] {
  if (gone) return [];
  return image.tagsAtScan.filter((tag) => {
    const digest = lastReportedDigest(tag);
    return digest === undefined || digest === image.digest;
  });
}

/** In use first, then the worst severity, then repository, tag (current, else at scan) and digest. */
export function compareExposedImages(a: ExposedImage, b: ExposedImage): number {
  const tagOf = (image: ExposedImage) => image.tags[0] ?? image.tagsAtScan[0] ?? "";
  return (
    Number(b.inUse) - Number(a.inUse) ||
    severityRank(a.severity) - severityRank(b.severity) ||
    a.repository.localeCompare(b.repository) ||
    tagOf(a).localeCompare(tagOf(b)) ||
    a.digest.localeCompare(b.digest) ||
    (a.package ?? "").localeCompare(b.package ?? "")
  );
}

/** Distinct images (by registry, repository and digest) of an answer, and how many of them are in use. */
export function countExposedImages(images: readonly ExposedImage[]): { images: number; inUse: number } {
  const all = new Set(images.map(imageName));
  const inUse = new Set(images.filter((image) => image.inUse).map(imageName));
  return { images: all.size, inUse: inUse.size };
}

/**
 * The ledger table as an exposure query reads it: the ledger's own paged Query and batched, retried reads (each call
 * counted with its consumed capacity), several batches at once.
 */
class ExposureTable extends LedgerTable {
  constructor(private readonly options: ExposureOptions) {
    super(options);
  }

  /** Every page of the index query. */
  async queryIndex(input: ReturnType<typeof exposureQueryInput>, subject: string) {
    const { pageSize } = this.options;
    return this.queryAll(pageSize ? { ...input, Limit: pageSize } : input, subject);
  }

  /** The items of the keys, 100 a call and several calls at once (LedgerTable.batchGet); unprocessed keys left out. */
  async readKeys(keys: readonly ItemKey[], subject: string): Promise<Record<string, unknown>[]> {
    return (await this.batchGet(keys, subject)).items;
  }

  /** The record of an item, or undefined with the reason logged. */
  record<T>(
    item: Record<string, unknown>,
    parse: (item: Record<string, unknown>) => Parsed<T>,
  ): T | undefined {
    return this.parsed(item, parse);
  }
}

/**
 * Which images contain a vulnerability, or a package (and version), and whether each is in use: one Query of the
 * index that narrows most (every page), then one BatchGetItem per 100 of the images' SCAN items and their tags'
 * REF items. An unknown id or package answers an empty list, with no read of the table.
 */
export async function queryExposure(options: ExposureOptions): Promise<Exposure> {
  const packageName = options.packageName?.trim() || undefined;
  const packageVersion = options.packageVersion?.trim() || undefined;
  const given = options.vulnerability?.trim() || undefined;
  if (options.pageSize !== undefined && !(Number.isInteger(options.pageSize) && options.pageSize > 0)) {
    throw new TypeError(`pageSize must be a positive integer, not ${options.pageSize}`);
  }
  const table = new ExposureTable(options);
  try {
    return await answerExposure(table, { vulnerability: given, packageName, packageVersion });
  } catch (error) {
    if (error instanceof LedgerError) throw new ExposureError(table.tableName, error.operation, error.cause);
    throw error;
  }
}

async function answerExposure(table: ExposureTable, target: ExposureTarget): Promise<Exposure> {
  const { packageName, packageVersion } = target;
  const subject = [target.vulnerability, packageName && `package ${packageName}`]
    .filter(Boolean)
    .join(" in ");

  // An id typed in another case than the ledger's is tried again in its stored form.
  const candidates = target.vulnerability ? vulnerabilityIdCandidates(target.vulnerability) : [undefined];
  let vulnerability: string | undefined;
  let answer: { items: Record<string, unknown>[]; pages: number } = { items: [], pages: 0 };
  for (const id of candidates) {
    vulnerability = id;
    answer = await table.queryIndex(
      exposureQueryInput({ vulnerability: id, packageName, packageVersion }),
      subject,
    );
    if (answer.items.length > 0) break;
  }

  const entries = answer.items
    .map((item) => table.record(item, parseVulnerabilityIndexItem))
    .filter((entry): entry is VulnerabilityIndexEntry => entry !== undefined);
  const found = groupExposure(entries);

  const keys = found.flatMap((image) => [
    imageKey(image),
    ...image.tagsAtScan.map((tag) => lastReportKey({ ...image, tag })),
  ]);
  const read = keys.length > 0 ? await table.readKeys(keys, `images with ${subject}`) : [];
  const lastDigests = new Map<string, string>();
  const scans = new Map<string, ImageScanRecord>();
  for (const item of read) {
    if (item.sk === LAST_REPORT_SORT_KEY) {
      const last = table.record(item, parseLastReportItem);
      if (last) lastDigests.set(String(item.pk), last.digest);
    } else if (item.sk === IMAGE_SORT_KEY) {
      const scan = table.record(item, parseImageItem);
      if (scan) scans.set(String(item.pk), scan);
    }
  }

  const images = found.map((image): ExposedImage => {
    const scan = scans.get(imageKey(image).pk);
    const gone = scan?.expiresAt !== undefined;
    const tags = tagsPointingAt(image, (tag) => lastDigests.get(lastReportKey({ ...image, tag }).pk), gone);
    // Spelled out in this order: the CLI prints it as JSON, the image's names first.
    const { registryId, repository, digest, tagsAtScan, severity, findingsAt, vulnerabilities } = image;
    return {
      registryId,
      repository,
      digest,
      tags,
      tagsAtScan,
      inUse: tags.length > 0,
      gone,
      severity,
      package: image.package,
      version: image.version,
      fixedIn: image.fixedIn,
      firstSeen: image.firstSeen,
      lastScan: scan && { status: scan.status, completedAt: scan.completedAt },
      findingsAt,
      vulnerabilities,
    };
  });
  images.sort(compareExposedImages);

  const counted = table.stats();
  const stats: ExposureStats = {
    queryCalls: counted.calls.Query ?? 0,
    readCalls: counted.calls.BatchGetItem ?? 0,
    consumedReadUnits: counted.readCapacityUnits,
    pages: answer.pages,
  };
  const exposure: Exposure = { images, stats };
  if (vulnerability !== undefined) exposure.vulnerability = vulnerability;
  if (packageName !== undefined) {
    exposure.package =
      packageVersion === undefined ? { name: packageName } : { name: packageName, version: packageVersion };
  }
  return exposure;
}
