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
  type DigestKevFinding,
  type DigestKevList,
  digestKevHeadline,
  digestPeriodName,
  formatAge,
  formatDelta,
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
  truncateText,
} from "@ecr-scan-reporter/core";
import { linkableUrl, mrkdwnLine, plainTextLine } from "./mrkdwn.js";
import { SEVERITY_EMOJI } from "./view-model.js";

// The views the digest templates receive. As for reports, every string that came from an image, a feed or the
// configuration (repository names, tags, ids, package names, the route's regex) is escaped for mrkdwn here, before
// any template sees it, and bounded first, so no entity is ever cut and no template can forget to escape.
const MAX = {
  id: 100,
  packageName: 200,
  version: 100,
  image: 300,
  tag: 128,
  reference: 300,
  route: 200,
  label: 150,
  /** An account's configured name. */
  accountName: 64,
  /** Why an account could not be read: its start says which call failed; the whole is in the function's log. */
  reason: 150,
} as const;

/** `2026-11-30` from an ISO 8601 instant; anything unparsable is shown cleaned. */
export function formatDay(iso: string | undefined): string {
  if (!iso) return "";
  const time = Date.parse(iso);
  return Number.isNaN(time) ? mrkdwnLine(iso, 40) : new Date(time).toISOString().slice(0, 10);
}

