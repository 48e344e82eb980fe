import {
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  type ECRClient,
  type ImageDetail as EcrImageDetail,
  GetRegistryScanningConfigurationCommand,
  paginateDescribeImages,
  paginateDescribeRepositories,
  StartImageScanCommand,
} from "@aws-sdk/client-ecr";
import { describeError, isRetryableAwsError } from "./errors.js";
import type { ImageDetail, LastScan, ScanType } from "./model.js";

/** The most results ECR returns per page for DescribeRepositories and DescribeImages. */
export const ECR_MAX_PAGE_SIZE = 1000;

/** A repository as the scheduler needs it. */
export interface RepositorySummary {
  registryId: string;
  repositoryName: string;
  repositoryArn: string;
}

/** What became of one StartImageScan request (docs/architecture.md, "How a scan is planned"). */
export type ScanStartOutcome =
  | { outcome: "started"; status?: string }
  /** LimitExceededException: the image (or the registry) is at its scan quota; treated as scanned recently. */
  | { outcome: "quota"; message: string }
  /** ImageNotFoundException or RepositoryNotFoundException: deleted since it was listed. */
  | { outcome: "gone"; message: string }
  | { outcome: "unsupported"; message: string }
  /** ImageArchivedException: the image moved to ECR's archive storage class since it was listed. */
  | { outcome: "archived"; message: string }
  /** The registry uses enhanced scanning, where StartImageScan is not supported. */
  | { outcome: "enhanced"; message: string }
  /** Any other error; `retryable` when a later try could mend it (throttling, 5xx). */
  | { outcome: "failed"; message: string; retryable: boolean };

export type ScanStartOutcomeName = ScanStartOutcome["outcome"];

function errorName(error: unknown): string {
  // Stryker disable next-line StringLiteral: a nameless error matches no error name, whatever stands in for it
  return typeof error === "object" && error !== null && "name" in error ? String(error.name) : "";
}

/** Maps a StartImageScan error to its outcome; pure, so every AWS error name is tested without AWS. */
export function scanStartOutcomeOf(error: unknown): ScanStartOutcome {
  const message = describeError(error);
  switch (errorName(error)) {
    case "LimitExceededException":
      return { outcome: "quota", message };
    case "ImageNotFoundException":
    case "RepositoryNotFoundException":
      return { outcome: "gone", message };
    case "UnsupportedImageTypeException":
      return { outcome: "unsupported", message };
    case "ImageArchivedException":
      return { outcome: "archived", message };
    case "ValidationException":
      // What ECR answers StartImageScan on a registry under enhanced scanning: "This feature is disabled".
      if (/feature is disabled|enhanced|basic scan/i.test(message)) return { outcome: "enhanced", message };
      return { outcome: "failed", message, retryable: false };
    default:
      return { outcome: "failed", message, retryable: isRetryableAwsError(error) };
  }
}

/** Scan statuses whose decision depends on when the scan ended (expired? failed less than 24 h ago?). */
const TIMED_STATUSES = new Set(["COMPLETE", "FAILED", "LIMIT_EXCEEDED"]);

/**
 * Reads the scan data DescribeImages carries (only with the retired Clair engine) into a LastScan. A status whose
 * decision needs the completion time but comes without the findings summary (which holds that time) is no
 * summary at all: the time then comes from DescribeImageScanFindings, never "no time, so expired".
 */
function scanSummaryOf(detail: EcrImageDetail): LastScan | undefined {
  const status = detail.imageScanStatus?.status;
  if (!status) return undefined;
  const completedAt = detail.imageScanFindingsSummary?.imageScanCompletedAt;
  if (!completedAt && TIMED_STATUSES.has(status)) return undefined;
  // Stryker disable next-line OptionalChaining: status was read from imageScanStatus, which is therefore there
  return { kind: "scanned", status, description: detail.imageScanStatus?.description, completedAt };
}

/** Converts one DescribeImages entry to the domain's ImageDetail. */
export function toImageDetail(detail: EcrImageDetail): ImageDetail {
  return {
    registryId: detail.registryId ?? "",
    repositoryName: detail.repositoryName ?? "",
    imageDigest: detail.imageDigest ?? "",
    imageTags: detail.imageTags ?? [],
    imagePushedAt: detail.imagePushedAt,
    lastRecordedPullTime: detail.lastRecordedPullTime,
    imageManifestMediaType: detail.imageManifestMediaType,
    artifactMediaType: detail.artifactMediaType,
    imageStatus: detail.imageStatus,
    scanSummary: scanSummaryOf(detail),
  };
}

/**
 * The thin gateway to ECR: every call the project makes, paginated and mapped to the domain, with the
 * client injected. Throttling is retried by the client's own (adaptive) retry strategy, never here.
 *
 * StartImageScan may use a client of its own: the adaptive strategy slows a whole client after each throttling
 * answer, so with one client a throttled StartImageScan would also slow the status reads, and the reverse.
 */
export class EcrGateway {
  constructor(
    private readonly client: ECRClient,
    private readonly scanClient: ECRClient = client,
  ) {}

