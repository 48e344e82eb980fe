import type { CompactFinding, Finding, ReportChanges, Severity } from "../model.js";
import { severityRankOf } from "./compact.js";

export type { ReportChanges } from "../model.js";

/** What the ledger knows of the previous report for an image reference (its LAST item). */
export interface PreviousReport {
  findings: readonly CompactFinding[];
  /** ISO 8601 completion time of the scan behind that report. */
  scanCompletedAt?: string;
  /** The stored findings were cut to fit the item: only a most-severe-first prefix of them is known. */
  truncated?: boolean;
}

/**
 * A finding's identity across scans: vulnerability id and package name. Not the version: a rebuild that bumps a
 * package but leaves the same CVE open has not brought anything new.
 */
export function findingIdentity(id: string, packageName: string | undefined): string {
  return `${id}\n${packageName ?? ""}`;
}

interface PreviousEntry {
  /** The most severe severity stored for this identity (an identity may appear once per package version). */
  severity: Severity;
  /** The earliest first-seen time stored for this identity. */
  firstSeen?: string;
  finding: CompactFinding;
}

function indexPrevious(findings: readonly CompactFinding[]): Map<string, PreviousEntry> {
  const byIdentity = new Map<string, PreviousEntry>();
  for (const finding of findings) {
    const key = findingIdentity(finding.id, finding.package);
    const known = byIdentity.get(key);
    if (!known) {
      byIdentity.set(key, { severity: finding.severity, firstSeen: finding.firstSeen, finding });
      continue;
    }
    if (severityRankOf(finding.severity) < severityRankOf(known.severity)) known.severity = finding.severity;
    if (finding.firstSeen && (!known.firstSeen || finding.firstSeen < known.firstSeen)) {
      known.firstSeen = finding.firstSeen;
    }
  }
  return byIdentity;
}

/**
 * Whether a finding absent from the previous report was really absent. When the previous findings were truncated
 * only those strictly more severe than the least severe one stored are all known (fitFindings keeps a prefix); a
 * finding at or below that severity may have been left out, so it is not called new: noise is the worse mistake.
 */
function absenceIsKnown(previous: PreviousReport): (severity: Severity) => boolean {
  if (!previous.truncated) return () => true;
  const boundary = previous.findings.reduce((least, f) => Math.max(least, severityRankOf(f.severity)), -1);
  return (severity) => severityRankOf(severity) < boundary;
}

/**
 * What changed between the previous report for an image reference and the current findings. Pure. With no
 * previous report it is the first one: nothing is new or fixed relative to anything, and `firstReport` says so.
 * Meant for complete scans: a failed scan has no findings to compare, and would show every finding as fixed.
 */
export function computeChanges(current: readonly Finding[], previous?: PreviousReport): ReportChanges {
  if (!previous) return { firstReport: true, newFindings: [], fixedFindings: [], severityRaised: [] };
  const before = indexPrevious(previous.findings);
  const wasAbsent = absenceIsKnown(previous);
  const newFindings: Finding[] = [];
  const severityRaised: { finding: Finding; from: Severity }[] = [];
  const stillOpen = new Set<string>();
  for (const finding of current) {
    const key = findingIdentity(finding.id, finding.packageName);
    stillOpen.add(key);
    const known = before.get(key);
    if (!known) {
      if (wasAbsent(finding.severity)) newFindings.push(finding);
    } else if (severityRankOf(finding.severity) < severityRankOf(known.severity)) {
      severityRaised.push({ finding, from: known.severity });
    }
  }
  const fixedFindings = [...before.entries()]
    .filter(([key]) => !stillOpen.has(key))
    .map(([, entry]) => entry.finding);
  const changes: ReportChanges = { firstReport: false, newFindings, fixedFindings, severityRaised };
  if (previous.scanCompletedAt !== undefined) changes.previousScanAt = previous.scanCompletedAt;
  return changes;
}

/** The compact form of a finding, as the ledger stores it. */
export function toCompactFinding(finding: Finding, firstSeen?: string): CompactFinding {
  const compact: CompactFinding = { id: finding.id, severity: finding.severity };
  if (finding.packageName !== undefined) compact.package = finding.packageName;
  if (finding.packageVersion !== undefined) compact.version = finding.packageVersion;
  if (finding.fixedInVersion !== undefined) compact.fixedIn = finding.fixedInVersion;
  if (firstSeen !== undefined) compact.firstSeen = firstSeen;
  return compact;
}

/**
 * The current findings in compact form, each keeping the first-seen time the previous record gave its identity
 * (id + package), and `seenAt` (the scan's completion time) for those seen for the first time.
 */
export function carryFirstSeen(
  current: readonly Finding[],
  previous: readonly CompactFinding[] | undefined,
  seenAt: string,
): CompactFinding[] {
  const before = indexPrevious(previous ?? []);
  return current.map((finding) => {
    const firstSeen = before.get(findingIdentity(finding.id, finding.packageName))?.firstSeen;
    return toCompactFinding(finding, firstSeen ?? seenAt);
  });
}
