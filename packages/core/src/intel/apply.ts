import { compareFindings } from "../findings/normalize.js";
import type { EpssScore, Finding } from "../model.js";
import { CVE_ID_PATTERN, type IntelLookup } from "./intel.js";

/**
 * The findings with what the threat-intel look-up says of their CVE ids (compared case-insensitively): `kev` from
 * CISA's catalog, `epss` from FIRST. Pure: a finding the look-up says nothing of is passed on as it is (the same
 * object), one it does is copied, so a report of thousands of findings holds no second copy of them.
 *
 * An EPSS score a finding already carries (a source that gives one: ECR's enhanced findings do not today) is kept
 * only when it is of a later day than FIRST's: both come from FIRST's model, and the newer run is the better guess;
 * on the same day FIRST's wins, being the one the report's intel status describes.
 */
export function applyIntel(findings: readonly Finding[], lookup: IntelLookup): Finding[] {
  // Stryker disable next-line ConditionalExpression: a shortcut only; the loop finds nothing to add either way
  if (lookup.kev.size === 0 && lookup.epss.size === 0) return [...findings];
  return findings.map((finding) => {
    const cveId = finding.id.toUpperCase();
    const kev = lookup.kev.get(cveId);
    const epss = newerEpss(finding.epss, lookup.epss.get(cveId));
    if (!kev && epss === finding.epss) return finding;
    return { ...finding, ...(kev && { kev }), ...(epss && { epss }) };
  });
}

/** FIRST's score, unless the finding's own is of a later day (`YYYY-MM-DD` compares as text). */
function newerEpss(own: EpssScore | undefined, first: EpssScore | undefined): EpssScore | undefined {
  if (!first) return own;
  if (!own) return first;
  return own.date > first.date ? own : first;
}

/**
 * True when a finding has a fix to apply. Inspector's `fixAvailable` (enhanced scanning) decides when it is given,
 * since it weighs every affected package (PARTIAL: some have a fix) while `fixedInVersion` is the first package's;
 * without it, a fixed-in version says there is one.
 */
export function hasFix(finding: Pick<Finding, "fixedInVersion" | "fixAvailable">): boolean {
  if (finding.fixAvailable !== undefined) return finding.fixAvailable !== "NO";
  return finding.fixedInVersion !== undefined;
}

/** 1 for true, 0 for false: sorts the findings that have something first when subtracted b - a. */
function flag(value: boolean): number {
  return value ? 1 : 0;
}

/**
 * The order of a report's findings, most urgent first: on CISA's KEV catalog, then an exploit available
 * (Inspector), then EPSS (higher first, unscored last), then severity and CVSS (`compareFindings`). Findings with
 * no intel compare exactly as `compareFindings` orders them, so a report without intel keeps its order.
 */
export function urgencyOrder(a: Finding, b: Finding): number {
  const byKev = flag(b.kev !== undefined) - flag(a.kev !== undefined);
  if (byKev !== 0) return byKev;
  const byExploit = flag(b.exploitAvailable === "YES") - flag(a.exploitAvailable === "YES");
  if (byExploit !== 0) return byExploit;
  const byEpss = (b.epss?.score ?? -1) - (a.epss?.score ?? -1);
  if (byEpss !== 0) return byEpss;
  return compareFindings(a, b);
}

/** The distinct CVE ids of these findings, upper case, to look up; an id that is not a CVE id is passed over. */
export function cveIdsOf(findings: readonly Pick<Finding, "id">[]): string[] {
  const ids = new Set<string>();
  for (const finding of findings) {
    const id = finding.id.toUpperCase();
    if (CVE_ID_PATTERN.test(id)) ids.add(id);
  }
  return [...ids];
}
