import { hostileReport, overThresholdReport, recordingAwsClient } from "@ecr-scan-reporter/core/testing";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { emailReporter, renderEmail } from "../src/index.js";
import { CTX, emailDeps } from "./support.js";

// The real SDK client over the wire to the sandbox's SES v2: the request is serialized as AWS would receive it.
describe("on the sandbox's SES v2", () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox();
    sandbox.ses.verifyIdentity("acme.example");
  });
  afterAll(async () => {
    await sandbox?.close();
  });
  afterEach(() => {
    sandbox.ses.productionAccess = true;
  });

  function reporterFrom(from: string, recipients: { to?: string[]; cc?: string[] } = {}) {
    const { awsClient } = recordingAwsClient({
      region: "eu-west-1",
      endpoint: sandbox.endpoint,
      credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    });
    const { deps, logs } = emailDeps({ awsClient });
    const options = emailReporter.optionsSchema.parse({
      from,
      to: recipients.to ?? ["sec@acme.example", "Team A <team-a@acme.example>"],
      cc: recipients.cc ?? "audit@acme.example",
      configurationSet: "ecr-scan-events",
    });
    return { reporter: emailReporter.create(options, deps), logs };
  }

  it("verifies a sender of a verified domain and sends the rendered e-mail", async () => {
    const { reporter } = reporterFrom("Sécurité ECR <scans@acme.example>");
    await expect(reporter.verify?.()).resolves.toBeUndefined();

    const before = sandbox.ses.sent.length;
    const outcome = await reporter.report(hostileReport(), CTX);
    const sent = sandbox.ses.sent.slice(before);
    expect(sent).toHaveLength(1);
    const expected = renderEmail(hostileReport());
    expect(sent[0]).toMatchObject({
      messageId: outcome.ref,
      from: "=?UTF-8?B?U8OpY3VyaXTDqSBFQ1I=?= <scans@acme.example>",
      to: ["sec@acme.example", "Team A <team-a@acme.example>"],
      cc: ["audit@acme.example"],
      subject: expected.subject,
      html: expected.html,
      text: expected.text,
      configurationSet: "ecr-scan-events",
    });
    expect(outcome.status).toBe("sent");
  });

  it("fails verify() for a sender SES does not know, and SES itself refuses to send from it", async () => {
    const { reporter } = reporterFrom("scans@unverified.example");
    await expect(reporter.verify?.()).rejects.toThrow(
      /SES cannot send from scans@unverified\.example: .*unverified\.example: no such identity/,
    );
    await expect(reporter.report(overThresholdReport(), CTX)).rejects.toThrow(/MessageRejected/);
  });

  it("in an account in the SES sandbox, warns at cold start naming the unverified recipients SES then refuses", async () => {
    sandbox.ses.productionAccess = false;
    const { reporter, logs } = reporterFrom("scans@acme.example", {
      to: ["sec@acme.example", "ops@partner.example"],
      cc: ["Audit <audit@acme.example>"],
    });
    await expect(reporter.verify?.()).resolves.toBeUndefined();
    const warnings = logs.filter((l) => l.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain("SES account is in the sandbox in eu-west-1");
    expect(warnings[0]?.message).toContain("(ops@partner.example)");
    expect(warnings[0]?.message).toContain("or request production access");
    expect(warnings[0]?.extra).toEqual({ recipients: ["ops@partner.example"], region: "eu-west-1" });

    // What the warning announced: SES refuses the e-mail, and the reporter's error says why.
    const error = (await reporter.report(overThresholdReport(), CTX).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain(
      "MessageRejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: ops@partner.example",
    );
    expect(error.message).toContain("verify them, or request production access");

    sandbox.ses.verifyIdentity("partner.example");
    const after = reporterFrom("scans@acme.example", { to: ["ops@partner.example"], cc: [] });
    await after.reporter.verify?.();
    expect(after.logs.filter((l) => l.level === "warn")).toEqual([]);
    await expect(after.reporter.report(overThresholdReport(), CTX)).resolves.toMatchObject({
      status: "sent",
    });
  });

  it("sends to 50 recipients, the most SES takes, and its options refuse a 51st before SES would", async () => {
    const many = (n: number, domain: string) => Array.from({ length: n }, (_, i) => `r${i}@${domain}`);
    const { reporter } = reporterFrom("scans@acme.example", {
      to: many(30, "acme.example"),
      cc: many(20, "cc.acme.example"),
    });
    const before = sandbox.ses.sent.length;
    await expect(reporter.report(overThresholdReport(), CTX)).resolves.toMatchObject({
      status: "sent",
      detail: expect.stringContaining("50 recipient(s)"),
    });
    expect(sandbox.ses.sent.slice(before)[0]?.cc).toHaveLength(20);
    const tooMany = emailReporter.optionsSchema.safeParse({
      from: "scans@acme.example",
      to: many(30, "acme.example"),
      cc: many(21, "cc.acme.example"),
    });
    expect(tooMany.error?.issues.map((i) => i.message)).toContain(
      "to and cc together list 51 addresses; SES sends to at most 50 per message",
    );
  });
});
