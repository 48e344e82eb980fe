import { emptySeverityCounts, SEVERITIES, type Severity, type SeverityCounts } from "../model.js";
import { type CompactFinding, decodeFinding, encodeFinding } from "./compact.js";

/**
 * What a digest needs of an image, kept on its small SCAN item so that a digest over 100,000 images reads 0.5 unit
 * per image instead of each image's FINDINGS item (up to ~320 KB): the open findings by severity, and the oldest open
 * CRITICAL and HIGH finding. Written by recordScan with the findings of a complete scan.
 */
export interface ImageSummary {
  counts: SeverityCounts;
  /** The CRITICAL and the HIGH finding with the earliest first-seen time, when there is one. */
  oldest: CompactFinding[];
}

/** Severities whose oldest open finding a digest names, most severe first. */
export const OLDEST_SEVERITIES: readonly Severity[] = ["CRITICAL", "HIGH"];

export function summarizeFindings(findings: readonly CompactFinding[]): ImageSummary {
  const counts = emptySeverityCounts();
  const oldest = new Map<Severity, CompactFinding>();
  for (const finding of findings) {
    counts[finding.severity]++;
    if (!OLDEST_SEVERITIES.includes(finding.severity)) continue;
    const held = oldest.get(finding.severity);
    if (!held || firstSeenMs(finding) < firstSeenMs(held)) oldest.set(finding.severity, finding);
  }
  return { counts, oldest: OLDEST_SEVERITIES.flatMap((severity) => oldest.get(severity) ?? []) };
}

/** A finding without a first-seen time sorts last: it cannot be said to be old. */
function firstSeenMs(finding: CompactFinding): number {
  const ms = finding.firstSeen === undefined ? Number.NaN : Date.parse(finding.firstSeen);
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}

/** The counts as one attribute, `C,H,M,L,I,U` (the attribute conversion writes strings, numbers and string lists). */
export function encodeCounts(counts: SeverityCounts): string {
  return SEVERITIES.map((severity) => counts[severity]).join(",");
}

/** Reads `encodeCounts`' form; undefined when it is not six non-negative integers. */
export function decodeCounts(text: unknown): SeverityCounts | undefined {
  if (typeof text !== "string") return undefined;
  const parts = text.split(",");
  if (parts.length !== SEVERITIES.length || !parts.every((part) => /^\d{1,9}$/.test(part))) return undefined;
  const counts = emptySeverityCounts();
  SEVERITIES.forEach((severity, i) => {
    counts[severity] = Number(parts[i]);
  });
  return counts;
}

/** The SCAN item's attributes of a summary. */
export function summaryAttributes(summary: ImageSummary): { summaryCounts: string; summaryOldest: string[] } {
  return { summaryCounts: encodeCounts(summary.counts), summaryOldest: summary.oldest.map(encodeFinding) };
}

/** A summary read back from a SCAN item; undefined when the item has none (written before summaries) or it is unreadable. */
export function summaryOf(item: {
  summaryCounts?: unknown;
  summaryOldest?: unknown;
}): ImageSummary | undefined {
  const counts = decodeCounts(item.summaryCounts);
  if (!counts) return undefined;
  const entries = Array.isArray(item.summaryOldest) ? item.summaryOldest : [];
  const oldest = entries.flatMap((entry) => (typeof entry === "string" ? (decodeFinding(entry) ?? []) : []));
  return { counts, oldest };
}
