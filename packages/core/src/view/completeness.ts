import type { ScanReport } from "../model.js";

/**
 * The sentence every reporter shows when a report was sent with fewer findings than its scan event counted
 * (Amazon Inspector was still writing them after the report had waited for them); undefined for a full report.
 */
export function incompleteNote(report: Pick<ScanReport, "completeness">): string | undefined {
  const c = report.completeness;
  if (!c || c.findingsRead >= c.expectedFindings) return undefined;
  const counted = `${c.expectedFindings} finding${c.expectedFindings === 1 ? "" : "s"}`;
  return `This report may be incomplete: the scan counted ${counted}, ${c.findingsRead} could be read after waiting for the rest.`;
}
