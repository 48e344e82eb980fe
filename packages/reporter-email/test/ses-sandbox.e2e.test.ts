import { hostileReport, overThresholdReport, recordingAwsClient } from "@ecr-scan-reporter/core/testing";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

  function reporterFrom(from: string) {
    const { awsClient } = recordingAwsClient({
      region: "eu-west-1",
      endpoint: sandbox.endpoint,
      credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    });
    const { deps, logs } = emailDeps({ awsClient });
    const options = emailReporter.optionsSchema.parse({
      from,
      to: ["sec@acme.example", "Team A <team-a@acme.example>"],
      cc: "audit@acme.example",
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
});