/** `2026-11-30 02:00 UTC` from an ISO 8601 instant; anything unparsable is shown cleaned. */
export function formatMinute(iso: string | undefined): string {
  if (!iso) return "";
  const time = Date.parse(iso);
  return Number.isNaN(time)
    ? mrkdwnLine(iso, 40)
    : `${new Date(time).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** `2 critical, 9 high`: the open CRITICAL and HIGH counts, else the most severe non-zero one; "" when none. */
export function headlineCounts(counts: SeverityCounts): string {
  const urgent = countsSummary(counts, ["CRITICAL", "HIGH"]);
  if (urgent) return urgent;
  const worst = SEVERITIES.find((severity) => counts[severity] > 0);
  return worst ? countsSummary(counts, [worst]) : "";
}

/** True when no finding at all is open in the counts. */
export function noneOpen(counts: SeverityCounts): boolean {
  return SEVERITIES.every((severity) => (counts[severity] ?? 0) === 0);
}

/** One severity's open count and its change since the previous digest. */
export interface SeverityDeltaView {
  severity: Severity;
  /** `critical`… */
  label: string;
  emoji: string;
  count: number;
  /** The count at the previous digest; undefined for the first digest of the route. */
  previous: number | undefined;
  hasPrevious: boolean;
  /** `+2`, `−1`, `±0`; empty for the first digest. */
  delta: string;
  /** The count changed since the previous digest. */
  changed: boolean;
}

/** The plain-text view of the header (Slack does not parse a header): cleaned, not entity-escaped. */
export interface DigestHeaderView {
  /** `Weekly digest` */
  title: string;
  periodName: string;
  /** `2026-11-23` */
  start: string;
  end: string;
  /** The route's repositories regex, or `all repositories`. */
  route: string;
  reporterId: string;
}

/** What every digest template but the header receives; strings escaped for mrkdwn. */
export interface DigestView {
  /** `Weekly digest` */
  title: string;
  /** `Weekly`, `Daily`, `Monthly`, `10-day` */
  periodName: string;
  /** `2026-11-23` */
  start: string;
  end: string;
  /** `2026-11-23`, the day of the previous digest; empty for the first. */
  previousDigestAt: string;
  firstDigest: boolean;
  reporterId: string;
  /** The route's repositories regex (escaped), empty when the route covers every repository. */
  repositories: string;
  /** The regex, or `all repositories`. */
  routeLabel: string;
  /** `HIGH` when the route counts HIGH and above only; empty otherwise. */
  minSeverity: string;
  /** `high`, or empty. */
  minSeverityLabel: string;
  /** The route's `accounts` filter (ids or names, escaped) joined with `, `; empty when it covers every account. */
  routeAccounts: string;
  /** The deployment's own account (the hub's). */
  account: string;
  /**
   * Each account a multi-account digest covers ([8/8]), in the configuration's order, with its own counts; empty
   * for a single-account deployment.
   */
  accounts: DigestAccountView[];
  region: string;
  /** The ECR console's repositories page, link-ready, or undefined. */
  consoleUrl: string | undefined;
  channelLabel: string;
  /** The ledger knows nothing yet of the route's images: say so, never "all clear". */
  emptyLedger: boolean;
  /** No open finding in the route's images (and the ledger knows them). */
  allClear: boolean;
  open: {
    images: number;
    imagesWithFindings: number;
    imagesUnknown: number;
    /** All open findings counted. */
    total: number;
    /** `2 critical, 9 high, 31 medium`: the non-zero counts. */
    summary: string;
    /** `2 critical, 9 high`: CRITICAL and HIGH, else the most severe non-zero count. */
    headline: string;
  };
  /** The severities shown, most severe first, with their change since the previous digest. */
  severities: SeverityDeltaView[];
  overThresholds: { total: number };
  newFindings: { total: number; partial: boolean };
  fixedFindings: { total: number; partial: boolean };
  coverage: CoverageView | undefined;
  /**
   * `EPSS scores from 2026-11-28 (api.first.org answered 503)`, `KEV unavailable: …`: a threat-intel source the
   * digest could not use fresh (escaped); empty when every source was fresh or off.
   */
  intelNote: string;
  /** `2 known exploited (KEV), 1 overdue`: the KEV vulnerabilities open; empty when none or KEV was not read. */
  kevSummary: string;
}

/** One account of a multi-account digest, for `slack/digest-accounts.hbs`; strings escaped for mrkdwn. */
export interface DigestAccountView {
  /** `prod (111111111111)`, or the id alone when the account has no name. */
  label: string;
  accountId: string;
  /** The configured name; empty when none. */
  accountName: string;
  /** `2 critical, 5 high`, or `no open findings`. */
  summary: string;
  hasFindings: boolean;
  images: number;
  imagesWithFindings: number;
  imagesUnknown: number;
  overThresholds: number;
  /**
   * Why the account could not be read whole (escaped, bounded); empty when it could. The template shows it instead
   * of the counts, which would read like an empty, clean registry.
   */
  unreachable: string;
}

/** One image over the thresholds, for `slack/digest-image.hbs`. */
export interface DigestImageView extends DigestView {
  /** 1 for the worst. */
  index: number;
  /** `repository:tag`, or `repository@sha256:<12 hex>` when untagged. */
  image: string;
  /** Its account in a multi-account digest ([8/8]): the configured name, else the id (escaped); empty otherwise. */
  account: string;
  repository: string;
  tags: string[];
  /** How many tags beyond the first. */
  moreTags: number;
  shortDigest: string;
  /** The image in the ECR console, link-ready, or undefined. */
  imageUrl: string | undefined;
  /** The emoji of the most severe severity over its threshold. */
  emoji: string;
  /** The non-zero counts, most severe first, each marked when over its threshold. */
  counts: { severity: Severity; label: string; count: number; exceeded: boolean }[];
  /** `critical, high` */
  exceededList: string;
  oldestOpen:
    | {
        id: string;
        severity: Severity;
        label: string;
        package: string;
        firstSeen: string;
        age: string;
        openDays: number;
      }
    | undefined;
  scannedAt: string;
}

/** "…and K more images", for `slack/digest-more-images.hbs`. */
export interface DigestMoreImagesView extends DigestView {
  /** Images over the thresholds not listed. */
  count: number;
  /** Images listed. */
  shown: number;
}

/** One finding that changed this period. */
export interface DigestChangeView {
  id: string;
  severity: Severity;
  label: string;
  emoji: string;
  package: string;
  version: string;
  fixedIn: string;
  /** The image references it changed on (at most 5), escaped. */
  references: string[];
  referenceList: string;
  /** References beyond those listed. */
  moreReferences: number;
}

/** New or fixed findings of the period, for `slack/digest-changes.hbs` (rendered once for each kind). */
export interface DigestChangesView extends DigestView {
  kind: "new" | "fixed";
  isNew: boolean;
  /** `New this period` / `Fixed this period` */
  heading: string;
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
  emoji: string;
  package: string;
  /** `overdue since 2021-12-24`, `due 2027-01-05`, or empty when CISA gives no due date. */
  dueText: string;
  overdue: boolean;
  knownRansomware: boolean;
  /** The image references it is open on (at most 5), escaped. */
  references: string[];
  referenceList: string;
  moreReferences: number;
}

/** The known exploited findings of the period, for `slack/digest-kev.hbs`; `kev` undefined when KEV was not read. */
export interface DigestKevView extends DigestView {
  kev:
    | {
        /** `2 known exploited (KEV), 1 overdue`, or `No open finding is on CISA's KEV catalog`. */
        headline: string;
        total: number;
        overdue: number;
        /** Overdue first, then by due date. */
        entries: DigestKevEntryView[];
        /** Vulnerabilities not listed. */
        more: number;
      }
    | undefined;
}

