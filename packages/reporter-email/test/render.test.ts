import type { ScanReport } from "@ecr-scan-reporter/core";
import {
  failedScanReport,
  hostileReport,
  manyFindingsReport,
  overThresholdReport,
  sampleReport,
  untaggedReport,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import {
  buildEmailView,
  DEFAULT_MAX_FINDINGS,
  renderEmail,
  SHIPPED_TEMPLATES,
  SUBJECT_MAX_LENGTH,
  safeHttpUrl,
} from "../src/index.js";

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/** Every href value in the HTML, decoded from the attribute escaping. */
function hrefs(html: string): string[] {
  return [...html.matchAll(/\bhref\s*=\s*"([^"]*)"/gi)].map((m) => (m[1] ?? "").replace(/&#x3D;/g, "="));
}

/** How often each tag opens and closes, to prove no injected markup changed the document's structure. */
function tagBalance(html: string, tag: string): { open: number; close: number } {
  return {
    open: (html.match(new RegExp(`<${tag}[\\s>]`, "gi")) ?? []).length,
    close: (html.match(new RegExp(`</${tag}>`, "gi")) ?? []).length,
  };
}

const SAMPLES: [string, () => ScanReport][] = [
  ["over-threshold", overThresholdReport],
  ["many-findings", () => manyFindingsReport()],
  ["failed-scan", failedScanReport],
  ["untagged", untaggedReport],
  ["hostile", hostileReport],
];

describe("renderEmail snapshots", () => {
  it.each(SAMPLES)("renders the %s report (subject, HTML and text)", async (name, make) => {
    const email = renderEmail(make());
    expect(email.subject).toMatchSnapshot("subject");
    await expect(email.html).toMatchFileSnapshot(`./__snapshots__/${name}.html`);
    await expect(email.text).toMatchFileSnapshot(`./__snapshots__/${name}.txt`);
    // Structure every body keeps, whatever the report: one document, balanced tables and rows.
    expect(email.html.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(tagBalance(email.html, "table").open).toBe(tagBalance(email.html, "table").close);
    expect(tagBalance(email.html, "tr").open).toBe(tagBalance(email.html, "tr").close);
    expect(tagBalance(email.html, "td").open).toBe(tagBalance(email.html, "td").close);
  });
});

describe("subject", () => {
  it("names the highest severity, the image and the counts over the thresholds", () => {
    expect(renderEmail(overThresholdReport()).subject).toBe(
      "[ecr-scan-reporter] CRITICAL in team-a/api:v1.4.2 — 1 critical, 2 high",
    );
  });

  it("names an untagged image by a short digest", () => {
    expect(renderEmail(untaggedReport()).subject).toBe(
      "[ecr-scan-reporter] HIGH in team-a/api@sha256:0a1b2c3d4e5f — 2 high",
    );
  });

  it("has its own wording for a failed scan", () => {
    expect(renderEmail(failedScanReport()).subject).toBe(
      "[ecr-scan-reporter] Scan FAILED for team-a/api:scratch-build",
    );
  });

  it("uses the configured prefix", () => {
    expect(renderEmail(overThresholdReport(), { subjectPrefix: "[prod]" }).subject).toMatch(
      /^\[prod\] CRITICAL in team-a\/api:v1\.4\.2/,
    );
  });

  it("stays one line of at most 200 characters and keeps the counts when the image label is huge", () => {
    const report = sampleReport({ repository: `team-a/${"r".repeat(249)}`, tags: ["t".repeat(128)] });
    const { subject } = renderEmail(report);
    expect(Array.from(subject).length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
    expect(subject).toContain("…");
    expect(subject.startsWith("[ecr-scan-reporter] CRITICAL in team-a/rrr")).toBe(true);
    expect(subject.endsWith(" — 1 critical, 2 high")).toBe(true);
  });

  it("is cut to 200 characters even when an override makes it longer, and never carries a line break", () => {
    const { subject } = renderEmail(overThresholdReport(), {
      templates: { "email/subject.hbs": "{{#each findings}}{{description}}\r\n{{/each}}" },
    });
    expect(Array.from(subject)).toHaveLength(SUBJECT_MAX_LENGTH);
    expect(subject.endsWith("…")).toBe(true);
    expect(subject).not.toMatch(CONTROL_CHARACTERS);
  });
});

describe("many findings", () => {
  const report = manyFindingsReport();
  const email = renderEmail(report);

  it("lists maxFindings (100 by default) findings and says exactly how many more there are", () => {
    expect(report.findings).toHaveLength(5_000);
    expect(DEFAULT_MAX_FINDINGS).toBe(100);
    const listedIds = report.findings.slice(0, 100).map((f) => f.id);
    const unlistedIds = report.findings.slice(100).map((f) => f.id);
    for (const body of [email.html, email.text]) {
      expect(body).toContain("…and 4900 more findings not listed here.");
      for (const id of listedIds) expect(body).toContain(id);
      // Ids are unique and all the same length, so none is a part of another: the unlisted are really left out.
      expect(unlistedIds.filter((id) => body.includes(id))).toEqual([]);
    }
    expect(email.text.match(/^- CVE-/gm)).toHaveLength(100);
    expect(email.html.match(/<tr valign="top">/g)).toHaveLength(100);
  });

  it("follows a smaller maxFindings, and lists all when they fit", () => {
    const five = renderEmail(report, { maxFindings: 5 });
    expect(five.text.match(/^- CVE-/gm)).toHaveLength(5);
    expect(five.text).toContain("…and 4995 more findings not listed here.");
    const all = renderEmail(overThresholdReport(), { maxFindings: 5 });
    expect(all.text).not.toContain("more finding");
    const one = renderEmail(sampleReport({ findings: report.findings.slice(0, 2) }), { maxFindings: 1 });
    expect(one.text).toContain("…and 1 more finding not listed here.");
  });

  it("keeps the HTML body under Gmail's 102 KB clipping size at the default cap", () => {
    expect(Buffer.byteLength(email.html, "utf8")).toBeLessThan(102 * 1024);
  });
});

describe("escaping of hostile report text", () => {
  const email = renderEmail(hostileReport());

  it("never lets report text become HTML markup", () => {
    expect(email.html).not.toMatch(/<script/i);
    expect(email.html).not.toMatch(/<img/i);
    expect(email.html).not.toMatch(/<[^>]*\bonerror\s*=/i);
    expect(email.html).not.toContain("<!-- hidden -->");
    expect(email.html).not.toContain('<a href="https://evil.example"');
    // The injected closing tags show as text, and the document's own structure is intact.
    expect(email.html).toContain("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;");
    expect(email.html).toContain("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;");
    expect(email.html).toContain("&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;");
    // As many tables as in a report of plain text: none was opened or closed by the injected markup.
    const plain = renderEmail(overThresholdReport()).html;
    expect(tagBalance(email.html, "table")).toEqual(tagBalance(plain, "table"));
    expect(tagBalance(email.html, "td").open).toBe(tagBalance(email.html, "td").close);
  });

  it("links only http(s) URLs, percent-encoding what could break out of the attribute", () => {
    const links = hrefs(email.html);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link).toMatch(/^https:\/\//);
    expect(email.html).not.toMatch(/javascript:alert\(document/);
    expect(email.text).not.toContain("javascript:alert(document.cookie)");
    expect(links).toContain("https://nvd.nist.gov/vuln/detail/CVE-2099-0002%22%3E%3Cscript%3E");
    // The finding with the javascript: URL is shown, unlinked.
    expect(email.html).toContain("<td>CVE-2099-0001 &lt;!channel&gt;</td>");
  });

  it("keeps CR/LF of a tag out of the subject, and control and bidi characters out of everything", () => {
    expect(email.subject).toBe(
      "[ecr-scan-reporter] CRITICAL in team-a/api:v1 X-Injected: yes — 1 critical, 1 high",
    );
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.subject).not.toMatch(CONTROL_CHARACTERS);
    expect(email.html).not.toMatch(/[\r\u202E]/);
    expect(email.text).not.toMatch(/[\r\u202E]/);
    // A value with CR/LF is flattened to one line in the bodies too: no line starts with an injected header.
    expect(email.text).not.toMatch(/^(Bcc|X-Injected|Subject):/m);
  });

  it("escapes report text inside overridden templates too (HTML escaping is the renderer's, not the template's)", () => {
    const html = renderEmail(hostileReport(), {
      templates: { "email/body.html.hbs": "<ul>{{#each findings}}<li>{{description}}</li>{{/each}}</ul>" },
    }).html;
    expect(html).not.toMatch(/<script|<img/i);
    expect(html.startsWith("<ul><li>*bold*")).toBe(true);
  });
});

describe("view model", () => {
  it("carries the image, counts and verdict the templates need", () => {
    const view = buildEmailView(overThresholdReport());
    expect(view).toMatchObject({
      headline: "CRITICAL",
      image: "team-a/api:v1.4.2",
      imageLabel: "team-a/api:v1.4.2",
      tagList: "v1.4.2, latest",
      failed: false,
      countsSummary: "1 critical, 2 high, 1 medium, 1 low",
      subjectCounts: "1 critical, 2 high",
      exceededList: "CRITICAL, HIGH",
      totalFindings: 5,
      listedFindings: 5,
      moreFindings: 0,
      completedAt: "2026-11-28 06:12:31 UTC",
    });
    expect(view.counts.map((c) => `${c.severity}:${c.count}`)).toEqual([
      "CRITICAL:1",
      "HIGH:2",
      "MEDIUM:1",
      "LOW:1",
      "INFORMATIONAL:0",
      "UNDEFINED:0",
    ]);
    expect(view.findings[0]).toMatchObject({
      id: "CVE-2024-3094",
      cvss: "10.0",
      fixedInVersion: "5.6.1+really5.4.5-1",
    });
    expect(view.findings[4]?.fixedInVersion).toBe("");
    expect(view.consoleUrl).toMatch(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/ecr\//);
  });

  it("shows a failed scan with ECR's reason and without findings", () => {
    const email = renderEmail(failedScanReport());
    for (const body of [email.html, email.text]) {
      expect(body).toContain("The scan of this image failed");
      expect(body).toContain(
        "UnsupportedImageError: The operating system and/or package manager are not supported.",
      );
    }
    expect(email.html).not.toContain("<th>Vulnerability</th>");
    expect(email.text).not.toContain("Findings:");
  });

  it("names an untagged image by a short digest in the bodies, and shows its full digest", () => {
    const report = untaggedReport();
    const email = renderEmail(report);
    const label = "team-a/api@sha256:0a1b2c3d4e5f";
    expect(email.text.split("\n")[0]).toBe(`ECR image scan: HIGH in ${label}`);
    expect(email.html).toContain(`HIGH in ${label}</div>`);
    expect(email.text).toContain(`Digest:     ${report.digest}`);
    expect(email.text).not.toContain("Tags:");
  });

  it("says a fix is unknown after a basic scan, and that there is none yet after an enhanced one", () => {
    const basic = renderEmail(overThresholdReport());
    expect(basic.text).toContain("  passwd 1:4.13+dfsg1-1, fix unknown\n");
    expect(basic.html).toContain('<span style="color:#5e6c84;">fix unknown</span>');
    expect(`${basic.text}${basic.html}`).not.toContain("no fix");
    const enhanced = renderEmail(sampleReport({ scanType: "ENHANCED" }));
    expect(enhanced.text).toContain("  passwd 1:4.13+dfsg1-1, no fixed version yet\n");
    expect(enhanced.html).toContain('<span style="color:#5e6c84;">no fixed version yet</span>');
    expect(enhanced.text).toContain("  xz-utils 5.6.0-0.2, fixed in 5.6.1+really5.4.5-1\n");
  });

  it("does not link a console URL that is not https", () => {
    const view = buildEmailView(sampleReport({ consoleUrl: "javascript:alert(1)" }));
    expect(view.consoleUrl).toBeUndefined();
    expect(renderEmail(sampleReport({ consoleUrl: "http://example.com/" })).html).not.toContain(
      "Open the image in the ECR console",
    );
  });

  it("accepts only http(s) URLs as links", () => {
    expect(safeHttpUrl("https://nvd.nist.gov/vuln/detail/CVE-2024-3094")).toBe(
      "https://nvd.nist.gov/vuln/detail/CVE-2024-3094",
    );
    expect(safeHttpUrl(" JavaScript:alert(1)")).toBeUndefined();
    expect(safeHttpUrl("data:text/html,<script>")).toBeUndefined();
    expect(safeHttpUrl("//evil.example/x")).toBeUndefined();
    expect(safeHttpUrl("not a url")).toBeUndefined();
    expect(safeHttpUrl(undefined)).toBeUndefined();
  });
});

describe("template overrides", () => {
  it("replaces a template with an inline override from the options", () => {
    const email = renderEmail(overThresholdReport(), {
      templates: { "email/subject.hbs": "ALERT {{repository}} {{highestSeverity}} ({{totalFindings}})" },
    });
    expect(email.subject).toBe("ALERT team-a/api CRITICAL (5)");
    // The other templates stay the shipped ones.
    expect(email.text).toBe(renderEmail(overThresholdReport()).text);
    expect(email.html).toContain("<title>ALERT team-a/api CRITICAL (5)</title>");
  });

  it("replaces a partial, which every template that uses it picks up", () => {
    const email = renderEmail(overThresholdReport(), {
      templates: { "email/partials/finding-row.hbs": '<tr><td class="mine">{{id}}/{{severity}}</td></tr>\n' },
    });
    expect(email.html).toContain('<tr><td class="mine">CVE-2024-3094/CRITICAL</td></tr>');
    expect(email.html).not.toContain('<tr valign="top">');
  });

  it("uses a folder override (deps.templates), and an inline override wins over it", () => {
    const folder = {
      override: (name: string) =>
        ({
          "email/body.txt.hbs": "Plain {{imageLabel}}: {{countsSummary}}",
          "email/subject.hbs": "from the folder",
        })[name],
    };
    const email = renderEmail(
      overThresholdReport(),
      { templates: { "email/subject.hbs": "inline" } },
      folder,
    );
    expect(email.text).toBe("Plain team-a/api:v1.4.2: 1 critical, 2 high, 1 medium, 1 low\n");
    expect(email.subject).toBe("inline");
    expect(renderEmail(overThresholdReport(), {}, folder).subject).toBe("from the folder");
  });

  it("ships the three report templates, the three digest templates and the partials they use", () => {
    expect(Object.keys(SHIPPED_TEMPLATES).sort()).toEqual([
      "email/body.html.hbs",
      "email/body.txt.hbs",
      "email/digest-subject.hbs",
      "email/digest.html.hbs",
      "email/digest.txt.hbs",
      "email/partials/counts-text.hbs",
      "email/partials/counts.hbs",
      "email/partials/digest-bar.hbs",
      "email/partials/digest-changes-text.hbs",
      "email/partials/digest-changes.hbs",
      "email/partials/finding-row.hbs",
      "email/partials/finding-text.hbs",
      "email/subject.hbs",
    ]);
    // Never a triple-stash: untrusted text must always go through Handlebars' escaping.
    for (const [name, text] of Object.entries(SHIPPED_TEMPLATES)) {
      expect(text, name).not.toContain("{{{");
    }
  });
});
