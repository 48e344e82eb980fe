import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ExposedImage, Severity } from "@ecr-scan-reporter/core";
import { SEVERITY_COLORS } from "@ecr-scan-reporter/reporter-email";
import { afterEach, describe, expect, it } from "vitest";
import { type PassSummary, type ReportLine, summariseReports } from "../src/demo/passes.js";
import { readSentFiles, type SentFile, sentFilesOf, sentLinks } from "../src/demo/sent-files.js";
import { compareReportRows, renderSummaryPage, type SummaryPageData } from "../src/demo/summary-page.js";
import { type CveExposure, compareCveUrgency, cveExposureOf, mostUrgentCves } from "../src/demo/top-cves.js";

// The demo page (summary-page.ts) answers a security engineer's first questions: what was sent for each image (links
// to the files the demo wrote), which CVEs to fix first, the worst images first, in the e-mails' colours.

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;
const C = `sha256:${"c".repeat(64)}`;

const line = (over: Partial<ReportLine>): ReportLine => ({
  repository: "team-a/api",
  digest: A,
  tags: ["v1"],
  status: "COMPLETE",
  counts: { CRITICAL: 1 },
  verdict: { due: true, highestSeverity: "CRITICAL" },
  outcomes: {},
  ...over,
});

const sent = (...reporters: string[]) => Object.fromEntries(reporters.map((r) => [r, "sent"]));

function passOf(pass: number, lines: ReportLine[]): PassSummary {
  return {
    pass,
    at: `2026-12-0${pass}T10:00:00.000Z`,
    newlyPublishedCves: [],
    decisions: {},
    expectedDecisionsMatched: true,
    scansStarted: lines.length,
    ledgerMissedScans: 0,
    awsCalls: {},
    ...summariseReports(lines, () => []),
  };
}

const page = (over: Partial<SummaryPageData>) =>
  renderSummaryPage({ wallTimeMs: 1000, secondPassAfterDays: 8, feedUpdate: [], passes: [], ...over });

/** The HTML of the rows of one pass's report table, each as [image, its HTML]. */
function reportRows(html: string, pass: number): [string, string][] {
  const section = html.split("<h2>Reports, ").find((s) => s.startsWith(`pass ${pass}`)) ?? "";
  const table = section.slice(0, section.indexOf("</table>"));
  return [...table.matchAll(/<tr><td>([^<]*)<\/td>(.*?)<\/tr>/g)].map((m) => [m[1] ?? "", m[2] ?? ""]);
}

const hrefsOf = (html: string) => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1] ?? "");

let dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** An output folder as the demo writes it: `files` path → content. */
function outputFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "demo-page-"));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

