import { randomBytes } from "node:crypto";
import { Agent, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { crc32 } from "node:zlib";
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type KeySchemaElement,
  ResourceNotFoundException,
  ScanCommand,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import { createLedgerTableInput, LEDGER_TABLE } from "@ecr-scan-reporter/core";
import dynaliteModule from "dynalite";
import { notAuthorizedMessage } from "./iam/authorizer.js";
import { type AccountContext, dynamodbRequests } from "./iam/requests.js";
import type { AwsHttpServer } from "./server.js";

// Amazon DynamoDB on the sandbox's endpoint: dynalite (an implementation of DynamoDB on LevelDB, kept in memory here)
// answers every request, behind the sandbox's front door — the account's IAM, the call counts, rate limits and
// injected faults — and with the harshness of the real service that dynalite lacks added on top.
//
// | Behaviour                                                       | From                                       |
// |-----------------------------------------------------------------|--------------------------------------------|
// | Tables, items, Query/Scan, condition/update/projection          | dynalite (ConditionalCheckFailedException, |
// | expressions, validation errors in AWS's words                   | ValidationException as AWS words them)     |
// | Item size limit 400 KB                                          | dynalite ("Item size has exceeded the      |
// |                                                                 | maximum allowed size")                     |
// | BatchGetItem: 1–100 keys, no duplicate keys; items in no        | dynalite (its answer limit is about 1 MB,  |
// | particular order; keys past the answer's size limit come back   | harsher than AWS's 16 MB)                  |
// | in UnprocessedKeys                                              |                                            |
// | BatchWriteItem: 1–25 put or delete requests, no duplicate keys, | dynalite ("Provided list of item keys      |
// | every table there; UnprocessedItems {} (it writes them all)     | contains duplicates" as AWS words it)      |
// | Global secondary indexes: CreateTable with them (ACTIVE with    | dynalite                                   |
// | the table), Query/Scan with IndexName, sparse (an item without  |                                            |
// | the index's keys is not in it), projection; "Consistent reads   |                                            |
// | are not supported on global secondary indexes"                  |                                            |
// | ResourceNotFoundException for a missing table                   | dynalite                                   |
// | Table ARNs of the sandbox's account and region                  | dynalite, told them at start               |
// | IAM: dynamodb:<Operation> on the table ARN; a Query or Scan of  | the sandbox (iam/requests.ts, from the     |
// | an index on `table/<t>/index/<i>`; BatchGetItem/BatchWriteItem  | Service Authorization Reference and the    |
// | on each table of RequestItems; AccessDeniedException, HTTP 400, | Developer Guide's "IAM policy to grant     |
// | IAM's words                                                     | access to a specific DynamoDB table and    |
// |                                                                 | its indexes")                              |
// | Call counts (`dynamodb:<Operation>`), injected faults           | the sandbox (server.ts)                    |
// | Answers dated by the sandbox's clock (the SDK corrects its own  | the sandbox (server.ts)                    |
// | by Date, and retries an error that came with a skewed one)      |                                            |
// | Consumed capacity per operation (the answers' ConsumedCapacity  | the sandbox (countCapacity), from          |
// | summed) and refused conditional writes, for the bench           | dynalite's answers                         |
// | Throttling (rateLimits): ThrottlingException on an on-demand    | the sandbox (throttlingError)              |
// | table, ProvisionedThroughputExceededException on a provisioned  |                                            |
// | one, ThrottlingException for control-plane operations           |                                            |
// | BatchGetItem partial answers: keys past the 50th of a call of   | the sandbox (batchGetUnprocessed; dynalite |
// | 60 keys or more come back in UnprocessedKeys                    | answers every key it can)                  |
// | UpdateTimeToLive / DescribeTimeToLive (ENABLING for an hour,    | the sandbox (dynalite has no               |
// | one change an hour, "already enabled")                          | UpdateTimeToLive; its Describe says        |
// |                                                                 | DISABLED)                                  |
// | UpdateContinuousBackups / DescribeContinuousBackups: the PITR   | the sandbox (the setting only: nothing is  |
// | setting                                                         | backed up or restorable)                   |
// | BatchWriteItem partial answers (batchWriteUnprocessed): requests | the sandbox (splitBatchWrite; dynalite     |
// | past the 15th of a call of 20 or more come back, unwritten, in   | writes every request)                      |
// | UnprocessedItems                                                 |                                            |
// | ReturnValuesOnConditionCheckFailure ALL_OLD: the item as it was | the sandbox (dynalite ignores it; read     |
// | in ConditionalCheckFailedException                              | back right after the failed write)         |
// | Deleting expired items                                          | never by itself (AWS takes up to days);    |
// |                                                                 | expireItems() runs it on demand            |
// | A global secondary index updated asynchronously ("eventually    | not modeled: the sandbox's indexes are up  |
// | consistent", Developer Guide, "Global secondary indexes")       | to date when the write returns             |
// | Write units of index updates in ConsumedCapacity (AWS adds a    | not counted: dynalite's ConsumedCapacity   |
// | write per index the item enters, changes in or leaves)          | is the table's only, so index writes are   |
// |                                                                 | missing from consumedCapacity              |
// | Transactions (TransactWriteItems, TransactGetItems), PartiQL,   | not served: dynalite answers               |
// | Streams, backups, deletion protection, SSE key checks           | UnknownOperationException / ignores them   |

/** The X-Amz-Target prefix of DynamoDB's JSON protocol. */
export const DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810";

/**
 * The namespace DynamoDB puts before an error's name: `{"__type":"com.amazonaws.dynamodb.v20120810#
 * ResourceNotFoundException", …}` (DynamoDB Developer Guide, "Error handling with DynamoDB", "Error components").
 */
const ERROR_NAMESPACE = "com.amazonaws.dynamodb.v20120810#";

export interface DynamoDbOptions {
  /**
   * BatchGetItem's partial answers: a call asking for `fromKeys` keys or more gets only its first `processKeys`
   * read, the others back in UnprocessedKeys (which, at ≤ 50 keys, a retry then gets whole); `false` reads every
   * key, as dynalite does. On by default: AWS "returns a partial result if the response size limit is exceeded, the
   * table's provisioned throughput is exceeded, more than 1MB per partition is requested, or an internal processing
   * failure occurs … If DynamoDB returns any unprocessed items, you should retry the batch operation on those
   * items" (API reference, BatchGetItem) — a client that ignores UnprocessedKeys loses reads; here it always does.
   */
  batchGetUnprocessed?: { fromKeys: number; processKeys: number } | false;
  /**
   * BatchWriteItem's partial answers: a call of `fromItems` put or delete requests or more has only its first
   * `processItems` written, the others answered, unwritten, in UnprocessedItems; `false` writes every request, as
   * dynalite does. On by default, like BatchGetItem's: AWS does it "if any requested operations fail because the
   * table's provisioned throughput is exceeded or an internal processing failure occurs … Typically, you would call
   * BatchWriteItem in a loop" (API reference, BatchWriteItem): a writer that ignores UnprocessedItems loses writes
   * silently; here it always would.
   */
  batchWriteUnprocessed?: { fromItems: number; processItems: number } | false;
  /** How long a new table stays CREATING (ms); 0 by default. */
  createTableMs?: number;
}

const DEFAULT_BATCH_GET_UNPROCESSED = { fromKeys: 60, processKeys: 50 };
const DEFAULT_BATCH_WRITE_UNPROCESSED = { fromItems: 20, processItems: 15 };

/** One answer to a DynamoDB request: dynalite's as it gave it, or one the sandbox made in DynamoDB's shape. */
interface DynamoAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * A request id as DynamoDB spells them (52 upper-case letters and digits, e.g. LDM6CJP8RMQ1FHKSC1RBVJFPNVV4KQNSO5AEMF66Q9ASUAAJG…).
 */
const requestId = () => randomBytes(39).toString("base64").toUpperCase().replace(/[+/=]/g, "0").slice(0, 52);

/**
 * A JSON answer in DynamoDB's form: `application/x-amz-json-1.0`, with the CRC32 of the body in `x-amz-crc32`
 * (which DynamoDB sends for clients to check the body with).
 */
function jsonAnswer(status: number, payload: unknown): DynamoAnswer {
  const body = Buffer.from(JSON.stringify(payload), "utf8");
  return {
    status,
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-crc32": String(crc32(body)),
      "x-amzn-requestid": requestId(),
    },
    body,
  };
}

