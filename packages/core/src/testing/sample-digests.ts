import type { Digest, DigestChange, DigestImage } from "../digest/model.js";
import { emptySeverityCounts, type SeverityCounts } from "../model.js";

// Digests for reporter tests and the documentation's examples: a realistic one, an all-clear one, one for an empty
// ledger, and one whose every untrusted string is hostile.

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";

function counts(partial: Partial<SeverityCounts>): SeverityCounts {
  return { ...emptySeverityCounts(), ...partial };
}

function image(
  repository: string,
  tag: string,
  hex: string,
  overrides: Partial<DigestImage> = {},
): DigestImage {
  const digest = `sha256:${hex.repeat(64 / hex.length)}`;
  const registryId = overrides.registryId ?? ACCOUNT;
  return {
    registryId,
    repository,
    digest,
    tags: [tag],
    counts: counts({ CRITICAL: 1, HIGH: 3, MEDIUM: 7 }),
    exceeded: ["CRITICAL", "HIGH"],
    oldestOpen: {
      id: "CVE-2024-6387",
      severity: "CRITICAL",
      package: "openssh-server",
      firstSeen: "2026-10-02T08:00:00.000Z",
      openDays: 60,
    },
    scannedAt: "2026-11-30T06:10:00.000Z",
    consoleUrl: `https://${REGION}.console.aws.amazon.com/ecr/repositories/private/${registryId}/${repository}/_/image/${digest}/details?region=${REGION}`,
    ...overrides,
  };
}

function change(id: string, overrides: Partial<DigestChange> = {}): DigestChange {
  return {
    id,
    severity: "HIGH",
    package: "openssl",
    version: "3.0.13",
    fixedIn: "3.0.15",
    references: ["team-a/api:v1.4.2"],
    referenceCount: 1,
    ...overrides,
  };
}

/** A realistic weekly digest: three images over the thresholds, new and fixed findings, a recent scheduled run. */
export function sampleDigest(overrides: Partial<Digest> = {}): Digest {
  return {
    account: ACCOUNT,
    region: REGION,
    period: {
      key: "2026-11-30T08:00Z",
      start: "2026-11-23T08:00:00.000Z",
      end: "2026-11-30T08:00:00.000Z",
      previousDigestAt: "2026-11-23T08:00:00.000Z",
    },
    route: { reporterId: "slack", repositories: "^team-a/" },
    emptyLedger: false,
    open: {
      counts: counts({ CRITICAL: 2, HIGH: 9, MEDIUM: 31, LOW: 12, INFORMATIONAL: 1 }),
      previous: counts({ CRITICAL: 3, HIGH: 7, MEDIUM: 30, LOW: 12 }),
      images: 14,
      imagesWithFindings: 11,
      imagesUnknown: 1,
    },
    overThresholds: {
      total: 3,
      top: [
        image("team-a/api", "v1.4.2", "a1"),
        image("team-a/worker", "2026.11.28", "b2", {
          counts: counts({ CRITICAL: 1, HIGH: 4, MEDIUM: 12 }),
          oldestOpen: {
            id: "CVE-2023-44487",
            severity: "CRITICAL",
            package: "golang.org/x/net",
            firstSeen: "2026-11-25T09:30:00.000Z",
            openDays: 5,
          },
        }),
        image("team-a/web", "latest", "c3", {
          counts: counts({ HIGH: 2, MEDIUM: 12, LOW: 12 }),
          exceeded: ["HIGH"],
          oldestOpen: {
            id: "CVE-2024-45490",
            severity: "HIGH",
            package: "libexpat1",
            firstSeen: "2026-11-29T07:00:00.000Z",
            openDays: 1,
          },
        }),
      ],
    },
    newFindings: {
      total: 3,
      top: [
        change("CVE-2023-44487", {
          severity: "CRITICAL",
          package: "golang.org/x/net",
          version: "0.15.0",
          fixedIn: "0.17.0",
          references: ["team-a/worker:2026.11.28"],
        }),
        change("CVE-2024-45490", {
          package: "libexpat1",
          version: "2.5.0-1",
          fixedIn: "2.5.0-1+deb12u1",
          references: ["team-a/web:latest", "team-a/web:v3"],
          referenceCount: 2,
        }),
        change("CVE-2024-2511", { severity: "MEDIUM", fixedIn: undefined }),
      ],
    },
    fixedFindings: {
      total: 2,
      top: [
        change("CVE-2024-3094", { severity: "CRITICAL", package: "xz-utils", version: "5.6.0-0.2" }),
        change("CVE-2023-5678", { severity: "MEDIUM", references: ["team-a/api:v1.4.2"] }),
      ],
    },
    knownExploited: {
      total: 2,
      overdue: 1,
      top: [
        {
          id: "CVE-2021-44228",
          severity: "CRITICAL",
          package: "log4j-core",
          dateAdded: "2021-12-10",
          dueDate: "2021-12-24",
          overdue: true,
          knownRansomware: true,
          references: ["team-a/worker:2026.11.28"],
          referenceCount: 1,
        },
        {
          id: "CVE-2023-44487",
          severity: "HIGH",
          package: "golang.org/x/net",
          dateAdded: "2023-10-10",
          dueDate: "2027-01-05",
          overdue: false,
          knownRansomware: false,
          references: ["team-a/worker:2026.11.28", "team-a/api:v1.4.2"],
          referenceCount: 2,
        },
      ],
    },
    intel: {
      kev: { state: "fresh", asOf: "2026-11-30T06:00:00.000Z" },
      epss: { state: "fresh", asOf: "2026-11-30T06:00:00.000Z" },
    },
    coverage: {
      runAt: "2026-11-30T02:00:00.000Z",
      repositories: 4,
      images: 23,
      scanned: 17,
      stale: 1,
      neverScanned: 1,
      unsupported: 1,
      notImages: 2,
      notInUse: 1,
      archived: 0,
      enhanced: 0,
      repositoriesWithoutRun: 0,
    },
    consoleUrl: `https://${REGION}.console.aws.amazon.com/ecr/private-registry/repositories?region=${REGION}`,
    ...overrides,
  };
}

