import {
  failedScanReport,
  HOSTILE_ACCOUNT_NAME,
  memberAccountReport,
  multiAccountDigest,
  sampleDigest,
  sampleReport,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import {
  buildSendEmailInput,
  emailOptionsSchema,
  renderEmail,
  renderEmailDigest,
  toEml,
} from "../src/index.js";

// [8/8]: a report says which account its image is in; the subject does when the configuration names the account.

describe("a report of a named account", () => {
  const email = renderEmail(memberAccountReport());

  it("names the account in the subject, after the image", () => {
    expect(email.subject).toMatch(/^\[ecr-scan-reporter\] CRITICAL in team-a\/api:v1\.4\.2 \(prod\) — /);
  });

  it("shows the name and the id in both bodies", () => {
    expect(email.text).toContain("Account:    prod (111111111111) (eu-west-1)");
    expect(email.html).toContain(">prod (111111111111) (eu-west-1)</td>");
  });

  it("names the account of a failed scan's subject too", () => {
    const failed = renderEmail({ ...failedScanReport(), account: "111111111111", accountName: "prod" });
    expect(failed.subject).toBe("[ecr-scan-reporter] Scan FAILED for team-a/api:scratch-build (prod)");
  });
});

describe("a report without an account name", () => {
  it("keeps the subject as before; the bodies show the id", () => {
    const email = renderEmail(sampleReport());
    expect(email.subject).not.toContain("(");
    expect(email.text).toContain("Account:    123456789012 (eu-west-1)");
  });
});

describe("a hostile account name", () => {
  const email = renderEmail(memberAccountReport({ accountName: HOSTILE_ACCOUNT_NAME }));

  it("cannot add a header: the subject stays one line, and so does the message's Subject header", () => {
    expect(email.subject).not.toMatch(/[\r\n]/);
    expect(email.subject).toContain('(<b>&"x" Bcc: victim@example.com)');
    const options = emailOptionsSchema.parse({ from: "scanner@example.com", to: ["team@example.com"] });
    const eml = toEml(buildSendEmailInput(email, options), new Date("2026-11-30T08:00:00Z"));
    expect(eml).not.toMatch(/^Bcc:/im);
  });

  it("is escaped in the HTML body and kept on one line in the text body", () => {
    expect(email.html).toContain("&lt;b&gt;&amp;&quot;x&quot; Bcc: victim@example.com (111111111111)");
    expect(email.html).not.toContain("<b>&");
    expect(email.text).toContain('Account:    <b>&"x" Bcc: victim@example.com (111111111111) (eu-west-1)');
    expect(email.text).not.toMatch(/^Bcc:/m);
  });
});

describe("a digest of several accounts", () => {
  const email = renderEmailDigest(multiAccountDigest());

  it("lists each account with its own picture, in both bodies", () => {
    expect(email.text).toContain(
      "By account:\n- hub (123456789012): 4 medium in 1 of 3 images\n" +
        "- prod (111111111111): 2 critical, 5 high, 20 medium, 8 low, 1 informational in 6 of 7 images; 2 over the thresholds; 1 not reported on yet\n" +
        "- 222222222222: 4 high, 7 medium, 4 low in 4 of 4 images; 1 over the thresholds\n" +
        "- legacy (444444444444): not reachable: AccountUnreachableError: cannot assume arn:aws:iam::444444444444:role/ecr-scan-reporter-member",
    );
    expect(email.text).toContain("Accounts: 4 (eu-west-1)");
    expect(email.html).toContain(">By account</div>");
    expect(email.html).toContain(">prod (111111111111)</td>");
  });

  it("labels each image and reference with its account", () => {
    expect(email.text).toContain("1. team-a/api:v1.4.2 (prod)\n");
    expect(email.text).toContain("2. team-a/api:v1.4.2 (222222222222)\n");
    expect(email.text).toContain("team-a/api:v1.4.2 (222222222222), team-a/api:v1.4.2 (prod)");
    expect(email.html).toContain('<span style="color:#5e6c84;">(prod)</span>');
  });

  it("says which accounts a route is narrowed to", () => {
    const narrowed = renderEmailDigest({
      ...multiAccountDigest(),
      route: { reporterId: "email", accounts: ["prod"] },
    });
    expect(narrowed.text).toContain("Route:   email (all repositories), accounts prod\n");
    expect(narrowed.html).toContain("Route email: all repositories, accounts prod");
  });

  it("of one account stays as it was", () => {
    const single = renderEmailDigest(sampleDigest());
    expect(single.text).not.toContain("By account");
    expect(single.text).toContain("Account: 123456789012 (eu-west-1)");
  });

  it("shows an account that could not be read as not reachable, with its reason escaped, instead of its counts", () => {
    const digest = multiAccountDigest();
    const accounts = (digest.accounts ?? []).map((account) =>
      account.unreachable === undefined ? account : { ...account, unreachable: HOSTILE_ACCOUNT_NAME },
    );
    const hostile = renderEmailDigest({ ...digest, accounts });
    expect(hostile.text).toContain(
      '- legacy (444444444444): not reachable: <b>&"x" Bcc: victim@example.com\n',
    );
    expect(hostile.text).not.toMatch(/legacy \(444444444444\): no open findings/);
    expect(hostile.text).not.toMatch(/^Bcc:/m);
    expect(hostile.html).toContain(
      '>legacy (444444444444)</td><td style="padding:4px 0;border-bottom:1px solid #ebecf0;color:#5e6c84;word-break:break-word;">' +
        '<strong style="color:#c43e00;">not reachable</strong>: &lt;b&gt;&amp;&quot;x&quot; Bcc: victim@example.com</td>',
    );
    expect(hostile.html).not.toContain("<b>&");
  });

  it("escapes a hostile account name in the HTML and keeps it on one line in the text", () => {
    const hostile = renderEmailDigest(multiAccountDigest(HOSTILE_ACCOUNT_NAME));
    expect(hostile.html).toContain("&lt;b&gt;&amp;&quot;x&quot; Bcc: victim@example.com (111111111111)");
    expect(hostile.html).not.toContain("<b>&");
    expect(hostile.text).not.toMatch(/^Bcc:/m);
  });
});
