import type { Finding, ReportChanges, ScanReport } from "@ecr-scan-reporter/core";
import { overThresholdReport } from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { outsideCodeSpans } from "./helpers.js";
import { changedReport, cleanSameTag, receiver, reporterFor, useReceivers, writes } from "./receivers.js";

useReceivers();

const CTX = { reporterId: "github", attempt: 1 };
const NOTICE = {
  ...CTX,
  notification: { kind: "back-within-thresholds", why: "back-within-thresholds" },
} as const;

function withChanges(report: ScanReport, changes: Partial<ReportChanges>): ScanReport {
  return {
    ...report,
    changes: {
      firstReport: false,
      previousScanAt: "2026-11-23T06:00:00.000Z",
      newFindings: [],
      fixedFindings: [],
      severityRaised: [],
      ...changes,
    },
  };
}

const findingOf = (report: ScanReport, id: string): Finding => {
  const found = report.findings.find((f) => f.id === id);
  if (!found) throw new Error(`no ${id}`);
  return found;
};

/** An open issue for team-a/api:v1.4.2 with the five sample findings, as the first report leaves it. */
async function openIssue() {
  const { reporter } = reporterFor();
  await reporter.report(overThresholdReport(), CTX);
  expect(receiver.issues).toHaveLength(1);
  return reporter;
}

describe("the comment on a new scan uses the findings ledger's changes (one notion of change)", () => {
  it("names what is new, raised and fixed in core's wording, ids as code", async () => {
    const reporter = await openIssue();
    const changed = changedReport();
    const report = withChanges(changed, {
      newFindings: [findingOf(changed, "CVE-2024-6387")],
      severityRaised: [{ finding: findingOf(changed, "CVE-2024-3094"), from: "HIGH" }],
      fixedFindings: ["CVE-2023-4863", "CVE-2022-40897", "CVE-2023-29383"].map((id) => ({
        id,
        severity: "HIGH" as const,
      })),
    });
    const outcome = await reporter.report(report, CTX);
    expect(outcome).toMatchObject({ status: "sent", detail: "updated issue #1: 1 new, 1 raised, 3 fixed" });
    const comment = receiver.comments[0]?.body ?? "";
    expect(comment.split("\n")).toEqual([
      "**New scan of `team-a/api:v1.4.2`:** 1 critical, 2 high over the thresholds.",
      "",
      "- 1 new since 2026-11-23: `CVE-2024-6387`",
      "- 1 raised: `CVE-2024-3094` HIGH → CRITICAL",
      "- 3 fixed: `CVE-2023-4863`, `CVE-2022-40897`, `CVE-2023-29383`",
    ]);
  });

  it("stays quiet when the ledger says nothing changed, whatever the issue's marker says", async () => {
    const reporter = await openIssue();
    // The marker would call this a change (other ids than the issue shows); the ledger, which knows, says none.
    const outcome = await reporter.report(withChanges(changedReport(), {}), CTX);
    expect(outcome).toMatchObject({ status: "sent", detail: "updated issue #1: unchanged" });
    expect(receiver.comments).toEqual([]);
    expect(receiver.issues[0]?.body).toContain("CVE-2024-6387");
  });

  it("comments on a raised severity that the marker, which keeps ids only, cannot see", async () => {
    const reporter = await openIssue();
    const same = overThresholdReport();
    const report = withChanges(same, {
      severityRaised: [{ finding: findingOf(same, "CVE-2023-4863"), from: "MEDIUM" }],
    });
    await reporter.report(report, CTX);
    expect(receiver.comments[0]?.body).toContain(
      "- 1 raised since 2026-11-23: `CVE-2023-4863` MEDIUM → HIGH",
    );
  });

  it("falls back to the marker's comparison on the ledger's first report for the image", async () => {
    const reporter = await openIssue();
    await reporter.report(withChanges(changedReport(), { firstReport: true }), CTX);
    const comment = receiver.comments[0]?.body ?? "";
    expect(comment).toContain("Compared with the previous scan: 1 new, 3 fixed, 2 unchanged");
    expect(comment).not.toContain("since 2026-11-23");
  });

  it("caps each list at 25 ids and counts the rest", async () => {
    const reporter = await openIssue();
    const fixed = Array.from({ length: 30 }, (_, i) => ({
      id: `CVE-2020-${1000 + i}`,
      severity: "LOW" as const,
    }));
    await reporter.report(withChanges(changedReport(), { fixedFindings: fixed }), CTX);
    const comment = receiver.comments[0]?.body ?? "";
    expect(comment).toContain("- 30 fixed since 2026-11-23: `CVE-2020-1000`, ");
    expect(comment).toContain("`CVE-2020-1024` and 5 more");
    expect(comment).not.toContain("CVE-2020-1025");
  });

  it("shows a hostile id as code: no mention, no issue reference, no link, no HTML", async () => {
    const reporter = await openIssue();
    const changed = changedReport();
    const hostile = {
      ...findingOf(changed, "CVE-2024-6387"),
      id: "@octocat #1 [x](https://evil.example) <b>*CVE*</b> `tick`\r\n# heading",
    };
    const report = withChanges(
      { ...changed, findings: [...changed.findings, hostile] },
      { newFindings: [hostile] },
    );
    await reporter.report(report, CTX);
    const comment = receiver.comments[0]?.body ?? "";
    expect(comment).toContain(
      "- 1 new since 2026-11-23: ``@octocat #1 [x](https://evil.example) <b>*CVE*</b> `tick` # heading``",
    );
    const outside = outsideCodeSpans(comment);
    for (const live of ["@octocat", "#1", "](", "<b>", "https://evil"]) expect(outside).not.toContain(live);
    expect(comment).not.toMatch(/^# heading/m);
  });
});

describe("the back-within-thresholds notice", () => {
  it("closes the image's open issue with a comment that says so and what was fixed", async () => {
    const reporter = await openIssue();
    const fixed = overThresholdReport().findings.map((f) => ({ id: f.id, severity: f.severity }));
    const outcome = await reporter.report(withChanges(cleanSameTag(), { fixedFindings: fixed }), NOTICE);
    expect(outcome).toMatchObject({ status: "sent", detail: "closed issue #1" });
    expect(receiver.issues[0]).toMatchObject({ state: "closed", stateReason: "completed" });
    const comment = receiver.comments[0]?.body ?? "";
    expect(comment.split("\n").slice(0, 3)).toEqual([
      "**`team-a/api:v1.4.2` is back within the thresholds: the scan of 2026-11-28 found no vulnerabilities.** This issue is closed.",
      "",
      "- 5 fixed since 2026-11-23: `CVE-2024-3094`, `CVE-2023-4863`, `CVE-2023-44487`, `CVE-2022-40897`, `CVE-2023-29383`",
    ]);
  });

  it("writes nothing when the issue is closed already", async () => {
    const reporter = await openIssue();
    await reporter.report(cleanSameTag(), CTX);
    const before = writes(receiver).length;
    const again = await reporter.report(withChanges(cleanSameTag(), {}), NOTICE);
    expect(again).toMatchObject({ status: "skipped" });
    expect(writes(receiver)).toHaveLength(before);
  });
});
