import { createHash } from "node:crypto";
import type { ScanReport } from "@ecr-scan-reporter/core";

// Two hidden HTML comments at the end of every issue body (GitHub does not render them):
//
//   <!-- ecr-scan-reporter:image=123456789012/team-a/api:v1.4.2 -->
//   <!-- ecr-scan-reporter:findings=v1;n=5;sha=4c1f…;ids=CVE-2022-40897,CVE-2023-29383,… -->
//
// The image marker is how the issue is found again; the findings marker is what the next scan is compared with.
// They are written by code after the template has been rendered, so a replaced template cannot lose them.

const MARKER_PREFIX = "<!-- ecr-scan-reporter:";
const MARKER_SUFFIX = " -->";

/**
 * Percent-encodes every character outside `allowed` (and `%` itself), so a marker can never hold `-->`, a line
 * break, a space or a separator of its own grammar: a tag written `v1\r\n<!channel>` cannot end the comment or
 * pass for another image.
 */
function encodePart(text: string, allowed: RegExp): string {
  let out = "";
  for (const char of text) {
    if (allowed.test(char)) out += char;
    else
      for (const byte of Buffer.from(char, "utf8"))
        out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** How an image is identified across scans: its first tag when it has one (so rescans of v1.2 meet), else its digest. */
export interface ImageReference {
  registryId: string;
  repository: string;
  kind: "tag" | "digest";
  /** The tag or the digest. */
  value: string;
}

/** The image reference of a report: the first tag, or the digest of an untagged image. */
export function imageReferenceOf(
  report: Pick<ScanReport, "registryId" | "repository" | "tags" | "digest">,
): ImageReference {
  const tag = report.tags[0];
  return tag !== undefined && tag !== ""
    ? { registryId: report.registryId, repository: report.repository, kind: "tag", value: tag }
    : { registryId: report.registryId, repository: report.repository, kind: "digest", value: report.digest };
}

/**
 * The image marker: `<!-- ecr-scan-reporter:image=<registryId>/<repository>:<tag> -->`, or `…@<digest>` for an
 * untagged image. Each part is percent-encoded so that the registry id holds no `/`, the repository no `:` or `@`,
 * the tag no `:`, `@` or `/`, and the digest no `@` or `/`: one string per image, never a prefix of another's,
 * since the marker is matched whole, ` -->` included.
 */
export function imageMarker(ref: ImageReference): string {
  const registry = encodePart(ref.registryId, /[A-Za-z0-9._-]/);
  const repository = encodePart(ref.repository, /[A-Za-z0-9._/-]/);
  const reference =
    ref.kind === "tag"
      ? `:${encodePart(ref.value, /[A-Za-z0-9._-]/)}`
      : `@${encodePart(ref.value, /[A-Za-z0-9._:-]/)}`;
  return `${MARKER_PREFIX}image=${registry}/${repository}${reference}${MARKER_SUFFIX}`;
}

/** True when an issue body carries this image marker (matched whole). */
export function hasImageMarker(body: string | null | undefined, marker: string): boolean {
  return body?.includes(marker) ?? false;
}

// --- The findings of the previous scan ---------------------------------------------------------------------------

/** Up to this many characters, the finding ids are kept as they are; past it, as 24-bit hashes. */
export const FINDING_IDS_MAX_CHARS = 12_000;
/** Up to this many characters of hashes (4 each); past it only the count and a digest of the set are kept. */
export const FINDING_HASHES_MAX_CHARS = 24_000;

/**
 * What an issue body remembers of the findings it showed, to say on the next scan what changed:
 * `ids` (exact, names known), `hashes` (24-bit hashes of the ids: exact counts with a chance of about one in
 * 3,000 per changed id, for 5,000 findings, that a new id is taken for an old one; names of fixed ids unknown), or
 * `digest` (only whether the set changed).
 */
export type FindingsState =
  | { kind: "ids"; count: number; digest: string; ids: string[] }
  | { kind: "hashes"; count: number; digest: string; hashes: Set<string> }
  | { kind: "digest"; count: number; digest: string };

/** The distinct finding ids of a report, as compared across scans (trimmed, upper case, sorted). */
export function findingIdsOf(report: Pick<ScanReport, "findings">): string[] {
  return [...new Set(report.findings.map((f) => f.id.trim().toUpperCase()))].sort();
}

function setDigest(ids: readonly string[]): string {
  return createHash("sha256").update(ids.join("\n")).digest("hex").slice(0, 32);
}

/** A 24-bit hash of an id as 4 base64url characters. */
function idHash(id: string): string {
  return createHash("sha256").update(id).digest().subarray(0, 3).toString("base64url");
}

const ENCODED_ID = /[A-Za-z0-9._:+-]/;

/** The state of a set of finding ids, in the most exact form that fits. */
export function findingsStateOf(ids: readonly string[]): FindingsState {
  const digest = setDigest(ids);
  const encoded = ids.map((id) => encodePart(id, ENCODED_ID));
  if (encoded.join(",").length <= FINDING_IDS_MAX_CHARS) {
    return { kind: "ids", count: ids.length, digest, ids: [...ids] };
  }
  if (ids.length * 4 <= FINDING_HASHES_MAX_CHARS) {
    return { kind: "hashes", count: ids.length, digest, hashes: new Set(ids.map(idHash)) };
  }
  return { kind: "digest", count: ids.length, digest };
}

/** The findings marker of a state. */
export function findingsMarker(state: FindingsState): string {
  const head = `${MARKER_PREFIX}findings=v1;n=${state.count};sha=${state.digest}`;
  if (state.kind === "ids") {
    return `${head};ids=${state.ids.map((id) => encodePart(id, ENCODED_ID)).join(",")}${MARKER_SUFFIX}`;
  }
  if (state.kind === "hashes") return `${head};h24=${[...state.hashes].sort().join("")}${MARKER_SUFFIX}`;
  return `${head}${MARKER_SUFFIX}`;
}

/** Reads the findings marker back from an issue body; undefined when there is none or it is damaged. */
export function parseFindingsMarker(body: string | null | undefined): FindingsState | undefined {
  const match =
    /<!-- ecr-scan-reporter:findings=v1;n=(\d+);sha=([0-9a-f]{32})(?:;ids=([^\s]*)|;h24=([A-Za-z0-9_-]*))? -->/.exec(
      body ?? "",
    );
  if (!match) return undefined;
  const count = Number(match[1]);
  const digest = match[2] ?? "";
  if (match[3] !== undefined) {
    let ids: string[];
    try {
      ids = match[3] === "" ? [] : match[3].split(",").map((id) => decodeURIComponent(id));
    } catch {
      return undefined; // a hand-edited marker with a broken escape: treat the previous findings as unknown
    }
    return ids.length === count ? { kind: "ids", count, digest, ids } : undefined;
  }
  if (match[4] !== undefined) {
    if (match[4].length % 4 !== 0) return undefined;
    const hashes = new Set(match[4].match(/.{4}/g) ?? []);
    return { kind: "hashes", count, digest, hashes };
  }
  return { kind: "digest", count, digest };
}

/** What changed between the findings an issue showed and a new scan. */
export interface FindingsChange {
  /** False when the previous state is unknown (no marker: an older or hand-edited body, or a failed scan). */
  known: boolean;
  changed: boolean;
  /** Counts, when they can be told (`ids` and `hashes` states). */
  newCount?: number;
  fixedCount?: number;
  unchangedCount?: number;
  /** Ids, when they can be named: new ids always (they are in the report), fixed ids only from an `ids` state. */
  newIds?: string[];
  fixedIds?: string[];
  previousCount?: number;
  currentCount: number;
}

/** Compares the current ids with the state read from the issue body. */
export function compareFindings(
  previous: FindingsState | undefined,
  currentIds: readonly string[],
): FindingsChange {
  const currentCount = currentIds.length;
  if (!previous) return { known: false, changed: true, currentCount };
  const changed = previous.digest !== setDigest(currentIds);
  const base = { known: true, changed, previousCount: previous.count, currentCount };
  if (previous.kind === "ids") {
    const before = new Set(previous.ids);
    const now = new Set(currentIds);
    const newIds = currentIds.filter((id) => !before.has(id));
    const fixedIds = previous.ids.filter((id) => !now.has(id));
    return {
      ...base,
      newIds,
      fixedIds,
      newCount: newIds.length,
      fixedCount: fixedIds.length,
      unchangedCount: currentCount - newIds.length,
    };
  }
  if (previous.kind === "hashes") {
    const currentHashes = new Set(currentIds.map(idHash));
    const newIds = currentIds.filter((id) => !previous.hashes.has(idHash(id)));
    const fixedCount = [...previous.hashes].filter((h) => !currentHashes.has(h)).length;
    return {
      ...base,
      newIds,
      newCount: newIds.length,
      fixedCount,
      unchangedCount: currentCount - newIds.length,
    };
  }
  return base;
}

// --- The digest's tracking issue ---------------------------------------------------------------------------------
//
//   <!-- ecr-scan-reporter:digest=github%232 -->
//   <!-- ecr-scan-reporter:digest-state=v1;period=2026-11-30T08%3A00Z;over=3 -->
//
// The digest marker is how a route's tracking issue is found again (one issue per route, the reporter id); the state
// marker is what the next digest's comment compares with, and tells a retried digest of the same period.

/** The digest marker of a route (a reporter id like `github` or `github#2`), percent-encoded like a tag. */
export function digestMarker(route: string): string {
  return `${MARKER_PREFIX}digest=${encodePart(route, /[A-Za-z0-9._-]/)}${MARKER_SUFFIX}`;
}

/** True when an issue body carries this digest marker (matched whole). */
export function hasDigestMarker(body: string | null | undefined, marker: string): boolean {
  return body?.includes(marker) ?? false;
}

/** What a digest body remembers for the next digest of its route. */
export interface DigestBodyState {
  /** The period key of the digest the body shows. */
  period: string;
  /** How many images were over the thresholds then. */
  overThresholds: number;
}

export function digestStateMarker(state: DigestBodyState): string {
  const period = encodePart(state.period, /[A-Za-z0-9._:+-]/);
  return `${MARKER_PREFIX}digest-state=v1;period=${period};over=${state.overThresholds}${MARKER_SUFFIX}`;
}

/** Reads the digest state marker back; undefined when there is none or it is damaged. */
export function parseDigestStateMarker(body: string | null | undefined): DigestBodyState | undefined {
  const match = /<!-- ecr-scan-reporter:digest-state=v1;period=([^\s;]+);over=(\d+) -->/.exec(body ?? "");
  if (!match?.[1]) return undefined;
  try {
    return { period: decodeURIComponent(match[1]), overThresholds: Number(match[2]) };
  } catch {
    return undefined; // a hand-edited marker with a broken escape: the previous digest is unknown
  }
}

const IMAGE_MARKERS = /<!-- ecr-scan-reporter:image=[^\s]+ -->/g;

/**
 * The image marker of an issue body: the last one, since the real marker is appended after the rendered text, where
 * untrusted text in a code span could show something that looks like one. Undefined when there is none.
 */
export function imageMarkerOf(body: string | null | undefined): string | undefined {
  return body?.match(IMAGE_MARKERS)?.at(-1);
}

/**
 * Text shown in a body with the markers' prefix broken (`ecr-scan-reporter\:`), so that untrusted text — a tag or
 * a package name in a code span, which cannot be escaped — can never pass for a marker of an image or of a route.
 */
export function defuseMarkers(text: string): string {
  return text.split(MARKER_PREFIX).join("<!-- ecr-scan-reporter\\:");
}
