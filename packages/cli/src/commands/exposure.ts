import {
  type Config,
  CVE_ID_PATTERN,
  cleanText,
  countExposedImages,
  createThreatIntel,
  type ExposedImage,
  type Exposure,
  type ExposureTarget,
  epssText,
  exposureJson,
  feedDay,
  type IntelLookup,
  intelNote,
  isKnownRansomwareUse,
  isOverdue,
  kevDueText,
  LEDGER_TABLE_ENV,
  ledgerClientFor,
  parsePackageArgument,
  queryExposure,
  shortDigest,
} from "@ecr-scan-reporter/core";
import { printJson, printTable, writeSummary } from "../output.js";
import { stderrLogger } from "../reporter-deps.js";
import { UsageError } from "../usage-error.js";

export interface ExposureCommandOptions {
  /** `NAME[@VERSION]`. */
  package?: string;
  table?: string;
  json?: boolean;
  debug?: boolean;
}

/** What to look for, from the command line: an id, `--package NAME[@VERSION]`, or both. */
export function exposureTargetOf(
  id: string | undefined,
  packageArgument: string | undefined,
): ExposureTarget {
  const vulnerability = id?.trim() || undefined;
  const target: ExposureTarget = { vulnerability };
  if (packageArgument !== undefined) {
    const parsed = parsePackageArgument(packageArgument);
    if (!parsed) {
      throw new UsageError(
        `--package "${cleanText(packageArgument, { singleLine: true })}": expected NAME or NAME@VERSION (e.g. log4j-core@2.14.1).`,
      );
    }
    target.packageName = parsed.name;
    target.packageVersion = parsed.version;
  }
  if (!target.vulnerability && !target.packageName) {
    throw new UsageError(
      "Name a vulnerability or a package: `ecr-scan-reporter exposure CVE-2021-44228`, or `--package log4j-core@2.14`.",
    );
  }
  return target;
}

/** The ledger's table: --table, else LEDGER_TABLE_NAME; none is a usage error that says how to give it. */
export function exposureTableOf(table: string | undefined, env: Record<string, string | undefined>): string {
  const name = (table ?? env[LEDGER_TABLE_ENV])?.trim();
  if (!name) {
    throw new UsageError(
      `No ledger table: pass --table NAME or set ${LEDGER_TABLE_ENV} (the Terraform module's output ledger_table_name).`,
    );
  }
  return name;
}

/** Untrusted text (tags, package names, ids from the ledger) for one table cell on a terminal: no controls. */
const cell = (text: string) => cleanText(text, { singleLine: true });

/** `CVE-2021-44228`, `log4j-core@2.14`, or `CVE-2021-44228 in log4j-core`. */
export function exposureSubject(exposure: Pick<Exposure, "vulnerability" | "package">): string {
  const pkg =
    exposure.package &&
    `${exposure.package.name}${exposure.package.version ? `@${exposure.package.version}` : ""}`;
  if (exposure.vulnerability && pkg) return `${exposure.vulnerability} in ${pkg}`;
  return exposure.vulnerability ?? pkg ?? "";
}

/** "CVE-2021-44228: 3 images (2 in use)". */
export function exposureSummary(exposure: Exposure): string {
  const { images, inUse } = countExposedImages(exposure.images);
  return `${cell(exposureSubject(exposure))}: ${images} ${images === 1 ? "image" : "images"} (${inUse} in use)`;
}

const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : "");

function tagsCell(image: ExposedImage): string {
  if (image.tags.length > 0) return cell(image.tags.join(","));
  if (image.tagsAtScan.length > 0) return `(was ${cell(image.tagsAtScan.join(","))})`;
  return "(untagged)";
}

function lastScanCell(image: ExposedImage): string {
  if (!image.lastScan) return "";
  const { status, completedAt } = image.lastScan;
  return status === "COMPLETE" ? day(completedAt) : `${day(completedAt)} ${cell(status)}`;
}

/** One row per image and package; the vulnerabilities' column only when the query named none. */
export function exposureRows(exposure: Exposure): { headers: string[]; rows: string[][] } {
  const listVulnerabilities = exposure.vulnerability === undefined;
  const headers = [
    "REPOSITORY",
    "TAGS",
    "DIGEST",
    "SEVERITY",
    "PACKAGE",
    "FIXED IN",
    "FIRST SEEN",
    "LAST SCAN",
    "IN USE",
    ...(listVulnerabilities ? ["VULNERABILITIES"] : []),
  ];
  const rows = exposure.images.map((image) => [
    cell(image.repository),
    tagsCell(image),
    cell(shortDigest(image.digest)),
    image.severity,
    cell(`${image.package ?? ""}${image.version ? `@${image.version}` : ""}`),
    cell(image.fixedIn ?? ""),
    day(image.firstSeen),
    lastScanCell(image),
    image.gone ? "gone" : image.inUse ? "yes" : "no",
    ...(listVulnerabilities ? [cell(image.vulnerabilities.map((v) => v.id).join(","))] : []),
  ]);
  return { headers, rows };
}

