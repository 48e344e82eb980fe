import { cleanText, truncateText } from "@ecr-scan-reporter/core";

// Untrusted text for GitHub issue bodies and comments. They are read twice: rendered on github.com, and as raw
// Markdown source (GitHub's e-mail notifications carry the source), so the escaping must be safe for the first and
// quiet for the second. Identifiers go in code spans, which show text verbatim; free text is escaped only where
// Markdown would misread it. What GitHub turns into a live reference — an @mention, a #123 issue link, a bare URL
// or e-mail address — is put in a code span too, the least noisy form that is safe: GitHub finds mentions,
// references and URLs in the rendered text, skipping `code`, so an entity (`&#64;user`) or a backslash
// (`\@user`) is already decoded to `@user` there and would still ping, and a zero-width character would hide in
// the raw source.

/** One line of untrusted text: controls and bidi overrides removed, line breaks flattened, cut to `max`. */
function oneLine(text: string, max: number): string {
  return truncateText(cleanText(text, { singleLine: true }).trim(), max);
}

/**
 * `text` as one CommonMark code span: a fence of one backtick more than the longest run inside, padded with spaces
 * when the text starts or ends with a backtick (a parser strips one space each side). `|` is written `\|`: GFM
 * splits a table row at every unescaped `|` before it reads code spans, so this keeps the span whole in a table
 * cell; outside a table it shows as `\|`, which no real identifier (ECR repository, tag, digest, CVE id) contains.
 */
function codeSpan(text: string): string {
  if (text === "") return "";
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text.replace(/\|/g, "\\|")}${pad}${fence}`;
}

/** An untrusted identifier (repository, tag, digest, id, package, version…), one line of at most `max`, as code. */
export function markdownCode(text: string | undefined, max: number): string {
  return text === undefined ? "" : codeSpan(oneLine(text, max));
}

/**
 * What GitHub would make live in free text, each shown as code: bare URLs (`www.` too) and e-mail addresses
 * (autolinks), `@login` and `@org/team` (mentions), `#123` and `GH-123` (issue references, also after
 * `owner/repo`), and entity references (`&#35;` would become a `#`).
 */
const LIVE =
  /\b(?:https?|ftp):\/\/[^\s<>`]*|\bwww\.[^\s<>`]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<!\w)@[A-Za-z0-9][\w-]*(?:\/[\w.-]+)?|#\d+\b|\bGH-\d+\b|&(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);/giu;
/** Inline syntax: emphasis, code, links, raw HTML and autolinks, strikethrough, math, escapes, table cells. */
const SPECIAL = /[\\`*[\]<>|~$]/g;
/** `_` opens or closes emphasis except between two letters or digits (`snake_case` is safe as it is). */
const EMPHASIS_UNDERSCORE = /(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu;
/** Block syntax at the start of a line: a heading, a list item or a setext underline… */
const LINE_START = /^[#+=-]/;
/** …or an ordered list item (`1.`, `1)`). */
const ORDERED_LIST = /^(\d{1,9})([.)])/;
/** Punctuation that ends a sentence rather than the URL before it (as GitHub's autolinker decides too). */
const TRAILING = /[.,;:!?'"*_~]/;

function escapePlain(text: string): string {
  return text.replace(SPECIAL, (c) => `\\${c}`).replace(EMPHASIS_UNDERSCORE, "\\_");
}

/** A live token without the punctuation after it (`)` and `]` only when unbalanced), and that punctuation. */
function splitTrailing(token: string): [string, string] {
  let end = token.length;
  const count = (c: string) => token.slice(0, end).split(c).length - 1;
  while (end > 1) {
    const last = token.charAt(end - 1);
    const unbalanced = (last === ")" && count(")") > count("(")) || (last === "]" && count("]") > count("["));
    if (!TRAILING.test(last) && !unbalanced) break;
    end -= 1;
  }
  return [token.slice(0, end), token.slice(end)];
}

/**
 * Untrusted free text (a title, a description, ECR's status description): one line of at most `max` characters,
 * with only what Markdown would misread escaped, and mentions, issue references and bare links shown as code.
 */
export function markdownText(text: string | undefined, max: number): string {
  if (text === undefined) return "";
  const line = oneLine(text, max);
  let out = "";
  let last = 0;
  for (const match of line.matchAll(LIVE)) {
    const [token, after] = match[0].startsWith("&") ? [match[0], ""] : splitTrailing(match[0]);
    out += escapePlain(line.slice(last, match.index)) + codeSpan(token) + escapePlain(after);
    last = match.index + match[0].length;
  }
  out += escapePlain(line.slice(last));
  // A template may put the text at the start of a line (`> {{scan.statusDescription}}`): no block starts there.
  return out.replace(LINE_START, "\\$&").replace(ORDERED_LIST, "$1\\$2");
}
