import type { ItemKey, LedgerImage, LedgerReference } from "./records.js";

/**
 * Images deleted from the registry (docs/architecture.md, "Images deleted from the registry"): what the ledger
 * removes at once and what it lets expire.
 *
 * The image's own items (`IMAGE#…`: SCAN, FINDINGS and the vulnerability-index items) are deleted, not given a
 * TTL. DynamoDB deletes expired items only within a few days, and until then they stay in the GSIs, so every reader
 * (exposure, KEV escalations, digests, the scheduler's last scans) would have to skip them; and a SCAN item kept for
 * a digest pushed again would tell the scheduler it was scanned, when ECR dropped its scan with the image. A delete
 * costs what the TTL's UpdateItem would (DynamoDB charges both by the item's size).
 *
 * The LAST item of each of the image's references is given the table's TTL instead: it is the previous report that
 * a tag pushed again compares with and carries first-seen times from (a delete-and-push of `latest` is common), and
 * the report of the new image replaces it whole (PutItem), expiry included.
 */

/** How long the last report of a reference that no longer names an image is kept before the table's TTL deletes it. */
export const GONE_REFERENCE_RETENTION_MS = 30 * 24 * 3_600_000;

/** What forgetting a deleted image did. */
export interface ForgetImageOutcome {
  /** Items of the image's partition deleted: SCAN, FINDINGS and its vulnerability-index items. */
  deleted: number;
  /** Items kept because a scan completed after the deletion wrote them: the same digest, pushed again since. */
  kept: number;
  /** References whose LAST item was given its expiry now (none the second time). */
  referencesExpired: number;
}

/** The items of a deleted image's partition, split into those to delete and those to keep, and its tags at scan. */
export interface DeletedImageItems {
  doomed: ItemKey[];
  kept: ItemKey[];
  /** The tags the image had when it was scanned (its vulnerability-index items say), sorted. */
  tagsAtScan: string[];
}

/**
 * Which items of a deleted image's partition go (pure). An item goes unless the time it was written for — SCAN's
 * `completedAt`, FINDINGS' and the index items' `findingsAt` — is later than the deletion: such an item is the
 * record of the digest pushed again after it (a redelivered or late event must not erase it). EventBridge gives the
 * event's time to the second, so the deletion is taken to last until the end of that second: a scan completed in
 * the same second is the deleted image's. An item without a readable time goes: nothing newer can be told from it.
 */
export function sortDeletedImageItems(
  items: readonly Record<string, unknown>[],
  deletedAt: string,
): DeletedImageItems {
  const cutoff = Math.floor(Date.parse(deletedAt) / 1000) * 1000 + 999;
  const doomed: ItemKey[] = [];
  const kept: ItemKey[] = [];
  const tags = new Set<string>();
  for (const item of items) {
    const key = { pk: String(item.pk), sk: String(item.sk) };
    const writtenFor = typeof item.completedAt === "string" ? item.completedAt : item.findingsAt;
    if (typeof writtenFor === "string" && Date.parse(writtenFor) > cutoff) {
      kept.push(key);
      continue;
    }
    doomed.push(key);
    if (Array.isArray(item.tags)) for (const tag of item.tags) if (typeof tag === "string") tags.add(tag);
  }
  return { doomed, kept, tagsAtScan: [...tags].sort() };
}

/**
 * The references whose last report may name a deleted image: the digest itself (its report when untagged) and each
 * tag it had. Only a LAST that still names the digest expires (DynamoDbLedger.expireReferences).
 */
export function referencesOfDeletedImage(image: LedgerImage, tags: Iterable<string>): LedgerReference[] {
  const { registryId, repository, digest } = image;
  return [
    { registryId, repository, digest },
    ...[...new Set(tags)].sort().map((tag) => ({ registryId, repository, digest, tag })),
  ];
}
