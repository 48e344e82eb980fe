// The demo page's table of the most urgent CVEs: what a security engineer asks first ("what do we fix first, and
// where is it?"). Read from the findings ledger the way `ecr-scan-reporter exposure` reads it, so the page and the
// CLI give the same image counts; threat intel from the sandbox's KEV and EPSS feeds.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  countExposedImages,
  type EpssScore,
  type ExposedImage,
  highestVersion,
  type KevEntry,
  queryExposure,
  type ScanType,
  type Severity,
  severityRank,
} from "@ecr-scan-reporter/core";
import { CVE_RECORDS, FEED_UPDATE_CVE_RECORDS } from "../data/cve-records.js";
import { DATASET_EPSS } from "../data/intel-records.js";
import type { Sandbox } from "../index.js";

/** How many CVEs the page lists. */
export const TOP_CVES = 15;

/** One CVE and the images whose latest scan found it. */
export interface CveExposure {
  id: string;
  /** The most severe of the findings of it (one per image and package). */
  severity: Severity;
  /** Images whose latest scan found it. */
  images: number;
  /** Of those, the images a tag points at now. */
  inUse: number;
  /** The highest fixed-in version the scans gave; absent when none gave one. */
  fixedIn?: string;
  /** Its entry on CISA's KEV catalog. */
  kev?: KevEntry;
  epss?: EpssScore;
}

/** The CVE table of the page: the most urgent first, of how many the ledger holds, and what the scans could say. */
export interface TopCves {
  cves: CveExposure[];
  /** Distinct CVEs found in any image. */
  found: number;
  /** Basic scanning never gives fixed-in versions: the page says "fix unknown" then, not "no fix". */
  scanType: ScanType;
  /** The sandbox's clock when read (ISO 8601): a KEV due date before it is overdue. */
  at: string;
}

/** The threat intel known of a CVE id. */
export interface CveIntel {
  kev?: KevEntry;
  epss?: EpssScore;
}

/** One CVE's exposure from the images an exposure query found; undefined when no image has it. */
export function cveExposureOf(
  id: string,
  images: readonly ExposedImage[],
  intel: CveIntel,
): CveExposure | undefined {
  if (images.length === 0) return undefined;
  const severity = images
    .map((image) => image.severity)
    .reduce((worst, s) => (severityRank(s) < severityRank(worst) ? s : worst));
  const fixedIn = highestVersion(images.map((image) => image.fixedIn));
  return {
    id,
    severity,
    ...countExposedImages(images),
    ...(fixedIn ? { fixedIn } : {}),
    ...(intel.kev ? { kev: intel.kev } : {}),
    ...(intel.epss ? { epss: intel.epss } : {}),
  };
}

/**
 * Most urgent first: on CISA's KEV catalog (exploited now), then severity, then the images it reaches (the ones in
 * use breaking a tie), then EPSS (unscored last), then the id, so the order is the same on every run.
 */
export function compareCveUrgency(a: CveExposure, b: CveExposure): number {
  return (
    Number(b.kev !== undefined) - Number(a.kev !== undefined) ||
    severityRank(a.severity) - severityRank(b.severity) ||
    b.images - a.images ||
    b.inUse - a.inUse ||
    (b.epss?.score ?? -1) - (a.epss?.score ?? -1) ||
    a.id.localeCompare(b.id)
  );
}

/** The `limit` most urgent of `cves`. */
export function mostUrgentCves(cves: readonly CveExposure[], limit = TOP_CVES): CveExposure[] {
  return [...cves].sort(compareCveUrgency).slice(0, limit);
}

/**
 * Asks the sandbox's ledger, as `exposure` does, which images contain each CVE of the sandbox's dataset, and returns
 * the most urgent with the sandbox's KEV catalog and EPSS scores (the ones its feeds serve).
 */
export async function demoTopCves(sandbox: Sandbox, tableName: string, limit = TOP_CVES): Promise<TopCves> {
  const client = sandboxLedgerClient(sandbox);
  const kev = new Map(
    sandbox.intel.catalog().vulnerabilities.map((entry): [string, KevEntry] => [
      entry.cveID,
      {
        dateAdded: entry.dateAdded,
        dueDate: entry.dueDate,
        knownRansomwareCampaignUse: entry.knownRansomwareCampaignUse,
      },
    ]),
  );
  const ids = [...new Set([...CVE_RECORDS, ...FEED_UPDATE_CVE_RECORDS].map((record) => record.id))];
  const exposureOf = async (id: string) => {
    const exposure = await queryExposure({ client, tableName, vulnerability: id, logger: silentLogger });
    // The scores the sandbox's EPSS API serves (the demo starts it with the dataset's).
    const epss = DATASET_EPSS[id];
    return cveExposureOf(exposure.vulnerability ?? id, exposure.images, {
      kev: kev.get(id),
      epss: epss ? { score: epss.epss, percentile: epss.percentile, date: "" } : undefined,
    });
  };
  let found: CveExposure[] = [];
  try {
    // One query per CVE, all at once: a few dozen small reads of a local table.
    found = (await Promise.all(ids.map(exposureOf))).filter((cve): cve is CveExposure => cve !== undefined);
  } finally {
    client.destroy();
  }
  return {
    cves: mostUrgentCves(found, limit),
    found: found.length,
    scanType: sandbox.ecr.scanType,
    at: new Date(sandbox.now()).toISOString(),
  };
}

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** A DynamoDB client on the sandbox over HTTP, as the CLI's `exposure` reaches the module's table. */
export function sandboxLedgerClient(sandbox: Sandbox): DynamoDBClient {
  const env = sandbox.env();
  return new DynamoDBClient({
    region: env.AWS_REGION,
    endpoint: env.AWS_ENDPOINT_URL,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? "",
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "",
    },
  });
}
