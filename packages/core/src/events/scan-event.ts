import type * as z from "zod";
import { problemsFromIssues } from "../config/load.js";
import { MessageError } from "../errors.js";
import type { ScanType } from "../model.js";
import { parseImageArn } from "./identifiers.js";
import {
  ecrImageScanEventSchema,
  eventIdentitySchema,
  inspector2FindingEventSchema,
  inspector2ScanEventSchema,
  quoteValue,
} from "./schemas.js";

/**
 * Which event told us that a scan completed. `kev-escalation` is no event of AWS: schedule-scans asks for the report
 * of an image's last scan because CISA's KEV catalog gained CVE ids its findings have (events/kev-escalation.ts).
 */
export type ScanCompletedSource =
  | "ecr-image-scan"
  | "inspector2-scan"
  | "inspector2-finding"
  | "kev-escalation";

/** A scan of one image finished, whatever event said so: the one thing the report path acts on. */
export interface ScanCompleted {
  kind: "scan-completed";
  source: ScanCompletedSource;
  /** The EventBridge event id; the same id may arrive twice (delivery is at least once). */
  eventId: string;
  /** The account the event was sent in. */
  account: string;
  region: string;
  /** The account that owns the repository: the registryId for DescribeImageScanFindings. */
  registryId: string;
  repositoryName: string;
  imageDigest: string;
  /** Empty for an untagged image. */
  imageTags: string[];
  scanType: ScanType;
  scanStatus: "COMPLETE" | "FAILED";
  /** The event time, ISO 8601. */
  time: string;
  /** How many findings the event counted (`finding-severity-counts`), when it counted them. */
  expectedFindings?: number;
}

/** A well-formed event the report path does not act on, and why (for the log line). */
export interface IgnoredEvent {
  kind: "ignored";
  reason: string;
  eventId?: string;
}

/** What one EventBridge event means to the report path. */
export type ScanEventResult = { kind: "scan-completed"; event: ScanCompleted } | IgnoredEvent;

/** The EventBridge events the report path acts on: the report queue's rule matches these. */
export const SCAN_EVENT_TYPES = [
  { source: "aws.ecr", detailType: "ECR Image Scan" },
  { source: "aws.inspector2", detailType: "Inspector2 Scan" },
  { source: "aws.inspector2", detailType: "Inspector2 Finding" },
] as const;

const ECR_IMAGE_RESOURCE_TYPE = "AWS_ECR_CONTAINER_IMAGE";

/** Validates `document` against `schema`, or throws a MessageError listing every problem as `path: reason`. */
function check<Schema extends z.ZodType>(schema: Schema, document: unknown, label: string): z.output<Schema> {
  const result = schema.safeParse(document);
  if (result.success) return result.data;
  // Stryker disable next-line StringLiteral: unreachable, every schema here is an object's, checked against an object
  const problems = problemsFromIssues(result.error.issues).map((p) => `${p.path || "(event)"}: ${p.reason}`);
  throw new MessageError(`${label}: ${problems.join("; ")}`);
}

function describeEvent(detailType: string, id: string | undefined): string {
  return `"${detailType}" event ${id === undefined ? "(no id)" : quoteValue(id)}`;
}

/**
 * Turns one EventBridge event (parsed JSON) into a ScanCompleted, or says why it is ignored; throws a
 * MessageError naming what is wrong when the event is malformed.
 */
