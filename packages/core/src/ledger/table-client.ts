import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type ConsumedCapacity,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  type QueryCommandInput,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import pLimit from "p-limit";
import { RetryableAwsError } from "../errors.js";
import type { CompactFinding } from "../model.js";
import {
  type AttributeMap,
  fromItem,
  itemBytes,
  toAttributeValue,
  toItem,
  type WritableValue,
} from "./attributes.js";
import { type FittedFindings, fitFindings } from "./compact.js";
import { LedgerError, type LedgerLogger } from "./ledger.js";
import { type ItemKey, LEDGER_SCHEMA_VERSION } from "./records.js";

/** BatchGetItem reads at most 100 keys per call. */
export const BATCH_GET_MAX_KEYS = 100;
/** DynamoDB's item size limit (400 KB, attribute names included). */
export const MAX_ITEM_BYTES = 400 * 1024;
/** Room left under the limit for what the size estimate might miss (attributes of another version, rounding). */
export const ITEM_SAFETY_BYTES = 2 * 1024;
/** BatchGetItem calls per chunk of keys while DynamoDB returns some unprocessed; what is left is unknown. */
export const MAX_BATCH_GET_ATTEMPTS = 5;

/** BatchGetItem calls of one read in flight at once. */
export const BATCH_GET_CONCURRENCY = 8;
/** BatchWriteItem writes at most 25 items per call. */
export const BATCH_WRITE_MAX_ITEMS = 25;

type Operation = "BatchGetItem" | "GetItem" | "Query" | "PutItem" | "UpdateItem" | "BatchWriteItem";
const READ_OPERATIONS = new Set<Operation>(["BatchGetItem", "GetItem", "Query"]);

/** Calls and consumed capacity since the ledger was created, for `pnpm bench`. */
export interface LedgerStats {
  calls: Partial<Record<Operation, number>>;
  readCapacityUnits: number;
  writeCapacityUnits: number;
  /** BatchGetItem calls made again for keys DynamoDB left unprocessed. */
  unprocessedRetries: number;
  /** Keys still unprocessed after the last attempt, read as unknown. */
  unknownKeys: number;
}

