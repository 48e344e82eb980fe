import pLimit from "p-limit";
import { accountNameOf, coveredAccounts } from "../accounts/accounts.js";
import type { Config } from "../config/schema.js";
import { buildDigest, type DigestInputs, type ImageInUse, periodStartOf } from "../digest/build.js";
import type { Digest } from "../digest/model.js";
import type { EcrGateway, RepositorySummary } from "../ecr-gateway.js";
import { describeError } from "../errors.js";
import type { KevCatalog } from "../intel/kev.js";
import type { DigestLedger } from "../ledger/digest-ledger.js";
import type { DigestState } from "../ledger/digest-records.js";
import type { FindingsLedger, KnownScan } from "../ledger/ledger.js";
import { imageName } from "../ledger/records.js";
import { summarizeFindings } from "../ledger/summary.js";
import type { IntelSourceStatus } from "../model.js";
import { isContainerImage } from "../planner.js";
import { routesImage } from "../policy/policy.js";
import type { ReporterLogger } from "../reporters/contract.js";
import type { LoadedReporter } from "../reporters/loader.js";
import { isRepositorySelected } from "../repository-filter.js";

/** ECR and ledger reads in flight at once: DescribeImages per repository, FINDINGS reads of unsummarized images. */
const READ_CONCURRENCY = 8;

/** What happened to one route's digest. */
export type DigestOutcome =
  | { reporter: string; status: "sent"; ref?: string; detail?: string }
  | { reporter: string; status: "skipped"; detail?: string }
  | { reporter: string; status: "held"; why: "already-sent" | "in-flight" }
  | { reporter: string; status: "failed"; error: string };

export interface SendDigestsResult {
  periodKey: string;
  outcomes: DigestOutcome[];
  /** Reporter ids whose digest failed: a retry of the invocation sends those, and only those. */
  failed: string[];
  /** Reporter entries that would take a digest but whose reporter has none (contract v1), or turned off. */
  withoutDigest: string[];
  repositories: number;
  images: number;
  /** Images whose findings had to be read whole, having no summary on their SCAN item (recorded before summaries). */
  imagesSummarizedOnRead: number;
}

/** One route's digest, built and not sent. */
export interface RouteDigest {
  loaded: LoadedReporter;
  digest: Digest;
}

/** Every route's digest of one invocation, and what was read to build them. */
export interface BuiltDigests {
  digests: RouteDigest[];
  /** Reporter entries that would take a digest but whose reporter has none (contract v1). */
  withoutDigest: string[];
  repositories: number;
  images: number;
  /** Images whose findings had to be read whole, having no summary on their SCAN item (recorded before summaries). */
  imagesSummarizedOnRead: number;
}

export interface SendDigestsOptions {
  /**
   * The ECR gateway of an account's registry (`accounts` entries: the member's role; otherwise, or for the hub's
   * own entry, the functions' own credentials); a single gateway when the deployment covers its own account only.
   */
  gateway: EcrGateway | ((accountId?: string) => EcrGateway);
  ledger: FindingsLedger;
  digestLedger: DigestLedger;
  reporters: readonly LoadedReporter[];
  config: Pick<Config, "repositories" | "thresholds"> & Partial<Pick<Config, "accounts">>;
  account: string;
  region: string;
  /** The schedule's time: the period's end, and (to the minute) its key. */
  now: Date;
  periodKey: string;
  logger: ReporterLogger;
  /** CISA's KEV catalog of the day, for the digests' known-exploited section; without it there is none. */
  kev?: KevSource;
  attempt?: number;
  source?: string;
}

/** Where digests get the KEV catalog (LedgerThreatIntel.kevCatalog): never throws, says how fresh it is. */
export interface KevSource {
  kevCatalog(): Promise<{ catalog?: KevCatalog; status: IntelSourceStatus }>;
}

/** The reporter entries that take digests: the reporter has `digest`, and the entry does not say `digest: false`. */
export function digestRoutes(reporters: readonly LoadedReporter[]): {
  routes: LoadedReporter[];
  withoutDigest: string[];
} {
  const routes: LoadedReporter[] = [];
  const withoutDigest: string[] = [];
  for (const loaded of reporters) {
    if (loaded.entry.digest === false) continue;
    if (typeof loaded.reporter.digest === "function") routes.push(loaded);
    else if (loaded.entry.digest === true) withoutDigest.push(loaded.id);
  }
  return { routes, withoutDigest };
}

