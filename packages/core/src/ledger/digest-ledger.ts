import { randomUUID } from "node:crypto";
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import pLimit from "p-limit";
import type { SeverityCounts } from "../model.js";
import { type AttributeMap, fromItem, toItem } from "./attributes.js";
import {
  type ChangeLogEntry,
  COVERAGE_PREFIX,
  changeLogPartitions,
  type DigestState,
  digestStateKey,
  parseChangeLogItem,
  parseCoverageItem,
  parseDigestStateItem,
  type RepositoryCoverage,
} from "./digest-records.js";
import { CLAIM_TIMEOUT_MS } from "./dynamodb-ledger.js";
import { LEDGER_SCHEMA_VERSION } from "./records.js";
import { encodeCounts } from "./summary.js";
import { VULNERABILITY_INDEX } from "./table.js";
import { LedgerTable, Placeholders, updateExpression } from "./table-client.js";
import { parseVulnerabilityIndexItem, type VulnerabilityIndexEntry } from "./vulnerability-index.js";

/** Index Queries in flight at once (a digest asks about every CVE of the KEV catalog, ~1,500 today). */
const INDEX_QUERY_CONCURRENCY = 8;

/** A claimed digest; pass it to completeDigest once sent, or to releaseDigest when the send failed. */
export interface DigestClaim {
  reporterId: string;
  periodKey: string;
  token: string;
}

/** "already-sent": this route's digest of this period went out. "in-flight": another invocation is sending it. */
export type DigestClaimOutcome =
  | { outcome: "claimed"; claim: DigestClaim }
  | { outcome: "already-sent" | "in-flight" };

/** The ledger's side of digests (docs/architecture.md, "Digests"): the period's changes, coverage, and claims. */
export interface DigestLedger {
  /** What reports called new, fixed and raised between two times, read a day partition at a time. */
  changesBetween(start: Date, end: Date): Promise<{ entries: ChangeLogEntry[]; ignored: number }>;
  /** The latest run's coverage of every repository of the registries. */
  coverage(registryIds: readonly string[]): Promise<RepositoryCoverage[]>;
  /**
   * The vulnerability-index entries of these vulnerability ids (the by-vulnerability GSI, one Query each, several at
   * once): every image the ledger knows to contain one of them.
   */
  indexEntriesOf(vulnerabilityIds: readonly string[]): Promise<VulnerabilityIndexEntry[]>;
  /** Each route's last digest and claim, keyed by reporter id (absent: never sent). */
  digestStates(reporterIds: readonly string[]): Promise<Map<string, DigestState>>;
  /** Claims the digest of one period for one route: at most one invocation wins, and only once. */
  claimDigest(reporterId: string, periodKey: string): Promise<DigestClaimOutcome>;
  /**
   * Records the digest as sent, with the open counts the next digest compares with. `periodEnd` (the digest's
   * `period.end`, the schedule's time) is where the next period starts: recording the send's own time instead
   * would leave the changes logged between the schedule and the send (or a retry minutes later) out of both
   * digests. The ledger's clock when absent.
   */
  completeDigest(claim: DigestClaim, counts: SeverityCounts, periodEnd?: Date): Promise<void>;
  /** Gives a claim up after a failed send, so that a retry can claim and send. */
  releaseDigest(claim: DigestClaim): Promise<void>;
}

/** The digest side of the ledger on its DynamoDB table. */
export class DynamoDbDigestLedger extends LedgerTable implements DigestLedger {
  async changesBetween(start: Date, end: Date): Promise<{ entries: ChangeLogEntry[]; ignored: number }> {
    const entries: ChangeLogEntry[] = [];
    let ignored = 0;
    // The sort key starts with the report's time: BETWEEN keeps the period's part of the first and last day.
    const from = start.toISOString();
    const to = `${end.toISOString()}\uffff`;
    for (const partition of changeLogPartitions(start, end)) {
      const { items } = await this.queryAll(
        {
          KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
          ExpressionAttributeValues: toItem({ ":pk": partition, ":from": from, ":to": to }),
        },
        `change log ${partition}`,
      );
      for (const item of items) {
        const parsed = parseChangeLogItem(item);
        if (parsed.record) entries.push(parsed.record);
        else {
          ignored++;
          this.ignore(item, parsed.reason);
        }
      }
    }
    return { entries, ignored };
  }

  async indexEntriesOf(vulnerabilityIds: readonly string[]): Promise<VulnerabilityIndexEntry[]> {
    const limit = pLimit(INDEX_QUERY_CONCURRENCY);
    const found = await Promise.all(
      [...new Set(vulnerabilityIds)].map((id) =>
        limit(async () => {
          const { items } = await this.queryAll(
            {
              IndexName: VULNERABILITY_INDEX,
              KeyConditionExpression: "#v = :v",
              ExpressionAttributeNames: { "#v": "vulnerability" },
              ExpressionAttributeValues: toItem({ ":v": id }),
            },
            `images with ${id}`,
          );
          return items.flatMap((item) => this.parsed(item, parseVulnerabilityIndexItem) ?? []);
        }),
      ),
    );
    return found.flat();
  }

