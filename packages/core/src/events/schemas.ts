import * as z from "zod";
import { CVE_ID_PATTERN } from "../intel/intel.js";
import {
  ACCOUNT_ID_PATTERN,
  IMAGE_DIGEST_PATTERN,
  isRepositoryName,
  parseRepositoryArn,
  type RepositoryArn,
} from "./identifiers.js";

// Objects are loose (unknown keys pass through) because AWS adds fields to its events over time;
// only the fields the report path reads are checked, and those strictly.

/** Quotes an untrusted value for an error message, cut short so a huge value cannot flood a log line. */
export function quoteValue(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

const REGION_PATTERN = /^[a-z]{2,}(?:-[a-z]+)+-\d+$/;

/** `sha256:` and 64 hex digits. */
export const imageDigestSchema = z.string().regex(IMAGE_DIGEST_PATTERN, {
  error: (issue) => `${quoteValue(issue.input)} is not an image digest like sha256:<64 hex digits>`,
});

/** A repository name as ECR accepts it. */
export const repositoryNameSchema = z.string().refine(isRepositoryName, {
  error: (issue) =>
    `${quoteValue(issue.input)} is not an ECR repository name (2-256 characters: lower-case letters and digits, separated by ".", "_", "-" or "/")`,
});

/** A repository ARN, parsed into its parts. */
export const repositoryArnSchema = z.string().transform((value, ctx): RepositoryArn => {
  const arn = parseRepositoryArn(value);
  if (!arn) {
    ctx.addIssue({
      code: "custom",
      input: value,
      message: `${quoteValue(value)} is not an ECR repository ARN like arn:aws:ecr:REGION:ACCOUNT:repository/NAME`,
    });
    return z.NEVER;
  }
  return arn;
});

const accountIdSchema = z.string().regex(ACCOUNT_ID_PATTERN, {
  error: (issue) => `${quoteValue(issue.input)} is not a 12-digit AWS account id`,
});

/** Tags of an image; an untagged image has none, and AWS may leave the field out. */
const imageTagsSchema = z.array(z.string()).default([]);

/** Findings per severity; a severity with no finding has no key (and Inspector adds TOTAL). */
const severityCountsSchema = z.record(z.string(), z.number().int().nonnegative());

/** An AWS region name, as EventBridge events and the Lambda runtime (AWS_REGION) give it. */
const regionSchema = z.string().regex(REGION_PATTERN, {
  error: (issue) => `${quoteValue(issue.input)} is not an AWS region`,
});

/** The EventBridge envelope around any `detail`. */
function eventBridgeEvent<Detail extends z.ZodType>(detail: Detail) {
  return z.looseObject({
    id: z.string().min(1),
    "detail-type": z.string().min(1),
    source: z.string().min(1),
    account: accountIdSchema,
    time: z.iso.datetime({
      offset: true,
      // For a string of another form only: a missing time or one of another type keeps zod's own words ("required"),
      // not a quoted "undefined".
      error: (issue) =>
        issue.code === "invalid_format" ? `${quoteValue(issue.input)} is not an ISO 8601 time` : undefined,
    }),
    region: regionSchema,
    resources: z.array(z.string()).optional(),
    detail,
  });
}

/** Just enough of an EventBridge event to tell which kind it is. */
export const eventIdentitySchema = z.looseObject({
  id: z.string().optional(),
  source: z.string().min(1),
  "detail-type": z.string().min(1),
});

/** `aws.ecr` / `ECR Image Scan`: a basic scan finished (COMPLETE or FAILED). */
export const ecrImageScanEventSchema = eventBridgeEvent(
  z.looseObject({
    "scan-status": z.string().min(1),
    "repository-name": repositoryNameSchema,
    "image-digest": imageDigestSchema,
    "image-tags": imageTagsSchema,
    /** Absent on FAILED; a severity with no finding has no key. */
    "finding-severity-counts": severityCountsSchema.optional(),
  }),
);
export type EcrImageScanEvent = z.input<typeof ecrImageScanEventSchema>;

/**
 * `aws.ecr` / `ECR Image Action` with `action-type` DELETE and `result` SUCCESS: an image, or one of its tags, was
 * deleted. Checked only for that action (a PUSH event passes as ignored, whatever its fields). AWS documents the
 * event of a tagged image; an untagged image's has no tag to name, so `image-tag` may be absent, null or empty.
 */
export const ecrImageDeletedEventSchema = eventBridgeEvent(
  z.looseObject({
    "action-type": z.literal("DELETE"),
    result: z.literal("SUCCESS"),
    "repository-name": repositoryNameSchema,
    "image-digest": imageDigestSchema,
    "image-tag": z.string().nullish(),
  }),
);
export type EcrImageDeletedEvent = z.input<typeof ecrImageDeletedEventSchema>;

/** `aws.inspector2` / `Inspector2 Scan`: the initial enhanced scan of an image finished. */
export const inspector2ScanEventSchema = eventBridgeEvent(
  z.looseObject({
    "scan-status": z.string().min(1),
    /** Holds the repository ARN, not the name. */
    "repository-name": repositoryArnSchema,
    "image-digest": imageDigestSchema,
    "image-tags": imageTagsSchema,
    "finding-severity-counts": severityCountsSchema.optional(),
  }),
);
export type Inspector2ScanEvent = z.input<typeof inspector2ScanEventSchema>;

/**
 * `details.awsEcrContainerImage` of an Inspector finding's resource. AWS also sends `pushedAt` (in a
 * format like "Dec 3, 2021, 6:02:13 PM", not ISO 8601), `architecture` and `platform`; they pass
 * through unchecked because the report path does not read them.
 */
export const awsEcrContainerImageSchema = z.looseObject({
  repositoryName: repositoryNameSchema,
  /** The image digest. */
  imageHash: imageDigestSchema,
  imageTags: imageTagsSchema,
  /** The registry (account) id. */
  registry: accountIdSchema.optional(),
});

const findingResourceSchema = z.looseObject({
  /** AWS_ECR_CONTAINER_IMAGE for images; findings about EC2 instances or Lambda functions have others. */
  type: z.string().min(1),
  /** For an image: arn:aws:ecr:REGION:ACCOUNT:repository/NAME/sha256:HEX. */
  id: z.string().min(1),
  details: z.looseObject({ awsEcrContainerImage: awsEcrContainerImageSchema.optional() }).optional(),
});

/**
 * `aws.inspector2` / `Inspector2 Finding`: one finding created, updated or closed. `severity`,
 * `status`, `type`, `packageVulnerabilityDetails` and the rest pass through unchecked: the report
 * path fetches every current finding of the image anyway.
 */
export const inspector2FindingEventSchema = eventBridgeEvent(
  z.looseObject({
    findingArn: z.string().min(1),
    resources: z.array(findingResourceSchema).min(1),
  }),
);
export type Inspector2FindingEvent = z.input<typeof inspector2FindingEventSchema>;

/** Version of the KEV escalation message; bumped when its shape changes incompatibly. */
export const KEV_ESCALATION_MESSAGE_VERSION = 1;

/** The `kind` of a KEV escalation message: what tells it from an EventBridge event on the report queue. */
export const KEV_ESCALATION_KIND = "kev-escalation";

/**
 * Our own report-queue message, sent by schedule-scans (use-cases/escalate-kev.ts): the report of an image in use,
 * without a rescan, because CISA's KEV catalog gained CVE ids its findings have. Strict (unknown keys fail): we
 * write it ourselves, so a key we do not know is a mistake or another version, not a field AWS added.
 */
export const kevEscalationMessageSchema = z.strictObject({
  version: z.literal(KEV_ESCALATION_MESSAGE_VERSION, {
    error: (issue) =>
      `KEV escalation version ${JSON.stringify(issue.input)} is not one this release reads (${KEV_ESCALATION_MESSAGE_VERSION})`,
  }),
  kind: z.literal(KEV_ESCALATION_KIND),
  registryId: accountIdSchema,
  region: regionSchema,
  repository: repositoryNameSchema,
  digest: imageDigestSchema,
  /** The tags that pointed at the image when the escalation was queued (at least one: the image is in use). */
  tags: z.array(z.string().min(1)).min(1),
  scanType: z.enum(["BASIC", "ENHANCED"]),
  /** The CVE ids newly on KEV that the image's findings have. */
  cves: z
    .array(
      z.string().regex(CVE_ID_PATTERN, {
        error: (issue) => `${quoteValue(issue.input)} is not a CVE id like CVE-2021-44228`,
      }),
    )
    .min(1),
  /** When schedule-scans queued it, ISO 8601: the report's time when the scan has no completion time. */
  queuedAt: z.iso.datetime({ offset: true }),
});
export type KevEscalationMessage = z.infer<typeof kevEscalationMessageSchema>;
