import { randomUUID } from "node:crypto";
import { type AttributeValue, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import * as z from "zod";
import { fromItem, toItem } from "./attributes.js";
import { CLAIM_TIMEOUT_MS } from "./dynamodb-ledger.js";
import { type ItemKey, LEDGER_SCHEMA_VERSION, type Parsed, parseLedgerItem } from "./records.js";
import { LedgerTable, Placeholders, updateExpression } from "./table-client.js";

/**
 * What is left of the KEV escalations (use-cases/escalate-kev.ts): one small item, `INTEL#KEV-ESCALATION` /
 * `PENDING`, beside the intel cache's `INTEL#KEV` items.
 *
 * - `incoming` (string set): CVE ids newly on KEV whose escalation has not started. A string set because adding to
 *   it (`ADD`) is atomic and idempotent: whoever learns of an addition records it at once, lease or not.
 * - `batch` (list) and `after`: the CVE ids being escalated together, and the last image (records.ts `imageName`)
 *   queued for them; images are queued in name order, so the next run starts after it. Absent between batches.
 * - `leaseToken`, `leaseExpiresAt` (epoch seconds): the run working on them. Two runs at once (a doubled
 *   schedule) never both queue: the second finds a live lease and leaves the work to the first. A lease older than
 *   15 minutes (a run that died; Lambda stops any run by then) is free again.
 */
export const KEV_ESCALATION_PARTITION = "INTEL#KEV-ESCALATION";
export const KEV_ESCALATION_SORT_KEY = "PENDING";

export const kevEscalationKey = (): ItemKey => ({
  pk: KEV_ESCALATION_PARTITION,
  sk: KEV_ESCALATION_SORT_KEY,
});

/** The CVE ids being escalated together, and the last image queued for them (absent: none yet). */
export interface KevEscalationBatch {
  cves: string[];
  after?: string;
}

/** What is left to escalate. */
export interface PendingKevEscalations {
  /** CVE ids newly on KEV whose escalation has not started, sorted. */
  incoming: string[];
  /** The batch in progress. */
  batch?: KevEscalationBatch;
}

/** A run's hold on the pending escalations, and what they were when it took them. */
export interface KevEscalationLease {
  token: string;
  pending: PendingKevEscalations;
}

/** A run's progress: the batch left in progress (absent: none), and the CVE ids it took out of `incoming`. */
export interface KevEscalationProgress {
  batch?: KevEscalationBatch;
  taken: readonly string[];
}

/** The ledger's side of KEV escalations. */
export interface KevEscalationStore {
  /** Records CVE ids newly on KEV (each once, whoever else adds them) and answers what is pending. */
  add(cveIds: readonly string[]): Promise<PendingKevEscalations>;
  /** What is pending. */
  read(): Promise<PendingKevEscalations>;
  /** Holds the pending escalations for one run; undefined when another run holds them. */
  lease(): Promise<KevEscalationLease | undefined>;
  /** Records the run's progress and lets go; false when the lease had expired and another run took it. */
  commit(lease: KevEscalationLease, progress: KevEscalationProgress): Promise<boolean>;
}

const pendingItemSchema = z.object({
  pk: z.literal(KEV_ESCALATION_PARTITION),
  sk: z.literal(KEV_ESCALATION_SORT_KEY),
  incoming: z.set(z.string().min(1)).optional(),
  batch: z.array(z.string().min(1)).min(1).optional(),
  after: z.string().min(1).optional(),
  leaseToken: z.string().min(1).optional(),
  leaseExpiresAt: z.number().int().nonnegative().optional(),
});

const NOTHING_PENDING: PendingKevEscalations = { incoming: [] };

/** Reads the item; another format or a malformed item is ignored with a reason (then nothing is pending). */
export function parseKevEscalationItem(item: Record<string, unknown>): Parsed<PendingKevEscalations> {
  return parseLedgerItem(pendingItemSchema, item, (valid) => {
    const pending: PendingKevEscalations = { incoming: [...(valid.incoming ?? [])].sort() };
    if (valid.batch) {
      pending.batch = { cves: valid.batch };
      if (valid.after !== undefined) pending.batch.after = valid.after;
    }
    return pending;
  });
}

/** A string set for an expression: DynamoDB has no empty set, so callers leave an empty one out. */
const stringSet = (values: readonly string[]): AttributeValue => ({ SS: [...new Set(values)] });

/** The pending KEV escalations on the ledger table. Calls that fail throw LedgerErrors; the caller decides. */
export class DynamoDbKevEscalations extends LedgerTable implements KevEscalationStore {
  async add(cveIds: readonly string[]): Promise<PendingKevEscalations> {
    if (cveIds.length === 0) return this.read();
    const p = new Placeholders();
    const set = updateExpression(p, {
      schema: LEDGER_SCHEMA_VERSION,
      updatedAt: this.now().toISOString(),
    });
    p.values[":incoming"] = stringSet(cveIds);
    const output = await this.call("UpdateItem", "pending KEV escalations", () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem({ ...kevEscalationKey() }),
          UpdateExpression: `${set} ADD ${p.name("incoming")} :incoming`,
          ExpressionAttributeNames: p.names,
          ExpressionAttributeValues: p.values,
          ReturnValues: "ALL_NEW",
          ReturnConsumedCapacity: "TOTAL",
        }),
      ),
    );
    return this.pendingOf(output.Attributes);
  }

  async read(): Promise<PendingKevEscalations> {
    return this.pendingOf(await this.getItem(kevEscalationKey(), "pending KEV escalations"));
  }

  async lease(): Promise<KevEscalationLease | undefined> {
    const token = randomUUID();
    const nowMs = this.now().getTime();
    const p = new Placeholders();
    const set = updateExpression(p, {
      leaseToken: token,
      leaseExpiresAt: Math.floor((nowMs + CLAIM_TIMEOUT_MS) / 1000),
      schema: LEDGER_SCHEMA_VERSION,
      updatedAt: new Date(nowMs).toISOString(),
    });
    const condition = `attribute_not_exists(${p.name("leaseToken")}) OR ${p.name("leaseExpiresAt")} < ${p.value("now", Math.floor(nowMs / 1000))}`;
    let attributes: Record<string, AttributeValue> | undefined;
    const leased = await this.conditionalWrite("UpdateItem", "pending KEV escalations", async () => {
      const output = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem({ ...kevEscalationKey() }),
          UpdateExpression: set,
          ConditionExpression: condition,
          ExpressionAttributeNames: p.names,
          ExpressionAttributeValues: p.values,
          ReturnValues: "ALL_NEW",
          ReturnConsumedCapacity: "TOTAL",
        }),
      );
      attributes = output.Attributes;
      return output;
    });
    return leased ? { token, pending: this.pendingOf(attributes) } : undefined;
  }

  async commit(lease: KevEscalationLease, progress: KevEscalationProgress): Promise<boolean> {
    const p = new Placeholders();
    let expression = updateExpression(
      p,
      {
        batch: progress.batch?.cves,
        after: progress.batch?.after,
        schema: LEDGER_SCHEMA_VERSION,
        updatedAt: this.now().toISOString(),
      },
      ["leaseToken", "leaseExpiresAt"],
    );
    if (progress.taken.length > 0) {
      p.values[":taken"] = stringSet(progress.taken);
      expression += ` DELETE ${p.name("incoming")} :taken`;
    }
    const condition = `${p.name("leaseToken")} = ${p.value("token", lease.token)}`;
    const written = await this.conditionalWrite("UpdateItem", "pending KEV escalations", () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem({ ...kevEscalationKey() }),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: p.names,
          ExpressionAttributeValues: p.values,
          ReturnConsumedCapacity: "TOTAL",
        }),
      ),
    );
    if (!written) {
      this.logger.warn(
        "KEV escalation lease lost before its progress was recorded; the next run repeats it",
        {
          tableName: this.tableName,
        },
      );
    }
    return written;
  }

  private pendingOf(item: Record<string, AttributeValue> | undefined): PendingKevEscalations {
    if (!item) return { ...NOTHING_PENDING };
    return this.parsed(fromItem(item), parseKevEscalationItem) ?? { ...NOTHING_PENDING };
  }
}
