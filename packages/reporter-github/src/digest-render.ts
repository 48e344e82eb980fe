import {
  cleanText,
  countsSummary,
  DIGEST_TOP_CHANGES,
  DIGEST_TOP_IMAGES,
  type Digest,
  type DigestChange,
  type DigestChangeList,
  type DigestImage,
  type DigestKevList,
  digestKevHeadline,
  intelNote,
  kevDueText,
  SEVERITIES,
  type Severity,
  type SeverityCounts,
  severityName,
  severityRank,
  truncateText,
} from "@ecr-scan-reporter/core";
import { markdownCode, markdownText } from "./markdown.js";
import { type DigestBodyState, defuseMarkers, digestMarker, digestStateMarker } from "./markers.js";
import { GITHUB_BODY_MAX_CHARS, GITHUB_TITLE_MAX_CHARS } from "./render.js";
import { accountMarkdown, imageLabelText, safeLinkUrl } from "./view.js";

// The tracking issue of a route's digests (contract v2): its title, its body (rewritten each period) and the
// comment on what changed. Rendered in code rather than by a template: every untrusted string goes through
// markdownCode (identifiers, as code spans) or markdownText (free text), and the visible text is defused so that
// nothing in it can pass for a marker.

/** Longest a piece of untrusted text may be before it is escaped (as in the issue bodies of reports). */
const MAX = {
  id: 80,
  packageName: 120,
  version: 80,
  tag: 128,
  label: 400,
  reference: 400,
  regex: 300,
  /** Why an account could not be read (the whole is in the function's log). */
  reason: 300,
} as const;
/** Tags named per image besides the first (the label's). */
const MAX_OTHER_TAGS = 5;

const TITLE_PREFIX = "Vulnerability digest:";
const CUT_NOTE = "\n\n…(cut to fit GitHub's limit on an issue body)";

/** Finds the per-image issue of an image over the thresholds, if the reporter has one for it. */
export type ImageIssueLookup = (image: DigestImage) => number | undefined;

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function total(counts: SeverityCounts, severities: readonly Severity[] = SEVERITIES): number {
  return severities.reduce((sum, severity) => sum + counts[severity], 0);
}

/** `+2`, `-1` or `0`; "" without a previous value. */
function signedDelta(now: number, previous: number | undefined): string {
  if (previous === undefined) return "";
  const delta = now - previous;
  if (delta > 0) return `+${delta}`;
  return delta < 0 ? `-${-delta}` : "0";
}

/** `2026-11-23` from an ISO time (escaped as text when it is not one). */
function day(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? markdownText(iso, 40) : new Date(time).toISOString().slice(0, 10);
}

function routeId(digest: Digest): string {
  return cleanText(digest.route.reporterId, { singleLine: true }).trim() || "unnamed";
}

/** The severities the route counts: at or above its minSeverity. */
function countedSeverities(digest: Digest): Severity[] {
  const min = digest.route.minSeverity;
  return min ? SEVERITIES.filter((s) => severityRank(s) <= severityRank(min)) : [...SEVERITIES];
}

function isAllClear(digest: Digest): boolean {
  return !digest.emptyLedger && total(digest.open.counts) === 0 && digest.overThresholds.total === 0;
}

/** The tracking issue's title: `Vulnerability digest: github` — the same every period, so people can find it. */
export function renderDigestTitle(digest: Digest): string {
  return truncateText(`${TITLE_PREFIX} ${routeId(digest)}`, GITHUB_TITLE_MAX_CHARS);
}

/** `2 critical (-1), 9 high (+2), 0 low (-3)`: the open counts, with their change when they changed. */
function countsWithChanges(counts: SeverityCounts, previous: SeverityCounts | undefined): string {
  return SEVERITIES.filter((s) => counts[s] > 0 || (previous?.[s] ?? 0) > 0)
    .map((s) => {
      const delta = signedDelta(counts[s], previous?.[s]);
      return `${counts[s]} ${severityName(s, "lower")}${delta && delta !== "0" ? ` (${delta})` : ""}`;
    })
    .join(", ");
}

