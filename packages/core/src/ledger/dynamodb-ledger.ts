import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  BatchGetItemCommand,
  type ConsumedCapacity,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
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
import {
  type ClaimOutcome,
  type FindingsLedger,
  type KnownScan,
  LedgerError,
  type LedgerLogger,
  type RecordScanOutcome,
  type ReferenceHistory,
  type ReportToRecord,
  type ScanToRecord,
  type SendClaim,
  type SendRequest,
} from "./ledger.js";
import {
  IMAGE_PREFIX,
  type ImageFindingsRecord,
  type ItemKey,
  imageFindingsKey,
  imageKey,
  imageName,
  isoTimeOf,
  LEDGER_SCHEMA_VERSION,
  type LedgerImage,
  type LedgerReference,
  lastReportKey,
  parseImageFindingsItem,
  parseImageItem,
  parseLastReportItem,
  parseSentItem,
  referenceName,
  type SentRecord,
  sentKey,
} from "./records.js";

/** BatchGetItem reads at most 100 keys per call. */
export const BATCH_GET_MAX_KEYS = 100;
/** DynamoDB's item size limit (400 KB, attribute names included). */
export const MAX_ITEM_BYTES = 400 * 1024;
/** Room left under the limit for what the size estimate might miss (attributes of another version, rounding). */
const ITEM_SAFETY_BYTES = 2 * 1024;
/** A claim older than this is abandoned (the Lambda died mid-send) and may be claimed again. */
export const CLAIM_TIMEOUT_MS = 15 * 60_000;
/** How long the record of an image gone from the registry is kept before the table's TTL deletes it. */
export const GONE_IMAGE_RETENTION_MS = 30 * 24 * 3_600_000;
/** BatchGetItem calls per chunk of keys while DynamoDB returns some unprocessed; what is left is unknown. */
export const MAX_BATCH_GET_ATTEMPTS = 5;
/** Attempts of a claim whose condition failed but whose item, read back, shows neither a send nor a live claim. */
const MAX_CLAIM_ATTEMPTS = 3;

