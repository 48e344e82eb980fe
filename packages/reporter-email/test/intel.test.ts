import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import {
  escalatedReport,
  exploitAwareReport,
  hostileDigest,
  hostileIntelReport,
  intelUnavailableReport,
  sampleDigest,
} from "@ecr-scan-reporter/core/testing";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { buildEmailView, emailReporter, renderEmail, renderEmailDigest } from "../src/index.js";
import { BASE_OPTIONS, CTX, emailDeps } from "./support.js";

// Threat intel in the e-mail (issue 16): badges and CISA's required action on each finding, the KEV count in the
// subject, why an escalated report is due, the note on a stale or unavailable source, the digest's KEV section.

const NOW = new Date("2026-11-28T06:15:00Z");

/** The text of the HTML with its tags taken out, entities as they are. */
const visible = (html: string) => html.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ");

describe("an exploit-aware report", () => {
  const email = renderEmail(exploitAwareReport(), { maxFindings: 3 }, undefined, { now: NOW });

  it("counts the KEV findings in the subject and the preview, before the severities", () => {
    expect(email.subject).toBe(
      "[ecr-scan-reporter] CRITICAL in team-a/api:v1.4.2 — 2 known exploited (KEV), 1 overdue; 2 critical, 2 high",
    );
    expect(email.html).toContain(
      ">2 known exploited (KEV), 1 overdue; 2 critical, 2 high, 2 medium, 1 low in team-a/api:v1.4.2</div>",
    );
  });

  it("badges each finding in the text body, KEV first, with CISA's required action", () => {
    const findings = email.text.slice(email.text.indexOf("- CVE-"));
    expect(findings).toMatch(
      /^- CVE-2021-44228 \[CRITICAL, CVSS 10\.0\]\n {2}KEV, overdue since 2021-12-24 · known ransomware use · exploit available · EPSS 94 % \(99th percentile\)\n {2}log4j-core 2\.14\.1, fixed in 2\.17\.1\n {2}CISA required action: For all affected software assets/,
    );
    expect(findings).toContain(
      "- CVE-2023-44487 [MEDIUM, CVSS 5.3]\n  KEV, due 2027-01-05 · EPSS 81 % (98th percentile)\n  golang.org/x/net 0.15.0, no fix\n",
    );
    expect(email.text).toContain(
      "2 known exploited (KEV), 1 overdue: on CISA's Known Exploited Vulnerabilities catalog, listed first",
    );
  });

  it("badges each finding in the HTML body, the overdue KEV and ransomware use in bold", () => {
    const badges = [...email.html.matchAll(/<span style="display:inline-block[^"]*">([^<]*)<\/span>/g)];
    expect(badges.slice(0, 4).map((m) => m[1])).toEqual([
      "KEV, overdue since 2021-12-24",
      "known ransomware use",
      "exploit available",
      "EPSS 94 % (99th percentile)",
    ]);
    expect(badges[0]?.[0]).toContain("font-weight:bold");
    expect(badges[2]?.[0]).not.toContain("font-weight:bold");
    expect(visible(email.html)).toContain("CISA required action: For all affected software assets");
  });

  it("marks a due date overdue by the reporter's clock", async () => {
    const { deps } = emailDeps({ clock: () => new Date("2027-01-06T00:00:00Z") });
    const options = emailReporter.optionsSchema.parse(BASE_OPTIONS);
    const files = emailReporter.preview?.(exploitAwareReport(), options, deps) ?? [];
    expect(files.find((f) => f.name === "email.txt")?.content).toContain(
      "KEV, overdue since 2027-01-05 · EPSS 81 %",
    );
    const ses = mockClient(SESv2Client);
    ses.on(SendEmailCommand).resolves({ MessageId: "m-1" });
    try {
      const reporter = emailReporter.create(options, deps);
      await reporter.report(exploitAwareReport(), CTX);
      const [call] = ses.commandCalls(SendEmailCommand);
      expect(call?.args[0].input.Content?.Simple?.Subject?.Data).toContain(
        "2 known exploited (KEV), 2 overdue",
      );
    } finally {
      ses.restore();
    }
  });

  it("says no fix, partial fix from Amazon Inspector where the fixed-in version does not", () => {
    const [, rapidReset] = exploitAwareReport().findings;
    if (!rapidReset) throw new Error("the sample has two KEV findings");
    const partial = { ...rapidReset, fixAvailable: "PARTIAL" as const, fixedInVersion: "0.17.0" };
    const view = buildEmailView(exploitAwareReport({ findings: [partial] }), {}, { now: NOW });
    expect(view.findings[0]?.fixNote).toBe("partial fix");
    const html = renderEmail(exploitAwareReport({ findings: [partial] }), {}, undefined, { now: NOW }).html;
    expect(html).toContain('<td>0.17.0 <span style="color:#5e6c84;">(partial fix)</span></td>');
  });
});

describe("an escalated report", () => {
  const email = renderEmail(escalatedReport(), {}, undefined, { now: NOW });

  it("says why it is due although within the thresholds, and that EPSS scores were stale", () => {
    const reason = "Due although within the thresholds: 1 finding on CISA's KEV catalog — CVE-2023-44487";
    expect(email.text).toContain(`\n${reason}\n`);
    expect(email.html).toContain(`border-left:4px solid #b71c1c;">${reason.replace(/'/g, "&#x27;")}</p>`);
    expect(email.text).toContain(
      "\nThreat intel: EPSS scores from 2026-11-26 (api.first.org answered 503)\n",
    );
    expect(visible(email.html)).toContain(
      "Threat intel: EPSS scores from 2026-11-26 (api.first.org answered 503)",
    );
    expect(email.subject).toBe(
      "[ecr-scan-reporter] MEDIUM in team-a/api:v1.4.2 — 1 known exploited (KEV); 1 medium",
    );
  });

  it("does not give the reason of a report over the thresholds as an escalation", () => {
    const over = renderEmail(exploitAwareReport(), {}, undefined, { now: NOW });
    expect(over.text).not.toContain("Due although within the thresholds");
  });
});

describe("intel that could not be had", () => {
  it("is stated in both bodies", () => {
    const email = renderEmail(intelUnavailableReport(), {}, undefined, { now: NOW });
    expect(email.text).toContain("Threat intel: KEV unavailable: www.cisa.gov did not answer within 5 s");
    expect(visible(email.html)).toContain(
      "Threat intel: KEV unavailable: www.cisa.gov did not answer within 5 s",
    );
  });
});

describe("hostile feed text", () => {
  const email = renderEmail(hostileIntelReport(), {}, undefined, { now: NOW });

  it("comes out inert in the HTML: escaped, never markup", () => {
    expect(email.html).not.toMatch(/<script/i);
    expect(email.html).not.toContain("<b>");
    expect(email.html).toContain(
      "<strong>CISA required action:</strong> &lt;!channel&gt; &lt;script&gt;alert(1)&lt;/script&gt; [click](https://evil.example) @everyone | table | Bcc: x@evil.example</div>",
    );
  });

  it("stays one line in the text body and the subject, and never takes the feed's ransomware words", () => {
    const action = email.text.split("\n").filter((l) => l.includes("CISA required action"));
    expect(action).toEqual([
      "  CISA required action: <!channel> <script>alert(1)</script> [click](https://evil.example) @everyone | table | Bcc: x@evil.example",
    ]);
    expect(email.text).not.toMatch(/^Bcc:/m);
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.text).not.toContain("ransomware");
    expect(email.text).not.toContain("<b>");
  });
});