function errorAnswer(type: string, message: string, status = 400): DynamoAnswer {
  return jsonAnswer(status, { __type: type.includes("#") ? type : `${ERROR_NAMESPACE}${type}`, message });
}

// ---- Throttling ----------------------------------------------------------------------------------------------

/** Operations that read or write items: throttled by the table's capacity, not by the control plane's rate. */
const DATA_PLANE_OPERATIONS = new Set([
  "GetItem",
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "Query",
  "Scan",
  "BatchGetItem",
  "BatchWriteItem",
  "TransactGetItems",
  "TransactWriteItems",
  "ExecuteStatement",
  "BatchExecuteStatement",
  "ExecuteTransaction",
]);

/**
 * The error DynamoDB throttles a request with, by what was exceeded:
 * - an on-demand table's capacity: ThrottlingException, "Throughput exceeds the current capacity of your table or
 *   index. DynamoDB is automatically scaling …" (as AWS answers it, e.g. praetorian-inc/chariot-ui#684,
 *   cowinapi/developer.cowin#151);
 * - a provisioned table's: ProvisionedThroughputExceededException, "The level of configured provisioned throughput
 *   for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API." (as AWS
 *   answers it, e.g. source-cooperative/source.coop#12);
 * - the control plane's rate (CreateTable, UpdateTable, DeleteTable … "too rapidly"): ThrottlingException, "Rate of
 *   requests exceeds the allowed throughput." (DynamoDB Developer Guide, "Error handling with DynamoDB").
 * All are HTTP 400, and retried by the AWS SDKs with backoff.
 */
