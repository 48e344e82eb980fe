import { describe, expect, it } from "vitest";
import {
  backWithinThresholdsText,
  backWithinThresholdsTitle,
  CHANGES_MAX_IDS,
  changeLines,
  changesHeadline,
  changesShort,
  computeChanges,
  type Finding,
  isBackWithinThresholdsNotice,
  type ReportChanges,
  reportedChanges,
  type ScanReport,
  type Severity,
} from "../src/index.js";
import { cleanReport, failedScanReport, sampleReport } from "../src/testing/index.js";

const finding = (id: string, severity: Severity = "HIGH", packageName = "pkg"): Finding => ({
  id,
  severity,
  title: id,
  packageName,
});

function withChanges(changes: Partial<ReportChanges>, report: Partial<ScanReport> = {}): ScanReport {
  return sampleReport({
    ...report,
    changes: {
      firstReport: false,
      previousScanAt: "2026-11-23T04:05:06.000Z",
      newFindings: [],
      fixedFindings: [],
      severityRaised: [],
      ...changes,
    },
  });
}

describe("changesHeadline", () => {
  it("names new findings with the day of the previous scan", () => {
    const report = withChanges({ newFindings: [finding("CVE-2026-1111"), finding("CVE-2026-2222")] });
    expect(changesHeadline(report)).toBe("2 new since 2026-11-23: CVE-2026-1111, CVE-2026-2222");
  });

  it("tells new, raised and fixed on one line, in that order, 'since' on the first", () => {
    const report = withChanges({
      newFindings: [finding("CVE-2026-1111")],
      fixedFindings: [{ id: "CVE-2025-0001", severity: "LOW" }],
      severityRaised: [{ finding: finding("CVE-2026-3333", "CRITICAL"), from: "HIGH" }],
    });
    expect(changesHeadline(report)).toBe(
      "1 new since 2026-11-23: CVE-2026-1111; 1 raised: CVE-2026-3333 HIGH → CRITICAL; 1 fixed: CVE-2025-0001",
    );
    expect(changeLines(report).map((line) => line.kind)).toEqual(["new", "raised", "fixed"]);
  });

  it("puts 'since' on whichever kind comes first", () => {
    const report = withChanges({ fixedFindings: [{ id: "CVE-2025-0001", severity: "LOW" }] });
    expect(changesHeadline(report)).toBe("1 fixed since 2026-11-23: CVE-2025-0001");
  });

  it("says 'since the last report' when the previous scan time is unknown or unreadable", () => {
    const unknown = withChanges({ previousScanAt: undefined, newFindings: [finding("CVE-1")] });
    expect(changesHeadline(unknown)).toBe("1 new since the last report: CVE-1");
    const junk = withChanges({ previousScanAt: "yesterday", newFindings: [finding("CVE-1")] });
    expect(changesHeadline(junk)).toBe("1 new since the last report: CVE-1");
  });

  it("caps each list and says how many more, counting each vulnerability once", () => {
    const ids = Array.from({ length: 9 }, (_, i) => `CVE-2026-000${i}`);
    // The same vulnerability in two packages is one vulnerability to a reader.
    const findings = [...ids.map((id) => finding(id)), finding("CVE-2026-0000", "HIGH", "other-pkg")];
    const report = withChanges({ newFindings: findings });
    expect(changesHeadline(report)).toBe(
      `9 new since 2026-11-23: ${ids.slice(0, CHANGES_MAX_IDS).join(", ")} and 4 more`,
    );
    expect(changesHeadline(report, { maxIds: 2 })).toBe(
      "9 new since 2026-11-23: CVE-2026-0000, CVE-2026-0001 and 7 more",
    );
  });

  it("says 'No change' when a report is sent with nothing new, raised or fixed", () => {
    expect(changeLines(withChanges({}))).toEqual([{ kind: "unchanged", text: "No change since 2026-11-23" }]);
    expect(changesShort(withChanges({}))).toBe("unchanged");
  });

  it("says nothing without a ledger, on the first report, or for a failed scan", () => {
    expect(changesHeadline(sampleReport())).toBeUndefined();
    const first = sampleReport({ changes: computeChanges(sampleReport().findings, undefined) });
    expect(first.changes?.firstReport).toBe(true);
    expect(changesHeadline(first)).toBeUndefined();
    expect(changesShort(first)).toBeUndefined();
    // A failed scan compared with the findings before would call every one of them fixed.
    const failed = {
      ...failedScanReport(),
      changes: withChanges({ fixedFindings: [{ id: "X", severity: "LOW" }] }).changes,
    };
    expect(reportedChanges(failed)).toBeUndefined();
    expect(changeLines(failed)).toEqual([]);
  });

  it("keeps ids plain but one line and bounded, and lets a target format each id", () => {
    const hostile = "<b>*CVE*</b>\r\n@channel";
    const report = withChanges({ newFindings: [finding(hostile), finding("x".repeat(500))] });
    const [line] = changeLines(report);
    expect(line?.text).toContain("<b>*CVE*</b> @channel");
    expect(line?.text).not.toMatch(/[\r\n]/);
    expect(line?.text).toContain(`${"x".repeat(79)}…`);
    expect(line?.text).not.toContain("x".repeat(80));
    const formatted = changesHeadline(report, { formatId: (id) => `[${id.length}]` });
    expect(formatted).toBe("2 new since 2026-11-23: [21], [80]");
  });

  it("comes from computeChanges as the ledger computes it", () => {
    const before = [
      { id: "CVE-A", severity: "HIGH" as const, package: "a" },
      { id: "CVE-B", severity: "MEDIUM" as const, package: "b" },
    ];
    const changes = computeChanges(
      [finding("CVE-A", "HIGH", "a"), finding("CVE-B", "CRITICAL", "b"), finding("CVE-C")],
      {
        findings: before,
        scanCompletedAt: "2026-11-20T00:00:00.000Z",
      },
    );
    expect(changesHeadline(sampleReport({ changes }))).toBe(
      "1 new since 2026-11-20: CVE-C; 1 raised: CVE-B MEDIUM → CRITICAL",
    );
    expect(changesShort(sampleReport({ changes }))).toBe("1 new, 1 raised");
  });
});

