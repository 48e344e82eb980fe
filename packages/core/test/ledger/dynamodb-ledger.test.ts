import { createRequire } from "node:module";
import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itemBytes, toItem } from "../../src/ledger/attributes.js";
import { carryFirstSeen } from "../../src/ledger/changes.js";
import { encodeFinding } from "../../src/ledger/compact.js";
import { CLAIM_TIMEOUT_MS, DynamoDbLedger } from "../../src/ledger/dynamodb-ledger.js";
import { LedgerError, type SendRequest } from "../../src/ledger/ledger.js";
import {
  imageFindingsKey,
  imageKey,
  imageName,
  type LedgerImage,
  lastReportKey,
  referenceName,
  scanKeyOf,
  sentKey,
} from "../../src/ledger/records.js";
import { createLedgerTableInput, LEDGER_TABLE } from "../../src/ledger/table.js";
import { MAX_BATCH_GET_ATTEMPTS, MAX_ITEM_BYTES } from "../../src/ledger/table-client.js";
import type { CompactFinding } from "../../src/model.js";
import { countsOf } from "../../src/testing/report-factories.js";
import { compact, realisticFindings, recordingLogger } from "./fixtures.js";

const require = createRequire(import.meta.url);
/** dynalite's own item size (its 400 KB check): a second opinion on the ledger's size estimate. */
const dynaliteItemSize = (require("dynalite/db/index.js") as { itemSize(item: unknown): number }).itemSize;

const IMAGE: LedgerImage = { registryId: "123456789012", repository: "team-a/api", digest: "sha256:aaa" };
const V1 = { ...IMAGE, tag: "v1" };
const LATEST = { ...IMAGE, tag: "latest" };
const T1 = "2026-11-23T10:00:00.000Z";
const T2 = "2026-12-01T10:00:00.000Z";
const SCAN = scanKeyOf(IMAGE.digest, T2);

// The project's sandbox: dynalite behind DynamoDB's harshness that dynalite lacks (packages/sandbox/src/dynamodb.ts),
// e.g. the item that failed a condition handed back with ConditionalCheckFailedException. Its partial BatchGetItem
// answers are off here: the tests below make their own, to count the retries.
let sandbox: Sandbox;
let client: DynamoDBClient;
let tableCount = 0;

