import { describe, expect, it } from "vitest";
import {
  buildDigest,
  type DigestInputs,
  type DigestRouteInput,
  type ImageInUse,
  periodKeyOf,
  periodStartOf,
} from "../src/digest/build.js";
import { DEFAULT_DIGEST_PERIOD_DAYS, DIGEST_TOP_CHANGES, DIGEST_TOP_IMAGES } from "../src/digest/model.js";
import { imageConsoleUrl, registryConsoleUrl } from "../src/findings/report.js";
import type { CompactFinding } from "../src/ledger/compact.js";
import type { ChangeLogEntry, DigestState, RepositoryCoverage } from "../src/ledger/digest-records.js";
import type { KnownScan } from "../src/ledger/ledger.js";
import { imageName } from "../src/ledger/records.js";
import type { VulnerabilityIndexEntry } from "../src/ledger/vulnerability-index.js";
import {
  emptySeverityCounts,
  type IntelStatus,
  type KevEntry,
  type Severity,
  type SeverityCounts,
} from "../src/model.js";

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";
const NOW = new Date("2026-11-30T08:00:00.000Z");
const DAY_MS = 86_400_000;
const SCANNED_AT = "2026-11-29T06:00:00.000Z";

const counts = (partial: Partial<SeverityCounts>): SeverityCounts => ({
  ...emptySeverityCounts(),
  ...partial,
});
const daysBefore = (days: number) => new Date(NOW.getTime() - days * DAY_MS).toISOString();

function image(repository: string, hex: string, tags: string[] = ["v1"]): ImageInUse {
  return { registryId: ACCOUNT, repository, digest: `sha256:${hex.repeat(64 / hex.length)}`, tags };
}

function finding(id: string, severity: Severity, overrides: Partial<CompactFinding> = {}): CompactFinding {
  return { id, severity, package: "openssl", version: "3.0.1", ...overrides };
}

function summarized(partial: Partial<SeverityCounts>, oldest: CompactFinding[] = []): KnownScan {
  return { status: "COMPLETE", completedAt: SCANNED_AT, summary: { counts: counts(partial), oldest } };
}

function change(
  at: string,
  repository: string,
  references: string[],
  lists: Partial<Pick<ChangeLogEntry, "newFindings" | "fixedFindings" | "raisedFindings">>,
): ChangeLogEntry {
  return {
    at,
    registryId: ACCOUNT,
    repository,
    digest: "sha256:c0ffee",
    references: references.map((reference) => `${ACCOUNT}/${repository}${reference}`),
    newFindings: [],
    fixedFindings: [],
    raisedFindings: [],
    ...lists,
  };
}

function coverage(
  repository: string,
  at: string,
  partial: Partial<RepositoryCoverage> = {},
): RepositoryCoverage {
  return {
    registryId: ACCOUNT,
    repository,
    runId: "run-1",
    at,
    images: 10,
    scanned: 4,
    stale: 1,
    neverScanned: 1,
    unsupported: 1,
    notImages: 1,
    notInUse: 1,
    archived: 1,
    enhanced: 0,
    ...partial,
  };
}

function inputs(overrides: Partial<DigestInputs> = {}): DigestInputs {
  return {
    account: ACCOUNT,
    region: REGION,
    now: NOW,
    periodKey: periodKeyOf(NOW),
    images: [],
    scans: new Map(),
    changes: [],
    changesIgnored: 0,
    coverage: [],
    repositories: [],
    thresholds: { CRITICAL: 0, HIGH: 2 },
    ...overrides,
  };
}

/** Images and their scans as one list, so a test states each image's findings beside it. */
function ledgerOf(entries: [ImageInUse, KnownScan | undefined][]): {
  images: ImageInUse[];
  scans: Map<string, KnownScan>;
} {
  const scans = new Map<string, KnownScan>();
  for (const [img, scan] of entries) if (scan) scans.set(imageName(img), scan);
  return { images: entries.map(([img]) => img), scans };
}

const route = (overrides: Partial<DigestRouteInput> = {}): DigestRouteInput => ({
  reporterId: "slack",
  rule: {},
  ...overrides,
});

