/**
 * Images deleted from ECR (docs/architecture.md, "Images deleted from the registry"): ECR's `ECR Image Action` event
 * with `action-type` DELETE reaches the report queue, and report-findings makes the findings ledger forget the
 * image, so that exposure, KEV escalations and digests stop listing it. Here: the event read into an ImageDeleted,
 * and a batch's deletions planned as one job per image.
 */

import type * as z from "zod";
import { problemsFromIssues } from "../config/load.js";
import { MessageError } from "../errors.js";
import type { IgnoredEvent } from "./scan-event.js";
import { ecrImageDeletedEventSchema, quoteValue } from "./schemas.js";

/** The EventBridge event of an image deletion: the report queue's rule for it matches these values. */
export const IMAGE_DELETED_EVENT = {
  source: "aws.ecr",
  detailType: "ECR Image Action",
  actionType: "DELETE",
  result: "SUCCESS",
} as const;

/**
 * ECR deleted an image, or removed one of its tags: BatchDeleteImage by tag only removes the tag while the image has
 * others (ECR API Reference, BatchDeleteImage), and the event does not say which happened. What ECR holds now does
 * (use-cases/forget-deleted-image.ts).
 */
export interface ImageDeleted {
  kind: "image-deleted";
  /** The EventBridge event id; the same id may arrive twice (delivery is at least once). */
  eventId: string;
  account: string;
  region: string;
  /** ECR sends the event in the account that owns the registry. */
  registryId: string;
  repositoryName: string;
  imageDigest: string;
  /** The tag the event names; absent for an untagged image. */
  imageTag?: string;
  /** The event time, ISO 8601: when the image was deleted. */
  time: string;
}

/** What one `ECR Image Action` event means to the report path: a deletion, or the reason it is ignored. */
export type ImageActionEventResult = { kind: "image-deleted"; event: ImageDeleted } | IgnoredEvent;

/** True for an `ECR Image Action` event of any action (push, delete), well-formed or not. */
export function isImageActionDocument(document: unknown): boolean {
  if (typeof document !== "object" || document === null || Array.isArray(document)) return false;
  const event = document as Record<string, unknown>;
  return (
    event.source === IMAGE_DELETED_EVENT.source && event["detail-type"] === IMAGE_DELETED_EVENT.detailType
  );
}

/**
 * Reads an `ECR Image Action` event: a successful DELETE becomes an ImageDeleted; any other action or result is
 * ignored, with the reason (the fields of a push are not checked). A DELETE whose fields are malformed throws a
 * MessageError listing every problem as `path: reason`.
 */
export function parseImageActionEvent(document: Record<string, unknown>): ImageActionEventResult {
  const id = typeof document.id === "string" ? document.id : undefined;
  const label = `"${IMAGE_DELETED_EVENT.detailType}" event ${id === undefined ? "(no id)" : quoteValue(id)}`;
  const detail =
    typeof document.detail === "object" && document.detail !== null
      ? (document.detail as Record<string, unknown>)
      : {};
  const action = detail["action-type"];
  const result = detail.result;
  if (action !== IMAGE_DELETED_EVENT.actionType || result !== IMAGE_DELETED_EVENT.result) {
    const reason = `${label} has action-type ${quoteValue(action)} and result ${quoteValue(result)}; only a ${IMAGE_DELETED_EVENT.result} ${IMAGE_DELETED_EVENT.actionType} changes what the findings ledger knows`;
    return id === undefined ? { kind: "ignored", reason } : { kind: "ignored", reason, eventId: id };
  }
  const parsed = ecrImageDeletedEventSchema.safeParse(document);
  if (!parsed.success) throw new MessageError(`${label}: ${describeProblems(parsed.error)}`);
  const event = parsed.data;
  const tag = event.detail["image-tag"];
  const deleted: ImageDeleted = {
    kind: "image-deleted",
    eventId: event.id,
    account: event.account,
    region: event.region,
    registryId: event.account,
    repositoryName: event.detail["repository-name"],
    imageDigest: event.detail["image-digest"],
    time: event.time,
  };
  if (tag) deleted.imageTag = tag;
  return { kind: "image-deleted", event: deleted };
}

function describeProblems(error: z.ZodError): string {
  // Stryker disable next-line StringLiteral: unreachable, the event is an object here and its problems have paths
  return problemsFromIssues(error.issues)
    .map((p) => `${p.path || "(event)"}: ${p.reason}`)
    .join("; ");
}

/** A deletion to act on: one image, the tags the batch's events named, and the messages it answers. */
export interface ImageDeletionJob {
  registryId: string;
  repositoryName: string;
  imageDigest: string;
  /** The tags the events named (none for an untagged image), sorted. */
  tags: string[];
  /** The latest event time, ISO 8601: records of scans completed after it belong to the digest pushed again. */
  time: string;
  eventIds: string[];
  messageIds: string[];
}

/**
 * One job per image (registry, repository, digest) of a batch: ECR may send a deletion event per tag, and
 * EventBridge may deliver one twice. Pure; report-findings runs the jobs (forgetDeletedImage).
 */
export function planImageDeletionJobs(
  requests: readonly { messageId: string; event: ImageDeleted }[],
): ImageDeletionJob[] {
  const jobs = new Map<string, ImageDeletionJob>();
  for (const { messageId, event } of requests) {
    const key = `${event.registryId}/${event.repositoryName}@${event.imageDigest}`;
    let job = jobs.get(key);
    if (!job) {
      job = {
        registryId: event.registryId,
        repositoryName: event.repositoryName,
        imageDigest: event.imageDigest,
        tags: [],
        time: event.time,
        eventIds: [],
        messageIds: [],
      };
      jobs.set(key, job);
    }
    if (event.imageTag !== undefined && !job.tags.includes(event.imageTag)) job.tags.push(event.imageTag);
    if (Date.parse(event.time) > Date.parse(job.time)) job.time = event.time;
    if (!job.eventIds.includes(event.eventId)) job.eventIds.push(event.eventId);
    job.messageIds.push(messageId);
  }
  for (const job of jobs.values()) job.tags.sort();
  return [...jobs.values()];
}
