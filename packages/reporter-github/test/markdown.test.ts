import { SAMPLE_FINDINGS, sampleReport } from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { markdownCode, markdownText, renderIssueBody } from "../src/index.js";
import { outsideCodeSpans } from "./helpers.js";

/** The part of a body GitHub renders (the hidden markers cut off). */
const shown = (body: string) => body.slice(0, body.indexOf("<!-- ecr-scan-reporter:"));

describe("identifiers are code spans", () => {
  it("a normal identifier reads as itself: no backslash, no entity", () => {
    const body = shown(renderIssueBody(sampleReport({ repository: "team-b/ledger", tags: ["v1.4.9"] })));
    expect(body).toContain("### Vulnerabilities in `team-b/ledger:v1.4.9`");
    expect(body).toContain("| Repository | `team-b/ledger` |");
    expect(body).toContain("| Tags | `v1.4.9` |");
    expect(body).not.toContain("\\");
    expect(body).not.toMatch(/&#?\w+;/);
  });

  it("a hostile identifier is one inert code span, fenced longer than any backtick run in it", () => {
    const hostile = "a`b``c *x* _y_ <script>alert(1)</script> @channel #1";
    const span = markdownCode(hostile, 200);
    expect(span).toBe("```a`b``c *x* _y_ <script>alert(1)</script> @channel #1```");
    expect(outsideCodeSpans(span).trim()).toBe("");
  });

  it("pads a span whose text starts or ends with a backtick, escapes `|` for tables, and stays one line", () => {
    expect(markdownCode("`start", 50)).toBe("`` `start ``");
    expect(markdownCode("end`", 50)).toBe("`` end` ``");
    expect(markdownCode("a | b", 50)).toBe("`a \\| b`");
    expect(markdownCode("v1\r\nX-Injected: yes\u202E", 50)).toBe("`v1 X-Injected: yes`");
    expect(markdownCode("x".repeat(100), 10)).toBe(`\`${"x".repeat(9)}…\``);
    expect(markdownCode("", 10)).toBe("");
    expect(markdownCode(undefined, 10)).toBe("");
  });

  it("in a findings row, every identifier cell is a code span and the row keeps its six cells", () => {
    const finding = { ...SAMPLE_FINDINGS[0], id: "CVE-1 `x` @channel #1", packageName: "a|b<script>" };
    const body = renderIssueBody(sampleReport({ findings: [finding] as never }));
    const row = body.split("\n").find((line) => line.startsWith("| Critical | ")) ?? "";
    expect(row).toContain("[``CVE-1 `x` @channel #1``](https://nvd.nist.gov/vuln/detail/CVE-2024-3094)");
    expect(row).toContain("| `a\\|b<script>` |");
    expect(row.split(/(?<!\\)\|/)).toHaveLength(8);
  });
});

describe("free text escapes only what Markdown would misread", () => {
  it("a description with emphasis, a link, HTML, a mention and an issue reference renders inert", () => {
    const text = markdownText("*bold* [link](http://x) <img src=x> @someone #12", 500);
    expect(text).toBe("\\*bold\\* \\[link\\](`http://x`) \\<img src=x\\> `@someone` `#12`");
    const live = outsideCodeSpans(text);
    expect(live).not.toMatch(/(?<!\\)[*[<]/);
    expect(live).not.toContain("@");
    expect(live).not.toContain("#");
    expect(live).not.toContain("http");
  });

  it("leaves ordinary prose alone", () => {
    const prose =
      "UnsupportedImageError: The operating system and/or package manager (v1.2-3) are not supported.";
    expect(markdownText(prose, 500)).toBe(prose);
    expect(markdownText("snake_case, C# 7, Q&A, x@y", 500)).toBe("snake_case, C# 7, Q&A, x@y");
  });

  it("escapes what would start a block at the start of a line", () => {
    expect(markdownText("# Heading", 50)).toBe("\\# Heading");
    expect(markdownText("- item", 50)).toBe("\\- item");
    expect(markdownText("1. first", 50)).toBe("1\\. first");
    expect(markdownText("> quote", 50)).toBe("\\> quote");
    expect(markdownText("| a | b |", 50)).toBe("\\| a \\| b \\|");
  });

  it("shows entities, mentions of teams, bare URLs and e-mail addresses as code, without the sentence's punctuation", () => {
    expect(markdownText("&amp; &#64;x @org/team", 50)).toBe("`&amp;` `&#64;`x `@org/team`");
    expect(markdownText("see https://example.com/a_(b). or a.b@example.com!", 80)).toBe(
      "see `https://example.com/a_(b)`. or `a.b@example.com`!",
    );
    expect(markdownText("_it_ ~s~ $x$ `c` \\", 50)).toBe("\\_it\\_ \\~s\\~ \\$x\\$ \\`c\\` \\\\");
  });

  it("titles and descriptions reach a replaced template escaped the same way", () => {
    const finding = { ...SAMPLE_FINDINGS[0], title: "@octocat fixed #3", description: "<b>x</b>" };
    const body = renderIssueBody(sampleReport({ findings: [finding] as never }), {
      templates: { "github/issue.hbs": "{{#each findings}}{{title}} / {{description}}{{/each}}" },
    });
    expect(body.startsWith("`@octocat` fixed `#3` / \\<b\\>x\\</b\\>\n")).toBe(true);
  });
});

describe("a finding without a fixed-in version", () => {
  const unfixed = { ...SAMPLE_FINDINGS[0], fixedInVersion: undefined };
  const fixedCell = (scanType: "BASIC" | "ENHANCED", finding = unfixed) =>
    renderIssueBody(sampleReport({ scanType, findings: [finding] as never }))
      .split("\n")
      .find((line) => line.startsWith("| Critical | "))
      ?.split(" | ")[4];

  it("basic scanning: the fix is unknown (basic scanning reports no fixed versions)", () => {
    expect(fixedCell("BASIC")).toBe("_fix unknown_");
  });

  it("enhanced scanning: there is no fixed version yet", () => {
    expect(fixedCell("ENHANCED")).toBe("_no fixed version yet_");
  });

  it("a fixed-in version is shown as it is, whatever the scan type", () => {
    expect(fixedCell("BASIC", SAMPLE_FINDINGS[0] as never)).toBe("`5.6.1+really5.4.5-1`");
  });
});
