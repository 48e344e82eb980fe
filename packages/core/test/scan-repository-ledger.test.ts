// The scheduler with the findings ledger: last scans come from a real DynamoDbLedger on the sandbox's DynamoDB, ECR
// is a gateway over a fixed repository that records what it is asked.
import { describe, expect, it } from "vitest";
import type { EcrGateway, ScanStartOutcome } from "../src/ecr-gateway.js";
import { disabledLedger, type FindingsLedger } from "../src/ledger/ledger.js";
import type { ImageDetail, LastScan } from "../src/model.js";
import { recordingLogger } from "../src/testing/index.js";
import {
  type PlanRepositoryOptions,
  planRepository,
  scanRepository,
} from "../src/use-cases/scan-repository.js";
import { useLedgerTables } from "./support/ledger-tables.js";

const { freshLedger } = useLedgerTables("schedule");

const NOW = new Date("2026-03-10T00:00:00Z");
const DAY = 86_400_000;

function imageOf(c: string): ImageDetail {
  return {
    registryId: "123456789012",
    repositoryName: "team-a/api",
    imageDigest: `sha256:${c.repeat(64)}`,
    imageTags: [`v${c}`],
    imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json",
  };
}

/** ECR over a fixed repository: each image's last scan by digest; StartImageScan answers `start`. */
function gatewayOf(
  images: ImageDetail[],
  lastScans: Record<string, LastScan>,
  start: () => ScanStartOutcome = () => ({ outcome: "started" }),
) {
  const asked: string[] = [];
  const gateway = {
    listImages: async () => images,
    getLastScan: async (image: ImageDetail) => {
      asked.push(image.imageDigest);
      return lastScans[image.imageDigest];
    },
    startImageScan: async () => start(),
  } as unknown as EcrGateway;
  return { gateway, asked };
}

const options = (ledger: FindingsLedger, warnings: string[] = []): PlanRepositoryOptions => ({
  scanType: "BASIC",
  now: NOW,
  expiryMs: 7 * DAY,
  maxScans: 100,
  ledger,
  warn: (message) => warnings.push(message),
});

const ledgerImage = (image: ImageDetail) => ({
  registryId: image.registryId,
  repository: image.repositoryName,
  digest: image.imageDigest,
});

describe("planRepository with the findings ledger", () => {
  it("asks ECR only about the images the ledger does not know, and records what ECR answers", async () => {
    const ledger = await freshLedger();
    const [known, unknown, never] = [imageOf("1"), imageOf("2"), imageOf("3")];
    await ledger.recordScan(ledgerImage(known), {
      status: "COMPLETE",
      completedAt: new Date(NOW.getTime() - DAY).toISOString(),
    });
    const { gateway, asked } = gatewayOf([known, unknown, never], {
      [unknown.imageDigest]: {
        kind: "scanned",
        status: "COMPLETE",
        completedAt: new Date(NOW.getTime() - 9 * DAY),
      },
      [never.imageDigest]: { kind: "never" },
    });
    const plan = await planRepository(gateway, "team-a/api", options(ledger));
    expect(asked.sort()).toEqual([unknown.imageDigest, never.imageDigest].sort());
    expect([...plan.fromLedger]).toEqual([known.imageDigest]);
    expect(plan.decisions.map((d) => d.decision.reason)).toEqual(["fresh", "expired", "never-scanned"]);
    // What ECR told is remembered; an image never scanned has nothing to remember.
    const remembered = await ledger.lastScans([unknown, never].map(ledgerImage));
    expect([...remembered.keys()]).toEqual([`123456789012/team-a/api@${unknown.imageDigest}`]);

    const again = gatewayOf([known, unknown, never], { [never.imageDigest]: { kind: "never" } });
    await planRepository(again.gateway, "team-a/api", options(ledger));
    expect(again.asked).toEqual([never.imageDigest]);
  });

  it("asks ECR about every image when the ledger cannot be read, and says so", async () => {
    const broken: FindingsLedger = {
      ...disabledLedger(recordingLogger()),
      enabled: true,
      lastScans: async () => {
        throw new Error("ResourceNotFoundException: table gone");
      },
    };
    const warnings: string[] = [];
    const images = [imageOf("1"), imageOf("2")];
    const { gateway, asked } = gatewayOf(images, {
      [images[0]?.imageDigest ?? ""]: { kind: "never" },
      [images[1]?.imageDigest ?? ""]: { kind: "never" },
    });
    const plan = await planRepository(gateway, "team-a/api", options(broken, warnings));
    expect(asked).toHaveLength(2);
    expect(plan.decisions.every((d) => d.decision.reason === "never-scanned")).toBe(true);
    expect(warnings).toEqual(["the findings ledger could not be read; last scans come from ECR"]);
  });
});

describe("scanRepository with the findings ledger", () => {
  it("counts a 24-hour quota answer on an image the ledger thought stale as a missed event, and records ECR's scan", async () => {
    const ledger = await freshLedger();
    const image = imageOf("4");
    await ledger.recordScan(ledgerImage(image), {
      status: "COMPLETE",
      completedAt: new Date(NOW.getTime() - 9 * DAY).toISOString(),
    });
    const scannedToday = new Date(NOW.getTime() - 3_600_000);
    const warnings: string[] = [];
    const { gateway } = gatewayOf(
      [image],
      { [image.imageDigest]: { kind: "scanned", status: "COMPLETE", completedAt: scannedToday } },
      () => ({ outcome: "quota", message: "The scan quota per image has been exceeded." }),
    );
    const { counts } = await scanRepository(gateway, "team-a/api", options(ledger, warnings));
    expect(counts.ledgerMissedScans).toBe(1);
    expect(warnings).toContain("ECR scanned this image within 24 h but the findings ledger missed the event");
    const known = await ledger.lastScans([ledgerImage(image)]);
    expect(known.get(`123456789012/team-a/api@${image.imageDigest}`)?.completedAt).toBe(
      scannedToday.toISOString(),
    );
  });

  it("counts no missed event when the last scan came from ECR", async () => {
    const ledger = await freshLedger();
    const image = imageOf("5");
    const { gateway } = gatewayOf(
      [image],
      {
        [image.imageDigest]: {
          kind: "scanned",
          status: "COMPLETE",
          completedAt: new Date(NOW.getTime() - 9 * DAY),
        },
      },
      () => ({ outcome: "quota", message: "The scan quota per image has been exceeded." }),
    );
    const { counts } = await scanRepository(gateway, "team-a/api", options(ledger));
    expect(counts.ledgerMissedScans).toBeUndefined();
    expect(counts.outcomes).toEqual({ quota: 1 });
  });
});