export interface DynamoDbLedgerOptions {
  client: Pick<DynamoDBClient, "send">;
  tableName: string;
  logger: LedgerLogger;
  now?: () => Date;
  /** The wait between BatchGetItem attempts; replaced in tests. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Exponential back-off with jitter: about 50, 100, 200, 400 ms, at most one second. */
function batchBackoffMs(attempt: number): number {
  return Math.min(1000, 50 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
}

function errorName(error: unknown): string {
  return typeof error === "object" && error !== null && "name" in error ? String(error.name) : "";
}

const isConditionFailure = (error: unknown) => errorName(error) === "ConditionalCheckFailedException";

/** Placeholders of one expression: every name as `#name`, every value as `:key`. */
export class Placeholders {
  readonly names: Record<string, string> = {};
  readonly values: AttributeMap = {};

  name(attribute: string): string {
    this.names[`#${attribute}`] = attribute;
    return `#${attribute}`;
  }

  value(key: string, value: WritableValue): string {
    this.values[`:${key}`] = toAttributeValue(value);
    return `:${key}`;
  }
}

/** "SET #a = :a, …" for the defined attributes, "REMOVE #b, …" for the others and for `remove`. */
export function updateExpression(
  p: Placeholders,
  set: Record<string, WritableValue | undefined>,
  remove: readonly string[] = [],
): string {
  const assignments: string[] = [];
  const removals = remove.map((attribute) => p.name(attribute));
  for (const [attribute, value] of Object.entries(set)) {
    if (value === undefined) removals.push(p.name(attribute));
    else assignments.push(`${p.name(attribute)} = ${p.value(attribute, value)}`);
  }
  const parts = [`SET ${assignments.join(", ")}`];
  if (removals.length > 0) parts.push(`REMOVE ${removals.join(", ")}`);
  return parts.join(" ");
}

/**
 * "Not older than what is stored": the item is absent, holds no time, holds an earlier or equal time, or was
 * written in another record format (read as absent, so overwritten).
 */
export function notOlderCondition(p: Placeholders, timeAttribute: string, time: string): string {
  const name = p.name(timeAttribute);
  const schema = p.name("schema");
  const version = p.value("schema", LEDGER_SCHEMA_VERSION);
  return `attribute_not_exists(${name}) OR ${name} <= ${p.value(timeAttribute, time)} OR attribute_not_exists(${schema}) OR ${schema} <> ${version}`;
}

export function describeMany(names: readonly string[]): string {
  if (names.length <= 3) return names.join(", ");
  return `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
}

function keyOf(item: AttributeMap): ItemKey {
  return { pk: item.pk?.S ?? "", sk: item.sk?.S ?? "" };
}

export const keyText = (key: ItemKey) => `${key.pk}\n${key.sk}`;

/**
 * One ledger table, as every ledger class reaches it: each call counted with its consumed capacity (for
 * `pnpm bench`), batched reads that ask again for unprocessed keys, conditional writes whose failed condition is an
 * answer rather than an error, and items read record by record. Any other failure throws a LedgerError naming the
 * table and the subject.
 */
export class LedgerTable {
  readonly tableName: string;
  protected readonly client: Pick<DynamoDBClient, "send">;
  protected readonly logger: LedgerLogger;
  protected readonly now: () => Date;
  protected readonly sleep: (ms: number) => Promise<void>;
  protected readonly counters: LedgerStats = {
    calls: {},
    readCapacityUnits: 0,
    writeCapacityUnits: 0,
    unprocessedRetries: 0,
    unknownKeys: 0,
  };

  constructor(options: DynamoDbLedgerOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.logger = options.logger;
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? defaultSleep;
  }

  stats(): LedgerStats {
    return { ...this.counters, calls: { ...this.counters.calls } };
  }

  /** The findings that fit in the item beside its other attributes, logged when some had to be left out. */
  protected fit(
    findings: readonly CompactFinding[],
    otherAttributes: Record<string, WritableValue | undefined>,
    subject: string,
  ): FittedFindings {
    const budget =
      MAX_ITEM_BYTES - ITEM_SAFETY_BYTES - itemBytes(toItem(otherAttributes)) - "findings".length;
    const fitted = fitFindings(findings, budget);
    if (fitted.truncated) {
      this.logger.warn("findings left out of the ledger item to fit DynamoDB's item size limit", {
        tableName: this.tableName,
        subject,
        kept: fitted.entries.length,
        total: findings.length,
      });
    }
    return fitted;
  }

  protected parsed<T>(
    item: Record<string, unknown> | undefined,
    parse: (item: Record<string, unknown>) => { record: T | undefined; reason?: string },
  ): T | undefined {
    if (!item) return undefined;
    const parsed = parse(item);
    if (parsed.record === undefined) this.ignore(item, parsed.reason ?? "unreadable");
    return parsed.record;
  }

  protected ignore(item: Record<string, unknown>, reason: string): void {
    this.logger.warn("ledger item ignored", {
      tableName: this.tableName,
      pk: String(item.pk),
      sk: String(item.sk),
      reason,
    });
  }

  protected async getItem(
    key: ItemKey,
    subject: string,
    consistent = true,
  ): Promise<AttributeMap | undefined> {
    const output = await this.call("GetItem", subject, () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: toItem({ ...key }),
          ConsistentRead: consistent,
          ReturnConsumedCapacity: "TOTAL",
        }),
      ),
    );
    return output.Item;
  }

  /**
   * Reads the keys 100 per call, calling again (with back-off, a bounded number of times) for the keys DynamoDB
   * leaves unprocessed under load; the keys still unprocessed after that are returned as unknown, and logged.
   */
  protected async batchGet(
    keys: readonly ItemKey[],
    subject: string,
  ): Promise<{ items: Record<string, unknown>[]; unknown: ItemKey[] }> {
    const unique = [...new Map(keys.map((key) => [keyText(key), key])).values()];
    const chunks: ItemKey[][] = [];
    for (let start = 0; start < unique.length; start += BATCH_GET_MAX_KEYS) {
      chunks.push(unique.slice(start, start + BATCH_GET_MAX_KEYS));
    }
    // Several calls in flight: a digest over 100,000 images is 1,000 calls, which one after another take most of
    // its time. The client's adaptive retry slows them all down together under throttling.
    const limit = pLimit(BATCH_GET_CONCURRENCY);
    const read = await Promise.all(chunks.map((chunk) => limit(() => this.batchGetChunk(chunk, subject))));
    return { items: read.flatMap((r) => r.items), unknown: read.flatMap((r) => r.unknown) };
  }

  /** One chunk of at most 100 keys, asked again for what DynamoDB leaves unprocessed, a bounded number of times. */
  private async batchGetChunk(
    chunk: readonly ItemKey[],
    subject: string,
  ): Promise<{ items: Record<string, unknown>[]; unknown: ItemKey[] }> {
    const items: Record<string, unknown>[] = [];
    let pending: AttributeMap[] = chunk.map((key) => toItem({ ...key }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      const keys = pending;
      const output = await this.call("BatchGetItem", subject, () =>
        this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.tableName]: { Keys: keys } },
            ReturnConsumedCapacity: "TOTAL",
          }),
        ),
      );
      items.push(...(output.Responses?.[this.tableName] ?? []).map(fromItem));
      pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      if (pending.length === 0) break;
      if (attempt >= MAX_BATCH_GET_ATTEMPTS) {
        this.counters.unknownKeys += pending.length;
        this.logger.warn("ledger keys still unprocessed after retries: read as unknown", {
          tableName: this.tableName,
          subject,
          unknownKeys: pending.length,
          attempts: attempt,
        });
        return { items, unknown: pending.map(keyOf) };
      }
      this.counters.unprocessedRetries++;
      await this.sleep(batchBackoffMs(attempt));
    }
    return { items, unknown: [] };
  }

  /**
   * Every item a Query answers, page after page (each page at most 1 MB, or `Limit` items). `input` without the
   * table name, the start key and the capacity setting, which this adds.
   */
  protected async queryAll(
    input: Omit<QueryCommandInput, "TableName" | "ExclusiveStartKey" | "ReturnConsumedCapacity">,
    subject: string,
  ): Promise<{ items: Record<string, unknown>[]; pages: number }> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    let pages = 0;
    do {
      const output = await this.call("Query", subject, () =>
        this.client.send(
          new QueryCommand({
            ...input,
            TableName: this.tableName,
            ExclusiveStartKey: startKey,
            ReturnConsumedCapacity: "TOTAL",
          }),
        ),
      );
      pages++;
      items.push(...(output.Items ?? []).map(fromItem));
      startKey = output.LastEvaluatedKey;
    } while (startKey);
    return { items, pages };
  }

  /**
   * Puts and deletes, 25 a call, asking again (with back-off, a bounded number of times) for what DynamoDB leaves
   * unprocessed. Unlike a read, nothing may be dropped: what is still unprocessed after that throws a retryable
   * LedgerError, so that the caller's retry writes it.
   */
  protected async batchWrite(requests: readonly WriteRequest[], subject: string): Promise<void> {
    for (let start = 0; start < requests.length; start += BATCH_WRITE_MAX_ITEMS) {
      let pending = requests.slice(start, start + BATCH_WRITE_MAX_ITEMS);
      for (let attempt = 1; pending.length > 0; attempt++) {
        const batch = pending;
        const output = await this.call("BatchWriteItem", subject, () =>
          this.client.send(
            new BatchWriteItemCommand({
              RequestItems: { [this.tableName]: batch },
              ReturnConsumedCapacity: "TOTAL",
            }),
          ),
        );
        pending = output.UnprocessedItems?.[this.tableName] ?? [];
        if (pending.length === 0) break;
        if (attempt >= MAX_BATCH_GET_ATTEMPTS) {
          const unprocessed = new RetryableAwsError(
            `${pending.length} item(s) left unprocessed after ${attempt} attempts`,
          );
          throw new LedgerError("BatchWriteItem", this.tableName, subject, unprocessed);
        }
        this.counters.unprocessedRetries++;
        await this.sleep(batchBackoffMs(attempt));
      }
    }
  }

  /** A conditional write: true when written, false when its condition failed (the domain's answer). */
  protected async conditionalWrite(
    operation: Operation,
    subject: string,
    run: () => Promise<{ ConsumedCapacity?: ConsumedCapacity }>,
    onConditionFailure?: (failure: { Item?: Record<string, AttributeValue> }) => void,
  ): Promise<boolean> {
    try {
      await this.call(operation, subject, run, { rethrow: isConditionFailure });
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      onConditionFailure?.(error as { Item?: Record<string, AttributeValue> });
      return false;
    }
  }

  /** One DynamoDB call, counted with its consumed capacity; an error becomes a LedgerError (unless `rethrow`). */
  protected async call<T extends { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }>(
    operation: Operation,
    subject: string,
    run: () => Promise<T>,
    options: { rethrow?: (error: unknown) => boolean } = {},
  ): Promise<T> {
    this.counters.calls[operation] = (this.counters.calls[operation] ?? 0) + 1;
    let output: T;
    try {
      output = await run();
    } catch (error) {
      if (options.rethrow?.(error)) throw error;
      throw new LedgerError(operation, this.tableName, subject, error);
    }
    const consumed = [output.ConsumedCapacity ?? []].flat();
    const units = consumed.reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
    if (READ_OPERATIONS.has(operation)) this.counters.readCapacityUnits += units;
    else this.counters.writeCapacityUnits += units;
    return output;
  }
}
