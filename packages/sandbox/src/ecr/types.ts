// The shapes of the sandbox's ECR registry, apart from the code that fills them, so that the store, the scan
// simulation, the API and the findings dataset (`data/findings.ts`) can all share them without importing each other.

/**
 * A basic-scan finding as DescribeImageScanFindings returns it.
 * Source: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageScanFinding.html
 */
export interface BasicFinding {
  name: string;
  uri?: string;
  severity: string;
  description?: string;
  attributes?: { key: string; value: string }[];
}

/**
 * An enhanced (Inspector) finding, the subset of fields ECR returns that the project reads.
 * Source: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_EnhancedImageScanFinding.html
 */
export type EnhancedFinding = Record<string, unknown> & { severity: string };

export interface ScanRecord {
  status: string;
  description?: string;
  completedAt?: Date;
  vulnerabilitySourceUpdatedAt?: Date;
  findings: BasicFinding[];
  enhancedFindings: EnhancedFinding[];
}

export interface SandboxImage {
  digest: string;
  tags: string[];
  pushedAt: Date;
  lastRecordedPullTime?: Date;
  manifestMediaType: string;
  artifactMediaType?: string;
  sizeInBytes: number;
  /** ACTIVE, or ARCHIVED / ACTIVATING in (or coming back from) the archive storage class. */
  status: "ACTIVE" | "ARCHIVED" | "ACTIVATING";
  scan?: ScanRecord;
  /** When scans of this image started (for the 24 h quota); a scan-on-push counts. */
  scanStarts: number[];
  /** What the next scan of this image ends in. */
  nextScan: { outcome: "complete"; findings?: BasicFinding[] } | { outcome: "fail"; description: string };
}

export interface SandboxRepository {
  name: string;
  arn: string;
  createdAt: Date;
  images: Map<string, SandboxImage>;
}

/**
 * The EventBridge event Amazon Inspector sends when the initial enhanced scan of an image finishes.
 * Source: https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced-events.html
 */
export interface InspectorScanEvent {
  version: "0";
  id: string;
  "detail-type": "Inspector2 Scan";
  source: "aws.inspector2";
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    "scan-status": "INITIAL_SCAN_COMPLETE";
    /** The repository ARN, not its name (Amazon Inspector's documented event). */
    "repository-name": string;
    "finding-severity-counts": Record<string, number>;
    "image-digest": string;
    "image-tags": string[];
  };
}

/**
 * The EventBridge event Amazon Inspector sends for each finding it creates, updates or closes, here for a finding
 * published after the initial scan's event. Only the fields the report path reads, in the documented shape.
 * Source: https://docs.aws.amazon.com/inspector/latest/user/eventbridge-integration.html
 */
export interface InspectorFindingEvent {
  version: "0";
  id: string;
  "detail-type": "Inspector2 Finding";
  source: "aws.inspector2";
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: EnhancedFinding & {
    resources: {
      type: "AWS_ECR_CONTAINER_IMAGE";
      id: string;
      details: {
        awsEcrContainerImage: {
          registry: string;
          repositoryName: string;
          imageHash: string;
          imageTags: string[];
        };
      };
    }[];
  };
}

/**
 * The EventBridge event ECR sends when a basic scan finishes ("ECR Image Scan").
 * Source: https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export interface EcrScanEvent {
  version: "0";
  id: string;
  "detail-type": "ECR Image Scan";
  source: "aws.ecr";
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    "scan-status": "COMPLETE" | "FAILED";
    "repository-name": string;
    "image-digest": string;
    "image-tags": string[];
    "finding-severity-counts": Record<string, number>;
  };
}

/**
 * The EventBridge event ECR sends when an image is deleted ("ECR Image Action", action-type DELETE), one per image
 * id BatchDeleteImage answers as deleted; `image-tag` is left out for an untagged image (AWS documents only a
 * tagged image's event). Source: https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html,
 * "Event for an image deletion".
 */
export interface EcrImageActionEvent {
  version: "0";
  id: string;
  "detail-type": "ECR Image Action";
  source: "aws.ecr";
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    result: "SUCCESS";
    "repository-name": string;
    "image-digest": string;
    "action-type": "DELETE";
    "image-tag"?: string;
  };
}

export interface EcrOptions {
  accountId: string;
  region: string;
  /** How long a started scan stays IN_PROGRESS (ms). */
  scanDurationMs: number;
  scansPerRegistryPerDay: number;
  /**
   * What DescribeImages says of each image's scan: nothing (`omitted`, AWS-native basic scanning, the default),
   * the status and findings summary as the retired Clair engine did (`summary`), or the status without the
   * summary (`status-only`), which leaves the completion time to DescribeImageScanFindings.
   */
  describeImagesScanData: "omitted" | "summary" | "status-only";
  /**
   * Amazon Inspector keeps publishing findings for a while after its Inspector2 Scan event, which counts them all
   * (https://docs.aws.amazon.com/inspector/latest/user/scanning-ecr.html: findings are updated continuously). The
   * share of an image's enhanced findings readable at the event (default 1: all), the rest after
   * `lateFindingsDelayMs` or `releaseLateFindings()`, each with an Inspector2 Finding event.
   */
  enhancedFindingsAtEvent: number;
  lateFindingsDelayMs?: number;
  /** Findings for a scan that has none set on its image; by default a few real CVEs picked by digest. */
  findingsFor?: (repository: string, image: SandboxImage) => BasicFinding[];
  now: () => number;
}

/** What a seeded image looks like; everything but the tags is optional. */
export interface SeedImage {
  tags?: string[];
  status?: SandboxImage["status"];
  pushedAt?: Date;
  lastRecordedPullTime?: Date;
  manifestMediaType?: string;
  artifactMediaType?: string;
  /** A scan that already happened. */
  scan?: {
    status: string;
    completedAt?: Date;
    description?: string;
    findings?: BasicFinding[];
    enhancedFindings?: EnhancedFinding[];
  };
  nextScan?: SandboxImage["nextScan"];
}