/** What building the digests needs: the sending options without the delivery's attempt and source. */
export type BuildDigestsOptions = Omit<SendDigestsOptions, "attempt" | "source">;

/**
 * Gathers once what every route needs (the tagged images of the selected repositories from ECR, their summaries,
 * the period's change log and the latest run's coverage from the ledger) and builds each route's digest. It only
 * reads: nothing is claimed or sent (sendDigests does that; the CLI's `digest --out` previews what it built).
 */
export async function buildDigests(options: BuildDigestsOptions): Promise<BuiltDigests> {
  const { logger, digestLedger } = options;
  const { routes, withoutDigest } = digestRoutes(options.reporters);
  for (const id of withoutDigest) {
    logger.warn(
      `reporter ${id} has digest: true but does not support digests (reporter contract v1): skipped`,
      {
        reporter: id,
      },
    );
  }
  const built: BuiltDigests = {
    digests: [],
    withoutDigest,
    repositories: 0,
    images: 0,
    imagesSummarizedOnRead: 0,
  };
  if (routes.length === 0) return built;

  const states = await digestLedger.digestStates(routes.map((route) => route.id));
  const inputs = await gatherInputs(options, routes, states, built);
  built.digests = routes.map((loaded) => ({
    loaded,
    digest: buildDigest(inputs, { reporterId: loaded.id, rule: loaded.entry, state: states.get(loaded.id) }),
  }));
  return built;
}

/**
 * "Send the digests" (docs/architecture.md, "Digests"): builds each route's digest (buildDigests) and sends it
 * under a claim, so that a retried or doubled invocation sends nothing twice. One failing reporter never stops the
 * others; its claim is released for the retry.
 */
export async function sendDigests(options: SendDigestsOptions): Promise<SendDigestsResult> {
  const { digests, ...built } = await buildDigests(options);
  const outcomes = await Promise.all(digests.map(({ loaded, digest }) => sendOne(options, loaded, digest)));
  return {
    periodKey: options.periodKey,
    outcomes,
    failed: outcomes.filter((outcome) => outcome.status === "failed").map((o) => o.reporter),
    ...built,
  };
}

/** The covered repositories that could be listed, and why each account that could not be read was not. */
interface CoveredRepositories {
  repositories: RepositorySummary[];
  /** Account id → the reason (secret-free: `describeError`), for the digest's "By account" section. */
  unreachable: Map<string, string>;
}

/**
 * The repositories of every covered account, each account read with its own credentials. A member account that
 * cannot be listed is left out of this digest with a warning and marked unreachable (its images are not "in use"
 * for it, and the digest must not show it as an empty registry); the others are summed up. Without `accounts`, the
 * deployment's own registry, whose failure fails the digest run as before.
 */
async function listCoveredRepositories(
  options: Pick<SendDigestsOptions, "config" | "logger">,
  gatewayOf: (accountId?: string) => EcrGateway,
): Promise<CoveredRepositories> {
  const unreachable = new Map<string, string>();
  const lists = await Promise.all(
    coveredAccounts(options.config).map(async (account) => {
      try {
        return await gatewayOf(account.accountId).listRepositories(account.accountId);
      } catch (error) {
        // Under `accounts` every covered account has its id; without, the own registry's failure fails the run.
        if (!options.config.accounts || account.accountId === undefined) throw error;
        const reason = describeError(error);
        options.logger.warn("account not reachable; its images are left out of this digest", {
          accountId: account.accountId,
          accountName: account.name,
          error: reason,
        });
        unreachable.set(account.accountId, reason);
        return [];
      }
    }),
  );
  return { repositories: lists.flat(), unreachable };
}

/** A repository whose images could not be listed, and why. */
interface UnreadRepository {
  registryId: string;
  repositoryName: string;
  reason: string;
}

