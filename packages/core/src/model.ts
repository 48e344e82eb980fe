/** Severities as ECR and Inspector write them, most severe first. */
export const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** The registry-wide scan setting read from GetRegistryScanningConfiguration. */
export type ScanType = "BASIC" | "ENHANCED";

/** Scan statuses ECR documents; newer values may appear, so code must accept any string too. */
export const KNOWN_SCAN_STATUSES = [
  "IN_PROGRESS",
  "COMPLETE",
  "FAILED",
  "UNSUPPORTED_IMAGE",
  "ACTIVE",
  "PENDING",
  "SCAN_ELIGIBILITY_EXPIRED",
  "FINDINGS_UNAVAILABLE",
  "LIMIT_EXCEEDED",
] as const;
export type ScanStatus = (typeof KNOWN_SCAN_STATUSES)[number] | (string & {});

/** One image (or OCI artifact) of a repository, as DescribeImages lists it. Identified by digest always. */
export interface ImageDetail {
  registryId: string;
  repositoryName: string;
  imageDigest: string;
  /** Empty for an untagged image. */
  imageTags: string[];
  imagePushedAt?: Date;
  lastRecordedPullTime?: Date;
  imageManifestMediaType?: string;
  artifactMediaType?: string;
  /** Filled only by the retired Clair engine; AWS-native basic scanning leaves it empty. */
  scanSummary?: LastScan;
}

/** What is known of an image's most recent scan. */
export type LastScan =
  | { kind: "never" }
  | { kind: "scanned"; status: ScanStatus; description?: string; completedAt?: Date };

/** `repository:tag` for people, `repository@digest` when the image has no tag. */
export function imageLabel(image: Pick<ImageDetail, "repositoryName" | "imageDigest" | "imageTags">): string {
  const tag = image.imageTags[0];
  return tag ? `${image.repositoryName}:${tag}` : `${image.repositoryName}@${image.imageDigest}`;
}
