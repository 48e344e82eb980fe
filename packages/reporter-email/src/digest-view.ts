import {
  accountLabel,
  accountShortLabel,
  countsSummary,
  type Digest,
  type DigestAccount,
  type DigestChange,
  type DigestChangeList,
  type DigestCoverage,
  type DigestImage,
  type DigestKevList,
  digestKevHeadline,
  digestPeriodName,
  formatAge,
  formatDelta,
  headerValue,
  intelNote,
  kevCountText,
  kevDueText,
  mostSevereFirst,
  reportImageLabel,
  SEVERITIES,
  type Severity,
  type SeverityCounts,
  severityName,
  shortDigest,
  shownSeverities,
} from "@ecr-scan-reporter/core";
import { DEFAULT_SUBJECT_PREFIX } from "./options.js";
import { line, SEVERITY_COLORS, safeHttpUrl } from "./view.js";

// The view every digest template is rendered with. As for reports, every string that came from an image, a feed
// or the configuration is cleaned to one line and bounded here; the HTML template escapes it (Handlebars `{{…}}`)
// and the subject is made one header-safe line after rendering. Numbers (counts, bar widths) are computed here so
// the templates hold no arithmetic.

const MAX = {
  id: 100,
  packageName: 150,
  version: 100,
  repository: 256,
  tag: 128,
  reference: 300,
  route: 200,
  label: 150,
  reason: 300,
} as const;

const ALL_CLEAR_COLOR = "#2e7d32";
const EMPTY_LEDGER_COLOR = "#455a64";
/** The colour of the empty part of a bar. */
export const BAR_TRACK_COLOR = "#ebecf0";
/** How many characters the longest bar of the text body is. */
export const TEXT_BAR_WIDTH = 24;

/** `2026-11-30` from an ISO 8601 instant; anything unparsable is shown cleaned. */
function formatDay(iso: string | undefined): string {
  if (!iso) return "";
  const time = Date.parse(iso);
  return Number.isNaN(time) ? line(iso, 40) : new Date(time).toISOString().slice(0, 10);
}

