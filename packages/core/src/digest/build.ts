import { accountNameOf, isAccountRouted } from "../accounts/accounts.js";
import { imageConsoleUrl, registryConsoleUrl } from "../findings/report.js";
import type { CompactFinding } from "../ledger/compact.js";
import type { ChangeLogEntry, DigestState, RepositoryCoverage } from "../ledger/digest-records.js";
import type { KnownScan } from "../ledger/ledger.js";
import { imageName } from "../ledger/records.js";
import type { VulnerabilityIndexEntry } from "../ledger/vulnerability-index.js";
import {
  emptySeverityCounts,
  type IntelStatus,
  type KevEntry,
  SEVERITIES,
  type Severity,
  type SeverityCounts,
} from "../model.js";
import { evaluateThresholds, type RouteRule, routesImage, type Thresholds } from "../policy/policy.js";
import { accountShortLabel } from "../view/image.js";
import {
  DEFAULT_DIGEST_PERIOD_DAYS,
  DIGEST_TOP_CHANGES,
  DIGEST_TOP_IMAGES,
  type Digest,
  type DigestAccount,
  type DigestChange,
  type DigestChangeList,
  type DigestCoverage,
  type DigestImage,
  type DigestKevFinding,
  type DigestKevList,
} from "./model.js";

const DAY_MS = 86_400_000;
/** How many image references a change names; the rest are counted. */
const CHANGE_REFERENCES_SHOWN = 5;

/** An image in use: a tagged image in the registry, as DescribeImages lists it. */
export interface ImageInUse {
  registryId: string;
  repository: string;
  digest: string;
  tags: string[];
}

/** What send-digests gathered once for every route of one invocation. */
export interface DigestInputs {
  account: string;
  region: string;
  now: Date;
  periodKey: string;
  /** Every tagged image of the repositories the product selects. */
  images: readonly ImageInUse[];
  /** The ledger's last scan (with its summary) of each image, keyed by `imageName`. */
  scans: ReadonlyMap<string, KnownScan>;
  /** The change log since the earliest period start of the routes. */
  changes: readonly ChangeLogEntry[];
  /** Change-log items that could not be read (the lists may miss some). */
  changesIgnored: number;
  /** The latest run's coverage per repository. */
  coverage: readonly RepositoryCoverage[];
  /** The repositories the product selects (for "repositories without a run"). */
  repositories: readonly { registryId: string; repositoryName: string }[];
  thresholds: Thresholds;
  /**
   * CISA's KEV catalog of the day, and every vulnerability-index entry of its CVEs (images the ledger knows to
   * contain one); absent when KEV is off or its catalog could not be had (`intel` says which).
   */
  kev?: { catalog: ReadonlyMap<string, KevEntry>; exposures: readonly VulnerabilityIndexEntry[] };
  /** The state of the threat-intel sources, for the digest to state. */
  intel?: IntelStatus;
  /**
   * The configuration's `accounts` ([8/8]), in its order: the digest then covers several registries, gives each
   * account its own picture and names the account of every image. Absent: the deployment's own account only.
   */
  accounts?: readonly { accountId: string; name?: string }[];
  /**
   * Under `accounts`: the accounts that could not be read whole (their repositories not listed, or one of them not
   * read), by id, with the reason (secret-free). Their images that were read are counted; the digest marks them.
   */
  unreachable?: ReadonlyMap<string, string>;
}

/** One route: a reporter entry that sends digests. */
export interface DigestRouteInput {
  reporterId: string;
  rule: RouteRule;
  state?: DigestState;
}

/** When a route's period starts: its last digest, or the default period before now for its first. */
export function periodStartOf(state: DigestState | undefined, now: Date): Date {
  const last = state?.last?.at ? new Date(state.last.at) : undefined;
  if (last && !Number.isNaN(last.getTime()) && last.getTime() < now.getTime()) return last;
  return new Date(now.getTime() - DEFAULT_DIGEST_PERIOD_DAYS * DAY_MS);
}

/** `2026-11-30T08:00Z`: a schedule's time to the minute, the same for a retried or doubled invocation. */
export function periodKeyOf(scheduledTime: Date): string {
  return `${scheduledTime.toISOString().slice(0, 16)}Z`;
}

