import { createHash, randomUUID } from "node:crypto";
import { AwsError, checkRange } from "./aws-error.js";
import {
  basicFindingFrom,
  enhancedFindingFrom,
  findingCountForImage,
  recordsForImage,
} from "./data/findings.js";
import { paginate } from "./pagination.js";

/** ECR's documented quotas (Amazon ECR service quotas): one scan per image per 24 h, 100,000 per registry per 24 h. */
export const SCANS_PER_IMAGE_PER_DAY = 1;
export const DEFAULT_SCANS_PER_REGISTRY_PER_DAY = 100_000;
const DAY_MS = 86_400_000;

export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_IMAGE_CONFIG = "application/vnd.docker.container.image.v1+json";

/** A basic-scan finding as DescribeImageScanFindings returns it. */
export interface BasicFinding {
  name: string;
  uri?: string;
  severity: string;
  description?: string;
  attributes?: { key: string; value: string }[];
}

/** An enhanced (Inspector) finding, the subset of fields ECR returns that the project reads. */
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

/** The EventBridge event Amazon Inspector sends when the initial enhanced scan of an image finishes. */
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

/** The EventBridge event ECR sends when a basic scan finishes ("ECR Image Scan"). */
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

export interface EcrOptions {
  accountId: string;
  region: string;
  /** How long a started scan stays IN_PROGRESS (ms). */
  scanDurationMs: number;
  scansPerRegistryPerDay: number;
  /** Fill imageScanStatus/imageScanFindingsSummary in DescribeImages, as the retired Clair engine did. */
  legacyScanSummaries: boolean;
  /** Findings for a scan that has none set on its image; by default a few real CVEs picked by digest. */
  findingsFor?: (repository: string, image: SandboxImage) => BasicFinding[];
  now: () => number;
}