/** `2026-11-30 02:00 UTC` from an ISO 8601 instant. */
function formatMinute(iso: string | undefined): string {
  if (!iso) return "";
  const time = Date.parse(iso);
  return Number.isNaN(time)
    ? line(iso, 40)
    : `${new Date(time).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * Whole percentages of `total` for each value, adding up to the values' share exactly (largest remainder), each
 * non-zero value at least 1 so a single finding still shows: the widths of a bar's coloured cells.
 */
export function barWidths(values: readonly number[], scale: number): number[] {
  if (!(scale > 0)) return values.map(() => 0);
  const sum = (list: readonly number[]) => list.reduce((total, value) => total + value, 0);
  const exact = values.map((value) => (value > 0 ? Math.min(100, (value / scale) * 100) : 0));
  const nonZero = values.filter((value) => value > 0).length;
  const target = Math.min(100, Math.max(nonZero, Math.round(sum(exact))));
  const widths = exact.map((share, i) => ((values[i] ?? 0) > 0 ? Math.max(1, Math.floor(share)) : 0));
  // Rounding down left some percent over: hand it out by largest remainder.
  const byRemainder = exact
    .map((share, i) => ({ i, remainder: share - Math.floor(share) }))
    .filter(({ i }) => (values[i] ?? 0) > 0)
    .sort((a, b) => b.remainder - a.remainder)
    .map(({ i }) => i);
  for (let k = 0; sum(widths) < target && byRemainder.length > 0; k++) {
    const i = byRemainder[k % byRemainder.length] ?? 0;
    widths[i] = (widths[i] ?? 0) + 1;
  }
  // The minimum of 1 for small values went over: take it back from the widest.
  while (sum(widths) > target) {
    const widest = widths.indexOf(Math.max(...widths));
    if ((widths[widest] ?? 0) <= 1) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  return widths;
}

/** One coloured part of a bar, and the cell's width in percent of the bar. */
export interface BarSegment {
  severity: Severity;
  color: string;
  count: number;
  /** 1–100, whole percent. */
  width: number;
}

/** A horizontal bar for table cells: coloured segments, then the grey track (`rest` percent, 0 when full). */
export interface BarView {
  segments: BarSegment[];
  rest: number;
  trackColor: string;
  /** The same bar in text: `█` for each filled step, at most TEXT_BAR_WIDTH characters. */
  text: string;
}

function barView(parts: { severity: Severity; count: number }[], scale: number): BarView {
  const nonZero = parts.filter((part) => part.count > 0);
  const widths = barWidths(
    nonZero.map((part) => part.count),
    scale,
  );
  const segments = nonZero.map(
    (part, i): BarSegment => ({
      severity: part.severity,
      color: SEVERITY_COLORS[part.severity] ?? SEVERITY_COLORS.UNDEFINED,
      count: part.count,
      width: widths[i] ?? 0,
    }),
  );
  const filled = segments.reduce((sum, segment) => sum + segment.width, 0);
  const total = nonZero.reduce((sum, part) => sum + part.count, 0);
  const textLength = scale > 0 && total > 0 ? Math.max(1, Math.round((total / scale) * TEXT_BAR_WIDTH)) : 0;
  return {
    segments: segments.filter((segment) => segment.width > 0),
    rest: Math.max(0, 100 - filled),
    trackColor: BAR_TRACK_COLOR,
    text: "█".repeat(Math.min(TEXT_BAR_WIDTH, textLength)),
  };
}

/** One severity's open count, its change since the previous digest, and its bar. */
export interface DigestSeverityView {
  severity: Severity;
  /** `critical` */
  label: string;
  color: string;
  count: number;
  /** The count at the previous digest; undefined for the first digest of the route. */
  previous?: number;
  hasPrevious: boolean;
  /** `+2`, `−1`, `±0`; empty for the first digest. */
  delta: string;
  /** Red for more findings, green for fewer, grey for no change. */
  deltaColor: string;
  /** The severity's bar, scaled to the largest count shown. */
  bar: BarView;
  /** The severity name, the count and the delta in brackets, padded for the text body's columns. */
  padded: string;
  countPadded: string;
  deltaPadded: string;
}

/** One image over the thresholds. */
export interface DigestImageView {
  index: number;
  /** `repository:tag`, or `repository@sha256:<12 hex>` when untagged. */
  image: string;
  /** Its account in a multi-account digest ([8/8]): the configured name, else the id; empty otherwise. */
  account: string;
  repository: string;
  tagList: string;
  /** How many tags beyond the first. */
  moreTags: number;
  digest: string;
  shortDigest: string;
  /** The image in the ECR console, when it is an https URL. */
  consoleUrl?: string;
  /** `1 critical, 3 high, 7 medium` */
  countsSummary: string;
  /** The non-zero counts, most severe first, each marked when over its threshold. */
  counts: { severity: Severity; label: string; count: number; exceeded: boolean; color: string }[];
  /** `CRITICAL, HIGH` */
  exceededList: string;
  /** Its findings by severity, scaled to the image with the most findings listed. */
  bar: BarView;
  oldestOpen?: {
    id: string;
    severity: Severity;
    label: string;
    color: string;
    package: string;
    firstSeen: string;
    openDays: number;
    /** `60 days` */
    age: string;
  };
  scannedAt: string;
}

/** One finding that changed this period. */
export interface DigestChangeView {
  id: string;
  severity: Severity;
  label: string;
  color: string;
  package: string;
  version: string;
  fixedIn: string;
  /** `team-a/api:v1.4.2, team-a/web:latest` (at most 5 references). */
  referenceList: string;
  /** References beyond those listed. */
  moreReferences: number;
}

/** The findings new (or fixed) this period. */
export interface DigestChangesView {
  /** `New this period` / `Fixed this period` */
  heading: string;
  isNew: boolean;
  total: number;
  changes: DigestChangeView[];
  /** Findings not listed. */
  more: number;
  /** The period's log could not be read in full. */
  partial: boolean;
}

/** One KEV vulnerability open in the route's images in use. */
export interface DigestKevEntryView {
  id: string;
  severity: Severity;
  label: string;
  color: string;
  package: string;
  /** `overdue since 2021-12-24`, `due 2027-01-05`, or empty when CISA gives no due date. */
  dueText: string;
  overdue: boolean;
  knownRansomware: boolean;
  /** `team-a/api:v1.4.2, team-a/web:latest` (at most 5 references). */
  referenceList: string;
  /** References beyond those listed. */
  moreReferences: number;
}

/** The known exploited vulnerabilities open in the route's images, overdue first. */
export interface DigestKevView {
  /** `2 known exploited (KEV), 1 overdue`, or `No open finding is on CISA's KEV catalog`. */
  headline: string;
  total: number;
  overdue: number;
  entries: DigestKevEntryView[];
  /** Vulnerabilities not listed. */
  more: number;
}

