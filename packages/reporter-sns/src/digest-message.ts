import {
  accountLabel,
  accountShortLabel,
  countsSummary,
  DIGEST_TOP_CHANGES,
  DIGEST_TOP_IMAGES,
  type Digest,
  type DigestAccount,
  type DigestChange,
  type DigestChangeList,
  type DigestImage,
  type DigestKevList,
  digestKevHeadline,
  intelNote,
  kevCountText,
  kevDueText,
  SEVERITIES,
  type Severity,
  type SeverityCounts,
  severityName,
  severityRank,
} from "@ecr-scan-reporter/core";
import { imageText, type SnsMessageBody, tagsText } from "./message.js";
import { cleanLine } from "./untrusted-text.js";

// The texts of a digest (contract v2): one route's periodic picture of the registry, as plain text like the
// reports' — a compact `default` text and a longer `email` text. Every string that came from an image or a feed
// passes through cleanLine (control characters, bidi marks and line breaks removed, length capped).

// Caps on each dynamic field, in UTF-16 units, so that the lists' size is bounded whatever the feed holds.
const MAX = {
  route: 200,
  regex: 300,
  id: 128,
  packageName: 200,
  version: 128,
  reference: 430,
  url: 2400,
  field: 200,
  /** Why an account could not be read (the whole is in the function's log). */
  reason: 300,
} as const;

/** How many images over the thresholds the compact text names. */
export const DIGEST_DEFAULT_TEXT_TOP_IMAGES = 5;

/** What a digest has to say, in one word: the ledger knows nothing yet, nothing is open, or findings are. */
export type DigestState = "empty-ledger" | "all-clear" | "findings";

export function totalOf(counts: SeverityCounts): number {
  return SEVERITIES.reduce((sum, severity) => sum + counts[severity], 0);
}

export function digestState(digest: Pick<Digest, "emptyLedger" | "open" | "overThresholds">): DigestState {
  if (digest.emptyLedger) return "empty-ledger";
  return totalOf(digest.open.counts) === 0 && digest.overThresholds.total === 0 ? "all-clear" : "findings";
}

/** The severities a digest counts: those at or above the route's minSeverity (the others are never counted). */
export function digestSeverities(digest: Pick<Digest, "route">): Severity[] {
  const min = digest.route.minSeverity;
  return min ? SEVERITIES.filter((s) => severityRank(s) <= severityRank(min)) : [...SEVERITIES];
}

