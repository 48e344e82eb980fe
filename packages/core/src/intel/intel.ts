import type { EpssScore, IntelStatus, KevEntry } from "../model.js";

/**
 * Threat intelligence (docs/architecture.md, "Threat intel"): what CISA's Known Exploited Vulnerabilities catalog and
 * FIRST's EPSS say of a report's CVE ids. Fetched at most once a day and cached in the findings ledger; a feed that
 * cannot be reached never blocks a report: the last cached copy is used (and its age stated), or nothing.
 */
export interface ThreatIntel {
  /** The KEV entries and EPSS scores of these CVE ids (others are passed through, not looked up). Never throws. */
  lookUp(cveIds: readonly string[]): Promise<IntelLookup>;
}

export interface IntelLookup {
  /** By CVE id (upper case). */
  kev: ReadonlyMap<string, KevEntry>;
  /** By CVE id (upper case). */
  epss: ReadonlyMap<string, EpssScore>;
  status: IntelStatus;
}

/** A CVE id as KEV and EPSS know them: `CVE-YYYY-NNNN…`; anything else is never looked up. */
export const CVE_ID_PATTERN = /^CVE-\d{4}-\d{4,}$/;

/** The stand-in when intel is off (both sources null in the configuration) or not wired (a CLI preview). */
export const noIntel: ThreatIntel = {
  async lookUp() {
    return { kev: new Map(), epss: new Map(), status: { kev: { state: "off" }, epss: { state: "off" } } };
  },
};
