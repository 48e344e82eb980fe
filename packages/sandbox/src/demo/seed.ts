import { type CveRecord, FEED_UPDATE_CVE_RECORDS } from "../data/cve-records.js";
import type { EcrSandbox, SeedImage } from "../ecr.js";

const DAY = 86_400_000;

/** The decision the planner is expected to take for a seeded image, for checks and the demo summary. */
export type ExpectedDecision =
  | "scan:never-scanned"
  | "scan:expired"
  | "scan:retry-failed"
  | "skip:fresh"
  | "skip:in-progress"
  | "skip:unsupported"
  | "skip:not-an-image"
  | "skip:not-in-use"
  | "skip:failed-recently"
  | "not-selected";

export interface SeededImage {
  /** The account whose registry holds it (the sandbox's own, or a member account's). */
  account: string;
  repository: string;
  digest: string;
  tags: string[];
  kind: string;
  expected: ExpectedDecision;
  /** The next scan of this image fails (the scanner cannot read it). */
  failsNextScan?: boolean;
}

/** The repositories of the demo registry: teams' services, a sandbox the config excludes, and one legacy repository. */
export const DEMO_REPOSITORIES = [
  "team-a/api",
  "team-a/web",
  "team-a/worker",
  "team-a/sandbox-tools",
  "team-b/payments",
  "team-b/ledger",
  "team-b/gateway",
  "team-c/ml-inference",
  "team-c/etl",
  "team-c/notebooks",
  "team-d/auth",
  "team-d/profile",
  "team-e/search",
  "team-e/indexer",
  "team-f/reports",
  "team-f/cron",
  "legacy/monolith",
  "platform/base-images",
] as const;

/** How long after the first pass the demo's second scheduled pass runs: past the 7-day expiry of its configuration. */
export const SECOND_PASS_AFTER_DAYS = 8;

/**
 * What the vulnerability feed publishes between the two passes: a few CVEs in package versions some of the demo's
 * images carry (a CRITICAL, a HIGH and a MEDIUM), so that their rescans find something new and the others do not.
 */
export const DEMO_FEED_UPDATE: readonly CveRecord[] = FEED_UPDATE_CVE_RECORDS;

/** The configuration the demo runs with (every reporter that has a local receiver is added by the demo). */
export const DEMO_SCAN_CONFIG = {
  repositories: { include: "^team-", exclude: "sandbox" },
  scan: { expiry: "7d", onlyPulledWithin: "90d", maxScansPerRun: 5000 },
  thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: null, LOW: null },
  notifyOnScanFailure: true,
  ignore: [{ id: "CVE-2011-3374", reason: "apt-key is not used at run time", until: "2027-06-30" }],
} as const;

/**
 * The decision the second pass, SECOND_PASS_AFTER_DAYS after the first, is expected to take for a seeded image:
 * whatever the first pass scanned is past the expiry (a failed scan is retried), so are the images it skipped as
 * fresh or failed recently; an image still in progress, unsupported, not an image or not in use stays skipped.
 */
export function expectedSecondPassDecision(image: SeededImage): ExpectedDecision {
  switch (image.expected) {
    case "scan:never-scanned":
    case "scan:expired":
    case "scan:retry-failed":
      return image.failsNextScan ? "scan:retry-failed" : "scan:expired";
    case "skip:fresh":
      return "scan:expired";
    case "skip:failed-recently":
      return "scan:retry-failed";
    default:
      return image.expected;
  }
}

/**
 * Seeds a registry with every kind of image the planner tells apart, spread over a few dozen repositories, and
 * returns what the planner should decide for each: the sandbox's own registry with DEMO_REPOSITORIES, or a member
 * account's registry (`registry`) with the repositories given — the same kinds, their manifests (so their digests)
 * its own, so that a repository of the same name in two accounts holds two different images.
 */
