import { randomUUID } from "node:crypto";
import { PutItemCommand, UpdateItemCommand, type WriteRequest } from "@aws-sdk/client-dynamodb";
import type { CompactFinding } from "../model.js";
import { type AttributeMap, fromItem, toItem, type WritableValue } from "./attributes.js";
import { encodeFinding, severityRankOf } from "./compact.js";
import {
  type ForgetImageOutcome,
  GONE_REFERENCE_RETENTION_MS,
  referencesOfDeletedImage,
  sortDeletedImageItems,
} from "./deleted-images.js";
import {
  CHANGE_LOG_RETENTION_MS,
  type ChangeLogEntry,
  COVERAGE_COUNTS,
  COVERAGE_RETENTION_MS,
  changeLogPartition,
  coverageKey,
  type RepositoryCoverage,
} from "./digest-records.js";
import type {
  ClaimOutcome,
  FindingsLedger,
  KnownScan,
  RecordScanOutcome,
  ReferenceHistory,
  ReportToRecord,
  ScanToRecord,
  SendClaim,
  SendRequest,
} from "./ledger.js";
import {
  IMAGE_PREFIX,
  type ImageFindingsRecord,
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
import { summarizeFindings, summaryAttributes, summaryOf } from "./summary.js";
import {
  describeMany,
  keyText,
  LedgerTable,
  notOlderCondition,
  Placeholders,
  updateExpression,
} from "./table-client.js";
import { sameIndexEntry, VULNERABILITY_SORT_PREFIX, vulnerabilityIndexItem } from "./vulnerability-index.js";

/** A claim older than this is abandoned (the Lambda died mid-send) and may be claimed again. */
export const CLAIM_TIMEOUT_MS = 15 * 60_000;
/** Attempts of a claim whose condition failed but whose item, read back, shows neither a send nor a live claim. */
const MAX_CLAIM_ATTEMPTS = 3;

/**
 * The findings ledger on one DynamoDB table (table.ts): batched reads, conditional writes, every item read checked
 * record by record (records.ts). A condition that fails is a domain answer ("stale", "already-sent"), never an
 * error; any other failure throws a LedgerError naming the table and the image or references.
 */
export class DynamoDbLedger extends LedgerTable implements FindingsLedger {
  readonly enabled = true;

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
      const summary = summaryOf(item);
      if (summary) known.summary = summary;
      scans.set(String(item.pk).slice(IMAGE_PREFIX.length), known);
    }
    return scans;
  }

  async recordScan(
    image: LedgerImage & { tags?: readonly string[] },
    scan: ScanToRecord,
    findings?: readonly CompactFinding[],
  ): Promise<RecordScanOutcome> {
    const name = imageName(image);
    const completedAt = isoTimeOf(scan.completedAt);
    const updatedAt = this.now().toISOString();
    const p = new Placeholders();
    // The summary goes with the findings: a failed rescan leaves the last complete scan's summary (and findings).
    const summary = findings ? summaryAttributes(summarizeFindings(findings)) : {};
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
              ...summary,
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
    if (findings && (await this.putImageFindings(image, completedAt, findings, updatedAt))) {
      await this.syncVulnerabilityIndex({ ...image, tags: image.tags ?? [] }, findings, completedAt);
    }
    return "recorded";
  }

  async recordChanges(entry: ChangeLogEntry): Promise<void> {
    const at = new Date(entry.at);
    const attributes = {
      pk: changeLogPartition(at),
      sk: `${isoTimeOf(at)}#${entry.registryId}/${entry.repository}@${entry.digest}`,
      schema: LEDGER_SCHEMA_VERSION,
      at: isoTimeOf(at),
      registryId: entry.registryId,
      repository: entry.repository,
      digest: entry.digest,
      references: entry.references,
      fixed: entry.fixedFindings.map(encodeFinding),
      raised: entry.raisedFindings.map(encodeFinding),
      expiresAt: Math.floor((at.getTime() + CHANGE_LOG_RETENTION_MS) / 1000),
    };
    // New findings can be many (a rebuild on another base image): the most severe that fit.
    const fitted = this.fit(entry.newFindings, attributes, `change log of ${attributes.sk}`);
    await this.call("PutItem", attributes.sk, () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: toItem({ ...attributes, new: fitted.entries }),
          ReturnConsumedCapacity: "TOTAL",
        }),
      ),
    );
  }

  async recordCoverage(coverage: RepositoryCoverage): Promise<void> {
    const p = new Placeholders();
    const counts = Object.fromEntries(COVERAGE_COUNTS.map((name) => [name, coverage[name]]));
    const expiresAt = Math.floor((Date.parse(coverage.at) + COVERAGE_RETENTION_MS) / 1000);
    const subject = `coverage of ${coverage.registryId}/${coverage.repository}`;
    await this.call("UpdateItem", subject, () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: toItem({ ...coverageKey(coverage.registryId, coverage.repository) }),
          UpdateExpression: updateExpression(p, {
            schema: LEDGER_SCHEMA_VERSION,
            runId: coverage.runId,
            at: isoTimeOf(coverage.at),
            ...counts,
            expiresAt,
          }),
          ExpressionAttributeNames: p.names,
          ExpressionAttributeValues: p.values,
          ReturnConsumedCapacity: "TOTAL",
        }),
      ),
    );
  }

  async readImageFindings(image: LedgerImage): Promise<ImageFindingsRecord | undefined> {
    return (await this.readImagesFindings([image])).get(imageName(image));
  }

  async readImagesFindings(images: readonly LedgerImage[]): Promise<Map<string, ImageFindingsRecord>> {
    const records = new Map<string, ImageFindingsRecord>();
    if (images.length === 0) return records;
    // BatchGetItem, not GetItem: one grant for every ledger read, and up to 100 images a call (a response over
    // 16 MB leaves keys unprocessed, which batchGet asks for again).
    const { items } = await this.batchGet(
      images.map(imageFindingsKey),
      `findings of ${describeMany(images.map(imageName))}`,
    );
    for (const item of items) {
      const record = this.parsed(item, parseImageFindingsItem);
      if (record) records.set(String(item.pk).slice(IMAGE_PREFIX.length), record);
    }
    return records;
  }

  async forgetImage(
    image: LedgerImage & { tags?: readonly string[] },
    deletedAt: string,
  ): Promise<ForgetImageOutcome> {
    const subject = `records of deleted image ${imageName(image)}`;
    const p = new Placeholders();
    const { items } = await this.queryAll(
      {
        KeyConditionExpression: `${p.name("pk")} = ${p.value("pk", imageKey(image).pk)}`,
        // Only what sorting the items needs: the FINDINGS item's findings would be carried here for nothing.
        ProjectionExpression: ["pk", "sk", "completedAt", "findingsAt", "tags"]
          .map((a) => p.name(a))
          .join(", "),
        ExpressionAttributeNames: p.names,
        ExpressionAttributeValues: p.values,
      },
      subject,
    );
    const { doomed, kept, tagsAtScan } = sortDeletedImageItems(items, deletedAt);
    // The references first: once the items are deleted, the tags at scan they named cannot be read again, so a
    // retry after a failure half-way still finds them.
    const referencesExpired = await this.expireReferences(
      referencesOfDeletedImage(image, [...(image.tags ?? []), ...tagsAtScan]),
    );
    await this.batchWrite(
      doomed.map((key) => ({ DeleteRequest: { Key: toItem({ ...key }) } })),
      subject,
    );
    if (kept.length > 0) {
      this.logger.info(
        "kept the records of a scan completed after the image's deletion: pushed again since",
        {
          image: imageName(image),
          deletedAt,
          kept: kept.map((key) => key.sk),
        },
      );
    }
    return { deleted: doomed.length, kept: kept.length, referencesExpired };
  }

  async expireReferences(refs: readonly LedgerReference[]): Promise<number> {
    const expiresAt = Math.floor((this.now().getTime() + GONE_REFERENCE_RETENTION_MS) / 1000);
    const written = await Promise.all(
      uniqueReferences(refs).map((ref) => {
        const p = new Placeholders();
        return this.conditionalWrite("UpdateItem", referenceName(ref), () =>
          this.client.send(
            new UpdateItemCommand({
              TableName: this.tableName,
              Key: toItem({ ...lastReportKey(ref) }),
              UpdateExpression: updateExpression(p, { expiresAt }),
              // Only the report of this digest (a tag moved to another image since keeps its own), and once (a
              // redelivered event does not push the expiry back). A reference never reported has no item to match.
              ConditionExpression: `${p.name("digest")} = ${p.value("digest", ref.digest)} AND attribute_not_exists(${p.name("expiresAt")})`,
              ExpressionAttributeNames: p.names,
              ExpressionAttributeValues: p.values,
              ReturnConsumedCapacity: "TOTAL",
            }),
          ),
        );
      }),
    );
    return written.filter(Boolean).length;
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
          // Absent when none: a send without KEV findings removes the previous send's list.
          kev: claim.kevIds && claim.kevIds.length > 0 ? [...claim.kevIds] : undefined,
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
  ): Promise<boolean> {
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
    return written;
  }

  /**
   * Brings the image's vulnerability-index items in step with its findings: reads the items there are (one Query
   * of the image's partition) and writes only the difference. Reading what is there, rather than trusting the
   * previous FINDINGS item, mends an index left behind by an earlier write that failed half-way.
   */
  private async syncVulnerabilityIndex(
    image: LedgerImage & { tags: readonly string[] },
    findings: readonly CompactFinding[],
    findingsAt: string,
  ): Promise<void> {
    const name = imageName(image);
    const { items } = await this.queryAll(
      {
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: toItem({
          ":pk": imageKey(image).pk,
          ":prefix": VULNERABILITY_SORT_PREFIX,
        }),
      },
      `vulnerability index of ${name}`,
    );
    const held = new Map(items.map((item) => [String(item.sk), item]));
    const wanted = new Map<string, ReturnType<typeof vulnerabilityIndexItem>>();
    // Two findings of one identity (the same CVE in two versions of a package) share a key: the most severe (the
    // first of equals) is indexed. A BatchWriteItem with the same key twice would be refused whole.
    const rank = new Map<string, number>();
    for (const finding of findings) {
      const item = vulnerabilityIndexItem(image, finding, findingsAt);
      const key = String(item.sk);
      if ((rank.get(key) ?? Number.POSITIVE_INFINITY) <= severityRankOf(finding.severity)) continue;
      rank.set(key, severityRankOf(finding.severity));
      wanted.set(key, item);
    }
    const requests: WriteRequest[] = [];
    for (const [sk, item] of wanted) {
      const stored = held.get(sk);
      if (!stored || !sameIndexEntry(stored, item)) requests.push({ PutRequest: { Item: toItem(item) } });
    }
    for (const sk of held.keys()) {
      if (!wanted.has(sk)) requests.push({ DeleteRequest: { Key: toItem({ pk: imageKey(image).pk, sk }) } });
    }
    await this.batchWrite(requests, `vulnerability index of ${name}`);
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
}

function uniqueReferences(refs: readonly LedgerReference[]): LedgerReference[] {
  return [...new Map(refs.map((ref) => [referenceName(ref), ref])).values()];
}
