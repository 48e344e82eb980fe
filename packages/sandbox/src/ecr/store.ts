import { createHash, randomUUID } from "node:crypto";
import { AwsError } from "../aws-error.js";
import type { EcrOptions, SandboxImage, SandboxRepository, ScanRecord, SeedImage } from "./types.js";

export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_IMAGE_CONFIG = "application/vnd.docker.container.image.v1+json";

/** Manifest lists and image indexes: they point at images, and are not scanned themselves. */
const INDEX_MEDIA_TYPES = new Set([
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.index.v1+json",
]);

/**
 * Whether an entry is a container image rather than another OCI artifact (signature, SBOM, Helm chart), which
 * ECR cannot scan (`UnsupportedImageTypeException`).
 * Sources: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html,
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_StartImageScan.html
 */
export function isScannableImage(image: SandboxImage): boolean {
  return (
    image.artifactMediaType === DOCKER_IMAGE_CONFIG ||
    image.artifactMediaType === "application/vnd.oci.image.config.v1+json"
  );
}

/** An image id BatchDeleteImage could not delete, as ECR answers it (ImageFailure). */
export interface DeleteFailure {
  imageId: { imageDigest?: string; imageTag?: string };
  failureCode: string;
  failureReason: string;
}

/** Called after an image is added, with the time it was pushed at (the scan simulation counts seeded scans). */
export type ImagePushedListener = (repository: SandboxRepository, image: SandboxImage, at: number) => void;

/**
 * The registry's repositories and images, as pushed or seeded, and the lookups that answer with ECR's errors when
 * something does not exist. Knows nothing of scanning beyond the scan record an image carries.
 */
export class EcrImageStore {
  readonly repositories = new Map<string, SandboxRepository>();

  constructor(
    private readonly options: Pick<EcrOptions, "accountId" | "region" | "now">,
    private readonly onImagePushed: ImagePushedListener,
  ) {}

  createRepository(name: string): SandboxRepository {
    // The repository name pattern of the CreateRepository reference.
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
      scanStarts.push(seed.scan.completedAt?.getTime() ?? now);
    }
    const image: SandboxImage = {
      digest,
      tags: seed.tags ?? [],
      pushedAt: seed.pushedAt ?? new Date(now),
      lastRecordedPullTime: seed.lastRecordedPullTime,
      manifestMediaType: seed.manifestMediaType ?? DOCKER_MANIFEST,
      // An image index has no config of its own: its platform images do (OCI image index specification).
      artifactMediaType:
        "artifactMediaType" in seed
          ? seed.artifactMediaType
          : INDEX_MEDIA_TYPES.has(seed.manifestMediaType ?? "")
            ? undefined
            : DOCKER_IMAGE_CONFIG,
      sizeInBytes: 20_000_000 + (Number.parseInt(digest.slice(7, 13), 16) % 50_000_000),
      status: seed.status ?? "ACTIVE",
      scan,
      scanStarts,
      nextScan: seed.nextScan ?? { outcome: "complete" },
    };
    repository.images.set(digest, image);
    this.onImagePushed(repository, image, now);
    return digest;
  }

  /**
   * PutImage: the manifest's media types are read from it when not given, and the tag moves from whichever image
   * held it (tags are mutable).
   * Source: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_PutImage.html
   */
  putImage(
    repositoryName: unknown,
    manifest: string,
    manifestMediaType: string | undefined,
    tag: string | undefined,
  ): { repository: SandboxRepository; image: SandboxImage } {
    const repository = this.repository(repositoryName);
    if (!manifest)
      throw new AwsError("InvalidParameterException", "Invalid parameter: imageManifest is required");
    let mediaType = manifestMediaType;
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
    const tags = tag !== undefined ? [tag] : [];
    for (const image of repository.images.values()) image.tags = image.tags.filter((t) => !tags.includes(t));
    const digest = this.seedImage(
      repository.name,
      { tags, manifestMediaType: mediaType, artifactMediaType },
      manifest,
    );
    return { repository, image: this.image(repository, { imageDigest: digest }) };
  }

  /**
   * BatchDeleteImage's deletions, in the request's order: a digest deletes the image with all its tags; a tag is
   * removed from its image, which is deleted with its last tag. What was deleted comes back as one image id per
   * (digest, tag) pair, or the digest alone for an untagged image; what could not be, as a failure with ECR's code.
   * Source: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html,
   * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageFailure.html
   */
  deleteImages(
    repository: SandboxRepository,
    imageIds: readonly unknown[],
  ): { deleted: { imageDigest: string; imageTag?: string }[]; failures: DeleteFailure[] } {
    const deleted: { imageDigest: string; imageTag?: string }[] = [];
    const failures: DeleteFailure[] = [];
    for (const imageId of imageIds) {
      const id = (imageId ?? {}) as { imageDigest?: string; imageTag?: string };
      const fail = (failureCode: string, failureReason: string) =>
        failures.push({ imageId: { ...id }, failureCode, failureReason });
      if (!id.imageDigest && !id.imageTag) {
        fail("MissingDigestAndTag", "Invalid request: the image id names neither a digest nor a tag");
        continue;
      }
      const image = id.imageDigest
        ? repository.images.get(id.imageDigest)
        : [...repository.images.values()].find(
            (i) => id.imageTag !== undefined && i.tags.includes(id.imageTag),
          );
      if (!image) {
        fail("ImageNotFound", "Requested image not found");
        continue;
      }
      if (id.imageDigest && id.imageTag !== undefined && !image.tags.includes(id.imageTag)) {
        fail("ImageTagDoesNotMatchDigest", "Invalid request: the tag does not name this digest");
        continue;
      }
      if (id.imageDigest) {
        repository.images.delete(image.digest);
        if (image.tags.length === 0) deleted.push({ imageDigest: image.digest });
        for (const tag of image.tags) deleted.push({ imageDigest: image.digest, imageTag: tag });
        continue;
      }
      const tag = id.imageTag as string;
      image.tags = image.tags.filter((t) => t !== tag);
      if (image.tags.length === 0) repository.images.delete(image.digest);
      deleted.push({ imageDigest: image.digest, imageTag: tag });
    }
    return { deleted, failures };
  }

  repository(name: unknown): SandboxRepository {
    const repository = typeof name === "string" ? this.repositories.get(name) : undefined;
    if (!repository) {
      throw new AwsError(
        "RepositoryNotFoundException",
        `The repository with name '${String(name)}' does not exist in the registry with id '${this.options.accountId}'`,
      );
    }
    return repository;
  }

  /** The image an `imageId` (`{ imageDigest }` or `{ imageTag }`) names in `repository`. */
  image(repository: SandboxRepository, imageId: unknown): SandboxImage {
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

  /**
   * A `registryId` other than this store's account names a registry that does not exist (sandbox-only wording, as
   * EcrSandbox's registryOf explains; EcrSandbox routes each request to its registry's store first).
   */
  checkRegistry(registryId: unknown): void {
    if (registryId !== undefined && registryId !== this.options.accountId) {
      throw new AwsError(
        "RepositoryNotFoundException",
        `The registry with id '${String(registryId)}' does not exist`,
      );
    }
  }
}
