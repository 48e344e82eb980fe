import { SEVERITIES, type Severity, type SeverityCounts } from "../model.js";

const SEVERITY_NAMES: Readonly<Record<Severity, string>> = {
  CRITICAL: "Critical",
  HIGH: "High",
  MEDIUM: "Medium",
  LOW: "Low",
  INFORMATIONAL: "Informational",
  UNDEFINED: "Undefined",
};

/** `Critical`, `High`…: a severity as people read it; `lower` gives `critical`, for inside a sentence. */
// Stryker disable next-line StringLiteral: every style but "lower" gives the title, so the default's text is never read
export function severityName(severity: Severity, style: "title" | "lower" = "title"): string {
  const name = SEVERITY_NAMES[severity] ?? SEVERITY_NAMES.UNDEFINED;
  return style === "lower" ? name.toLowerCase() : name;
}

/** 0 for CRITICAL up to 5 for UNDEFINED: the severity's place in SEVERITIES, lower is more severe. */
export function severityRank(severity: Severity): number {
  const rank = SEVERITIES.indexOf(severity);
  return rank === -1 ? SEVERITIES.length - 1 : rank;
}

/** The given severities, each once, most severe first. */
export function mostSevereFirst(severities: Iterable<Severity>): Severity[] {
  const given = new Set(severities);
  return SEVERITIES.filter((severity) => given.has(severity));
}

/** `1 critical, 2 high`: the non-zero counts of the given severities, most severe first; "" when none. */
export function countsSummary(counts: SeverityCounts, severities: Iterable<Severity> = SEVERITIES): string {
  return mostSevereFirst(severities)
    .filter((severity) => counts[severity] > 0)
    .map((severity) => `${counts[severity]} ${severityName(severity, "lower")}`)
    .join(", ");
}
