import { randomUUID } from "node:crypto";
import { AwsError, checkRange } from "../aws-error.js";

/**
 * ECR's list operations take maxResults 1–1000 and answer InvalidParameterException outside that range (their
 * documented errors list no ValidationException). Source: the Errors of
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html
 */
const checkMaxResults = (value: unknown) =>
  checkRange("maxResults", value, 1, 1000, "InvalidParameterException");

import { paginate } from "../pagination.js";
import { type ScanSimulator, severityCounts } from "./scans.js";
import type { EcrImageStore } from "./store.js";
import type { EcrImageActionEvent, EcrOptions, SandboxImage, SandboxRepository } from "./types.js";

// The ECR operations ecr-scan-reporter calls (plus CreateRepository and PutImage to seed, BatchDeleteImage to delete), answering with the
// members and errors of the Amazon ECR API reference:
// https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Operations.html

const epochSeconds = (d: Date | undefined) => (d ? d.getTime() / 1000 : undefined);

/** One StartImageScan the sandbox answered, and what it answered. */
export interface ScanRequestRecord {
  /** The registry (account) of the repository. */
  registryId: string;
  repositoryName: string;
  imageDigest: string;
  outcome: string;
  at: number;
}

/** The AWS JSON 1.1 operation handlers over the store and the scan simulation. */
export class EcrApi {
  constructor(
    private readonly options: EcrOptions,
    private readonly store: EcrImageStore,
    private readonly scans: ScanSimulator,
    private readonly onImageAction: (event: EcrImageActionEvent) => void = () => {},
    /** Every StartImageScan answered, in order, with what it answered (shared by the registries of a sandbox). */
    readonly scanRequests: ScanRequestRecord[] = [],
  ) {}