/** The coverage of the latest scheduled run. */
export interface DigestCoverageView {
  /** `2026-11-30 02:00 UTC` */
  runAt: string;
  repositories: number;
  images: number;
  /** Each count with its words, in a fixed order, zeros included: `{ label: "Never scanned", count: 1 }`. */
  rows: { label: string; labelPadded: string; count: number; attention: boolean }[];
  enhanced: number;
  repositoriesWithoutRun: number;
  /** Every image the run counted has a recent scan (none stale, none never scanned). */
  allScanned: boolean;
}

/** One account of a multi-account digest ([8/8]). */
export interface DigestAccountView {
  /** `prod (111111111111)`, or the id alone when the account has no name. */
  label: string;
  accountId: string;
  /** The configured name; empty when none. */
  accountName: string;
  /** `2 critical, 5 high`, or `no open findings`. */
  summary: string;
  /** Any open finding counted. */
  hasFindings: boolean;
  images: number;
  imagesWithFindings: number;
  imagesUnknown: number;
  overThresholds: number;
  /**
   * Why the account could not be read whole (one line, bounded; the HTML template escapes it); empty when it
   * could. The templates show it instead of the counts, which would read like an empty, clean registry.
   */
  unreachable: string;
}

/** What every digest template is rendered with (see README "Digests"). */
export interface EmailDigestView {
  subjectPrefix: string;
  /** `Weekly digest` */
  title: string;
  periodName: string;
  /** `2026-11-23` */
  start: string;
  end: string;
  /** The day of the previous digest; empty for the first. */
  previousDigestAt: string;
  firstDigest: boolean;
  reporterId: string;
  /** The route's repositories regex, empty when it covers every repository. */
  repositories: string;
  /** The regex, or `all repositories`. */
  routeLabel: string;
  /** `HIGH` when the route counts HIGH and above only; empty otherwise. */
  minSeverity: string;
  /** The route's `accounts` filter (ids or names) joined with `, `; empty when it covers every account. */
  routeAccounts: string;
  /** The deployment's own account (the hub's). */
  account: string;
  /**
   * Each account a multi-account digest covers ([8/8]), in the configuration's order, with its own counts; empty
   * for a single-account deployment.
   */
  accounts: DigestAccountView[];
  region: string;
  /** The ECR console's repositories page, when it is an https URL. */
  consoleUrl?: string;
  /** The ledger knows nothing yet of the route's images: the digest says so, never "all clear". */
  emptyLedger: boolean;
  /** No open finding in the route's images (and the ledger knows them). */
  allClear: boolean;
  /** `2 CRITICAL, 9 HIGH open in 14 images`, `All clear`, `No findings recorded yet`. */
  headline: string;
  /** The headline band's colour: the most severe open severity's, green when all clear, grey for an empty ledger. */
  headlineColor: string;
  open: {
    images: number;
    imagesWithFindings: number;
    imagesUnknown: number;
    total: number;
    /** `2 critical, 9 high, 31 medium, 12 low, 1 informational` */
    summary: string;
    /** `2 CRITICAL, 9 HIGH`: CRITICAL and HIGH, else the most severe non-zero count. */
    subjectCounts: string;
  };
  severities: DigestSeverityView[];
  overThresholds: { total: number; images: DigestImageView[]; more: number };
  newFindings: DigestChangesView;
  fixedFindings: DigestChangesView;
  /** Open findings on CISA's KEV catalog, overdue first; absent when KEV was off or its catalog could not be read. */
  knownExploited?: DigestKevView;
  /** `2 known exploited (KEV), 1 overdue`, for the subject and the preview line; empty when none or not read. */
  kevSummary: string;
  /** `KEV unavailable: …`, `EPSS scores from …`: a threat-intel source not fresh; empty when all were fresh or off. */
  intelNote: string;
  coverage?: DigestCoverageView;
  /** One line for the inbox preview (hidden pre-header of the HTML body). */
  summary: string;
  /** The rendered subject, for the HTML `<title>`; empty while the subject itself renders. */
  subject: string;
}

