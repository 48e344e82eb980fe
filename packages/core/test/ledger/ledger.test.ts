import { describe, expect, it } from "vitest";
import { DynamoDbLedger } from "../../src/ledger/dynamodb-ledger.js";
import { DEFAULT_LEDGER_MAX_ATTEMPTS, ledgerFromEnvironment, openLedger } from "../../src/ledger/index.js";
import { disabledLedger, LedgerError, lastScanOf, NO_LEDGER_MESSAGE } from "../../src/ledger/ledger.js";
import { recordingLogger } from "./fixtures.js";

const IMAGE = { registryId: "123456789012", repository: "team-a/api", digest: "sha256:abc" };
const REF = { ...IMAGE, tag: "v1" };

describe("disabledLedger", () => {
  it("says once, on the first read, that changes cannot be computed", async () => {
    const logger = recordingLogger();
    const ledger = disabledLedger(logger);
    expect(logger.lines).toEqual([]);
    await ledger.readReferences([REF], ["slack"]);
    await ledger.lastScans([IMAGE]);
    await ledger.readReferences([REF], ["slack"]);
    expect(logger.lines).toEqual([{ level: "warn", message: NO_LEDGER_MESSAGE, extra: undefined }]);
    expect(NO_LEDGER_MESSAGE).toContain("LEDGER_TABLE_NAME");
  });

  it("knows nothing and keeps nothing", async () => {
    const ledger = disabledLedger(recordingLogger());
    expect(ledger.enabled).toBe(false);
    expect(await ledger.lastScans([IMAGE])).toEqual(new Map());
    expect(await ledger.readReferences([REF, IMAGE], ["slack"])).toEqual(
      new Map([
        ["123456789012/team-a/api:v1", { known: false }],
        ["123456789012/team-a/api@sha256:abc", { known: false }],
      ]),
    );
    expect(
      await ledger.recordScan(IMAGE, { status: "COMPLETE", completedAt: "2026-12-01T10:00:00.000Z" }),
    ).toBe("disabled");
    expect(await ledger.readImageFindings(IMAGE)).toBeUndefined();
  });

  it("grants every claim, even of the same send twice: there is nothing to deduplicate with", async () => {
    const ledger = disabledLedger(recordingLogger());
    const request = { refs: [REF], reporter: "slack", scanKey: "sha256:abc#t", over: true };
    expect((await ledger.claimSend(request)).outcome).toBe("claimed");
    expect((await ledger.claimSend(request)).outcome).toBe("claimed");
  });
});

describe("openLedger", () => {
  it("without a table name opens the stand-in and creates no client", () => {
    for (const tableName of [undefined, "", "  "]) {
      const ledger = openLedger({
        tableName,
        client: () => {
          throw new Error("no client expected");
        },
        logger: recordingLogger(),
      });
      expect(ledger.enabled).toBe(false);
    }
  });

  it("with a table name opens the DynamoDB ledger on that table", () => {
    const ledger = openLedger({
      tableName: " ledger ",
      client: () => ({ send: async () => ({}) }),
      logger: recordingLogger(),
    });
    expect(ledger).toBeInstanceOf(DynamoDbLedger);
    expect((ledger as DynamoDbLedger).tableName).toBe("ledger");
  });
});

describe("ledgerFromEnvironment", () => {
  const clientOf = (ledger: unknown) =>
    (ledger as { client: { config: { maxAttempts: () => Promise<number> } } }).client;

  it("opens the table LEDGER_TABLE_NAME names, and the stand-in without it", async () => {
    expect(ledgerFromEnvironment({}, recordingLogger()).enabled).toBe(false);
    const ledger = ledgerFromEnvironment({ LEDGER_TABLE_NAME: "scans-ledger" }, recordingLogger());
    expect((ledger as DynamoDbLedger).tableName).toBe("scans-ledger");
    expect(await clientOf(ledger).config.maxAttempts()).toBe(DEFAULT_LEDGER_MAX_ATTEMPTS);
  });

  it("takes its attempts per call from AWS_MAX_ATTEMPTS, as the ECR client does", async () => {
    const env = { LEDGER_TABLE_NAME: "t", AWS_MAX_ATTEMPTS: "2" };
    expect(await clientOf(ledgerFromEnvironment(env, recordingLogger())).config.maxAttempts()).toBe(2);
    const nonsense = { LEDGER_TABLE_NAME: "t", AWS_MAX_ATTEMPTS: "many" };
    expect(await clientOf(ledgerFromEnvironment(nonsense, recordingLogger())).config.maxAttempts()).toBe(
      DEFAULT_LEDGER_MAX_ATTEMPTS,
    );
  });
});

describe("lastScanOf", () => {
  it("gives the scheduler a scanned LastScan with a Date", () => {
    expect(
      lastScanOf({ status: "COMPLETE", completedAt: "2026-12-01T10:00:00.000Z", description: "ok" }),
    ).toEqual({
      kind: "scanned",
      status: "COMPLETE",
      completedAt: new Date("2026-12-01T10:00:00.000Z"),
      description: "ok",
    });
  });
});

describe("LedgerError", () => {
  it("names the table, the operation and the subject, and tells a throttle from a denial", () => {
    const throttled = new LedgerError("UpdateItem", "ledger", "123/team-a/api@sha256:abc", {
      name: "ProvisionedThroughputExceededException",
      $metadata: { httpStatusCode: 400 },
    });
    expect(throttled.message).toContain("table ledger");
    expect(throttled.message).toContain("123/team-a/api@sha256:abc");
    expect(throttled.retryable).toBe(true);
    const denied = new LedgerError(
      "UpdateItem",
      "ledger",
      "x",
      Object.assign(new Error("no"), { name: "AccessDeniedException", $fault: "client" }),
    );
    expect(denied.retryable).toBe(false);
  });
});
