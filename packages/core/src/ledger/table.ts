import type {
  CreateTableCommandInput,
  UpdateContinuousBackupsCommandInput,
  UpdateTimeToLiveCommandInput,
} from "@aws-sdk/client-dynamodb";

/**
 * The findings ledger's table, as the Terraform module creates it and the sandbox and the demo create it "as the
 * module would" (a test compares the two). One table, a string partition key and a string sort key, no secondary
 * index; on-demand billing, encryption with KMS, point-in-time recovery, and a TTL attribute that expires the
 * records of images gone from the registry.
 */
export const LEDGER_TABLE = {
  partitionKey: "pk",
  sortKey: "sk",
  keySchema: [
    { AttributeName: "pk", KeyType: "HASH" },
    { AttributeName: "sk", KeyType: "RANGE" },
  ],
  attributeDefinitions: [
    { AttributeName: "pk", AttributeType: "S" },
    { AttributeName: "sk", AttributeType: "S" },
  ],
  billingMode: "PAY_PER_REQUEST",
  /** Epoch seconds; DynamoDB deletes an item some time after it has passed. */
  ttlAttribute: "expiresAt",
  pointInTimeRecovery: true,
  deletionProtection: true,
  sseType: "KMS",
} as const;

/** CreateTable as the module creates the table; `kmsKeyArn` for a customer managed key (else the AWS managed one). */
export function createLedgerTableInput(
  tableName: string,
  options: { kmsKeyArn?: string } = {},
): CreateTableCommandInput {
  return {
    TableName: tableName,
    KeySchema: LEDGER_TABLE.keySchema.map((key) => ({ ...key })),
    AttributeDefinitions: LEDGER_TABLE.attributeDefinitions.map((attribute) => ({ ...attribute })),
    BillingMode: LEDGER_TABLE.billingMode,
    SSESpecification: {
      Enabled: true,
      SSEType: LEDGER_TABLE.sseType,
      ...(options.kmsKeyArn ? { KMSMasterKeyId: options.kmsKeyArn } : {}),
    },
    DeletionProtectionEnabled: LEDGER_TABLE.deletionProtection,
  };
}

/** UpdateTimeToLive that turns the ledger's TTL on (a separate call after CreateTable, as in the AWS API). */
export function ledgerTimeToLiveInput(tableName: string): UpdateTimeToLiveCommandInput {
  return {
    TableName: tableName,
    TimeToLiveSpecification: { Enabled: true, AttributeName: LEDGER_TABLE.ttlAttribute },
  };
}

/** UpdateContinuousBackups that turns point-in-time recovery on (also a separate call after CreateTable). */
export function ledgerPointInTimeRecoveryInput(tableName: string): UpdateContinuousBackupsCommandInput {
  return {
    TableName: tableName,
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: LEDGER_TABLE.pointInTimeRecovery },
  };
}