beforeAll(async () => {
  sandbox = await startSandbox({ dynamodb: { batchGetUnprocessed: false } });
  client = new DynamoDBClient({
    endpoint: sandbox.endpoint,
    region: sandbox.region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client?.destroy();
  await sandbox?.close();
});

/** A fresh table per test, created as the module would, and a ledger on it with a clock the test moves. */
async function freshLedger(options: { send?: DynamoDBClient["send"] } = {}) {
  const tableName = `ledger-${++tableCount}`;
  await client.send(new CreateTableCommand(createLedgerTableInput(tableName)));
  const clock = { now: new Date(T2) };
  const logger = recordingLogger();
  const sleeps: number[] = [];
  const ledger = new DynamoDbLedger({
    client: options.send ? { send: options.send } : client,
    tableName,
    logger,
    now: () => clock.now,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  const putRaw = (item: Record<string, AttributeValue>) =>
    client.send(new PutItemCommand({ TableName: tableName, Item: item }));
  const getRaw = async (key: { pk: string; sk: string }) =>
    (
      await client.send(
        new GetItemCommand({ TableName: tableName, Key: toItem({ ...key }), ConsistentRead: true }),
      )
    ).Item;
  return { ledger, tableName, clock, logger, sleeps, putRaw, getRaw };
}

function request(overrides: Partial<SendRequest> = {}): SendRequest {
  return { refs: [V1], reporter: "slack", scanKey: SCAN, over: true, ...overrides };
}

describe("the table", () => {
  it("is created from LEDGER_TABLE: pk/sk strings, on demand", async () => {
    const { tableName } = await freshLedger();
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.KeySchema).toEqual(LEDGER_TABLE.keySchema);
    expect(Table?.AttributeDefinitions).toEqual(LEDGER_TABLE.attributeDefinitions);
    expect(Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
  });
});

describe("image scans", () => {
  it("records a scan and gives it back to the scheduler; an unknown image is absent", async () => {
    const { ledger } = await freshLedger();
    const other = { ...IMAGE, digest: "sha256:bbb" };
    expect(await ledger.recordScan(IMAGE, { status: "COMPLETE", completedAt: T1, description: "done" })).toBe(
      "recorded",
    );
    const scans = await ledger.lastScans([IMAGE, other]);
    expect(scans).toEqual(
      new Map([[imageName(IMAGE), { status: "COMPLETE", completedAt: T1, description: "done" }]]),
    );
  });

  it("never lets an older scan overwrite a newer one, nor its findings", async () => {
    const { ledger } = await freshLedger();
    expect(
      await ledger.recordScan(IMAGE, { status: "COMPLETE", completedAt: T2 }, [compact("CVE-NEW", "HIGH")]),
    ).toBe("recorded");
    expect(
      await ledger.recordScan(IMAGE, { status: "FAILED", completedAt: T1 }, [compact("CVE-OLD", "LOW")]),
    ).toBe("stale");
    expect((await ledger.lastScans([IMAGE])).get(imageName(IMAGE))).toEqual({
      status: "COMPLETE",
      completedAt: T2,
      summary: { counts: countsOf({ HIGH: 1 }), oldest: [compact("CVE-NEW", "HIGH")] },
    });
    expect((await ledger.readImageFindings(IMAGE))?.findings.map((f) => f.id)).toEqual(["CVE-NEW"]);
    // The same completion again (a redelivery) is not older: written again.
    expect(await ledger.recordScan(IMAGE, { status: "COMPLETE", completedAt: "2026-12-01T10:00:00Z" })).toBe(
      "recorded",
    );
  });

  it("keeps the last complete scan's findings through a failed rescan", async () => {
    const { ledger } = await freshLedger();
    await ledger.recordScan(IMAGE, { status: "COMPLETE", completedAt: T1, description: "ok" }, [
      compact("CVE-1", "HIGH"),
    ]);
    await ledger.recordScan(IMAGE, { status: "FAILED", completedAt: T2 });
    // The summary of the last complete scan stays too: a digest still counts what the image held.
    expect((await ledger.lastScans([IMAGE])).get(imageName(IMAGE))).toEqual({
      status: "FAILED",
      completedAt: T2,
      summary: { counts: countsOf({ HIGH: 1 }), oldest: [compact("CVE-1", "HIGH")] },
    });
    const stored = await ledger.readImageFindings(IMAGE);
    expect(stored).toMatchObject({ findingsAt: T1, truncated: false, findings: [compact("CVE-1", "HIGH")] });
  });

  it("stores 5,000 realistic findings whole, in an item DynamoDB accepts, and reads them back", async () => {
    const { ledger, getRaw } = await freshLedger();
    const findings = carryFirstSeen(realisticFindings(5000), undefined, T1);
    await ledger.recordScan(IMAGE, { status: "COMPLETE", completedAt: T1 }, findings);
    const stored = await ledger.readImageFindings(IMAGE);
    expect(stored?.truncated).toBe(false);
    expect(stored?.findings).toEqual(findings);
    const item = await getRaw(imageFindingsKey(IMAGE));
    const bytes = itemBytes(item ?? {});
    expect(bytes).toBe(dynaliteItemSize(item));
    // Room to spare: 20% more findings of the same kind would still fit.
    expect(bytes * 1.2).toBeLessThan(MAX_ITEM_BYTES);
    // A first scan also writes the vulnerability index: ~5,000 items in 25-item batches on dynalite.
  }, 60_000);

  it("keeps the most severe findings that fit when they would overflow the item, and says so", async () => {
    const { ledger, logger, getRaw } = await freshLedger();
    const long = (severity: "CRITICAL" | "LOW", i: number): CompactFinding =>
      compact(`CVE-2026-${i}`, severity, {
        package: `org.example.${"very-long-name.".repeat(8)}${i}`,
        firstSeen: T1,
      });
    const findings = [
      ...Array.from({ length: 3000 }, (_, i) => long("LOW", i)),
      ...Array.from({ length: 100 }, (_, i) => long("CRITICAL", 10_000 + i)),
    ];
    await ledger.recordScan(IMAGE, { status: "COMPLETE", completedAt: T1 }, findings);
    const stored = await ledger.readImageFindings(IMAGE);
    expect(stored?.truncated).toBe(true);
    expect(stored?.findings.slice(0, 100).every((f) => f.severity === "CRITICAL")).toBe(true);
    expect(stored?.findings.length).toBeLessThan(findings.length);
    expect(dynaliteItemSize(await getRaw(imageFindingsKey(IMAGE)))).toBeLessThanOrEqual(MAX_ITEM_BYTES);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: "warn",
        extra: expect.objectContaining({ total: 3100, kept: stored?.findings.length }),
      }),
    );
  }, 60_000);

  it("reads 250 images in 3 BatchGetItem calls and counts the capacity they consumed", async () => {
    const { ledger } = await freshLedger();
    const images = Array.from({ length: 250 }, (_, i) => ({ ...IMAGE, digest: `sha256:${i}` }));
    for (const image of images.slice(0, 10))
      await ledger.recordScan(image, { status: "COMPLETE", completedAt: T1 });
    const before = ledger.stats();
    const scans = await ledger.lastScans(images);
    const after = ledger.stats();
    expect(scans.size).toBe(10);
    expect((after.calls.BatchGetItem ?? 0) - (before.calls.BatchGetItem ?? 0)).toBe(3);
    expect(after.readCapacityUnits).toBeGreaterThan(before.readCapacityUnits);
    expect(before.writeCapacityUnits).toBeGreaterThan(0);
    expect(before.calls.UpdateItem).toBe(10);
  });

  it("names the table and the image when DynamoDB fails", async () => {
    const ledger = new DynamoDbLedger({ client, tableName: "no-such-table", logger: recordingLogger() });
    const error = await ledger
      .recordScan(IMAGE, { status: "COMPLETE", completedAt: T1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).message).toContain("no-such-table");
    expect((error as LedgerError).message).toContain(imageName(IMAGE));
    expect((error as LedgerError).retryable).toBe(false);
  });
});

/** A client that, on its first `times` BatchGetItem calls, hands back `keep` items and leaves the rest unprocessed. */
function unprocessing(times: number, keep: number): DynamoDBClient["send"] {
  let calls = 0;
  return (async (command: { input: unknown }) => {
    const output = await client.send(command as never);
    if (!(command instanceof BatchGetItemCommand) || calls++ >= times) return output;
    const batch = output as BatchGetItemCommandOutput;
    const [table] = Object.keys(command.input.RequestItems ?? {});
    const items = batch.Responses?.[table as string] ?? [];
    const left = items
      .slice(keep)
      .map((item) => ({ pk: item.pk as AttributeValue, sk: item.sk as AttributeValue }));
    return {
      ...batch,
      Responses: { [table as string]: items.slice(0, keep) },
      UnprocessedKeys: left.length > 0 ? { [table as string]: { Keys: left } } : {},
    };
  }) as DynamoDBClient["send"];
}

describe("unprocessed keys", () => {
  it("are read again with back-off until none is left", async () => {
    const { ledger, sleeps } = await freshLedger({ send: unprocessing(2, 1) });
    const images = Array.from({ length: 4 }, (_, i) => ({ ...IMAGE, digest: `sha256:${i}` }));
    for (const image of images) await ledger.recordScan(image, { status: "COMPLETE", completedAt: T1 });
    expect((await ledger.lastScans(images)).size).toBe(4);
    expect(ledger.stats()).toMatchObject({
      unprocessedRetries: 2,
      unknownKeys: 0,
      calls: { BatchGetItem: 3 },
    });
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] ?? Number.POSITIVE_INFINITY);
  });

  it("are given up after a bounded number of calls, read as unknown and logged", async () => {
    const { ledger, logger } = await freshLedger({ send: unprocessing(Number.POSITIVE_INFINITY, 0) });
    await ledger.recordReport([V1], { digest: IMAGE.digest, scanCompletedAt: T1, findings: [], over: true });
    // The LAST item exists and stays unprocessed (the SENT item does not exist: DynamoDB just leaves it out).
    const histories = await ledger.readReferences([V1], ["slack"]);
    expect(histories.get(referenceName(V1))).toEqual({ known: false });
    expect(ledger.stats()).toMatchObject({ calls: { BatchGetItem: MAX_BATCH_GET_ATTEMPTS }, unknownKeys: 1 });
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: "warn", message: expect.stringContaining("unprocessed") }),
    );
  });
});