/** `+2`, `-1` or `0`: the change since the previous digest; "" when there was none. */
export function signedDelta(now: number, previous: number | undefined): string {
  if (previous === undefined) return "";
  const delta = now - previous;
  if (delta > 0) return `+${delta}`;
  return delta < 0 ? `-${-delta}` : "0";
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** `2026-11-23` from an ISO time, or the text itself (cleaned) when it is not one. */
function day(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? cleanLine(iso, MAX.field) : new Date(time).toISOString().slice(0, 10);
}

/**
 * `2 critical (-1), 9 high (+2), 0 low (-3)`: the open counts, each with its change since the previous digest when
 * it changed; a severity shows when it is open now or was open then.
 */
export function countsWithChanges(counts: SeverityCounts, previous: SeverityCounts | undefined): string {
  return SEVERITIES.filter((s) => counts[s] > 0 || (previous?.[s] ?? 0) > 0)
    .map((s) => {
      const delta = signedDelta(counts[s], previous?.[s]);
      return `${counts[s]} ${severityName(s, "lower")}${delta && delta !== "0" ? ` (${delta})` : ""}`;
    })
    .join(", ");
}

function routeText(digest: Digest): string {
  return cleanLine(digest.route.reporterId, MAX.route) || "unnamed";
}

function scopeText(digest: Digest): string {
  const { repositories, minSeverity, accounts } = digest.route;
  const where = repositories
    ? `repositories matching ${cleanLine(repositories, MAX.regex)}`
    : "all repositories";
  const of = accounts
    ? ` of the accounts ${accounts.map((account) => cleanLine(account, MAX.field)).join(", ")}`
    : "";
  return `${where}${of}; ${minSeverity ? `findings ${minSeverity} and above` : "findings of every severity"}`;
}

/** ` (prod)` after an image of a multi-account digest ([8/8]): its account's name, else its id; "" otherwise. */
function imageAccount(digest: Pick<Digest, "accounts">, image: DigestImage): string {
  if (!digest.accounts) return "";
  const account = accountShortLabel({
    account: cleanLine(image.registryId, MAX.field),
    accountName: cleanLine(image.accountName, MAX.field) || undefined,
  });
  return ` (${account})`;
}

/**
 * `prod (111111111111): 2 critical, 5 high in 6 of 7 images; 2 over the thresholds`, or `… : not reachable: <why>`
 * for an account that could not be read whole: its counts would read like an empty, clean registry.
 */
function accountLine(account: DigestAccount): string {
  const label = accountLabel({
    account: cleanLine(account.account, MAX.field),
    accountName: cleanLine(account.accountName, MAX.field) || undefined,
  });
  if (account.unreachable !== undefined) {
    return `${label}: not reachable: ${cleanLine(account.unreachable, MAX.reason) || "reason not known"}`;
  }
  const open = countsSummary(account.counts);
  let line = open
    ? `${label}: ${open} in ${account.imagesWithFindings} of ${plural(account.images, "image")}`
    : `${label}: no open findings in ${plural(account.images, "image")}`;
  if (account.overThresholds > 0) line += `; ${account.overThresholds} over the thresholds`;
  if (account.imagesUnknown > 0) line += `; ${account.imagesUnknown} not reported on yet`;
  return line;
}

/** The picture of each account of a multi-account digest, in the configuration's order; nothing otherwise. */
function accountsSection(digest: Digest): string[] {
  if (!digest.accounts) return [];
  return ["By account:", ...digest.accounts.map((account) => `- ${accountLine(account)}`)];
}

function periodText(digest: Digest): string {
  const since = digest.period.previousDigestAt
    ? "since the previous digest"
    : "the first digest of this route";
  return `${day(digest.period.start)} to ${day(digest.period.end)} (${since})`;
}

/** The digest's first sentence: how many open findings where, "All clear", or that the ledger knows nothing yet. */
export function digestHeadline(digest: Digest): string {
  const { open } = digest;
  const unknown =
    open.imagesUnknown > 0
      ? ` ${plural(open.imagesUnknown, "image")} in use ${open.imagesUnknown === 1 ? "has" : "have"} no findings known yet (never reported on).`
      : "";
  switch (digestState(digest)) {
    case "empty-ledger":
      return (
        "No findings known yet: the findings ledger holds nothing for the images of this route, so this digest " +
        "cannot say whether they are clean. This is not an all clear."
      );
    case "all-clear": {
      const min = digest.route.minSeverity;
      const what = `no open findings${min ? ` at or above ${severityName(min, "lower")}` : ""}`;
      if (open.images === 0 && open.imagesUnknown === 0)
        return `All clear: no image in use matches this route.`;
      return `All clear: ${what} in the ${plural(open.images, "image")} in use.${unknown}`;
    }
    default: {
      const total = totalOf(open.counts);
      const over = digest.overThresholds.total;
      return (
        `${plural(total, "open finding")} in ${open.imagesWithFindings} of the ${plural(open.images, "image")} ` +
        `in use: ${countsWithChanges(open.counts, open.previous)}. ` +
        (over > 0
          ? `${plural(over, "image is", "images are")} over the thresholds.`
          : "No image is over the thresholds.") +
        unknown
      );
    }
  }
}

/**
 * A headline short enough for a subject: `2 critical, 9 high; 3 over thresholds; 2 KEV` (the open KEV
 * vulnerabilities last), `all clear`, `no findings known yet`.
 */
export function digestShortSummary(digest: Digest): string {
  const state = digestState(digest);
  if (state === "empty-ledger") return "no findings known yet";
  if (state === "all-clear") return "all clear";
  const counts =
    countsSummary(digest.open.counts, ["CRITICAL", "HIGH"]) ||
    `${totalOf(digest.open.counts)} open, no critical or high`;
  const over = digest.overThresholds.total;
  const kev = digest.knownExploited?.total ?? 0;
  return [counts, ...(over > 0 ? [`${over} over thresholds`] : []), ...(kev > 0 ? [`${kev} KEV`] : [])].join(
    "; ",
  );
}

function countTable(digest: Digest): string[] {
  const { counts, previous } = digest.open;
  const width = "INFORMATIONAL".length + 2;
  const row = (label: string, now: number, before: number | undefined) => {
    const delta = signedDelta(now, before);
    return `  ${label.padEnd(width)}${String(now).padStart(6)}${delta ? delta.padStart(8) : ""}`.trimEnd();
  };
  const severities = digestSeverities(digest);
  const lines = severities.map((s) => row(s, counts[s], previous?.[s]));
  const sum = (c: SeverityCounts) => severities.reduce((total, s) => total + c[s], 0);
  lines.push(row("Total", sum(counts), previous ? sum(previous) : undefined));
  return [
    previous
      ? "Open findings by severity, and the change since the previous digest:"
      : "Open findings by severity:",
    ...lines,
  ];
}

function oldestText(image: DigestImage): string {
  const oldest = image.oldestOpen;
  if (!oldest) return "";
  const pkg = cleanLine(oldest.package, MAX.packageName);
  return (
    `${cleanLine(oldest.id, MAX.id)} (${oldest.severity})${pkg ? ` in ${pkg}` : ""}, ` +
    `open ${plural(oldest.openDays, "day")}, first seen ${day(oldest.firstSeen)}`
  );
}

function imageBlock(digest: Digest, image: DigestImage, position: number): string {
  const lines = [`${position}. ${imageText(image)}${imageAccount(digest, image)}`];
  if (image.tags.length > 1) lines.push(`   Tags:    ${tagsText(image.tags)}`);
  const exceeded = image.exceeded.length > 0 ? `; over the thresholds for ${image.exceeded.join(", ")}` : "";
  lines.push(`   Open:    ${countsSummary(image.counts) || "none"}${exceeded}`);
  const oldest = oldestText(image);
  if (oldest) lines.push(`   Oldest:  ${oldest}`);
  lines.push(`   Scanned: ${day(image.scannedAt)}`);
  const url = cleanLine(image.consoleUrl, MAX.url);
  if (url) lines.push(`   Console: ${url}`);
  return lines.join("\n");
}

/** `- CRITICAL CVE-… in pkg 1.0, fixed in 1.1: team-a/api:v1, team-a/api:v2 and 3 more` */
export function changeLine(change: DigestChange): string {
  const pkg = cleanLine(change.package, MAX.packageName);
  const version = cleanLine(change.version, MAX.version);
  const fixedIn = cleanLine(change.fixedIn, MAX.version);
  const references = change.references.map((r) => cleanLine(r, MAX.reference)).filter(Boolean);
  const rest = change.referenceCount - references.length;
  let line = `- ${change.severity} ${cleanLine(change.id, MAX.id) || "unnamed"}`;
  if (pkg) line += ` in ${version ? `${pkg} ${version}` : pkg}`;
  if (fixedIn) line += `, fixed in ${fixedIn}`;
  if (references.length > 0) line += `: ${references.join(", ")}${rest > 0 ? ` and ${rest} more` : ""}`;
  return line;
}

function moreLine(count: number, what: string): string[] {
  return count > 0 ? [`...and ${count} more ${what}`] : [];
}

/**
 * The open findings on CISA's KEV catalog, overdue first: `- CRITICAL CVE-… in log4j-core, overdue since
 * 2021-12-24, known ransomware use: team-a/worker:1.0`; nothing when KEV was not read. A due date is shown only when
 * it is a `YYYY-MM-DD` date.
 */
function kevSection(list: DigestKevList | undefined, limit: number): string[] {
  if (!list) return [];
  if (list.total === 0) return [`${digestKevHeadline(list)}.`];
  const shown = list.top.slice(0, limit);
  const lines = [`${digestKevHeadline(list)} (CISA's KEV catalog), overdue first:`];
  for (const entry of shown) {
    const pkg = cleanLine(entry.package, MAX.packageName);
    const due = kevDueText(entry);
    const references = entry.references.map((r) => cleanLine(r, MAX.reference)).filter(Boolean);
    const rest = entry.referenceCount - references.length;
    let line = `- ${entry.severity} ${cleanLine(entry.id, MAX.id) || "unnamed"}`;
    if (pkg) line += ` in ${pkg}`;
    if (due) line += `, ${due}`;
    if (entry.knownRansomware) line += ", known ransomware use";
    if (references.length > 0) line += `: ${references.join(", ")}${rest > 0 ? ` and ${rest} more` : ""}`;
    lines.push(line);
  }
  lines.push(...moreLine(list.total - shown.length, "known exploited vulnerabilities"));
  return lines;
}

/** `Threat intel: KEV unavailable: …` when a source was not fresh; nothing otherwise. */
function intelNoteLines(digest: Digest): string[] {
  const note = intelNote(digest.intel);
  return note ? [`Threat intel: ${cleanLine(note, 500)}`] : [];
}

function changeSection(title: string, list: DigestChangeList, limit: number): string[] {
  const shown = list.top.slice(0, limit);
  const lines = [`${title}: ${list.total === 0 ? "none" : plural(list.total, "finding")}`];
  lines.push(...shown.map(changeLine), ...moreLine(list.total - shown.length, "findings"));
  if (list.partial) lines.push("(The period's log could not be read in full: this list may miss some.)");
  return lines;
}

function coverageSection(digest: Digest): string[] {
  const c = digest.coverage;
  if (!c) return ["Coverage: no scheduled scan run recorded yet for these repositories."];
  const rows: [string, number][] = [
    ["Scanned", c.scanned],
    ["Stale", c.stale],
    ["Never scanned", c.neverScanned],
    ["Unsupported", c.unsupported],
    ["Not images", c.notImages],
    ["Not in use", c.notInUse],
    ["Archived", c.archived],
    ["Enhanced", c.enhanced],
  ];
  const lines = [
    `Coverage of the latest scheduled scan run (${cleanLine(c.runAt, MAX.field)}): ` +
      `${plural(c.repositories, "repository", "repositories")}, ${plural(c.images, "image")}`,
    ...rows.map(([label, count]) => `  ${label.padEnd(15)}${String(count).padStart(6)}`),
  ];
  if (c.repositoriesWithoutRun > 0) {
    lines.push(
      `  (${plural(c.repositoriesWithoutRun, "repository has", "repositories have")} no recorded run yet)`,
    );
  }
  return lines;
}

/** The e-mail text, listing at most `limit` entries of each list (images over the thresholds, new, fixed). */
function emailText(digest: Digest, limit: number): string {
  const state = digestState(digest);
  const images = digest.overThresholds.top.slice(0, limit);
  const lines = [
    `Amazon ECR vulnerability digest: ${routeText(digest)}`,
    "",
    `Period:  ${periodText(digest)}`,
    `Scope:   ${scopeText(digest)}`,
    digest.accounts
      ? `Accounts: ${digest.accounts.length} (region ${cleanLine(digest.region, MAX.field)})`
      : `Account: ${cleanLine(digest.account, MAX.field)} (${cleanLine(digest.region, MAX.field)})`,
    "",
    digestHeadline(digest),
    "",
  ];
  // What is exploited in the wild comes first after the headline: it is what to fix before anything else.
  if (state !== "empty-ledger") {
    const kev = kevSection(digest.knownExploited, limit);
    if (kev.length > 0) lines.push(...kev, "");
  }
  const note = intelNoteLines(digest);
  if (note.length > 0) lines.push(...note, "");
  if (state !== "empty-ledger") lines.push(...countTable(digest), "");
  const accounts = accountsSection(digest);
  if (accounts.length > 0) lines.push(...accounts, "");
  if (digest.overThresholds.total > 0) {
    lines.push(`Images over the thresholds (${digest.overThresholds.total}), worst first:`, "");
    for (const [i, image] of images.entries()) lines.push(imageBlock(digest, image, i + 1), "");
    const more = moreLine(digest.overThresholds.total - images.length, "images over the thresholds");
    if (more.length > 0) lines.push(...more, "");
  }
  if (state !== "empty-ledger") {
    lines.push(...changeSection("New this period", digest.newFindings, limit), "");
    lines.push(...changeSection("Fixed this period", digest.fixedFindings, limit), "");
  }
  lines.push(...coverageSection(digest), "");
  lines.push(
    "Open the registry in the Amazon ECR console:",
    cleanLine(digest.consoleUrl, MAX.url),
    "",
    "-- ",
    "Sent by ecr-scan-reporter.",
    "",
  );
  return lines.join("\n");
}

/** The compact text: the headline, new and fixed counts, the worst few images, the console. */
function defaultText(digest: Digest, limit: number): string {
  const lines = [
    `ECR digest ${routeText(digest)}, ${day(digest.period.start)} to ${day(digest.period.end)}: ${digestHeadline(digest)}`,
  ];
  if (digestState(digest) !== "empty-ledger") {
    const kev = digest.knownExploited;
    const kevText = kev ? kevCountText(kev.total, kev.overdue) : "";
    if (kevText) lines.push(`${kevText}.`);
    lines.push(`New this period: ${digest.newFindings.total}; fixed: ${digest.fixedFindings.total}.`);
  }
  lines.push(...intelNoteLines(digest));
  lines.push(...accountsSection(digest));
  const images = digest.overThresholds.top.slice(0, Math.min(limit, DIGEST_DEFAULT_TEXT_TOP_IMAGES));
  if (images.length > 0) {
    lines.push("Worst images over the thresholds:");
    for (const image of images) {
      lines.push(
        `- ${imageText(image)}${imageAccount(digest, image)}: ${countsSummary(image.counts) || "none"}`,
      );
    }
    lines.push(...moreLine(digest.overThresholds.total - images.length, "images"));
  }
  lines.push(`Console: ${cleanLine(digest.consoleUrl, MAX.url)}`, "");
  return lines.join("\n");
}

/** The lists' lengths tried, longest first, until the message fits. */
const LIST_LIMITS = [Math.max(DIGEST_TOP_IMAGES, DIGEST_TOP_CHANGES), 10, 5, 2, 0];

export interface BuiltDigestMessage {
  body: SnsMessageBody;
  /** What is published as `Message`: the e-mail text, or `JSON.stringify(body)` per protocol. */
  message: string;
  messageBytes: number;
  /** How many entries each list shows at most (less than the digest's when the message had to be cut). */
  listLimit: number;
}

/**
 * The texts of a digest, within `budgetBytes` of UTF-8 for the `Message` as published (`perProtocol`: the
 * JSON-structured `{default, email}`; else the e-mail text alone). Each field is capped, so the full lists fit
 * unless the feed is hostile; then the lists are shortened, each saying how many more there are.
 */
export function buildDigestMessage(
  digest: Digest,
  options: { budgetBytes: number; perProtocol: boolean },
): BuiltDigestMessage {
  for (const limit of LIST_LIMITS) {
    const body: SnsMessageBody = { default: defaultText(digest, limit), email: emailText(digest, limit) };
    const message = options.perProtocol ? JSON.stringify(body) : body.email;
    const messageBytes = Buffer.byteLength(message, "utf8");
    if (messageBytes <= options.budgetBytes) return { body, message, messageBytes, listLimit: limit };
  }
  // Unreachable with the field caps above; a loud failure beats a Publish that SNS would reject anyway.
  throw new Error(`SNS digest message exceeds its budget of ${options.budgetBytes} bytes even without lists`);
}
