import type { ECRClient } from "@aws-sdk/client-ecr";
import { EcrGateway } from "../ecr-gateway.js";
import { describeError, isRetryableAwsError } from "../errors.js";
import type { ImageDeletionJob } from "../events/image-deleted.js";
import { type FindingsLedger, LedgerError } from "../ledger/ledger.js";
import type { ReporterLogger } from "../reporters/contract.js";

/** What became of one deletion job, for the invocation's summary. */
export type ImageDeletionOutcome =
  /** The digest is gone: its records were deleted, its references' last reports expire. */
  | "forgotten"
  /** The image is still there without the events' tags: those tags' last reports expire. */
  | "tags-removed"
  /** The image is still there with every tag the events named (pushed back since): nothing to forget. */
  | "still-there"
  /** No findings ledger: nothing to forget. */
  | "no-ledger"
  | "check-retry"
  | "check-failed"
  | "ledger-retry"
  | "ledger-failed";

export interface ImageDeletionResult {
  /** Message ids SQS must deliver again (none when everything is settled). */
  retry: string[];
  outcome: ImageDeletionOutcome;
}

export interface ForgetDeletedImageDeps {
  ecr: ECRClient;
  /** The findings ledger (LEDGER_TABLE_NAME); without it there is nothing to forget. */
  ledger?: FindingsLedger;
  logger: ReporterLogger;
}

/** What the ledger must forget of a deletion. */
export type ForgettingPlan = { forget: "image" } | { forget: "tags"; tags: string[] };

/**
 * What a batch's deletion events mean, given what ECR holds now (pure): the digest gone → the whole image; the image
 * still there → only the events' tags it no longer has. The event alone cannot tell: BatchDeleteImage by tag deletes
 * the image only with its last tag (ECR API Reference, BatchDeleteImage), and the event is the same either way.
 */
export function planForgetting(
  job: Pick<ImageDeletionJob, "tags">,
  current: { tags: readonly string[] } | undefined,
): ForgettingPlan {
  if (!current) return { forget: "image" };
  return { forget: "tags", tags: job.tags.filter((tag) => !current.tags.includes(tag)) };
}

/**
 * Makes the findings ledger forget what ECR deleted (docs/architecture.md, "Images deleted from the registry"): asks
 * ECR whether the digest is still there (DescribeImages), then deletes the image's records or lets the removed tags'
 * last reports expire. An error a retry can mend (throttling, 5xx) returns the job's messages to SQS; any other is
 * logged and the messages dropped (the records then stay, as before this existed).
 */
export async function forgetDeletedImage(
  job: ImageDeletionJob,
  deps: ForgetDeletedImageDeps,
): Promise<ImageDeletionResult> {
  const { logger, ledger } = deps;
  const image = {
    registryId: job.registryId,
    repository: job.repositoryName,
    digest: job.imageDigest,
    messageIds: job.messageIds,
  };
  if (!ledger?.enabled) {
    logger.debug("image deleted; no findings ledger to forget it in", image);
    return { retry: [], outcome: "no-ledger" };
  }

  let current: { tags: string[] } | undefined;
  try {
    current = await new EcrGateway(deps.ecr).findImage(job);
  } catch (error) {
    if (isRetryableAwsError(error)) {
      logger.warn("could not ask ECR whether a deleted image is gone; the message will be retried", {
        ...image,
        error: describeError(error),
      });
      return { retry: job.messageIds, outcome: "check-retry" };
    }
    logger.error("could not ask ECR whether a deleted image is gone; dropping the message", {
      ...image,
      error: describeError(error),
    });
    return { retry: [], outcome: "check-failed" };
  }

  const plan = planForgetting(job, current);
  try {
    if (plan.forget === "image") {
      const forgotten = await ledger.forgetImage({ ...image, tags: job.tags }, job.time);
      logger.info("image deleted from the registry; the findings ledger forgot it", {
        ...image,
        tags: job.tags,
        deletedAt: job.time,
        ...forgotten,
      });
      return { retry: [], outcome: "forgotten" };
    }
    if (plan.tags.length === 0) {
      logger.info("image deletion event, but the image has its tags again; nothing to forget", {
        ...image,
        tags: job.tags,
      });
      return { retry: [], outcome: "still-there" };
    }
    const referencesExpired = await ledger.expireReferences(plan.tags.map((tag) => ({ ...image, tag })));
    logger.info("tags removed from an image still in the registry; their last reports expire", {
      ...image,
      tags: plan.tags,
      referencesExpired,
    });
    return { retry: [], outcome: "tags-removed" };
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    if (error.retryable) {
      logger.warn("the findings ledger could not forget a deleted image; the message will be retried", {
        ...image,
        table: error.tableName,
        error: describeError(error),
      });
      return { retry: job.messageIds, outcome: "ledger-retry" };
    }
    logger.error("the findings ledger could not forget a deleted image; dropping the message", {
      ...image,
      table: error.tableName,
      error: describeError(error),
    });
    return { retry: [], outcome: "ledger-failed" };
  }
}