/** The coverage of the latest scheduled run (numbers only; nothing in it is untrusted). */
export interface CoverageView {
  /** `2026-11-30 02:00 UTC` */
  runAt: string;
  repositories: number;
  images: number;
  scanned: number;
  stale: number;
  neverScanned: number;
  unsupported: number;
  notImages: number;
  notInUse: number;
  archived: number;
  enhanced: number;
  repositoriesWithoutRun: number;
  /** The non-zero counts in words, in the order above: `17 scanned`, `1 stale`… */
  parts: string[];
  /** Every image the run counted has a recent scan (none stale, none never scanned). */
  allScanned: boolean;
}

function coverageView(coverage: DigestCoverage | undefined): CoverageView | undefined {
  if (!coverage) return undefined;
  const parts = (
    [
      [coverage.scanned, "scanned"],
      [coverage.stale, "stale"],
      [coverage.neverScanned, "never scanned"],
      [coverage.unsupported, "unsupported"],
      [coverage.notImages, "not images"],
      [coverage.notInUse, "not in use"],
      [coverage.archived, "archived"],
    ] as const
  )
    .filter(([count]) => count > 0)
    .map(([count, words]) => `${count} ${words}`);
  return {
    runAt: formatMinute(coverage.runAt),
    repositories: coverage.repositories,
    images: coverage.images,
    scanned: coverage.scanned,
    stale: coverage.stale,
    neverScanned: coverage.neverScanned,
    unsupported: coverage.unsupported,
    notImages: coverage.notImages,
    notInUse: coverage.notInUse,
    archived: coverage.archived,
    enhanced: coverage.enhanced,
    repositoriesWithoutRun: coverage.repositoriesWithoutRun,
    parts,
    allScanned: coverage.stale === 0 && coverage.neverScanned === 0,
  };
}

/** The header's plain-text view. */
export function digestHeaderView(digest: Digest): DigestHeaderView {
  const periodName = digestPeriodName(digest.period);
  return {
    title: `${periodName} digest`,
    periodName,
    start: plainTextLine(formatDay(digest.period.start)),
    end: plainTextLine(formatDay(digest.period.end)),
    route: digest.route.repositories
      ? truncateText(plainTextLine(digest.route.repositories), MAX.route)
      : "all repositories",
    reporterId: truncateText(plainTextLine(digest.route.reporterId), MAX.label),
  };
}

