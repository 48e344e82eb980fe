import type { EnhancedImageScanFinding, ImageScanFinding } from "@aws-sdk/client-ecr";
import {
  emptySeverityCounts,
  type Finding,
  SEVERITIES,
  type Severity,
  type SeverityCounts,
} from "../model.js";

const SEVERITY_RANK: Readonly<Record<Severity, number>> = Object.fromEntries(
  SEVERITIES.map((severity, rank) => [severity, rank]),
) as Record<Severity, number>;

/** Inspector statuses of findings that no longer describe the image (fixed, or suppressed by a rule). */
const NOT_CURRENT_STATUSES = new Set(["CLOSED", "SUPPRESSED"]);

/** Maps a severity as ECR or Inspector writes it to the model; anything unknown (Inspector's UNTRIAGED too) is UNDEFINED. */
export function toSeverity(value: string | undefined): Severity {
  const upper = value?.toUpperCase();
  return SEVERITIES.find((severity) => severity === upper) ?? "UNDEFINED";
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** Feed titles are shown in one-line places (Slack headers, issue lists, subjects), so line breaks go. */
function oneLine(text: string): string {
  // Stryker disable next-line MethodExpression: callers pass text nonEmpty trimmed, and trim removes exactly \s
  return text.replace(/\s+/g, " ").trim();
}

function parseScore(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === "") return undefined;
  const score = Number(value);
  return Number.isFinite(score) ? score : undefined;
}

/** Converts one basic-scan finding (`{name, uri, severity, description, attributes}`) to the model. */
export function normalizeBasicFinding(finding: ImageScanFinding): Finding {
  // The last attribute of a name that has a value, as a map built from the list would hold.
  const attribute = (name: string) =>
    finding.attributes?.findLast((entry) => entry.key === name && entry.value !== undefined)?.value;
  const id = nonEmpty(finding.name) ?? "UNKNOWN";
  const packageName = nonEmpty(attribute("package_name"));
  return {
    id,
    severity: toSeverity(finding.severity),
    title: oneLine(packageName ? `${id} - ${packageName}` : id),
    description: nonEmpty(finding.description),
    packageName,
    packageVersion: nonEmpty(attribute("package_version")),
    // Older (Clair) findings carry only a CVSS v2 score; prefer v3 where both exist.
    cvssScore: parseScore(attribute("CVSS3_SCORE")) ?? parseScore(attribute("CVSS2_SCORE")),
    url: nonEmpty(finding.uri),
  };
}

/** Inspector splits OS package versions into epoch, version and release; people compare the dpkg/rpm form. */
function installedVersion(pkg: { version?: string; release?: string; epoch?: number }): string | undefined {
  const version = nonEmpty(pkg.version);
  if (!version) return undefined;
  const release = nonEmpty(pkg.release);
  const withRelease = release ? `${version}-${release}` : version;
  return pkg.epoch ? `${pkg.epoch}:${withRelease}` : withRelease;
}

/** Inspector's `exploitAvailable`, YES or NO whatever its case; anything else is left out rather than guessed. */
function exploitAvailableOf(value: string | undefined): Finding["exploitAvailable"] {
  const upper = value?.trim().toUpperCase();
  return upper === "YES" || upper === "NO" ? upper : undefined;
}

/** Inspector's `fixAvailable`, YES, NO or PARTIAL whatever its case; anything else is left out. */
function fixAvailableOf(value: string | undefined): Finding["fixAvailable"] {
  const upper = value?.trim().toUpperCase();
  return upper === "YES" || upper === "NO" || upper === "PARTIAL" ? upper : undefined;
}

/** An SDK timestamp as ISO 8601; an invalid date (a response the SDK could not parse) is left out. */
function isoTime(value: Date | undefined): string | undefined {
  return value instanceof Date && Number.isFinite(value.getTime()) ? value.toISOString() : undefined;
}

