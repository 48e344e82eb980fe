// Data, not logic: the threat intel the sandbox's feeds serve about the CVEs of its dataset (cve-records.ts).

/**
 * One entry of CISA's Known Exploited Vulnerabilities catalog, with CISA's field names
 * (https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities_schema.json; required: every field
 * but `knownRansomwareCampaignUse`, `notes` and `cwes`).
 */
export interface KevCatalogEntry {
  cveID: string;
  vendorProject: string;
  product: string;
  vulnerabilityName: string;
  /** `YYYY-MM-DD`. */
  dateAdded: string;
  shortDescription: string;
  requiredAction: string;
  /** `YYYY-MM-DD`: the remediation due date under BOD 22-01. */
  dueDate: string;
  /** "Known" or "Unknown". */
  knownRansomwareCampaignUse: "Known" | "Unknown";
  notes: string;
  /** `CWE-NNN`. */
  cwes: string[];
}

/** An EPSS score as numbers; FIRST's API writes both as strings of 9 decimals. */
export interface EpssRecord {
  /** 0..1: the probability of exploitation activity in the next 30 days. */
  epss: number;
  /** 0..1: the share of scored CVEs with a lower or equal score. */
  percentile: number;
}

// KEV entries, copied from CISA's catalog as published in CISA's own repository (github.com/cisagov/kev-data,
// known_exploited_vulnerabilities.csv, the version whose newest entry is of 2025-02-05): every field as CISA wrote
// it (runs of spaces in `notes` collapsed), `cwes` split at its commas. Nothing here is invented. CISA revises
// entries (knownRansomwareCampaignUse most of all), so a later catalog may differ.
//
// Of the dataset's CVEs, these seven and CVE-2023-4911 (below) are on the catalog. Not on it: CVE-2024-3094 (xz's
// backdoor: CISA published an alert, not a KEV entry; checked in the catalog's entries of 2024-03-25 to 2024-05-29,
// where it would have been added) and, to our knowledge, every other CVE of the dataset and of
// FEED_UPDATE_CVE_RECORDS (not checked entry by entry against the whole catalog).