/** Builds one route's digest from what the invocation gathered (pure). */
export function buildDigest(inputs: DigestInputs, route: DigestRouteInput): Digest {
  const { now, region } = inputs;
  const start = periodStartOf(route.state, now);
  const nameOf = (accountId: string) => accountNameOf(inputs, accountId);
  const inRoute = (registryId: string, repository: string) =>
    routesImage(route.rule, { account: registryId, accountName: nameOf(registryId), repository });
  const counted = countedSeverities(route.rule.minSeverity);
  // A multi-account digest names the account of every image reference; a single-account one stays as it was.
  const displayReference = inputs.accounts
    ? (referenceName: string) => {
        const registryId = registryOf(referenceName);
        const account = accountShortLabel({ account: registryId, accountName: nameOf(registryId) });
        return `${withoutRegistry(referenceName)} (${account})`;
      }
    : withoutRegistry;
  const accounts = inputs.accounts
    ? inputs.accounts.filter(
        (entry) =>
          !route.rule.accounts ||
          isAccountRouted(route.rule.accounts, { account: entry.accountId, accountName: entry.name }),
      )
    : undefined;
  const perAccount = new Map<string, DigestAccount>(
    (accounts ?? []).map((entry) => {
      const summary: DigestAccount = {
        account: entry.accountId,
        counts: emptySeverityCounts(),
        images: 0,
        imagesWithFindings: 0,
        imagesUnknown: 0,
        overThresholds: 0,
      };
      if (entry.name) summary.accountName = entry.name;
      const unreachable = inputs.unreachable?.get(entry.accountId);
      if (unreachable !== undefined) summary.unreachable = unreachable;
      return [entry.accountId, summary];
    }),
  );

  const images = inputs.images.filter((image) => inRoute(image.registryId, image.repository));
  const open = emptySeverityCounts();
  let imagesWithFindings = 0;
  let imagesUnknown = 0;
  let knownImages = 0;
  const over: DigestImage[] = [];
  for (const image of images) {
    const account = perAccount.get(image.registryId);
    if (account) account.images++;
    const scan = inputs.scans.get(imageName(image));
    if (scan) knownImages++;
    const summary = scan?.summary;
    if (!scan || !summary) {
      imagesUnknown++;
      if (account) account.imagesUnknown++;
      continue;
    }
    const counts = onlySeverities(summary.counts, counted);
    for (const severity of SEVERITIES) {
      open[severity] += counts[severity];
      if (account) account.counts[severity] += counts[severity];
    }
    const hasFindings = SEVERITIES.some((severity) => counts[severity] > 0);
    if (hasFindings) {
      imagesWithFindings++;
      if (account) account.imagesWithFindings++;
    }
    const exceeded = evaluateThresholds(summary.counts, inputs.thresholds);
    if (exceeded.length === 0 || !hasFindings) continue;
    if (account) account.overThresholds++;
    const digestImage: DigestImage = {
      registryId: image.registryId,
      repository: image.repository,
      digest: image.digest,
      tags: [...image.tags],
      counts,
      exceeded,
      scannedAt: scan.completedAt,
      consoleUrl: imageConsoleUrl({ region, ...image }),
    };
    const accountName = nameOf(image.registryId);
    if (inputs.accounts && accountName) digestImage.accountName = accountName;
    const oldest = summary.oldest.find((finding) => counted.has(finding.severity) && finding.firstSeen);
    if (oldest?.firstSeen) {
      digestImage.oldestOpen = {
        id: oldest.id,
        severity: oldest.severity,
        firstSeen: oldest.firstSeen,
        openDays: Math.max(0, Math.floor((now.getTime() - Date.parse(oldest.firstSeen)) / DAY_MS)),
      };
      if (oldest.package !== undefined) digestImage.oldestOpen.package = oldest.package;
    }
    over.push(digestImage);
  }
  over.sort(worstFirst);

  const changes = inputs.changes.filter(
    (entry) =>
      inRoute(entry.registryId, entry.repository) &&
      Date.parse(entry.at) >= start.getTime() &&
      Date.parse(entry.at) <= now.getTime(),
  );
  const partial = inputs.changesIgnored > 0;
  const repositories = inputs.repositories.filter((repository) =>
    inRoute(repository.registryId, repository.repositoryName),
  );
  // Only repositories still selected: a deleted one's last run ages out of the table by itself (30 days).
  const selected = new Set(
    repositories.map((repository) => `${repository.registryId}/${repository.repositoryName}`),
  );
  const coverage = coverageOf(
    inputs.coverage.filter((entry) => selected.has(`${entry.registryId}/${entry.repository}`)),
    repositories,
  );

  const digest: Digest = {
    account: inputs.account,
    region,
    period: { key: inputs.periodKey, start: start.toISOString(), end: now.toISOString() },
    route: { reporterId: route.reporterId },
    // A route whose filter matches no image is all clear (issue 15), unless the ledger knows nothing at all yet.
    emptyLedger:
      knownImages === 0 &&
      changes.length === 0 &&
      !coverage &&
      (images.length > 0 ||
        (inputs.scans.size === 0 && inputs.changes.length === 0 && inputs.coverage.length === 0)),
    open: { counts: open, images: images.length, imagesWithFindings, imagesUnknown },
    overThresholds: { total: over.length, top: over.slice(0, DIGEST_TOP_IMAGES) },
    newFindings: changeList(
      changes.flatMap((entry) =>
        [...entry.newFindings, ...entry.raisedFindings].map((f) => ({ entry, finding: f })),
      ),
      counted,
      partial,
      displayReference,
    ),
    fixedFindings: changeList(
      changes.flatMap((entry) => entry.fixedFindings.map((finding) => ({ entry, finding }))),
      counted,
      partial,
      displayReference,
    ),
    consoleUrl: registryConsoleUrl(region),
  };
  if (route.state?.last) {
    digest.period.previousDigestAt = route.state.last.at;
    digest.open.previous = onlySeverities(route.state.last.counts, counted);
  }
  if (route.rule.repositories) digest.route.repositories = route.rule.repositories.source;
  if (route.rule.minSeverity) digest.route.minSeverity = route.rule.minSeverity;
  if (route.rule.accounts) digest.route.accounts = [...route.rule.accounts];
  if (accounts) digest.accounts = [...perAccount.values()];
  if (coverage) digest.coverage = coverage;
  const inUse = new Map(images.map((image) => [imageName(image), image]));
  if (inputs.kev) digest.knownExploited = knownExploitedOf(inputs.kev, inUse, now, displayReference);
  if (inputs.intel) digest.intel = inputs.intel;
  return digest;
}