/** `2 CRITICAL, 9 HIGH`: the open CRITICAL and HIGH counts, else the most severe non-zero one; "" when none. */
export function subjectCounts(counts: SeverityCounts): string {
  const urgent = (["CRITICAL", "HIGH"] as const).filter((severity) => counts[severity] > 0);
  const shown = urgent.length > 0 ? urgent : SEVERITIES.filter((s) => counts[s] > 0).slice(0, 1);
  return shown.map((severity) => `${counts[severity]} ${severity}`).join(", ");
}

function severityViews(digest: Digest): DigestSeverityView[] {
  const { counts, previous } = digest.open;
  const shown = shownSeverities(counts, previous, digest.route.minSeverity);
  const scale = Math.max(0, ...shown.map((severity) => counts[severity] ?? 0));
  const longest = Math.max(...shown.map((severity) => severity.length));
  const countWidth = Math.max(...shown.map((severity) => String(counts[severity] ?? 0).length));
  const deltas = shown.map((severity) =>
    previous ? `(${formatDelta(counts[severity] ?? 0, previous[severity] ?? 0)})` : "",
  );
  const deltaWidth = Math.max(...deltas.map((delta) => delta.length));
  return shown.map((severity, i) => {
    const count = counts[severity] ?? 0;
    const before = previous?.[severity];
    const view: DigestSeverityView = {
      severity,
      label: severityName(severity, "lower"),
      color: SEVERITY_COLORS[severity],
      count,
      hasPrevious: previous !== undefined,
      delta: previous ? formatDelta(count, before ?? 0) : "",
      deltaColor:
        before === undefined || before === count ? "#5e6c84" : count > before ? "#b71c1c" : "#2e7d32",
      bar: barView([{ severity, count }], scale),
      padded: severity.padEnd(longest, " "),
      countPadded: String(count).padStart(countWidth, " "),
      deltaPadded: (deltas[i] ?? "").padEnd(deltaWidth, " "),
    };
    if (before !== undefined) view.previous = before;
    return view;
  });
}

function accountViews(accounts: readonly DigestAccount[] | undefined): DigestAccountView[] {
  return (accounts ?? []).map((entry) => {
    const accountId = line(entry.account, 20);
    const accountName = line(entry.accountName, MAX.label);
    const summary = countsSummary(entry.counts);
    return {
      label: accountLabel({ account: accountId, accountName }),
      accountId,
      accountName,
      summary: summary || "no open findings",
      hasFindings: summary !== "",
      images: entry.images,
      imagesWithFindings: entry.imagesWithFindings,
      imagesUnknown: entry.imagesUnknown,
      overThresholds: entry.overThresholds,
      // A reason that cleans to nothing still marks the account.
      unreachable:
        entry.unreachable === undefined ? "" : line(entry.unreachable, MAX.reason) || "reason not known",
    };
  });
}

function imageViews(images: readonly DigestImage[], multiAccount: boolean): DigestImageView[] {
  const total = (image: DigestImage) => SEVERITIES.reduce((sum, s) => sum + (image.counts[s] ?? 0), 0);
  const scale = Math.max(0, ...images.map(total));
  return images.map((image, i) => {
    const tags = image.tags.map((tag) => line(tag, MAX.tag)).filter((tag) => tag !== "");
    const repository = line(image.repository, MAX.repository);
    const digest = line(image.digest, MAX.id);
    const exceeded = mostSevereFirst(image.exceeded);
    const parts = SEVERITIES.map((severity) => ({ severity, count: image.counts[severity] ?? 0 }));
    const view: DigestImageView = {
      index: i + 1,
      image: reportImageLabel({ repository, tags, digest }),
      account: multiAccount
        ? accountShortLabel({
            account: line(image.registryId, 20),
            accountName: line(image.accountName, MAX.label),
          })
        : "",
      repository,
      tagList: tags.join(", "),
      moreTags: Math.max(0, tags.length - 1),
      digest,
      shortDigest: shortDigest(digest),
      countsSummary: countsSummary(image.counts) || "no findings",
      counts: parts
        .filter((part) => part.count > 0)
        .map((part) => ({
          severity: part.severity,
          label: severityName(part.severity, "lower"),
          count: part.count,
          exceeded: exceeded.includes(part.severity),
          color: SEVERITY_COLORS[part.severity],
        })),
      exceededList: exceeded.join(", "),
      bar: barView(parts, scale),
      scannedAt: formatMinute(image.scannedAt),
    };
    const consoleUrl = safeHttpUrl(image.consoleUrl);
    if (consoleUrl?.startsWith("https:")) view.consoleUrl = consoleUrl;
    const oldest = image.oldestOpen;
    if (oldest) {
      view.oldestOpen = {
        id: line(oldest.id, MAX.id) || "unnamed",
        severity: oldest.severity,
        label: severityName(oldest.severity, "lower"),
        color: SEVERITY_COLORS[oldest.severity] ?? SEVERITY_COLORS.UNDEFINED,
        package: line(oldest.package, MAX.packageName),
        firstSeen: formatDay(oldest.firstSeen),
        openDays: oldest.openDays,
        age: formatAge(oldest.openDays),
      };
    }
    return view;
  });
}