export function seedDemoRegistry(
  ecr: EcrSandbox,
  now = Date.now(),
  registry?: { registryId: string; repositories: readonly string[] },
): SeededImage[] {
  const seeded: SeededImage[] = [];
  const account = registry?.registryId ?? ecr.options.accountId;
  const manifestPrefix = registry ? `${registry.registryId}/` : "";
  const add = (repository: string, kind: string, expected: ExpectedDecision, seed: SeedImage) => {
    const digest = ecr.seedImage(
      repository,
      seed,
      `${manifestPrefix}${repository}/${kind}/${seeded.length}`,
      registry?.registryId,
    );
    seeded.push({
      account,
      repository,
      digest,
      tags: seed.tags ?? [],
      kind,
      expected,
      failsNextScan: seed.nextScan?.outcome === "fail",
    });
  };
  const repositories = registry?.repositories ?? DEMO_REPOSITORIES;
  for (const name of repositories) ecr.createRepository(name, registry?.registryId);
  const recentPull = new Date(now - 2 * DAY);

  repositories.forEach((repository, i) => {
    const selected = repository.startsWith("team-") && !repository.includes("sandbox");
    const pick = (expected: ExpectedDecision): ExpectedDecision => (selected ? expected : "not-selected");
    add(repository, "never scanned", pick("scan:never-scanned"), {
      tags: [`v1.${i}.0`],
      lastRecordedPullTime: recentPull,
    });
    add(repository, "stale", pick("scan:expired"), {
      tags: [`v1.${Math.max(0, i - 1)}.9`],
      lastRecordedPullTime: recentPull,
      scan: { status: "COMPLETE", completedAt: new Date(now - (8 + i) * DAY) },
    });
    add(repository, "fresh", pick("skip:fresh"), {
      tags: ["latest"],
      lastRecordedPullTime: recentPull,
      scan: { status: "COMPLETE", completedAt: new Date(now - 2 * DAY) },
    });
    if (i % 3 === 0) {
      add(repository, "untagged", pick("scan:never-scanned"), { lastRecordedPullTime: recentPull });
    }
    if (i % 4 === 1) {
      add(repository, "signature", pick("skip:not-an-image"), {
        tags: [`sha256-${i}.sig`],
        manifestMediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactMediaType: "application/vnd.dev.cosign.artifact.sig.v1+json",
      });
    }
    if (i % 5 === 2) {
      add(repository, "helm chart", pick("skip:not-an-image"), {
        tags: ["chart-0.3.1"],
        manifestMediaType: "application/vnd.oci.image.manifest.v1+json",
        artifactMediaType: "application/vnd.cncf.helm.config.v1+json",
      });
    }
    if (i % 4 === 3) {
      add(repository, "unsupported", pick("skip:unsupported"), {
        tags: ["distroless"],
        lastRecordedPullTime: recentPull,
        scan: {
          status: "UNSUPPORTED_IMAGE",
          description: "The operating system and/or package manager are not supported.",
          completedAt: new Date(now - 30 * DAY),
        },
      });
    }
    if (i % 5 === 0) {
      add(repository, "in progress", pick("skip:in-progress"), {
        tags: ["rc"],
        lastRecordedPullTime: recentPull,
        scan: { status: "IN_PROGRESS" },
      });
    }
    if (i % 3 === 1) {
      add(repository, "not pulled in months", pick("skip:not-in-use"), {
        tags: ["v0.1.0"],
        pushedAt: new Date(now - 400 * DAY),
        lastRecordedPullTime: new Date(now - 200 * DAY),
        scan: { status: "COMPLETE", completedAt: new Date(now - 60 * DAY) },
      });
    }
    if (i % 6 === 2) {
      add(repository, "failing", pick("scan:expired"), {
        tags: ["broken-layer"],
        lastRecordedPullTime: recentPull,
        scan: { status: "COMPLETE", completedAt: new Date(now - 20 * DAY) },
        nextScan: {
          outcome: "fail",
          description: "An internal error occurred while scanning the image layers.",
        },
      });
    }
    if (i % 7 === 3) {
      add(repository, "failed recently", pick("skip:failed-recently"), {
        tags: ["nightly"],
        lastRecordedPullTime: recentPull,
        scan: {
          status: "FAILED",
          description: "An internal error occurred.",
          completedAt: new Date(now - 3 * 3_600_000),
        },
      });
    }
  });
  return seeded;
}