/**
 * The KEV vulnerabilities open in the route's images in use, whatever their severity (a known-exploited MEDIUM is
 * urgent for a team that routes HIGH and above too): overdue first, then the nearest due date, then most severe.
 */
function knownExploitedOf(
  kev: NonNullable<DigestInputs["kev"]>,
  inUse: ReadonlyMap<string, ImageInUse>,
  now: Date,
  displayReference: (referenceName: string) => string,
): DigestKevList {
  const today = now.toISOString().slice(0, 10);
  const byId = new Map<string, { finding: DigestKevFinding; references: Set<string> }>();
  for (const exposure of kev.exposures) {
    const image = inUse.get(imageName(exposure));
    const entry = kev.catalog.get(exposure.finding.id);
    if (!image || !entry) continue;
    let held = byId.get(exposure.finding.id);
    if (!held) {
      const finding: DigestKevFinding = {
        id: exposure.finding.id,
        severity: exposure.finding.severity,
        dateAdded: entry.dateAdded,
        overdue: entry.dueDate !== undefined && entry.dueDate < today,
        knownRansomware: entry.knownRansomwareCampaignUse?.toLowerCase() === "known",
        references: [],
        referenceCount: 0,
      };
      if (exposure.finding.package !== undefined) finding.package = exposure.finding.package;
      if (entry.dueDate !== undefined) finding.dueDate = entry.dueDate;
      held = { finding, references: new Set() };
      byId.set(exposure.finding.id, held);
    } else if (SEVERITIES.indexOf(exposure.finding.severity) < SEVERITIES.indexOf(held.finding.severity)) {
      held.finding.severity = exposure.finding.severity;
    }
    for (const tag of image.tags) {
      held.references.add(displayReference(`${image.registryId}/${image.repository}:${tag}`));
    }
  }
  const findings = [...byId.values()].map(({ finding, references }) => {
    const sorted = [...references].sort();
    return {
      ...finding,
      references: sorted.slice(0, CHANGE_REFERENCES_SHOWN),
      referenceCount: sorted.length,
    };
  });
  findings.sort(
    (a, b) =>
      Number(b.overdue) - Number(a.overdue) ||
      (a.dueDate ?? "9999").localeCompare(b.dueDate ?? "9999") ||
      SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
      a.id.localeCompare(b.id),
  );
  return {
    total: findings.length,
    overdue: findings.filter((finding) => finding.overdue).length,
    top: findings.slice(0, DIGEST_TOP_CHANGES),
  };
}

/** The severities a route counts: all, or those at least as severe as its minSeverity. */
function countedSeverities(minSeverity: Severity | undefined): Set<Severity> {
  if (!minSeverity) return new Set(SEVERITIES);
  return new Set(SEVERITIES.slice(0, SEVERITIES.indexOf(minSeverity) + 1));
}

