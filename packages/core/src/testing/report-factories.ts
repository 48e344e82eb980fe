import {
  emptySeverityCounts,
  type Finding,
  type PolicyVerdict,
  type ScanReport,
  type Severity,
  type SeverityCounts,
} from "../model.js";

// Factories for unit tests that need a report of a given shape (counts, verdict) rather than realistic content;
// the realistic samples are in sample-reports.ts.

/** A SeverityCounts with the given severities set and every other one at 0. */
export function countsOf(partial: Partial<SeverityCounts> = {}): SeverityCounts {
  return { ...emptySeverityCounts(), ...partial };
}

/** Findings that match the counts: `count` findings per severity, most severe first. */
function findingsFor(counts: SeverityCounts): Finding[] {
  return (Object.entries(counts) as [Severity, number][]).flatMap(([severity, count]) =>
    Array.from({ length: count }, (_, i) => ({
      id: `CVE-2026-${severity.slice(0, 3)}${i}`,
      severity,
      title: `${severity.toLowerCase()} finding ${i}`,
      packageName: "openssl",
      packageVersion: "3.0.1",
    })),
  );
}

/**
 * A complete ScanReport, due by default (one HIGH finding over a HIGH threshold of 0). Pass `counts` and the
 * findings follow; pass `verdict` fields to change only those.
 */
export function scanReport(
  overrides: Partial<Omit<ScanReport, "verdict">> & { verdict?: Partial<PolicyVerdict> } = {},
): ScanReport {
  const counts = overrides.counts ?? countsOf({ HIGH: 1 });
  const repository = overrides.repository ?? "team-a/api";
  const digest = overrides.digest ?? `sha256:${"a".repeat(64)}`;
  const { verdict, ...rest } = overrides;
  return {
    account: "123456789012",
    region: "eu-west-1",
    registryId: "123456789012",
    repository,
    digest,
    tags: ["v1.2.3"],
    scanType: "BASIC",
    status: "COMPLETE",
    statusDescription: "The scan was completed successfully.",
    completedAt: "2026-03-15T12:00:00.000Z",
    vulnerabilitySourceUpdatedAt: "2026-03-15T00:00:00.000Z",
    findings: findingsFor(counts),
    consoleUrl: `https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/${repository}/_/image/${digest}/details?region=eu-west-1`,
    ...rest,
    counts,
    verdict: {
      due: true,
      reason: "over-threshold",
      exceeded: ["HIGH"],
      highestSeverity: "HIGH",
      ignoredFindings: 0,
      ...verdict,
    },
  };
}

/** A report below every threshold (two MEDIUM findings): not due. */
export function withinThresholdsReport(overrides: Partial<Omit<ScanReport, "verdict">> = {}): ScanReport {
  return scanReport({
    counts: countsOf({ MEDIUM: 2 }),
    ...overrides,
    verdict: { due: false, reason: "within-thresholds", exceeded: [], highestSeverity: "MEDIUM" },
  });
}

/** A FAILED scan, due (notifyOnScanFailure). */
export function failedReport(overrides: Partial<Omit<ScanReport, "verdict">> = {}): ScanReport {
  return scanReport({
    status: "FAILED",
    statusDescription:
      "UnsupportedImageError: The operating system and/or package manager are not supported.",
    counts: countsOf(),
    ...overrides,
    verdict: { due: true, reason: "scan-failed", exceeded: [], highestSeverity: undefined },
  });
}
