import type { ScanReport } from "@ecr-scan-reporter/core";
import {
  escalatedReport,
  exploitAwareReport,
  hostileDigest,
  hostileIntelReport,
  intelUnavailableReport,
  overThresholdReport,
  sampleDigest,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import {
  createGitHubRenderer,
  fitDigestBody,
  githubOptionsSchema,
  renderComment,
  renderIssueBody,
  renderIssueTitle,
} from "../src/index.js";
import { CTX, outsideCodeSpans, TOKEN_REF } from "./helpers.js";
import { receiver, reporterFor, useReceivers, writes } from "./receivers.js";

// Threat intel in GitHub issues (issue 16): the KEV count in the title, why an escalated report is due, a known
// exploited section with CISA's required actions, badges in the findings table, the note on a stale or unavailable
// source, a KEV label, and the digest's KEV section.

useReceivers();

const NOW = new Date("2026-11-28T06:15:00Z");

/** Cells of a GFM table row (split at unescaped `|`). */
const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1);

/** The body without its hidden markers: what GitHub renders. */
const visible = (body: string) => body.slice(0, body.indexOf("\n\n<!-- ecr-scan-reporter:"));

describe("the issue of an exploit-aware report", () => {
  const body = visible(renderIssueBody(exploitAwareReport(), { now: NOW }));

  it("is titled with the KEV findings before the counts over the thresholds", () => {
    expect(renderIssueTitle(exploitAwareReport(), NOW)).toBe(
      "[ecr-scan] team-a/api:v1.4.2 — 2 known exploited (KEV), 1 overdue; 2 critical, 2 high",
    );
    expect(renderIssueTitle(exploitAwareReport(), new Date("2027-01-06T00:00:00Z"))).toContain(
      "2 known exploited (KEV), 2 overdue;",
    );
    expect(renderIssueTitle(overThresholdReport(), NOW)).toBe(
      "[ecr-scan] team-a/api:v1.4.2 — 1 critical, 2 high",
    );
  });

  it("lists the KEV findings first with their due dates and CISA's required action", () => {
    expect(body).toContain(
      "**2 known exploited (KEV), 1 overdue**: on CISA's Known Exploited Vulnerabilities catalog, listed first below.",
    );
    expect(body).toContain(
      "#### Known exploited (CISA KEV)\n\n- `CVE-2021-44228` in `log4j-core` (Critical): **overdue since 2021-12-24**, **known ransomware use**. Required action: For all affected software assets",
    );
    expect(body).toContain(
      "- `CVE-2023-44487` in `golang.org/x/net` (Medium): due 2027-01-05. Required action: Apply mitigations per vendor instructions",
    );
    expect(body.indexOf("#### Known exploited")).toBeLessThan(body.indexOf("#### Findings"));
  });

  it("badges each finding in an Exploitation column, urgent ones bold, fix status from Inspector", () => {
    const rows = body.split("\n").filter((line) => /^\| (Critical|High|Medium|Low) \| \[?`/.test(line));
    expect(body).toContain(
      "| Severity | Vulnerability | Package | Installed | Fixed in | CVSS | Exploitation |",
    );
    for (const row of rows) expect(cells(row)).toHaveLength(7);
    expect(cells(rows[0] ?? "")[6]?.trim()).toBe(
      "**KEV, overdue since 2021-12-24** · **known ransomware use** · exploit available · EPSS 94 % (99th percentile)",
    );
    expect(rows[1]).toBe(
      "| Medium | `CVE-2023-44487` | `golang.org/x/net` | `0.15.0` | _no fix_ | 5.3 | KEV, due 2027-01-05 · EPSS 81 % (98th percentile) |",
    );
  });

  it("keeps the table of a report without intel as it was: no Exploitation column, no KEV section", () => {
    const plain = renderIssueBody(overThresholdReport(), { now: NOW });
    expect(plain).not.toContain("Exploitation");
    expect(plain).not.toContain("Known exploited");
    expect(plain).toContain("| Severity | Vulnerability | Package | Installed | Fixed in | CVSS |\n");
  });
});

describe("an escalated report", () => {
  const report = escalatedReport();
  const body = visible(renderIssueBody(report, { now: NOW }));

  it("is titled by its KEV finding, not 'within thresholds'", () => {
    expect(renderIssueTitle(report, NOW)).toBe("[ecr-scan] team-a/api:v1.4.2 — 1 known exploited (KEV)");
    const byEpss = {
      ...report,
      findings: report.findings.map(({ kev: _kev, ...rest }) => rest),
      verdict: { ...report.verdict, escalations: [{ id: "CVE-2023-44487", why: ["epss" as const] }] },
    };
    expect(renderIssueTitle(byEpss, NOW)).toBe("[ecr-scan] team-a/api:v1.4.2 — escalated");
  });

  it("says why it is due, and that EPSS scores were stale", () => {
    expect(body).toContain(
      "### Vulnerabilities in `team-a/api:v1.4.2`\n\n> [!CAUTION]\n> Due although within the thresholds: 1 finding on CISA's KEV catalog — `CVE-2023-44487`\n",
    );
    expect(body).not.toContain("found findings over the thresholds");
    expect(body).toContain(
      "> [!NOTE]\n> Threat intel: EPSS scores from 2026-11-26 (api.first.org answered 503)\n",
    );
  });

  it("comments why it is due on an update or a reopening, never 'over the thresholds'", () => {
    const renderer = createGitHubRenderer();
    const updated = renderComment(renderer, "updated", report, undefined, undefined, NOW);
    expect(updated).toMatch(
      /^\*\*New scan of `team-a\/api:v1\.4\.2`:\*\* Due although within the thresholds: 1 finding on CISA's KEV catalog — `CVE-2023-44487`\n/,
    );
    const reopened = renderComment(renderer, "reopened", report, undefined, undefined, NOW);
    expect(reopened).toMatch(/^\*\*Reopened: `team-a\/api:v1\.4\.2` is due again\.\*\* Due although/);
    expect(`${updated}${reopened}`).not.toContain("over the thresholds");
  });
});

describe("intel that could not be had", () => {
  it("is stated in a note", () => {
    expect(renderIssueBody(intelUnavailableReport(), { now: NOW })).toContain(
      "> [!NOTE]\n> Threat intel: KEV unavailable: `www.cisa.gov` did not answer within 5 s\n",
    );
  });
});

describe("hostile feed text", () => {
  const body = visible(renderIssueBody(hostileIntelReport(), { now: NOW }));

  it("comes out inert: no mention, link, HTML, table break or marker", () => {
    const [action] = body.split("\n").filter((line) => line.includes("Required action:"));
    expect(action).toBe(
      "- `CVE-2021-44228` in `log4j-core` (Critical): **overdue since 2021-12-24**. Required action: \\<!channel\\> \\<script\\>alert(1)\\</script\\> \\[click\\](`https://evil.example`) `@everyone` \\| table \\| Bcc: `x@evil.example`",
    );
    // Outside code spans, every < is escaped: no HTML tag, comment or marker can start in the feed's text.
    const live = outsideCodeSpans(action ?? "");
    expect(live).not.toMatch(/(?<!\\)</);
    expect(live).not.toContain("@");
    expect(live).not.toContain("evil.example");
    expect(live).not.toMatch(/(?<!\\)\|/);
    expect(body.match(/<!--/g) ?? []).toEqual([]);
    expect(body).not.toContain("\r");
    expect(body).not.toContain("<b>");
    expect(body).not.toContain("ransomware");
  });
});

describe("the KEV label, through the receiver's OpenAPI validation", () => {
  it("is added while the image has KEV findings and removed when none is left", async () => {
    const { reporter } = reporterFor({}, { clock: () => NOW });
    await reporter.report(exploitAwareReport(), CTX);
    const issue = receiver.issues[0];
    expect(issue).toMatchObject({
      title: "[ecr-scan] team-a/api:v1.4.2 — 2 known exploited (KEV), 1 overdue; 2 critical, 2 high",
      labels: ["ecr-scan", "severity:critical", "known-exploited"],
    });
    expect(issue?.body).toContain("**KEV, overdue since 2021-12-24**");

    await reporter.report(overThresholdReport(), CTX);
    expect(issue?.labels).toEqual(["ecr-scan", "severity:critical"]);
    expect(issue?.title).toBe("[ecr-scan] team-a/api:v1.4.2 — 1 critical, 2 high");
  });

  it("follows the reporter's clock for what is overdue", async () => {
    const { reporter } = reporterFor({}, { clock: () => new Date("2027-01-06T00:00:00Z") });
    await reporter.report(exploitAwareReport(), CTX);
    expect(receiver.issues[0]?.title).toContain("2 known exploited (KEV), 2 overdue");
  });

  it("takes another name, or none with kevLabel: false", async () => {
    const { reporter } = reporterFor({ kevLabel: false }, { clock: () => NOW });
    await reporter.report(escalatedReport(), CTX);
    expect(receiver.issues[0]?.labels).toEqual(["ecr-scan", "severity:medium"]);
    const named = reporterFor({ kevLabel: "cisa-kev" }, { clock: () => NOW }).reporter;
    await named.report({ ...exploitAwareReport(), tags: ["v2"] }, CTX);
    expect(receiver.issues[1]?.labels).toContain("cisa-kev");
  });

  it("must differ from the labels the issue is found by and the severity labels", () => {
    for (const kevLabel of ["ECR-SCAN", "severity:critical"]) {
      const result = githubOptionsSchema.safeParse({
        owner: "acme",
        repo: "security",
        token: TOKEN_REF,
        kevLabel,
      });
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.path).toEqual(["kevLabel"]);
    }
  });
});