/** The mrkdwn view every digest template but the header receives. */
export function digestView(digest: Digest, channelLabel?: string): DigestView {
  const periodName = digestPeriodName(digest.period);
  const { counts, previous } = digest.open;
  const repositories = mrkdwnLine(digest.route.repositories, MAX.route);
  const minSeverity = digest.route.minSeverity;
  const severities = shownSeverities(counts, previous, minSeverity).map(
    (severity): SeverityDeltaView => ({
      severity,
      label: severityName(severity, "lower"),
      emoji: SEVERITY_EMOJI[severity],
      count: counts[severity] ?? 0,
      previous: previous?.[severity],
      hasPrevious: previous !== undefined,
      delta: previous ? formatDelta(counts[severity] ?? 0, previous[severity] ?? 0) : "",
      changed: previous !== undefined && (counts[severity] ?? 0) !== (previous[severity] ?? 0),
    }),
  );
  return {
    title: `${periodName} digest`,
    periodName,
    start: formatDay(digest.period.start),
    end: formatDay(digest.period.end),
    previousDigestAt: formatDay(digest.period.previousDigestAt),
    firstDigest: previous === undefined,
    reporterId: mrkdwnLine(digest.route.reporterId, MAX.label),
    repositories,
    routeLabel: repositories || "all repositories",
    minSeverity: minSeverity ?? "",
    minSeverityLabel: minSeverity ? severityName(minSeverity, "lower") : "",
    routeAccounts: (digest.route.accounts ?? []).map((account) => mrkdwnLine(account, MAX.label)).join(", "),
    account: mrkdwnLine(digest.account, 40),
    accounts: (digest.accounts ?? []).map(accountView),
    region: mrkdwnLine(digest.region, 40),
    consoleUrl: linkableUrl(digest.consoleUrl),
    channelLabel: mrkdwnLine(channelLabel, MAX.label),
    emptyLedger: digest.emptyLedger,
    allClear: !digest.emptyLedger && noneOpen(counts),
    open: {
      images: digest.open.images,
      imagesWithFindings: digest.open.imagesWithFindings,
      imagesUnknown: digest.open.imagesUnknown,
      total: SEVERITIES.reduce((sum, severity) => sum + (counts[severity] ?? 0), 0),
      summary: countsSummary(counts),
      headline: headlineCounts(counts),
    },
    severities,
    overThresholds: { total: digest.overThresholds.total },
    newFindings: { total: digest.newFindings.total, partial: digest.newFindings.partial === true },
    fixedFindings: { total: digest.fixedFindings.total, partial: digest.fixedFindings.partial === true },
    coverage: coverageView(digest.coverage),
    intelNote: mrkdwnLine(intelNote(digest.intel), MAX.route * 2),
    kevSummary: digest.knownExploited
      ? kevCountText(digest.knownExploited.total, digest.knownExploited.overdue)
      : "",
  };
}

function accountView(entry: DigestAccount): DigestAccountView {
  const accountId = mrkdwnLine(entry.account, 40);
  const accountName = mrkdwnLine(entry.accountName, MAX.accountName);
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
      entry.unreachable === undefined ? "" : mrkdwnLine(entry.unreachable, MAX.reason) || "reason not known",
  };
}

