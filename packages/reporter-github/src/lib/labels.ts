import { isFailedScan, type ScanReport, type Severity } from "@ecr-scan-reporter/core";
import type { GitHubReporterOptions } from "../options.js";

type LabelOptions = Pick<GitHubReporterOptions, "labels" | "severityLabels"> &
  Partial<Pick<GitHubReporterOptions, "kevLabel">>;

// GitHub compares label names without regard to case.
const sameName = (a: string) => (b: string) => a.toLowerCase() === b.toLowerCase();

/** True when `labels` holds `name`, in any case. */
export function hasLabel(labels: readonly string[], name: string): boolean {
  return labels.some(sameName(name));
}

/** True when both hold the same labels, in any order and case. */
export function sameLabelSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name) => hasLabel(b, name));
}

/** The label issues are listed by to be found again: the first configured one. */
export function listLabelOf(options: Pick<GitHubReporterOptions, "labels">): string {
  return options.labels[0] ?? "ecr-scan";
}

/**
 * The labels of an issue after a report: the ones it has (people may add their own), less every severity label
 * and the KEV label, plus the configured labels, the severity label of the report's highest severity and the KEV
 * label when a finding is on CISA's KEV catalog (neither for a failed scan).
 */
export function labelsFor(options: LabelOptions, current: readonly string[], report: ScanReport): string[] {
  const severityLabels: Partial<Record<Severity, string>> =
    options.severityLabels === false ? {} : options.severityLabels;
  const kevLabel = options.kevLabel || undefined;
  const managed = [...Object.values(severityLabels), ...(kevLabel ? [kevLabel] : [])];
  const labels = current.filter((name) => !managed.some(sameName(name)));
  for (const label of options.labels) if (!hasLabel(labels, label)) labels.push(label);
  const highest = report.verdict.highestSeverity;
  if (highest && !isFailedScan(report.status)) {
    const label = severityLabels[highest];
    if (label && !hasLabel(labels, label)) labels.push(label);
  }
  if (kevLabel && !isFailedScan(report.status) && report.findings.some((finding) => finding.kev)) {
    if (!hasLabel(labels, kevLabel)) labels.push(kevLabel);
  }
  return labels;
}