describe("a KEV addition without a rescan", () => {
  it("is news: the unchanged image's issue gets a comment naming the finding now known exploited", async () => {
    const { reporter } = reporterFor({}, { clock: () => NOW });
    await reporter.report(exploitAwareReport(), CTX);
    const same = exploitAwareReport();
    const [log4shell] = same.findings;
    if (!log4shell) throw new Error("the sample has a KEV finding");
    const outcome = await reporter.report(
      {
        ...same,
        changes: {
          firstReport: false,
          previousScanAt: "2026-11-23T06:00:00.000Z",
          newFindings: [],
          fixedFindings: [],
          severityRaised: [],
          nowKnownExploited: [log4shell],
        },
      },
      CTX,
    );
    expect(outcome).toMatchObject({ status: "sent", detail: "updated issue #1: 1 now known exploited" });
    expect(receiver.comments[0]?.body).toContain(
      "- 1 now known exploited since 2026-11-23: `CVE-2021-44228`",
    );
  });
});

describe("a KEV escalation of an image whose issue predates the KEV entries", () => {
  /** The image's last scan, reported before CISA listed its CVEs: the same findings without KEV. */
  const beforeKev = (): ScanReport => {
    const report = exploitAwareReport();
    const findings = report.findings.map(({ kev: _kev, ...finding }) => finding);
    return { ...report, findings, verdict: { ...report.verdict, escalations: [] } };
  };
  /** The escalation of that scan: the same findings, now on KEV, and the ledger's changes naming them. */
  const escalation = (): ScanReport => {
    const report = exploitAwareReport();
    return {
      ...report,
      changes: {
        firstReport: false,
        previousScanAt: "2026-11-23T06:00:00.000Z",
        newFindings: [],
        fixedFindings: [],
        severityRaised: [],
        nowKnownExploited: report.findings.filter((finding) => finding.kev),
      },
    };
  };

  it("updates the one issue: the KEV label and title, and one comment naming what is now known exploited", async () => {
    const { reporter } = reporterFor({}, { clock: () => NOW });
    await reporter.report(beforeKev(), CTX);
    expect(receiver.issues[0]?.labels).toEqual(["ecr-scan", "severity:critical"]);
    const before = writes(receiver).length;

    const outcome = await reporter.report(escalation(), CTX);

    expect(outcome).toMatchObject({ status: "sent", detail: "updated issue #1: 2 now known exploited" });
    expect(receiver.issues).toHaveLength(1);
    const [issue] = receiver.issues;
    expect(issue?.state).toBe("open");
    expect(issue?.labels).toEqual(["ecr-scan", "severity:critical", "known-exploited"]);
    expect(issue?.title).toBe(
      "[ecr-scan] team-a/api:v1.4.2 — 2 known exploited (KEV), 1 overdue; 2 critical, 2 high",
    );
    expect(receiver.comments).toHaveLength(1);
    expect(receiver.comments[0]?.body).toContain(
      "- 2 now known exploited since 2026-11-23: `CVE-2021-44228`, `CVE-2023-44487`",
    );
    // No scan happened: the comment says what did, not "New scan of".
    expect(receiver.comments[0]?.body).toMatch(
      /^\*\*`team-a\/api:v1\.4\.2` is now known exploited\*\* \(CISA's KEV catalog gained CVEs of its last scan; no new scan\)\./,
    );
    expect(receiver.comments[0]?.body).not.toContain("New scan of");
    // One comment and one update of the issue: no second issue, no second comment.
    expect(
      writes(receiver)
        .slice(before)
        .map((q) => q.method),
    ).toEqual(["POST", "PATCH"]);
  });
});

describe("the digest's KEV section", () => {
  it("comes first after the headline: overdue first and bold, with due dates and the images", () => {
    const body = visible(fitDigestBody(sampleDigest()).body);
    const kev = body.indexOf("#### 2 known exploited (KEV), 1 overdue");
    expect(kev).toBeGreaterThan(body.indexOf("open findings**"));
    expect(kev).toBeLessThan(body.indexOf("| Severity | Open |"));
    expect(body).toContain(
      "| Critical | `CVE-2021-44228` | `log4j-core` | **overdue since 2021-12-24** · **known ransomware use** | `team-a/worker:2026.11.28` |",
    );
    expect(body).toContain(
      "| High | `CVE-2023-44487` | `golang.org/x/net` | due 2027-01-05 | `team-a/worker:2026.11.28`, `team-a/api:v1.4.2` |",
    );
  });

  it("says when none is open, and states a source that could not be had", () => {
    const body = fitDigestBody(
      sampleDigest({
        knownExploited: { total: 0, overdue: 0, top: [] },
        intel: { kev: { state: "unavailable", reason: "timeout" }, epss: { state: "off" } },
      }),
    ).body;
    expect(body).toContain(
      "No open finding is on CISA's KEV catalog.\n\n> [!NOTE]\n> Threat intel: KEV unavailable: timeout\n",
    );
    const unread = fitDigestBody(sampleDigest({ knownExploited: undefined, intel: undefined })).body;
    expect(unread).not.toMatch(/KEV|Threat intel/);
  });

  it("keeps a hostile entry inert and shows no due date that is not a date", () => {
    const body = visible(fitDigestBody(hostileDigest()).body);
    const [row] = body.split("\n").filter((line) => line.includes("CVE-2099-0003"));
    expect(cells(row ?? "")).toHaveLength(5);
    expect(row).toContain("| **known ransomware use** |");
    expect(row).not.toContain("overdue since");
    expect(outsideCodeSpans(row ?? "")).not.toMatch(/[<@]/);
  });
});
