import { cleanText } from "@ecr-scan-reporter/core";

/**
 * Text from images and vulnerability feeds (package names, titles, descriptions, even tags) is untrusted: it may
 * carry terminal escapes, bidi overrides that reorder what a reader sees, lone surrogates that are not valid
 * UTF-8, or megabytes of junk. Everything dynamic that goes into a message passes through here first.
 */

// Line breaks of every kind become \n before core's cleanText removes the other controls, the bidi marks and lone
// surrogates ("Trojan Source", invalid UTF-8).
const LINE_BREAKS = /\r\n|[\r\v\f\u0085\u2028\u2029]/g;
const ELLIPSIS = "...";

/**
 * Cuts a string to at most `max` UTF-16 code units (not code points, unlike core's truncateText), trailing spaces
 * dropped and ending in ASCII "...", never splitting a surrogate pair.
 */
export function truncateUtf16(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return ELLIPSIS.slice(0, Math.max(0, max));
  let end = max - ELLIPSIS.length;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end).trimEnd()}${ELLIPSIS}`;
}

function clean(text: string, max: number, multiline: boolean): string {
  // Bound the work on hostile input before the regexes run; the final cut below adds the ellipsis.
  const bounded = text.length > max * 4 ? text.slice(0, max * 4) : text;
  let cleaned = cleanText(bounded.replace(LINE_BREAKS, "\n").replace(/\t/g, " "));
  cleaned = multiline
    ? cleaned
        .split("\n")
        .map((line) => line.replace(/ {2,}/g, " ").trimEnd())
        .join("\n")
        .replace(/\n{3,}/g, "\n\n")
        .trim()
    : cleaned.replace(/\s+/g, " ").trim();
  if (bounded !== text && cleaned.length <= max) return truncateUtf16(`${cleaned}${ELLIPSIS}`, max);
  return truncateUtf16(cleaned, max);
}

/** One line of untrusted text: control characters stripped, every line break and run of spaces made one space. */
export function cleanLine(text: string | undefined, max: number): string {
  return text === undefined ? "" : clean(text, max, false);
}

/** A block of untrusted text: like cleanLine, but line breaks are kept (as \n, at most one blank line in a row). */
export function cleanBlock(text: string | undefined, max: number): string {
  return text === undefined ? "" : clean(text, max, true);
}