describe("the files of what was sent", () => {
  it("reads each message's image from its content, an e-mail once with its .eml, and leaves the digest folder out", () => {
    const files = sentFilesOf(
      new Map([
        ["email/pass1-001.html", `<p>Digest ${A}</p>`],
        ["email/pass1-001.txt", `Digest: ${A}`],
        ["email/pass1-001.eml", ""],
        ["email/pass1-002.txt", `Digest: ${B}`],
        ["sns/pass1-001-team-a_api.json", `{"message": "Digest: ${B}"}`],
        ["github/pass2-issue-7.md", `| Digest | \`${A}\` |`],
        ["slack/pass1-001.json", `{"text": "no digest here"}`],
        ["digest/email/001.html", `<p>${A}</p>`],
        ["metrics/pass1-emf.jsonl", `{"digest": "${A}"}`],
      ]),
    );
    expect(files).toEqual<SentFile[]>([
      {
        target: "email",
        pass: 1,
        order: 1,
        path: "email/pass1-001.html",
        eml: "email/pass1-001.eml",
        digest: A,
      },
      // Text only: its text body, and no .eml beside it.
      { target: "email", pass: 1, order: 2, path: "email/pass1-002.txt", digest: B },
      { target: "sns", pass: 1, order: 1, path: "sns/pass1-001-team-a_api.json", digest: B },
      { target: "github", pass: 2, order: 7, path: "github/pass2-issue-7.md", digest: A },
    ]);
  });

  it("links each row to its own image's messages, in the order the target received them", () => {
    const pass = passOf(1, [
      line({ digest: A, tags: ["a"], outcomes: sent("sns", "email", "metrics") }),
      line({ digest: B, tags: ["b"], outcomes: sent("sns", "email") }),
    ]);
    const files: SentFile[] = [
      // SNS received B's message first, e-mail A's.
      { target: "sns", pass: 1, order: 1, path: "sns/pass1-001-b.json", digest: B },
      { target: "sns", pass: 1, order: 2, path: "sns/pass1-002-a.json", digest: A },
      {
        target: "email",
        pass: 1,
        order: 1,
        path: "email/pass1-001.html",
        eml: "email/pass1-001.eml",
        digest: A,
      },
      { target: "email", pass: 1, order: 2, path: "email/pass1-002.html", digest: B },
    ];
    const links = sentLinks(pass, files);
    const [a, b] = pass.imageReports;
    expect(links.get(a as (typeof pass.imageReports)[0])).toEqual([
      { reporter: "sns", href: "sns/pass1-002-a.json" },
      { reporter: "email", href: "email/pass1-001.html", eml: "email/pass1-001.eml" },
    ]);
    expect(links.get(b as (typeof pass.imageReports)[0])).toEqual([
      { reporter: "sns", href: "sns/pass1-001-b.json" },
      { reporter: "email", href: "email/pass1-002.html" },
    ]);
  });

  it("gives two reports of one image in a pass (a rescan, a KEV requeue) one message each, in order", () => {
    const pass = passOf(2, [
      line({ digest: A, counts: { CRITICAL: 3 }, outcomes: sent("slack") }),
      line({ digest: A, counts: { CRITICAL: 2 }, outcomes: sent("slack") }),
    ]);
    const files: SentFile[] = [
      { target: "slack", pass: 2, order: 4, path: "slack/pass2-004.json", digest: A },
      { target: "slack", pass: 2, order: 9, path: "slack/pass2-009.json", digest: A },
      // Another pass's message of the same image is not this pass's.
      { target: "slack", pass: 1, order: 1, path: "slack/pass1-001.json", digest: A },
    ];
    const links = sentLinks(pass, files);
    expect(pass.imageReports.map((r) => links.get(r)?.map((l) => l.href))).toEqual([
      ["slack/pass2-004.json"],
      ["slack/pass2-009.json"],
    ]);
  });

  it("links a second entry of a built-in reporter (slack#2) to that reporter's folder, not to the webhooks'", () => {
    const pass = passOf(1, [line({ digest: A, outcomes: sent("slack", "slack#2") })]);
    const files: SentFile[] = [
      { target: "slack", pass: 1, order: 1, path: "slack/pass1-001.json", digest: A },
      { target: "slack", pass: 1, order: 2, path: "slack/pass1-002.json", digest: A },
      { target: "webhooks", pass: 1, order: 1, path: "webhooks/pass1-001.json", digest: A },
    ];
    const [report] = pass.imageReports;
    expect(sentLinks(pass, files).get(report as (typeof pass.imageReports)[0])).toEqual([
      { reporter: "slack", href: "slack/pass1-001.json" },
      { reporter: "slack#2", href: "slack/pass1-002.json" },
    ]);
  });

  it("links a GitHub issue this pass left unchanged to the issue as an earlier pass wrote it, and nothing absent", () => {
    const pass = passOf(2, [
      line({ digest: A, outcomes: sent("github", "slack", "metrics") }),
      line({ digest: B, outcomes: sent("github") }),
      line({ digest: C, outcomes: sent("github") }),
    ]);
    const files: SentFile[] = [
      { target: "github", pass: 1, order: 1, path: "github/pass1-issue-1.md", digest: A },
      { target: "github", pass: 1, order: 2, path: "github/pass1-issue-2.md", digest: B },
      { target: "github", pass: 2, order: 2, path: "github/pass2-issue-2.md", digest: B },
      // A later pass's issue is not what this pass sent.
      { target: "github", pass: 3, order: 3, path: "github/pass3-issue-3.md", digest: C },
    ];
    const links = sentLinks(pass, files);
    expect(pass.imageReports.map((r) => links.get(r))).toEqual([
      [{ reporter: "github", href: "github/pass1-issue-1.md", sincePass: 1 }],
      [{ reporter: "github", href: "github/pass2-issue-2.md" }],
      [],
    ]);
  });
});

