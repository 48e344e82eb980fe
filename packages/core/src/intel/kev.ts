import * as z from "zod";
import type { KevEntry } from "../model.js";
import { IntelFeedError } from "./fetch-bounded.js";
import { CVE_ID_PATTERN } from "./intel.js";

/**
 * CISA's Known Exploited Vulnerabilities catalog, JSON feed (cisagov/kev-data, known_exploited_vulnerabilities_schema
 * .json): `{ title, catalogVersion, dateReleased, count, vulnerabilities: [{ cveID, vendorProject, product,
 * vulnerabilityName, dateAdded, shortDescription, requiredAction, dueDate, knownRansomwareCampaignUse, notes, cwes }] }`.
 * Only what a finding carries is kept: the date added, the due date, the required action and known ransomware use.
 */
export interface KevCatalog {
  catalogVersion: string;
  /** As the feed gives it (`2024-01-05T14:00:47.6254Z`). */
  dateReleased: string;
  /** By CVE id, upper case. */
  entries: Map<string, KevEntry>;
}

/** The longest required-action text kept: longer ones (a feed gone wrong) are cut, to keep the cache bounded. */
export const MAX_REQUIRED_ACTION_CHARS = 2000;
/** CISA writes "Known" or "Unknown"; anything longer than this is not that field. */
const MAX_RANSOMWARE_CHARS = 32;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "not a date like 2021-12-24");

/** The top level: what must be right for the catalog to be read at all. */
const catalogSchema = z.object({
  catalogVersion: z.string().min(1),
  dateReleased: z.string().min(1),
  vulnerabilities: z.array(z.unknown()),
});

/**
 * One entry. A bad id or date added skips the entry; a bad optional field is left out and the entry kept (its
 * being on the catalog matters more than its due date's spelling).
 */
const entrySchema = z.object({
  cveID: z
    .string()
    .transform((id) => id.trim().toUpperCase())
    .pipe(z.string().regex(CVE_ID_PATTERN, "not a CVE id")),
  dateAdded: day,
  dueDate: day.optional().catch(undefined),
  requiredAction: z
    .string()
    .min(1)
    .transform((text) => text.slice(0, MAX_REQUIRED_ACTION_CHARS))
    .optional()
    .catch(undefined),
  knownRansomwareCampaignUse: z.string().min(1).max(MAX_RANSOMWARE_CHARS).optional().catch(undefined),
});

export interface ParsedKevCatalog {
  catalog: KevCatalog;
  /** Entries that could not be read (no CVE id, no date added, not an object), skipped. */
  skipped: number;
  /** Why the first few were skipped, for one log line. */
  skippedReasons: string[];
}

/** A KEV entry as the model carries it, from one entry of the feed; `undefined` fields left out. */
export function kevEntryOf(entry: z.infer<typeof entrySchema>): KevEntry {
  const kev: KevEntry = { dateAdded: entry.dateAdded };
  if (entry.dueDate !== undefined) kev.dueDate = entry.dueDate;
  if (entry.requiredAction !== undefined) kev.requiredAction = entry.requiredAction;
  if (entry.knownRansomwareCampaignUse !== undefined) {
    kev.knownRansomwareCampaignUse = entry.knownRansomwareCampaignUse;
  }
  return kev;
}

/**
 * The catalog of a KEV feed body. Tolerant per entry (a bad entry is skipped and counted); a body whose top level
 * is not a catalog, or that has no readable entry, throws an IntelFeedError ("unexpected-schema") naming what is
 * wrong. The first entry of a CVE listed twice wins.
 */
export function parseKevCatalog(json: unknown): ParsedKevCatalog {
  const top = catalogSchema.safeParse(json);
  if (!top.success) {
    throw new IntelFeedError("unexpected-schema", `unexpected format (${describeIssues(top.error)})`);
  }
  const entries = new Map<string, KevEntry>();
  const skippedReasons: string[] = [];
  let skipped = 0;
  top.data.vulnerabilities.forEach((raw, index) => {
    const entry = entrySchema.safeParse(raw);
    if (!entry.success) {
      skipped++;
      if (skippedReasons.length < 3) {
        skippedReasons.push(describeIssues(entry.error, ["vulnerabilities", index]));
      }
      return;
    }
    if (!entries.has(entry.data.cveID)) entries.set(entry.data.cveID, kevEntryOf(entry.data));
  });
  // The real catalog is never empty: a feed with nothing readable is broken, and must not replace a good copy.
  if (entries.size === 0) {
    throw new IntelFeedError(
      "unexpected-schema",
      `unexpected format (no readable entry${skipped > 0 ? `, ${skipped} skipped: ${skippedReasons[0]}` : ""})`,
    );
  }
  return {
    catalog: {
      catalogVersion: top.data.catalogVersion,
      dateReleased: top.data.dateReleased,
      entries,
    },
    skipped,
    skippedReasons,
  };
}

/** "vulnerabilities: expected array, received object": the first two issues, short enough for a report. */
export function describeIssues(error: z.ZodError, at: readonly PropertyKey[] = []): string {
  return error.issues
    .slice(0, 2)
    .map((issue) => `${[...at, ...issue.path].map(String).join(".") || "body"}: ${issue.message}`)
    .join("; ");
}