/** The first paragraph: the open findings, "All clear", or that the ledger knows nothing yet. */
export function digestHeadline(digest: Digest): string {
  const { open } = digest;
  const unknown =
    open.imagesUnknown > 0
      ? ` ${plural(open.imagesUnknown, "image")} in use ${open.imagesUnknown === 1 ? "has" : "have"} no findings known yet (never reported on).`
      : "";
  if (digest.emptyLedger) {
    return (
      "**No findings known yet:** the findings ledger holds nothing for the images of this route, so this digest " +
      "cannot say whether they are clean. This is not an all clear."
    );
  }
  if (isAllClear(digest)) {
    if (open.images === 0 && open.imagesUnknown === 0)
      return "**All clear:** no image in use matches this route.";
    const min = digest.route.minSeverity;
    const what = `no open findings${min ? ` at or above ${severityName(min, "lower")}` : ""}`;
    return `**All clear:** ${what} in the ${plural(open.images, "image")} in use.${unknown}`;
  }
  const over = digest.overThresholds.total;
  return (
    `**${plural(total(open.counts), "open finding")}** in ${open.imagesWithFindings} of the ` +
    `${plural(open.images, "image")} in use: ${countsWithChanges(open.counts, open.previous)}. ` +
    (over > 0
      ? `**${plural(over, "image is", "images are")} over the thresholds.**`
      : "No image is over the thresholds.") +
    unknown
  );
}

function scopeLine(digest: Digest): string {
  const { repositories, minSeverity, accounts } = digest.route;
  const where =
    (repositories ? `repositories matching ${markdownCode(repositories, MAX.regex)}` : "all repositories") +
    (accounts ? ` of the accounts ${accounts.map((account) => markdownCode(account, 80)).join(", ")}` : "");
  const severity = minSeverity
    ? `findings ${severityName(minSeverity, "lower")} and above`
    : "findings of every severity";
  const since = digest.period.previousDigestAt
    ? "since the previous digest"
    : "the first digest of this route";
  return (
    `**Period:** ${day(digest.period.start)} to ${day(digest.period.end)} (${since}) · ` +
    `**Scope:** ${where}, ${severity} · ` +
    (digest.accounts
      ? `**Accounts:** ${digest.accounts.length} (${markdownCode(digest.region, 30)})`
      : `**Registry:** ${markdownCode(digest.account, 20)} (${markdownCode(digest.region, 30)})`)
  );
}

/** Each account of a multi-account digest ([8/8]) with its own picture; nothing for one account. */
function accountsSection(digest: Digest): string[] {
  if (!digest.accounts) return [];
  return [
    "#### By account",
    "",
    "| Account | Open findings | Images with findings | Over the thresholds | Not reported on yet |",
    "| --- | --- | ---: | ---: | ---: |",
    ...digest.accounts.map((account) =>
      account.unreachable !== undefined
        ? // Its counts would read like an empty, clean registry: the reason stands in their place.
          `| ${accountMarkdown(account)} | **not reachable:** ` +
          `${markdownText(account.unreachable, MAX.reason) || "reason not known"} | — | — | — |`
        : `| ${accountMarkdown(account)} | ${countsSummary(account.counts) || "none"} | ` +
          `${account.imagesWithFindings} of ${account.images} | ${account.overThresholds} | ${account.imagesUnknown} |`,
    ),
    "",
  ];
}

function countsTable(digest: Digest): string[] {
  const { counts, previous } = digest.open;
  const severities = countedSeverities(digest);
  const rows = severities.map((s) => ({ label: severityName(s), now: counts[s], before: previous?.[s] }));
  rows.push({
    label: "**Total**",
    now: total(counts, severities),
    before: previous && total(previous, severities),
  });
  if (!previous) {
    return ["| Severity | Open |", "| --- | ---: |", ...rows.map((r) => `| ${r.label} | ${r.now} |`)];
  }
  return [
    "| Severity | Open | Since the previous digest |",
    "| --- | ---: | ---: |",
    ...rows.map((r) => `| ${r.label} | ${r.now} | ${signedDelta(r.now, r.before)} |`),
  ];
}

