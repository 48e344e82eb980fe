import type { Finding, ReportChanges, ScanReport } from "@ecr-scan-reporter/core";
import {
  cleanReport,
  failedScanReport,
  overThresholdReport,
  SAMPLE_FINDINGS,
  sampleReport,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { buildEmailView, renderEmail } from "../src/index.js";

const [CRITICAL, HIGH] = SAMPLE_FINDINGS as [Finding, Finding];

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

/** The visible text of the HTML body's <body>, tags dropped, entities of the escaping decoded. */
function visibleText(html: string): string {
  const body = html.slice(html.indexOf("<body"));
  return body
    .replace(/<div style="display:none[^>]*>.*?<\/div>/s, "")
    .replace(/<[^>]+>/g, "\n")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&#x3D;/g, "=")
    .replace(/&amp;/g, "&")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .join("\n");
}

const CHANGED = () =>
  withChanges(overThresholdReport(), {
    newFindings: [CRITICAL],
    fixedFindings: [{ id: "CVE-2022-0001", severity: "HIGH", package: "old" }],
  });

describe("the changes since the last report", () => {
  it("come first in the HTML and text bodies, and in short in the subject", () => {
    const email = renderEmail(CHANGED());
    expect(email.subject).toBe(
      "[ecr-scan-reporter] CRITICAL in team-a/api:v1.4.2 (1 new, 1 fixed) — 1 critical, 2 high",
    );
    expect(visibleText(email.html).split("\n").slice(0, 4)).toEqual([
      "ECR IMAGE SCAN",
      "CRITICAL in team-a/api:v1.4.2",
      "1 new since 2026-11-23: CVE-2024-3094",
      "1 fixed: CVE-2022-0001",
    ]);
    expect(email.text.split("\n").slice(0, 5)).toEqual([
      "ECR image scan: CRITICAL in team-a/api:v1.4.2",
      "",
      "1 new since 2026-11-23: CVE-2024-3094",
      "1 fixed: CVE-2022-0001",
      "",
    ]);
    // The inbox preview starts with them too.
    expect(buildEmailView(CHANGED()).summary).toBe(
      "1 new since 2026-11-23: CVE-2024-3094; 1 fixed: CVE-2022-0001 — 1 critical, 2 high, 1 medium, 1 low in team-a/api:v1.4.2",
    );
  });

  it("say 'No change' and 'unchanged' when a report comes without any", () => {
    const email = renderEmail(withChanges(overThresholdReport(), {}));
    expect(email.subject).toBe(
      "[ecr-scan-reporter] CRITICAL in team-a/api:v1.4.2 (unchanged) — 1 critical, 2 high",
    );
    expect(email.text.split("\n")[2]).toBe("No change since 2026-11-23");
  });

  it("are not mentioned on a first report, without a ledger, or for a failed scan", () => {
    const plain = renderEmail(overThresholdReport());
    const first = renderEmail(
      withChanges(overThresholdReport(), { firstReport: true, newFindings: [CRITICAL] }),
    );
    expect(first).toEqual(plain);
    const failed = renderEmail(
      withChanges(failedScanReport(), { fixedFindings: [{ id: "CVE-9", severity: "LOW" }] }),
    );
    expect(failed).toEqual(renderEmail(failedScanReport()));
  });

  it("name five ids a kind, then count the rest", () => {
    const findings = Array.from({ length: 7 }, (_, i) => ({ ...HIGH, id: `CVE-2026-000${i}` }));
    const email = renderEmail(withChanges(sampleReport({ findings }), { newFindings: findings }));
    expect(email.text).toContain(
      "7 new since 2026-11-23: CVE-2026-0000, CVE-2026-0001, CVE-2026-0002, CVE-2026-0003, CVE-2026-0004 and 2 more\n",
    );
  });

  it("escape a hostile id in the HTML, keep it on one line in the text, and out of the subject", () => {
    const hostile = { ...CRITICAL, id: '<b>*CVE*</b><script>alert(1)</script>"\r\nBcc: victim@example.com' };
    const email = renderEmail(withChanges(sampleReport({ findings: [hostile] }), { newFindings: [hostile] }));
    expect(email.html).toContain(
      "1 new since 2026-11-23: &lt;b&gt;*CVE*&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot; Bcc: victim@example.com",
    );
    expect(email.html).not.toMatch(/<b>|<script/);
    expect(email.text).toContain(
      '1 new since 2026-11-23: <b>*CVE*</b><script>alert(1)</script>" Bcc: victim@example.com\n',
    );
    expect(email.text).not.toMatch(/^Bcc:/m);
    expect(email.subject).toBe("[ecr-scan-reporter] CRITICAL in team-a/api:v1.4.2 (1 new) — 1 critical");
  });
});

describe("the back-within-thresholds notice", () => {
  const notice = () =>
    renderEmail(
      withChanges(cleanReport(), { fixedFindings: [{ id: "CVE-2024-3094", severity: "CRITICAL" }] }),
      {},
      undefined,
      { backWithinThresholds: true },
    );

  it("is a short message: what the scan still found, what was fixed, the image, no finding list", () => {
    const email = notice();
    expect(email.subject).toBe("[ecr-scan-reporter] Back within thresholds: team-a/api:v1.4.3");
    const lead = [
      "team-a/api:v1.4.3 is back within the thresholds: the scan of 2026-11-28 found no vulnerabilities.",
      "1 fixed since 2026-11-23: CVE-2024-3094",
    ];
    expect(visibleText(email.html).split("\n").slice(1, 4)).toEqual([
      "Back within thresholds: team-a/api:v1.4.3",
      ...lead,
    ]);
    expect(email.text.split("\n").slice(0, 6)).toEqual([
      "Back within thresholds: team-a/api:v1.4.3",
      "",
      lead[0],
      "",
      lead[1],
      "",
    ]);
    for (const body of [email.html, email.text]) {
      expect(body).toContain("team-a/api");
      expect(body).not.toContain("Findings:");
      expect(body).toContain("Open the image in the ECR console");
    }
    expect(email.html).toContain("background-color:#2e7d32");
  });

  it("lists no finding even when the image still has some under the thresholds", () => {
    const report = sampleReport({ findings: SAMPLE_FINDINGS.filter((f) => f.severity === "LOW") });
    expect(report.verdict.due).toBe(false);
    const email = renderEmail(report, {}, undefined, { backWithinThresholds: true });
    expect(email.text).toContain("the scan of 2026-11-28 found 1 low.");
    expect(email.text).not.toContain("CVE-2023-29383");
    expect(email.html).not.toContain("CVE-2023-29383");
  });
});
