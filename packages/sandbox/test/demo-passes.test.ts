import { describe, expect, it } from "vitest";
import { callsSince, type ReportLine, summariseReports } from "../src/demo/passes.js";
import { expectedSecondPassDecision, type SeededImage } from "../src/demo/seed.js";
import { renderSummaryPage } from "../src/demo/summary-page.js";

// The demo's per-pass figures (demo/passes.ts), its second pass's expectations (seed.ts) and its page: what the
// summary says of each pass is read from report-findings' "report" lines alone.

const line = (over: Partial<ReportLine>): ReportLine => ({
  repository: "team-a/api",
  digest: "sha256:aaaa",
  tags: ["v1"],
  status: "COMPLETE",
  counts: { CRITICAL: 1 },
  verdict: { due: true, highestSeverity: "CRITICAL" },
  outcomes: {},
  ...over,
});

describe("the demo's figures per pass", () => {
  it("counts sends per reporter, reports held back as unchanged (due ones only), first reports and new findings", () => {
    const figures = summariseReports(
      [
        line({
          digest: "sha256:new",
          outcomes: { sns: "sent", metrics: "sent" },
          changes: { firstReport: false, new: ["CVE-2024-45490"], fixed: [], severityRaised: [] },
        }),
        line({
          digest: "sha256:same",
          outcomes: { metrics: "sent" },
          held: { sns: "unchanged", email: "unchanged" },
          changes: { firstReport: false, new: [], fixed: [], severityRaised: [] },
        }),
        line({
          digest: "sha256:first",
          tags: [],
          outcomes: { sns: "sent", metrics: "sent" },
          changes: { firstReport: true, new: [], fixed: [], severityRaised: [] },
        }),
        line({
          digest: "sha256:within",
          counts: {},
          verdict: { due: false },
          outcomes: { metrics: "sent" },
          held: { sns: "not-due" },
        }),
        line({
          digest: "sha256:failed",
          status: "FAILED",
          counts: {},
          outcomes: {},
          held: { sns: "unchanged" },
        }),
      ],
      (digest) => (digest === "sha256:new" ? ["CVE-2024-45490"] : []),
    );
    expect(figures.reports).toBe(5);
    expect(figures.reportsDue).toBe(4);
    expect(figures.reportsPerReporter).toEqual({ sns: 2, metrics: 4 });
    expect(figures.heldPerReporter).toEqual({
      sns: { unchanged: 2, "not-due": 1 },
      email: { unchanged: 1 },
    });
    expect(figures.reportsHeldUnchanged).toBe(2);
    expect(figures.firstReports).toBe(1);
    expect(figures.reportsWithNewFindings).toBe(1);
    expect(figures.highestSeverities).toEqual({ CRITICAL: 3, none: 1, "scan failed": 1 });
    const failed = figures.imageReports.find((r) => r.digest === "sha256:failed");
    expect(failed?.newlyPublishedFound).toEqual([]);
    // An untagged image is named by its digest.
    expect(figures.imageReports.find((r) => r.digest === "sha256:first")?.image).toBe(
      "team-a/api:sha256:first",
    );
  });

  it("takes the calls of a pass as the difference of the sandbox's counts", () => {
    expect(
      callsSince(
        { "ecr:DescribeImages": 2, "sns:Publish": 1 },
        { "ecr:DescribeImages": 5, "sns:Publish": 1, "dynamodb:BatchGetItem": 3 },
      ),
    ).toEqual({
      "ecr:DescribeImages": 3,
      "dynamodb:BatchGetItem": 3,
    });
  });

  it("expects the second pass to rescan what the first scanned or skipped as fresh, retry failures, and skip the rest", () => {
    const image = (expected: SeededImage["expected"], failsNextScan = false): SeededImage => ({
      account: "123456789012",
      repository: "team-a/api",
      digest: "sha256:x",
      tags: [],
      kind: "k",
      expected,
      failsNextScan,
    });
    expect(expectedSecondPassDecision(image("scan:never-scanned"))).toBe("scan:expired");
    expect(expectedSecondPassDecision(image("scan:expired", true))).toBe("scan:retry-failed");
    expect(expectedSecondPassDecision(image("skip:fresh"))).toBe("scan:expired");
    expect(expectedSecondPassDecision(image("skip:failed-recently"))).toBe("scan:retry-failed");
    expect(expectedSecondPassDecision(image("skip:in-progress"))).toBe("skip:in-progress");
    expect(expectedSecondPassDecision(image("not-selected"))).toBe("not-selected");
  });

  it("escapes the image names and CVE text it shows on the page", () => {
    const pass = {
      pass: 2,
      at: "2026-12-09T10:00:00.000Z",
      newlyPublishedCves: ["CVE-2024-45490"],
      decisions: { "scan:expired": 1 },
      expectedDecisionsMatched: true,
      scansStarted: 1,
      ledgerMissedScans: 0,
      awsCalls: {},
      ...summariseReports([line({ tags: ["<script>alert(1)</script>"], outcomes: { sns: "sent" } })], () => [
        "CVE-2024-45490",
      ]),
    };
    const page = renderSummaryPage({
      wallTimeMs: 1000,
      secondPassAfterDays: 8,
      feedUpdate: [
        { id: "CVE-2024-45490", packageName: "lib<expat>", packageVersion: "2.5.0-1", severity: "CRITICAL" },
      ],
      passes: [pass],
    });
    expect(page).not.toContain("<script>alert(1)");
    expect(page).toContain("team-a/api:&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).toContain("lib&lt;expat&gt;");
    expect(page).toContain("pass 2, 8 days later");
  });
});