/** `**1 critical**, **3 high**, 7 medium`: the exceeded severities bold. */
function imageCounts(image: DigestImage): string {
  const exceeded = new Set(image.exceeded);
  const parts = SEVERITIES.filter((s) => image.counts[s] > 0).map((s) => {
    const text = `${image.counts[s]} ${severityName(s, "lower")}`;
    return exceeded.has(s) ? `**${text}**` : text;
  });
  return parts.join(", ") || "none";
}

function imageCell(image: DigestImage): string {
  const label = markdownCode(imageLabelText(image), MAX.label);
  const others = image.tags.slice(1, 1 + MAX_OTHER_TAGS).map((t) => markdownCode(t, MAX.tag));
  const more = image.tags.length - 1 - others.length;
  if (others.length === 0) return label;
  return `${label} (also ${others.join(", ")}${more > 0 ? ` and ${more} more` : ""})`;
}

function oldestCell(image: DigestImage): string {
  const oldest = image.oldestOpen;
  if (!oldest) return "";
  const pkg = oldest.package ? ` in ${markdownCode(oldest.package, MAX.packageName)}` : "";
  return (
    `${markdownCode(oldest.id, MAX.id)} (${severityName(oldest.severity, "lower")})${pkg}, ` +
    `${plural(oldest.openDays, "day")} (since ${day(oldest.firstSeen)})`
  );
}

function imagesSection(digest: Digest, limit: number, issueFor: ImageIssueLookup): string[] {
  const { total: count, top } = digest.overThresholds;
  if (count === 0) return [];
  const shown = top.slice(0, limit);
  // A multi-account digest names each image's account ([8/8]): one repository name may be in several.
  const multiAccount = digest.accounts !== undefined;
  const lines = [
    `#### Images over the thresholds (${count})`,
    "",
    multiAccount
      ? "| | Image | Account | Open findings | Oldest open | Issue | Console |"
      : "| | Image | Open findings | Oldest open | Issue | Console |",
    multiAccount ? "| ---: | --- | --- | --- | --- | --- | --- |" : "| ---: | --- | --- | --- | --- | --- |",
  ];
  for (const [i, image] of shown.entries()) {
    const issue = issueFor(image);
    const url = safeLinkUrl(image.consoleUrl);
    const account = multiAccount
      ? ` ${accountMarkdown({ account: image.registryId, accountName: image.accountName }, true)} |`
      : "";
    lines.push(
      `| ${i + 1} | ${imageCell(image)} |${account} ${imageCounts(image)} | ${oldestCell(image)} | ` +
        `${issue === undefined ? "" : `#${issue}`} | ${url ? `[Open](${url})` : ""} |`,
    );
  }
  const rest = count - shown.length;
  if (rest > 0) lines.push("", `…and ${plural(rest, "more image")} over the thresholds.`);
  return [...lines, ""];
}

function referencesCell(change: Pick<DigestChange, "references" | "referenceCount">): string {
  const refs = change.references.map((r) => markdownCode(r, MAX.reference)).filter(Boolean);
  const rest = change.referenceCount - refs.length;
  return `${refs.join(", ")}${rest > 0 ? ` and ${rest} more` : ""}`;
}

/**
 * The open findings on CISA's KEV catalog, overdue first, with CISA's due dates (overdue ones bold) and the images
 * they are open on; nothing when KEV was not read. The due date is shown only when it is a `YYYY-MM-DD` date.
 */
function kevSection(list: DigestKevList | undefined, limit: number): string[] {
  if (!list) return [];
  if (list.total === 0) return [`${digestKevHeadline(list)}.`, ""];
  const shown = list.top.slice(0, limit);
  const lines = [
    `#### ${digestKevHeadline(list)}`,
    "",
    "On CISA's Known Exploited Vulnerabilities catalog, overdue first:",
    "",
    "| Severity | Vulnerability | Package | Due | Images |",
    "| --- | --- | --- | --- | --- |",
    ...shown.map((entry) => {
      const due = kevDueText(entry);
      const dueCell = [
        entry.overdue && due ? `**${due}**` : due,
        entry.knownRansomware ? "**known ransomware use**" : "",
      ]
        .filter(Boolean)
        .join(" · ");
      return (
        `| ${severityName(entry.severity)} | ${markdownCode(entry.id, MAX.id)} | ` +
        `${markdownCode(entry.package, MAX.packageName)} | ${dueCell} | ${referencesCell(entry)} |`
      );
    }),
  ];
  const rest = list.total - shown.length;
  if (rest > 0)
    lines.push(
      "",
      `…and ${plural(rest, "more known exploited vulnerability", "more known exploited vulnerabilities")}.`,
    );
  return [...lines, ""];
}