export function parseScanEvent(document: unknown): ScanEventResult {
  if (typeof document !== "object" || document === null || Array.isArray(document)) {
    throw new MessageError(
      `not an EventBridge event: expected a JSON object, got ${document === null ? "null" : Array.isArray(document) ? "an array" : typeof document}`,
    );
  }
  const {
    source,
    "detail-type": detailType,
    id,
  } = check(eventIdentitySchema, document, "not an EventBridge event");
  const label = describeEvent(detailType, id);

  if (source === "aws.ecr" && detailType === "ECR Image Scan") {
    const event = check(ecrImageScanEventSchema, document, label);
    const { detail } = event;
    const status = detail["scan-status"];
    if (status !== "COMPLETE" && status !== "FAILED") {
      return ignored(
        `${label} has scan-status ${quoteValue(status)}; only COMPLETE and FAILED are reported`,
        id,
      );
    }
    return completed({
      source: "ecr-image-scan",
      eventId: event.id,
      account: event.account,
      region: event.region,
      // Basic scan events are sent in the account that owns the registry.
      registryId: event.account,
      repositoryName: detail["repository-name"],
      imageDigest: detail["image-digest"],
      imageTags: detail["image-tags"],
      scanType: "BASIC",
      scanStatus: status,
      time: event.time,
      ...optional("expectedFindings", expectedFindingsOf(detail["finding-severity-counts"])),
    });
  }

  if (source === "aws.inspector2" && detailType === "Inspector2 Scan") {
    const event = check(inspector2ScanEventSchema, document, label);
    const { detail } = event;
    const status = detail["scan-status"];
    if (status !== "INITIAL_SCAN_COMPLETE") {
      return ignored(
        `${label} has scan-status ${quoteValue(status)}; only INITIAL_SCAN_COMPLETE is reported`,
        id,
      );
    }
    const repository = detail["repository-name"];
    return completed({
      source: "inspector2-scan",
      eventId: event.id,
      account: event.account,
      region: event.region,
      registryId: repository.registryId,
      repositoryName: repository.repositoryName,
      imageDigest: detail["image-digest"],
      imageTags: detail["image-tags"],
      scanType: "ENHANCED",
      scanStatus: "COMPLETE",
      time: event.time,
      ...optional("expectedFindings", expectedFindingsOf(detail["finding-severity-counts"])),
    });
  }

  if (source === "aws.inspector2" && detailType === "Inspector2 Finding") {
    const event = check(inspector2FindingEventSchema, document, label);
    const { resources } = event.detail;
    const index = resources.findIndex((r) => r.type === ECR_IMAGE_RESOURCE_TYPE);
    const resource = resources[index];
    if (!resource) {
      const types = [...new Set(resources.map((r) => r.type))].join(", ");
      return ignored(`${label} is about ${types}, not an ECR container image`, id);
    }
    const image = resource.details?.awsEcrContainerImage;
    const arn = parseImageArn(resource.id);
    let imageIdentity: Pick<ScanCompleted, "registryId" | "repositoryName" | "imageDigest" | "imageTags">;
    if (image) {
      imageIdentity = {
        registryId: image.registry ?? arn?.registryId ?? event.account,
        repositoryName: image.repositoryName,
        imageDigest: image.imageHash,
        imageTags: image.imageTags,
      };
    } else if (arn) {
      imageIdentity = {
        registryId: arn.registryId,
        repositoryName: arn.repositoryName,
        imageDigest: arn.imageDigest,
        imageTags: [],
      };
    } else {
      throw new MessageError(
        `${label}: detail.resources[${index}] has no details.awsEcrContainerImage and its id ${quoteValue(resource.id)} is not an ECR image ARN like arn:aws:ecr:REGION:ACCOUNT:repository/NAME/sha256:<64 hex digits>`,
      );
    }
    return completed({
      source: "inspector2-finding",
      eventId: event.id,
      account: event.account,
      region: event.region,
      ...imageIdentity,
      scanType: "ENHANCED",
      scanStatus: "COMPLETE",
      time: event.time,
    });
  }

  return ignored(`${label} from ${quoteValue(source)} is not a scan-completion event`, id);
}

/**
 * The number of findings a scan event counted: Inspector's `TOTAL` when given, otherwise the sum of the
 * severities (ECR leaves out a severity with no finding). Undefined when the event has no counts.
 */
export function expectedFindingsOf(counts: Record<string, number> | undefined): number | undefined {
  if (!counts) return undefined;
  if (counts.TOTAL !== undefined) return counts.TOTAL;
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

function completed(event: Omit<ScanCompleted, "kind">): ScanEventResult {
  return { kind: "scan-completed", event: { kind: "scan-completed", ...event } };
}

/** `{ [key]: value }`, or nothing when the value is undefined: optional fields stay absent, not undefined. */
function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function ignored(reason: string, eventId: string | undefined): IgnoredEvent {
  return eventId === undefined ? { kind: "ignored", reason } : { kind: "ignored", reason, eventId };
}
