import { domainToASCII } from "node:url";
import { headerValue } from "@ecr-scan-reporter/core";

/** One e-mail address with an optional display name, as given in the options (`Name <addr@x>` or `addr@x`). */
export interface Mailbox {
  /** The display name ("friendly from"), cleaned to one line; undefined when none was given. */
  name?: string;
  /** The address, 7-bit ASCII, its domain in Punycode and lower case. */
  address: string;
}

/** The result of parsing a mailbox: the mailbox, or why it is not one. */
export type MailboxParse = { ok: true; mailbox: Mailbox } | { ok: false; reason: string };

// RFC 5322 dot-atom local part (what SES accepts: 7-bit ASCII, no quoted local parts).
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// RFC 5321: at most 64 octets before the @, 254 in all (the 256-octet path less its angle brackets).
const MAX_LOCAL_PART = 64;
const MAX_ADDRESS = 254;
const MAX_DISPLAY_NAME = 100;

/** `Name <addr>` with the name optional and possibly quoted; anything else is tried as a bare address. */
const NAME_ADDR = /^(.*?)\s*<([^<>]*)>$/s;

function parseAddress(text: string): { ok: true; address: string } | { ok: false; reason: string } {
  const at = text.lastIndexOf("@");
  if (at <= 0 || at === text.length - 1)
    return { ok: false, reason: "is not an e-mail address like name@example.com" };
  const local = text.slice(0, at);
  const domainText = text.slice(at + 1);
  if (!LOCAL_PART.test(local) || local.length > MAX_LOCAL_PART) {
    return {
      ok: false,
      reason:
        "has a local part (before the @) SES cannot send: only ASCII letters, digits and !#$%&'*+/=?^_`{|}~.- are allowed",
    };
  }
  // SES takes Unicode domains only in Punycode; node's WHATWG domainToASCII does that (and lower-cases), and
  // answers "" for what is no domain at all.
  const domain = /[\s<>()[\]\\,;:"@]/.test(domainText) ? "" : domainToASCII(domainText);
  const labels = domain.split(".");
  if (!domain || labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) {
    return { ok: false, reason: `has no valid domain after the @ ("${headerValue(domainText)}")` };
  }
  const address = `${local}@${domain}`;
  if (address.length > MAX_ADDRESS) return { ok: false, reason: `is longer than ${MAX_ADDRESS} characters` };
  return { ok: true, address };
}

/** Parses `addr@example.com`, `Name <addr@example.com>` or `"Name, Team" <addr@example.com>`. */
export function parseMailbox(text: string): MailboxParse {
  const trimmed = text.trim();
  if (/[\r\n]/.test(trimmed)) return { ok: false, reason: "must be one line (no line break)" };
  const match = NAME_ADDR.exec(trimmed);
  const rawName = match ? (match[1] ?? "") : "";
  const parsed = parseAddress(match ? (match[2] ?? "").trim() : trimmed);
  if (!parsed.ok) return parsed;
  // A quoted display name keeps its text; the quotes (and their backslash escapes) are put back when sending.
  const unquoted = /^"(.*)"$/s.test(rawName) ? rawName.slice(1, -1).replace(/\\(.)/g, "$1") : rawName;
  const name = headerValue(unquoted);
  if (name.length > MAX_DISPLAY_NAME) {
    return { ok: false, reason: `has a display name longer than ${MAX_DISPLAY_NAME} characters` };
  }
  return { ok: true, mailbox: name ? { name, address: parsed.address } : { address: parsed.address } };
}

// RFC 5322 atext plus the spaces between words: a display name made only of these needs no quotes.
const PLAIN_PHRASE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+$/;
// An encoded-word is at most 75 characters: `=?UTF-8?B?` + base64 + `?=` leaves room for 45 bytes of text.
const ENCODED_WORD_BYTES = 45;

/** RFC 2047 `=?UTF-8?B?…?=` words, split between characters so no word exceeds 75 characters. */
function encodedWords(text: string): string {
  const words: string[] = [];
  let chunk = "";
  for (const char of text) {
    if (Buffer.byteLength(chunk + char, "utf8") > ENCODED_WORD_BYTES) {
      words.push(chunk);
      chunk = "";
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word, "utf8").toString("base64")}?=`).join(" ");
}

/**
 * The mailbox as SES takes it in a header: the address alone, or `Name <address>` with the name quoted when it
 * holds specials and MIME-encoded (RFC 2047) when it is not ASCII — SES requires that of a "friendly from".
 */
export function formatMailbox(mailbox: Mailbox): string {
  const name = mailbox.name === undefined ? "" : headerValue(mailbox.name);
  if (!name) return mailbox.address;
  let phrase: string;
  if (PLAIN_PHRASE.test(name)) phrase = name;
  else if (/^[\x20-\x7E]*$/.test(name)) phrase = `"${name.replace(/["\\]/g, "\\$&")}"`;
  else phrase = encodedWords(name);
  return `${phrase} <${mailbox.address}>`;
}

/** The domain of an address (the part after the last @). */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1);
}
