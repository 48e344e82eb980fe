import { describe, expect, it } from "vitest";
import {
  buildDigest,
  type DigestInputs,
  type DigestRouteInput,
  type ImageInUse,
  periodKeyOf,
  periodStartOf,
} from "../src/digest/build.js";
import { DEFAULT_DIGEST_PERIOD_DAYS, DIGEST_TOP_IMAGES } from "../src/digest/model.js";
import { imageConsoleUrl, registryConsoleUrl } from "../src/findings/report.js";
import type { CompactFinding } from "../src/ledger/compact.js";
import type { ChangeLogEntry, DigestState, RepositoryCoverage } from "../src/ledger/digest-records.js";
import type { KnownScan } from "../src/ledger/ledger.js";
import { imageName } from "../src/ledger/records.js";
import { emptySeverityCounts, type Severity, type SeverityCounts } from "../src/model.js";

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