describe("the digest's KEV section", () => {
  it("comes first after the headline, overdue first, with due dates and the images, in both bodies", () => {
    const email = renderEmailDigest(sampleDigest());
    const text = email.text;
    const kev = text.indexOf("2 known exploited (KEV), 1 overdue (CISA's KEV catalog, overdue first)");
    expect(kev).toBeGreaterThan(text.indexOf("Account:"));
    expect(kev).toBeLessThan(text.indexOf("Open findings:"));
    expect(text).toContain(
      "- CVE-2021-44228 [CRITICAL] log4j-core, overdue since 2021-12-24, known ransomware use\n  on team-a/worker:2026.11.28\n- CVE-2023-44487 [HIGH] golang.org/x/net, due 2027-01-05\n  on team-a/worker:2026.11.28, team-a/api:v1.4.2\n",
    );
    const html = visible(email.html);
    expect(html.indexOf("2 known exploited (KEV), 1 overdue")).toBeLessThan(html.indexOf("55 open findings"));
    expect(email.html).toContain(
      '<span style="color:#b71c1c;font-weight:bold;">overdue since 2021-12-24</span>',
    );
    expect(email.html).toContain('<span style="">due 2027-01-05</span>');
  });

  it("says when no open finding is on KEV, and states a stale or unavailable source", () => {
    const none = renderEmailDigest(
      sampleDigest({
        knownExploited: { total: 0, overdue: 0, top: [] },
        intel: { kev: { state: "unavailable", reason: "timeout" }, epss: { state: "off" } },
      }),
    );
    expect(none.text).toContain(
      "\nNo open finding is on CISA's KEV catalog\n\nThreat intel: KEV unavailable: timeout\n",
    );
    expect(none.subject).not.toContain("known exploited");
    const unread = renderEmailDigest(sampleDigest({ knownExploited: undefined, intel: undefined }));
    expect(unread.text).not.toMatch(/KEV|Threat intel/);
  });

  it("shows a hostile entry inert in the HTML, and no due date that is not a date", () => {
    const email = renderEmailDigest(hostileDigest());
    expect(email.html).not.toMatch(/<script/i);
    expect(email.html).toContain("<strong>CVE-2099-0003 &lt;!channel&gt; [x](https://evil.example)</strong>");
    expect(email.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; | cell |");
    expect(email.text).not.toContain("Bcc");
    expect(email.text).not.toContain("overdue since");
  });
});
