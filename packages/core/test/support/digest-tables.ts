// Both sides of the ledger (DynamoDbLedger and DynamoDbDigestLedger) on one fresh table of the project's sandbox
// DynamoDB (dynalite behind the sandbox's harshness, as in ledger-tables.ts), with a clock the test moves, a
// logger that keeps its lines, and raw access to the table. Call `useDigestTables()` at the top of a test file.
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from "@aws-sdk/client-dynamodb";
import { fromItem, toItem, type WritableValue } from "../../src/ledger/attributes.js";
import { DynamoDbDigestLedger } from "../../src/ledger/digest-ledger.js";
import { DynamoDbLedger } from "../../src/ledger/dynamodb-ledger.js";
import { recordingLogger } from "../../src/testing/index.js";
import { useSandboxDynamoDb } from "./ledger-tables.js";

export type Send = DynamoDBClient["send"];

export interface DigestTable {
  ledger: DynamoDbLedger;
  digestLedger: DynamoDbDigestLedger;
  tableName: string;
  clock: { now: Date };
  logger: ReturnType<typeof recordingLogger>;
  /** Writes an item as is (a malformed one, another version's). */
  putRaw(item: Record<string, WritableValue | undefined>): Promise<void>;
  /** Every item of a partition (whose sort key begins with `skPrefix`), read straight from the table. */
  partition(pk: string, skPrefix?: string): Promise<Record<string, unknown>[]>;
  /** Items of a global secondary index whose hash key is `value`. */
  queryIndex(indexName: string, hashKey: string, value: string): Promise<Record<string, unknown>[]>;
}

export function useDigestTables(prefix: string, start = "2026-11-30T08:00:00.000Z") {
  const dynamodb = useSandboxDynamoDb(prefix);
  const client = () => dynamodb.client();

  async function query(input: ConstructorParameters<typeof QueryCommand>[0]) {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const output = await client().send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      items.push(...(output.Items ?? []).map(fromItem));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  return {
    /**
     * A fresh table and both ledgers on it. `wrap` stands between the ledgers and DynamoDB (to record or alter
     * calls); the raw helpers go straight to the table.
     */
    async freshTable(options: { wrap?: (send: Send) => Send } = {}): Promise<DigestTable> {
      const tableName = await dynamodb.freshTableName();
      const clock = { now: new Date(start) };
      const logger = recordingLogger();
      const send: Send = options.wrap
        ? options.wrap(client().send.bind(client()) as Send)
        : (client().send.bind(client()) as Send);
      const common = {
        client: { send },
        tableName,
        logger,
        now: () => clock.now,
        sleep: async () => {},
      };
      return {
        ledger: new DynamoDbLedger(common),
        digestLedger: new DynamoDbDigestLedger(common),
        tableName,
        clock,
        logger,
        async putRaw(item) {
          await client().send(new PutItemCommand({ TableName: tableName, Item: toItem(item) }));
        },
        partition: (pk, skPrefix) =>
          query({
            TableName: tableName,
            ConsistentRead: true,
            KeyConditionExpression: skPrefix ? "pk = :pk AND begins_with(sk, :prefix)" : "pk = :pk",
            ExpressionAttributeValues: toItem(skPrefix ? { ":pk": pk, ":prefix": skPrefix } : { ":pk": pk }),
          }),
        queryIndex: (indexName, hashKey, value) =>
          query({
            TableName: tableName,
            IndexName: indexName,
            KeyConditionExpression: "#k = :v",
            ExpressionAttributeNames: { "#k": hashKey },
            ExpressionAttributeValues: toItem({ ":v": value }),
          }),
      };
    },
  };
}