function changesSection(title: string, list: DigestChangeList, limit: number): string[] {
  if (list.total === 0) return [`#### ${title}: none`, ""];
  const shown = list.top.slice(0, limit);
  const lines = [
    `#### ${title} (${list.total})`,
    "",
    "| Severity | Vulnerability | Package | Installed | Fixed in | Images |",
    "| --- | --- | --- | --- | --- | --- |",
    ...shown.map(
      (c) =>
        `| ${severityName(c.severity)} | ${markdownCode(c.id, MAX.id)} | ${markdownCode(c.package, MAX.packageName)} | ` +
        `${markdownCode(c.version, MAX.version)} | ${markdownCode(c.fixedIn, MAX.version)} | ${referencesCell(c)} |`,
    ),
  ];
  const rest = list.total - shown.length;
  if (rest > 0) lines.push("", `…and ${plural(rest, "more finding")}.`);
  if (list.partial)
    lines.push("", "> [!NOTE]", "> The period's log could not be read in full: this list may miss some.");
  return [...lines, ""];
}

function coverageSection(digest: Digest): string[] {
  const c = digest.coverage;
  if (!c) return ["#### Coverage", "", "No scheduled scan run is recorded yet for these repositories.", ""];
  const lines = [
    "#### Coverage",
    "",
    `The latest scheduled scan run (${day(c.runAt)}) over ${plural(c.repositories, "repository", "repositories")} ` +
      `and ${plural(c.images, "image")}:`,
    "",
    "| Scanned | Stale | Never scanned | Unsupported | Not images | Not in use | Archived | Enhanced |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    `| ${c.scanned} | ${c.stale} | ${c.neverScanned} | ${c.unsupported} | ${c.notImages} | ${c.notInUse} | ${c.archived} | ${c.enhanced} |`,
  ];
  if (c.repositoriesWithoutRun > 0) {
    lines.push(
      "",
      `${plural(c.repositoriesWithoutRun, "repository has", "repositories have")} no recorded run yet.`,
    );
  }
  return [...lines, ""];
}

/** The visible body, listing at most `limit` entries of each list. */
function renderVisible(digest: Digest, limit: number, issueFor: ImageIssueLookup): string {
  const lines = [
    `### Vulnerability digest: ${markdownCode(routeId(digest), 200)}`,
    "",
    scopeLine(digest),
    "",
    digestHeadline(digest),
    "",
  ];
  // What is exploited in the wild comes first after the headline: it is what to fix before anything else.
  if (!digest.emptyLedger) lines.push(...kevSection(digest.knownExploited, limit));
  const note = intelNote(digest.intel);
  if (note) lines.push("> [!NOTE]", `> Threat intel: ${markdownText(note, 600)}`, "");
  if (!digest.emptyLedger) lines.push(...countsTable(digest), "");
  lines.push(...accountsSection(digest));
  lines.push(...imagesSection(digest, limit, issueFor));
  if (!digest.emptyLedger) {
    lines.push(...changesSection("New this period", digest.newFindings, limit));
    lines.push(...changesSection("Fixed this period", digest.fixedFindings, limit));
  }
  lines.push(...coverageSection(digest));
  const consoleUrl = safeLinkUrl(digest.consoleUrl);
  if (consoleUrl) lines.push(`[Open the registry in the ECR console](${consoleUrl})`, "");
  lines.push(
    "<sub>Sent by ecr-scan-reporter. This description is rewritten with every digest of this route; " +
      "please comment instead of editing it.</sub>",
  );
  return defuseMarkers(lines.join("\n"));
}