function changeView(change: DigestChange): DigestChangeView {
  const references = change.references.map((ref) => line(ref, MAX.reference)).filter((ref) => ref !== "");
  return {
    id: line(change.id, MAX.id) || "unnamed",
    severity: change.severity,
    label: severityName(change.severity, "lower"),
    color: SEVERITY_COLORS[change.severity] ?? SEVERITY_COLORS.UNDEFINED,
    package: line(change.package, MAX.packageName),
    version: line(change.version, MAX.version),
    fixedIn: line(change.fixedIn, MAX.version),
    referenceList: references.join(", "),
    moreReferences: Math.max(0, change.referenceCount - references.length),
  };
}

function changesView(list: DigestChangeList, kind: "new" | "fixed"): DigestChangesView {
  const changes = list.top.map(changeView);
  return {
    heading: kind === "new" ? "New this period" : "Fixed this period",
    isNew: kind === "new",
    total: list.total,
    changes,
    more: Math.max(0, list.total - changes.length),
    partial: list.partial === true,
  };
}

function kevView(list: DigestKevList): DigestKevView {
  const entries = list.top.map((entry): DigestKevEntryView => {
    const references = entry.references.map((ref) => line(ref, MAX.reference)).filter((ref) => ref !== "");
    return {
      id: line(entry.id, MAX.id) || "unnamed",
      severity: entry.severity,
      label: severityName(entry.severity, "lower"),
      color: SEVERITY_COLORS[entry.severity] ?? SEVERITY_COLORS.UNDEFINED,
      package: line(entry.package, MAX.packageName),
      // Only a YYYY-MM-DD due date is shown: the kit drops anything else the feed wrote.
      dueText: kevDueText(entry),
      overdue: entry.overdue,
      knownRansomware: entry.knownRansomware,
      referenceList: references.join(", "),
      moreReferences: Math.max(0, entry.referenceCount - references.length),
    };
  });
  return {
    headline: digestKevHeadline(list),
    total: list.total,
    overdue: list.overdue,
    entries,
    more: Math.max(0, list.total - entries.length),
  };
}

function coverageView(coverage: DigestCoverage | undefined): DigestCoverageView | undefined {
  if (!coverage) return undefined;
  const rows = [
    { label: "Scanned recently", count: coverage.scanned, attention: false },
    { label: "Stale scan", count: coverage.stale, attention: coverage.stale > 0 },
    { label: "Never scanned", count: coverage.neverScanned, attention: coverage.neverScanned > 0 },
    { label: "Unsupported", count: coverage.unsupported, attention: false },
    { label: "Not images", count: coverage.notImages, attention: false },
    { label: "Not in use", count: coverage.notInUse, attention: false },
    { label: "Archived", count: coverage.archived, attention: false },
  ];
  const longest = Math.max(...rows.map((row) => row.label.length));
  return {
    runAt: formatMinute(coverage.runAt),
    repositories: coverage.repositories,
    images: coverage.images,
    rows: rows.map((row) => ({ ...row, labelPadded: `${row.label}:`.padEnd(longest + 1, " ") })),
    enhanced: coverage.enhanced,
    repositoriesWithoutRun: coverage.repositoriesWithoutRun,
    allScanned: coverage.stale === 0 && coverage.neverScanned === 0,
  };
}