  /**
   * Every repository of the registry (the caller's own, or `registryId`'s), all pages of DescribeRepositories at
   * 1,000 a page.
   */
  async listRepositories(registryId?: string): Promise<RepositorySummary[]> {
    const repositories: RepositorySummary[] = [];
    for await (const page of paginateDescribeRepositories(
      { client: this.client, pageSize: ECR_MAX_PAGE_SIZE },
      { registryId },
    )) {
      for (const r of page.repositories ?? []) {
        if (!r.repositoryName) continue;
        repositories.push({
          registryId: r.registryId ?? "",
          repositoryName: r.repositoryName,
          repositoryArn: r.repositoryArn ?? "",
        });
      }
    }
    return repositories;
  }

  /**
   * Every image of a repository (or its tagged images only), all pages of DescribeImages at 1,000 a page;
   * `undefined` when the repository no longer exists (deleted between listing and scanning).
   */
  async listImages(
    repositoryName: string,
    registryId?: string,
    options: { taggedOnly?: boolean } = {},
  ): Promise<ImageDetail[] | undefined> {
    const images: ImageDetail[] = [];
    // Tagged only: ECR filters, so a repository of many untagged builds costs fewer pages.
    const filter = options.taggedOnly ? { tagStatus: "TAGGED" as const } : undefined;
    try {
      for await (const page of paginateDescribeImages(
        { client: this.client, pageSize: ECR_MAX_PAGE_SIZE },
        { repositoryName, registryId, filter },
      )) {
        for (const detail of page.imageDetails ?? []) images.push(toImageDetail(detail));
      }
    } catch (error) {
      if (errorName(error) === "RepositoryNotFoundException") return undefined;
      throw error;
    }
    return images;
  }

  /**
   * The registry's scan type, read once per scheduler run. GetRegistryScanningConfiguration has no registryId: it
   * reads the registry of the credentials' account, which is why a member account is read with its own role.
   */
  async getRegistryScanType(): Promise<ScanType> {
    const out = await this.client.send(new GetRegistryScanningConfigurationCommand({}));
    return out.scanningConfiguration?.scanType === "ENHANCED" ? "ENHANCED" : "BASIC";
  }

  /**
   * The last scan of an image: from DescribeImages' summary when the registry still fills it, otherwise one
   * DescribeImageScanFindings call with maxResults 1 (AWS-native basic scanning). ScanNotFoundException
   * means the image was never scanned; a vanished image or repository reads as `undefined`.
   */
  async getLastScan(image: ImageDetail): Promise<LastScan | undefined> {
    if (image.scanSummary) return image.scanSummary;
    try {
      const out = await this.client.send(
        new DescribeImageScanFindingsCommand({
          registryId: image.registryId || undefined,
          repositoryName: image.repositoryName,
          imageId: { imageDigest: image.imageDigest },
          maxResults: 1,
        }),
      );
      const status = out.imageScanStatus?.status;
      if (!status) return { kind: "never" };
      return {
        kind: "scanned",
        status,
        // Stryker disable next-line OptionalChaining: status was read from imageScanStatus, which is therefore there
        description: out.imageScanStatus?.description,
        completedAt: out.imageScanFindings?.imageScanCompletedAt,
      };
    } catch (error) {
      const name = errorName(error);
      if (name === "ScanNotFoundException") return { kind: "never" };
      if (name === "ImageNotFoundException" || name === "RepositoryNotFoundException") return undefined;
      throw error;
    }
  }

  /**
   * The tags of the image with this digest as ECR holds it now, or `undefined` when the image (or its repository) no
   * longer exists: one DescribeImages call naming the digest, answered ImageNotFoundException for a deleted image.
   */
  async findImage(
    image: Pick<ImageDetail, "registryId" | "repositoryName" | "imageDigest">,
  ): Promise<{ tags: string[] } | undefined> {
    try {
      const out = await this.client.send(
        new DescribeImagesCommand({
          registryId: image.registryId || undefined,
          repositoryName: image.repositoryName,
          imageIds: [{ imageDigest: image.imageDigest }],
        }),
      );
      const detail = out.imageDetails?.find((d) => d.imageDigest === image.imageDigest);
      return detail && { tags: detail.imageTags ?? [] };
    } catch (error) {
      const name = errorName(error);
      if (name === "ImageNotFoundException" || name === "RepositoryNotFoundException") return undefined;
      throw error;
    }
  }

  /** Starts a basic scan of one image, by digest, and says what became of it. Never throws. */
  async startImageScan(
    image: Pick<ImageDetail, "registryId" | "repositoryName" | "imageDigest">,
  ): Promise<ScanStartOutcome> {
    try {
      const out = await this.scanClient.send(
        new StartImageScanCommand({
          registryId: image.registryId || undefined,
          repositoryName: image.repositoryName,
          imageId: { imageDigest: image.imageDigest },
        }),
      );
      return { outcome: "started", status: out.imageScanStatus?.status };
    } catch (error) {
      return scanStartOutcomeOf(error);
    }
  }
}
