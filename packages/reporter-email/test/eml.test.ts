import { describe, expect, it } from "vitest";
import { formatEml } from "../src/index.js";

const MESSAGE = {
  from: "Sécurité <scans@acme.example>",
  to: ["a@acme.example", "b@acme.example"],
  cc: ["c@acme.example"],
  subject: "[ecr-scan-reporter] CRITICAL\r\nBcc: x@evil.example",
  text: "plain body",
  html: "<p>html body</p>",
  date: new Date("2026-11-28T06:15:00Z"),
};

describe("formatEml", () => {
  const eml = formatEml(MESSAGE);
  const [head = "", ...parts] = eml.split("\r\n\r\n");

  it("writes the headers, non-ASCII ones as RFC 2047 words and CR/LF flattened", () => {
    const headers = head.split("\r\n");
    expect(headers.slice(0, 6)).toEqual([
      `From: =?UTF-8?B?${Buffer.from("Sécurité <scans@acme.example>").toString("base64")}?=`,
      "To: a@acme.example, b@acme.example",
      "Cc: c@acme.example",
      "Subject: [ecr-scan-reporter] CRITICAL Bcc: x@evil.example",
      "Date: Sat, 28 Nov 2026 06:15:00 GMT",
      "MIME-Version: 1.0",
    ]);
    expect(headers[6]).toMatch(
      /^Content-Type: multipart\/alternative; boundary="=_ecr-scan-reporter_[0-9a-f]{24}"$/,
    );
    expect(head).not.toContain("Reply-To:");
  });

  it("carries the text and HTML bodies base64-encoded, text first, and ends the multipart", () => {
    // Each body follows its part's headers and runs to the next boundary line.
    const bodies = parts
      .slice(1)
      .map((part) => Buffer.from(part.split("\r\n")[0] ?? "", "base64").toString());
    expect(bodies).toEqual(["plain body", "<p>html body</p>"]);
    expect(eml).toContain("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64");
    expect(eml).toContain("Content-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64");
    expect(eml.endsWith("--\r\n")).toBe(true);
  });

  it("is the same for the same message: the boundary comes from the bodies", () => {
    expect(formatEml(MESSAGE)).toBe(eml);
  });
});
