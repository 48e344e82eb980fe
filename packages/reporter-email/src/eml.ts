import { createHash } from "node:crypto";
import type { SendEmailCommandInput } from "@aws-sdk/client-sesv2";

/** The parts of an e-mail an `.eml` file needs. */
export interface EmlMessage {
  from: string;
  to: readonly string[];
  cc?: readonly string[];
  replyTo?: readonly string[];
  subject: string;
  text?: string;
  html?: string;
  date: Date;
}

/** A header value in RFC 2047 encoded-word form when it is not plain ASCII; CR/LF never pass. */
function encodeHeader(value: string): string {
  const line = value.replace(/[\r\n]+/g, " ");
  return /^[\x20-\x7E]*$/.test(line) ? line : `=?UTF-8?B?${Buffer.from(line, "utf8").toString("base64")}?=`;
}

/** Base64 in 76-character lines, as MIME wants. */
function base64Lines(text: string): string {
  return (
    Buffer.from(text, "utf8")
      .toString("base64")
      .match(/.{1,76}/g) ?? []
  ).join("\r\n");
}

/** An RFC 5322 message (the text of an `.eml` file), multipart/alternative with the text and HTML bodies. */
export function formatEml(message: EmlMessage): string {
  const text = message.text ?? "";
  const html = message.html ?? "";
  const boundary = `=_ecr-scan-reporter_${createHash("sha256")
    .update(text + html)
    .digest("hex")
    .slice(0, 24)}`;
  const list = (addresses: readonly string[]) => addresses.map(encodeHeader).join(", ");
  const headers = [
    `From: ${encodeHeader(message.from)}`,
    `To: ${list(message.to)}`,
    ...(message.cc?.length ? [`Cc: ${list(message.cc)}`] : []),
    ...(message.replyTo?.length ? [`Reply-To: ${list(message.replyTo)}`] : []),
    `Subject: ${encodeHeader(message.subject)}`,
    `Date: ${message.date.toUTCString()}`,
    "MIME-Version: 1.0",
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
  ];
  const part = (type: string, body: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset=UTF-8`,
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(body),
    ].join("\r\n");
  return [...headers, "", part("text/plain", text), part("text/html", html), `--${boundary}--`, ""].join(
    "\r\n",
  );
}

/** The `.eml` file an SES v2 `Simple` SendEmail request stands for: what a mail client would show. */
export function toEml(input: SendEmailCommandInput, date: Date): string {
  const simple = input.Content?.Simple;
  return formatEml({
    from: input.FromEmailAddress ?? "",
    to: input.Destination?.ToAddresses ?? [],
    cc: input.Destination?.CcAddresses,
    replyTo: input.ReplyToAddresses,
    subject: simple?.Subject?.Data ?? "",
    text: simple?.Body?.Text?.Data,
    html: simple?.Body?.Html?.Data,
    date,
  });
}