/** The id to look up in the threat intel: the query's vulnerability when it is a CVE id, else none. */
export function intelIdOf(exposure: Pick<Exposure, "vulnerability">): string | undefined {
  const id = exposure.vulnerability?.trim().toUpperCase();
  return id && CVE_ID_PATTERN.test(id) ? id : undefined;
}

/** What KEV says of one vulnerability: `on CISA's KEV catalog since 2021-12-10, overdue since 2021-12-24, …`. */
function kevPart(id: string, lookup: IntelLookup, now: Date): string {
  const kev = lookup.kev.get(id);
  if (!kev) {
    // Only a catalog that was read (today's, or the last cached copy, which intelNote dates) can say "not on it".
    const read = lookup.status.kev.state === "fresh" || lookup.status.kev.state === "stale";
    return read ? "not on CISA's KEV catalog" : "";
  }
  const since = feedDay(kev.dateAdded);
  return [
    `on CISA's KEV catalog${since ? ` since ${since}` : ""}`,
    kevDueText({ dueDate: kev.dueDate, overdue: isOverdue(kev, now) }),
    isKnownRansomwareUse(kev) ? "known ransomware use" : "",
  ]
    .filter((part) => part !== "")
    .join(", ");
}

/**
 * One line for people on what CISA's KEV catalog and FIRST's EPSS say of the vulnerability, overdue at `now`:
 * `CVE-2021-44228: on CISA's KEV catalog since 2021-12-10, overdue since 2021-12-24, known ransomware use; EPSS 94 %
 * (99th percentile)`, and a source that could not be read (`KEV unavailable: …`); "" when both sources are off.
 */
export function exposureIntelLine(id: string, lookup: IntelLookup, now: Date): string {
  const epss = epssText(lookup.epss.get(id));
  const parts = [
    kevPart(id, lookup, now),
    // A stale answer may lack a score only because the API could not be asked: intelNote says so instead.
    epss || (lookup.status.epss.state === "fresh" ? "no EPSS score" : ""),
    intelNote(lookup.status),
  ].filter((part) => part !== "");
  return parts.length === 0 ? "" : cell(`${id}: ${parts.join("; ")}`);
}

/** The `intel` field of `--json`: the KEV entry and EPSS score when there are, and the state of each source. */
export function exposureIntelJson(id: string, lookup: IntelLookup) {
  const kev = lookup.kev.get(id);
  const epss = lookup.epss.get(id);
  return { ...(kev && { kev }), ...(epss && { epss }), status: lookup.status };
}

/** What the threat intel said of the queried vulnerability (a CVE id only). */
export interface ExposureIntel {
  id: string;
  lookup: IntelLookup;
  now: Date;
}

/** Prints an answer as a table (terminal), lines (pipe) or JSON; with its threat intel when it was looked up. */
export function printExposure(exposure: Exposure, json: boolean, intel?: ExposureIntel): void {
  if (json) {
    printJson({
      ...exposureJson(exposure),
      ...(intel && { intel: exposureIntelJson(intel.id, intel.lookup) }),
    });
    return;
  }
  const { headers, rows } = exposureRows(exposure);
  if (rows.length > 0) printTable(headers, rows);
  // The count and what the feeds say: after the table on a terminal, on stderr in a pipe (stdout: the rows only).
  writeSummary(exposureSummary(exposure));
  const line = intel ? exposureIntelLine(intel.id, intel.lookup, intel.now) : "";
  if (line) writeSummary(line);
}

/**
 * `ecr-scan-reporter exposure [VULNERABILITY-ID] [--package NAME[@VERSION]]`: exit 0 whether or not images are found.
 * A CVE id is also looked up in the configuration's threat intel (KEV, EPSS).
 */
export async function exposureCommand(
  id: string | undefined,
  config: Pick<Config, "intel">,
  options: ExposureCommandOptions,
): Promise<number> {
  const target = exposureTargetOf(id, options.package);
  const tableName = exposureTableOf(options.table, process.env);
  // The ledger's client on the default chain, as every CLI client: --region, --profile and --endpoint-url arrive
  // as AWS_* variables (context.ts applyAwsOptions).
  const client = ledgerClientFor(process.env);
  const logger = stderrLogger(Boolean(options.debug));
  try {
    const exposure = await queryExposure({ client, tableName, logger, ...target });
    logger.debug("exposure query done", { tableName, ...exposure.stats });
    const intelId = intelIdOf(exposure);
    // Straight from the configured feeds, not through the ledger's intel cache: exposure only reads the ledger (a
    // person needs the query's permissions only, docs/cli.md), at the cost of one KEV download per run.
    const intel = intelId
      ? {
          id: intelId,
          lookup: await createThreatIntel({ intel: config.intel, logger }).lookUp([intelId]),
          now: new Date(),
        }
      : undefined;
    printExposure(exposure, Boolean(options.json), intel);
    return 0;
  } finally {
    client.destroy();
  }
}
