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

/** The account a report is about, as the report shows it ([8/8]); `accountName` is the configuration's `name`. */
export interface AccountRef {
  account: string;
  accountName?: string;
}

/** How reports name an account: `name (123456789012)`, or the id alone. Plain text: each target escapes it. */
export function accountLabel(report: AccountRef): string {
  return report.accountName && report.accountName !== report.account
    ? `${report.accountName} (${report.account})`
    : report.account;
}

/**
 * How lists and subjects name an account where room is short: the configuration's `name`, or the id when it has
 * none. Plain text: each target escapes it.
 */
export function accountShortLabel(ref: AccountRef): string {
  return ref.accountName || ref.account;
}

/**
 * The account a subject or title names ([8/8]): its `name`, or its id when `accounts` does not name it
 * (report-findings sets `accountName` to the id then). A deployment without `accounts` keeps its subjects as they
 * were; the body always shows the account.
 */
export function subjectAccount(ref: AccountRef): string | undefined {
  return ref.accountName || undefined;
}
