import { z } from "zod";
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
    region: z.string().regex(REGION_PATTERN, {
      error: (issue) => `${quoteValue(issue.input)} is not an AWS region`,
    }),
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
