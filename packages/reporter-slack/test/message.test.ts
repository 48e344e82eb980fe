import type { Finding, ScanReport } from "@ecr-scan-reporter/core";
import {
  cleanReport,
  failedScanReport,
  generateFindings,
  hostileReport,
  manyFindingsReport,
  overThresholdReport,
  SAMPLE_FINDINGS,
  sampleReport,
  untaggedReport,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import {
  fitMrkdwn,
  linkableUrl,
  renderSlackMessage,
  SHIPPED_TEMPLATES,
  type SlackMessage,
  slackMessageOptionsSchema,
} from "../src/index.js";
import { expectWellFormed, findingLines, linksOf, moreCount, mrkdwnStrings } from "./helpers.js";

const sectionText = (message: SlackMessage, blockId: string) => {
  const block = message.blocks.find((b) => b.block_id === blockId);
  if (block?.type === "section") return block.text.text;
  if (block?.type === "context") return block.elements.map((e) => e.text).join("\n");
  throw new Error(`no block ${blockId}`);
};
const headerText = (message: SlackMessage) => {
  const block = message.blocks[0];
  if (block?.type !== "header") throw new Error("the first block is not a header");
  return block.text.text;
};

describe("renderSlackMessage snapshots", () => {
  it.each([
    ["over-threshold", overThresholdReport()],
    ["many-findings", manyFindingsReport()],
    ["failed-scan", failedScanReport()],
    ["untagged", untaggedReport()],
    ["hostile", hostileReport()],
  ])("%s", async (name, report) => {
    const message = renderSlackMessage(report);
    expectWellFormed(message, report);
    await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(`__snapshots__/${name}.json`);
  });
});

describe("the message of a report", () => {
  it("has a header repository:tag, the counts, the findings most severe first and a console link", () => {
    const report = overThresholdReport();
    const message = renderSlackMessage(report);
    expect(headerText(message)).toBe("team-a/api:v1.4.2");
    expect(message.blocks.map((b) => b.block_id)).toEqual(["header", "counts", "findings-1", "footer"]);
    expect(sectionText(message, "counts")).toContain("*1 critical*");
    expect(sectionText(message, "counts")).toContain("*2 high*");
    const lines = findingLines(message);
    expect(lines[0]).toContain("<https://nvd.nist.gov/vuln/detail/CVE-2024-3094|CVE-2024-3094>");
    expect(lines[0]).toContain("xz-utils@5.6.0-0.2 → 5.6.1+really5.4.5-1");
    expect(lines[4]).toContain("passwd@1:4.13+dfsg1-1 (fix unknown)");
    expect(linksOf(sectionText(message, "footer"))[0]).toEqual({
      url: report.consoleUrl,
      text: "Open in the ECR console",
    });
    expect(message.text).toBe("team-a/api:v1.4.2: 1 critical, 2 high, 1 medium, 1 low");
    expect(message).toMatchObject({ unfurl_links: false, unfurl_media: false });
  });

  it("says a fix is unknown after a basic scan, and that there is none yet after an enhanced one", () => {
    const basic = findingLines(renderSlackMessage(overThresholdReport()));
    expect(basic[4]).toMatch(/ · passwd@1:4\.13\+dfsg1-1 \(fix unknown\)$/);
    expect(basic.join("\n")).not.toContain("no fixed version");
    const enhanced = findingLines(renderSlackMessage(sampleReport({ scanType: "ENHANCED" })));
    expect(enhanced[4]).toMatch(/ · passwd@1:4\.13\+dfsg1-1 \(no fixed version yet\)$/);
    expect(enhanced[0]).toContain("xz-utils@5.6.0-0.2 → 5.6.1+really5.4.5-1");
  });

  it("puts the ignore-list note on a line of its own, in italics", () => {
    const report = overThresholdReport();
    const ignored = { ...report, verdict: { ...report.verdict, ignoredFindings: 1 } };
    expect(sectionText(renderSlackMessage(ignored), "counts")).toBe(
      "*5 vulnerabilities* in *team-a/api:v1.4.2*, over the threshold for critical, high\n" +
        ":red_circle: *1 critical*   :large_orange_circle: *2 high*   :large_yellow_circle: 1 medium   :large_blue_circle: 1 low\n" +
        "_1 finding hidden by the ignore list._",
    );
    const clean = cleanReport();
    const allIgnored = { ...clean, verdict: { ...clean.verdict, ignoredFindings: 2 } };
    expect(sectionText(renderSlackMessage(allIgnored), "counts")).toBe(
      "*No vulnerabilities* in *team-a/api:v1.4.3*.\n_2 findings hidden by the ignore list._",
    );
  });

  it("sorts the findings itself, by severity then CVSS score, whatever order the report has", () => {
    const report = sampleReport({ findings: [...SAMPLE_FINDINGS].reverse() });
    const ids = findingLines(renderSlackMessage(report)).map((line) => linksOf(line)[0]?.text);
    expect(ids).toEqual([
      "CVE-2024-3094",
      "CVE-2023-4863",
      "CVE-2023-44487",
      "CVE-2022-40897",
      "CVE-2023-29383",
    ]);
  });

  it("names an untagged image by repository and short digest", () => {
    const message = renderSlackMessage(untaggedReport());
    expect(headerText(message)).toBe("team-a/api@sha256:0a1b2c3d4e5f");
    expect(message.text.startsWith("team-a/api@sha256:0a1b2c3d4e5f:")).toBe(true);
  });

  it("gives a failed scan its own message with ECR's status description", () => {
    const message = renderSlackMessage(failedScanReport());
    expect(headerText(message)).toBe("Scan failed: team-a/api:scratch-build");
    expect(message.blocks.map((b) => b.block_id)).toEqual(["header", "failed", "footer"]);
    expect(sectionText(message, "failed")).toContain(
      "UnsupportedImageError: The operating system and/or package manager are not supported.",
    );
    expect(message.text).toMatch(/^Scan failed: team-a\/api:scratch-build: UnsupportedImageError/);
  });

  it("says so when a scan found nothing", () => {
    const message = renderSlackMessage(cleanReport());
    expect(sectionText(message, "counts")).toBe("*No vulnerabilities* in *team-a/api:v1.4.3*.");
    expect(message.text).toBe("team-a/api:v1.4.3: no vulnerabilities");
    expect(findingLines(message)).toEqual([]);
  });

  it("lists maxFindings findings and counts the rest exactly", () => {
    const report = manyFindingsReport();
    const message = renderSlackMessage(report);
    expect(findingLines(message)).toHaveLength(10);
    expect(moreCount(message)).toBe(4990);
    expect(sectionText(message, "more")).toContain("see all 5000 in the ECR console");
    const none = renderSlackMessage(report, { maxFindings: 0 });
    expect(findingLines(none)).toEqual([]);
    expect(moreCount(none)).toBe(5000);
    expect(findingLines(renderSlackMessage(report, { maxFindings: 40 }))).toHaveLength(40);
  });

  it("shows the channel label in the footer, escaped", () => {
    const message = renderSlackMessage(overThresholdReport(), { channelLabel: "prod <eu> & co" });
    expect(sectionText(message, "footer")).toMatch(/ · prod &lt;eu&gt; &amp; co$/);
  });
});

/** A finding whose every string is `length` characters of text that needs escaping. */
function longFinding(i: number, length: number): Finding {
  const text = (prefix: string) => `${prefix}${i} <&>`.padEnd(length, "x<&>");
  return {
    id: text("CVE-"),
    severity: i % 2 === 0 ? "CRITICAL" : "HIGH",
    title: text("title "),
    description: text("description\n"),
    packageName: text("pkg"),
    packageVersion: text("v"),
    fixedInVersion: text("f"),
    cvssScore: 9 - i / 100,
    url: `https://nvd.example/${"a".repeat(length)}/${i}`,
  };
}

describe("Slack's limits and escaping, whatever the report", () => {
  const longStrings = (count: number) =>
    sampleReport({
      repository: `team-a/${"r".repeat(250)}`,
      tags: [`t${"&".repeat(127)}`],
      findings: Array.from({ length: count }, (_, i) => longFinding(i, 3000)),
      statusDescription: "<".repeat(3000),
    });
  const reports: [string, ScanReport][] = [
    ["over threshold", overThresholdReport()],
    ["5,000 findings", manyFindingsReport()],
    ["failed scan", failedScanReport()],
    ["untagged", untaggedReport()],
    ["hostile", hostileReport()],
    ["clean", cleanReport()],
    ...[0, 1, 10, 100, 1000, 5000].map((size): [string, ScanReport] => [
      `${size} generated findings`,
      sampleReport({ findings: generateFindings(size, size + 1) }),
    ]),
    ["3,000-character strings, 1 finding", longStrings(1)],
    ["3,000-character strings, 60 findings", longStrings(60)],
    [
      "3,000-character strings, failed scan",
      { ...longStrings(0), status: "FAILED", verdict: { ...failedScanReport().verdict } },
    ],
  ];

  it.each(reports)("%s, default options", (_, report) => {
    expectWellFormed(renderSlackMessage(report), report);
  });

  it.each(reports)("%s, maxFindings 40", (_, report) => {
    expectWellFormed(renderSlackMessage(report, { maxFindings: 40 }), report);
  });

  it("cuts long strings before escaping, so no entity is ever split", () => {
    const report = longStrings(1);
    const message = renderSlackMessage(report);
    const [line] = findingLines(message);
    expect(line).toContain("pkg0 &lt;&amp;&gt;x&lt;&amp;&gt;");
    expect(line?.length).toBeLessThan(3000);
    expect(headerText(message)).toHaveLength(150);
    expect(headerText(message).endsWith("…")).toBe(true);
  });

  it("keeps a template that renders more than 3,000 characters a finding within the section limit", () => {
    const report = longStrings(40);
    const message = renderSlackMessage(report, {
      maxFindings: 40,
      templates: {
        "slack/finding.hbs": "{{title}} {{description}} {{title}} {{description}} {{packageName}}",
      },
    });
    expectWellFormed(message, report);
    // 40 lines of 3,000 characters are ten times what a message may hold in all: the rest are counted.
    expect(findingLines(message).length).toBeGreaterThan(0);
    expect(findingLines(message).length + moreCount(message)).toBe(40);
    for (const line of findingLines(message)) expect(line.endsWith("…")).toBe(true);
  });

  it("fits 40 three-thousand-character findings into the 50 blocks, the rest counted", () => {
    const report = longStrings(60);
    const message = renderSlackMessage(report, {
      maxFindings: 40,
      templates: {
        "slack/finding.hbs":
          "{{title}}{{title}}{{title}}{{title}}{{title}}{{title}}{{title}}{{title}}{{title}}{{title}}",
      },
    });
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(findingLines(message).length + moreCount(message)).toBe(60);
    expect(message.blocks.at(-1)?.block_id).toBe("footer");
  });
});

describe("hostile strings", () => {
  const report = hostileReport();
  const message = renderSlackMessage(report);
  // A template that shows every field, so nothing escapes the checks by not being displayed.
  const everything = renderSlackMessage(report, {
    templates: {
      "slack/finding.hbs":
        "{{id}} | {{title}} | {{description}} | {{package}} | {{fixedInVersion}} | {{url}} | {{repository}} | {{tagList}}",
      "slack/footer.hbs": "{{statusDescription}} {{tagList}} {{image}}",
    },
  });

  it("never reaches Slack as a mention, a special command or a link", () => {
    for (const text of [...mrkdwnStrings(message), ...mrkdwnStrings(everything)]) {
      expect(text).not.toContain("<!");
      expect(text).not.toContain("<@");
      expect(text).not.toMatch(/<https?:\/\/evil/);
      expect(text).not.toContain("<script");
    }
    expectWellFormed(message, report);
  });

  it("shows <!channel>, <@U…> and <https://evil|click> as escaped text", () => {
    const lines = findingLines(everything).join("\n");
    expect(lines).toContain("CVE-2099-0001 &lt;!channel&gt;");
    expect(lines).toContain(
      "&lt;!channel&gt; &lt;!here&gt; &lt;@U024BE7LH&gt; &lt;https://evil.example|click here&gt;",
    );
    expect(lines).toContain("&lt;https://evil.example|trusted-package&gt;");
    expect(lines).toContain("&lt;script&gt;alert('x')&lt;/script&gt; &amp; &amp;amp; &amp;lt;");
    expect(sectionText(everything, "footer")).toContain("&lt;b&gt;done&lt;/b&gt;");
    expect(sectionText(everything, "footer")).toContain("&lt;!channel&gt;");
  });

  it("does not link a javascript: URL, and percent-encodes what could close or split a link", () => {
    const [first, second] = findingLines(message);
    expect(first).not.toContain("javascript:alert(document");
    expect(linksOf(first ?? "")).toEqual([]);
    expect(first).toContain("*CVE-2099-0001 &lt;!channel&gt;*");
    expect(linksOf(second ?? "")).toEqual([
      { url: "https://nvd.nist.gov/vuln/detail/CVE-2099-0002%22%3E%3Cscript%3E", text: "CVE-2099-0002" },
    ]);
  });

  it("removes line breaks and bidi overrides", () => {
    expect(headerText(message)).toBe("team-a/api:v1 X-Injected: yes");
    expect(findingLines(everything).join("")).not.toMatch(/[\r\u202E]/);
    expect(findingLines(everything)).toHaveLength(2);
  });

  it("keeps the header plain text: cleaned, not entity-escaped", () => {
    const header = headerText(renderSlackMessage(sampleReport({ tags: ["a&b<c>\u202Ed\n"] })));
    expect(header).toBe("team-a/api:a&b<c>d");
  });
});

describe("linkableUrl and fitMrkdwn", () => {
  it("links only absolute http(s) URLs without credentials", () => {
    expect(linkableUrl("https://nvd.nist.gov/vuln/detail/CVE-2024-3094")).toBe(
      "https://nvd.nist.gov/vuln/detail/CVE-2024-3094",
    );
    expect(linkableUrl("http://example.com/a")).toBe("http://example.com/a");
    for (const url of [
      "javascript:alert(1)",
      "JaVaScRiPt:alert(1)",
      "data:text/html,x",
      "ftp://example.com/x",
      "/relative",
      "https://user:pw@example.com/",
      "",
      undefined,
    ]) {
      expect(linkableUrl(url), String(url)).toBeUndefined();
    }
  });

  it("percent-encodes | < > and writes & as &amp;, so the link text cannot be forged", () => {
    const url = linkableUrl("https://example.com/a|b>c<d?x=1&y=|evil");
    expect(url).toBe("https://example.com/a%7Cb%3Ec%3Cd?x=1&amp;y=%7Cevil");
    const message = renderSlackMessage(
      sampleReport({ findings: [{ ...SAMPLE_FINDINGS[0], url: "https://example.com/a|b>c" } as Finding] }),
    );
    expect(linksOf(findingLines(message)[0] ?? "")).toEqual([
      { url: "https://example.com/a%7Cb%3Ec", text: "CVE-2024-3094" },
    ]);
  });

  it("cuts mrkdwn without splitting an entity, a link or a surrogate pair", () => {
    expect(fitMrkdwn("abc &amp; def", 7)).toBe("abc …");
    expect(fitMrkdwn("ab <https://x.example|x> cd", 10)).toBe("ab …");
    expect(fitMrkdwn("ab😀cd", 4)).toBe("ab…");
    expect(fitMrkdwn("short", 5)).toBe("short");
  });
});

describe("templates", () => {
  it("an inline template override changes the output", () => {
    const message = renderSlackMessage(overThresholdReport(), {
      templates: { "slack/finding.hbs": "{{index}}. {{id}} ({{severity}}, {{cvssScore}})" },
    });
    expect(findingLines(message)[0]).toBe("1. CVE-2024-3094 (CRITICAL, 10.0)");
    expect(findingLines(message)[4]).toBe("5. CVE-2023-29383 (LOW, 3.3)");
  });

  it("a template folder override (TemplateSource) changes the output, and inline overrides win over it", () => {
    const folder = {
      override: (name: string) =>
        ({
          "slack/header.hbs": "Vulnerabilities in {{image}}",
          "slack/footer.hbs": "folder footer {{shortDigest}}",
        })[name],
    };
    const message = renderSlackMessage(overThresholdReport(), {}, folder);
    expect(headerText(message)).toBe("Vulnerabilities in team-a/api:v1.4.2");
    expect(sectionText(message, "footer")).toBe("folder footer sha256:4f8b6b8e3d1c");
    const inline = renderSlackMessage(
      overThresholdReport(),
      { templates: { "slack/footer.hbs": "inline footer" } },
      folder,
    );
    expect(sectionText(inline, "footer")).toBe("inline footer");
  });

  it("a template that renders nothing drops its block, and the message stays valid", () => {
    const report = overThresholdReport();
    const message = renderSlackMessage(report, { templates: { "slack/footer.hbs": "{{!-- none --}}" } });
    expect(message.blocks.map((b) => b.block_id)).toEqual(["header", "counts", "findings-1"]);
    expectWellFormed(message, report);
  });

  it("the template options are checked: known names, valid Handlebars", () => {
    const unknown = slackMessageOptionsSchema.safeParse({ templates: { "slack/findings.hbs": "x" } });
    expect(unknown.error?.issues[0]?.message).toContain("is not a template of the slack reporter");
    expect(unknown.error?.issues[0]?.path).toEqual(["templates", "slack/findings.hbs"]);
    const broken = slackMessageOptionsSchema.safeParse({ templates: { "slack/finding.hbs": "{{#if x}}" } });
    expect(broken.error?.issues[0]?.message).toContain("is not a valid Handlebars template");
    expect(
      slackMessageOptionsSchema.safeParse({ templates: { "slack/partials/x.hbs": "{{id}}" } }).success,
    ).toBe(true);
  });

  it("partials given inline are available to the other templates", () => {
    const message = renderSlackMessage(overThresholdReport(), {
      templates: { "slack/partials/pkg.hbs": "[{{package}}]", "slack/finding.hbs": "{{id}} {{> pkg}}" },
    });
    expect(findingLines(message)[0]).toBe("CVE-2024-3094 [xz-utils@5.6.0-0.2]");
  });

  it("ships every template the message uses", () => {
    expect(Object.keys(SHIPPED_TEMPLATES).sort()).toEqual([
      "slack/back-within.hbs",
      "slack/changes.hbs",
      "slack/counts.hbs",
      "slack/digest-accounts.hbs",
      "slack/digest-changes.hbs",
      "slack/digest-coverage.hbs",
      "slack/digest-fallback.hbs",
      "slack/digest-footer.hbs",
      "slack/digest-header.hbs",
      "slack/digest-image.hbs",
      "slack/digest-kev.hbs",
      "slack/digest-more-images.hbs",
      "slack/digest-summary.hbs",
      "slack/failed.hbs",
      "slack/fallback.hbs",
      "slack/finding.hbs",
      "slack/footer.hbs",
      "slack/header.hbs",
      "slack/more.hbs",
    ]);
  });
});
