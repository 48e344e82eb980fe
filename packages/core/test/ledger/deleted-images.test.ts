// Forgetting images deleted from the registry, on the sandbox's DynamoDB (dynalite with its GSIs): the image's
// items go at once (exposure stops finding it), its references' last reports expire, and nothing else is touched.
import { GetItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { fromItem, toItem } from "../../src/ledger/attributes.js";
import {
  GONE_REFERENCE_RETENTION_MS,
  referencesOfDeletedImage,
  sortDeletedImageItems,
} from "../../src/ledger/deleted-images.js";
import { DynamoDbLedger } from "../../src/ledger/dynamodb-ledger.js";
import { queryExposure } from "../../src/ledger/exposure.js";
import { imageKey, type LedgerImage, lastReportKey, referenceName } from "../../src/ledger/records.js";
import type { CompactFinding } from "../../src/model.js";
import { recordingLogger } from "../../src/testing/index.js";
import { useSandboxDynamoDb } from "../support/ledger-tables.js";

const REGISTRY = "123456789012";
const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
const IMAGE: LedgerImage = { registryId: REGISTRY, repository: "team-a/api", digest: digestOf(1) };
const OTHER: LedgerImage = { ...IMAGE, digest: digestOf(2) };
const SCANNED_AT = "2026-03-01T08:00:00.000Z";
const DELETED_AT = "2026-03-05T09:30:00Z";
const NOW = new Date("2026-03-05T09:31:00.000Z");
const LOG4SHELL: CompactFinding = {
  id: "CVE-2021-44228",
  severity: "CRITICAL",
  package: "log4j-core",
  version: "2.14.1",
};
const FINDINGS: CompactFinding[] = [
  LOG4SHELL,
  { id: "CVE-2023-4911", severity: "HIGH", package: "libc6", version: "2.36-9" },
  { id: "CVE-2024-0001", severity: "LOW" },
];

const dynamodb = useSandboxDynamoDb("deleted-images");

async function freshLedger() {
  const tableName = await dynamodb.freshTableName();
  const clock = { now: NOW };
  const logger = recordingLogger();
  const ledger = new DynamoDbLedger({ client: dynamodb.client(), tableName, logger, now: () => clock.now });
  const partition = async (image: LedgerImage) => {
    const { Items } = await dynamodb.client().send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: toItem({ ":pk": imageKey(image).pk }),
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map((item) => String(fromItem(item).sk)).sort();
  };
  const lastOf = async (ref: LedgerImage & { tag?: string }) => {
    const { Item } = await dynamodb.client().send(
      new GetItemCommand({
        TableName: tableName,
        Key: toItem({ ...lastReportKey(ref) }),
        ConsistentRead: true,
      }),
    );
    return Item && fromItem(Item);
  };
  const exposedDigests = async (vulnerability: string) =>
    (
      await queryExposure({ client: dynamodb.client(), tableName, vulnerability, logger: recordingLogger() })
    ).images
      .map((image) => image.digest)
      .sort();
  return { ledger, tableName, clock, logger, partition, lastOf, exposedDigests };
}

/** The image scanned with its findings, and each tag's last report of it, as report-findings writes them. */
async function reported(
  ledger: DynamoDbLedger,
  image: LedgerImage,
  tags: string[],
  scannedAt = SCANNED_AT,
  findings = FINDINGS,
) {
  await ledger.recordScan({ ...image, tags }, { status: "COMPLETE", completedAt: scannedAt }, findings);
  await ledger.recordReport(tags.length > 0 ? tags.map((tag) => ({ ...image, tag })) : [image], {
    digest: image.digest,
    scanCompletedAt: scannedAt,
    findings,
    over: true,
  });
}

describe("sortDeletedImageItems", () => {
  it("deletes what scans up to the deletion wrote, keeps what a later scan wrote, and reads the tags at scan", () => {
    const pk = imageKey(IMAGE).pk;
    const sorted = sortDeletedImageItems(
      [
        { pk, sk: "SCAN", completedAt: "2026-03-05T09:29:59.000Z" },
        // In the second of the deletion, which EventBridge's time (to the second) does not order: the image's.
        { pk, sk: "FINDINGS", findingsAt: "2026-03-05T09:30:00.999Z" },
        { pk, sk: "VULN#CVE-1#a", findingsAt: SCANNED_AT, tags: ["v1", "latest"] },
        { pk, sk: "VULN#CVE-2#b", findingsAt: SCANNED_AT, tags: ["v1", 7] },
        { pk, sk: "VULN#CVE-3#c", findingsAt: "2026-03-05T09:30:01.000Z", tags: ["v9"] },
        { pk, sk: "VULN#CVE-4#d" },
      ],
      DELETED_AT,
    );
    expect(sorted.doomed.map((key) => key.sk)).toEqual([
      "SCAN",
      "FINDINGS",
      "VULN#CVE-1#a",
      "VULN#CVE-2#b",
      "VULN#CVE-4#d",
    ]);
    expect(sorted.kept).toEqual([{ pk, sk: "VULN#CVE-3#c" }]);
    // Past the end of the deletion's second.
    expect(
      sortDeletedImageItems([{ pk, sk: "SCAN", completedAt: "2026-03-05T09:30:01.000Z" }], DELETED_AT).kept,
    ).toHaveLength(1);
    // v9 is the later scan's: the deleted image never had it.
    expect(sorted.tagsAtScan).toEqual(["latest", "v1"]);
  });

  it("reads SCAN's completedAt before anything else it may carry", () => {
    const sorted = sortDeletedImageItems(
      [{ pk: "p", sk: "SCAN", completedAt: "2026-03-06T00:00:00.000Z", findingsAt: SCANNED_AT }],
      DELETED_AT,
    );
    expect(sorted).toEqual({ doomed: [], kept: [{ pk: "p", sk: "SCAN" }], tagsAtScan: [] });
  });
});

describe("referencesOfDeletedImage", () => {
  it("names the digest itself and each tag once, sorted", () => {
    expect(referencesOfDeletedImage(IMAGE, ["v2", "latest", "v2"]).map(referenceName)).toEqual([
      `${REGISTRY}/team-a/api@${IMAGE.digest}`,
      `${REGISTRY}/team-a/api:latest`,
      `${REGISTRY}/team-a/api:v2`,
    ]);
  });
});

describe("DynamoDbLedger.forgetImage", () => {
  it("deletes the image's items at once, so exposure stops listing it, and lets its tags' last reports expire", async () => {
    const { ledger, partition, lastOf, exposedDigests } = await freshLedger();
    await reported(ledger, IMAGE, ["v1", "latest"]);
    await reported(ledger, OTHER, ["v0"], SCANNED_AT, [LOG4SHELL]);
    expect(await exposedDigests(LOG4SHELL.id)).toEqual([IMAGE.digest, OTHER.digest]);
    expect(await partition(IMAGE)).toHaveLength(2 + FINDINGS.length);

    // The event named v1 only: latest comes from the tags the image had at its scan.
    const outcome = await ledger.forgetImage({ ...IMAGE, tags: ["v1"] }, DELETED_AT);

    expect(outcome).toEqual({ deleted: 2 + FINDINGS.length, kept: 0, referencesExpired: 2 });
    expect(await partition(IMAGE)).toEqual([]);
    expect(await exposedDigests(LOG4SHELL.id)).toEqual([OTHER.digest]);
    expect(await exposedDigests("CVE-2023-4911")).toEqual([]);
    expect(await ledger.lastScans([IMAGE, OTHER])).toEqual(
      new Map([[`${REGISTRY}/team-a/api@${OTHER.digest}`, expect.objectContaining({ status: "COMPLETE" })]]),
    );
    const expiresAt = Math.floor((NOW.getTime() + GONE_REFERENCE_RETENTION_MS) / 1000);
    expect((await lastOf({ ...IMAGE, tag: "v1" }))?.expiresAt).toBe(expiresAt);
    expect((await lastOf({ ...IMAGE, tag: "latest" }))?.expiresAt).toBe(expiresAt);
    // The other image and its tag are untouched.
    expect(await partition(OTHER)).toHaveLength(3);
    expect((await lastOf({ ...OTHER, tag: "v0" }))?.expiresAt).toBeUndefined();
  });

  it("does nothing more for the same deletion again (a redelivered event), even a day later", async () => {
    const { ledger, clock, lastOf } = await freshLedger();
    await reported(ledger, IMAGE, ["v1"]);
    await ledger.forgetImage({ ...IMAGE, tags: ["v1"] }, DELETED_AT);
    const expiry = (await lastOf({ ...IMAGE, tag: "v1" }))?.expiresAt;
    clock.now = new Date(NOW.getTime() + 86_400_000);
    expect(await ledger.forgetImage({ ...IMAGE, tags: ["v1"] }, DELETED_AT)).toEqual({
      deleted: 0,
      kept: 0,
      referencesExpired: 0,
    });
    expect((await lastOf({ ...IMAGE, tag: "v1" }))?.expiresAt).toBe(expiry);
  });

  it("lets an untagged image's own last report expire", async () => {
    const { ledger, lastOf, partition } = await freshLedger();
    await reported(ledger, IMAGE, []);
    expect(await ledger.forgetImage(IMAGE, DELETED_AT)).toMatchObject({ referencesExpired: 1 });
    expect((await lastOf(IMAGE))?.expiresAt).toEqual(expect.any(Number));
    expect(await partition(IMAGE)).toEqual([]);
  });

  it("leaves a tag that has moved to another image since: its last report is of that image", async () => {
    const { ledger, lastOf } = await freshLedger();
    await reported(ledger, IMAGE, ["latest"]);
    await reported(ledger, OTHER, ["latest"], "2026-03-02T08:00:00.000Z");
    // Nothing to expire: latest is OTHER's now, and the image was never reported untagged.
    expect(await ledger.forgetImage({ ...IMAGE, tags: ["latest"] }, DELETED_AT)).toMatchObject({
      referencesExpired: 0,
    });
    const latest = await lastOf({ ...IMAGE, tag: "latest" });
    expect(latest?.digest).toBe(OTHER.digest);
    expect(latest?.expiresAt).toBeUndefined();
  });

  it("keeps what a scan after the deletion recorded: the same digest pushed again (a late or redelivered event)", async () => {
    const { ledger, partition, exposedDigests, logger } = await freshLedger();
    await reported(ledger, IMAGE, ["v1"], "2026-03-05T10:00:00.000Z");
    expect(await ledger.forgetImage({ ...IMAGE, tags: ["v1"] }, DELETED_AT)).toEqual({
      deleted: 0,
      kept: 2 + FINDINGS.length,
      referencesExpired: 1,
    });
    expect(await partition(IMAGE)).toHaveLength(2 + FINDINGS.length);
    expect(await exposedDigests(LOG4SHELL.id)).toEqual([IMAGE.digest]);
    expect(logger.logs).toContainEqual(
      expect.objectContaining({ level: "info", message: expect.stringContaining("pushed again since") }),
    );
  });

  it("lets a tag pushed again compare with its expiring report, and the new report drop the expiry", async () => {
    const { ledger, lastOf } = await freshLedger();
    await reported(ledger, IMAGE, ["latest"]);
    await ledger.forgetImage({ ...IMAGE, tags: ["latest"] }, DELETED_AT);
    const history = await ledger.readReferences([{ ...OTHER, tag: "latest" }], []);
    expect(history.get(`${REGISTRY}/team-a/api:latest`)).toMatchObject({
      known: true,
      last: { digest: IMAGE.digest },
    });
    await reported(ledger, OTHER, ["latest"], "2026-03-06T08:00:00.000Z");
    const latest = await lastOf({ ...OTHER, tag: "latest" });
    expect(latest?.digest).toBe(OTHER.digest);
    expect(latest?.expiresAt).toBeUndefined();
  });
});

describe("DynamoDbLedger.expireReferences", () => {
  it("expires only the references last reported for their digest, and creates nothing for one never reported", async () => {
    const { ledger, lastOf } = await freshLedger();
    await reported(ledger, IMAGE, ["v1", "v2"]);
    const expired = await ledger.expireReferences([
      { ...IMAGE, tag: "v1" },
      { ...IMAGE, tag: "v1" },
      { ...OTHER, tag: "v2" },
      { ...IMAGE, tag: "never" },
    ]);
    expect(expired).toBe(1);
    expect((await lastOf({ ...IMAGE, tag: "v1" }))?.expiresAt).toEqual(expect.any(Number));
    expect((await lastOf({ ...IMAGE, tag: "v2" }))?.expiresAt).toBeUndefined();
    expect(await lastOf({ ...IMAGE, tag: "never" })).toBeUndefined();
  });
});
