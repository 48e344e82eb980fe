import { GetAccountCommand, GetEmailIdentityCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { BASE_OPTIONS, createReporter } from "./support.js";

// verify() in an account in the SES sandbox: the recipients it names, and those it could not ask about. The
// warning's main case (and what SES then does) is in email-reporter.test.ts and ses-sandbox.e2e.test.ts.

const sesMock = mockClient(SESv2Client);

beforeEach(() => {
  sesMock.reset();
});

describe("verify() in the SES sandbox", () => {
  it("in the SES sandbox, says nothing is wrong when every recipient is verified", async () => {
    sesMock.on(GetEmailIdentityCommand).resolves({ VerifiedForSendingStatus: true });
    sesMock.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false });
    const { reporter, logs } = createReporter({ ...BASE_OPTIONS, cc: "audit@acme.example" });
    await reporter.verify?.();
    expect(logs.filter((l) => l.level === "warn")).toEqual([]);
    expect(logs.map((l) => l.message)).toContain(
      "SES account is in the sandbox; every recipient is a verified identity",
    );
  });

  it("in the SES sandbox, names the recipients SES would not say about when it may not ask", async () => {
    sesMock
      .on(GetEmailIdentityCommand)
      .rejects(Object.assign(new Error("not authorized"), { name: "AccessDeniedException" }));
    sesMock
      .on(GetEmailIdentityCommand, { EmailIdentity: "acme.example" })
      .resolves({ VerifiedForSendingStatus: true });
    sesMock.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false });
    const { reporter, logs } = createReporter({ ...BASE_OPTIONS, to: ["sec@partner.example"] });
    await expect(reporter.verify?.()).resolves.toBeUndefined();
    const warnings = logs.filter((l) => l.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain("no ses:GetEmailIdentity on them): sec@partner.example");
    expect(warnings[0]?.extra).toEqual({ recipients: ["sec@partner.example"], region: "eu-west-1" });
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  sesMock.restore();
});