type Operation = "BatchGetItem" | "GetItem" | "PutItem" | "UpdateItem";
const READ_OPERATIONS = new Set<Operation>(["BatchGetItem", "GetItem"]);

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
class Placeholders {
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
function updateExpression(
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
function notOlderCondition(p: Placeholders, timeAttribute: string, time: string): string {
  const name = p.name(timeAttribute);
  const schema = p.name("schema");
  const version = p.value("schema", LEDGER_SCHEMA_VERSION);
  return `attribute_not_exists(${name}) OR ${name} <= ${p.value(timeAttribute, time)} OR attribute_not_exists(${schema}) OR ${schema} <> ${version}`;
}

function describeMany(names: readonly string[]): string {
  if (names.length <= 3) return names.join(", ");
  return `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
}

function keyOf(item: AttributeMap): ItemKey {
  return { pk: item.pk?.S ?? "", sk: item.sk?.S ?? "" };
}

const keyText = (key: ItemKey) => `${key.pk}\n${key.sk}`;

/**
 * The findings ledger on one DynamoDB table (table.ts): batched reads, conditional writes, every item read checked
 * record by record (records.ts). A condition that fails is a domain answer ("stale", "already-sent"), never an
 * error; any other failure throws a LedgerError naming the table and the image or references.
 */
export class DynamoDbLedger implements FindingsLedger {
  readonly enabled = true;
  readonly tableName: string;
  private readonly client: Pick<DynamoDBClient, "send">;
  private readonly logger: LedgerLogger;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly counters: LedgerStats = {
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

  async lastScans(images: readonly LedgerImage[]): Promise<Map<string, KnownScan>> {
    const scans = new Map<string, KnownScan>();
    if (images.length === 0) return scans;
    const subject = `images ${describeMany(images.map(imageName))}`;
    const { items } = await this.batchGet(images.map(imageKey), subject);
    for (const item of items) {
      const parsed = parseImageItem(item);
      if (!parsed.record) {
        this.ignore(item, parsed.reason);
        continue;
      }
      const { status, completedAt, description } = parsed.record;
      const known: KnownScan = { status, completedAt };
      if (description !== undefined) known.description = description;
      scans.set(String(item.pk).slice(IMAGE_PREFIX.length), known);
    }
    return scans;
  }

  async recordScan(
    image: LedgerImage,
    scan: ScanToRecord,
    findings?: readonly CompactFinding[],
  ): Promise<RecordScanOutcome> {
    const name = imageName(image);
    const completedAt = isoTimeOf(scan.completedAt);
    const updatedAt = this.now().toISOString();
    const p = new Placeholders();
    const written = await this.conditionalWrite("UpdateItem", name, () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem({ ...imageKey(image) }),
          // A scan event means the image exists: a record that was expiring is kept again.
          UpdateExpression: updateExpression(
            p,
            {
              status: scan.status,
              completedAt,
              description: scan.description,
              updatedAt,
              schema: LEDGER_SCHEMA_VERSION,
            },
            ["expiresAt"],
          ),
          ConditionExpression: notOlderCondition(p, "completedAt", completedAt),
          ExpressionAttributeNames: p.names,
          ExpressionAttributeValues: p.values,
          ReturnConsumedCapacity: "TOTAL",
        }),
      ),
    );
    if (!written) return "stale";
    // The stored findings stay those of the last complete scan: a failed rescan records none.
    if (findings) await this.putImageFindings(image, completedAt, findings, updatedAt);
    return "recorded";
  }

  async readImageFindings(image: LedgerImage): Promise<ImageFindingsRecord | undefined> {
    const item = await this.getItem(imageFindingsKey(image), imageName(image), false);
    return this.parsed(item && fromItem(item), parseImageFindingsItem);
  }

  async markImageGone(image: LedgerImage): Promise<void> {
    const expiresAt = Math.floor((this.now().getTime() + GONE_IMAGE_RETENTION_MS) / 1000);
    for (const key of [imageKey(image), imageFindingsKey(image)]) {
      const p = new Placeholders();
      const written = await this.conditionalWrite("UpdateItem", imageName(image), () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: toItem({ ...key }),
            UpdateExpression: updateExpression(p, { expiresAt }),
            ConditionExpression: `attribute_exists(${p.name("pk")})`,
            ExpressionAttributeNames: p.names,
            ExpressionAttributeValues: p.values,
            ReturnConsumedCapacity: "TOTAL",
          }),
        ),
      );
      if (!written)
        this.logger.debug("image gone, no ledger item to expire", { image: imageName(image), sk: key.sk });
    }
  }

  async readReferences(
    refs: readonly LedgerReference[],
    reporters: readonly string[],
  ): Promise<Map<string, ReferenceHistory>> {
    const unique = uniqueReferences(refs);
    const histories = new Map<string, ReferenceHistory>();
    if (unique.length === 0) return histories;
    const keys = unique.flatMap((ref) => [lastReportKey(ref), ...reporters.map((r) => sentKey(ref, r))]);
    const subject = `references ${describeMany(unique.map(referenceName))}`;
    const { items, unknown } = await this.batchGet(keys, subject);
    const byKey = new Map(items.map((item) => [keyText({ pk: String(item.pk), sk: String(item.sk) }), item]));
    const unknownPartitions = new Set(unknown.map((key) => key.pk));
    for (const ref of unique) {
      const lastKey = lastReportKey(ref);
      if (unknownPartitions.has(lastKey.pk)) {
        histories.set(referenceName(ref), { known: false });
        continue;
      }
      const last = this.parsed(byKey.get(keyText(lastKey)), parseLastReportItem);
      const sent = new Map<string, SentRecord>();
      for (const reporter of reporters) {
        const record = this.parsed(byKey.get(keyText(sentKey(ref, reporter))), parseSentItem);
        if (record) sent.set(reporter, record);
      }
      histories.set(referenceName(ref), last ? { known: true, last, sent } : { known: true, sent });
    }
    return histories;
  }

  async recordReport(refs: readonly LedgerReference[], report: ReportToRecord): Promise<void> {
    const scanCompletedAt = isoTimeOf(report.scanCompletedAt);
    await Promise.all(
      uniqueReferences(refs).map(async (ref) => {
        const key = lastReportKey(ref);
        const attributes: Record<string, WritableValue | undefined> = {
          ...key,
          schema: LEDGER_SCHEMA_VERSION,
          digest: report.digest,
          scanCompletedAt,
          over: report.over,
          reportedAt: this.now().toISOString(),
          truncated: false,
        };
        const fitted = this.fit(report.findings, attributes, referenceName(ref));
        const item = toItem({ ...attributes, findings: fitted.entries, truncated: fitted.truncated });
        const p = new Placeholders();
        const written = await this.conditionalWrite("PutItem", referenceName(ref), () =>
          this.client.send(
            new PutItemCommand({
              TableName: this.tableName,
              Item: item,
              ConditionExpression: notOlderCondition(p, "scanCompletedAt", scanCompletedAt),
              ExpressionAttributeNames: p.names,
              ExpressionAttributeValues: p.values,
              ReturnConsumedCapacity: "TOTAL",
            }),
          ),
        );
        if (!written) {
          this.logger.debug("a later report is already recorded for this reference", {
            reference: referenceName(ref),
            scanCompletedAt,
          });
        }
      }),
    );
  }

  /**
   * Claims every reference in a fixed order (sorted), one conditional write each, and stops at the first that is
   * not free, giving back what it took: two invocations racing for the same send meet on the first reference and
   * exactly one goes on. A reference already sent this scan completion answers for the whole report.
   */
  async claimSend(request: SendRequest): Promise<ClaimOutcome> {
    const refs = uniqueReferences(request.refs).sort((a, b) =>
      referenceName(a).localeCompare(referenceName(b)),
    );
    if (refs.length === 0) throw new TypeError("claimSend needs at least one image reference");
    const claim: SendClaim = { ...request, refs, token: randomUUID() };
    const taken: LedgerReference[] = [];
    for (const ref of refs) {
      const outcome = await this.claimReference(ref, claim);
      if (outcome !== "claimed") {
        await this.releaseReferences(taken, claim);
        return { outcome };
      }
      taken.push(ref);
    }
    return { outcome: "claimed", claim };
  }

  async completeSend(claim: SendClaim): Promise<void> {
    await Promise.all(
      claim.refs.map(async (ref) => {
        const p = new Placeholders();
        const subject = `${referenceName(ref)} for reporter ${claim.reporter}`;
        const sent = {
          scanKey: claim.scanKey,
          over: claim.over,
          failed: claim.failedScan ?? false,
          at: this.now().toISOString(),
          schema: LEDGER_SCHEMA_VERSION,
        };
        const written = await this.conditionalWrite("UpdateItem", subject, () =>
          this.client.send(
            new UpdateItemCommand({
              TableName: this.tableName,
              Key: toItem({ ...sentKey(ref, claim.reporter) }),
              UpdateExpression: updateExpression(p, sent, ["claimScanKey", "claimToken", "claimExpiresAt"]),
              ConditionExpression: `${p.name("claimToken")} = ${p.value("token", claim.token)}`,
              ExpressionAttributeNames: p.names,
              ExpressionAttributeValues: p.values,
              ReturnConsumedCapacity: "TOTAL",
            }),
          ),
        );
        if (!written) {
          // The send outlived its claim and another invocation claimed the reference since: it records its own.
          this.logger.warn("send completed after its claim expired; not recorded", {
            tableName: this.tableName,
            reference: referenceName(ref),
            reporter: claim.reporter,
            scanKey: claim.scanKey,
          });
        }
      }),
    );
  }

  async releaseSend(claim: SendClaim): Promise<void> {
    await this.releaseReferences(claim.refs, claim);
  }

  private async putImageFindings(
    image: LedgerImage,
    findingsAt: string,
    findings: readonly CompactFinding[],
    updatedAt: string,
  ): Promise<void> {
    const attributes = {
      ...imageFindingsKey(image),
      schema: LEDGER_SCHEMA_VERSION,
      findingsAt,
      updatedAt,
      truncated: false,
    };
    const fitted = this.fit(findings, attributes, imageName(image));
    const p = new Placeholders();
    const written = await this.conditionalWrite("PutItem", imageName(image), () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ ...attributes, findings: fitted.entries, truncated: fitted.truncated }),
          ConditionExpression: notOlderCondition(p, "findingsAt", findingsAt),
          ExpressionAttributeNames: p.names,
          ExpressionAttributeValues: p.values,
          ReturnConsumedCapacity: "TOTAL",
        }),
      ),
    );
    if (!written)
      this.logger.debug("later findings already recorded for this image", { image: imageName(image) });
  }

  private async claimReference(
    ref: LedgerReference,
    claim: SendClaim,
  ): Promise<"claimed" | "already-sent" | "in-flight"> {
    const key = sentKey(ref, claim.reporter);
    const subject = `${referenceName(ref)} for reporter ${claim.reporter}`;
    for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt++) {
      const nowMs = this.now().getTime();
      const nowSeconds = Math.floor(nowMs / 1000);
      const p = new Placeholders();
      const scanKey = p.value("scanKey", claim.scanKey);
      const condition =
        `(attribute_not_exists(${p.name("scanKey")}) OR #scanKey <> ${scanKey}) AND ` +
        `(attribute_not_exists(${p.name("claimToken")}) OR ${p.name("claimScanKey")} <> ${scanKey} OR ` +
        `${p.name("claimExpiresAt")} < ${p.value("now", nowSeconds)})`;
      let current: AttributeMap | undefined;
      const written = await this.conditionalWrite(
        "UpdateItem",
        subject,
        () =>
          this.client.send(
            new UpdateItemCommand({
              TableName: this.tableName,
              Key: toItem({ ...key }),
              UpdateExpression: `SET #claimScanKey = ${scanKey}, #claimToken = ${p.value("token", claim.token)}, #claimExpiresAt = ${p.value("expiresAt", Math.floor((nowMs + CLAIM_TIMEOUT_MS) / 1000))}, ${p.name("schema")} = ${p.value("schema", LEDGER_SCHEMA_VERSION)}`,
              ConditionExpression: condition,
              ExpressionAttributeNames: p.names,
              ExpressionAttributeValues: p.values,
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
              ReturnConsumedCapacity: "TOTAL",
            }),
          ),
        (failure) => {
          current = failure.Item;
        },
      );
      if (written) return "claimed";
      // DynamoDB hands back the item that failed the condition (ReturnValuesOnConditionCheckFailure): no read.
      if (!current) continue; // no item came back: nothing holds the reference now, try again
      const parsed = parseSentItem(fromItem(current));
      if (!parsed.record) {
        this.ignore(fromItem(current), parsed.reason);
        return "in-flight";
      }
      if (parsed.record.sent?.scanKey === claim.scanKey) return "already-sent";
      const pending = parsed.record.pending;
      if (pending?.scanKey === claim.scanKey && pending.expiresAt >= nowSeconds) return "in-flight";
    }
    return "in-flight";
  }

  private async releaseReferences(refs: readonly LedgerReference[], claim: SendClaim): Promise<void> {
    await Promise.all(
      refs.map(async (ref) => {
        const p = new Placeholders();
        const released = await this.conditionalWrite(
          "UpdateItem",
          `${referenceName(ref)} for reporter ${claim.reporter}`,
          () =>
            this.client.send(
              new UpdateItemCommand({
                TableName: this.tableName,
                Key: toItem({ ...sentKey(ref, claim.reporter) }),
                UpdateExpression: `REMOVE ${p.name("claimScanKey")}, ${p.name("claimToken")}, ${p.name("claimExpiresAt")}`,
                ConditionExpression: `#claimToken = ${p.value("token", claim.token)}`,
                ExpressionAttributeNames: p.names,
                ExpressionAttributeValues: p.values,
                ReturnConsumedCapacity: "TOTAL",
              }),
            ),
        );
        if (!released) {
          this.logger.debug("claim already taken over; nothing to release", {
            reference: referenceName(ref),
            reporter: claim.reporter,
          });
        }
      }),
    );
  }

  /** The findings that fit in the item beside its other attributes, logged when some had to be left out. */
  private fit(
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

  private parsed<T>(
    item: Record<string, unknown> | undefined,
    parse: (item: Record<string, unknown>) => { record: T | undefined; reason?: string },
  ): T | undefined {
    if (!item) return undefined;
    const parsed = parse(item);
    if (parsed.record === undefined) this.ignore(item, parsed.reason ?? "unreadable");
    return parsed.record;
  }

  private ignore(item: Record<string, unknown>, reason: string): void {
    this.logger.warn("ledger item ignored", {
      tableName: this.tableName,
      pk: String(item.pk),
      sk: String(item.sk),
      reason,
    });
  }

  private async getItem(key: ItemKey, subject: string, consistent = true): Promise<AttributeMap | undefined> {
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
  private async batchGet(
    keys: readonly ItemKey[],
    subject: string,
  ): Promise<{ items: Record<string, unknown>[]; unknown: ItemKey[] }> {
    const unique = [...new Map(keys.map((key) => [keyText(key), key])).values()];
    const items: Record<string, unknown>[] = [];
    const unknown: ItemKey[] = [];
    for (let start = 0; start < unique.length; start += BATCH_GET_MAX_KEYS) {
      let pending: AttributeMap[] = unique
        .slice(start, start + BATCH_GET_MAX_KEYS)
        .map((key) => toItem({ ...key }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        const output = await this.call("BatchGetItem", subject, () =>
          this.client.send(
            new BatchGetItemCommand({
              RequestItems: { [this.tableName]: { Keys: pending } },
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
          unknown.push(...pending.map(keyOf));
          break;
        }
        this.counters.unprocessedRetries++;
        await this.sleep(batchBackoffMs(attempt));
      }
    }
    return { items, unknown };
  }

  /** A conditional write: true when written, false when its condition failed (the domain's answer). */
  private async conditionalWrite(
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
  private async call<T extends { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }>(
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

function uniqueReferences(refs: readonly LedgerReference[]): LedgerReference[] {
  return [...new Map(refs.map((ref) => [referenceName(ref), ref])).values()];
}
