/** C0/C1 controls (but tab and line feed), and the bidirectional overrides that can disguise text. */
const CONTROL_CHARACTERS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point: they are removed.
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;
const LINE_BREAKS = /\r\n|[\r\n\u0085\u2028\u2029]/g;
/** Halves of a surrogate pair standing alone: not valid Unicode, so JSON and UTF-8 consumers choke on them. */
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Removes control and bidi characters from untrusted text and replaces lone surrogates with U+FFFD; with
 * `singleLine`, line breaks and tabs become spaces.
 */
export function cleanText(text: string, options: { singleLine?: boolean } = {}): string {
  // Line breaks first: CR and NEL are controls too, and removing them first would join the lines they separate.
  const lines = options.singleLine
    ? text.replace(LINE_BREAKS, " ").replace(/\t/g, " ")
    : text.replace(/\r\n?/g, "\n");
  return lines.replace(CONTROL_CHARACTERS, "").replace(LONE_SURROGATES, "\uFFFD");
}

/** Cuts text to at most `max` characters (code points kept whole), ending with `ellipsis` when cut. */
export function truncateText(text: string, max: number, ellipsis = "…"): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - Array.from(ellipsis).length)).join("") + ellipsis;
}

/** Escapes text for Slack mrkdwn: `&`, `<`, `>` — so `<!channel>` or `<https://evil|click>` shows as text. */
export function escapeSlackText(text: string): string {
  return cleanText(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return cleanText(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A value safe for an e-mail or HTTP header: one line, no CR/LF or other controls, trimmed. */
export function headerValue(text: string): string {
  return cleanText(text, { singleLine: true }).replace(/\s+/g, " ").trim();
}

/**
 * The URL in untrusted text, parsed, when it is one a reporter may link: absolute http(s) and without credentials
 * (so never `javascript:`, `data:`, or `https://user:pass@…`). Each target then encodes what its own link syntax needs.
 */
export function linkableHttpUrl(raw: string | undefined): URL | undefined {
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(cleanText(raw, { singleLine: true }).trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username || url.password) return undefined;
  return url;
}