describe("changesShort", () => {
  it("gives the counts only", () => {
    const report = withChanges({
      newFindings: [finding("CVE-1"), finding("<!channel>")],
      fixedFindings: [{ id: "CVE-3", severity: "LOW" }],
    });
    expect(changesShort(report)).toBe("2 new, 1 fixed");
  });
});

describe("the back-within-thresholds notice", () => {
  it("is one only when the dispatch says so and the report is not due", () => {
    const notice = {
      notification: { kind: "back-within-thresholds" as const, why: "back-within-thresholds" as const },
    };
    expect(isBackWithinThresholdsNotice(cleanReport(), notice)).toBe(true);
    expect(isBackWithinThresholdsNotice(sampleReport(), notice)).toBe(false);
    expect(isBackWithinThresholdsNotice(cleanReport(), {})).toBe(false);
    expect(isBackWithinThresholdsNotice(cleanReport(), undefined)).toBe(false);
    const report = { notification: { kind: "report" as const, why: "new-findings" as const } };
    expect(isBackWithinThresholdsNotice(cleanReport(), report)).toBe(false);
  });

  it("names the image, the day of the scan and what it still found", () => {
    const medium = sampleReport({ findings: [finding("CVE-1", "MEDIUM"), finding("CVE-2", "LOW")] });
    expect(medium.verdict.due).toBe(false);
    expect(backWithinThresholdsText(medium)).toBe(
      "team-a/api:v1.4.2 is back within the thresholds: the scan of 2026-11-28 found 1 medium, 1 low.",
    );
    expect(backWithinThresholdsText(cleanReport(), "`img`")).toBe(
      "`img` is back within the thresholds: the scan of 2026-11-28 found no vulnerabilities.",
    );
    expect(backWithinThresholdsText({ ...cleanReport(), completedAt: undefined })).toContain(
      "the latest scan found no vulnerabilities.",
    );
    expect(backWithinThresholdsTitle("team-a/api:v1")).toBe("Back within thresholds: team-a/api:v1");
  });
});