/** The lists' lengths tried, longest first, until the body fits. */
const LIST_LIMITS = [Math.max(DIGEST_TOP_IMAGES, DIGEST_TOP_CHANGES), 10, 5, 2, 0];

export interface FittedDigestBody {
  body: string;
  /** How many entries each list shows at most. */
  listLimit: number;
  state: DigestBodyState;
}

/**
 * The tracking issue's body within GitHub's limit: the digest with the longest lists that fit, then the route's
 * marker and the state the next digest compares with. `issueFor` links each image to its per-image issue.
 */
export function fitDigestBody(
  digest: Digest,
  options: { issueFor?: ImageIssueLookup; maxChars?: number } = {},
): FittedDigestBody {
  const issueFor = options.issueFor ?? (() => undefined);
  const maxChars = options.maxChars ?? GITHUB_BODY_MAX_CHARS;
  const state: DigestBodyState = { period: digest.period.key, overThresholds: digest.overThresholds.total };
  const tail = `\n\n${digestMarker(digest.route.reporterId)}\n${digestStateMarker(state)}\n`;
  const budget = maxChars - tail.length;
  for (const limit of LIST_LIMITS) {
    const text = renderVisible(digest, limit, issueFor);
    if (text.length <= budget) return { body: `${text}${tail}`, listLimit: limit, state };
  }
  const cut = `${truncateText(renderVisible(digest, 0, issueFor), budget - CUT_NOTE.length)}${CUT_NOTE}`;
  return { body: `${cut}${tail}`, listLimit: 0, state };
}

/** Why a comment is posted on the tracking issue. */
export type DigestCommentEvent = "updated" | "reopened";

/**
 * The comment of a new period on the tracking issue: new and fixed findings, the open counts' changes, and the
 * images over the thresholds against the previous digest (`previous`, from the body's state marker). A reopened
 * issue's comment says first why it was reopened.
 */
export function renderDigestComment(
  digest: Digest,
  previous: DigestBodyState | undefined,
  event: DigestCommentEvent,
): string {
  const lines: string[] = [];
  if (event === "reopened") {
    lines.push(
      `**Reopened:** this issue tracks the vulnerability digests of ${markdownCode(routeId(digest), 200)}, one ` +
        "issue per route, rewritten every period; closing it does not stop the digests, and a new issue each " +
        "period would scatter their history. To stop them, turn digests off for this reporter entry " +
        "(`digest: false`).",
      "",
    );
  }
  lines.push(`**Digest of ${day(digest.period.end)}** (since ${day(digest.period.start)}):`, "");
  if (digest.emptyLedger) {
    lines.push("- No findings known yet: the findings ledger holds nothing for the images of this route.");
  } else {
    lines.push(
      `- ${plural(digest.newFindings.total, "new finding")} and ${digest.fixedFindings.total} fixed this period` +
        `${digest.newFindings.partial || digest.fixedFindings.partial ? " (the period's log was read in part)" : ""}`,
    );
    lines.push(
      isAllClear(digest)
        ? `- All clear: no open findings in the ${plural(digest.open.images, "image")} in use`
        : `- Open: ${countsWithChanges(digest.open.counts, digest.open.previous) || "none"}`,
    );
    const over = digest.overThresholds.total;
    const was =
      previous === undefined
        ? ""
        : previous.overThresholds === over
          ? " (unchanged)"
          : ` (${signedDelta(over, previous.overThresholds)}, was ${previous.overThresholds})`;
    lines.push(`- Images over the thresholds: ${over}${was}`);
    const kev = digest.knownExploited;
    if (kev) lines.push(`- ${digestKevHeadline(kev)}`);
  }
  return truncateText(defuseMarkers(lines.join("\n")), GITHUB_BODY_MAX_CHARS);
}

/** Summary for logs and outcomes: `3 new, 2 fixed, 3 over thresholds`. Counts only. */
export function digestCounts(digest: Digest): string {
  if (digest.emptyLedger) return "no findings known yet";
  const open = countsSummary(digest.open.counts) || "nothing open";
  return `${digest.newFindings.total} new, ${digest.fixedFindings.total} fixed; ${open}; ${digest.overThresholds.total} over thresholds`;
}