export function throttlingError(
  operation: string,
  billingMode: string | undefined,
): { type: string; message: string } {
  if (!DATA_PLANE_OPERATIONS.has(operation)) {
    return { type: "ThrottlingException", message: "Rate of requests exceeds the allowed throughput." };
  }
  if (billingMode === "PAY_PER_REQUEST") {
    return {
      type: "ThrottlingException",
      message:
        "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html",
    };
  }
  return {
    type: "ProvisionedThroughputExceededException",
    message:
      "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
  };
}

// ---- BatchGetItem's partial answers ----------------------------------------------------------------------------

/** BatchGetItem's RequestItems (and UnprocessedKeys): per table, its keys and how to read them. */
export type BatchGetRequestItems = Record<string, Record<string, unknown> & { Keys?: unknown[] }>;

/**
 * The part of a BatchGetItem that is read now — its first `processKeys` keys, table by table in the request's
 * order — and the part answered as UnprocessedKeys, each table's entry keeping how to read its keys (projection,
 * consistency), as UnprocessedKeys does.
 */
export function splitBatchGet(
  requestItems: BatchGetRequestItems,
  processKeys: number,
): { processed: BatchGetRequestItems; unprocessed: BatchGetRequestItems } {
  const processed: BatchGetRequestItems = {};
  const unprocessed: BatchGetRequestItems = {};
  let budget = processKeys;
  for (const [table, entry] of Object.entries(requestItems)) {
    const keys = entry.Keys ?? [];
    const now = keys.slice(0, Math.max(budget, 0));
    const later = keys.slice(now.length);
    budget -= now.length;
    if (now.length > 0) processed[table] = { ...entry, Keys: now };
    if (later.length > 0) unprocessed[table] = { ...entry, Keys: later };
  }
  return { processed, unprocessed };
}

const keyCount = (requestItems: BatchGetRequestItems) =>
  Object.values(requestItems).reduce((n, entry) => n + (entry.Keys?.length ?? 0), 0);

/** UnprocessedKeys of two answers together: the keys of a table in both, one after the other. */
function mergeUnprocessed(a: BatchGetRequestItems, b: BatchGetRequestItems): BatchGetRequestItems {
  const merged: BatchGetRequestItems = { ...a };
  for (const [table, entry] of Object.entries(b)) {
    const existing = merged[table];
    merged[table] = existing
      ? { ...existing, Keys: [...(existing.Keys ?? []), ...(entry.Keys ?? [])] }
      : entry;
  }
  return merged;
}

// ---- BatchWriteItem's partial answers ---------------------------------------------------------------------------

/** BatchWriteItem's RequestItems (and UnprocessedItems): per table, its put and delete requests. */
export type BatchWriteRequestItems = Record<string, unknown[]>;

/**
 * The part of a BatchWriteItem that is written now — its first `processItems` requests, table by table in the
 * request's order — and the part answered as UnprocessedItems, in the request's own shape (a retry sends it as is).
 */
export function splitBatchWrite(
  requestItems: BatchWriteRequestItems,
  processItems: number,
): { processed: BatchWriteRequestItems; unprocessed: BatchWriteRequestItems } {
  const processed: BatchWriteRequestItems = {};
  const unprocessed: BatchWriteRequestItems = {};
  let budget = processItems;
  for (const [table, requests] of Object.entries(requestItems)) {
    const list = Array.isArray(requests) ? requests : [];
    const now = list.slice(0, Math.max(budget, 0));
    const later = list.slice(now.length);
    budget -= now.length;
    if (now.length > 0) processed[table] = now;
    if (later.length > 0) unprocessed[table] = later;
  }
  return { processed, unprocessed };
}

const requestCount = (requestItems: BatchWriteRequestItems) =>
  Object.values(requestItems).reduce((n, requests) => n + (Array.isArray(requests) ? requests.length : 0), 0);

/** BatchWriteItem takes at most 25 put or delete requests (API reference, BatchWriteItem). */
const BATCH_WRITE_MAX_REQUESTS = 25;

// ---- Time to live ----------------------------------------------------------------------------------------------

/** A table's TTL setting, and when it last changed (sandbox clock, ms). */
export interface TimeToLiveState {
  attributeName: string;
  enabled: boolean;
  changedAt: number;
}

/**
 * "It can take up to one hour for the change to fully process. Any additional UpdateTimeToLive calls for the same
 * table during this one hour duration result in a ValidationException." (API reference, UpdateTimeToLive.)
 */
export const TIME_TO_LIVE_CHANGE_MS = 60 * 60 * 1000;