  /** The JSON 1.1 operations, by name, taking and returning plain JSON. */
  readonly operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateRepository: (input) => {
      const r = this.store.createRepository(String(input.repositoryName ?? ""));
      return { repository: this.repositoryJson(r) };
    },
    DescribeRepositories: (input) => {
      this.store.checkRegistry(input.registryId);
      const max = checkMaxResults(input.maxResults) ?? 100;
      let all = [...this.store.repositories.values()];
      if (Array.isArray(input.repositoryNames))
        all = input.repositoryNames.map((n) => this.store.repository(n));
      const { page, nextToken } = paginate(all, max, input.nextToken);
      return { repositories: page.map((r) => this.repositoryJson(r)), nextToken };
    },
    PutImage: (input) => {
      const manifest = String(input.imageManifest ?? "");
      const { repository, image } = this.store.putImage(
        input.repositoryName,
        manifest,
        typeof input.imageManifestMediaType === "string" ? input.imageManifestMediaType : undefined,
        typeof input.imageTag === "string" ? input.imageTag : undefined,
      );
      return {
        image: {
          registryId: this.options.accountId,
          repositoryName: repository.name,
          imageId: { imageDigest: image.digest, imageTag: image.tags[0] },
          imageManifest: manifest,
          imageManifestMediaType: image.manifestMediaType,
        },
      };
    },
    DescribeImages: (input) => {
      this.store.checkRegistry(input.registryId);
      const repository = this.store.repository(input.repositoryName);
      const max = checkMaxResults(input.maxResults) ?? 100;
      // Without a filter DescribeImages lists ACTIVE images only; imageIds name any image, archived or not.
      // Source: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImagesFilter.html
      const filter = (input.filter ?? {}) as { imageStatus?: string; tagStatus?: string };
      const wanted = filter.imageStatus ?? "ACTIVE";
      // tagStatus TAGGED, UNTAGGED or ANY (the default). Source: the same page.
      const tagged = filter.tagStatus ?? "ANY";
      let images = [...repository.images.values()].filter(
        (i) =>
          (wanted === "ANY" || i.status === wanted) &&
          (tagged === "ANY" || (tagged === "TAGGED") === i.tags.length > 0),
      );
      if (Array.isArray(input.imageIds))
        images = input.imageIds.map((id) => this.store.image(repository, id));
      const { page, nextToken } = paginate(images, max, input.nextToken);
      return { imageDetails: page.map((i) => this.imageDetailJson(repository, i)), nextToken };
    },
    BatchDeleteImage: (input) => {
      this.store.checkRegistry(input.registryId);
      const repository = this.store.repository(input.repositoryName);
      // imageIds: 1–100 items (BatchDeleteImage, Request Parameters); its documented errors list no ValidationException.
      const imageIds = Array.isArray(input.imageIds) ? input.imageIds : [];
      if (imageIds.length < 1 || imageIds.length > 100) {
        throw new AwsError(
          "InvalidParameterException",
          `Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length between 1 and 100'`,
        );
      }
      const { deleted, failures } = this.store.deleteImages(repository, imageIds);
      const time = new Date(this.options.now()).toISOString().replace(/\.\d{3}Z$/, "Z");
      for (const id of deleted) {
        this.onImageAction({
          version: "0",
          id: randomUUID(),
          "detail-type": "ECR Image Action",
          source: "aws.ecr",
          account: this.options.accountId,
          time,
          region: this.options.region,
          resources: [],
          detail: {
            result: "SUCCESS",
            "repository-name": repository.name,
            "image-digest": id.imageDigest,
            "action-type": "DELETE",
            ...(id.imageTag !== undefined ? { "image-tag": id.imageTag } : {}),
          },
        });
      }
      return { imageIds: deleted, failures };
    },
    DescribeImageScanFindings: (input) => {
      this.store.checkRegistry(input.registryId);
      const repository = this.store.repository(input.repositoryName);
      const image = this.store.image(repository, input.imageId);
      // An archived image keeps no scan to read (ImageScanStatus valid values include IMAGE_ARCHIVED).
      // Source: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageScanStatus.html
      if (image.status !== "ACTIVE") {
        return {
          registryId: this.options.accountId,
          repositoryName: repository.name,
          imageId: { imageDigest: image.digest, imageTag: image.tags[0] },
          imageScanStatus: { status: "IMAGE_ARCHIVED", description: "The image is archived." },
        };
      }
      const scan = image.scan;
      if (!scan) {
        throw new AwsError(
          "ScanNotFoundException",
          `Image scan does not exist for image with '{imageDigest:'${image.digest}', imageTag:'${image.tags[0] ?? "null"}'}' in the registry with id '${this.options.accountId}'`,
        );
      }
      const enhanced = scan.enhancedFindings.length > 0;
      // Enhanced findings always come 100 a page, whatever maxResults asks: observed, not in the reference
      // (https://github.com/boto/boto3/issues/3449).
      const max = enhanced ? 100 : (checkMaxResults(input.maxResults) ?? 100);
      const { page, nextToken } = paginate(
        (enhanced ? scan.enhancedFindings : scan.findings) as readonly unknown[],
        max,
        input.nextToken,
      );
      return {
        registryId: this.options.accountId,
        repositoryName: repository.name,
        imageId: { imageDigest: image.digest, imageTag: image.tags[0] },
        imageScanStatus: { status: scan.status, description: scan.description },
        imageScanFindings:
          scan.status === "COMPLETE" || scan.status === "ACTIVE"
            ? {
                imageScanCompletedAt: epochSeconds(scan.completedAt),
                vulnerabilitySourceUpdatedAt: epochSeconds(scan.vulnerabilitySourceUpdatedAt),
                findingSeverityCounts: severityCounts(enhanced ? scan.enhancedFindings : scan.findings),
                ...(enhanced ? { enhancedFindings: page } : { findings: page }),
              }
            : scan.completedAt
              ? { imageScanCompletedAt: epochSeconds(scan.completedAt) }
              : undefined,
        nextToken,
      };
    },
    GetRegistryScanningConfiguration: () => ({
      registryId: this.options.accountId,
      scanningConfiguration: { scanType: this.scans.scanType, rules: [] },
    }),
    PutRegistryScanningConfiguration: (input) => {
      this.scans.scanType = input.scanType === "ENHANCED" ? "ENHANCED" : "BASIC";
      return { registryScanningConfiguration: { scanType: this.scans.scanType, rules: [] } };
    },
    StartImageScan: (input) => {
      try {
        const answer = this.startImageScan(input);
        this.recordScanRequest(input, "IN_PROGRESS");
        return answer;
      } catch (error) {
        this.recordScanRequest(input, error instanceof AwsError ? error.type : "error");
        throw error;
      }
    },
  };

  private startImageScan(input: Record<string, unknown>) {
    this.store.checkRegistry(input.registryId);
    const repository = this.store.repository(input.repositoryName);
    const image = this.store.image(repository, input.imageId);
    this.scans.start(repository, image);
    return {
      registryId: this.options.accountId,
      repositoryName: repository.name,
      imageId: { imageDigest: image.digest, imageTag: image.tags[0] },
      imageScanStatus: { status: "IN_PROGRESS", description: "The scan is in progress." },
    };
  }

  private recordScanRequest(input: Record<string, unknown>, outcome: string): void {
    const imageId = (input.imageId ?? {}) as { imageDigest?: string };
    this.scanRequests.push({
      registryId: this.options.accountId,
      repositoryName: String(input.repositoryName),
      imageDigest: String(imageId.imageDigest),
      outcome,
      at: this.options.now(),
    });
  }

  private repositoryJson(r: SandboxRepository) {
    return {
      repositoryArn: r.arn,
      registryId: this.options.accountId,
      repositoryName: r.name,
      repositoryUri: `${this.options.accountId}.dkr.ecr.${this.options.region}.amazonaws.com/${r.name}`,
      createdAt: epochSeconds(r.createdAt),
      imageTagMutability: "MUTABLE",
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: "AES256" },
    };
  }

  /**
   * AWS-native basic scanning leaves the scan out of DescribeImages ("use DescribeImageScanFindings instead");
   * `describeImagesScanData` puts it back as the retired Clair engine did, whole or without the findings summary.
   * Sources: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeImages.html,
   * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning.html
   */
  private imageDetailJson(repository: SandboxRepository, image: SandboxImage) {
    const mode = this.options.describeImagesScanData;
    const scan = mode === "omitted" ? undefined : image.scan;
    return {
      registryId: this.options.accountId,
      repositoryName: repository.name,
      imageDigest: image.digest,
      imageTags: image.tags.length > 0 ? image.tags : undefined,
      imageSizeInBytes: image.sizeInBytes,
      imagePushedAt: epochSeconds(image.pushedAt),
      lastRecordedPullTime: epochSeconds(image.lastRecordedPullTime),
      imageManifestMediaType: image.manifestMediaType,
      artifactMediaType: image.artifactMediaType,
      imageStatus: image.status,
      ...(scan
        ? {
            imageScanStatus: { status: scan.status, description: scan.description },
            imageScanFindingsSummary:
              mode === "summary" && scan.completedAt
                ? {
                    imageScanCompletedAt: epochSeconds(scan.completedAt),
                    vulnerabilitySourceUpdatedAt: epochSeconds(scan.vulnerabilitySourceUpdatedAt),
                    findingSeverityCounts: severityCounts(scan.findings),
                  }
                : undefined,
          }
        : {}),
    };
  }
}
