import {
  type BuiltScanReport,
  countBySeverity,
  type Finding,
  highestSeverityOf,
  imageConsoleUrl,
  SEVERITIES,
  type Severity,
} from "@ecr-scan-reporter/core";

export type ScanReport = BuiltScanReport["report"];

const SUBJECT = {
  account: "123456789012",
  region: "eu-west-1",
  registryId: "123456789012",
  repository: "team-a/api",
  digest: "sha256:4f1c9a7e2b3d5c6f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f",
  tags: ["v1.2", "latest"],
  scanType: "BASIC" as const,
};

// A spread a real image might show: few criticals, many mediums and lows.
const SEVERITY_CYCLE: Severity[] = [
  "CRITICAL",
  "HIGH",
  "HIGH",
  "MEDIUM",
  "MEDIUM",
  "MEDIUM",
  "LOW",
  "LOW",
  "INFORMATIONAL",
  "UNDEFINED",
];

/** `count` findings, the same on every call, sorted most severe first like core sorts them. */
export function generateFindings(count: number): Finding[] {
  const findings: Finding[] = [];
  for (let i = 0; i < count; i++) {
    const severity = SEVERITY_CYCLE[i % SEVERITY_CYCLE.length] as Severity;
    const id = `CVE-2024-${String(10_000 + i)}`;
    const packageName = `libexample-${i % 97}`;
    findings.push({
      id,
      severity,
      title: `${id} - ${packageName}`,
      description:
        `A flaw was found in ${packageName} where a crafted input of record ${i} can cause an out-of-bounds ` +
        "read in the parser, which may let a remote attacker crash the process or read memory it should not.",
      packageName,
      packageVersion: `1.${i % 13}.${i % 7}`,
      fixedInVersion: i % 3 === 0 ? undefined : `1.${(i % 13) + 1}.0`,
      cvssScore: Math.round((9.8 - (i % 50) / 10) * 10) / 10,
      url: `https://security-tracker.example.org/tracker/${id}`,
    });
  }
  const rank = (s: Severity) => SEVERITIES.indexOf(s);
  return findings.sort(
    (a, b) => rank(a.severity) - rank(b.severity) || (b.cvssScore ?? 0) - (a.cvssScore ?? 0),
  );
}

/** A completed scan with these findings, due by the default thresholds (CRITICAL 0, HIGH 0) when it has any. */
export function reportWithFindings(findings: Finding[], overrides: Partial<ScanReport> = {}): ScanReport {
  const counts = countBySeverity(findings);
  const exceeded = (["CRITICAL", "HIGH"] as const).filter((s) => counts[s] > 0);
  const subject = { ...SUBJECT, ...overrides };
  return {
    ...subject,
    status: "COMPLETE",
    completedAt: "2024-05-01T10:00:00.000Z",
    vulnerabilitySourceUpdatedAt: "2024-05-01T06:00:00.000Z",
    counts,
    findings,
    consoleUrl: imageConsoleUrl(subject),
    verdict: {
      due: exceeded.length > 0,
      reason: exceeded.length > 0 ? "over-threshold" : "within-thresholds",
      exceeded,
      highestSeverity: highestSeverityOf(counts),
      ignoredFindings: 0,
    },
    ...overrides,
  };
}

/** A report with `count` generated findings. */
export function reportWithGeneratedFindings(count: number, overrides: Partial<ScanReport> = {}): ScanReport {
  return reportWithFindings(generateFindings(count), overrides);
}

/** A FAILED scan, due (notifyOnScanFailure is true by default). */
export function failedScanReport(overrides: Partial<ScanReport> = {}): ScanReport {
  return reportWithFindings([], {
    status: "FAILED",
    statusDescription: "The operating system 'windows' is not supported for basic scanning.",
    completedAt: "2024-05-01T10:00:00.000Z",
    verdict: { due: true, reason: "scan-failed", exceeded: [], ignoredFindings: 0 },
    ...overrides,
  });
}

/** A completed scan whose findings are all within the thresholds. */
export function notDueReport(): ScanReport {
  return reportWithFindings(
    generateFindings(10).filter((f) => f.severity !== "CRITICAL" && f.severity !== "HIGH"),
  );
}