/** A digest of a route whose images have no open finding: it still goes out, and says "all clear". */
export function allClearDigest(overrides: Partial<Digest> = {}): Digest {
  const base = sampleDigest();
  return {
    ...base,
    open: {
      counts: emptySeverityCounts(),
      previous: counts({ HIGH: 1 }),
      images: 5,
      imagesWithFindings: 0,
      imagesUnknown: 0,
    },
    overThresholds: { total: 0, top: [] },
    newFindings: { total: 0, top: [] },
    fixedFindings: { total: 1, top: [change("CVE-2024-2511", { severity: "HIGH" })] },
    ...overrides,
  };
}

/** The digest of a ledger that holds nothing yet for the route: it says so. */
export function emptyLedgerDigest(overrides: Partial<Digest> = {}): Digest {
  const base = sampleDigest();
  const { coverage: _coverage, ...withoutCoverage } = base;
  return {
    ...withoutCoverage,
    period: { key: base.period.key, start: "2026-11-23T08:00:00.000Z", end: base.period.end },
    emptyLedger: true,
    open: { counts: emptySeverityCounts(), images: 0, imagesWithFindings: 0, imagesUnknown: 0 },
    overThresholds: { total: 0, top: [] },
    newFindings: { total: 0, top: [] },
    fixedFindings: { total: 0, top: [] },
    ...overrides,
  };
}

/**
 * A digest whose every untrusted string is hostile (repository names can't hold most of it, but tags, package
 * names and ids from a feed can): Slack control sequences, Markdown/HTML injection, mentions, CR/LF. Reporters must
 * show all of it as inert text.
 */
export function hostileDigest(): Digest {
  const base = sampleDigest();
  return {
    ...base,
    route: { reporterId: "slack", repositories: "^team-<!channel>/" },
    overThresholds: {
      total: 25,
      top: [
        image("team-a/api", "v1\r\nX-Injected: yes", "d4", {
          tags: ["v1\r\nX-Injected: yes", "<!channel>"],
          oldestOpen: {
            id: "CVE-2099-0001 <!here>",
            severity: "CRITICAL",
            package: "<https://evil.example|trusted-package>",
            firstSeen: "2026-11-01T00:00:00.000Z",
            openDays: 29,
          },
        }),
      ],
    },
    newFindings: {
      total: 1,
      top: [
        change("CVE-2099-0002 [click](https://evil.example)", {
          severity: "CRITICAL",
          package: "| table | break | <script>alert(1)</script>",
          version: "<!-- hidden -->",
          fixedIn: "](javascript:alert(1))",
          references: ["team-a/api:<@U024BE7LH>", "team-a/api:@everyone"],
          referenceCount: 2,
        }),
      ],
    },
    // What the feeds and the images may put in a KEV entry: every field but the flags.
    knownExploited: {
      total: 1,
      overdue: 1,
      top: [
        {
          id: "CVE-2099-0003 <!channel> [x](https://evil.example)",
          severity: "CRITICAL",
          package: "<script>alert(1)</script> | cell |",
          dateAdded: "<b>2021-12-10</b>",
          dueDate: "2021-12-24\r\nBcc: x@evil.example",
          overdue: true,
          knownRansomware: true,
          references: ["team-a/api:<!here>", "team-a/api:@everyone"],
          referenceCount: 7,
        },
      ],
    },
  };
}

