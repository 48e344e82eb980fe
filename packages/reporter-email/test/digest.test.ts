import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { type Digest, type DigestImage, ReporterError } from "@ecr-scan-reporter/core";
import {
  allClearDigest,
  countsOf,
  emptyLedgerDigest,
  hostileDigest,
  sampleDigest,
  testDeps,
} from "@ecr-scan-reporter/core/testing";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  BAR_TRACK_COLOR,
  barWidths,
  buildEmailDigestView,
  emailReporter,
  renderEmailDigest,
  SUBJECT_MAX_LENGTH,
} from "../src/index.js";
import { BASE_OPTIONS, CTX, createReporter } from "./support.js";

const sesMock = mockClient(SESv2Client);
const MESSAGE_ID = "0102018f3b2d4c1e-digest-000000";

beforeEach(() => {
  sesMock.reset();
  sesMock.on(SendEmailCommand).resolves({ MessageId: MESSAGE_ID });
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/** Every href value in the HTML. */
function hrefs(html: string): string[] {
  return [...html.matchAll(/\bhref\s*=\s*"([^"]*)"/gi)].map((m) => (m[1] ?? "").replace(/&#x3D;/g, "="));
}

/** How often a tag opens and closes: injected markup would unbalance them. */
function tagBalance(html: string, tag: string): { open: number; close: number } {
  return {
    open: (html.match(new RegExp(`<${tag}[\\s>]`, "gi")) ?? []).length,
    close: (html.match(new RegExp(`</${tag}>`, "gi")) ?? []).length,
  };
}

/** The coloured cells of the bars (not their grey track): `{ color, width }` of each `<td width="N%" … bgcolor="#…">`. */
function barCells(html: string): { color: string; width: number }[] {
  return [...html.matchAll(/<td width="(\d+)%" height="12" bgcolor="(#[0-9a-f]{6})"/g)]
    .map((m) => ({ width: Number(m[1]), color: m[2] ?? "" }))
    .filter((cell) => cell.color !== BAR_TRACK_COLOR);
}

/** The widths of the grey tracks, in order. */
function trackWidths(html: string): number[] {
  return [...html.matchAll(/<td width="(\d+)%" height="12" bgcolor="#ebecf0"/g)].map((m) => Number(m[1]));
}

/** Checks every body must pass: what common mail clients render, and nothing they drop or block. */
function expectMailSafe(html: string): void {
  expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
  expect(html).not.toMatch(/<svg/i);
  expect(html).not.toMatch(/\ssrc\s*=/i);
  expect(html).not.toMatch(/<img|<style|<link|<script|url\(|class=/i);
  for (const tag of ["table", "tr", "td"]) {
    expect(tagBalance(html, tag).open, tag).toBe(tagBalance(html, tag).close);
  }
}

function longImage(i: number): DigestImage {
  const [base] = sampleDigest().overThresholds.top;
  if (!base) throw new Error("sampleDigest has no image");
  return {
    ...base,
    repository: `team-a/${"very-long-repository-name-".repeat(9)}${i}`.slice(0, 256),
    tags: [`${"release-candidate-".repeat(7)}${i}`.slice(0, 128)],
  };
}

describe("the digest e-mail of sampleDigest()", () => {
  const digest = sampleDigest();
  const email = renderEmailDigest(digest);

  it("has a subject with the open CRITICAL and HIGH counts, the images and the route", () => {
    expect(email.subject).toBe(
      "[ecr-scan-reporter] Weekly digest: 2 CRITICAL, 9 HIGH open in 14 images, 2 known exploited (KEV), 1 overdue (^team-a/)",
    );
  });

  it("draws a bar per severity from table cells, scaled to the largest count", () => {
    expectMailSafe(email.html);
    const cells = barCells(email.html);
    // Severity rows first: CRITICAL 2, HIGH 9, MEDIUM 31, LOW 12, INFORMATIONAL 1 of 31.
    expect(cells.slice(0, 5)).toEqual([
      { color: "#b71c1c", width: 6 },
      { color: "#c43e00", width: 29 },
      { color: "#8a5a00", width: 100 },
      { color: "#1565c0", width: 39 },
      { color: "#455a64", width: 3 },
    ]);
    // Then a stacked bar per image, its segments by severity, scaled to the image with the most findings (26).
    expect(cells.slice(5, 8)).toEqual([
      { color: "#b71c1c", width: 4 },
      { color: "#c43e00", width: 11 },
      { color: "#8a5a00", width: 27 },
    ]);
    // Each bar fills the rest with its grey track, so every bar is 100% wide.
    expect(trackWidths(email.html).slice(0, 5)).toEqual([94, 71, 61, 97, 58]);
    // The bars carry their colour twice: the bgcolor attribute (Outlook) and an inline style (everyone else).
    expect(email.html).toContain(
      '<td width="6%" height="12" bgcolor="#b71c1c" style="width:6%;height:12px;background-color:#b71c1c;',
    );
  });

  it("shows the counts with their change since the previous digest", () => {
    expect(email.html).toMatch(/>CRITICAL<\/td>\s*<td[^>]*>2<\/td>\s*<td[^>]*color:#2e7d32;[^>]*>−1<\/td>/);
    expect(email.html).toMatch(/>HIGH<\/td>\s*<td[^>]*>9<\/td>\s*<td[^>]*color:#b71c1c;[^>]*>\+2<\/td>/);
    expect(email.text).toContain("Open findings: 55 in 11 of 14 images in use.");
    expect(email.text).toContain("Change since the digest of 2026-11-23 in brackets.");
    const rows = email.text.split("\n").filter((line) => /^ {2}[A-Z]+ +\d/.test(line));
    expect(rows).toEqual([
      "  CRITICAL       2 (−1) ██",
      "  HIGH           9 (+2) ███████",
      "  MEDIUM        31 (+1) ████████████████████████",
      "  LOW           12 (±0) █████████",
      "  INFORMATIONAL  1 (+1) █",
    ]);
  });

  it("lists the images over the thresholds worst first, with their oldest open finding and its age", () => {
    const text = email.text;
    expect(text).toContain("Images over the thresholds: 3, worst first");
    const api = text.indexOf("1. team-a/api:v1.4.2");
    const worker = text.indexOf("2. team-a/worker:2026.11.28");
    const web = text.indexOf("3. team-a/web:latest");
    expect(api).toBeGreaterThan(-1);
    expect(worker).toBeGreaterThan(api);
    expect(web).toBeGreaterThan(worker);
    expect(text).toContain(
      "Oldest open CRITICAL: CVE-2024-6387 in openssh-server, open 60 days (since 2026-10-02)",
    );
    expect(text).toContain(
      "Oldest open CRITICAL: CVE-2023-44487 in golang.org/x/net, open 5 days (since 2026-11-25)",
    );
    expect(text).toContain("Oldest open HIGH: CVE-2024-45490 in libexpat1, open 1 day (since 2026-11-29)");
    expect(email.html).toContain("3 images over the thresholds, worst first");
    expect(email.html).toContain('<strong style="color:#172b4d;">60 days</strong> (since 2026-10-02)');
    expect(hrefs(email.html)).toEqual([
      ...digest.overThresholds.top.map((image) => image.consoleUrl),
      digest.consoleUrl,
    ]);
  });

  it("lists the findings new and fixed this period, and the coverage", () => {
    expect(email.text).toContain(
      "New this period: 3 findings\n- CVE-2023-44487 [CRITICAL] golang.org/x/net 0.15.0, fixed in 0.17.0\n  on team-a/worker:2026.11.28\n",
    );
    expect(email.text).toContain("  on team-a/web:latest, team-a/web:v3\n");
    expect(email.text).toContain(
      "Fixed this period: 2 findings\n- CVE-2024-3094 [CRITICAL] xz-utils 5.6.0-0.2\n",
    );
    expect(email.html).toContain("New this period: 3 findings");
    expect(email.html).toContain("→ fixed in 0.17.0");
    expect(email.text).toContain(
      "Coverage (scheduled run of 2026-11-30 02:00 UTC): 23 images in 4 repositories",
    );
    expect(email.text).toContain("  Never scanned:    1\n");
    expect(email.text).toContain("Not every image has a recent scan.");
    expect(email.html).toMatch(/color:#c43e00;font-weight:bold;">Stale scan<\/td><td[^>]*>1<\/td>/);
  });

  it("starts the inbox preview with the picture", () => {
    expect(buildEmailDigestView(digest).summary).toBe(
      "Weekly digest for ^team-a/: 2 known exploited (KEV), 1 overdue; 2 critical, 9 high, 31 medium, 12 low, 1 informational open; 3 images over the thresholds; 3 new, 2 fixed this period.",
    );
  });
});

describe("all clear and empty ledger", () => {
  it("says all clear when nothing is open, with the change and what was fixed", () => {
    const email = renderEmailDigest(allClearDigest());
    expect(email.subject).toBe("[ecr-scan-reporter] Weekly digest: all clear in 5 images (^team-a/)");
    expect(email.html).toContain("<strong>All clear.</strong> No open findings in the 5 images in use.");
    expect(email.html).not.toContain("over the thresholds");
    expect(email.text).toContain("All clear: no open findings in the 5 images in use.");
    expect(email.text).toContain("  HIGH     0 (−1)");
    expect(email.text).toContain("Fixed this period: 1 finding\n- CVE-2024-2511 [HIGH]");
    expectMailSafe(email.html);
    // Zero counts draw only the grey track.
    expect(barCells(email.html)).toEqual([]);
    expect(trackWidths(email.html)).toEqual([100, 100, 100, 100]);
  });

  it("says the ledger knows nothing yet for an empty ledger, never all clear", () => {
    const email = renderEmailDigest(emptyLedgerDigest());
    expect(email.subject).toBe("[ecr-scan-reporter] Weekly digest: no findings recorded yet (^team-a/)");
    expect(email.html).toContain(
      "<strong>No findings recorded yet.</strong> The findings ledger knows nothing yet",
    );
    expect(email.html).not.toMatch(/All clear\./);
    expect(email.text).not.toContain("All clear");
    expect(email.text).toContain("Coverage: no scheduled scan run recorded yet for these repositories.");
    expect(email.text).not.toContain("New this period");
    expectMailSafe(email.html);
  });

  it("names the first severity found when nothing CRITICAL or HIGH is open", () => {
    const digest = sampleDigest({
      open: { ...sampleDigest().open, counts: countsOf({ MEDIUM: 4, LOW: 2 }) },
    });
    expect(renderEmailDigest(digest).subject).toBe(
      "[ecr-scan-reporter] Weekly digest: 4 MEDIUM open in 14 images, 2 known exploited (KEV), 1 overdue (^team-a/)",
    );
  });
});

describe("hostile digest text", () => {
  const digest = hostileDigest();
  const email = renderEmailDigest(digest);

  it("keeps the subject one header-safe line", () => {
    expect(email.subject).not.toMatch(CONTROL_CHARACTERS);
    expect(email.subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
    expect(email.subject).toBe(
      "[ecr-scan-reporter] Weekly digest: 2 CRITICAL, 9 HIGH open in 14 images, 1 known exploited (KEV), 1 overdue (^team-<!channel>/)",
    );
  });

  it("never lets digest text become markup or a link", () => {
    expectMailSafe(email.html);
    expect(email.html).not.toMatch(/<script|<!--|<!channel|<@U/i);
    expect(email.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(email.html).toContain("&lt;!-- hidden --&gt;");
    expect(email.html).toContain("CVE-2099-0001 &lt;!here&gt;");
    expect(email.html).toContain("team-a/api:&lt;@U024BE7LH&gt;");
    expect(email.html).toContain("team-a/api:v1 X-Injected: yes");
    // The only links are the console URLs of the digest, never one from a package name or an id.
    expect(hrefs(email.html)).toEqual([digest.overThresholds.top[0]?.consoleUrl, digest.consoleUrl]);
    expect(email.html).toContain("…and 24 more images over the thresholds.");
  });

  it("keeps control characters and line breaks out of every line of text", () => {
    for (const line of email.text.split("\n")) expect(line).not.toMatch(CONTROL_CHARACTERS);
    expect(email.text).toContain("1. team-a/api:v1 X-Injected: yes (+1 tag)");
  });
});

describe("a big digest", () => {
  it("lists 25 long-named images, each with its bar, and stays far under Gmail's clipping size", () => {
    const images = Array.from({ length: 25 }, (_, i) => longImage(i + 1));
    const email = renderEmailDigest(sampleDigest({ overThresholds: { total: 30, top: images } }));
    expectMailSafe(email.html);
    expect(email.text).toContain("25. team-a/very-long-repository-name-");
    expect(email.text).toContain("…and 5 more images over the thresholds.");
    // Each image's bar: its three segments (critical, high, medium).
    expect(barCells(email.html)).toHaveLength(5 + 25 * 3);
    expect(Buffer.byteLength(email.html)).toBeLessThan(102_000);
  });
});

describe("barWidths", () => {
  it("gives each value its whole share of the scale, adding up to the rounded total", () => {
    expect(barWidths([2], 31)).toEqual([6]);
    expect(barWidths([12], 31)).toEqual([39]);
    expect(barWidths([1, 3, 7], 26)).toEqual([4, 11, 27]);
    expect(barWidths([1, 1, 1], 3)).toEqual([34, 33, 33]);
  });

  it("shows a tiny value as 1 percent, and never goes past 100", () => {
    expect(barWidths([1, 999], 1000)).toEqual([1, 99]);
    expect(barWidths([1, 1000], 1000)).toEqual([1, 99]);
    expect(barWidths([0, 5], 5)).toEqual([0, 100]);
    expect(barWidths([0, 0], 0)).toEqual([0, 0]);
  });
});

describe("digest templates", () => {
  it("can be replaced inline like the report templates", () => {
    const email = renderEmailDigest(sampleDigest(), {
      templates: { "email/digest-subject.hbs": "Digest {{start}}: {{open.subjectCounts}}" },
    });
    expect(email.subject).toBe("Digest 2026-11-23: 2 CRITICAL, 9 HIGH");
  });

  it("fail when the reporter is created if a replacement does not render", () => {
    expect(() =>
      createReporter({ ...BASE_OPTIONS, templates: { "email/digest.txt.hbs": "{{nosuchhelper title}}" } }),
    ).toThrow(/email\/digest\.txt\.hbs/);
  });
});

describe("the plugin's digest", () => {
  it("implements contract v2 and previews the digest as HTML, text and .eml", () => {
    expect(emailReporter.contractVersion).toBe(2);
    const { deps } = testDeps();
    const options = emailReporter.optionsSchema.parse(BASE_OPTIONS);
    const files = emailReporter.previewDigest?.(sampleDigest(), options, deps) ?? [];
    expect(files.map((f) => f.name)).toEqual(["email-digest.html", "email-digest.txt", "email-digest.eml"]);
    const expected = renderEmailDigest(sampleDigest());
    expect(files[0]?.content).toBe(expected.html);
    expect(files[1]?.content).toBe(expected.text);
    expect(files[2]?.content).toContain(`Subject: ${expected.subject}\r\n`);
    expect(files[2]?.content).toContain("Content-Type: multipart/alternative");
  });

  it("digest() sends one e-mail, from the reports' sender to their recipients, and answers sent", async () => {
    const { reporter } = createReporter({
      ...BASE_OPTIONS,
      cc: "audit@acme.example",
      configurationSet: "ecr",
    });
    const digest: Digest = sampleDigest();

    const outcome = await reporter.digest?.(digest, CTX);

    expect(outcome).toEqual({
      status: "sent",
      ref: MESSAGE_ID,
      detail: "digest 2026-11-30T08:00Z, 2 recipient(s)",
    });
    const expected = renderEmailDigest(digest);
    expect(sesMock.commandCalls(SendEmailCommand).map((call) => call.args[0].input)).toEqual([
      {
        FromEmailAddress: "ECR scans <scans@acme.example>",
        Destination: { ToAddresses: ["sec@acme.example"], CcAddresses: ["audit@acme.example"] },
        ConfigurationSetName: "ecr",
        Content: {
          Simple: {
            Subject: { Data: expected.subject, Charset: "UTF-8" },
            Body: {
              Html: { Data: expected.html, Charset: "UTF-8" },
              Text: { Data: expected.text, Charset: "UTF-8" },
            },
          },
        },
      },
    ]);
  });

  it("fails with a ReporterError naming the digest and what to do", async () => {
    sesMock
      .on(SendEmailCommand)
      .rejects(Object.assign(new Error("Email address is not verified."), { name: "MessageRejected" }));
    const { reporter } = createReporter();
    const error = await reporter.digest?.(sampleDigest(), CTX).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReporterError);
    expect((error as Error).message).toContain(
      "SES SendEmail of the digest 2026-11-30T08:00Z from scans@acme.example failed",
    );
    expect((error as Error).message).toContain("every recipient must be a verified identity");
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  sesMock.restore();
});