  async coverage(registryIds: readonly string[]): Promise<RepositoryCoverage[]> {
    const coverage: RepositoryCoverage[] = [];
    for (const registryId of new Set(registryIds)) {
      const { items } = await this.queryAll(
        {
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: toItem({ ":pk": `${COVERAGE_PREFIX}${registryId}` }),
        },
        `coverage of registry ${registryId}`,
      );
      for (const item of items) {
        const record = this.parsed(item, parseCoverageItem);
        if (record) coverage.push(record);
      }
    }
    return coverage;
  }

  async digestStates(reporterIds: readonly string[]): Promise<Map<string, DigestState>> {
    const states = new Map<string, DigestState>();
    if (reporterIds.length === 0) return states;
    const { items } = await this.batchGet(
      reporterIds.map(digestStateKey),
      `digests of ${reporterIds.join(", ")}`,
    );
    for (const item of items) {
      const state = this.parsed(item, parseDigestStateItem);
      if (state) states.set(state.reporterId, state);
    }
    return states;
  }

  async claimDigest(reporterId: string, periodKey: string): Promise<DigestClaimOutcome> {
    const claim: DigestClaim = { reporterId, periodKey, token: randomUUID() };
    const nowMs = this.now().getTime();
    const nowSeconds = Math.floor(nowMs / 1000);
    const p = new Placeholders();
    const key = p.value("periodKey", periodKey);
    const condition =
      `(attribute_not_exists(${p.name("periodKey")}) OR #periodKey <> ${key}) AND ` +
      `(attribute_not_exists(${p.name("claimToken")}) OR ${p.name("claimPeriodKey")} <> ${key} OR ` +
      `${p.name("claimExpiresAt")} < ${p.value("now", nowSeconds)})`;
    let current: AttributeMap | undefined;
    const written = await this.conditionalWrite(
      "UpdateItem",
      `digest of ${reporterId}`,
      () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: toItem({ ...digestStateKey(reporterId) }),
            UpdateExpression: `SET #claimPeriodKey = ${key}, #claimToken = ${p.value("token", claim.token)}, #claimExpiresAt = ${p.value("expiresAt", Math.floor((nowMs + CLAIM_TIMEOUT_MS) / 1000))}, ${p.name("schema")} = ${p.value("schema", LEDGER_SCHEMA_VERSION)}`,
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
    if (written) return { outcome: "claimed", claim };
    const state = current && parseDigestStateItem(fromItem(current)).record;
    return { outcome: state?.last?.periodKey === periodKey ? "already-sent" : "in-flight" };
  }

  async completeDigest(claim: DigestClaim, counts: SeverityCounts, periodEnd?: Date): Promise<void> {
    const p = new Placeholders();
    const written = await this.conditionalWrite("UpdateItem", `digest of ${claim.reporterId}`, () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem({ ...digestStateKey(claim.reporterId) }),
          UpdateExpression: updateExpression(
            p,
            {
              periodKey: claim.periodKey,
              at: (periodEnd ?? this.now()).toISOString(),
              counts: encodeCounts(counts),
              schema: LEDGER_SCHEMA_VERSION,
            },
            ["claimPeriodKey", "claimToken", "claimExpiresAt"],
          ),
          ConditionExpression: `${p.name("claimToken")} = ${p.value("token", claim.token)}`,
          ExpressionAttributeNames: p.names,
          ExpressionAttributeValues: p.values,
          ReturnConsumedCapacity: "TOTAL",
        }),
      ),
    );
    if (!written) {
      this.logger.warn("digest sent after its claim expired; not recorded", {
        tableName: this.tableName,
        reporter: claim.reporterId,
        periodKey: claim.periodKey,
      });
    }
  }

  async releaseDigest(claim: DigestClaim): Promise<void> {
    const p = new Placeholders();
    await this.conditionalWrite("UpdateItem", `digest of ${claim.reporterId}`, () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem({ ...digestStateKey(claim.reporterId) }),
          UpdateExpression: `REMOVE ${p.name("claimPeriodKey")}, ${p.name("claimToken")}, ${p.name("claimExpiresAt")}`,
          ConditionExpression: `#claimToken = ${p.value("token", claim.token)}`,
          ExpressionAttributeNames: p.names,
          ExpressionAttributeValues: p.values,
          ReturnConsumedCapacity: "TOTAL",
        }),
      ),
    );
  }
}