/** DescribeTimeToLive's TimeToLiveDescription: ENABLING/DISABLING for the hour after a change. */
export function timeToLiveDescription(
  state: TimeToLiveState | undefined,
  now: number,
): { TimeToLiveStatus: string; AttributeName?: string } {
  if (!state) return { TimeToLiveStatus: "DISABLED" };
  const settling = now - state.changedAt < TIME_TO_LIVE_CHANGE_MS;
  const status = state.enabled ? (settling ? "ENABLING" : "ENABLED") : settling ? "DISABLING" : "DISABLED";
  return { TimeToLiveStatus: status, AttributeName: state.attributeName };
}

/**
 * The new TTL setting of an UpdateTimeToLive, or the ValidationException's message refusing it, in AWS's words:
 * "TimeToLive is already enabled" / "… disabled" (the operation is not idempotent), "TimeToLive is active on a
 * different AttributeName" (go-to-k/cdkd#932), "Time to live has been modified multiple times within a fixed
 * interval" within the hour after a change (aws/aws-cdk#13720).
 */
export function timeToLiveChange(
  current: TimeToLiveState | undefined,
  specification: unknown,
  now: number,
): TimeToLiveState | string {
  const spec = specification as { AttributeName?: unknown; Enabled?: unknown } | undefined;
  if (typeof spec !== "object" || spec === null) {
    return "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null";
  }
  const name = spec.AttributeName;
  if (typeof name !== "string" || name.length < 1 || name.length > 255) {
    return `1 validation error detected: Value '${String(name)}' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length between 1 and 255`;
  }
  if (typeof spec.Enabled !== "boolean") {
    return "1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null";
  }
  const enabled = current?.enabled ?? false;
  if (spec.Enabled && enabled) {
    return current?.attributeName === name
      ? "TimeToLive is already enabled"
      : "TimeToLive is active on a different AttributeName";
  }
  if (!spec.Enabled && !enabled) return "TimeToLive is already disabled";
  if (current && now - current.changedAt < TIME_TO_LIVE_CHANGE_MS) {
    return "Time to live has been modified multiple times within a fixed interval";
  }
  return { attributeName: name, enabled: spec.Enabled, changedAt: now };
}

// ---- The service -----------------------------------------------------------------------------------------------