describe("references", () => {
  it("records what was reported and reads it back with what each reporter was sent", async () => {
    const { ledger } = await freshLedger();
    const findings = [compact("CVE-1", "CRITICAL", { firstSeen: T1 })];
    await ledger.recordReport([V1, LATEST], {
      digest: IMAGE.digest,
      scanCompletedAt: T2,
      findings,
      over: true,
    });
    const claim = await ledger.claimSend(request({ refs: [V1] }));
    if (claim.outcome !== "claimed") throw new Error(`expected a claim, got ${claim.outcome}`);
    await ledger.completeSend(claim.claim);
    const histories = await ledger.readReferences(
      [V1, LATEST, { ...IMAGE, tag: "never" }],
      ["slack", "email"],
    );
    expect(histories.get(referenceName(V1))).toEqual({
      known: true,
      last: {
        digest: IMAGE.digest,
        scanCompletedAt: T2,
        findings,
        truncated: false,
        skippedFindings: 0,
        over: true,
        reportedAt: T2,
      },
      sent: new Map([
        ["slack", { reporter: "slack", sent: { scanKey: SCAN, over: true, failed: false, at: T2 } }],
      ]),
    });
    expect(histories.get(referenceName(LATEST))).toMatchObject({ known: true, sent: new Map() });
    expect(histories.get(`${IMAGE.registryId}/${IMAGE.repository}:never`)).toEqual({
      known: true,
      sent: new Map(),
    });
  });

  it("keeps the later report when an older one arrives after it", async () => {
    const { ledger } = await freshLedger();
    await ledger.recordReport([V1], { digest: "sha256:new", scanCompletedAt: T2, findings: [], over: false });
    await ledger.recordReport([V1], { digest: "sha256:old", scanCompletedAt: T1, findings: [], over: true });
    const history = (await ledger.readReferences([V1], [])).get(referenceName(V1));
    expect(history).toMatchObject({ known: true, last: { digest: "sha256:new", over: false } });
  });

  it("ignores a malformed item record by record, and logs it with its key", async () => {
    const { ledger, logger, putRaw } = await freshLedger();
    await ledger.recordScan(IMAGE, { status: "COMPLETE", completedAt: T1 });
    const other = { ...IMAGE, digest: "sha256:bad" };
    await putRaw(
      toItem({ ...imageKey(other), schema: 1, status: "COMPLETE", completedAt: "yesterday", updatedAt: T1 }),
    );
    await putRaw(
      toItem({ ...lastReportKey(V1), schema: 1, digest: IMAGE.digest, findings: "CVE-1", over: true }),
    );
    await putRaw(toItem({ ...sentKey(V1, "email"), schema: 7, scanKey: SCAN, over: true, at: T1 }));
    const claim = await ledger.claimSend(
      request({ refs: [V1], reporter: "slack", scanKey: scanKeyOf(IMAGE.digest, T1) }),
    );
    if (claim.outcome === "claimed") await ledger.completeSend(claim.claim);

    expect([...(await ledger.lastScans([IMAGE, other])).keys()]).toEqual([imageName(IMAGE)]);
    const history = (await ledger.readReferences([V1], ["slack", "email"])).get(referenceName(V1));
    expect(history?.known).toBe(true);
    expect(history?.known && history.last).toBeUndefined();
    expect(history?.known && [...history.sent.keys()]).toEqual(["slack"]);
    const ignored = logger.lines
      .filter((line) => line.message === "ledger item ignored")
      .map((line) => line.extra?.sk);
    expect(ignored.sort()).toEqual(["LAST", "SCAN", "SENT#email"]);
  });

  it("reads a stored list with a few bad entries, counting what it skipped", async () => {
    const { ledger, putRaw } = await freshLedger();
    const good = compact("CVE-1", "HIGH");
    await putRaw(
      toItem({
        ...lastReportKey(V1),
        schema: 1,
        digest: IMAGE.digest,
        scanCompletedAt: T1,
        findings: [encodeFinding(good), "CVE-2|?||||", "x"],
        over: true,
        reportedAt: T1,
      }),
    );
    const history = (await ledger.readReferences([V1], [])).get(referenceName(V1));
    expect(history).toMatchObject({ known: true, last: { findings: [good], skippedFindings: 2 } });
  });
});