/**
 * Converts one enhanced-scan (Amazon Inspector) finding to the model, whatever its status. Inspector's exploit and
 * fix fields, its score and when it first observed the finding are kept. ECR's `EnhancedImageScanFinding` carries
 * no EPSS (Inspector's own API does, ECR's does not pass it on), so enhanced findings get theirs from FIRST's EPSS
 * data like basic ones (intel/apply.ts).
 */
export function normalizeEnhancedFinding(finding: EnhancedImageScanFinding): Finding {
  const details = finding.packageVulnerabilityDetails;
  const id = nonEmpty(details?.vulnerabilityId) ?? nonEmpty(finding.findingArn) ?? "UNKNOWN";
  const pkg = details?.vulnerablePackages?.[0];
  const packageName = nonEmpty(pkg?.name);
  // Stryker disable next-line ArrayDeclaration: a string in place of the list has no baseScore, so it is dropped too
  const baseScores = (details?.cvss ?? [])
    .map((cvss) => cvss.baseScore)
    .filter((score): score is number => Number.isFinite(score));
  const title = nonEmpty(finding.title) ?? (packageName ? `${id} - ${packageName}` : id);
  return {
    id,
    severity: toSeverity(finding.severity),
    title: oneLine(title),
    description: nonEmpty(finding.description),
    packageName,
    packageVersion: pkg ? installedVersion(pkg) : undefined,
    fixedInVersion: nonEmpty(pkg?.fixedInVersion),
    cvssScore: finding.score ?? (baseScores.length > 0 ? Math.max(...baseScores) : undefined),
    url: nonEmpty(details?.sourceUrl) ?? nonEmpty(details?.referenceUrls?.[0]),
    exploitAvailable: exploitAvailableOf(finding.exploitAvailable),
    fixAvailable: fixAvailableOf(finding.fixAvailable),
    inspectorScore: Number.isFinite(finding.score) ? finding.score : undefined,
    firstObservedAt: isoTime(finding.firstObservedAt),
  };
}

/** True while an Inspector finding still applies to the image; CLOSED and SUPPRESSED ones are history. */
export function isCurrentEnhancedFinding(finding: EnhancedImageScanFinding): boolean {
  // Stryker disable next-line StringLiteral: no status reads as current, like any text but CLOSED and SUPPRESSED
  return !NOT_CURRENT_STATUSES.has(finding.status?.toUpperCase() ?? "");
}

/** Normalizes both finding lists of a scan, dropping enhanced findings that are no longer current. */
export function normalizeScanFindings(raw: {
  basic: readonly ImageScanFinding[];
  enhanced: readonly EnhancedImageScanFinding[];
}): Finding[] {
  const findings: Finding[] = [];
  for (const finding of raw.basic) findings.push(normalizeBasicFinding(finding));
  for (const finding of raw.enhanced) {
    if (isCurrentEnhancedFinding(finding)) findings.push(normalizeEnhancedFinding(finding));
  }
  return findings;
}

/** Counts findings per severity; recomputed rather than taken from ECR so the ignore list is reflected. */
export function countBySeverity(findings: readonly Finding[]): SeverityCounts {
  const counts = emptySeverityCounts();
  for (const finding of findings) counts[finding.severity] += 1;
  return counts;
}

/**
 * Severity order: most severe first, then highest CVSS score (unscored last), then by id and package. A report's
 * findings are in urgency order (intel/apply.ts `urgencyOrder`), which falls back to this one.
 */
export function compareFindings(a: Finding, b: Finding): number {
  const bySeverity = SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity];
  if (bySeverity !== 0) return bySeverity;
  const byScore = (b.cvssScore ?? -1) - (a.cvssScore ?? -1);
  if (byScore !== 0) return byScore;
  // Plain code-unit comparison, not localeCompare: the order must not depend on the Lambda's locale.
  if (a.id < b.id) return -1;
  if (a.id > b.id) return 1;
  const packageA = a.packageName ?? "";
  const packageB = b.packageName ?? "";
  if (packageA < packageB) return -1;
  return packageA > packageB ? 1 : 0;
}