interface DynaliteOptions {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite is CommonJS without type declarations (dynalite.d.ts): its factory, typed by what the sandbox uses of it.
// Imported statically, not through createRequire, so the CLI's bundle carries it (packages/cli/scripts/build.mjs).
const dynalite = dynaliteModule as (options: DynaliteOptions) => Server;

/** The request headers dynalite needs (it checks the SigV4 Authorization header's form and a date). */
const FORWARDED_HEADERS = [
  "content-type",
  "x-amz-target",
  "authorization",
  "x-amz-date",
  "date",
  "x-amz-security-token",
];
/** The answer headers passed back as dynalite gave them. */
const ANSWER_HEADERS = ["content-type", "x-amz-crc32", "x-amzn-requestid"];

const tableNameOf = (input: Record<string, unknown>) => {
  const name = String(input.TableName ?? "");
  return name.startsWith("arn:") ? name.slice(name.indexOf(":table/") + ":table/".length) : name;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** DynamoDB for the sandbox: a dynalite server on an ephemeral port, served through the sandbox's endpoint. */
export class DynamoDbSandbox {
  /** Where dynalite itself listens (behind the sandbox: no IAM, no call counts). */
  readonly dynaliteEndpoint: string;
  private readonly timeToLive = new Map<string, TimeToLiveState>();
  /** Tables with point-in-time recovery on. */
  private readonly pointInTimeRecovery = new Set<string>();
  private readonly billingModes = new Map<string, string>();
  private readonly agent = new Agent({ keepAlive: true });
  private readonly admin: DynamoDBClient;
  private readonly batchGetUnprocessed: { fromKeys: number; processKeys: number } | false;
  private readonly batchWriteUnprocessed: { fromItems: number; processItems: number } | false;
  /**
   * Capacity units each operation consumed, by operation: the ConsumedCapacity of its answers summed (requests that
   * asked for it with ReturnConsumedCapacity), as dynalite computes it — the read and write request units on-demand
   * billing charges.
   */
  readonly consumedCapacity: Record<string, number> = {};
  /** Writes refused with ConditionalCheckFailedException, by operation: billed too, with no ConsumedCapacity. */
  readonly conditionalCheckFailures: Record<string, number> = {};

  private constructor(
    private readonly server: Server,
    private readonly account: AccountContext & { now: () => number },
    options: DynamoDbOptions,
  ) {
    const { port } = server.address() as AddressInfo;
    this.dynaliteEndpoint = `http://127.0.0.1:${port}`;
    this.batchGetUnprocessed = options.batchGetUnprocessed ?? DEFAULT_BATCH_GET_UNPROCESSED;
    this.batchWriteUnprocessed = options.batchWriteUnprocessed ?? DEFAULT_BATCH_WRITE_UNPROCESSED;
    this.admin = new DynamoDBClient({
      endpoint: this.dynaliteEndpoint,
      region: account.region,
      credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
      maxAttempts: 1,
    });
  }

  /** Starts dynalite in memory on 127.0.0.1 (a free port), for this account and region. */
  static async start(
    account: AccountContext & { now: () => number },
    options: DynamoDbOptions = {},
  ): Promise<DynamoDbSandbox> {
    // dynalite reads the account and region of the ARNs it writes from the environment, once, when its store is
    // made (db/index.js: AWS_ACCOUNT_ID, AWS_REGION): set them for that moment only.
    const saved = { AWS_ACCOUNT_ID: process.env.AWS_ACCOUNT_ID, AWS_REGION: process.env.AWS_REGION };
    process.env.AWS_ACCOUNT_ID = account.accountId;
    process.env.AWS_REGION = account.region;
    let server: Server;
    try {
      const createTableMs = options.createTableMs ?? 0;
      server = dynalite({ createTableMs, deleteTableMs: 0, updateTableMs: 0 });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    return new DynamoDbSandbox(server, account, options);
  }

  /** Registers itself on the server as the handler of DynamoDB's JSON-protocol requests. */
  attach(server: AwsHttpServer): void {
    server.addRawHandler((req, body, res) => this.handle(server, req, body, res));
  }

  /**
   * Creates a table as Terraform would — outside the account's IAM and the call counts — and waits until it is
   * ACTIVE; a table of that name already there is kept, as a second `terraform apply` keeps it. TTL is enabled on
   * `timeToLiveAttribute` when given (long enough ago to be ENABLED), and point-in-time recovery with
   * `pointInTimeRecovery`. Returns the table's ARN.
   */
  async createTable(
    input: CreateTableCommandInput,
    options: { timeToLiveAttribute?: string; pointInTimeRecovery?: boolean } = {},
  ): Promise<string> {
    const name = String(input.TableName);
    if (!(await this.describe(name))) {
      await this.admin.send(new CreateTableCommand(input));
      this.billingModes.set(name, input.BillingMode ?? "PROVISIONED");
    }
    let table = await this.describe(name);
    for (let waited = 0; table?.TableStatus !== "ACTIVE"; waited += 10) {
      if (waited > 10_000) throw new Error(`table ${name} is still ${table?.TableStatus} after 10 s`);
      await sleep(10);
      table = await this.describe(name);
    }
    if (options.timeToLiveAttribute && !this.timeToLive.has(name)) {
      this.timeToLive.set(name, {
        attributeName: options.timeToLiveAttribute,
        enabled: true,
        changedAt: Number.NEGATIVE_INFINITY,
      });
    }
    if (options.pointInTimeRecovery) this.pointInTimeRecovery.add(name);
    return String(table.TableArn);
  }

  /**
   * Creates the findings ledger's table as terraform/ledger.tf does: core's definition of it (LEDGER_TABLE,
   * createLedgerTableInput), TTL on its TTL attribute, point-in-time recovery on.
   */
  createLedgerTable(tableName: string, options: { kmsKeyArn?: string } = {}): Promise<string> {
    return this.createTable(createLedgerTableInput(tableName, options), {
      timeToLiveAttribute: LEDGER_TABLE.ttlAttribute,
      pointInTimeRecovery: LEDGER_TABLE.pointInTimeRecovery,
    });
  }

  /** Whether a table has point-in-time recovery on. */
  pointInTimeRecoveryOf(tableName: string): boolean {
    return this.pointInTimeRecovery.has(tableName);
  }

  /** A table's TTL setting as DescribeTimeToLive states it now. */
  timeToLiveOf(tableName: string): { TimeToLiveStatus: string; AttributeName?: string } {
    return timeToLiveDescription(this.timeToLive.get(tableName), this.account.now());
  }

  /**
   * Deletes the expired items of every table with TTL enabled — those whose TTL attribute is a Number of epoch
   * seconds before the sandbox's now — as DynamoDB's background TTL process does. The sandbox never runs it by
   * itself: "DynamoDB typically deletes expired items within two days of expiration … Items that have expired and
   * not been deleted will still show up in reads, queries, and scans" (API reference, UpdateTimeToLive), so code
   * that reads the table must not count on it. Returns the number of items deleted.
   */
  async expireItems(): Promise<number> {
    const nowSeconds = String(Math.floor(this.account.now() / 1000));
    let deleted = 0;
    for (const [tableName, state] of this.timeToLive) {
      if (!state.enabled) continue;
      const keySchema: KeySchemaElement[] = (await this.describe(tableName))?.KeySchema ?? [];
      const expired = {
        ConditionExpression: "#ttl < :now",
        ExpressionAttributeNames: { "#ttl": state.attributeName },
        ExpressionAttributeValues: { ":now": { N: nowSeconds } },
      };
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await this.admin.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: expired.ConditionExpression,
            ExpressionAttributeNames: expired.ExpressionAttributeNames,
            ExpressionAttributeValues: expired.ExpressionAttributeValues,
            ExclusiveStartKey: start,
          }),
        );
        for (const item of page.Items ?? []) {
          const key = Object.fromEntries(
            keySchema.map((k) => [String(k.AttributeName), item[String(k.AttributeName)] as AttributeValue]),
          );
          try {
            await this.admin.send(new DeleteItemCommand({ TableName: tableName, Key: key, ...expired }));
            deleted += 1;
          } catch (error) {
            // Written again with a later expiry since the scan read it: no longer expired.
            if (!(error instanceof ConditionalCheckFailedException)) throw error;
          }
        }
        start = page.LastEvaluatedKey;
      } while (start);
    }
    return deleted;
  }

  /** Stops dynalite and closes its store (and every connection to it). */
  async close(): Promise<void> {
    this.admin.destroy();
    this.agent.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  private async describe(tableName: string): Promise<TableDescription | undefined> {
    try {
      return (await this.admin.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  private async handle(
    server: AwsHttpServer,
    req: IncomingMessage,
    body: Buffer,
    res: ServerResponse,
  ): Promise<boolean> {
    const target = req.headers["x-amz-target"];
    if (typeof target !== "string" || !target.startsWith(`${DYNAMODB_TARGET_PREFIX}.`)) return false;
    const operation = target.slice(DYNAMODB_TARGET_PREFIX.length + 1);
    // DynamoDB's own failure: InternalServerError, HTTP 500 (API reference, Common errors of every operation).
    const answer = await this.answer(server, req, operation, body).catch((error: unknown) =>
      errorAnswer("InternalServerError", `The sandbox could not reach dynalite: ${String(error)}`, 500),
    );
    server.recordCall("dynamodb", operation, answer.status);
    this.countCapacity(operation, answer);
    res.writeHead(answer.status, { ...answer.headers, "content-length": String(answer.body.length) });
    res.end(answer.body);
    return true;
  }

  /** Adds an answer's ConsumedCapacity (one entry, or one per table) or its conditional failure to the counts. */
  private countCapacity(operation: string, answer: DynamoAnswer): void {
    if (!answer.body.includes("ConsumedCapacity") && !answer.body.includes("ConditionalCheckFailed")) return;
    const parsed = parseObject(answer.body);
    if (answer.status !== 200) {
      if (String(parsed?.__type ?? "").endsWith("#ConditionalCheckFailedException")) {
        this.conditionalCheckFailures[operation] = (this.conditionalCheckFailures[operation] ?? 0) + 1;
      }
      return;
    }
    for (const entry of [parsed?.ConsumedCapacity ?? []].flat() as { CapacityUnits?: unknown }[]) {
      if (typeof entry?.CapacityUnits !== "number") continue;
      this.consumedCapacity[operation] = (this.consumedCapacity[operation] ?? 0) + entry.CapacityUnits;
    }
  }

  /**
   * One request, in the order AWS takes it: authorization (before the service sees the request), the rate limit,
   * an injected fault, then the service — dynalite, or the sandbox for what dynalite lacks. A body that is not a
   * JSON object goes to dynalite as it is, which answers SerializationException as DynamoDB does.
   */
  private async answer(
    server: AwsHttpServer,
    req: IncomingMessage,
    operation: string,
    body: Buffer,
  ): Promise<DynamoAnswer> {
    const input = parseObject(body);
    if (!input) return this.forward(req, body);
    // AccessDeniedException, HTTP 400, with IAM's words: "User: … is not authorized to perform: dynamodb:PutItem on
    // resource: arn:aws:dynamodb:…:table/… (Service: AmazonDynamoDBv2; Status Code: 400; Error Code:
    // AccessDeniedException …)" as AWS answers it (e.g. boostchicken/spring-data-dynamodb#558), listed among
    // DynamoDB's errors in the Developer Guide ("Error handling with DynamoDB").
    const denial = server.authorize(
      req,
      "dynamodb",
      operation,
      dynamodbRequests(this.account, operation, input),
    );
    if (denial) return errorAnswer("AccessDeniedException", notAuthorizedMessage(denial));
    if (!server.withinRateLimit("dynamodb", operation)) {
      const throttled = throttlingError(operation, this.billingModeOf(operation, input));
      return errorAnswer(throttled.type, throttled.message);
    }
    const fault = server.faultFor("dynamodb", operation, input);
    if (fault) return errorAnswer(fault.type, fault.message, fault.status);
    switch (operation) {
      case "UpdateTimeToLive":
      case "DescribeTimeToLive":
        return this.timeToLiveOperation(req, operation, input);
      case "UpdateContinuousBackups":
      case "DescribeContinuousBackups":
        return this.continuousBackupsOperation(req, operation, input);
      case "BatchGetItem":
        return this.batchGetItem(req, body, input);
      case "BatchWriteItem":
        return this.batchWriteItem(req, body, input);
      default: {
        const answer = await this.forward(req, body);
        if (answer.status === 200) this.remember(operation, input);
        else if (input.ReturnValuesOnConditionCheckFailure === "ALL_OLD") {
          return this.withItemOnConditionFailure(req, operation, input, answer);
        }
        return answer;
      }
    }
  }

  /**
   * ReturnValuesOnConditionCheckFailure = ALL_OLD, which dynalite ignores: DynamoDB's ConditionalCheckFailedException
   * then carries the item as it was (API reference, PutItem/UpdateItem/DeleteItem, "ReturnValuesOnConditionCheck
   * Failure"; none when there was no item). The sandbox reads it right after the failed write, consistently: another
   * write between the two could show, a race AWS does not have, rarer than any test here provokes.
   */
  private async withItemOnConditionFailure(
    req: IncomingMessage,
    operation: string,
    input: Record<string, unknown>,
    answer: DynamoAnswer,
  ): Promise<DynamoAnswer> {
    const failure = parseObject(answer.body);
    if (!String(failure?.__type ?? "").endsWith("#ConditionalCheckFailedException")) return answer;
    if (!["PutItem", "UpdateItem", "DeleteItem"].includes(operation)) return answer;
    let key = input.Key as Record<string, AttributeValue> | undefined;
    if (operation === "PutItem") {
      const schema = (await this.describe(tableNameOf(input)))?.KeySchema ?? [];
      const item = (input.Item ?? {}) as Record<string, AttributeValue>;
      key = Object.fromEntries(
        schema.map((k: KeySchemaElement) => [k.AttributeName, item[k.AttributeName ?? ""]]),
      );
    }
    const read = await this.forward(
      req,
      Buffer.from(JSON.stringify({ TableName: input.TableName, Key: key, ConsistentRead: true }), "utf8"),
      `${DYNAMODB_TARGET_PREFIX}.GetItem`,
    );
    const item = read.status === 200 ? parseObject(read.body)?.Item : undefined;
    return item ? jsonAnswer(answer.status, { ...failure, Item: item }) : answer;
  }

  /** The billing mode of the (first) table a request is about, as created or last updated through the sandbox. */
  private billingModeOf(operation: string, input: Record<string, unknown>): string | undefined {
    const table =
      operation === "BatchGetItem" || operation === "BatchWriteItem"
        ? Object.keys((input.RequestItems as object | undefined) ?? {})[0]
        : tableNameOf(input);
    return table === undefined ? undefined : this.billingModes.get(table);
  }

  /** What the sandbox keeps of tables that dynalite created, updated or deleted. */
  private remember(operation: string, input: Record<string, unknown>): void {
    const table = tableNameOf(input);
    if (operation === "CreateTable") this.billingModes.set(table, String(input.BillingMode ?? "PROVISIONED"));
    if (operation === "UpdateTable" && typeof input.BillingMode === "string") {
      this.billingModes.set(table, input.BillingMode);
    }
    if (operation === "DeleteTable") {
      this.billingModes.delete(table);
      this.timeToLive.delete(table);
      this.pointInTimeRecovery.delete(table);
    }
  }

  /**
   * BatchGetItem with DynamoDB's partial answers: dynalite checks the whole request first (at most 100 keys, no
   * duplicates, every table there — AWS refuses such a request whole), then reads only the part processed now;
   * the rest is added to UnprocessedKeys.
   */
  private async batchGetItem(
    req: IncomingMessage,
    body: Buffer,
    input: Record<string, unknown>,
  ): Promise<DynamoAnswer> {
    const requestItems = (input.RequestItems ?? {}) as BatchGetRequestItems;
    const policy = this.batchGetUnprocessed;
    const whole = await this.forward(req, body);
    if (!policy || whole.status !== 200 || keyCount(requestItems) < policy.fromKeys) return whole;
    const { processed, unprocessed } = splitBatchGet(requestItems, policy.processKeys);
    const part = await this.forward(
      req,
      Buffer.from(JSON.stringify({ ...input, RequestItems: processed }), "utf8"),
    );
    if (part.status !== 200) return part;
    const result = JSON.parse(part.body.toString("utf8")) as { UnprocessedKeys?: BatchGetRequestItems };
    return jsonAnswer(200, {
      ...result,
      UnprocessedKeys: mergeUnprocessed(result.UnprocessedKeys ?? {}, unprocessed),
    });
  }

  /**
   * BatchWriteItem with DynamoDB's partial answers (when turned on): only the part written now goes to dynalite,
   * the rest is added to UnprocessedItems. A request over 25 requests, or not a list per table, goes whole, for
   * dynalite to refuse as AWS does; one whose later requests are malformed is refused when they are sent again
   * rather than whole at once (the sandbox cannot check them without writing the rest).
   */
  private async batchWriteItem(
    req: IncomingMessage,
    body: Buffer,
    input: Record<string, unknown>,
  ): Promise<DynamoAnswer> {
    const requestItems = (input.RequestItems ?? {}) as BatchWriteRequestItems;
    const policy = this.batchWriteUnprocessed;
    const count = requestCount(requestItems);
    const wellFormed = Object.values(requestItems).every(Array.isArray);
    if (!policy || !wellFormed || count < policy.fromItems || count > BATCH_WRITE_MAX_REQUESTS) {
      return this.forward(req, body);
    }
    const { processed, unprocessed } = splitBatchWrite(requestItems, policy.processItems);
    // "If none of the items can be processed due to insufficient provisioned throughput on all of the tables in the
    // request, then BatchWriteItem returns a ProvisionedThroughputExceededException" (API reference).
    if (Object.keys(processed).length === 0) {
      const throttled = throttlingError("BatchWriteItem", this.billingModeOf("BatchWriteItem", input));
      return errorAnswer(throttled.type, throttled.message);
    }
    const part = await this.forward(
      req,
      Buffer.from(JSON.stringify({ ...input, RequestItems: processed }), "utf8"),
    );
    if (part.status !== 200) return part;
    const result = JSON.parse(part.body.toString("utf8")) as { UnprocessedItems?: BatchWriteRequestItems };
    const merged: BatchWriteRequestItems = { ...(result.UnprocessedItems ?? {}) };
    for (const [table, requests] of Object.entries(unprocessed)) {
      merged[table] = [...(merged[table] ?? []), ...requests];
    }
    return jsonAnswer(200, { ...result, UnprocessedItems: merged });
  }

  /**
   * UpdateTimeToLive and DescribeTimeToLive, which dynalite lacks (it has no UpdateTimeToLive and always describes
   * TTL as DISABLED): the table must exist (dynalite's DescribeTable answers ResourceNotFoundException otherwise).
   */
  private async timeToLiveOperation(
    req: IncomingMessage,
    operation: string,
    input: Record<string, unknown>,
  ): Promise<DynamoAnswer> {
    const table = tableNameOf(input);
    const exists = await this.tableExists(req, table);
    if (exists.status !== 200) return exists;
    const now = this.account.now();
    if (operation === "DescribeTimeToLive") {
      return jsonAnswer(200, {
        TimeToLiveDescription: timeToLiveDescription(this.timeToLive.get(table), now),
      });
    }
    const change = timeToLiveChange(this.timeToLive.get(table), input.TimeToLiveSpecification, now);
    if (typeof change === "string") return errorAnswer("ValidationException", change);
    this.timeToLive.set(table, change);
    return jsonAnswer(200, {
      TimeToLiveSpecification: { AttributeName: change.attributeName, Enabled: change.enabled },
    });
  }

  /**
   * UpdateContinuousBackups and DescribeContinuousBackups, which dynalite lacks: the point-in-time recovery setting
   * of an existing table (continuous backups are always on in DynamoDB; PITR is the part one turns on and off).
   */
  private async continuousBackupsOperation(
    req: IncomingMessage,
    operation: string,
    input: Record<string, unknown>,
  ): Promise<DynamoAnswer> {
    const table = tableNameOf(input);
    const exists = await this.tableExists(req, table);
    if (exists.status !== 200) return exists;
    if (operation === "UpdateContinuousBackups") {
      const spec = input.PointInTimeRecoverySpecification as
        | { PointInTimeRecoveryEnabled?: unknown }
        | undefined;
      if (typeof spec?.PointInTimeRecoveryEnabled !== "boolean") {
        return errorAnswer(
          "ValidationException",
          "1 validation error detected: Value null at 'pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled' failed to satisfy constraint: Member must not be null",
        );
      }
      if (spec.PointInTimeRecoveryEnabled) this.pointInTimeRecovery.add(table);
      else this.pointInTimeRecovery.delete(table);
    }
    return jsonAnswer(200, {
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: "ENABLED",
        PointInTimeRecoveryDescription: {
          PointInTimeRecoveryStatus: this.pointInTimeRecovery.has(table) ? "ENABLED" : "DISABLED",
        },
      },
    });
  }

  /** dynalite's DescribeTable of a table, as the caller: 200 when it exists, else its ResourceNotFoundException. */
  private tableExists(req: IncomingMessage, table: string): Promise<DynamoAnswer> {
    return this.forward(
      req,
      Buffer.from(JSON.stringify({ TableName: table }), "utf8"),
      `${DYNAMODB_TARGET_PREFIX}.DescribeTable`,
    );
  }

  /** Sends a request on to dynalite, with the headers it needs; its answer comes back as it gave it. */
  private forward(req: IncomingMessage, body: Buffer, target?: string): Promise<DynamoAnswer> {
    const headers: Record<string, string> = { "content-length": String(body.length) };
    for (const name of FORWARDED_HEADERS) {
      const value = req.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    if (target) headers["x-amz-target"] = target;
    return new Promise((resolve, reject) => {
      const forwarded = request(
        `${this.dynaliteEndpoint}/`,
        { method: "POST", headers, agent: this.agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const answerHeaders: Record<string, string> = {};
            for (const name of ANSWER_HEADERS) {
              const value = response.headers[name];
              if (typeof value === "string") answerHeaders[name] = value;
            }
            resolve({
              status: response.statusCode ?? 500,
              headers: answerHeaders,
              body: Buffer.concat(chunks),
            });
          });
        },
      );
      forwarded.on("error", reject);
      forwarded.end(body);
    });
  }
}

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
