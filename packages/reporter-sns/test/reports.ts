import { type Finding, type ScanReport, SEVERITIES, type Severity } from "@ecr-scan-reporter/core";
import { sampleReport } from "@ecr-scan-reporter/core/testing";

// The image the expected texts name (team-a/api:v1.2, sha256:4f1c9a7e2b3d); the kit's sample gives the rest.
const IMAGE = {
  digest: "sha256:4f1c9a7e2b3d5c6f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f",
  tags: ["v1.2", "latest"],
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

/**
 * `count` findings, the same on every call, sorted most severe first like core sorts them. Unlike the kit's
 * `generateFindings`, severities follow a fixed cycle, so the tests can name exact counts, ids and scores.
 */
export function cycledFindings(count: number): Finding[] {
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

/** The kit's sample report of the image with these findings: due when one is CRITICAL or HIGH. */
export function reportWithFindings(findings: Finding[], overrides: Partial<ScanReport> = {}): ScanReport {
  return sampleReport({ ...IMAGE, ...overrides, findings });
}

/** A FAILED scan of the image with the status description the expected texts quote: due by default. */
export function failedScanOfImage(overrides: Partial<ScanReport> = {}): ScanReport {
  return reportWithFindings([], {
    status: "FAILED",
    statusDescription: "The operating system 'windows' is not supported for basic scanning.",
    ...overrides,
  });
}
