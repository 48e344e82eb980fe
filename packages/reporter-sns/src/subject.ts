/**
 * SNS takes a subject "less than 100 characters long" (UTF-8, no line breaks or control characters):
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
 */
export const SNS_SUBJECT_MAX_LENGTH = 99;
const FALLBACK_SUBJECT = "ecr-scan-reporter report";
/** The most of an account name a subject keeps (the image's name needs the room more). */
const SUBJECT_ACCOUNT_MAX_LENGTH = 32;
const ELLIPSIS = "...";

/**
 * What SNS accepts in a subject: ASCII printable characters only, no line break, not starting with a space,
 * not empty. Line breaks and tabs become spaces, anything else outside 0x20-0x7E is dropped.
 */
function asciiSubjectText(text: string): string {
  return text
    .replace(/[\s\u0085]+/g, " ")
    .replace(/[^\x20-\x7E]/g, "")
    .replace(/ {2,}/g, " ")
    .trim();
}

/** Keeps the start and the end of a text (a repository name and its tag), cutting the middle. */
function truncateMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const keep = max - ELLIPSIS.length;
  const tail = Math.floor(keep / 3);
  return `${text.slice(0, keep - tail)}${ELLIPSIS}${text.slice(text.length - tail)}`;
}

/**
 * The Publish subject: `<prefix> <headline> <image>`, e.g. `[ecr-scan-reporter] CRITICAL team-a/api:v1.2`, and
 * ` (<account>)` after the image when the configuration names the image's account ([8/8]: the view kit's
 * `subjectAccount`), e.g. `… CRITICAL team-a/api:v1.2 (prod)`. The prefix, headline and account are kept whole when
 * they fit (the account cut to 32); a long image label loses its middle, so both the repository's start and the tag
 * stay readable.
 */
export function buildSubject(prefix: string, headline: string, imageLabel: string, account?: string): string {
  const head = asciiSubjectText(`${prefix} ${headline}`);
  const label = asciiSubjectText(imageLabel);
  const owner = account ? asciiSubjectText(account) : "";
  const tail = owner ? ` (${truncateMiddle(owner, SUBJECT_ACCOUNT_MAX_LENGTH)})` : "";
  let subject: string;
  if (!label) {
    subject = `${head}${tail}`;
  } else if (!head) {
    subject = `${truncateMiddle(label, SNS_SUBJECT_MAX_LENGTH - tail.length)}${tail}`;
  } else {
    const room = SNS_SUBJECT_MAX_LENGTH - head.length - 1 - tail.length;
    subject = room >= 16 ? `${head} ${truncateMiddle(label, room)}${tail}` : `${head} ${label}${tail}`;
  }
  if (subject.length > SNS_SUBJECT_MAX_LENGTH) {
    subject = `${subject.slice(0, SNS_SUBJECT_MAX_LENGTH - ELLIPSIS.length)}${ELLIPSIS}`;
  }
  return subject.trim() || FALLBACK_SUBJECT;
}