describe("open findings", () => {
  it("are summed over the images in use of the route's repositories only", () => {
    const api = image("team-a/api", "a1");
    const worker = image("team-a/worker", "b2");
    const clean = image("team-a/clean", "c3");
    const otherTeam = image("team-b/web", "d4");
    const ledger = ledgerOf([
      [api, summarized({ CRITICAL: 1, HIGH: 2, MEDIUM: 3 })],
      [worker, summarized({ HIGH: 1, LOW: 4, UNDEFINED: 1 })],
      [clean, summarized({})],
      [otherTeam, summarized({ CRITICAL: 9 })],
    ]);
    // An image the ledger knows but no tag points at any more (an old build) is not in use: not counted.
    ledger.scans.set(imageName(image("team-a/api", "ee")), summarized({ CRITICAL: 5 }));

    const digest = buildDigest(inputs(ledger), route({ rule: { repositories: /^team-a\// } }));

    expect(digest.open).toEqual({
      counts: counts({ CRITICAL: 1, HIGH: 3, MEDIUM: 3, LOW: 4, UNDEFINED: 1 }),
      images: 3,
      imagesWithFindings: 2,
      imagesUnknown: 0,
    });
    expect(digest.route).toEqual({ reporterId: "slack", repositories: "^team-a\\/" });
    expect(digest.emptyLedger).toBe(false);
    expect(digest.consoleUrl).toBe(registryConsoleUrl(REGION));
    expect(digest).toMatchObject({ account: ACCOUNT, region: REGION });
  });

  it("counts an image without a summary (unknown, or only a failed scan) as unknown, not as clean", () => {
    const known = image("team-a/api", "a1");
    const failedOnly = image("team-a/api", "b2");
    const never = image("team-a/api", "c3");
    const ledger = ledgerOf([
      [known, summarized({ HIGH: 1 })],
      [failedOnly, { status: "FAILED", completedAt: SCANNED_AT }],
      [never, undefined],
    ]);
    const digest = buildDigest(inputs(ledger), route());
    expect(digest.open).toEqual({
      counts: counts({ HIGH: 1 }),
      images: 3,
      imagesWithFindings: 1,
      imagesUnknown: 2,
    });
  });

  it("with a minSeverity, leaves lower severities out of the counts, the lists and the previous counts", () => {
    const api = image("team-a/api", "a1");
    const lowOnly = image("team-a/low", "b2");
    const state: DigestState = {
      reporterId: "slack",
      last: {
        periodKey: "2026-11-23T08:00Z",
        at: daysBefore(7),
        counts: counts({ HIGH: 2, MEDIUM: 8, LOW: 1 }),
      },
    };
    const digest = buildDigest(
      inputs({
        ...ledgerOf([
          [api, summarized({ CRITICAL: 1, HIGH: 1, MEDIUM: 5, LOW: 2 })],
          [lowOnly, summarized({ LOW: 3 })],
        ]),
        changes: [
          change(daysBefore(1), "team-a/api", [":v1"], {
            newFindings: [finding("CVE-HIGH", "HIGH"), finding("CVE-MEDIUM", "MEDIUM")],
            fixedFindings: [finding("CVE-LOW", "LOW"), finding("CVE-CRIT", "CRITICAL")],
          }),
        ],
      }),
      route({ rule: { minSeverity: "HIGH" }, state }),
    );
    expect(digest.route.minSeverity).toBe("HIGH");
    expect(digest.open.counts).toEqual(counts({ CRITICAL: 1, HIGH: 1 }));
    expect(digest.open.imagesWithFindings).toBe(1);
    expect(digest.open.previous).toEqual(counts({ HIGH: 2 }));
    expect(digest.newFindings.top.map((c) => c.id)).toEqual(["CVE-HIGH"]);
    expect(digest.newFindings.total).toBe(1);
    expect(digest.fixedFindings.top.map((c) => c.id)).toEqual(["CVE-CRIT"]);
    expect(digest.overThresholds.top[0]?.counts).toEqual(counts({ CRITICAL: 1, HIGH: 1 }));
  });
});

describe("images over the thresholds", () => {
  it("are listed worst first: more CRITICAL, then more HIGH, then the longest open", () => {
    const oneCritical = image("team-a/a", "a1");
    const twoCritical = image("team-a/b", "b2");
    const criticalAndHigh = image("team-a/c", "c3");
    const criticalAndHighOlder = image("team-a/d", "d4");
    const within = image("team-a/e", "e5");
    const oldest = (days: number) => [finding("CVE-1", "CRITICAL", { firstSeen: daysBefore(days) })];
    const digest = buildDigest(
      inputs({
        ...ledgerOf([
          [oneCritical, summarized({ CRITICAL: 1 }, oldest(90))],
          [twoCritical, summarized({ CRITICAL: 2 }, oldest(1))],
          [criticalAndHigh, summarized({ CRITICAL: 1, HIGH: 3 }, oldest(3))],
          [criticalAndHighOlder, summarized({ CRITICAL: 1, HIGH: 3 }, oldest(30))],
          [within, summarized({ HIGH: 2, MEDIUM: 40 })],
        ]),
      }),
      route(),
    );
    expect(digest.overThresholds.total).toBe(4);
    expect(digest.overThresholds.top.map((i) => i.repository)).toEqual([
      "team-a/b",
      "team-a/d",
      "team-a/c",
      "team-a/a",
    ]);
    expect(digest.overThresholds.top[1]).toEqual({
      registryId: ACCOUNT,
      repository: "team-a/d",
      digest: criticalAndHighOlder.digest,
      tags: ["v1"],
      counts: counts({ CRITICAL: 1, HIGH: 3 }),
      exceeded: ["CRITICAL", "HIGH"],
      oldestOpen: {
        id: "CVE-1",
        severity: "CRITICAL",
        package: "openssl",
        firstSeen: daysBefore(30),
        openDays: 30,
      },
      scannedAt: SCANNED_AT,
      consoleUrl: imageConsoleUrl({ region: REGION, ...criticalAndHighOlder }),
    });
  });

  it("lists the 20 worst by name and counts all of them", () => {
    const entries: [ImageInUse, KnownScan][] = Array.from({ length: 25 }, (_, i) => [
      image(`team-a/svc-${String(i).padStart(2, "0")}`, "a1"),
      summarized({ CRITICAL: i + 1 }),
    ]);
    const digest = buildDigest(inputs(ledgerOf(entries)), route());
    expect(DIGEST_TOP_IMAGES).toBe(20);
    expect(digest.overThresholds.total).toBe(25);
    expect(digest.overThresholds.top).toHaveLength(20);
    expect(digest.overThresholds.top.map((i) => i.counts.CRITICAL)).toEqual(
      Array.from({ length: 20 }, (_, i) => 25 - i),
    );
  });

  it("names the oldest open CRITICAL, else HIGH, with whole days open since it was first seen", () => {
    const withCritical = image("team-a/a", "a1");
    const highOnly = image("team-a/b", "b2");
    const digest = buildDigest(
      inputs({
        ...ledgerOf([
          [
            withCritical,
            summarized({ CRITICAL: 1, HIGH: 1 }, [
              finding("CVE-CRIT", "CRITICAL", { firstSeen: daysBefore(2.9) }),
              finding("CVE-HIGH", "HIGH", { firstSeen: daysBefore(40) }),
            ]),
          ],
          [
            highOnly,
            summarized({ HIGH: 3 }, [
              finding("CVE-HIGH-2", "HIGH", { package: undefined, firstSeen: daysBefore(10.5) }),
            ]),
          ],
        ]),
      }),
      route(),
    );
    const [first, second] = digest.overThresholds.top;
    expect(first?.oldestOpen).toEqual({
      id: "CVE-CRIT",
      severity: "CRITICAL",
      package: "openssl",
      firstSeen: daysBefore(2.9),
      openDays: 2,
    });
    expect(second?.oldestOpen).toEqual({
      id: "CVE-HIGH-2",
      severity: "HIGH",
      firstSeen: daysBefore(10.5),
      openDays: 10,
    });
  });

  it("are judged on the image's full counts, and listed only with a finding the route counts", () => {
    const mediumOnly = image("team-a/a", "a1");
    const highAndMedium = image("team-a/b", "b2");
    const digest = buildDigest(
      inputs({
        ...ledgerOf([
          [mediumOnly, summarized({ MEDIUM: 5 })],
          [highAndMedium, summarized({ HIGH: 1, MEDIUM: 5 })],
        ]),
        thresholds: { HIGH: 2, MEDIUM: 0 },
      }),
      route({ rule: { minSeverity: "HIGH" } }),
    );
    expect(digest.overThresholds.total).toBe(1);
    expect(digest.overThresholds.top[0]).toMatchObject({
      repository: "team-a/b",
      counts: counts({ HIGH: 1 }),
      exceeded: ["MEDIUM"],
    });
  });
});

describe("new and fixed findings", () => {
  const start = new Date(NOW.getTime() - DEFAULT_DIGEST_PERIOD_DAYS * DAY_MS);

  it("merge one finding across image references, registry left out, at most 5 references named", () => {
    const log = finding("CVE-2021-44228", "CRITICAL", {
      package: "log4j-core",
      version: "2.14.1",
      fixedIn: "2.17.1",
    });
    const digest = buildDigest(
      inputs({
        changes: [
          change(daysBefore(3), "team-a/api", [":v1", ":latest"], { newFindings: [log] }),
          change(daysBefore(2), "team-a/worker", [":v2", ":v3", ":v4", ":v5"], {
            newFindings: [log, finding("CVE-2021-44228", "CRITICAL", { package: "log4j-api" })],
          }),
          // The same reference again (a rebuild under the same tag) is one reference.
          change(daysBefore(1), "team-a/api", [":v1"], { newFindings: [log] }),
        ],
      }),
      route(),
    );
    expect(digest.newFindings.total).toBe(2);
    expect(digest.newFindings.top[0]).toEqual({
      id: "CVE-2021-44228",
      severity: "CRITICAL",
      package: "log4j-core",
      version: "2.14.1",
      fixedIn: "2.17.1",
      references: [
        "team-a/api:latest",
        "team-a/api:v1",
        "team-a/worker:v2",
        "team-a/worker:v3",
        "team-a/worker:v4",
      ],
      referenceCount: 6,
    });
    expect(digest.newFindings.top[1]).toMatchObject({ package: "log4j-api", referenceCount: 4 });
    expect(digest.newFindings.partial).toBeUndefined();
  });

  it("count raised findings among the new, at their new severity, and list fixed ones apart, most severe first", () => {
    const digest = buildDigest(
      inputs({
        changes: [
          change(daysBefore(2), "team-a/api", [":v1"], {
            newFindings: [finding("CVE-MED", "MEDIUM")],
            raisedFindings: [finding("CVE-RAISED", "CRITICAL")],
            fixedFindings: [finding("CVE-FIXED-LOW", "LOW"), finding("CVE-FIXED-HIGH", "HIGH")],
          }),
          // An untagged image's reference names its digest.
          change(daysBefore(1), "team-a/api", ["@sha256:c0ffee"], {
            newFindings: [finding("CVE-MED", "HIGH")],
          }),
        ],
      }),
      route(),
    );
    expect(digest.newFindings.top.map((c) => [c.id, c.severity, c.references])).toEqual([
      ["CVE-RAISED", "CRITICAL", ["team-a/api:v1"]],
      ["CVE-MED", "HIGH", ["team-a/api:v1", "team-a/api@sha256:c0ffee"]],
    ]);
    expect(digest.fixedFindings).toEqual({
      total: 2,
      top: [
        expect.objectContaining({ id: "CVE-FIXED-HIGH", references: ["team-a/api:v1"], referenceCount: 1 }),
        expect.objectContaining({ id: "CVE-FIXED-LOW" }),
      ],
    });
  });

  it("leave out changes before the period, after now, and in repositories the route does not cover", () => {
    const at = (ms: number) => new Date(ms).toISOString();
    const entry = (when: string, id: string, repository = "team-a/api") =>
      change(when, repository, [":v1"], { newFindings: [finding(id, "HIGH")] });
    const digest = buildDigest(
      inputs({
        changes: [
          entry(at(start.getTime() - 1), "CVE-BEFORE"),
          entry(at(start.getTime()), "CVE-AT-START"),
          entry(at(NOW.getTime()), "CVE-AT-NOW"),
          entry(at(NOW.getTime() + 1), "CVE-AFTER"),
          entry(daysBefore(1), "CVE-OTHER-TEAM", "team-b/api"),
        ],
        changesIgnored: 2,
      }),
      route({ rule: { repositories: /^team-a\// } }),
    );
    expect(digest.newFindings.top.map((c) => c.id).sort()).toEqual(["CVE-AT-NOW", "CVE-AT-START"]);
    // Change-log items that could not be read make both lists partial.
    expect(digest.newFindings.partial).toBe(true);
    expect(digest.fixedFindings).toEqual({ total: 0, top: [], partial: true });
  });
});

describe("coverage", () => {
  it("sums the latest run over the route's selected repositories, from the oldest of their runs", () => {
    const digest = buildDigest(
      inputs({
        coverage: [
          coverage("team-a/api", "2026-11-30T02:00:05.000Z"),
          coverage("team-a/worker", "2026-11-30T02:00:01.000Z", {
            images: 3,
            scanned: 3,
            stale: 0,
            neverScanned: 0,
            unsupported: 0,
            notImages: 0,
            notInUse: 0,
            archived: 0,
            enhanced: 0,
          }),
          // Another team's repository, and a repository no longer selected (deleted): not counted.
          coverage("team-b/web", "2026-11-29T02:00:00.000Z", { images: 100 }),
          coverage("team-a/deleted", "2026-11-01T02:00:00.000Z", { images: 100 }),
        ],
        repositories: [
          { registryId: ACCOUNT, repositoryName: "team-a/api" },
          { registryId: ACCOUNT, repositoryName: "team-a/worker" },
          { registryId: ACCOUNT, repositoryName: "team-a/new" },
          { registryId: ACCOUNT, repositoryName: "team-b/web" },
        ],
      }),
      route({ rule: { repositories: /^team-a\// } }),
    );
    expect(digest.coverage).toEqual({
      runAt: "2026-11-30T02:00:01.000Z",
      repositories: 2,
      images: 13,
      scanned: 7,
      stale: 1,
      neverScanned: 1,
      unsupported: 1,
      notImages: 1,
      notInUse: 1,
      archived: 1,
      enhanced: 0,
      repositoriesWithoutRun: 1,
    });
  });

  it("is absent when no run of the route's repositories was recorded", () => {
    const digest = buildDigest(
      inputs({
        coverage: [coverage("team-b/web", "2026-11-29T02:00:00.000Z")],
        repositories: [
          { registryId: ACCOUNT, repositoryName: "team-a/api" },
          { registryId: ACCOUNT, repositoryName: "team-b/web" },
        ],
      }),
      route({ rule: { repositories: /^team-a\// } }),
    );
    expect(digest.coverage).toBeUndefined();
  });
});

describe("an empty ledger", () => {
  const api = image("team-a/api", "a1");

  it("is said when the ledger knows nothing of the route's images, changes or runs", () => {
    const digest = buildDigest(inputs({ images: [api] }), route());
    expect(digest.emptyLedger).toBe(true);
    expect(digest.open).toEqual({
      counts: emptySeverityCounts(),
      images: 1,
      imagesWithFindings: 0,
      imagesUnknown: 1,
    });
  });

  it("is not said of an all-clear route whose images are known without findings", () => {
    const digest = buildDigest(inputs(ledgerOf([[api, summarized({})]])), route());
    expect(digest.emptyLedger).toBe(false);
    expect(digest.open).toEqual({
      counts: emptySeverityCounts(),
      images: 1,
      imagesWithFindings: 0,
      imagesUnknown: 0,
    });
    expect(digest.overThresholds).toEqual({ total: 0, top: [] });
  });

  it("is not said when only a change or only a run is known", () => {
    const withChange = buildDigest(
      inputs({
        images: [api],
        changes: [
          change(daysBefore(1), "team-a/api", [":v1"], { fixedFindings: [finding("CVE-1", "HIGH")] }),
        ],
      }),
      route(),
    );
    expect(withChange.emptyLedger).toBe(false);
    const withRun = buildDigest(
      inputs({
        images: [api],
        coverage: [coverage("team-a/api", daysBefore(0.2))],
        repositories: [{ registryId: ACCOUNT, repositoryName: "team-a/api" }],
      }),
      route(),
    );
    expect(withRun.emptyLedger).toBe(false);
  });

  it("is not said of a route whose filter matches nothing: that route is all clear", () => {
    const digest = buildDigest(
      inputs({
        ...ledgerOf([[api, summarized({ CRITICAL: 1 })]]),
        repositories: [{ registryId: ACCOUNT, repositoryName: "team-a/api" }],
      }),
      route({ rule: { repositories: /^team-z\// } }),
    );
    expect(digest.open.images).toBe(0);
    expect(digest.emptyLedger).toBe(false);
    expect(digest.overThresholds.total).toBe(0);
  });

  it("is said of a route with no image while the ledger knows nothing at all (a fresh installation)", () => {
    const digest = buildDigest(
      inputs({ repositories: [{ registryId: ACCOUNT, repositoryName: "team-a/api" }] }),
      route({ rule: { repositories: /^team-a\// } }),
    );
    expect(digest.open.images).toBe(0);
    expect(digest.emptyLedger).toBe(true);
  });
});

describe("the period", () => {
  it("starts at the route's last digest, with its counts to compare with", () => {
    const lastAt = "2026-11-23T08:00:03.000Z";
    const state: DigestState = {
      reporterId: "slack",
      last: { periodKey: "2026-11-23T08:00Z", at: lastAt, counts: counts({ CRITICAL: 3, LOW: 1 }) },
    };
    const digest = buildDigest(inputs(), route({ state }));
    expect(digest.period).toEqual({
      key: "2026-11-30T08:00Z",
      start: lastAt,
      end: NOW.toISOString(),
      previousDigestAt: lastAt,
    });
    expect(digest.open.previous).toEqual(counts({ CRITICAL: 3, LOW: 1 }));
  });

  it("of a first digest is the default period before now, with nothing to compare with", () => {
    const pendingOnly: DigestState = { reporterId: "slack", pending: { periodKey: "x", expiresAt: 1 } };
    for (const state of [undefined, pendingOnly]) {
      const digest = buildDigest(inputs(), route({ state }));
      expect(digest.period).toEqual({
        key: "2026-11-30T08:00Z",
        start: daysBefore(7),
        end: NOW.toISOString(),
      });
      expect(digest.open.previous).toBeUndefined();
    }
  });

  it("starts 7 days before now when the last digest's time is not before now", () => {
    const last = (at: string): DigestState => ({
      reporterId: "slack",
      last: { periodKey: "k", at, counts: counts({}) },
    });
    expect(periodStartOf(undefined, NOW).toISOString()).toBe(daysBefore(7));
    expect(periodStartOf(last(NOW.toISOString()), NOW).toISOString()).toBe(daysBefore(7));
    expect(periodStartOf(last("2026-12-01T00:00:00.000Z"), NOW).toISOString()).toBe(daysBefore(7));
    expect(periodStartOf(last("not a time"), NOW).toISOString()).toBe(daysBefore(7));
    expect(periodStartOf(last(daysBefore(14)), NOW).toISOString()).toBe(daysBefore(14));
  });

  it("is keyed by the schedule's time to the minute", () => {
    expect(periodKeyOf(new Date("2026-11-30T08:00:00.000Z"))).toBe("2026-11-30T08:00Z");
    expect(periodKeyOf(new Date("2026-11-30T08:00:59.999Z"))).toBe("2026-11-30T08:00Z");
    expect(periodKeyOf(new Date("2026-11-30T08:01:00.000Z"))).toBe("2026-11-30T08:01Z");
    expect(periodKeyOf(new Date("2026-12-31T23:59:30.000+01:00"))).toBe("2026-12-31T22:59Z");
  });
});

describe("known exploited (KEV)", () => {
  // NOW is 2026-11-30: a due date of 2026-11-29 is past, one of 2026-11-30 is today (not yet overdue).
  const kevEntry = (dueDate?: string, extra: Partial<KevEntry> = {}): KevEntry => ({
    dateAdded: "2026-11-01",
    ...(dueDate !== undefined && { dueDate }),
    requiredAction: "Apply updates per vendor instructions.",
    knownRansomwareCampaignUse: "Unknown",
    ...extra,
  });

  /** The vulnerability-index entry of one finding of one image, as the ledger reads it back. */
  function exposure(
    img: ImageInUse,
    id: string,
    severity: Severity,
    overrides: Partial<VulnerabilityIndexEntry> = {},
  ): VulnerabilityIndexEntry {
    return {
      registryId: img.registryId,
      repository: img.repository,
      digest: img.digest,
      tagsAtScan: img.tags,
      finding: finding(id, severity),
      findingsAt: SCANNED_AT,
      ...overrides,
    };
  }

  function kevInputs(
    images: ImageInUse[],
    catalog: Record<string, KevEntry>,
    exposures: VulnerabilityIndexEntry[],
    overrides: Partial<DigestInputs> = {},
  ): DigestInputs {
    return inputs({
      ...ledgerOf(images.map((img) => [img, summarized({ LOW: 1 })])),
      kev: { catalog: new Map(Object.entries(catalog)), exposures },
      ...overrides,
    });
  }

  it("lists the KEV findings of the route's images in use only, whatever the route's minSeverity", () => {
    const api = image("team-a/api", "a1");
    const oldBuild = image("team-a/api", "ee", ["v0"]);
    const otherTeam = image("team-b/web", "d4");
    const catalog = { "CVE-2021-44228": kevEntry("2021-12-24"), "CVE-2023-4911": kevEntry("2023-12-12") };
    const digest = buildDigest(
      kevInputs([api, otherTeam], catalog, [
        // A LOW on KEV: listed though the route counts HIGH and above.
        exposure(api, "CVE-2021-44228", "LOW"),
        // An image the ledger knows but no tag points at any more, and another team's image: not listed.
        exposure(oldBuild, "CVE-2023-4911", "CRITICAL"),
        exposure(otherTeam, "CVE-2023-4911", "CRITICAL"),
        // In use, but not on the catalog (an index entry the catalog no longer has).
        exposure(api, "CVE-2099-0001", "CRITICAL"),
      ]),
      route({ rule: { repositories: /^team-a\//, minSeverity: "HIGH" } }),
    );
    expect(digest.knownExploited).toEqual({
      total: 1,
      overdue: 1,
      top: [
        {
          id: "CVE-2021-44228",
          severity: "LOW",
          package: "openssl",
          dateAdded: "2026-11-01",
          dueDate: "2021-12-24",
          overdue: true,
          knownRansomware: false,
          references: ["team-a/api:v1"],
          referenceCount: 1,
        },
      ],
    });
    // The route's counts still leave the LOW out.
    expect(digest.open.counts.LOW).toBe(0);
  });

  it("is overdue when CISA's due date is before the digest's day, and not on the due date itself", () => {
    const api = image("team-a/api", "a1");
    const catalog = {
      "CVE-2026-0001": kevEntry("2026-11-29"),
      "CVE-2026-0002": kevEntry("2026-11-30"),
      "CVE-2026-0003": kevEntry("2026-12-01"),
      "CVE-2026-0004": kevEntry(undefined),
    };
    const exposures = Object.keys(catalog).map((id) => exposure(api, id, "HIGH"));
    const overdueOn = (now: Date) => {
      const list = buildDigest(kevInputs([api], catalog, exposures, { now }), route()).knownExploited;
      return list && { overdue: list.overdue, ids: list.top.filter((f) => f.overdue).map((f) => f.id) };
    };
    expect(overdueOn(NOW)).toEqual({ overdue: 1, ids: ["CVE-2026-0001"] });
    // The same catalog two days later: the 30th and the 1st have passed; no due date is never overdue.
    expect(overdueOn(new Date("2026-12-02T00:00:00.000Z"))).toEqual({
      overdue: 3,
      ids: ["CVE-2026-0001", "CVE-2026-0002", "CVE-2026-0003"],
    });
    expect(overdueOn(new Date("2026-01-01T00:00:00.000Z"))).toEqual({ overdue: 0, ids: [] });
  });

  it("lists overdue ones first, then by the nearest due date, then most severe; says known ransomware use", () => {
    const api = image("team-a/api", "a1");
    const catalog = {
      "CVE-2026-1001": kevEntry("2026-11-20"),
      "CVE-2026-1002": kevEntry("2026-10-01", { knownRansomwareCampaignUse: "Known" }),
      "CVE-2026-1003": kevEntry("2026-12-05"),
      "CVE-2026-1004": kevEntry("2026-12-05"),
      "CVE-2026-1005": kevEntry(undefined),
      "CVE-2026-1006": kevEntry("2026-12-20"),
    };
    const digest = buildDigest(
      kevInputs([api], catalog, [
        exposure(api, "CVE-2026-1005", "CRITICAL"),
        exposure(api, "CVE-2026-1006", "CRITICAL"),
        exposure(api, "CVE-2026-1003", "HIGH"),
        exposure(api, "CVE-2026-1004", "CRITICAL"),
        exposure(api, "CVE-2026-1001", "MEDIUM"),
        exposure(api, "CVE-2026-1002", "LOW"),
      ]),
      route(),
    );
    expect(digest.knownExploited?.top.map((f) => [f.id, f.overdue, f.knownRansomware])).toEqual([
      // Overdue, the longest overdue first, whatever the severity (a LOW before a MEDIUM, both before CRITICALs).
      ["CVE-2026-1002", true, true],
      ["CVE-2026-1001", true, false],
      // Then the nearest due date; on the same day, the most severe first.
      ["CVE-2026-1004", false, false],
      ["CVE-2026-1003", false, false],
      ["CVE-2026-1006", false, false],
      // No due date last.
      ["CVE-2026-1005", false, false],
    ]);
    expect(digest.knownExploited).toMatchObject({ total: 6, overdue: 2 });
  });

  it("names each vulnerability once, by the current tags of the images in use, at its worst severity", () => {
    const api = image("team-a/api", "a1", ["v2", "latest"]);
    const worker = image("team-a/worker", "b2", ["w1", "w2", "w3", "w4"]);
    const untaggedOld = image("team-a/worker", "c3", []);
    const catalog = { "CVE-2021-44228": kevEntry("2021-12-24") };
    const digest = buildDigest(
      kevInputs([api, worker], catalog, [
        // Scanned when it was tagged v1: the reference is the tags pointing at it now.
        exposure(api, "CVE-2021-44228", "HIGH", { tagsAtScan: ["v1"] }),
        // Two packages of one image: one vulnerability, one reference each.
        exposure(api, "CVE-2021-44228", "HIGH", {
          finding: finding("CVE-2021-44228", "HIGH", { package: "log4j-api" }),
        }),
        exposure(worker, "CVE-2021-44228", "CRITICAL"),
        exposure(untaggedOld, "CVE-2021-44228", "CRITICAL", { tagsAtScan: ["w0"] }),
      ]),
      route(),
    );
    expect(digest.knownExploited?.total).toBe(1);
    expect(digest.knownExploited?.top[0]).toMatchObject({
      id: "CVE-2021-44228",
      severity: "CRITICAL",
      references: [
        "team-a/api:latest",
        "team-a/api:v2",
        "team-a/worker:w1",
        "team-a/worker:w2",
        "team-a/worker:w3",
      ],
      referenceCount: 6,
    });
  });

  it("counts every KEV vulnerability and lists the first 20", () => {
    const api = image("team-a/api", "a1");
    const ids = Array.from({ length: 25 }, (_, i) => `CVE-2026-${String(2000 + i)}`);
    // Due one day apart from 2026-11-25: five are overdue on NOW.
    const catalog = Object.fromEntries(
      ids.map((id, i) => [
        id,
        kevEntry(new Date(Date.parse("2026-11-25") + i * DAY_MS).toISOString().slice(0, 10)),
      ]),
    );
    const digest = buildDigest(
      kevInputs(
        [api],
        catalog,
        ids.map((id) => exposure(api, id, "HIGH")),
      ),
      route(),
    );
    expect(DIGEST_TOP_CHANGES).toBe(20);
    expect(digest.knownExploited?.total).toBe(25);
    expect(digest.knownExploited?.overdue).toBe(5);
    expect(digest.knownExploited?.top.map((f) => f.id)).toEqual(ids.slice(0, 20));
  });

  it("is empty, not absent, when KEV was read and no image in use has one; absent when it was not", () => {
    const api = image("team-a/api", "a1");
    const intel: IntelStatus = {
      kev: { state: "fresh", asOf: "2026-11-30T07:00:00.000Z" },
      epss: { state: "off" },
    };
    const read = buildDigest(
      kevInputs([api], { "CVE-2021-44228": kevEntry("2021-12-24") }, [], { intel }),
      route(),
    );
    expect(read.knownExploited).toEqual({ total: 0, overdue: 0, top: [] });
    expect(read.intel).toEqual(intel);

    const unavailable: IntelStatus = {
      kev: { state: "unavailable", reason: "HTTP 500" },
      epss: { state: "off" },
    };
    const notRead = buildDigest(inputs({ intel: unavailable }), route());
    expect(notRead.knownExploited).toBeUndefined();
    expect(notRead.intel).toEqual(unavailable);
    const noIntel = buildDigest(inputs(), route());
    expect(noIntel).not.toHaveProperty("knownExploited");
    expect(noIntel).not.toHaveProperty("intel");
  });
});

describe("several accounts ([8/8])", () => {
  const PROD = "111111111111";
  const STAGING = "222222222222";
  const accounts = [
    { accountId: ACCOUNT, name: "hub" },
    { accountId: PROD, name: "prod" },
    { accountId: STAGING },
  ];
  const inAccount = (registryId: string, img: ImageInUse): ImageInUse => ({ ...img, registryId });
  // The same repository name in two accounts: two images, never merged.
  const prodApi = inAccount(PROD, image("team-a/api", "a1"));
  const stagingApi = inAccount(STAGING, image("team-a/api", "b2"));
  const hubWeb = image("team-b/web", "c3");
  const ledger = ledgerOf([
    [prodApi, summarized({ CRITICAL: 2, HIGH: 1 })],
    [stagingApi, summarized({ HIGH: 3 })],
    [hubWeb, undefined],
  ]);
  const changed = (registryId: string): ChangeLogEntry => ({
    ...change(daysBefore(1), "team-a/api", [":v1"], { newFindings: [finding("CVE-2026-0001", "HIGH")] }),
    registryId,
    references: [`${registryId}/team-a/api:v1`],
  });
  const multi = (overrides: Partial<DigestInputs> = {}) =>
    inputs({ ...ledger, accounts, changes: [changed(PROD), changed(STAGING)], ...overrides });

  it("gives each listed account its own picture, in the configuration's order, names included", () => {
    const digest = buildDigest(multi(), route());

    expect(digest.accounts).toEqual([
      {
        account: ACCOUNT,
        accountName: "hub",
        counts: counts({}),
        images: 1,
        imagesWithFindings: 0,
        imagesUnknown: 1,
        overThresholds: 0,
      },
      {
        account: PROD,
        accountName: "prod",
        counts: counts({ CRITICAL: 2, HIGH: 1 }),
        images: 1,
        imagesWithFindings: 1,
        imagesUnknown: 0,
        overThresholds: 1,
      },
      {
        account: STAGING,
        counts: counts({ HIGH: 3 }),
        images: 1,
        imagesWithFindings: 1,
        imagesUnknown: 0,
        overThresholds: 1,
      },
    ]);
    expect(digest.open.counts).toEqual(counts({ CRITICAL: 2, HIGH: 4 }));
  });

  it("names the account of every image over the thresholds and of every changed reference", () => {
    const digest = buildDigest(multi(), route());

    expect(digest.overThresholds.top.map((img) => [img.registryId, img.accountName])).toEqual([
      [PROD, "prod"],
      [STAGING, undefined],
    ]);
    // One finding on the same reference name in two accounts: two references, each with its account.
    expect(digest.newFindings.top[0]?.references).toEqual([
      "team-a/api:v1 (222222222222)",
      "team-a/api:v1 (prod)",
    ]);
    expect(digest.newFindings.top[0]?.referenceCount).toBe(2);
  });

  it("names the account of KEV references too", () => {
    const digest = buildDigest(
      multi({
        kev: {
          catalog: new Map([["CVE-2021-44228", { dateAdded: "2021-12-10", dueDate: "2021-12-24" }]]),
          exposures: [
            {
              registryId: PROD,
              repository: "team-a/api",
              digest: prodApi.digest,
              tagsAtScan: ["v1"],
              finding: finding("CVE-2021-44228", "CRITICAL"),
              findingsAt: SCANNED_AT,
            },
          ],
        },
      }),
      route(),
    );

    expect(digest.knownExploited?.top[0]?.references).toEqual(["team-a/api:v1 (prod)"]);
  });

  it("narrows a route with `accounts` (ids or names) to those accounts' images, changes and pictures", () => {
    const digest = buildDigest(multi(), route({ rule: { accounts: ["prod", STAGING] } }));

    expect(digest.route.accounts).toEqual(["prod", STAGING]);
    expect(digest.accounts?.map((account) => account.account)).toEqual([PROD, STAGING]);
    expect(digest.open.images).toBe(2);
    expect(digest.open.imagesUnknown).toBe(0);

    const prodOnly = buildDigest(multi(), route({ rule: { accounts: ["prod"] } }));
    expect(prodOnly.open.counts).toEqual(counts({ CRITICAL: 2, HIGH: 1 }));
    expect(prodOnly.newFindings.top[0]?.references).toEqual(["team-a/api:v1 (prod)"]);
    expect(prodOnly.overThresholds.top.map((img) => img.registryId)).toEqual([PROD]);
  });

  it("marks an account that could not be read whole with the reason, and only for the routes that cover it", () => {
    // STAGING's listing failed (no images gathered); PROD's image was read, another of its repositories was not.
    const digest = buildDigest(
      multi({
        images: [prodApi, hubWeb],
        unreachable: new Map([
          [STAGING, "AccountUnreachableError: cannot assume arn:aws:iam::222222222222:role/m"],
          [PROD, "repository team-a/db: AccessDeniedException: denied"],
        ]),
      }),
      route(),
    );

    expect(digest.accounts?.map((account) => [account.account, account.images, account.unreachable])).toEqual(
      [
        [ACCOUNT, 1, undefined],
        [PROD, 1, "repository team-a/db: AccessDeniedException: denied"],
        [STAGING, 0, "AccountUnreachableError: cannot assume arn:aws:iam::222222222222:role/m"],
      ],
    );
    expect(digest.open.images).toBe(2);

    const hubOnly = buildDigest(
      multi({ unreachable: new Map([[STAGING, "AccessDenied"]]) }),
      route({ rule: { accounts: ["hub"] } }),
    );
    expect(hubOnly.accounts?.map((account) => [account.account, account.unreachable])).toEqual([
      [ACCOUNT, undefined],
    ]);
  });

  it("stays single-account without `accounts`: no pictures, no account in references or images", () => {
    const one = ledgerOf([[image("team-a/api", "a1"), summarized({ CRITICAL: 1 })]]);
    const digest = buildDigest(inputs({ ...one, changes: [changed(ACCOUNT)] }), route());

    expect(digest.accounts).toBeUndefined();
    expect(digest.overThresholds.top[0]?.accountName).toBeUndefined();
    expect(digest.newFindings.top[0]?.references).toEqual(["team-a/api:v1"]);
  });
});