/**
 * Why an account is marked unreachable when some of its repositories could not be read: the first of them by name
 * (the reads run concurrently, so "first" must not depend on their order), and how many more there were.
 */
function unreadRepositoriesReason(unread: readonly UnreadRepository[]): string {
  const sorted = [...unread].sort((a, b) => a.repositoryName.localeCompare(b.repositoryName));
  const first = sorted[0];
  if (!first) return "";
  const more = sorted.length - 1;
  return (
    `repository ${first.repositoryName}: ${first.reason}` +
    (more > 0 ? ` (and ${more} more ${more === 1 ? "repository" : "repositories"})` : "")
  );
}

/** The counts buildDigests reports, filled in while gathering. */
type ReadCounts = Pick<BuiltDigests, "repositories" | "images" | "imagesSummarizedOnRead">;

async function gatherInputs(
  options: BuildDigestsOptions,
  routes: readonly LoadedReporter[],
  states: ReadonlyMap<string, DigestState>,
  result: ReadCounts,
): Promise<DigestInputs> {
  const { ledger, digestLedger, now } = options;
  // One gateway signs with one account's credentials: under `accounts` it would read members with the wrong ones.
  if (options.config.accounts && typeof options.gateway !== "function") {
    throw new TypeError("sendDigests: under `accounts`, gateway must be a function of the account id");
  }
  const gatewayOf = (accountId?: string) =>
    typeof options.gateway === "function" ? options.gateway(accountId) : options.gateway;

  const anyRoute = (registryId: string, repository: string) => {
    const image = { account: registryId, accountName: accountNameOf(options.config, registryId), repository };
    return routes.some(({ entry }) => routesImage(entry, image));
  };
  const covered = await listCoveredRepositories(options, gatewayOf);
  const selected = covered.repositories.filter(
    (r) =>
      isRepositorySelected(r.repositoryName, options.config.repositories) &&
      anyRoute(r.registryId, r.repositoryName),
  );
  const limit = pLimit(READ_CONCURRENCY);
  const unread: UnreadRepository[] = [];
  const listed = await Promise.all(
    selected.map((r) =>
      limit(async () => {
        try {
          return (
            (await gatewayOf(r.registryId).listImages(r.repositoryName, r.registryId, {
              taggedOnly: true,
            })) ?? []
          );
        } catch (error) {
          // Under `accounts`, one member's AccessDenied on one repository (a registry or repository policy that
          // denies the member role) must not cost every account and route its digest: that repository is left out
          // and its account marked. Without `accounts` a failure fails the run, as before.
          if (!options.config.accounts) throw error;
          const reason = describeError(error);
          options.logger.warn("repository not readable; its images are left out of this digest", {
            accountId: r.registryId,
            repository: r.repositoryName,
            error: reason,
          });
          unread.push({ registryId: r.registryId, repositoryName: r.repositoryName, reason });
          return undefined;
        }
      }),
    ),
  );
  const unreachable = new Map(covered.unreachable);
  for (const registryId of new Set(unread.map((u) => u.registryId))) {
    unreachable.set(registryId, unreadRepositoriesReason(unread.filter((u) => u.registryId === registryId)));
  }
  // A repository that could not be read is not covered by this digest: neither its images nor its coverage.
  const repositories = selected.filter((_, index) => listed[index] !== undefined);
  // An OCI artifact (a signature, an SBOM) or an archived image is not an image in use: nothing runs it.
  const inUse = listed
    .flatMap((images) => images ?? [])
    .filter((image) => isContainerImage(image) && (image.imageStatus ?? "ACTIVE") === "ACTIVE");
  const images: ImageInUse[] = inUse.map((image) => ({
    registryId: image.registryId,
    repository: image.repositoryName,
    digest: image.imageDigest,
    tags: image.imageTags,
  }));
  result.repositories = repositories.length;
  result.images = images.length;

  const scans = new Map<string, KnownScan>(await ledger.lastScans(images));
  await summarizeOnRead(ledger, images, scans, result);

  const earliest = new Date(
    Math.min(...routes.map((route) => periodStartOf(states.get(route.id), now).getTime())),
  );
  const [changes, coverage, kev] = await Promise.all([
    digestLedger.changesBetween(earliest, now),
    digestLedger.coverage(repositories.map((r) => r.registryId)),
    knownExploited(options, digestLedger),
  ]);
  return {
    ...kev,
    account: options.account,
    region: options.region,
    now,
    periodKey: options.periodKey,
    images,
    scans,
    changes: changes.entries,
    changesIgnored: changes.ignored,
    coverage,
    repositories,
    thresholds: options.config.thresholds,
    ...(options.config.accounts ? { accounts: options.config.accounts } : {}),
    ...(unreachable.size > 0 ? { unreachable } : {}),
  };
}

