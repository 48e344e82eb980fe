import { type ScanReport, urgencyOrder } from "@ecr-scan-reporter/core";
import { validateSlackPayload } from "@ecr-scan-reporter/sandbox";
import { expect } from "vitest";
import { linkableUrl, SLACK_BLOCKS_MAX_CHARS, type SlackMessage, slackBlocksSize } from "../src/index.js";

/** Every mrkdwn string of a message: the fallback text, section texts and context elements. */
export function mrkdwnStrings(message: SlackMessage): string[] {
  const out = [message.text];
  for (const block of message.blocks) {
    if (block.type === "section") out.push(block.text.text);
    if (block.type === "context") out.push(...block.elements.map((e) => e.text));
  }
  return out;
}

const LINK = /<([^<>|]*)\|([^<>]*)>/g;

/** The links `<url|text>` of a mrkdwn string. */
export function linksOf(text: string): { url: string; text: string }[] {
  return [...text.matchAll(LINK)].map((m) => ({ url: m[1] ?? "", text: m[2] ?? "" }));
}

/** The lines of the findings sections, in order. */
export function findingLines(message: SlackMessage): string[] {
  return message.blocks
    .filter((b) => b.block_id?.startsWith("findings-"))
    .flatMap((b) => (b.type === "section" ? b.text.text.split("\n") : []));
}

/** N of "…and N more findings", or 0 when the message has no such block. */
export function moreCount(message: SlackMessage): number {
  const more = message.blocks.find((b) => b.block_id === "more");
  if (!more) return 0;
  const text = more.type === "context" ? (more.elements[0]?.text ?? "") : "";
  const match = /…and (\d+) more finding/.exec(text);
  if (!match) throw new Error(`no count in the "more" block: ${text}`);
  return Number(match[1]);
}

/**
 * Asserts every limit and escaping rule a message must keep, whatever the report: Slack's block limits and the one
 * on all blocks together (also through the sandbox receiver's validation), plain-text header, mrkdwn with no `<`, `>` or bare `&` but the
 * links the reporter builds from http(s) URLs of the report, and an exact "…and N more".
 */
export function expectWellFormed(message: SlackMessage, report: ScanReport): void {
  expect(validateSlackPayload(message)).toBeUndefined();
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  expect(slackBlocksSize(message.blocks)).toBeLessThanOrEqual(SLACK_BLOCKS_MAX_CHARS);

  const header = message.blocks[0];
  expect(header?.type).toBe("header");
  if (header?.type === "header") {
    expect(header.text.type).toBe("plain_text");
    expect(header.text.text.length).toBeGreaterThan(0);
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    // No line break, C0 control or bidi override: checked by code point, since a regex of them is hard to read.
    const forbidden = [...header.text.text].filter((c) => {
      const code = c.codePointAt(0) ?? 0;
      return code < 0x20 || code === 0x7f || (code >= 0x202a && code <= 0x202e);
    });
    expect(forbidden).toEqual([]);
  }
  for (const block of message.blocks) {
    if (block.type === "section") expect(block.text.text.length).toBeLessThanOrEqual(3000);
    if (block.type === "context") {
      for (const element of block.elements) expect(element.text.length).toBeLessThanOrEqual(3000);
    }
  }

  const allowedUrls = new Set(
    [report.consoleUrl, ...report.findings.map((f) => f.url)]
      .map((url) => linkableUrl(url))
      .filter((url): url is string => url !== undefined),
  );
  for (const text of mrkdwnStrings(message)) {
    for (const link of linksOf(text)) {
      expect(allowedUrls, `link to ${link.url}`).toContain(link.url);
      expect(link.url).toMatch(/^https?:\/\//);
    }
    const rest = text.replace(LINK, "");
    expect(rest, "a < or > that is not a link the reporter built").not.toMatch(/[<>]/);
    expect(rest.replace(/&(?:amp|lt|gt);/g, ""), "a bare &").not.toContain("&");
  }

  if (report.status === "FAILED") {
    expect(findingLines(message)).toEqual([]);
    return;
  }
  const lines = findingLines(message);
  const more = moreCount(message);
  expect(lines.length + more).toBe(report.findings.length);
  // The listed findings are the most urgent ones (KEV, exploit, EPSS, then severity), in order.
  const expectedIds = [...report.findings]
    .sort(urgencyOrder)
    .slice(0, lines.length)
    .map((f) => linkableUrl(f.url));
  expect(lines.map((line) => linksOf(line)[0]?.url)).toEqual(expectedIds);
}