/** The KEV entries of the dataset's CVEs, newest first as CISA orders its catalog. */
export const INITIAL_KEV_ENTRIES: readonly KevCatalogEntry[] = [
  {
    cveID: "CVE-2023-44487",
    vendorProject: "IETF",
    product: "HTTP/2",
    vulnerabilityName: "HTTP/2 Rapid Reset Attack Vulnerability",
    dateAdded: "2023-10-10",
    shortDescription:
      "HTTP/2 contains a rapid reset vulnerability that allows for a distributed denial-of-service attack (DDoS).",
    requiredAction:
      "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
    dueDate: "2023-10-31",
    knownRansomwareCampaignUse: "Unknown",
    notes:
      "This vulnerability affects a common open-source component, third-party library, or a protocol used by different products. Please check with specific vendors for information on patching status. For more information, please see: https://blog.cloudflare.com/technical-breakdown-http2-rapid-reset-ddos-attack/ ; https://nvd.nist.gov/vuln/detail/CVE-2023-44487",
    cwes: ["CWE-400"],
  },
  {
    cveID: "CVE-2023-4863",
    vendorProject: "Google",
    product: "Chromium WebP",
    vulnerabilityName: "Google Chromium WebP Heap-Based Buffer Overflow Vulnerability",
    dateAdded: "2023-09-13",
    shortDescription:
      "Google Chromium WebP contains a heap-based buffer overflow vulnerability that allows a remote attacker to perform an out-of-bounds memory write via a crafted HTML page. This vulnerability can affect applications that use the WebP Codec.",
    requiredAction:
      "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
    dueDate: "2023-10-04",
    knownRansomwareCampaignUse: "Unknown",
    notes:
      "https://chromereleases.googleblog.com/2023/09/stable-channel-update-for-desktop_11.html?m=1; https://nvd.nist.gov/vuln/detail/CVE-2023-4863",
    cwes: ["CWE-787"],
  },
  {
    cveID: "CVE-2021-45046",
    vendorProject: "Apache",
    product: "Log4j2",
    vulnerabilityName: "Apache Log4j2 Deserialization of Untrusted Data Vulnerability",
    dateAdded: "2023-05-01",
    shortDescription:
      "Apache Log4j2 contains a deserialization of untrusted data vulnerability due to the incomplete fix of CVE-2021-44228, where the Thread Context Lookup Pattern is vulnerable to remote code execution in certain non-default configurations.",
    requiredAction: "Apply updates per vendor instructions.",
    dueDate: "2023-05-22",
    knownRansomwareCampaignUse: "Known",
    notes:
      "https://logging.apache.org/log4j/2.x/security.html; https://nvd.nist.gov/vuln/detail/CVE-2021-45046",
    cwes: ["CWE-917"],
  },
  {
    cveID: "CVE-2021-3156",
    vendorProject: "Sudo",
    product: "Sudo",
    vulnerabilityName: "Sudo Heap-Based Buffer Overflow Vulnerability",
    dateAdded: "2022-04-06",
    shortDescription:
      "Sudo contains an off-by-one error that can result in a heap-based buffer overflow, which allows for privilege escalation.",
    requiredAction: "Apply updates per vendor instructions.",
    dueDate: "2022-04-27",
    knownRansomwareCampaignUse: "Unknown",
    notes: "https://nvd.nist.gov/vuln/detail/CVE-2021-3156",
    cwes: ["CWE-122", "CWE-193"],
  },
  {
    cveID: "CVE-2022-22965",
    vendorProject: "VMware",
    product: "Spring Framework",
    vulnerabilityName: "Spring Framework JDK 9+ Remote Code Execution Vulnerability",
    dateAdded: "2022-04-04",
    shortDescription:
      "Spring MVC or Spring WebFlux application running on JDK 9+ may be vulnerable to remote code execution (RCE) via data binding.",
    requiredAction: "Apply updates per vendor instructions.",
    dueDate: "2022-04-25",
    knownRansomwareCampaignUse: "Unknown",
    notes: "https://nvd.nist.gov/vuln/detail/CVE-2022-22965",
    cwes: ["CWE-94"],
  },
  {
    cveID: "CVE-2014-6271",
    vendorProject: "GNU",
    product: "Bourne-Again Shell (Bash)",
    vulnerabilityName: "GNU Bourne-Again Shell (Bash) Arbitrary Code Execution Vulnerability",
    dateAdded: "2022-01-28",
    shortDescription:
      "GNU Bash through 4.3 processes trailing strings after function definitions in the values of environment variables, which allows remote attackers to execute code.",
    requiredAction: "Apply updates per vendor instructions.",
    // Six months, not two weeks: BOD 22-01 gives CVEs assigned before 2021 six months.
    dueDate: "2022-07-28",
    knownRansomwareCampaignUse: "Unknown",
    notes: "https://nvd.nist.gov/vuln/detail/CVE-2014-6271",
    cwes: ["CWE-78"],
  },
  {
    cveID: "CVE-2021-44228",
    vendorProject: "Apache",
    product: "Log4j2",
    vulnerabilityName: "Apache Log4j2 Remote Code Execution Vulnerability",
    dateAdded: "2021-12-10",
    shortDescription:
      "Apache Log4j2 contains a vulnerability where JNDI features do not protect against attacker-controlled JNDI-related endpoints, allowing for remote code execution.",
    requiredAction:
      "For all affected software assets for which updates exist, the only acceptable remediation actions are: 1) Apply updates; OR 2) remove affected assets from agency networks. Temporary mitigations using one of the measures provided at https://www.cisa.gov/uscert/ed-22-02-apache-log4j-recommended-mitigation-measures are only acceptable until updates are available.",
    dueDate: "2021-12-24",
    knownRansomwareCampaignUse: "Known",
    notes: "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
    cwes: ["CWE-20", "CWE-400", "CWE-502"],
  },
];

/**
 * The CVE the demo's second pass adds to the KEV feed: CVE-2023-4911 ("Looney Tunables", libc6 2.36-9+deb12u1),
 * which several of the demo's images carry (five with
 * today's seed). Chosen because it is what the feature is for: a real CVE that CISA added
 * to the catalog on 2023-11-21, seven weeks after its disclosure (2023-10-03), so images scanned in between had it
 * as a plain HIGH. None of FEED_UPDATE_CVE_RECORDS is on the catalog (to our knowledge), so none of those could
 * tell this story truthfully. The entry is CISA's, from the same source as above.
 */
export const DEMO_KEV_ADDITION: KevCatalogEntry = {
  cveID: "CVE-2023-4911",
  vendorProject: "GNU",
  product: "GNU C Library",
  vulnerabilityName: "GNU C Library Buffer Overflow Vulnerability",
  dateAdded: "2023-11-21",
  shortDescription:
    "GNU C Library's dynamic loader ld.so contains a buffer overflow vulnerability when processing the GLIBC_TUNABLES environment variable, allowing a local attacker to execute code with elevated privileges.",
  requiredAction:
    "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
  dueDate: "2023-12-12",
  knownRansomwareCampaignUse: "Unknown",
  notes:
    "This vulnerability affects a common open-source component, third-party library, or a protocol used by different products. Please check with specific vendors for information on patching status. For more information, please see: https://sourceware.org/git/?p=glibc.git;a=commitdiff;h=1056e5b4c3f2d90ed2b4a55f96add28da2f4c8fa, https://access.redhat.com/security/cve/cve-2023-4911, https://www.debian.org/security/2023/dsa-5514 ; https://nvd.nist.gov/vuln/detail/CVE-2023-4911",
  cwes: ["CWE-122"],
};