describe("send claims", () => {
  it("answers a redelivery of a sent scan with already-sent", async () => {
    const { ledger } = await freshLedger();
    const first = await ledger.claimSend(request());
    expect(first.outcome).toBe("claimed");
    if (first.outcome === "claimed") await ledger.completeSend(first.claim);
    expect(await ledger.claimSend(request())).toEqual({ outcome: "already-sent" });
    // Another reporter, or the next scan completion, is a different send.
    expect((await ledger.claimSend(request({ reporter: "email" }))).outcome).toBe("claimed");
    expect(
      (await ledger.claimSend(request({ scanKey: scanKeyOf(IMAGE.digest, "2026-12-08T10:00:00Z") }))).outcome,
    ).toBe("claimed");
  });

  it("lets exactly one of two concurrent claims win", async () => {
    const { ledger } = await freshLedger();
    const outcomes = await Promise.all([
      ledger.claimSend(request({ refs: [V1, LATEST] })),
      ledger.claimSend(request({ refs: [LATEST, V1] })),
    ]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(["claimed", "in-flight"]);
  });

  it("lets a released claim be claimed again", async () => {
    const { ledger } = await freshLedger();
    const first = await ledger.claimSend(request());
    if (first.outcome !== "claimed") throw new Error("expected a claim");
    expect((await ledger.claimSend(request())).outcome).toBe("in-flight");
    await ledger.releaseSend(first.claim);
    expect((await ledger.claimSend(request())).outcome).toBe("claimed");
  });

  it("lets an abandoned claim be claimed again once it has expired, not before", async () => {
    const { ledger, clock } = await freshLedger();
    expect((await ledger.claimSend(request())).outcome).toBe("claimed");
    clock.now = new Date(clock.now.getTime() + CLAIM_TIMEOUT_MS - 60_000);
    expect((await ledger.claimSend(request())).outcome).toBe("in-flight");
    clock.now = new Date(clock.now.getTime() + 2 * 60_000);
    expect((await ledger.claimSend(request())).outcome).toBe("claimed");
  });

  it("does not record a send whose claim expired and was taken over", async () => {
    const { ledger, clock, logger } = await freshLedger();
    const slow = await ledger.claimSend(request());
    clock.now = new Date(clock.now.getTime() + CLAIM_TIMEOUT_MS + 60_000);
    const taker = await ledger.claimSend(request());
    if (slow.outcome !== "claimed" || taker.outcome !== "claimed") throw new Error("expected two claims");
    await ledger.completeSend(slow.claim);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: "warn", message: expect.stringContaining("expired") }),
    );
    await ledger.completeSend(taker.claim);
    expect(await ledger.claimSend(request())).toEqual({ outcome: "already-sent" });
  });

  it("answers for the whole report when one of its references already got this scan, and gives back the rest", async () => {
    const { ledger, getRaw } = await freshLedger();
    const first = await ledger.claimSend(request({ refs: [LATEST] }));
    if (first.outcome === "claimed") await ledger.completeSend(first.claim);
    // The redelivered event finds the image tagged "a-new" too, which sorts (and is claimed) before "latest".
    const newTag = { ...IMAGE, tag: "a-new" };
    expect(await ledger.claimSend(request({ refs: [LATEST, newTag] }))).toEqual({ outcome: "already-sent" });
    const newTagItem = await getRaw(sentKey(newTag, "slack"));
    expect(newTagItem).toBeDefined();
    expect(newTagItem?.claimToken).toBeUndefined();
    expect((await ledger.claimSend(request({ refs: [newTag] }))).outcome).toBe("claimed");
  });

  it("remembers a failed-scan send and its verdict for the next decision", async () => {
    const { ledger } = await freshLedger();
    const claim = await ledger.claimSend(request({ over: true, failedScan: true }));
    if (claim.outcome === "claimed") await ledger.completeSend(claim.claim);
    const history = (await ledger.readReferences([V1], ["slack"])).get(referenceName(V1));
    expect(history?.known && history.sent.get("slack")?.sent).toEqual({
      scanKey: SCAN,
      over: true,
      failed: true,
      at: T2,
    });
  });
});
