import type { ScanReport } from "@ecr-scan-reporter/core/reporter";
import {
  checkReporterConformance,
  hostileReport,
  manyFindingsReport,
  overThresholdReport,
  SENTINEL_SECRET,
  sampleReport,
  untaggedReport,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import teamsReporter, { buildTeamsMessage, escapeCardText } from "../src/index.js";

const OPTIONS = {
  webhookUrl: { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:teams-AbCdEf" },
};

describe("@acme/ecr-reporter-teams", () => {
  it("passes ecr-scan-reporter's conformance check", async () => {
    const result = await checkReporterConformance(teamsReporter, {
      validOptions: OPTIONS,
      invalidOptions: [
        { options: {}, why: "no webhook" },
        { options: { webhookUrl: SENTINEL_SECRET }, why: "a bare URL instead of a secret reference" },
        { options: { ...OPTIONS, maxFindings: 500 }, why: "too many findings for a card" },
      ],
    });
    expect(result.problems).toEqual([]);
    expect(result.outcomes.overThreshold).toEqual({ status: "sent", detail: "HTTP 200" });
    expect(result.outcomes.clean).toMatchObject({ status: "skipped" });
  });

  it("builds an Adaptive Card with the counts, the top findings and a link to the console", () => {
    const card = buildTeamsMessage(overThresholdReport(), { title: "ECR image scan", maxFindings: 10 });
    expect(card).toMatchSnapshot();
    const content = card.attachments[0]?.content;
    expect(content?.type).toBe("AdaptiveCard");
    expect(content?.actions[0]?.url).toBe(overThresholdReport().consoleUrl);
  });

  it("says a fix is unknown after a basic scan, and that there is none yet after an enhanced one", () => {
    const lines = (report: ScanReport) =>
      buildTeamsMessage(report, { title: "t", maxFindings: 10 }).attachments[0]?.content.body.map((b) =>
        String(b.text ?? ""),
      ) ?? [];
    expect(lines(overThresholdReport())).toContain(
      "**LOW** [CVE\\-2023\\-29383](https://nvd.nist.gov/vuln/detail/CVE-2023-29383) — passwd 1:4\\.13\\+dfsg1\\-1 (fix unknown) · CVSS 3.3",
    );
    expect(lines(sampleReport({ scanType: "ENHANCED" })).at(-1)).toMatch(
      / \(no fixed version yet\) · CVSS 3\.3$/,
    );
  });

  it("names an untagged image by a short digest", () => {
    const card = buildTeamsMessage(untaggedReport(), { title: "t", maxFindings: 10 });
    expect(card.attachments[0]?.content.body[1]?.text).toBe(
      "team\\-a/api@sha256:0a1b2c3d4e5f — over the thresholds",
    );
  });

  it("keeps a card of 5,000 findings short and says how many were left out", () => {
    const card = buildTeamsMessage(manyFindingsReport(5_000), { title: "t", maxFindings: 10 });
    const texts = card.attachments[0]?.content.body.map((b) => String(b.text ?? "")) ?? [];
    expect(texts.filter((t) => /^\*\*[A-Z]+\*\* /.test(t))).toHaveLength(10);
    expect(texts.at(-1)).toBe("…and 4990 more findings");
    expect(JSON.stringify(card).length).toBeLessThan(28_000);
  });

  it("shows hostile strings as text: no injected link, no script URL", () => {
    const card = buildTeamsMessage(hostileReport(), { title: "t", maxFindings: 10 });
    const texts = card.attachments[0]?.content.body.map((b) => String(b.text ?? "")).join("\n") ?? "";
    // Every link in the card is one the reporter made: an unescaped "](" only ever opens an https URL.
    const links = [...texts.matchAll(/(?<!\\)\]\((?<url>[^)]*)\)/g)].map((m) => m.groups?.url ?? "");
    expect(links.length).toBeGreaterThan(0);
    expect(links.every((url) => url.startsWith("https://nvd.nist.gov/"))).toBe(true);
    expect(texts).toContain("\\<https://evil\\.example\\|trusted\\-package\\>");
    expect(escapeCardText("[click](https://evil.example) *x*")).toBe(
      "\\[click\\]\\(https://evil\\.example\\) \\*x\\*",
    );
    expect(escapeCardText("line\r\nbreak")).toBe("line break");
  });

  it("says when the report may be incomplete", () => {
    const report = { ...overThresholdReport(), completeness: { expectedFindings: 9, findingsRead: 5 } };
    const texts = JSON.stringify(buildTeamsMessage(report, { title: "t", maxFindings: 5 }));
    expect(texts).toContain("This report may be incomplete: the scan counted 9 findings, 5 could be read");
    expect(
      JSON.stringify(buildTeamsMessage(overThresholdReport(), { title: "t", maxFindings: 5 })),
    ).not.toContain("may be incomplete");
  });
});
