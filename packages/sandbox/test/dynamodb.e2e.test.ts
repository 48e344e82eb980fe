import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
  type WriteRequest,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { createLedgerTableInput, PACKAGE_INDEX, VULNERABILITY_INDEX } from "@ecr-scan-reporter/core";
import { afterEach, describe, expect, it } from "vitest";
import { type PolicyStatement, type Sandbox, type SandboxOptions, startSandbox } from "../src/index.js";

// The sandbox's DynamoDB (src/dynamodb.ts: dynalite behind the sandbox's IAM, call counts, rate limits and faults,
// with the harshness dynalite lacks) as the real @aws-sdk/client-dynamodb sees it on the sandbox's one endpoint.

const ACCOUNT = "123456789012";
const TABLE = "ecr-scan-reporter-ledger";
const TABLE_ARN = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${TABLE}`;
const ROLE = "ecr-scan-reporter-report-findings-eu-west-1";
const SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/ecr-scan-reporter-report-findings`;

let sandbox: Sandbox | undefined;
const clients: DynamoDBClient[] = [];

async function start(options: SandboxOptions = {}): Promise<Sandbox> {
  sandbox = await startSandbox(options);
  return sandbox;
}
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await sandbox?.close();
  sandbox = undefined;
});

function client(on: Sandbox, accessKeyId = "sandbox", maxAttempts = 1): DynamoDBClient {
  const made = new DynamoDBClient({
    region: "eu-west-1",
    endpoint: on.endpoint,
    credentials: { accessKeyId, secretAccessKey: "secret" },
    maxAttempts,
  });
  clients.push(made);
  return made;
}

/** Registers a role's session with these statements; returns its access key id. */
function principal(on: Sandbox, ...Statement: PolicyStatement[]): string {
  const accessKeyId = `ASIADYNAMO${String(on.iam.decisions.length).padStart(10, "0")}`;
  on.iam.addPrincipal({
    accessKeyId,
    arn: SESSION_ARN,
    roleName: ROLE,
    policies: [{ Version: "2012-10-17", Statement }],
  });
  return accessKeyId;
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: Error & { $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      message: error.message,
      status: error.$metadata?.httpStatusCode,
    }),
  );

const notAuthorized = (action: string, resource: string) =>
  `User: ${SESSION_ARN} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

const key = (pk: string, sk = "SCAN"): Record<string, AttributeValue> => ({ pk: { S: pk }, sk: { S: sk } });

/** Writes `count` image items IMAGE#0 … through BatchWriteItem, 25 at a time. */
async function putImages(dynamodb: DynamoDBClient, count: number): Promise<void> {
  for (let first = 0; first < count; first += 25) {
    const puts = Array.from({ length: Math.min(25, count - first) }, (_, i) => ({
      PutRequest: { Item: { ...key(`IMAGE#${first + i}`), status: { S: "COMPLETE" } } },
    }));
    // The loop a writer must run: the sandbox, like DynamoDB, leaves part of a large batch unprocessed.
    let pending: Record<string, WriteRequest[]> = { [TABLE]: puts };
    while (Object.keys(pending).length > 0) {
      const answer = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: pending }));
      pending = answer.UnprocessedItems ?? {};
    }
  }
}