/** The view of one image over the thresholds. */
export function digestImageView(base: DigestView, image: DigestImage, index: number): DigestImageView {
  const tags = image.tags.map((tag) => mrkdwnLine(tag, MAX.tag)).filter((tag) => tag !== "");
  const repository = mrkdwnLine(image.repository, MAX.image);
  const exceeded = mostSevereFirst(image.exceeded);
  const worst = exceeded[0] ?? SEVERITIES.find((severity) => image.counts[severity] > 0) ?? "UNDEFINED";
  const oldest = image.oldestOpen;
  return {
    ...base,
    index,
    image: mrkdwnLine(
      reportImageLabel({ repository: image.repository, tags: image.tags, digest: image.digest }),
      MAX.image,
    ),
    account:
      base.accounts.length > 0
        ? accountShortLabel({
            account: mrkdwnLine(image.registryId, 40),
            accountName: mrkdwnLine(image.accountName, MAX.accountName),
          })
        : "",
    repository,
    tags,
    moreTags: Math.max(0, tags.length - 1),
    shortDigest: mrkdwnLine(shortDigest(image.digest), MAX.image),
    imageUrl: linkableUrl(image.consoleUrl),
    emoji: SEVERITY_EMOJI[worst],
    counts: SEVERITIES.filter((severity) => (image.counts[severity] ?? 0) > 0).map((severity) => ({
      severity,
      label: severityName(severity, "lower"),
      count: image.counts[severity],
      exceeded: exceeded.includes(severity),
    })),
    exceededList: exceeded.map((severity) => severityName(severity, "lower")).join(", "),
    oldestOpen: oldest
      ? {
          id: mrkdwnLine(oldest.id, MAX.id) || "unnamed",
          severity: oldest.severity,
          label: severityName(oldest.severity, "lower"),
          package: mrkdwnLine(oldest.package, MAX.packageName),
          firstSeen: formatDay(oldest.firstSeen),
          age: formatAge(oldest.openDays),
          openDays: oldest.openDays,
        }
      : undefined,
    scannedAt: formatMinute(image.scannedAt),
  };
}

function changeView(change: DigestChange): DigestChangeView {
  const references = change.references.map((ref) => mrkdwnLine(ref, MAX.reference)).filter((r) => r !== "");
  return {
    id: mrkdwnLine(change.id, MAX.id) || "unnamed",
    severity: change.severity,
    label: severityName(change.severity, "lower"),
    emoji: SEVERITY_EMOJI[change.severity] ?? SEVERITY_EMOJI.UNDEFINED,
    package: mrkdwnLine(change.package, MAX.packageName),
    version: mrkdwnLine(change.version, MAX.version),
    fixedIn: mrkdwnLine(change.fixedIn, MAX.version),
    references,
    referenceList: references.join(", "),
    moreReferences: Math.max(0, change.referenceCount - references.length),
  };
}

/** The view of the new (or fixed) findings with the first `listed` of them named. */
export function digestChangesView(
  base: DigestView,
  kind: "new" | "fixed",
  list: DigestChangeList,
  listed: number,
): DigestChangesView {
  const changes = list.top.slice(0, listed).map(changeView);
  return {
    ...base,
    kind,
    isNew: kind === "new",
    heading: kind === "new" ? "New this period" : "Fixed this period",
    total: list.total,
    changes,
    more: Math.max(0, list.total - changes.length),
    partial: list.partial === true,
  };
}

function kevEntryView(entry: DigestKevFinding): DigestKevEntryView {
  const references = entry.references.map((ref) => mrkdwnLine(ref, MAX.reference)).filter((r) => r !== "");
  return {
    id: mrkdwnLine(entry.id, MAX.id) || "unnamed",
    severity: entry.severity,
    label: severityName(entry.severity, "lower"),
    emoji: SEVERITY_EMOJI[entry.severity] ?? SEVERITY_EMOJI.UNDEFINED,
    package: mrkdwnLine(entry.package, MAX.packageName),
    // Only a YYYY-MM-DD due date is shown: the kit drops anything else the feed wrote.
    dueText: kevDueText(entry),
    overdue: entry.overdue,
    knownRansomware: entry.knownRansomware,
    references,
    referenceList: references.join(", "),
    moreReferences: Math.max(0, entry.referenceCount - references.length),
  };
}

/** The view of the known exploited findings with the first `listed` of them named. */
export function digestKevView(
  base: DigestView,
  list: DigestKevList | undefined,
  listed: number,
): DigestKevView {
  if (!list) return { ...base, kev: undefined };
  const entries = list.top.slice(0, Math.max(0, listed)).map(kevEntryView);
  return {
    ...base,
    kev: {
      headline: digestKevHeadline(list),
      total: list.total,
      overdue: list.overdue,
      entries,
      more: Math.max(0, list.total - entries.length),
    },
  };
}
