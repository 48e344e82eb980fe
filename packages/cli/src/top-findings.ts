import {
  cleanText,
  type Finding,
  fixNoteText,
  intelBadges,
  type ScanReport,
  truncateText,
  urgencyOrder,
} from "@ecr-scan-reporter/core";

/** How many findings `report` lists on a terminal after its verdict. */
export const TOP_FINDINGS = 10;

/** The columns of the top-findings table. */
export const TOP_FINDINGS_HEADERS = ["ID", "SEVERITY", "PACKAGE", "FIX", "KEV / EPSS"];

/** Feed text (ids, package names, versions: untrusted) on one line, bounded, for a terminal cell. */
function cell(text: string | undefined, max: number): string {
  return truncateText(cleanText(text ?? "", { singleLine: true }).trim(), max);
}

/** `2.15.0`, `2.15.0 (partial fix)`, or what is known of a missing fix (`fix unknown`, `no fix`…). */
function fixCell(finding: Finding, scanType: ScanReport["scanType"]): string {
  const version = cell(finding.fixedInVersion, 40);
  const note = fixNoteText(finding, scanType);
  if (version && note) return `${version} (${note})`;
  return version || note;
}

/**
 * The most urgent findings of a report as table rows, in core's urgency order (KEV, exploit available, EPSS,
 * severity, CVSS): id, severity, package and version, fix, and the KEV / exploit / EPSS badges.
 */
export function topFindingRows(
  report: Pick<ScanReport, "findings" | "scanType">,
  now: Date,
  limit = TOP_FINDINGS,
): string[][] {
  return [...report.findings]
    .sort(urgencyOrder)
    .slice(0, limit)
    .map((finding) => [
      cell(finding.id, 40),
      finding.severity,
      cell([finding.packageName, finding.packageVersion].filter(Boolean).join(" "), 60),
      fixCell(finding, report.scanType),
      intelBadges(finding, now)
        .map((badge) => badge.text)
        .join(", "),
    ]);
}

/** `top 10 of 37 findings, most urgent first:`, `2 findings, most urgent first:` when all are shown, `1 finding:`. */
export function topFindingsHeading(total: number, limit = TOP_FINDINGS): string {
  if (total === 1) return "1 finding:";
  return total > limit
    ? `top ${limit} of ${total} findings, most urgent first:`
    : `${total} findings, most urgent first:`;
}
