import type { Finding, ScanReport } from "../model.js";
import { SAMPLE_FINDINGS, sampleReport } from "./sample-reports.js";

// Reports whose findings carry threat intel, for reporter tests and the documentation's examples: KEV (one entry
// overdue, with known ransomware use), EPSS, Inspector's exploit and fix fields; an escalated verdict; and intel
// sources that could not be reached.

const LOG4SHELL: Finding = {
  id: "CVE-2021-44228",
  severity: "CRITICAL",
  title: "CVE-2021-44228 - log4j-core",
  description:
    "Apache Log4j2 JNDI features do not protect against attacker controlled LDAP and other JNDI endpoints.",
  packageName: "log4j-core",
  packageVersion: "2.14.1",
  fixedInVersion: "2.17.1",
  cvssScore: 10,
  url: "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
  kev: {
    dateAdded: "2021-12-10",
    dueDate: "2021-12-24",
    requiredAction:
      "For all affected software assets for which updates exist, the only acceptable remediation actions are: 1) Apply updates; OR 2) remove affected assets from agency networks.",
    knownRansomwareCampaignUse: "Known",
  },
  epss: { score: 0.94358, percentile: 0.9999, date: "2026-11-27" },
  exploitAvailable: "YES",
  fixAvailable: "YES",
};

/** A MEDIUM on KEV, due in the future, with no fix: within thresholds of CRITICAL/HIGH 0, yet escalated. */
const RAPID_RESET_MEDIUM: Finding = {
  id: "CVE-2023-44487",
  severity: "MEDIUM",
  title: "CVE-2023-44487 - golang.org/x/net",
  packageName: "golang.org/x/net",
  packageVersion: "0.15.0",
  cvssScore: 5.3,
  kev: {
    dateAdded: "2023-10-10",
    dueDate: "2027-01-05",
    requiredAction:
      "Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.",
    knownRansomwareCampaignUse: "Unknown",
  },
  epss: { score: 0.81, percentile: 0.98, date: "2026-11-27" },
  fixAvailable: "NO",
};

/** A report whose findings carry KEV, EPSS and Inspector's exploit and fix fields, KEV first, over the thresholds. */
export function exploitAwareReport(overrides: Partial<ScanReport> = {}): ScanReport {
  const findings = [
    LOG4SHELL,
    RAPID_RESET_MEDIUM,
    ...SAMPLE_FINDINGS.map((f, i) => ({
      ...f,
      epss: { score: 0.01 * (i + 1), percentile: 0.3, date: "2026-11-27" },
    })),
  ];
  const report = sampleReport({ scanType: "ENHANCED", findings, ...overrides });
  return {
    ...report,
    verdict: {
      ...report.verdict,
      escalations: [
        { id: LOG4SHELL.id, packageName: LOG4SHELL.packageName, why: ["kev", "exploit-available", "epss"] },
        { id: RAPID_RESET_MEDIUM.id, packageName: RAPID_RESET_MEDIUM.packageName, why: ["kev", "epss"] },
      ],
    },
    intel: {
      kev: { state: "fresh", asOf: "2026-11-28T06:00:00.000Z" },
      epss: { state: "fresh", asOf: "2026-11-28T06:00:00.000Z" },
    },
  };
}

/**
 * Within the thresholds but escalated: only a MEDIUM that is on KEV (`reason: "escalated"`), while FIRST's EPSS API
 * could not be reached and the last cached scores, two days old, were used.
 */
export function escalatedReport(overrides: Partial<ScanReport> = {}): ScanReport {
  const report = sampleReport({ findings: [RAPID_RESET_MEDIUM], ...overrides });
  return {
    ...report,
    verdict: {
      due: true,
      reason: "escalated",
      exceeded: [],
      highestSeverity: "MEDIUM",
      ignoredFindings: 0,
      escalations: [{ id: RAPID_RESET_MEDIUM.id, packageName: RAPID_RESET_MEDIUM.packageName, why: ["kev"] }],
    },
    intel: {
      kev: { state: "fresh", asOf: "2026-11-28T06:00:00.000Z" },
      epss: { state: "stale", asOf: "2026-11-26T06:00:00.000Z", reason: "api.first.org answered 503" },
    },
  };
}

/** Intel that could not be had at all: the report must say so. */
export function intelUnavailableReport(): ScanReport {
  return {
    ...sampleReport(),
    intel: {
      kev: { state: "unavailable", reason: "www.cisa.gov did not answer within 5 s" },
      epss: { state: "off" },
    },
  };
}

/** Hostile text where the feeds put text: KEV's required action. */
export function hostileIntelReport(): ScanReport {
  const hostile: Finding = {
    ...LOG4SHELL,
    kev: {
      dateAdded: "2021-12-10",
      dueDate: "2021-12-24",
      requiredAction:
        "<!channel> <script>alert(1)</script> [click](https://evil.example) @everyone | table | \r\nBcc: x@evil.example",
      knownRansomwareCampaignUse: "<b>Known</b>",
    },
  };
  return exploitAwareReport({ findings: [hostile] });
}
