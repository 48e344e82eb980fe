/** An image digest as ECR and Inspector write it: `sha256:` and 64 lower-case hex digits. */
export const IMAGE_DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/**
 * A repository name as ECR's CreateRepository accepts it (path parts separated by `/`); the length,
 * 2–256 characters, is checked apart by {@link isRepositoryName}.
 */
export const REPOSITORY_NAME_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** A 12-digit AWS account id, which is also the id of the account's private registry. */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

/** True for a digest like `sha256:<64 hex digits>`. */
export function isImageDigest(value: string): boolean {
  return IMAGE_DIGEST_PATTERN.test(value);
}

/** True for a name ECR accepts for a repository: 2–256 characters of REPOSITORY_NAME_PATTERN. */
export function isRepositoryName(value: string): boolean {
  return value.length >= 2 && value.length <= 256 && REPOSITORY_NAME_PATTERN.test(value);
}

/** The parts of an ECR repository ARN. */
export interface RepositoryArn {
  partition: string;
  region: string;
  registryId: string;
  repositoryName: string;
}

/** The parts of an ECR image ARN (`…:repository/NAME/sha256:…`, as Inspector names images). */
export interface ImageArn extends RepositoryArn {
  imageDigest: string;
}

// Partitions: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-eusc …
const ECR_ARN_PREFIX = /^arn:(aws(?:-[a-z]+)*):ecr:([a-z0-9-]+):(\d{12}):repository\/(.+)$/;

/** Parses `arn:aws:ecr:REGION:ACCOUNT:repository/NAME` (NAME may contain `/`); undefined when it is not one. */
export function parseRepositoryArn(arn: string): RepositoryArn | undefined {
  const match = ECR_ARN_PREFIX.exec(arn);
  if (!match) return undefined;
  const [, partition, region, registryId, repositoryName] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (!isRepositoryName(repositoryName)) return undefined;
  return { partition, region, registryId, repositoryName };
}

/** Parses `arn:aws:ecr:REGION:ACCOUNT:repository/NAME/sha256:HEX`; undefined when it is not one. */
export function parseImageArn(arn: string): ImageArn | undefined {
  const slash = arn.lastIndexOf("/");
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut; with no slash (or one at 0) the checks below fail too
  if (slash < 0) return undefined;
  const imageDigest = arn.slice(slash + 1);
  if (!isImageDigest(imageDigest)) return undefined;
  const repository = parseRepositoryArn(arn.slice(0, slash));
  return repository && { ...repository, imageDigest };
}