/**
 * A digest of a multi-account deployment ([8/8]): the hub (`hub`), a member named `prod` and an unnamed member,
 * each with its own picture, and a fourth that could not be read; images and references name their account. `prodName` replaces `prod` (to test a
 * hostile name).
 */
export function multiAccountDigest(prodName = "prod"): Digest {
  const base = sampleDigest();
  const PROD = "111111111111";
  const STAGING = "222222222222";
  const LEGACY = "444444444444";
  return {
    ...base,
    accounts: [
      {
        account: ACCOUNT,
        accountName: "hub",
        counts: counts({ MEDIUM: 4 }),
        images: 3,
        imagesWithFindings: 1,
        imagesUnknown: 0,
        overThresholds: 0,
      },
      {
        account: PROD,
        accountName: prodName,
        counts: counts({ CRITICAL: 2, HIGH: 5, MEDIUM: 20, LOW: 8, INFORMATIONAL: 1 }),
        images: 7,
        imagesWithFindings: 6,
        imagesUnknown: 1,
        overThresholds: 2,
      },
      {
        account: STAGING,
        counts: counts({ HIGH: 4, MEDIUM: 7, LOW: 4 }),
        images: 4,
        imagesWithFindings: 4,
        imagesUnknown: 0,
        overThresholds: 1,
      },
      // A member whose role could not be assumed: shown as not reachable, never as an empty, clean registry.
      {
        account: LEGACY,
        accountName: "legacy",
        counts: counts({}),
        images: 0,
        imagesWithFindings: 0,
        imagesUnknown: 0,
        overThresholds: 0,
        unreachable: `AccountUnreachableError: cannot assume arn:aws:iam::${LEGACY}:role/ecr-scan-reporter-member for account ${LEGACY}: AccessDenied: User: arn:aws:sts::${ACCOUNT}:assumed-role/ecr-scan-reporter-send-digests/ecr-scan-reporter is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${LEGACY}:role/ecr-scan-reporter-member`,
      },
    ],
    overThresholds: {
      total: 3,
      top: [
        image("team-a/api", "v1.4.2", "a1", {
          registryId: PROD,
          accountName: prodName,
        }),
        image("team-a/api", "v1.4.2", "e5", {
          registryId: STAGING,
          counts: counts({ HIGH: 4, MEDIUM: 7 }),
          exceeded: ["HIGH"],
          oldestOpen: {
            id: "CVE-2024-45490",
            severity: "HIGH",
            package: "libexpat1",
            firstSeen: "2026-11-29T07:00:00.000Z",
            openDays: 1,
          },
        }),
        image("team-a/worker", "2026.11.28", "b2", {
          registryId: PROD,
          accountName: prodName,
          counts: counts({ CRITICAL: 1, HIGH: 1, MEDIUM: 12 }),
        }),
      ],
    },
    newFindings: {
      total: 1,
      top: [
        change("CVE-2024-45490", {
          package: "libexpat1",
          version: "2.5.0-1",
          fixedIn: "2.5.0-1+deb12u1",
          references: [`team-a/api:v1.4.2 (${STAGING})`, `team-a/api:v1.4.2 (${prodName})`],
          referenceCount: 2,
        }),
      ],
    },
    fixedFindings: { total: 0, top: [] },
    knownExploited: {
      total: 1,
      overdue: 1,
      top: [
        {
          id: "CVE-2021-44228",
          severity: "CRITICAL",
          package: "log4j-core",
          dateAdded: "2021-12-10",
          dueDate: "2021-12-24",
          overdue: true,
          knownRansomware: true,
          references: [`team-a/worker:2026.11.28 (${prodName})`],
          referenceCount: 1,
        },
      ],
    },
  };
}
