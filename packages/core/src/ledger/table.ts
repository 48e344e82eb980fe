import type {
  CreateTableCommandInput,
  UpdateContinuousBackupsCommandInput,
  UpdateTimeToLiveCommandInput,
} from "@aws-sdk/client-dynamodb";

/**
 * The findings ledger's table, as the Terraform module creates it and the sandbox and the demo create it "as the
 * module would" (a test compares the two). One table, a string partition key and a string sort key; on-demand
 * billing, encryption with KMS, point-in-time recovery, and a TTL attribute that expires the records of images gone
 * from the registry. Two sparse global secondary indexes over the vulnerability-index items (one per image and
 * finding, records.ts `VULN#`): by vulnerability id, and by package name, for `exposure` ("which images contain
 * CVE-X / log4j-core 2.14?") without scanning the table.
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
    { AttributeName: "vulnerability", AttributeType: "S" },
    { AttributeName: "image", AttributeType: "S" },
    { AttributeName: "package", AttributeType: "S" },
  ],
  /**
   * Projection ALL: the items are small (~300 bytes) and a query must answer without a read of the table per image.
   * `by-package` leaves out findings without a package name (a key attribute may not be empty): nothing to find by
   * package there.
   */
  globalSecondaryIndexes: [
    { name: "by-vulnerability", hashKey: "vulnerability", rangeKey: "image" },
    { name: "by-package", hashKey: "package", rangeKey: "vulnerability" },
  ],
  billingMode: "PAY_PER_REQUEST",
  /** Epoch seconds; DynamoDB deletes an item some time after it has passed. */
  ttlAttribute: "expiresAt",
  pointInTimeRecovery: true,
  deletionProtection: true,
  sseType: "KMS",
} as const;

export const VULNERABILITY_INDEX = LEDGER_TABLE.globalSecondaryIndexes[0].name;
export const PACKAGE_INDEX = LEDGER_TABLE.globalSecondaryIndexes[1].name;

/** CreateTable as the module creates the table; `kmsKeyArn` for a customer managed key (else the AWS managed one). */
export function createLedgerTableInput(
  tableName: string,
  options: { kmsKeyArn?: string } = {},
): CreateTableCommandInput {
  return {
    TableName: tableName,
    KeySchema: LEDGER_TABLE.keySchema.map((key) => ({ ...key })),
    AttributeDefinitions: LEDGER_TABLE.attributeDefinitions.map((attribute) => ({ ...attribute })),
    GlobalSecondaryIndexes: LEDGER_TABLE.globalSecondaryIndexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.hashKey, KeyType: "HASH" },
        { AttributeName: index.rangeKey, KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    })),
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
