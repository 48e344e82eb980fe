/** What names an image: its repository, tags (empty when untagged) and digest. */
export interface ImageRef {
  repository: string;
  tags: readonly string[];
  digest: string;
}

const SHA256_DIGEST = /^(sha256:[0-9a-f]{12})[0-9a-f]+$/;

/** `sha256:` and the first 12 hex digits, as the ECR console shows a digest; any other string is returned whole. */
export function shortDigest(digest: string): string {
  return digest.replace(SHA256_DIGEST, "$1");
}

/** `repository:tag` (the first tag), or `repository@sha256:<12 hex>` for an untagged image. */
export function reportImageLabel(image: ImageRef): string {
  const tag = image.tags[0];
  return tag ? `${image.repository}:${tag}` : `${image.repository}@${shortDigest(image.digest)}`;
}