describe("the sandbox's DynamoDB, through the real SDK client", () => {
  it("creates a table and serves items, queries and failed conditions on the sandbox's endpoint, counting each call", async () => {
    const on = await start();
    const dynamodb = client(on);
    const created = await dynamodb.send(new CreateTableCommand(createLedgerTableInput(TABLE)));
    // The table's ARN is of the sandbox's account and region, as the module's policies name it.
    expect(created.TableDescription?.TableArn).toBe(TABLE_ARN);
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 10, minDelay: 1 }, { TableName: TABLE });

    await dynamodb.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...key("REF#a", "LAST"), over: { BOOL: true } } }),
    );
    await dynamodb.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...key("REF#a", "SENT#slack"), state: { S: "sent" } } }),
    );
    const got = await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: key("REF#a", "LAST") }));
    expect(got.Item?.over).toEqual({ BOOL: true });
    const queried = await dynamodb.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: "REF#a" } },
      }),
    );
    expect(queried.Items?.map((item) => item.sk?.S)).toEqual(["LAST", "SENT#slack"]);

    // A claim that is already taken: dynalite evaluates the condition, as DynamoDB does.
    const claim = dynamodb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { ...key("REF#a", "SENT#slack"), state: { S: "pending" } },
        ConditionExpression: "attribute_not_exists(pk)",
      }),
    );
    expect(await errorOf(claim)).toEqual({
      name: "ConditionalCheckFailedException",
      message: "The conditional request failed",
      status: 400,
    });

    // An item over DynamoDB's 400 KB (a ledger record of too many findings) is refused, as DynamoDB does.
    const tooLarge = dynamodb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { ...key("IMAGE#big"), findings: { S: "x".repeat(401 * 1024) } },
      }),
    );
    expect(await errorOf(tooLarge)).toEqual({
      name: "ValidationException",
      message: "Item size has exceeded the maximum allowed size",
      status: 400,
    });

    expect(on.server.callCounts()).toMatchObject({
      "dynamodb:CreateTable": 1,
      "dynamodb:PutItem": 4,
      "dynamodb:GetItem": 1,
      "dynamodb:Query": 1,
    });
    expect(on.server.calls.filter((c) => c.operation === "PutItem").map((c) => c.status)).toEqual([
      200, 200, 400, 400,
    ]);
  });

  it("refuses what the principal's policy does not allow with DynamoDB's AccessDeniedException and IAM's words, per table and per index", async () => {
    const on = await start();
    await on.dynamodb.createLedgerTable(TABLE);
    await on.dynamodb.createLedgerTable("other-table");
    const accessKeyId = principal(on, {
      Effect: "Allow",
      Action: ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"],
      Resource: TABLE_ARN,
    });
    const dynamodb = client(on, accessKeyId);

    await expect(
      dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: key("IMAGE#1") })),
    ).resolves.toBeDefined();
    expect(
      await errorOf(dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: key("IMAGE#1") }))),
    ).toEqual({
      name: "AccessDeniedException",
      message: notAuthorized("dynamodb:PutItem", TABLE_ARN),
      status: 400,
    });
    // A Query of an index is authorized on the index's ARN, which the policy does not name.
    const byIndex = dynamodb.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: "by-status",
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: "x" } },
      }),
    );
    expect((await errorOf(byIndex))?.message).toBe(
      notAuthorized("dynamodb:Query", `${TABLE_ARN}/index/by-status`),
    );
    // BatchGetItem needs the action on every table it reads.
    const otherArn = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/other-table`;
    const batch = dynamodb.send(
      new BatchGetItemCommand({
        RequestItems: { [TABLE]: { Keys: [key("IMAGE#1")] }, "other-table": { Keys: [key("IMAGE#1")] } },
      }),
    );
    expect((await errorOf(batch))?.message).toBe(notAuthorized("dynamodb:BatchGetItem", otherArn));

    // On the wire: DynamoDB's namespaced error type, HTTP 400.
    const raw = await fetch(on.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.DeleteItem",
        "x-amz-date": "20261201T000000Z",
        authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261201/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify({ TableName: TABLE, Key: key("IMAGE#1") }),
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({
      __type: "com.amazonaws.dynamodb.v20120810#AccessDeniedException",
      message: notAuthorized("dynamodb:DeleteItem", TABLE_ARN),
    });

    expect(on.iam.denials().map((d) => [d.action, d.resource])).toEqual([
      ["dynamodb:PutItem", TABLE_ARN],
      ["dynamodb:Query", `${TABLE_ARN}/index/by-status`],
      ["dynamodb:BatchGetItem", otherArn],
      ["dynamodb:DeleteItem", TABLE_ARN],
    ]);
    expect(on.server.calls.filter((c) => c.status === 400).map((c) => c.operation)).toEqual([
      "PutItem",
      "Query",
      "BatchGetItem",
      "DeleteItem",
    ]);
  });

  it("answers a BatchGetItem of 100 keys with 50 items and the other 50 keys unprocessed, and a retry of those completes it", async () => {
    const on = await start();
    await on.dynamodb.createLedgerTable(TABLE);
    const dynamodb = client(on);
    await putImages(dynamodb, 100);
    const keys = Array.from({ length: 100 }, (_, i) => key(`IMAGE#${i}`));

    const first = await dynamodb.send(new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: keys } } }));
    expect(first.Responses?.[TABLE]).toHaveLength(50);
    expect(first.UnprocessedKeys?.[TABLE]?.Keys).toEqual(keys.slice(50));

    // The loop a client must run: retry UnprocessedKeys until none are left.
    const read = [...(first.Responses?.[TABLE] ?? [])];
    let unprocessed = first.UnprocessedKeys;
    while (unprocessed && Object.keys(unprocessed).length > 0) {
      const next = await dynamodb.send(new BatchGetItemCommand({ RequestItems: unprocessed }));
      read.push(...(next.Responses?.[TABLE] ?? []));
      unprocessed = next.UnprocessedKeys;
    }
    expect(new Set(read.map((item) => item.pk?.S)).size).toBe(100);
    expect(on.server.callCounts()["dynamodb:BatchGetItem"]).toBe(2);

    // A call under 60 keys is read whole; one over DynamoDB's 100 keys is refused whole (dynalite's check).
    const small = await dynamodb.send(
      new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: keys.slice(0, 59) } } }),
    );
    expect(small.Responses?.[TABLE]).toHaveLength(59);
    expect(small.UnprocessedKeys).toEqual({});
    const tooMany = dynamodb.send(
      new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: [...keys, key("IMAGE#100")] } } }),
    );
    expect(await errorOf(tooMany)).toMatchObject({ name: "ValidationException", status: 400 });
  });

  it("reads every key of a large BatchGetItem when partial answers are turned off", async () => {
    const on = await start({ dynamodb: { batchGetUnprocessed: false } });
    await on.dynamodb.createLedgerTable(TABLE);
    const dynamodb = client(on);
    await putImages(dynamodb, 100);
    const keys = Array.from({ length: 100 }, (_, i) => key(`IMAGE#${i}`));
    const all = await dynamodb.send(new BatchGetItemCommand({ RequestItems: { [TABLE]: { Keys: keys } } }));
    expect(all.Responses?.[TABLE]).toHaveLength(100);
    expect(all.UnprocessedKeys).toEqual({});
  });

  it("throttles past its rate limit as DynamoDB does: ThrottlingException on an on-demand table, ProvisionedThroughputExceededException on a provisioned one", async () => {
    const on = await start({ rateLimits: { "dynamodb:GetItem": 1 } });
    await on.dynamodb.createLedgerTable(TABLE);
    await on.dynamodb.createTable({
      ...createLedgerTableInput("provisioned-table"),
      BillingMode: "PROVISIONED",
      ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
    });
    const dynamodb = client(on);
    const get = (table: string) =>
      dynamodb.send(new GetItemCommand({ TableName: table, Key: key("IMAGE#1") }));

    await expect(get(TABLE)).resolves.toBeDefined();
    expect(await errorOf(get(TABLE))).toMatchObject({
      name: "ThrottlingException",
      message: expect.stringContaining("Throughput exceeds the current capacity of your table or index"),
      status: 400,
    });
    expect(await errorOf(get("provisioned-table"))).toMatchObject({
      name: "ProvisionedThroughputExceededException",
      status: 400,
    });
    expect(on.server.calls.map((c) => [c.operation, c.status])).toEqual([
      ["GetItem", 200],
      ["GetItem", 400],
      ["GetItem", 400],
    ]);
  });

  it("answers an injected fault in DynamoDB's shape", async () => {
    const on = await start();
    await on.dynamodb.createLedgerTable(TABLE);
    on.server.injectFault({
      service: "dynamodb",
      operation: "PutItem",
      when: (input) => (input.Item as Record<string, AttributeValue>).pk?.S === "IMAGE#broken",
      type: "InternalServerError",
      message: "Internal server error",
      status: 500,
    });
    const dynamodb = client(on);
    await expect(
      dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: key("IMAGE#fine") })),
    ).resolves.toBeDefined();
    expect(
      await errorOf(dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: key("IMAGE#broken") }))),
    ).toEqual({
      name: "InternalServerError",
      message: "Internal server error",
      status: 500,
    });
  });

  it("creates the ledger as the module does: on demand, pk/sk strings, point-in-time recovery on", async () => {
    const on = await start();
    await on.dynamodb.createLedgerTable(TABLE);
    const dynamodb = client(on);
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table).toMatchObject({
      TableArn: TABLE_ARN,
      TableStatus: "ACTIVE",
      BillingModeSummary: { BillingMode: "PAY_PER_REQUEST" },
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    });
    const backups = await dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: TABLE }));
    expect(
      backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus,
    ).toBe("ENABLED");
    // Created outside the account's IAM and the call counts, as Terraform creates it: only the two reads count.
    expect(on.server.callCounts()).toEqual({
      "dynamodb:DescribeTable": 1,
      "dynamodb:DescribeContinuousBackups": 1,
    });
    // Created again (a second deployment on the same sandbox): the table is kept.
    await expect(on.dynamodb.createLedgerTable(TABLE)).resolves.toBe(TABLE_ARN);
  });

  it("keeps the ledger's TTL on expiresAt as the module sets it, refuses a second change within the hour, and deletes expired items only when told", async () => {
    let clock = Date.parse("2026-12-01T00:00:00Z");
    const on = await start({ now: () => clock });
    await on.dynamodb.createLedgerTable(TABLE);
    const dynamodb = client(on);
    const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
    const again = dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: TABLE,
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      }),
    );
    expect(await errorOf(again)).toEqual({
      name: "ValidationException",
      message: "TimeToLive is already enabled",
      status: 400,
    });

    // A table whose TTL is turned on through the API: ENABLING for an hour, and no other change meanwhile.
    await on.dynamodb.createTable({ ...createLedgerTableInput("fresh-table") });
    const update = (Enabled: boolean) =>
      dynamodb.send(
        new UpdateTimeToLiveCommand({
          TableName: "fresh-table",
          TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled },
        }),
      );
    await expect(update(true)).resolves.toMatchObject({
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
    expect(on.dynamodb.timeToLiveOf("fresh-table").TimeToLiveStatus).toBe("ENABLING");
    expect((await errorOf(update(false)))?.message).toBe(
      "Time to live has been modified multiple times within a fixed interval",
    );
    clock += 60 * 60 * 1000;
    expect(on.dynamodb.timeToLiveOf("fresh-table").TimeToLiveStatus).toBe("ENABLED");
    expect(
      (await errorOf(dynamodb.send(new DescribeTimeToLiveCommand({ TableName: "missing-table" }))))?.name,
    ).toBe("ResourceNotFoundException");

    // Expired items stay readable until DynamoDB's TTL process runs; it then deletes only them.
    const nowSeconds = Math.floor(clock / 1000);
    const put = (pk: string, expiresAt?: number) =>
      dynamodb.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: { ...key(pk), ...(expiresAt === undefined ? {} : { expiresAt: { N: String(expiresAt) } }) },
        }),
      );
    await put("IMAGE#gone", nowSeconds - 60);
    await put("IMAGE#later", nowSeconds + 60);
    await put("IMAGE#kept");
    const read = async (pk: string) =>
      (await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: key(pk) }))).Item !== undefined;
    expect(await read("IMAGE#gone")).toBe(true);
    expect(await on.dynamodb.expireItems()).toBe(1);
    expect([await read("IMAGE#gone"), await read("IMAGE#later"), await read("IMAGE#kept")]).toEqual([
      false,
      true,
      true,
    ]);
  });

  it("serves the ledger's global secondary indexes: made by CreateTable, sparse, read by Query on the index's ARN only, never consistently", async () => {
    const on = await start();
    const admin = client(on);
    await admin.send(new CreateTableCommand(createLedgerTableInput(TABLE)));
    await waitUntilTableExists({ client: admin, maxWaitTime: 10, minDelay: 1 }, { TableName: TABLE });
    const { Table } = await admin.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(
      Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.IndexStatus, index.IndexArn]),
    ).toEqual([
      [VULNERABILITY_INDEX, "ACTIVE", `${TABLE_ARN}/index/${VULNERABILITY_INDEX}`],
      [PACKAGE_INDEX, "ACTIVE", `${TABLE_ARN}/index/${PACKAGE_INDEX}`],
    ]);
    // Two index items of log4j-core, one finding without a package: in by-vulnerability, absent from by-package.
    const indexItem = (image: string, vulnerability: string, packageName?: string) => ({
      ...key(`IMAGE#${image}`, `VULN#${vulnerability}#${packageName ?? ""}`),
      vulnerability: { S: vulnerability },
      image: { S: image },
      ...(packageName ? { package: { S: packageName } } : {}),
    });
    await admin.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: [
            { PutRequest: { Item: indexItem("a@sha256:1", "CVE-2021-44228", "log4j-core") } },
            { PutRequest: { Item: indexItem("b@sha256:2", "CVE-2021-44228", "log4j-core") } },
            { PutRequest: { Item: indexItem("b@sha256:2", "CVE-2024-0001") } },
          ],
        },
      }),
    );

    const byVulnerability = (id: string, extra: { ConsistentRead?: boolean } = {}) =>
      new QueryCommand({
        TableName: TABLE,
        IndexName: VULNERABILITY_INDEX,
        KeyConditionExpression: "vulnerability = :v",
        ExpressionAttributeValues: { ":v": { S: id } },
        ...extra,
      });
    // A grant on the table does not reach its indexes.
    const tableOnly = principal(on, { Effect: "Allow", Action: "dynamodb:Query", Resource: TABLE_ARN });
    expect(await errorOf(client(on, tableOnly).send(byVulnerability("CVE-2021-44228")))).toEqual({
      name: "AccessDeniedException",
      message: notAuthorized("dynamodb:Query", `${TABLE_ARN}/index/${VULNERABILITY_INDEX}`),
      status: 400,
    });
    // principal() names its access key by the decisions so far: this one is made after the first's decision.
    const withIndexes = principal(on, {
      Effect: "Allow",
      Action: "dynamodb:Query",
      Resource: [TABLE_ARN, `${TABLE_ARN}/index/*`],
    });
    const reader = client(on, withIndexes);
    const found = await reader.send(byVulnerability("CVE-2021-44228"));
    expect(found.Items?.map((item) => item.image?.S)).toEqual(["a@sha256:1", "b@sha256:2"]);
    const byPackage = await reader.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: PACKAGE_INDEX,
        KeyConditionExpression: "#p = :p",
        ExpressionAttributeNames: { "#p": "package" },
        ExpressionAttributeValues: { ":p": { S: "log4j-core" } },
      }),
    );
    expect(byPackage.Items).toHaveLength(2);
    const packageless = await reader.send(byVulnerability("CVE-2024-0001"));
    expect(packageless.Items?.map((item) => item.package)).toEqual([undefined]);
    // A global secondary index is never read consistently: dynalite refuses it in AWS's words.
    expect(await errorOf(reader.send(byVulnerability("CVE-2021-44228", { ConsistentRead: true })))).toEqual({
      name: "ValidationException",
      message: "Consistent reads are not supported on global secondary indexes",
      status: 400,
    });

    expect(on.iam.denials().map((d) => [d.action, d.resource])).toEqual([
      ["dynamodb:Query", `${TABLE_ARN}/index/${VULNERABILITY_INDEX}`],
    ]);
    expect(on.server.calls.filter((c) => c.operation === "Query").map((c) => c.status)).toEqual([
      400, 200, 200, 200, 400,
    ]);
  });

  it("takes a BatchWriteItem on each table's grant, counts it with its capacity, and answers UnprocessedItems {} when all is written", async () => {
    const on = await start();
    await on.dynamodb.createLedgerTable(TABLE);
    await on.dynamodb.createLedgerTable("other-table");
    const writer = principal(on, { Effect: "Allow", Action: "dynamodb:BatchWriteItem", Resource: TABLE_ARN });
    const dynamodb = client(on, writer);
    const written = await dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: [
            { PutRequest: { Item: key("IMAGE#1") } },
            { PutRequest: { Item: key("IMAGE#2") } },
            { DeleteRequest: { Key: key("IMAGE#3") } },
          ],
        },
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    expect(written.UnprocessedItems).toEqual({});
    expect(written.ConsumedCapacity).toEqual([{ TableName: TABLE, CapacityUnits: 3 }]);
    expect(on.dynamodb.consumedCapacity.BatchWriteItem).toBe(3);

    // Each table of RequestItems is authorized: one without a grant refuses the whole call.
    const otherArn = `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/other-table`;
    const both = dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: [{ PutRequest: { Item: key("IMAGE#4") } }],
          "other-table": [{ PutRequest: { Item: key("IMAGE#4") } }],
        },
      }),
    );
    expect((await errorOf(both))?.message).toBe(notAuthorized("dynamodb:BatchWriteItem", otherArn));
    // Two requests on one key are refused whole (dynalite's check, AWS's words).
    const twice = dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: [{ PutRequest: { Item: key("IMAGE#5") } }, { DeleteRequest: { Key: key("IMAGE#5") } }],
        },
      }),
    );
    expect(await errorOf(twice)).toEqual({
      name: "ValidationException",
      message: "Provided list of item keys contains duplicates",
      status: 400,
    });
    // An injected fault answers in DynamoDB's shape, and nothing of the call is written.
    on.server.injectFault({
      service: "dynamodb",
      operation: "BatchWriteItem",
      type: "InternalServerError",
      message: "Internal server error",
      status: 500,
    });
    const faulted = dynamodb.send(
      new BatchWriteItemCommand({ RequestItems: { [TABLE]: [{ PutRequest: { Item: key("IMAGE#6") } }] } }),
    );
    expect(await errorOf(faulted)).toMatchObject({ name: "InternalServerError", status: 500 });
    const admin = client(on);
    expect(
      (await admin.send(new GetItemCommand({ TableName: TABLE, Key: key("IMAGE#6") }))).Item,
    ).toBeUndefined();
    expect(on.server.calls.filter((c) => c.operation === "BatchWriteItem").map((c) => c.status)).toEqual([
      200, 400, 400, 500,
    ]);
  });

  it("leaves the requests past the 20th of a full BatchWriteItem unprocessed when told to, in the shape a retry sends back", async () => {
    const on = await start({ dynamodb: { batchWriteUnprocessed: { fromItems: 25, processItems: 20 } } });
    await on.dynamodb.createLedgerTable(TABLE);
    const dynamodb = client(on);
    const puts = Array.from({ length: 25 }, (_, i) => ({
      PutRequest: { Item: { ...key(`IMAGE#${i}`), status: { S: "COMPLETE" } } },
    }));
    const first = await dynamodb.send(
      new BatchWriteItemCommand({ RequestItems: { [TABLE]: puts }, ReturnConsumedCapacity: "TOTAL" }),
    );
    expect(first.UnprocessedItems).toEqual({ [TABLE]: puts.slice(20) });
    // Only what was written is charged, and only it is there.
    expect(first.ConsumedCapacity).toEqual([{ TableName: TABLE, CapacityUnits: 20 }]);
    const there = async (i: number) =>
      (await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: key(`IMAGE#${i}`) }))).Item !==
      undefined;
    expect([await there(19), await there(20), await there(24)]).toEqual([true, false, false]);

    // The retry of UnprocessedItems (5 requests, under fromItems) is written whole.
    const retry = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: first.UnprocessedItems }));
    expect(retry.UnprocessedItems).toEqual({});
    expect(await there(24)).toBe(true);
    // A call under fromItems is written whole; one over 25 requests is refused whole (dynalite's check).
    const small = await dynamodb.send(
      new BatchWriteItemCommand({ RequestItems: { [TABLE]: puts.slice(0, 24) } }),
    );
    expect(small.UnprocessedItems).toEqual({});
    const tooMany = dynamodb.send(
      new BatchWriteItemCommand({
        RequestItems: { [TABLE]: [...puts, { PutRequest: { Item: key("IMAGE#25") } }] },
      }),
    );
    expect(await errorOf(tooMany)).toMatchObject({ name: "ValidationException", status: 400 });
  });

  it("returns the item as it was with a refused conditional UpdateItem or PutItem asking ALL_OLD, through IAM, and none when there was no item", async () => {
    const on = await start();
    await on.dynamodb.createLedgerTable(TABLE);
    const writer = principal(on, {
      Effect: "Allow",
      Action: ["dynamodb:PutItem", "dynamodb:UpdateItem"],
      Resource: TABLE_ARN,
    });
    const dynamodb = client(on, writer);
    const digestKey = key("DIGEST#slack", "STATE");
    await dynamodb.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...digestKey, periodKey: { S: "2026-11-30T08:00" } } }),
    );
    const claim = (Key: Record<string, AttributeValue>) =>
      dynamodb.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key,
          UpdateExpression: "SET claimToken = :t",
          ConditionExpression: "attribute_not_exists(periodKey) OR periodKey <> :p",
          ExpressionAttributeValues: { ":t": { S: "token-1" }, ":p": { S: "2026-11-30T08:00" } },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    const refused = (await claim(digestKey).catch(
      (error: unknown) => error,
    )) as ConditionalCheckFailedException;
    expect(refused).toBeInstanceOf(ConditionalCheckFailedException);
    expect(refused.Item).toEqual({ ...digestKey, periodKey: { S: "2026-11-30T08:00" } });

    const put = dynamodb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { ...digestKey, periodKey: { S: "2026-12-07T08:00" } },
        ConditionExpression: "attribute_not_exists(pk)",
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    const putRefused = (await put.catch((error: unknown) => error)) as ConditionalCheckFailedException;
    expect(putRefused.Item?.periodKey).toEqual({ S: "2026-11-30T08:00" });

    // No item: the condition on an absent attribute holds, so ask one that cannot.
    const absent = dynamodb.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key("DIGEST#email", "STATE"),
        UpdateExpression: "SET claimToken = :t",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeValues: { ":t": { S: "token-2" } },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      }),
    );
    const absentRefused = (await absent.catch((error: unknown) => error)) as ConditionalCheckFailedException;
    expect(absentRefused).toBeInstanceOf(ConditionalCheckFailedException);
    expect(absentRefused.Item).toBeUndefined();

    // The read-back is the sandbox's, not the caller's: it is neither authorized (no GetItem grant) nor counted.
    expect(on.iam.denials()).toEqual([]);
    expect(on.server.callCounts()).toEqual({ "dynamodb:PutItem": 2, "dynamodb:UpdateItem": 2 });
    expect(on.dynamodb.conditionalCheckFailures).toEqual({ PutItem: 1, UpdateItem: 2 });
  });

  it("dates its answers by the sandbox's clock, which the functions' clocks follow, so the SDK sees no skew", async () => {
    const week = 7 * 86_400_000;
    const on = await start({ now: () => Date.now() + week });
    await on.dynamodb.createLedgerTable(TABLE);
    const answer = await fetch(on.endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.GetItem",
        authorization:
          "AWS4-HMAC-SHA256 Credential=sandbox/20261201/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        "x-amz-date": "20261201T000000Z",
      },
      body: JSON.stringify({ TableName: TABLE, Key: key("IMAGE#1") }),
    });
    expect(answer.status).toBe(200);
    const dated = Date.parse(answer.headers.get("date") ?? "");
    // HTTP dates are to the second.
    expect(Math.abs(dated - (Date.now() + week))).toBeLessThan(5_000);
  });

  it("stops dynalite with the sandbox: no server or connection left open", async () => {
    const tcpHandles = () =>
      process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap" || r === "TCPSocketWrap").length;
    // Sockets of earlier tests' clients close over the next turns of the event loop: count once they have.
    const settled = async () => {
      let count = tcpHandles();
      for (let stable = 0, i = 0; stable < 5 && i < 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const now = tcpHandles();
        stable = now === count ? stable + 1 : 0;
        count = now;
      }
      return count;
    };
    const before = await settled();
    const on = await start();
    await on.dynamodb.createLedgerTable(TABLE);
    const dynamodb = client(on);
    await putImages(dynamodb, 30);
    await dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: key("IMAGE#1") }));
    const dynaliteEndpoint = on.dynamodb.dynaliteEndpoint;
    dynamodb.destroy();
    await on.close();
    sandbox = undefined;
    await expect(fetch(dynaliteEndpoint, { method: "POST" })).rejects.toThrow();
    expect(await settled()).toBe(before);
  });
});
