// The ledger on the project's sandbox DynamoDB (dynalite behind the sandbox's harshness), one fresh table per call:
// the set-up the tests of the ledger-aware use cases share. Call `useLedgerTables()` at the top of a test file.
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterAll, beforeAll } from "vitest";
import { DynamoDbLedger } from "../../src/ledger/dynamodb-ledger.js";
import { createLedgerTableInput } from "../../src/ledger/table.js";
import { recordingLogger } from "../../src/testing/index.js";

export function useLedgerTables(prefix: string): { freshLedger: () => Promise<DynamoDbLedger> } {
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
    async freshLedger() {
      const tableName = `${prefix}-${++tables}`;
      await client.send(new CreateTableCommand(createLedgerTableInput(tableName)));
      return new DynamoDbLedger({ client, tableName, logger: recordingLogger() });
    },
  };
}
