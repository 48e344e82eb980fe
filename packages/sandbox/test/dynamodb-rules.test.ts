import { describe, expect, it } from "vitest";
import {
  dynamodbRequests,
  splitBatchGet,
  splitBatchWrite,
  TIME_TO_LIVE_CHANGE_MS,
  throttlingError,
  timeToLiveChange,
} from "../src/index.js";

// The decisions of the sandbox's DynamoDB that are pure (src/iam/requests.ts, src/dynamodb.ts); the e2e test
// (dynamodb.e2e.test.ts) shows them to the SDK client.

const ctx = { accountId: "123456789012", region: "eu-west-1" };
const table = (name: string) => `arn:aws:dynamodb:eu-west-1:123456789012:table/${name}`;

describe("what a DynamoDB request must be authorized for", () => {
  it.each([
    ["GetItem on the table", "GetItem", { TableName: "ledger" }, [["dynamodb:GetItem", table("ledger")]]],
    [
      "a table given by its ARN",
      "PutItem",
      { TableName: table("ledger") },
      [["dynamodb:PutItem", table("ledger")]],
    ],
    [
      "a Query of an index, on the index",
      "Query",
      { TableName: "ledger", IndexName: "by-status" },
      [["dynamodb:Query", `${table("ledger")}/index/by-status`]],
    ],
    [
      "a Scan of an index, on the index",
      "Scan",
      { TableName: "ledger", IndexName: "by-status" },
      [["dynamodb:Scan", `${table("ledger")}/index/by-status`]],
    ],
    [
      "BatchGetItem, on each table",
      "BatchGetItem",
      { RequestItems: { ledger: { Keys: [] }, other: { Keys: [] } } },
      [
        ["dynamodb:BatchGetItem", table("ledger")],
        ["dynamodb:BatchGetItem", table("other")],
      ],
    ],
    [
      "BatchWriteItem, on each table",
      "BatchWriteItem",
      { RequestItems: { ledger: [] } },
      [["dynamodb:BatchWriteItem", table("ledger")]],
    ],
    ["ListTables, on no resource", "ListTables", {}, [["dynamodb:ListTables", "*"]]],
    [
      "TagResource, on the ARN given",
      "TagResource",
      { ResourceArn: table("ledger") },
      [["dynamodb:TagResource", table("ledger")]],
    ],
  ])("%s", (_what, operation, input, expected) => {
    expect(dynamodbRequests(ctx, operation, input).map((r) => [r.action, r.resource])).toEqual(expected);
  });
});

describe("BatchGetItem's partial answers", () => {
  it("reads the first keys table by table in the request's order and leaves the rest, with how to read them", () => {
    const keys = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ pk: { S: `${prefix}${i}` } }));
    const { processed, unprocessed } = splitBatchGet(
      {
        a: { Keys: keys("a", 30), ConsistentRead: true },
        b: { Keys: keys("b", 30), ProjectionExpression: "pk" },
        c: { Keys: keys("c", 5) },
      },
      50,
    );
    expect(processed).toEqual({
      a: { Keys: keys("a", 30), ConsistentRead: true },
      b: { Keys: keys("b", 20), ProjectionExpression: "pk" },
    });
    expect(unprocessed).toEqual({
      b: { Keys: keys("b", 30).slice(20), ProjectionExpression: "pk" },
      c: { Keys: keys("c", 5) },
    });
  });
});

describe("BatchWriteItem's partial answers", () => {
  it("writes the first requests table by table in the request's order and leaves the rest as they were sent", () => {
    const puts = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => ({ PutRequest: { Item: { pk: { S: `${prefix}${i}` } } } }));
    const deletes = [{ DeleteRequest: { Key: { pk: { S: "d0" } } } }];
    const { processed, unprocessed } = splitBatchWrite({ a: puts("a", 15), b: puts("b", 9), c: deletes }, 20);
    expect(processed).toEqual({ a: puts("a", 15), b: puts("b", 5) });
    expect(unprocessed).toEqual({ b: puts("b", 9).slice(5), c: deletes });
  });

  it("leaves nothing unprocessed within the budget, and everything with none", () => {
    const requests = { a: [{ DeleteRequest: { Key: { pk: { S: "x" } } } }] };
    expect(splitBatchWrite(requests, 25)).toEqual({ processed: requests, unprocessed: {} });
    expect(splitBatchWrite(requests, 0)).toEqual({ processed: {}, unprocessed: requests });
  });
});

describe("throttling errors", () => {
  it.each([
    ["GetItem", "PAY_PER_REQUEST", "ThrottlingException"],
    ["PutItem", "PROVISIONED", "ProvisionedThroughputExceededException"],
    ["Query", undefined, "ProvisionedThroughputExceededException"],
    ["CreateTable", "PAY_PER_REQUEST", "ThrottlingException"],
  ])("%s on a %s table: %s", (operation, billingMode, type) => {
    expect(throttlingError(operation, billingMode).type).toBe(type);
  });
});

describe("UpdateTimeToLive", () => {
  const at = 1_000_000_000_000;
  const enabled = { attributeName: "expiresAt", enabled: true, changedAt: at - TIME_TO_LIVE_CHANGE_MS };

  it.each([
    [
      "enabling again",
      enabled,
      { AttributeName: "expiresAt", Enabled: true },
      "TimeToLive is already enabled",
    ],
    [
      "enabling another attribute",
      enabled,
      { AttributeName: "ttl", Enabled: true },
      "TimeToLive is active on a different AttributeName",
    ],
    [
      "disabling what is off",
      undefined,
      { AttributeName: "expiresAt", Enabled: false },
      "TimeToLive is already disabled",
    ],
    [
      "a change within the hour",
      { ...enabled, changedAt: at - TIME_TO_LIVE_CHANGE_MS + 1 },
      { AttributeName: "expiresAt", Enabled: false },
      "Time to live has been modified multiple times within a fixed interval",
    ],
  ])("refuses %s", (_what, current, specification, message) => {
    expect(timeToLiveChange(current, specification, at)).toBe(message);
  });

  it("takes a change an hour after the last one", () => {
    expect(timeToLiveChange(enabled, { AttributeName: "expiresAt", Enabled: false }, at)).toEqual({
      attributeName: "expiresAt",
      enabled: false,
      changedAt: at,
    });
  });
});
