import {
  cleanText,
  escapeSlackText,
  headerValue,
  linkableHttpUrl,
  truncateText,
} from "@ecr-scan-reporter/core";

/** Untrusted text for one line of mrkdwn: controls removed, line breaks flattened, cut, then `&`, `<`, `>` escaped. */
export function mrkdwnLine(text: string | undefined, maxChars: number): string {
  if (!text) return "";
  return escapeSlackText(truncateText(cleanText(text, { singleLine: true }).trim(), maxChars));
}

/** Untrusted text that may span lines (descriptions): controls removed, cut, then escaped. */
export function mrkdwnText(text: string | undefined, maxChars: number): string {
  if (!text) return "";
  return escapeSlackText(truncateText(cleanText(text).trim(), maxChars));
}

/**
 * Text for a plain_text object (a header): Slack does not parse it for mrkdwn, links or mentions, so it is not
 * entity-escaped (`&amp;` would show as such); controls and line breaks are still removed.
 */
export function plainTextLine(text: string | undefined): string {
  return text ? headerValue(text) : "";
}

/**
 * A URL ready for a mrkdwn link `<url|text>`, or undefined when it must not be linked: only absolute http(s) URLs
 * without credentials are. The WHATWG serialization percent-encodes spaces, quotes and angle brackets in most
 * places; `|`, `<`, `>` are encoded everywhere on top of it (so no `|` can end the URL early and forge the link
 * text, and no `>` can close the link), and `&` is written `&amp;` as Slack's own mrkdwn does.
 */
export function linkableUrl(raw: string | undefined, maxChars = 1000): string | undefined {
  const url = linkableHttpUrl(raw);
  if (!url) return undefined;
  const href = url.href
    .replace(/\|/g, "%7C")
    .replace(/</g, "%3C")
    .replace(/>/g, "%3E")
    .replace(/&/g, "&amp;");
  return href.length <= maxChars ? href : undefined;
}

/**
 * Cuts mrkdwn to at most `max` UTF-16 code units (never fewer than Slack's characters), ending with `…`, without
 * splitting a surrogate pair, an entity (`&amp;`) or a `<…>` sequence, so a cut can never expose a bare `&` or
 * `<` that Slack would read differently.
 */
export function fitMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  cut = cut.replace(/&[a-zA-Z0-9#]*$/, "");
  const open = cut.lastIndexOf("<");
  if (open !== -1 && !cut.includes(">", open)) cut = cut.slice(0, open);
  return `${cut}…`;
}

/** Cuts plain text to at most `max` UTF-16 code units, ending with `…`, without splitting a surrogate pair. */
export function fitPlainText(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