/** What a seeded image looks like; everything but the tags is optional. */
export interface SeedImage {
  tags?: string[];
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

const epochSeconds = (d: Date | undefined) => (d ? d.getTime() / 1000 : undefined);

/** Counts per severity of basic findings, absent keys for zero, as ECR writes `findingSeverityCounts`. */
function severityCounts(findings: readonly { severity: unknown }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[String(f.severity)] = (counts[String(f.severity)] ?? 0) + 1;
  return counts;
}

/**
 * An in-memory Amazon ECR private registry: the operations ecr-scan-reporter calls, plus CreateRepository and
 * PutImage to seed it, with AWS-native basic scanning semantics (DESIGN §4).
 */
export class EcrSandbox {
  readonly repositories = new Map<string, SandboxRepository>();
  /** Every StartImageScan answered, in order, with what it answered. */
  readonly scanRequests: { repositoryName: string; imageDigest: string; outcome: string; at: number }[] = [];
  scanType: "BASIC" | "ENHANCED" = "BASIC";
  private readonly registryScanStarts: number[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners: ((event: EcrScanEvent | InspectorScanEvent) => void)[] = [];
  private pendingScans = 0;
  private idle: (() => void)[] = [];

  constructor(readonly options: EcrOptions) {}

  /** Calls `listener` with each scan-completion event, as an EventBridge rule would deliver it. */
  onScanEvent(listener: (event: EcrScanEvent | InspectorScanEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Scans started and not finished yet. */
  pendingScanCount(): number {
    return this.pendingScans;
  }

  /** Resolves when no scan is in progress. */
  whenScansSettled(): Promise<void> {
    if (this.pendingScans === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  createRepository(name: string): SandboxRepository {
    if (!/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name) || name.length < 2) {
      throw new AwsError("InvalidParameterException", `Invalid parameter at 'repositoryName': ${name}`);
    }
    if (this.repositories.has(name)) {
      throw new AwsError(
        "RepositoryAlreadyExistsException",
        `The repository with name '${name}' already exists in the registry with id '${this.options.accountId}'`,
      );
    }
    const repository: SandboxRepository = {
      name,
      arn: `arn:aws:ecr:${this.options.region}:${this.options.accountId}:repository/${name}`,
      createdAt: new Date(this.options.now()),
      images: new Map(),
    };
    this.repositories.set(name, repository);
    return repository;
  }

  /** Adds an image (or artifact) with the given history; returns its digest. */
  seedImage(repositoryName: string, seed: SeedImage = {}, manifest: string = randomUUID()): string {
    const repository = this.repository(repositoryName);
    const digest = `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
    const now = this.options.now();
    const scanStarts: number[] = [];
    let scan: ScanRecord | undefined;
    if (seed.scan) {
      scan = {
        status: seed.scan.status,
        description: seed.scan.description,
        completedAt: seed.scan.completedAt,
        vulnerabilitySourceUpdatedAt: seed.scan.completedAt,
        findings: seed.scan.findings ?? [],
        enhancedFindings: seed.scan.enhancedFindings ?? [],
      };
      const startedAt = seed.scan.completedAt?.getTime() ?? now;
      scanStarts.push(startedAt);
      if (now - startedAt < DAY_MS) this.registryScanStarts.push(startedAt);
    }
    repository.images.set(digest, {
      digest,
      tags: seed.tags ?? [],
      pushedAt: seed.pushedAt ?? new Date(now),
      lastRecordedPullTime: seed.lastRecordedPullTime,
      manifestMediaType: seed.manifestMediaType ?? DOCKER_MANIFEST,
      artifactMediaType: seed.artifactMediaType ?? DOCKER_IMAGE_CONFIG,
      sizeInBytes: 20_000_000 + (Number.parseInt(digest.slice(7, 13), 16) % 50_000_000),
      scan,
      scanStarts,
      nextScan: seed.nextScan ?? { outcome: "complete" },
    });
    const image = repository.images.get(digest);
    // Under enhanced scanning Amazon Inspector scans every pushed image by itself (continuous scanning).
    if (this.scanType === "ENHANCED" && !scan && image && this.isImage(image))
      this.inspectLater(repository, image);
    return digest;
  }

  /** Basic findings for an image: its own, the configured generator's, or a few real CVEs picked by digest. */
  private basicFindingsFor(repository: SandboxRepository, image: SandboxImage): BasicFinding[] {
    if (this.options.findingsFor) return this.options.findingsFor(repository.name, image);
    return recordsForImage(image.digest, findingCountForImage(image.digest)).map(basicFindingFrom);
  }

  private isImage(image: SandboxImage): boolean {
    return (
      image.artifactMediaType === DOCKER_IMAGE_CONFIG ||
      image.artifactMediaType === "application/vnd.oci.image.config.v1+json"
    );
  }

  /** Amazon Inspector's initial scan of an image pushed to an enhanced registry: ACTIVE, then an Inspector2 Scan event. */
  private inspectLater(repository: SandboxRepository, image: SandboxImage): void {
    this.pendingScans += 1;
    image.scan = { status: "PENDING", findings: [], enhancedFindings: [] };
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.pendingScans -= 1;
      const at = new Date(this.options.now());
      const records = recordsForImage(image.digest, findingCountForImage(image.digest));
      image.scan = {
        status: "ACTIVE",
        description: "Continuous scan is selected for image.",
        completedAt: at,
        vulnerabilitySourceUpdatedAt: at,
        findings: [],
        enhancedFindings: records.map((r) =>
          enhancedFindingFrom(r, {
            accountId: this.options.accountId,
            region: this.options.region,
            repositoryName: repository.name,
            digest: image.digest,
            tags: image.tags,
            at,
          }),
        ),
      };
      const event: InspectorScanEvent = {
        version: "0",
        id: randomUUID(),
        "detail-type": "Inspector2 Scan",
        source: "aws.inspector2",
        account: this.options.accountId,
        time: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: this.options.region,
        resources: [repository.arn],
        detail: {
          "scan-status": "INITIAL_SCAN_COMPLETE",
          "repository-name": repository.arn,
          "finding-severity-counts": {
            ...severityCounts(image.scan.enhancedFindings),
            TOTAL: image.scan.enhancedFindings.length,
          },
          "image-digest": image.digest,
          "image-tags": image.tags,
        },
      };
      for (const listener of this.listeners) listener(event);
      if (this.pendingScans === 0) for (const resolve of this.idle.splice(0)) resolve();
    }, this.options.scanDurationMs);
    this.timers.add(timer);
  }

  /** Stops pending scan timers. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private repository(name: unknown): SandboxRepository {
    const repository = typeof name === "string" ? this.repositories.get(name) : undefined;
    if (!repository) {
      throw new AwsError(
        "RepositoryNotFoundException",
        `The repository with name '${String(name)}' does not exist in the registry with id '${this.options.accountId}'`,
      );
    }
    return repository;
  }

  private image(repository: SandboxRepository, imageId: unknown): SandboxImage {
    const id = (imageId ?? {}) as { imageDigest?: string; imageTag?: string };
    const image = id.imageDigest
      ? repository.images.get(id.imageDigest)
      : [...repository.images.values()].find(
          (i) => id.imageTag !== undefined && i.tags.includes(id.imageTag),
        );
    if (!image) {
      throw new AwsError(
        "ImageNotFoundException",
        `The image with imageId {imageDigest:'${id.imageDigest ?? "null"}', imageTag:'${id.imageTag ?? "null"}'} does not exist within the repository with name '${repository.name}' in the registry with id '${this.options.accountId}'`,
      );
    }
    return image;
  }

  private checkRegistry(registryId: unknown): void {
    if (registryId !== undefined && registryId !== this.options.accountId) {
      throw new AwsError(
        "RepositoryNotFoundException",
        `The registry with id '${String(registryId)}' does not exist`,
      );
    }
  }

  /** The JSON 1.1 operations, by name, taking and returning plain JSON. */
  readonly operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateRepository: (input) => {
      const r = this.createRepository(String(input.repositoryName ?? ""));
      return { repository: this.repositoryJson(r) };
    },
    DescribeRepositories: (input) => {
      this.checkRegistry(input.registryId);
      const max = checkRange("maxResults", input.maxResults, 1, 1000) ?? 100;
      let all = [...this.repositories.values()];
      if (Array.isArray(input.repositoryNames)) all = input.repositoryNames.map((n) => this.repository(n));
      const { page, nextToken } = paginate(all, max, input.nextToken);
      return { repositories: page.map((r) => this.repositoryJson(r)), nextToken };
    },
    PutImage: (input) => {
      const repository = this.repository(input.repositoryName);
      const manifest = String(input.imageManifest ?? "");
      if (!manifest)
        throw new AwsError("InvalidParameterException", "Invalid parameter: imageManifest is required");
      let mediaType =
        typeof input.imageManifestMediaType === "string" ? input.imageManifestMediaType : undefined;
      let artifactMediaType: string | undefined;
      try {
        const parsed = JSON.parse(manifest) as {
          mediaType?: string;
          config?: { mediaType?: string };
          artifactType?: string;
        };
        mediaType ??= parsed.mediaType;
        artifactMediaType = parsed.artifactType ?? parsed.config?.mediaType;
      } catch {
        throw new AwsError("InvalidParameterException", "Invalid parameter: imageManifest is not valid JSON");
      }
      const tags = typeof input.imageTag === "string" ? [input.imageTag] : [];
      for (const image of repository.images.values())
        image.tags = image.tags.filter((t) => !tags.includes(t));
      const digest = this.seedImage(
        repository.name,
        { tags, manifestMediaType: mediaType, artifactMediaType },
        manifest,
      );
      const image = this.image(repository, { imageDigest: digest });
      return {
        image: {
          registryId: this.options.accountId,
          repositoryName: repository.name,
          imageId: { imageDigest: digest, imageTag: image.tags[0] },
          imageManifest: manifest,
          imageManifestMediaType: image.manifestMediaType,
        },
      };
    },
    DescribeImages: (input) => {
      this.checkRegistry(input.registryId);
      const repository = this.repository(input.repositoryName);
      const max = checkRange("maxResults", input.maxResults, 1, 1000) ?? 100;
      let images = [...repository.images.values()];
      if (Array.isArray(input.imageIds)) images = input.imageIds.map((id) => this.image(repository, id));
      const { page, nextToken } = paginate(images, max, input.nextToken);
      return { imageDetails: page.map((i) => this.imageDetailJson(repository, i)), nextToken };
    },
    DescribeImageScanFindings: (input) => {
      this.checkRegistry(input.registryId);
      const repository = this.repository(input.repositoryName);
      const image = this.image(repository, input.imageId);
      const scan = image.scan;
      if (!scan) {
        throw new AwsError(
          "ScanNotFoundException",
          `Image scan does not exist for image with '{imageDigest:'${image.digest}', imageTag:'${image.tags[0] ?? "null"}'}' in the registry with id '${this.options.accountId}'`,
        );
      }
      const enhanced = scan.enhancedFindings.length > 0;
      // Enhanced findings always come 100 a page, whatever maxResults asks (DescribeImageScanFindings reference).
      const max = enhanced ? 100 : (checkRange("maxResults", input.maxResults, 1, 1000) ?? 100);
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
      scanningConfiguration: { scanType: this.scanType, rules: [] },
    }),
    PutRegistryScanningConfiguration: (input) => {
      this.scanType = input.scanType === "ENHANCED" ? "ENHANCED" : "BASIC";
      return { registryScanningConfiguration: { scanType: this.scanType, rules: [] } };
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

  private recordScanRequest(input: Record<string, unknown>, outcome: string): void {
    const imageId = (input.imageId ?? {}) as { imageDigest?: string };
    this.scanRequests.push({
      repositoryName: String(input.repositoryName),
      imageDigest: String(imageId.imageDigest),
      outcome,
      at: this.options.now(),
    });
  }

  private startImageScan(input: Record<string, unknown>) {
    {
      this.checkRegistry(input.registryId);
      const repository = this.repository(input.repositoryName);
      const image = this.image(repository, input.imageId);
      if (this.scanType === "ENHANCED") {
        throw new AwsError(
          "ValidationException",
          "StartImageScan is not supported when the registry uses enhanced scanning; Amazon Inspector scans continuously.",
        );
      }
      if (!this.isImage(image)) {
        throw new AwsError("UnsupportedImageTypeException", "The image is of a type that cannot be scanned.");
      }
      const now = this.options.now();
      if (image.scanStarts.filter((t) => now - t < DAY_MS).length >= SCANS_PER_IMAGE_PER_DAY) {
        throw new AwsError(
          "LimitExceededException",
          "The scan quota per image has been exceeded. Wait and try again.",
        );
      }
      while (this.registryScanStarts.length > 0 && now - (this.registryScanStarts[0] ?? now) >= DAY_MS) {
        this.registryScanStarts.shift();
      }
      if (this.registryScanStarts.length >= this.options.scansPerRegistryPerDay) {
        throw new AwsError("LimitExceededException", "The scan quota per registry has been exceeded.");
      }
      image.scanStarts.push(now);
      this.registryScanStarts.push(now);
      image.scan = { status: "IN_PROGRESS", findings: [], enhancedFindings: [] };
      this.completeScanLater(repository, image);
      return {
        registryId: this.options.accountId,
        repositoryName: repository.name,
        imageId: { imageDigest: image.digest, imageTag: image.tags[0] },
        imageScanStatus: { status: "IN_PROGRESS", description: "The scan is in progress." },
      };
    }
  }

  private completeScanLater(repository: SandboxRepository, image: SandboxImage): void {
    this.pendingScans += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.pendingScans -= 1;
      const completedAt = new Date(this.options.now());
      const next = image.nextScan;
      if (next.outcome === "fail") {
        image.scan = {
          status: "FAILED",
          description: next.description,
          completedAt,
          findings: [],
          enhancedFindings: [],
        };
      } else {
        const findings = next.findings ?? this.basicFindingsFor(repository, image);
        image.scan = {
          status: "COMPLETE",
          description: "The scan was completed successfully.",
          completedAt,
          vulnerabilitySourceUpdatedAt: completedAt,
          findings,
          enhancedFindings: [],
        };
      }
      this.emit(repository, image);
      if (this.pendingScans === 0) for (const resolve of this.idle.splice(0)) resolve();
    }, this.options.scanDurationMs);
    this.timers.add(timer);
  }

  private emit(repository: SandboxRepository, image: SandboxImage): void {
    const scan = image.scan;
    if (!scan) return;
    const event: EcrScanEvent = {
      version: "0",
      id: randomUUID(),
      "detail-type": "ECR Image Scan",
      source: "aws.ecr",
      account: this.options.accountId,
      time: new Date(this.options.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: this.options.region,
      resources: [repository.arn],
      detail: {
        "scan-status": scan.status === "FAILED" ? "FAILED" : "COMPLETE",
        "repository-name": repository.name,
        "image-digest": image.digest,
        "image-tags": image.tags,
        "finding-severity-counts": severityCounts(scan.findings),
      },
    };
    for (const listener of this.listeners) listener(event);
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

  private imageDetailJson(repository: SandboxRepository, image: SandboxImage) {
    const legacy = this.options.legacyScanSummaries && image.scan;
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
      ...(legacy && image.scan
        ? {
            imageScanStatus: { status: image.scan.status, description: image.scan.description },
            imageScanFindingsSummary: image.scan.completedAt
              ? {
                  imageScanCompletedAt: epochSeconds(image.scan.completedAt),
                  vulnerabilitySourceUpdatedAt: epochSeconds(image.scan.vulnerabilitySourceUpdatedAt),
                  findingSeverityCounts: severityCounts(image.scan.findings),
                }
              : undefined,
          }
        : {}),
    };
  }
}