describe("the demo page", () => {
  it("links every report row to files that exist in the output folder, and no row to another image's", () => {
    const out = outputFolder({
      "email/pass1-001.html": `<p>${A}</p>`,
      "email/pass1-001.txt": `${A}`,
      "email/pass1-001.eml": "Subject: a",
      "email/pass1-002.txt": `${B}`,
      "email/pass1-002.eml": "Subject: b",
      "sns/pass1-001-team-b_web.json": JSON.stringify({ message: `Digest: ${B}` }),
      "sns/pass1-002-team-a_api.json": JSON.stringify({ message: `Digest: ${A}` }),
      "slack/pass1-001.json": JSON.stringify({ text: `<https://console/${A}|team-a/api:a>` }),
      "github/pass1-issue-1.md": `Digest \`${A}\``,
      "github/pass1-issue-2.md": `Digest \`${B}\``,
      "github/pass2-issue-1.md": `Digest \`${A}\``,
      "sns/pass2-001-team-b_web.json": JSON.stringify({ message: `Digest: ${B}` }),
      "digest/email/001.html": `<p>${A}</p>`,
      "metrics/pass1-emf.jsonl": "{}",
    });
    const passes = [
      passOf(1, [
        line({ digest: A, tags: ["a"], outcomes: sent("sns", "slack", "github", "email", "metrics") }),
        // Sent to Slack, yet no Slack file names it: "slack" without a link.
        line({
          digest: B,
          repository: "team-b/web",
          tags: ["b"],
          outcomes: sent("sns", "slack", "github", "email"),
        }),
      ]),
      passOf(2, [
        line({ digest: A, tags: ["a"], outcomes: sent("github", "metrics") }),
        line({ digest: B, repository: "team-b/web", tags: ["b"], outcomes: sent("sns", "github") }),
      ]),
    ];
    const html = page({ passes, sentFiles: readSentFiles(out) });

    const local = hrefsOf(html).filter((h) => !h.startsWith("https://"));
    expect(local.length).toBeGreaterThan(0);
    for (const href of local) expect(existsSync(join(out, decodeURIComponent(href))), href).toBe(true);

    const first = Object.fromEntries(reportRows(html, 1).map(([image, row]) => [image, hrefsOf(row)]));
    expect(first["team-a/api:a"]).toEqual([
      "sns/pass1-002-team-a_api.json",
      "slack/pass1-001.json",
      "github/pass1-issue-1.md",
      "email/pass1-001.html",
      "email/pass1-001.eml",
    ]);
    expect(first["team-b/web:b"]).toEqual([
      "sns/pass1-001-team-b_web.json",
      "github/pass1-issue-2.md",
      "email/pass1-002.txt",
      "email/pass1-002.eml",
    ]);
    const second = Object.fromEntries(reportRows(html, 2));
    expect(hrefsOf(second["team-a/api:a"] ?? "")).toEqual(["github/pass2-issue-1.md"]);
    // B's issue was not rewritten in pass 2: the row links to it as pass 1 wrote it, and says so.
    expect(hrefsOf(second["team-b/web:b"] ?? "")).toEqual([
      "sns/pass2-001-team-b_web.json",
      "github/pass1-issue-2.md",
    ]);
    expect(second["team-b/web:b"]).toContain("(as of pass 1)");
    expect(second["team-a/api:a"]).toMatch(/metrics<\/td>|· metrics/);
  });

  it("orders each pass's rows by severity, then by the counts from CRITICAL down, a failed scan before a clean image", () => {
    const pass = passOf(1, [
      line({ tags: ["clean"], counts: {}, verdict: { due: false } }),
      line({ tags: ["high"], counts: { HIGH: 9, LOW: 1 }, verdict: { due: true, highestSeverity: "HIGH" } }),
      line({ tags: ["failed"], status: "FAILED", counts: {}, verdict: { due: true } }),
      line({ tags: ["crit-1-high-5"], counts: { CRITICAL: 1, HIGH: 5 } }),
      line({ tags: ["crit-2"], counts: { CRITICAL: 2 } }),
      line({ tags: ["crit-1-high-7"], counts: { CRITICAL: 1, HIGH: 7 } }),
      line({ tags: ["medium"], counts: { MEDIUM: 4 }, verdict: { due: false, highestSeverity: "MEDIUM" } }),
    ]);
    const expected = [
      "team-a/api:crit-2",
      "team-a/api:crit-1-high-7",
      "team-a/api:crit-1-high-5",
      "team-a/api:high",
      "team-a/api:medium",
      "team-a/api:failed",
      "team-a/api:clean",
    ];
    expect([...pass.imageReports].sort(compareReportRows).map((r) => r.image)).toEqual(expected);
    expect(reportRows(page({ passes: [pass] }), 1).map(([image]) => image)).toEqual(expected);
  });

  it("shows severities in the e-mails' colours, taken from the e-mail reporter", () => {
    const pass = passOf(1, [
      line({ tags: ["crit"], counts: { CRITICAL: 2, LOW: 1 } }),
      line({ tags: ["high"], counts: { HIGH: 1 }, verdict: { due: true, highestSeverity: "HIGH" } }),
    ]);
    const html = page({ passes: [pass] });
    const [crit, high] = reportRows(html, 1).map(([, row]) => row);
    expect(crit).toContain(
      `<span class="severity" style="background-color:${SEVERITY_COLORS.CRITICAL}">CRITICAL</span>`,
    );
    expect(crit).toContain(`<strong style="color:${SEVERITY_COLORS.CRITICAL}">2</strong>`);
    expect(crit).toContain(`<strong style="color:${SEVERITY_COLORS.LOW}">1</strong>`);
    expect(high).toContain(`style="background-color:${SEVERITY_COLORS.HIGH}">HIGH</span>`);
    // The chart's bars too: every colour a severity is shown in is the e-mails'.
    expect(html).toContain(`fill="${SEVERITY_COLORS.MEDIUM}"`);
    const palette = new Set(Object.values(SEVERITY_COLORS));
    const shown = [
      ...html.matchAll(
        /class="severity" style="background-color:(#\w+)"|<strong style="color:(#\w+)"|<rect [^>]*fill="(#\w+)"/g,
      ),
    ].map((m) => m[1] ?? m[2] ?? m[3]);
    expect(shown.length).toBeGreaterThan(6);
    for (const color of shown) expect(palette).toContain(color);
  });

  it("escapes hostile text from images and feeds, in text and in links", () => {
    const hostile = `<img src=x onerror=alert(1)>`;
    const out = outputFolder({ 'sns/pass1-001-x"><script>alert(1)<.json': `Digest: ${A}` });
    const html = page({
      passes: [passOf(1, [line({ tags: [hostile], outcomes: sent("sns", `hook${hostile}`) })])],
      sentFiles: readSentFiles(out),
      topCves: {
        cves: [
          { id: `CVE-2024-1${hostile}`, severity: "CRITICAL", images: 1, inUse: 1, fixedIn: `1.0${hostile}` },
        ],
        found: 1,
        scanType: "ENHANCED",
        at: "2026-12-09T10:00:00.000Z",
      },
    });
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<script>");
    expect(html).toContain("team-a/api:&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("CVE-2024-1&lt;img src=x onerror=alert(1)&gt;");
    // The file's name, URL-encoded in its link, so the attribute cannot be closed.
    expect(html).toContain('href="sns/pass1-001-x%22%3E%3Cscript%3Ealert(1)%3C.json"');
    // Not a CVE id: no link to NVD built from it.
    expect(html).not.toContain("nvd.nist.gov/vuln/detail/CVE-2024-1&lt;");
  });
});

const exposed = (over: Partial<ExposedImage>): ExposedImage => ({
  registryId: "123456789012",
  repository: "team-a/api",
  digest: A,
  tags: ["v1"],
  tagsAtScan: ["v1"],
  inUse: true,
  gone: false,
  severity: "HIGH",
  findingsAt: "2026-12-09T10:00:00.000Z",
  vulnerabilities: [],
  ...over,
});

const cve = (
  id: string,
  severity: Severity,
  images: number,
  over: Partial<CveExposure> = {},
): CveExposure => ({
  id,
  severity,
  images,
  inUse: images,
  ...over,
});

const KEV = { dateAdded: "2021-12-10", dueDate: "2021-12-24", knownRansomwareCampaignUse: "Known" };

describe("the most urgent CVEs", () => {
  it("counts each image once, takes the worst severity and the highest fix of an exposure", () => {
    const found = cveExposureOf(
      "CVE-2023-6246",
      [
        exposed({ package: "libc6", severity: "HIGH", fixedIn: "2.36-9+deb12u4" }),
        // The same image, another package with it.
        exposed({ package: "libc-bin", severity: "CRITICAL", fixedIn: "2.36-9+deb12u10" }),
        exposed({ digest: B, inUse: false, severity: "MEDIUM" }),
      ],
      { kev: KEV },
    );
    expect(found).toEqual({
      id: "CVE-2023-6246",
      severity: "CRITICAL",
      images: 2,
      inUse: 1,
      fixedIn: "2.36-9+deb12u10",
      kev: KEV,
    });
    expect(cveExposureOf("CVE-2023-6246", [], {})).toBeUndefined();
  });

  it("puts known exploited first, then severity, then images affected, then EPSS, and keeps the top ones", () => {
    const epss = (score: number) => ({ score, percentile: 0.5, date: "" });
    const cves = [
      cve("CVE-2024-0001", "CRITICAL", 3),
      cve("CVE-2024-0002", "HIGH", 1, { kev: KEV }),
      cve("CVE-2024-0003", "CRITICAL", 9),
      cve("CVE-2024-0004", "CRITICAL", 3, { epss: epss(0.4) }),
      cve("CVE-2024-0005", "CRITICAL", 1, { kev: KEV }),
      cve("CVE-2024-0006", "MEDIUM", 20),
      cve("CVE-2024-0007", "CRITICAL", 3, { inUse: 1, epss: epss(0.9) }),
    ];
    const order = [
      "CVE-2024-0005",
      "CVE-2024-0002",
      "CVE-2024-0003",
      "CVE-2024-0004",
      "CVE-2024-0001",
      "CVE-2024-0007",
      "CVE-2024-0006",
    ];
    expect([...cves].sort(compareCveUrgency).map((c) => c.id)).toEqual(order);
    expect(mostUrgentCves(cves, 3).map((c) => c.id)).toEqual(order.slice(0, 3));

    const html = page({
      topCves: { cves: mostUrgentCves(cves), found: 12, scanType: "BASIC", at: "2026-12-09T10:00:00.000Z" },
    });
    const table = html.slice(html.indexOf('<table class="cves">'));
    const shown = [
      ...table.slice(0, table.indexOf("</table>")).matchAll(/<tr><td>(?:<a [^>]*>)?(CVE-[\d-]+)/g),
    ];
    expect(shown.map((m) => m[1])).toEqual(order);
    expect(html).toContain("7 of the 12 CVEs");
    // Basic scanning gives no fixed-in versions: unknown, not "no fix"; the KEV due date as the e-mails word it.
    expect(table).toContain("<td>fix unknown</td>");
    expect(table).toContain("KEV, overdue since 2021-12-24");
    expect(table).toContain("<td>90 % (50th percentile)</td>");
    expect(table).toContain("<td>3 (1 in use)</td>");
  });
});
