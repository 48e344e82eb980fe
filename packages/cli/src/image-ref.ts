import { isImageDigest, isRepositoryName } from "@ecr-scan-reporter/core";
import { UsageError } from "./usage-error.js";

/** An image named on the command line: `repository:tag`, `repository@sha256:…`, or `repository` (= `:latest`). */
export interface ImageRef {
  repositoryName: string;
  imageTag?: string;
  imageDigest?: string;
}

/** Parses `repository[:tag|@digest]`; a UsageError says what a valid reference looks like. */
export function parseImageRef(text: string): ImageRef {
  const at = text.indexOf("@");
  if (at !== -1) {
    const repositoryName = text.slice(0, at);
    const imageDigest = text.slice(at + 1);
    if (isRepositoryName(repositoryName) && isImageDigest(imageDigest))
      return { repositoryName, imageDigest };
  } else {
    const colon = text.lastIndexOf(":");
    const repositoryName = colon === -1 ? text : text.slice(0, colon);
    const imageTag = colon === -1 ? "latest" : text.slice(colon + 1);
    if (isRepositoryName(repositoryName) && /^[\w][\w.-]{0,127}$/.test(imageTag))
      return { repositoryName, imageTag };
  }
  throw new UsageError(
    `"${text}" is not an image reference: write repository:tag (team-a/api:v1.2), repository@sha256:<64 hex digits>, or repository for :latest.`,
  );
}
