import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index.js";

// What the sandbox counts of DynamoDB's capacity (src/dynamodb.ts, consumedCapacity and conditionalCheckFailures):
// the figures the bench reports per report, from the answers the real SDK client gets.

const TABLE = "capacity-counts";
let sandbox: Sandbox | undefined;
let client: DynamoDBClient | undefined;

afterEach(async () => {
  client?.destroy();
  await sandbox?.close();
  sandbox = client = undefined;
});

async function start(): Promise<{ on: Sandbox; ddb: DynamoDBClient }> {
  sandbox = await startSandbox();
  await sandbox.dynamodb.createTable({
    TableName: TABLE,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  });
  client = new DynamoDBClient({
    region: "eu-west-1",
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId: "sandbox", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  return { on: sandbox, ddb: client };
}

describe("the sandbox's DynamoDB capacity counts", () => {
  it("sums the ConsumedCapacity of the answers per operation: write units by KB, eventually consistent reads at half a unit per 4 KB", async () => {
    const { on, ddb } = await start();
    const big = "x".repeat(2_500);
    await ddb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: "small" } },
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    await ddb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { pk: { S: "big" }, body: { S: big } },
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    // Not asked for: DynamoDB answers no ConsumedCapacity, so nothing is counted.
    await ddb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "quiet" } } }));
    expect(on.dynamodb.consumedCapacity).toEqual({ PutItem: 1 + 3 });

    await ddb.send(
      new GetItemCommand({ TableName: TABLE, Key: { pk: { S: "big" } }, ReturnConsumedCapacity: "TOTAL" }),
    );
    await ddb.send(
      new BatchGetItemCommand({
        RequestItems: { [TABLE]: { Keys: [{ pk: { S: "small" } }, { pk: { S: "big" } }] } },
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    expect(on.dynamodb.consumedCapacity).toEqual({ PutItem: 4, GetItem: 0.5, BatchGetItem: 1 });
    expect(on.dynamodb.conditionalCheckFailures).toEqual({});
  });

  it("counts a refused conditional write apart: billed by DynamoDB, yet its answer carries no ConsumedCapacity", async () => {
    const { on, ddb } = await start();
    const put = () =>
      ddb.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { pk: { S: "once" } },
          ConditionExpression: "attribute_not_exists(pk)",
          ReturnConsumedCapacity: "TOTAL",
        }),
      );
    await put();
    await expect(put()).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    expect(on.dynamodb.conditionalCheckFailures).toEqual({ PutItem: 1 });
    expect(on.dynamodb.consumedCapacity).toEqual({ PutItem: 1 });
  });
});
