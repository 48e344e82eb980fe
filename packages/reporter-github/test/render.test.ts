import {
  cleanReport,
  failedScanReport,
  hostileReport,
  manyFindingsReport,
  overThresholdReport,
  SAMPLE_FINDINGS,
  sampleReport,
  untaggedReport,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import githubReporterDefault, {
  compareFindings,
  FINDING_IDS_MAX_CHARS,
  findingIdsOf,
  findingsMarker,
  findingsStateOf,
  fitIssueBody,
  GITHUB_BODY_MAX_CHARS,
  githubOptionsSchema,
  githubReporter,
  hasImageMarker,
  imageMarker,
  imageReferenceOf,
  parseFindingsMarker,
  planIssueAction,
  renderIssueBody,
  renderIssueTitle,
  safeLinkUrl,
} from "../src/index.js";
import { githubDeps, outsideCodeSpans, TOKEN_REF } from "./helpers.js";

/** The rows of the findings table of a body. */
function findingRows(body: string): string[] {
  return body
    .split("\n")
    .filter(
      (line) =>
        /^\| (Critical|High|Medium|Low|Informational|Undefined) \| /.test(line) &&
        line.split(/(?<!\\)\|/).length === 8,
    );
}

describe("plugin", () => {
  it("is the default and the named export, receives every report, and is named github", () => {
    expect(githubReporterDefault).toBe(githubReporter);
    expect(githubReporter.name).toBe("github");
    expect(githubReporter.receives).toBe("all");
  });

  it("fills the documented defaults", () => {
    const options = githubOptionsSchema.parse({ owner: "acme", repo: "security", token: TOKEN_REF });
    expect(options).toEqual({
      owner: "acme",
      repo: "security",
      token: TOKEN_REF,
      labels: ["ecr-scan"],
      severityLabels: {
        CRITICAL: "severity:critical",
        HIGH: "severity:high",
        MEDIUM: "severity:medium",
        LOW: "severity:low",
      },
      kevLabel: "known-exploited",
      maxFindings: 200,
    });
  });

  it("refuses a bare token, unknown keys, a comma in a label and a non-http base URL, all at once", () => {
    const result = githubOptionsSchema.safeParse({
      owner: "acme",
      repo: "security",
      token: "ghp_plain",
      labels: ["a,b"],
      baseUrl: "ftp://ghe.example.com/api/v3",
      colour: "red",
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join(".")).sort();
    expect(paths).toEqual(["", "baseUrl", "labels.0", "token"]);
  });

  it("accepts GitHub Enterprise Server's base URL and severityLabels: false", () => {
    const options = githubOptionsSchema.parse({
      owner: "acme",
      repo: "security",
      token: TOKEN_REF,
      baseUrl: "https://ghe.example.com/api/v3/",
      severityLabels: false,
    });
    expect(options.baseUrl).toBe("https://ghe.example.com/api/v3");
    expect(options.severityLabels).toBe(false);
  });
});

describe("issue body", () => {
  it("over the thresholds: counts, every finding linked, the markers at the end", async () => {
    const body = renderIssueBody(overThresholdReport());
    expect(findingRows(body)).toHaveLength(5);
    expect(body).toContain("[`CVE-2024-3094`](https://nvd.nist.gov/vuln/detail/CVE-2024-3094)");
    expect(body.trimEnd().split("\n").slice(-2)).toEqual([
      "<!-- ecr-scan-reporter:image=123456789012/team-a/api:v1.4.2 -->",
      expect.stringMatching(/^<!-- ecr-scan-reporter:findings=v1;n=5;sha=[0-9a-f]{32};ids=CVE-2022-40897,/),
    ]);
    await expect(body).toMatchFileSnapshot("./__snapshots__/over-threshold.md");
  });

  it("5,000 findings: within 65,536 characters, and '…and N more' counts exactly what is not listed", async () => {
    const report = manyFindingsReport();
    const fitted = fitIssueBody(report);
    expect(fitted.body.length).toBeLessThanOrEqual(GITHUB_BODY_MAX_CHARS);
    expect(fitted.listedFindings).toBe(200);
    expect(findingRows(fitted.body)).toHaveLength(200);
    const more = Number(/…and (\d+) more findings/.exec(fitted.body)?.[1]);
    expect(more).toBe(5_000 - 200);
    // Too many ids to keep verbatim: the body keeps 24-bit hashes of all 5,000.
    expect(fitted.findingsState?.kind).toBe("hashes");
    expect(parseFindingsMarker(fitted.body)?.count).toBe(5_000);
    await expect(fitted.body).toMatchFileSnapshot("./__snapshots__/many-findings.md");
  });

  it("lists fewer findings than maxFindings when they would not fit, and counts the rest", () => {
    const fitted = fitIssueBody(manyFindingsReport(), { maxFindings: 5_000 });
    expect(fitted.body.length).toBeLessThanOrEqual(GITHUB_BODY_MAX_CHARS);
    expect(fitted.listedFindings).toBeGreaterThan(200);
    expect(fitted.listedFindings).toBeLessThan(5_000);
    expect(findingRows(fitted.body)).toHaveLength(fitted.listedFindings);
    expect(Number(/…and (\d+) more findings/.exec(fitted.body)?.[1])).toBe(5_000 - fitted.listedFindings);
    // The longest list that fits: one more row would not.
    const oneMore = fitIssueBody(manyFindingsReport(), { maxFindings: fitted.listedFindings + 1 });
    expect(oneMore.listedFindings).toBe(fitted.listedFindings);
  });

  it("cuts a replaced template that is too long by itself, and keeps the markers whole", () => {
    const body = renderIssueBody(overThresholdReport(), {
      templates: { "github/issue.hbs": "x".repeat(70_000) },
    });
    expect(body.length).toBeLessThanOrEqual(GITHUB_BODY_MAX_CHARS);
    expect(body).toContain("…(cut to fit GitHub's limit on an issue body)");
    expect(hasImageMarker(body, imageMarker(imageReferenceOf(overThresholdReport())))).toBe(true);
  });

  it("a failed scan: the status description, no findings table, no findings marker", async () => {
    const body = renderIssueBody(failedScanReport());
    expect(body).toContain("### Scan failed: `team-a/api:scratch-build`");
    expect(body).toContain(
      "UnsupportedImageError: The operating system and/or package manager are not supported.",
    );
    expect(findingRows(body)).toHaveLength(0);
    expect(parseFindingsMarker(body)).toBeUndefined();
    await expect(body).toMatchFileSnapshot("./__snapshots__/failed-scan.md");
  });

  it("an untagged image is named and marked by its digest", async () => {
    const body = renderIssueBody(untaggedReport());
    expect(body).toContain("### Vulnerabilities in `team-a/api@sha256:0a1b2c3d4e5f`");
    expect(body).not.toContain("| Tags |");
    expect(body).toContain(
      "<!-- ecr-scan-reporter:image=123456789012/team-a/api@sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9 -->",
    );
    await expect(body).toMatchFileSnapshot("./__snapshots__/untagged.md");
  });

  it("hostile text stays inert: no HTML, no links, no mentions, no issue references, no line breaks", async () => {
    const body = renderIssueBody(hostileReport());
    const rendered = body.slice(0, body.indexOf("<!-- ecr-scan-reporter:"));
    // Identifiers are code spans, shown verbatim and never parsed: what is live is everything outside them.
    const live = outsideCodeSpans(rendered);
    expect(live).not.toMatch(/<(script|img|a |b>|td|\/td|!--|!channel)/i);
    expect(rendered).not.toContain("@everyone");
    expect(rendered).not.toContain("@octocat");
    expect(rendered).not.toMatch(/(^|[^&])#1\b/);
    expect(rendered).not.toContain("](https://evil.example");
    expect(live).not.toContain("javascript:");
    expect(rendered).not.toContain("\r");
    expect(rendered).not.toContain("\u202E");
    // The CR/LF of the tag and of the package version are flattened: no line starts with an injected header.
    expect(rendered).not.toMatch(/^(X-Injected|Bcc|Subject):/m);
    // The only link of the second finding is its (percent-encoded) NVD URL; the javascript: one is not linked.
    expect(rendered).toContain(
      "[`CVE-2099-0002`](https://nvd.nist.gov/vuln/detail/CVE-2099-0002%22%3E%3Cscript%3E)",
    );
    expect(rendered).toContain("| Critical | `CVE-2099-0001 <!channel>` |");
    // Every table row keeps its six cells: `|` in a package name is escaped.
    for (const row of findingRows(body)) expect(row.split(/(?<!\\)\|/)).toHaveLength(8);
    // The tag's CR/LF cannot break out of the hidden marker either.
    expect(body).toContain(
      "<!-- ecr-scan-reporter:image=123456789012/team-a/api:v1%0D%0AX-Injected%3A%20yes -->",
    );
    await expect(body).toMatchFileSnapshot("./__snapshots__/hostile.md");
  });
});

describe("template overrides", () => {
  it("a broken override fails when the reporter is created, naming the template", () => {
    const options = githubOptionsSchema.parse({
      owner: "acme",
      repo: "security",
      token: TOKEN_REF,
      templates: { "github/comment.hbs": "{{#if event}}unclosed" },
    });
    expect(() => githubReporter.create(options, githubDeps().deps)).toThrow(
      /^reporter github: the template github\/comment\.hbs \(or a partial it uses\) does not render: Parse error/,
    );
  });

  it("a folder override of a partial replaces the shipped one", () => {
    const options = githubOptionsSchema.parse({ owner: "acme", repo: "security", token: TOKEN_REF });
    const files = githubReporter.preview?.(overThresholdReport(), options, {
      templates: {
        override: (name) =>
          name === "github/partials/findings.hbs" ? "FINDINGS: {{totalFindings}}" : undefined,
      },
      clock: () => new Date(),
    });
    expect(files?.[1]?.content).toContain("FINDINGS: 5");
    expect(files?.[1]?.content).not.toContain("| Severity | Vulnerability |");
  });
});

describe("issue title", () => {
  it("names the image and the counts over the thresholds", () => {
    expect(renderIssueTitle(overThresholdReport())).toBe("[ecr-scan] team-a/api:v1.4.2 — 1 critical, 2 high");
    expect(renderIssueTitle(failedScanReport())).toBe("[ecr-scan] team-a/api:scratch-build — scan failed");
    expect(renderIssueTitle(untaggedReport())).toBe("[ecr-scan] team-a/api@sha256:0a1b2c3d4e5f — 2 high");
    expect(renderIssueTitle(cleanReport())).toBe("[ecr-scan] team-a/api:v1.4.3 — within thresholds");
  });

  it("is one line of at most 256 characters, whatever the tag", () => {
    expect(renderIssueTitle(hostileReport())).toBe(
      "[ecr-scan] team-a/api:v1 X-Injected: yes — 1 critical, 1 high",
    );
    const long = renderIssueTitle(
      sampleReport({ tags: ["t".repeat(128)], repository: `r/${"x".repeat(250)}` }),
    );
    expect(long.length).toBeLessThanOrEqual(256);
    expect(long.endsWith(" — 1 critical, 2 high")).toBe(true);
  });
});

describe("markers", () => {
  it("one marker per image: tag and digest never meet, a tag is never a prefix of another", () => {
    const tagged = imageMarker(imageReferenceOf(sampleReport({ tags: ["v1"] })));
    const longer = imageMarker(imageReferenceOf(sampleReport({ tags: ["v1.2"] })));
    const byDigest = imageMarker(imageReferenceOf(sampleReport({ tags: [] })));
    expect(new Set([tagged, longer, byDigest]).size).toBe(3);
    expect(hasImageMarker(`text\n${longer}\n`, tagged)).toBe(false);
    expect(hasImageMarker(`text\n${tagged}\n`, tagged)).toBe(true);
    // Another registry, same repository and tag: another image.
    expect(
      imageMarker(imageReferenceOf(sampleReport({ tags: ["v1"], registryId: "210987654321" }))),
    ).not.toBe(tagged);
  });

  it("encodes whatever could end the comment or split the reference", () => {
    const marker = imageMarker({ registryId: "1", repository: "a/b", kind: "tag", value: "x-->y:z@w/%" });
    expect(marker).toBe("<!-- ecr-scan-reporter:image=1/a/b:x--%3Ey%3Az%40w%2F%25 -->");
    expect(marker.slice(4, -4)).not.toContain("-->");
  });

  it("keeps ids verbatim while they fit, then 24-bit hashes, then only a digest; all read back", () => {
    const few = findingsStateOf(["CVE-1", "CVE-2 <x>"]);
    expect(few.kind).toBe("ids");
    expect(parseFindingsMarker(findingsMarker(few))).toEqual(few);

    const manyIds = Array.from({ length: 2_000 }, (_, i) => `CVE-2024-${10_000 + i}`);
    const hashed = findingsStateOf(manyIds);
    expect(hashed.kind).toBe("hashes");
    expect(findingsMarker(hashed).length).toBeLessThan(2_000 * 4 + 200);
    expect(parseFindingsMarker(findingsMarker(hashed))).toEqual(hashed);

    const huge = findingsStateOf(Array.from({ length: 7_000 }, (_, i) => `CVE-2024-${10_000 + i}`));
    expect(huge.kind).toBe("digest");
    expect(parseFindingsMarker(findingsMarker(huge))).toEqual(huge);
    expect(FINDING_IDS_MAX_CHARS).toBeLessThan(GITHUB_BODY_MAX_CHARS / 4);
  });

  it("counts new, fixed and unchanged ids exactly (verbatim) and new/unchanged exactly (hashes)", () => {
    const before = ["CVE-A", "CVE-B", "CVE-C"];
    const after = ["CVE-B", "CVE-C", "CVE-D"];
    expect(compareFindings(findingsStateOf(before), after)).toMatchObject({
      known: true,
      changed: true,
      newCount: 1,
      fixedCount: 1,
      unchangedCount: 2,
      newIds: ["CVE-D"],
      fixedIds: ["CVE-A"],
    });
    const bigBefore = Array.from({ length: 3_000 }, (_, i) => `CVE-2024-${10_000 + i}`);
    const bigAfter = [...bigBefore.slice(10), "CVE-2025-00001", "CVE-2025-00002"];
    const change = compareFindings(findingsStateOf(bigBefore), bigAfter);
    expect(change).toMatchObject({
      known: true,
      changed: true,
      newCount: 2,
      fixedCount: 10,
      unchangedCount: 2_990,
    });
    expect(change.newIds).toEqual(["CVE-2025-00001", "CVE-2025-00002"]);
    expect(compareFindings(findingsStateOf(before), [...before])).toMatchObject({
      changed: false,
      newCount: 0,
    });
    expect(compareFindings(undefined, after)).toEqual({ known: false, changed: true, currentCount: 3 });
  });

  it("treats a damaged findings marker as unknown rather than failing", () => {
    expect(
      parseFindingsMarker(`<!-- ecr-scan-reporter:findings=v1;n=1;sha=${"0".repeat(32)};ids=CVE%E0%A4 -->`),
    ).toBeUndefined();
    expect(
      parseFindingsMarker(`<!-- ecr-scan-reporter:findings=v1;n=2;sha=${"0".repeat(32)};ids=CVE-1 -->`),
    ).toBeUndefined();
    expect(parseFindingsMarker("no marker")).toBeUndefined();
  });

  it("compares distinct ids, whatever their case or how often they appear", () => {
    const report = sampleReport({
      findings: [SAMPLE_FINDINGS[0], { ...SAMPLE_FINDINGS[0], id: " cve-2024-3094 " }] as never,
    });
    expect(findingIdsOf(report)).toEqual(["CVE-2024-3094"]);
  });
});

describe("lifecycle decisions", () => {
  const open = { number: 7, state: "open" as const, body: "" };
  const closed = { ...open, state: "closed" as const };
  const notNotified = { ...failedScanReport(), verdict: { ...failedScanReport().verdict, due: false } };

  it.each([
    { name: "due, no issue", report: overThresholdReport(), existing: undefined, action: "create" },
    { name: "due, open", report: overThresholdReport(), existing: open, action: "update" },
    { name: "due, closed (a regression)", report: overThresholdReport(), existing: closed, action: "reopen" },
    { name: "within thresholds, open", report: cleanReport(), existing: open, action: "close" },
    { name: "within thresholds, closed", report: cleanReport(), existing: closed, action: "skip" },
    { name: "within thresholds, no issue", report: cleanReport(), existing: undefined, action: "skip" },
    { name: "scan failed, no issue", report: failedScanReport(), existing: undefined, action: "create" },
    { name: "scan failed, open", report: failedScanReport(), existing: open, action: "comment-failure" },
    { name: "scan failed, closed", report: failedScanReport(), existing: closed, action: "comment-failure" },
    { name: "scan failed, not notified", report: notNotified, existing: open, action: "skip" },
  ])("$name → $action", ({ report, existing, action }) => {
    expect(planIssueAction(report, existing).action).toBe(action);
  });
});

describe("links", () => {
  it.each([
    {
      raw: "https://nvd.nist.gov/vuln/detail/CVE-2024-3094",
      expected: "https://nvd.nist.gov/vuln/detail/CVE-2024-3094",
    },
    { raw: "https://example.com/a (b)/c d", expected: "https://example.com/a%20%28b%29/c%20d" },
    { raw: "https://example.com/?q=a|b[c]", expected: "https://example.com/?q=a%7Cb%5Bc%5D" },
    { raw: "javascript:alert(1)", expected: undefined },
    { raw: "data:text/html,<script>", expected: undefined },
    { raw: "https://user:pass@example.com/", expected: undefined },
    { raw: "not a url", expected: undefined },
    { raw: `https://example.com/${"a".repeat(2_100)}`, expected: undefined },
  ])("$raw → $expected", ({ raw, expected }) => {
    expect(safeLinkUrl(raw)).toBe(expected);
  });
});