/**
 * EPSS scores for every CVE of the dataset and of its feed updates. **Illustrative values, not FIRST's**: invented to
 * look like FIRST's data (CVEs on KEV and famous ones scored high, obscure local ones low; the percentile never
 * lower for a higher score, as a percentile cannot be), not taken from any EPSS model run. The date is the day the
 * sandbox answers, as FIRST's API gives the latest run's.
 */
export const DATASET_EPSS: Readonly<Record<string, EpssRecord>> = {
  "CVE-2014-6271": { epss: 0.9755, percentile: 0.99996 },
  "CVE-2022-22965": { epss: 0.9444, percentile: 0.99991 },
  "CVE-2021-44228": { epss: 0.94358, percentile: 0.9999 },
  "CVE-2021-45046": { epss: 0.94, percentile: 0.9992 },
  "CVE-2021-3156": { epss: 0.8821, percentile: 0.9948 },
  "CVE-2024-3094": { epss: 0.84, percentile: 0.992 },
  "CVE-2023-44487": { epss: 0.8179, percentile: 0.9919 },
  "CVE-2023-4911": { epss: 0.7635, percentile: 0.9903 },
  "CVE-2023-48795": { epss: 0.5455, percentile: 0.982 },
  "CVE-2024-6387": { epss: 0.5206, percentile: 0.981 },
  "CVE-2023-4863": { epss: 0.473, percentile: 0.978 },
  "CVE-2023-38545": { epss: 0.246, percentile: 0.97 },
  "CVE-2022-3602": { epss: 0.2431, percentile: 0.968 },
  "CVE-2023-6246": { epss: 0.1212, percentile: 0.953 },
  "CVE-2022-1292": { epss: 0.0852, percentile: 0.942 },
  "CVE-2022-37434": { epss: 0.043, percentile: 0.921 },
  "CVE-2023-51385": { epss: 0.0318, percentile: 0.89 },
  "CVE-2021-23337": { epss: 0.0161, percentile: 0.82 },
  "CVE-2020-8203": { epss: 0.0133, percentile: 0.8 },
  "CVE-2024-45490": { epss: 0.0132, percentile: 0.79 },
  "CVE-2022-0778": { epss: 0.0119, percentile: 0.79 },
  "CVE-2023-45853": { epss: 0.0107, percentile: 0.77 },
  "CVE-2022-24999": { epss: 0.0071, percentile: 0.71 },
  "CVE-2023-24329": { epss: 0.0066, percentile: 0.7 },
  "CVE-2023-31484": { epss: 0.0061, percentile: 0.69 },
  "CVE-2018-25032": { epss: 0.0058, percentile: 0.68 },
  "CVE-2022-35737": { epss: 0.0044, percentile: 0.65 },
  "CVE-2019-1010022": { epss: 0.00412, percentile: 0.64 },
  "CVE-2023-0286": { epss: 0.0035, percentile: 0.64 },
  "CVE-2023-0464": { epss: 0.0034, percentile: 0.63 },
  "CVE-2023-2650": { epss: 0.0029, percentile: 0.61 },
  "CVE-2023-52425": { epss: 0.0025, percentile: 0.58 },
  "CVE-2023-3817": { epss: 0.0021, percentile: 0.55 },
  "CVE-2011-3374": { epss: 0.002, percentile: 0.53 },
  "CVE-2022-40897": { epss: 0.0019, percentile: 0.52 },
  "CVE-2023-38546": { epss: 0.0016, percentile: 0.5 },
  "CVE-2023-4039": { epss: 0.001, percentile: 0.41 },
  "CVE-2023-29491": { epss: 0.0009, percentile: 0.39 },
  "CVE-2023-32681": { epss: 0.0009, percentile: 0.39 },
  "CVE-2022-48303": { epss: 0.0006, percentile: 0.24 },
  "CVE-2023-50495": { epss: 0.0005, percentile: 0.17 },
  "CVE-2022-3715": { epss: 0.0004, percentile: 0.11 },
  "CVE-2016-2781": { epss: 0.0004, percentile: 0.11 },
  "CVE-2023-29383": { epss: 0.0003, percentile: 0.07 },
};
