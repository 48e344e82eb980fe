import { type CompactFinding, SEVERITIES, type Severity } from "../model.js";

export type { CompactFinding } from "../model.js";

/**
 * The compact form of one finding in a ledger item: six fields joined by `|`,
 *
 *     id|severity|package|version|fixedIn|firstSeen
 *
 * with `severity` as one letter (C H M L I U), `firstSeen` as whole seconds since the epoch, an absent value as an
 * empty field, and `\` and `|` inside a value written `\\` and `\|`. About 60 bytes for a typical finding, so an
 * image with 5,000 findings stays well under DynamoDB's 400 KB item limit (docs/architecture.md, "Findings ledger").
 */
const SEPARATOR = "|";
const ESCAPE = "\\";
const FIELD_COUNT = 6;

const SEVERITY_LETTERS: Record<Severity, string> = {
  CRITICAL: "C",
  HIGH: "H",
  MEDIUM: "M",
  LOW: "L",
  INFORMATIONAL: "I",
  UNDEFINED: "U",
};
const SEVERITY_OF_LETTER = new Map(SEVERITIES.map((severity) => [SEVERITY_LETTERS[severity], severity]));

/** Whole seconds since the epoch; at most 12 digits, which reaches the year 33658. */
const EPOCH_SECONDS = /^\d{1,12}$/;

function escapeField(value: string | undefined): string {
  return (value ?? "").replace(/[\\|]/g, (char) => `${ESCAPE}${char}`);
}

function encodeTime(iso: string | undefined): string {
  if (iso === undefined) return "";
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? "" : String(Math.floor(ms / 1000));
}

/** One finding in its compact form. */
export function encodeFinding(finding: CompactFinding): string {
  return [
    escapeField(finding.id),
    SEVERITY_LETTERS[finding.severity],
    escapeField(finding.package),
    escapeField(finding.version),
    escapeField(finding.fixedIn),
    encodeTime(finding.firstSeen),
  ].join(SEPARATOR);
}

/** Splits an entry on its unescaped separators; undefined when an escape is dangling or escapes nothing known. */
function splitFields(entry: string): string[] | undefined {
  // Almost no real value holds a `\`: split at once, and walk the characters only when one does.
  if (!entry.includes(ESCAPE)) return entry.split(SEPARATOR);
  const fields: string[] = [];
  let field = "";
  for (let i = 0; i < entry.length; i++) {
    const char = entry[i];
    if (char === ESCAPE) {
      const next = entry[i + 1];
      if (next !== ESCAPE && next !== SEPARATOR) return undefined;
      field += next;
      i++;
    } else if (char === SEPARATOR) {
      fields.push(field);
      field = "";
    } else {
      field += char;
    }
  }
  fields.push(field);
  return fields;
}

/** One compact entry read back; undefined when it is not one (wrong field count, unknown severity, bad time). */
export function decodeFinding(entry: string): CompactFinding | undefined {
  const fields = splitFields(entry);
  if (fields?.length !== FIELD_COUNT) return undefined;
  const [id = "", letter = "", pkg = "", version = "", fixedIn = "", firstSeen = ""] = fields;
  const severity = SEVERITY_OF_LETTER.get(letter);
  if (id === "" || severity === undefined) return undefined;
  if (firstSeen !== "" && !EPOCH_SECONDS.test(firstSeen)) return undefined;
  const finding: CompactFinding = { id, severity };
  if (pkg !== "") finding.package = pkg;
  if (version !== "") finding.version = version;
  if (fixedIn !== "") finding.fixedIn = fixedIn;
  if (firstSeen !== "") finding.firstSeen = new Date(Number(firstSeen) * 1000).toISOString();
  return finding;
}

/**
 * Reads a stored list of compact entries. Tolerant: an entry that is not a valid compact finding (or not a string
 * at all: the list came from another version, or was edited by hand) is skipped and counted, never thrown.
 */
export function decodeFindings(entries: readonly unknown[]): { findings: CompactFinding[]; skipped: number } {
  const findings: CompactFinding[] = [];
  let skipped = 0;
  for (const entry of entries) {
    const finding = typeof entry === "string" ? decodeFinding(entry) : undefined;
    if (finding) findings.push(finding);
    else skipped++;
  }
  return { findings, skipped };
}

/** The rank of a severity, 0 for the most severe (CRITICAL). */
export function severityRankOf(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Bytes DynamoDB counts for one element of a list of strings: its UTF-8 length plus one byte of overhead. */
function listElementBytes(entry: string): number {
  return Buffer.byteLength(entry, "utf8") + 1;
}

/** DynamoDB's fixed overhead of a list attribute, whatever it holds. */
export const LIST_OVERHEAD_BYTES = 3;

/** The findings as stored, most severe first, and whether some had to be left out to fit the budget. */
export interface FittedFindings {
  entries: string[];
  truncated: boolean;
}

/**
 * Encodes findings most severe first and keeps the longest prefix whose list attribute fits `budgetBytes`. Kept as
 * a prefix (never skipping a long entry to fit a shorter, less severe one after it) so that a reader knows every
 * finding more severe than the least severe one stored was stored: `computeChanges` relies on it.
 */
export function fitFindings(findings: readonly CompactFinding[], budgetBytes: number): FittedFindings {
  const sorted = [...findings].sort((a, b) => severityRankOf(a.severity) - severityRankOf(b.severity));
  const entries: string[] = [];
  let used = LIST_OVERHEAD_BYTES;
  for (const finding of sorted) {
    const entry = encodeFinding(finding);
    used += listElementBytes(entry);
    if (used > budgetBytes) return { entries, truncated: true };
    entries.push(entry);
  }
  return { entries, truncated: false };
}