/** The KEV catalog and every image the ledger knows to contain one of its CVEs; nothing when KEV is off. */
async function knownExploited(
  options: BuildDigestsOptions,
  digestLedger: DigestLedger,
): Promise<Pick<DigestInputs, "kev" | "intel">> {
  if (!options.kev) return {};
  const { catalog, status } = await options.kev.kevCatalog();
  // Digests use KEV only; EPSS is a per-finding score, for reports.
  const intel = { kev: status, epss: { state: "off" as const } };
  if (!catalog) return { intel };
  try {
    const exposures = await digestLedger.indexEntriesOf([...catalog.entries.keys()]);
    return { kev: { catalog: catalog.entries, exposures }, intel };
  } catch (error) {
    // The rest of the digest does not need the index: it goes out, saying the section could not be made.
    options.logger.warn(
      "digests go out without their known-exploited section: the vulnerability index could not be read",
      {
        error: describeError(error),
      },
    );
    return {
      intel: {
        ...intel,
        kev: { state: "unavailable", reason: "the ledger's vulnerability index could not be read" },
      },
    };
  }
}

/**
 * Images recorded before SCAN items carried a summary (or whose summary could not be read): their FINDINGS item is
 * read once and summarized here. The next scan of each writes the summary, so this fades out.
 */
async function summarizeOnRead(
  ledger: FindingsLedger,
  images: readonly ImageInUse[],
  scans: Map<string, KnownScan>,
  result: ReadCounts,
): Promise<void> {
  const unsummarized = images.filter((image) => {
    const scan = scans.get(imageName(image));
    return scan !== undefined && scan.summary === undefined;
  });
  const findings = await ledger.readImagesFindings(unsummarized);
  for (const [name, record] of findings) {
    const scan = scans.get(name);
    if (!scan) continue;
    scans.set(name, { ...scan, summary: summarizeFindings(record.findings) });
    result.imagesSummarizedOnRead++;
  }
}

async function sendOne(
  options: SendDigestsOptions,
  loaded: LoadedReporter,
  digest: Digest,
): Promise<DigestOutcome> {
  const { digestLedger, logger } = options;
  const reporter = loaded.id;
  const claimed = await digestLedger.claimDigest(reporter, options.periodKey);
  if (claimed.outcome !== "claimed") {
    logger.info(`digest for ${reporter} held: ${claimed.outcome}`, {
      reporter,
      periodKey: options.periodKey,
    });
    return { reporter, status: "held", why: claimed.outcome };
  }
  try {
    const send = loaded.reporter.digest;
    if (!send) throw new TypeError(`reporter ${reporter} has no digest()`);
    const outcome = await send.call(loaded.reporter, digest, {
      reporterId: reporter,
      attempt: options.attempt ?? 1,
      source: options.source,
    });
    await digestLedger.completeDigest(claimed.claim, digest.open.counts, options.now);
    logger.info(`digest for ${reporter}: ${outcome.status}`, {
      reporter,
      periodKey: options.periodKey,
      outcome,
      open: digest.open.counts,
      overThresholds: digest.overThresholds.total,
    });
    return { reporter, ...outcome };
  } catch (error) {
    const message = describeError(error);
    logger.error(`digest for ${reporter} failed`, { reporter, periodKey: options.periodKey, error: message });
    await digestLedger.releaseDigest(claimed.claim).catch((releaseError: unknown) => {
      logger.warn("digest claim not released; a retry waits for it to expire", {
        reporter,
        error: describeError(releaseError),
      });
    });
    return { reporter, status: "failed", error: message };
  }
}
