import {
  HOSTILE_ACCOUNT_NAME,
  memberAccountReport,
  multiAccountDigest,
  sampleDigest,
  sampleReport,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { renderSlackDigest, renderSlackMessage, type SlackMessage } from "../src/index.js";

// [8/8]: a report says which account its image is in; the header and the notification text do when the
// configuration names the account.

const NOW = { now: new Date("2026-11-30T08:00:00.000Z") };

function blockText(message: SlackMessage, blockId: string): string {
  const block = message.blocks.find((candidate) => candidate.block_id === blockId) as
    | { text?: { text: string }; elements?: { text: string }[] }
    | undefined;
  return block?.text?.text ?? block?.elements?.[0]?.text ?? "";
}

describe("a report of a named account", () => {
  const message = renderSlackMessage(memberAccountReport(), {}, undefined, NOW);

  it("names the account in the header and the notification text", () => {
    expect(blockText(message, "header")).toBe("team-a/api:v1.4.2 (prod)");
    expect(message.text).toMatch(/^team-a\/api:v1\.4\.2 \(prod\): /);
  });

  it("shows the name and the id in the footer's context line", () => {
    expect(blockText(message, "footer")).toContain(" · prod (111111111111) eu-west-1");
  });

  it("names it in the back-within-thresholds notice too", () => {
    const notice = renderSlackMessage(memberAccountReport(), {}, undefined, {
      ...NOW,
      backWithinThresholds: true,
    });
    expect(notice.text).toBe("Back within thresholds: team-a/api:v1.4.2 (prod)");
    expect(blockText(notice, "back-within")).toContain(
      "*team-a/api:v1.4.2* (prod) is back within the thresholds",
    );
  });
});

describe("a report without an account name", () => {
  it("keeps the header and text as before; the footer shows the id", () => {
    const message = renderSlackMessage(sampleReport(), {}, undefined, NOW);
    expect(blockText(message, "header")).toBe("team-a/api:v1.4.2");
    expect(message.text).toMatch(/^team-a\/api:v1\.4\.2: /);
    expect(blockText(message, "footer")).toContain(" · 123456789012 eu-west-1");
  });
});

describe("a hostile account name", () => {
  const message = renderSlackMessage(
    memberAccountReport({ accountName: HOSTILE_ACCOUNT_NAME }),
    {},
    undefined,
    NOW,
  );

  it("is escaped for mrkdwn in the text and the footer, on one line", () => {
    const escaped = '&lt;b&gt;&amp;"x" Bcc: victim@example.com';
    expect(message.text).toContain(`(${escaped})`);
    expect(blockText(message, "footer")).toContain(`${escaped} (111111111111)`);
    for (const text of [message.text, blockText(message, "footer")]) {
      expect(text).not.toContain("<b>");
      expect(text).not.toMatch(/[\r\n]/);
    }
  });

  it("is plain text in the header (Slack does not parse it), on one line", () => {
    expect(blockText(message, "header")).toBe('team-a/api:v1.4.2 (<b>&"x" Bcc: victim@example.com)');
  });
});

describe("a digest of several accounts", () => {
  const message = renderSlackDigest(multiAccountDigest());

  it("has a section with each account's picture, names and ids", () => {
    expect(blockText(message, "digest-accounts")).toBe(
      "*By account*\n" +
        "• *hub (123456789012)*: 4 medium in 1 of 3 images\n" +
        "• *prod (111111111111)*: 2 critical, 5 high, 20 medium, 8 low, 1 informational in 6 of 7 images · 2 over the thresholds · 1 not reported on yet\n" +
        "• *222222222222*: 4 high, 7 medium, 4 low in 4 of 4 images · 1 over the thresholds\n" +
        // Its reason, cut to keep the line short (the whole is in the function's log).
        "• *legacy (444444444444)*: not reachable: AccountUnreachableError: cannot assume arn:aws:iam::444444444444:role/ecr-scan-reporter-member for account 444444444444: AccessDenied: User: arn:aws:…",
    );
  });

  it("shows an account that could not be read as not reachable, with its reason escaped, instead of its counts", () => {
    const digest = multiAccountDigest();
    const accounts = (digest.accounts ?? []).map((account) =>
      account.unreachable === undefined
        ? account
        : { ...account, unreachable: "<!channel> *denied* <https://x|y>" },
    );
    const section = blockText(renderSlackDigest({ ...digest, accounts }), "digest-accounts");
    expect(section).toContain(
      "• *legacy (444444444444)*: not reachable: &lt;!channel&gt; *denied* &lt;https://x|y&gt;",
    );
    expect(section).not.toContain("<!channel>");
    expect(section).not.toContain("legacy (444444444444)*: no open findings");
  });

  it("labels each image and reference with its account: one repository name in two accounts stays two", () => {
    const images = blockText(message, "digest-images-1");
    expect(images).toMatch(/\|team-a\/api:v1\.4\.2>\* \(prod\) · /);
    expect(images).toMatch(/\|team-a\/api:v1\.4\.2>\* \(222222222222\) · /);
    expect(blockText(message, "digest-new")).toContain(
      "team-a/api:v1.4.2 (222222222222), team-a/api:v1.4.2 (prod)",
    );
  });

  it("says in the footer which accounts a route is narrowed to", () => {
    const narrowed = renderSlackDigest({
      ...multiAccountDigest(),
      route: { reporterId: "slack", accounts: ["prod"] },
    });
    expect(blockText(narrowed, "digest-footer")).toContain("route slack · accounts prod ·");
  });

  it("of one account has no account section", () => {
    expect(renderSlackDigest(sampleDigest()).blocks.map((block) => block.block_id)).not.toContain(
      "digest-accounts",
    );
  });

  it("escapes a hostile account name", () => {
    const hostile = renderSlackDigest(multiAccountDigest(HOSTILE_ACCOUNT_NAME));
    expect(blockText(hostile, "digest-accounts")).toContain(
      '• *&lt;b&gt;&amp;"x" Bcc: victim@example.com (111111111111)*: ',
    );
    expect(blockText(hostile, "digest-images-1")).toContain(
      '* (&lt;b&gt;&amp;"x" Bcc: victim@example.com) · ',
    );
    expect(JSON.stringify(hostile.blocks)).not.toContain("<b>");
  });
});
