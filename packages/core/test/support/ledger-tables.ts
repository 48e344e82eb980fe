// The ledger on the project's sandbox DynamoDB (dynalite behind the sandbox's harshness), one fresh table per call:
// the set-up the tests of the ledger and its use cases share. Call `useLedgerTables()` (or, for raw access,
// `useSandboxDynamoDb()`) at the top of a test file.
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterAll, beforeAll } from "vitest";
import { DynamoDbLedger } from "../../src/ledger/dynamodb-ledger.js";
import { createLedgerTableInput } from "../../src/ledger/table.js";
import { recordingLogger } from "../../src/testing/index.js";

/** A sandbox for the file's tests, a client of its DynamoDB (no SDK retries), and fresh ledger tables on it. */
export function useSandboxDynamoDb(prefix: string) {
  let sandbox: Sandbox;
  let client: DynamoDBClient;
  let tables = 0;
  beforeAll(async () => {
    sandbox = await startSandbox();
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
  return {
    client: () => client,
    sandbox: () => sandbox,
    /** Creates a ledger table as the module would, and gives its name. */
    async freshTableName(): Promise<string> {
      const tableName = `${prefix}-${++tables}`;
      await client.send(new CreateTableCommand(createLedgerTableInput(tableName)));
      return tableName;
    },
  };
}

export function useLedgerTables(prefix: string): { freshLedger: () => Promise<DynamoDbLedger> } {
  const dynamodb = useSandboxDynamoDb(prefix);
  return {
    async freshLedger() {
      const tableName = await dynamodb.freshTableName();
      return new DynamoDbLedger({ client: dynamodb.client(), tableName, logger: recordingLogger() });
    },
  };
}