function onlySeverities(counts: SeverityCounts, counted: ReadonlySet<Severity>): SeverityCounts {
  const kept = emptySeverityCounts();
  for (const severity of counted) kept[severity] = counts[severity];
  return kept;
}

/** More CRITICAL first, then more HIGH, and so on; then the longest open; then by name. */
function worstFirst(a: DigestImage, b: DigestImage): number {
  for (const severity of SEVERITIES) {
    if (a.counts[severity] !== b.counts[severity]) return b.counts[severity] - a.counts[severity];
  }
  const age = (b.oldestOpen?.openDays ?? -1) - (a.oldestOpen?.openDays ?? -1);
  if (age !== 0) return age;
  return `${a.repository}:${a.tags[0] ?? a.digest}`.localeCompare(`${b.repository}:${b.tags[0] ?? b.digest}`);
}

/** Findings of the period's change log merged by identity (id + package), most severe first. */
function changeList(
  changed: readonly { entry: ChangeLogEntry; finding: CompactFinding }[],
  counted: ReadonlySet<Severity>,
  partial: boolean,
  displayReference: (referenceName: string) => string,
): DigestChangeList {
  const byIdentity = new Map<string, { change: DigestChange; references: Set<string> }>();
  for (const { entry, finding } of changed) {
    if (!counted.has(finding.severity)) continue;
    const key = `${finding.id}\n${finding.package ?? ""}`;
    let merged = byIdentity.get(key);
    if (!merged) {
      const change: DigestChange = {
        id: finding.id,
        severity: finding.severity,
        references: [],
        referenceCount: 0,
      };
      if (finding.package !== undefined) change.package = finding.package;
      if (finding.version !== undefined) change.version = finding.version;
      if (finding.fixedIn !== undefined) change.fixedIn = finding.fixedIn;
      merged = { change, references: new Set() };
      byIdentity.set(key, merged);
    } else if (SEVERITIES.indexOf(finding.severity) < SEVERITIES.indexOf(merged.change.severity)) {
      merged.change.severity = finding.severity;
    }
    for (const reference of entry.references) merged.references.add(displayReference(reference));
  }
  const changes = [...byIdentity.values()].map(({ change, references }) => {
    const sorted = [...references].sort();
    return { ...change, references: sorted.slice(0, CHANGE_REFERENCES_SHOWN), referenceCount: sorted.length };
  });
  changes.sort(
    (a, b) =>
      SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) ||
      b.referenceCount - a.referenceCount ||
      a.id.localeCompare(b.id),
  );
  const list: DigestChangeList = { total: changes.length, top: changes.slice(0, DIGEST_TOP_CHANGES) };
  if (partial) list.partial = true;
  return list;
}

/** `team-a/api:v1` from the ledger's `<registryId>/team-a/api:v1` (one account: the registry is the digest's). */
function withoutRegistry(referenceName: string): string {
  const slash = referenceName.indexOf("/");
  return slash === -1 ? referenceName : referenceName.slice(slash + 1);
}

/** The registryId a ledger `referenceName` starts with. */
function registryOf(referenceName: string): string {
  const slash = referenceName.indexOf("/");
  return slash === -1 ? "" : referenceName.slice(0, slash);
}

/** The configured `name` of an account id, if any. */
function coverageOf(
  records: readonly RepositoryCoverage[],
  repositories: readonly { registryId: string; repositoryName: string }[],
): DigestCoverage | undefined {
  if (records.length === 0) return undefined;
  const covered = new Set(records.map((record) => `${record.registryId}/${record.repository}`));
  const coverage: DigestCoverage = {
    runAt: records.map((record) => record.at).sort()[0] ?? "",
    repositories: records.length,
    images: 0,
    scanned: 0,
    stale: 0,
    neverScanned: 0,
    unsupported: 0,
    notImages: 0,
    notInUse: 0,
    archived: 0,
    enhanced: 0,
    repositoriesWithoutRun: repositories.filter(
      (repository) => !covered.has(`${repository.registryId}/${repository.repositoryName}`),
    ).length,
  };
  for (const record of records) {
    coverage.images += record.images;
    coverage.scanned += record.scanned;
    coverage.stale += record.stale;
    coverage.neverScanned += record.neverScanned;
    coverage.unsupported += record.unsupported;
    coverage.notImages += record.notImages;
    coverage.notInUse += record.notInUse;
    coverage.archived += record.archived;
    coverage.enhanced += record.enhanced;
  }
  return coverage;
}