/** What the view is built with. */
export interface EmailDigestViewOptions {
  subjectPrefix?: string;
}

/**
 * The view model of one digest: what the digest subject, HTML and text templates are rendered with. Every
 * string from the digest is cleaned to one line and bounded here; the HTML template then escapes it.
 */
export function buildEmailDigestView(digest: Digest, options: EmailDigestViewOptions = {}): EmailDigestView {
  const periodName = digestPeriodName(digest.period);
  const title = `${periodName} digest`;
  const { counts } = digest.open;
  const total = SEVERITIES.reduce((sum, severity) => sum + (counts[severity] ?? 0), 0);
  const allClear = !digest.emptyLedger && total === 0;
  const repositories = line(digest.route.repositories, MAX.route);
  const routeLabel = repositories || "all repositories";
  const images = digest.open.images;
  const imagesWords = `${images} ${images === 1 ? "image" : "images"}`;
  const worst = SEVERITIES.find((severity) => (counts[severity] ?? 0) > 0);
  const headline = digest.emptyLedger
    ? "No findings recorded yet"
    : allClear
      ? "All clear"
      : `${subjectCounts(counts)} open in ${imagesWords}`;
  const listed = digest.emptyLedger
    ? []
    : imageViews(digest.overThresholds.top, digest.accounts !== undefined);
  const kev = digest.emptyLedger ? undefined : digest.knownExploited;
  const kevSummary = kev ? kevCountText(kev.total, kev.overdue) : "";
  const overTotal = digest.emptyLedger ? 0 : Math.max(digest.overThresholds.total, listed.length);
  const view: EmailDigestView = {
    subjectPrefix: headerValue(options.subjectPrefix ?? DEFAULT_SUBJECT_PREFIX),
    title,
    periodName,
    start: formatDay(digest.period.start),
    end: formatDay(digest.period.end),
    previousDigestAt: formatDay(digest.period.previousDigestAt),
    firstDigest: digest.open.previous === undefined,
    reporterId: line(digest.route.reporterId, MAX.label),
    repositories,
    routeLabel,
    minSeverity: digest.route.minSeverity ?? "",
    routeAccounts: (digest.route.accounts ?? []).map((account) => line(account, MAX.label)).join(", "),
    account: line(digest.account, 20),
    accounts: accountViews(digest.accounts),
    region: line(digest.region, 30),
    emptyLedger: digest.emptyLedger,
    allClear,
    headline,
    headlineColor: digest.emptyLedger ? EMPTY_LEDGER_COLOR : worst ? SEVERITY_COLORS[worst] : ALL_CLEAR_COLOR,
    open: {
      images,
      imagesWithFindings: digest.open.imagesWithFindings,
      imagesUnknown: digest.open.imagesUnknown,
      total,
      summary: countsSummary(counts) || "no open findings",
      subjectCounts: subjectCounts(counts),
    },
    severities: digest.emptyLedger ? [] : severityViews(digest),
    overThresholds: { total: overTotal, images: listed, more: overTotal - listed.length },
    newFindings: changesView(digest.emptyLedger ? { total: 0, top: [] } : digest.newFindings, "new"),
    fixedFindings: changesView(digest.emptyLedger ? { total: 0, top: [] } : digest.fixedFindings, "fixed"),
    summary: digest.emptyLedger
      ? `${title} for ${routeLabel}: the findings ledger has nothing yet for these images.`
      : allClear
        ? `${title} for ${routeLabel}: all clear, no open findings in ${imagesWords}.`
        : `${title} for ${routeLabel}: ${kevSummary ? `${kevSummary}; ` : ""}${countsSummary(counts)} open; ${overTotal} ${overTotal === 1 ? "image" : "images"} over the thresholds; ${digest.newFindings.total} new, ${digest.fixedFindings.total} fixed this period.`,
    kevSummary,
    intelNote: digest.emptyLedger ? "" : line(intelNote(digest.intel), 500),
    subject: "",
  };
  if (kev) view.knownExploited = kevView(kev);
  const consoleUrl = safeHttpUrl(digest.consoleUrl);
  if (consoleUrl?.startsWith("https:")) view.consoleUrl = consoleUrl;
  const coverage = coverageView(digest.coverage);
  if (coverage) view.coverage = coverage;
  return view;
}
