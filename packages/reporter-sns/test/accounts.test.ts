import {
  HOSTILE_ACCOUNT_NAME,
  memberAccountReport,
  multiAccountDigest,
  sampleDigest,
  sampleReport,
} from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import {
  buildSubject,
  planDigestPublish,
  planPublish,
  SNS_SUBJECT_MAX_LENGTH,
  snsOptionsSchema,
} from "../src/index.js";

// [8/8]: a report says which account its image is in; a subject does when the configuration names the account.

const OPTIONS = snsOptionsSchema.parse({
  topicArn: "arn:aws:sns:eu-west-1:123456789012:ecr-findings",
  messageStructure: "json",
});
const NOW = new Date("2026-11-30T08:00:00.000Z");

describe("a report of a named account", () => {
  const plan = planPublish(memberAccountReport(), OPTIONS, { now: NOW });

  it("names the account in the subject, after the image", () => {
    expect(plan.input.Subject).toBe("[ecr-scan-reporter] CRITICAL team-a/api:v1.4.2 (prod)");
  });

  it("names the account and its id in both texts, and carries the id in the `account` attribute", () => {
    expect(plan.message.body.default).toContain("Account: prod (111111111111)\n");
    expect(plan.message.body.email).toContain("Account:    prod (111111111111) (eu-west-1)");
    expect(plan.input.MessageAttributes?.account).toEqual({
      DataType: "String",
      StringValue: "111111111111",
    });
  });

  it("keeps a long image readable and the account whole within SNS's 99 characters", () => {
    const subject = buildSubject(
      "[ecr-scan-reporter]",
      "CRITICAL",
      `team-a/${"very-long-repository-name-".repeat(5)}service:v1.2.3`,
      "production-eu",
    );
    expect(subject.length).toBeLessThanOrEqual(SNS_SUBJECT_MAX_LENGTH);
    expect(subject).toMatch(
      /^\[ecr-scan-reporter\] CRITICAL team-a\/very-long.*\.\.\..*:v1\.2\.3 \(production-eu\)$/,
    );
  });
});

describe("a report without an account name (one account, or an unnamed entry)", () => {
  const plan = planPublish(sampleReport(), OPTIONS, { now: NOW });

  it("keeps the subject as before and shows the account id in the texts", () => {
    expect(plan.input.Subject).toBe("[ecr-scan-reporter] CRITICAL team-a/api:v1.4.2");
    expect(plan.message.body.default).toContain("Account: 123456789012\n");
    expect(plan.message.body.email).toContain("Account:    123456789012 (eu-west-1)");
  });
});

describe("a hostile account name", () => {
  const plan = planPublish(memberAccountReport({ accountName: HOSTILE_ACCOUNT_NAME }), OPTIONS, { now: NOW });

  it("never breaks the subject's line: ASCII, one line", () => {
    expect(plan.input.Subject).not.toMatch(/[\r\n]/);
    expect(plan.input.Subject).toBe(
      '[ecr-scan-reporter] CRITICAL team-a/api:v1.4.2 (<b>&"x" Bcc: victim@example.com)',
    );
  });

  it("stays on its line in the texts: no header or line can be injected", () => {
    for (const text of [plan.message.body.default, plan.message.body.email]) {
      expect(text).toContain('<b>&"x" Bcc: victim@example.com (111111111111)');
      expect(text).not.toMatch(/^Bcc:/m);
    }
  });
});

describe("a digest of several accounts", () => {
  const plan = planDigestPublish(multiAccountDigest(), OPTIONS);
  const body = JSON.parse(plan.input.Message) as { default: string; email: string };

  it("gives each account its own line, name and id, in both texts", () => {
    for (const text of [body.default, body.email]) {
      expect(text).toContain("By account:\n- hub (123456789012): 4 medium in 1 of 3 images\n");
      expect(text).toContain(
        "- prod (111111111111): 2 critical, 5 high, 20 medium, 8 low, 1 informational in 6 of 7 images; 2 over the thresholds; 1 not reported on yet\n",
      );
      expect(text).toContain(
        "- 222222222222: 4 high, 7 medium, 4 low in 4 of 4 images; 1 over the thresholds\n",
      );
    }
    expect(body.email).toContain("Accounts: 4 (region eu-west-1)");
  });

  it("shows an account that could not be read as not reachable, its reason cleaned to one line, instead of its counts", () => {
    const digest = multiAccountDigest();
    const accounts = (digest.accounts ?? []).map((account) =>
      account.unreachable === undefined ? account : { ...account, unreachable: HOSTILE_ACCOUNT_NAME },
    );
    const hostile = JSON.parse(planDigestPublish({ ...digest, accounts }, OPTIONS).input.Message) as {
      default: string;
      email: string;
    };
    for (const text of [hostile.default, hostile.email]) {
      expect(text).toContain('- legacy (444444444444): not reachable: <b>&"x" Bcc: victim@example.com\n');
      expect(text).not.toContain("legacy (444444444444): no open findings");
      expect(text).not.toMatch(/^Bcc:/m);
    }
    expect(body.email).toContain(
      "- legacy (444444444444): not reachable: AccountUnreachableError: cannot assume arn:aws:iam::444444444444:role/ecr-scan-reporter-member",
    );
  });

  it("labels each image and reference with its account: one repository name in two accounts stays two", () => {
    expect(body.email).toContain("1. team-a/api:v1.4.2 (prod)\n");
    expect(body.email).toContain("2. team-a/api:v1.4.2 (222222222222)\n");
    expect(body.default).toContain("- team-a/api:v1.4.2 (prod): 1 critical, 3 high, 7 medium\n");
    expect(body.email).toContain(": team-a/api:v1.4.2 (222222222222), team-a/api:v1.4.2 (prod)");
  });

  it("says which accounts a route is narrowed to", () => {
    const narrowed = planDigestPublish(
      { ...multiAccountDigest(), route: { reporterId: "sns", accounts: ["prod", "222222222222"] } },
      OPTIONS,
    );
    const email = (JSON.parse(narrowed.input.Message) as { email: string }).email;
    expect(email).toContain(
      "Scope:   all repositories of the accounts prod, 222222222222; findings of every severity",
    );
  });

  it("of one account stays as it was: no account section, the account line", () => {
    const single = JSON.parse(planDigestPublish(sampleDigest(), OPTIONS).input.Message) as { email: string };
    expect(single.email).not.toContain("By account:");
    expect(single.email).toContain("Account: 123456789012 (eu-west-1)");
  });

  it("cleans a hostile account name to one line", () => {
    const hostile = JSON.parse(
      planDigestPublish(multiAccountDigest(HOSTILE_ACCOUNT_NAME), OPTIONS).input.Message,
    ) as {
      email: string;
    };
    expect(hostile.email).toContain('- <b>&"x" Bcc: victim@example.com (111111111111): ');
    expect(hostile.email).not.toMatch(/^Bcc:/m);
  });
});
