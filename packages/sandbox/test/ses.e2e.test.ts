import { GetAccountCommand, SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index.js";

// The sandbox's SES v2 refuses what SES refuses, through the real SDK client: at most 50 recipients a message
// (SES quotas), senders and — in the SES sandbox — recipients that no verified identity covers.

let sandbox: Sandbox;
let ses: SESv2Client;

beforeEach(async () => {
  sandbox = await startSandbox();
  sandbox.ses.verifyIdentity("acme.example");
  ses = new SESv2Client({
    region: "eu-west-1",
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    maxAttempts: 1,
  });
});
afterEach(async () => {
  ses.destroy();
  await sandbox.close();
});

const email = (to: string[], extra: { cc?: string[]; bcc?: string[]; from?: string } = {}) =>
  new SendEmailCommand({
    FromEmailAddress: extra.from ?? "scans@acme.example",
    Destination: { ToAddresses: to, CcAddresses: extra.cc, BccAddresses: extra.bcc },
    Content: { Simple: { Subject: { Data: "s" }, Body: { Text: { Data: "t" } } } },
  });
const addresses = (n: number, domain = "partner.example") =>
  Array.from({ length: n }, (_, i) => `r${i}@${domain}`);
const failure = (command: SendEmailCommand) =>
  ses.send(command).then(
    () => undefined,
    (error: Error) => ({ name: error.name, message: error.message }),
  );

describe("the sandbox's SES v2 SendEmail", () => {
  it("takes 50 recipients across To, CC and BCC, and refuses 51 with BadRequestException", async () => {
    await ses.send(
      email(addresses(30), { cc: addresses(10, "cc.example"), bcc: addresses(10, "bcc.example") }),
    );
    expect(sandbox.ses.sent).toHaveLength(1);
    expect(await failure(email(addresses(30), { cc: addresses(10), bcc: addresses(11) }))).toEqual({
      name: "BadRequestException",
      message: "Recipient count exceeds 50.",
    });
    expect(sandbox.ses.sent).toHaveLength(1);
  });

  it("has production access by default: any recipient, GetAccount says so", async () => {
    await ses.send(email(["someone@partner.example"]));
    expect(sandbox.ses.sent).toHaveLength(1);
    expect(await ses.send(new GetAccountCommand({}))).toMatchObject({ ProductionAccessEnabled: true });
  });

  it("in the SES sandbox, sends only to verified identities and the mailbox simulator", async () => {
    sandbox.ses.productionAccess = false;
    expect(await ses.send(new GetAccountCommand({}))).toMatchObject({
      ProductionAccessEnabled: false,
      SendQuota: { Max24HourSend: 200, MaxSendRate: 1 },
    });
    expect(
      await failure(email(["sec@acme.example", "a@partner.example"], { cc: ["Ops <ops@partner.example>"] })),
    ).toEqual({
      name: "MessageRejected",
      message:
        "Email address is not verified. The following identities failed the check in region EU-WEST-1: " +
        "a@partner.example, Ops <ops@partner.example>",
    });
    // A verified domain covers its addresses and subdomains; the simulator needs no verification.
    await ses.send(email(["sec@acme.example", "team@mail.acme.example", "success@simulator.amazonses.com"]));
    sandbox.ses.verifyIdentity("a@partner.example");
    await ses.send(email(["a@partner.example"]));
    expect(sandbox.ses.sent).toHaveLength(2);
  });

  it("refuses a sender no verified identity covers, naming it", async () => {
    expect(await failure(email(["sec@acme.example"], { from: "Scans <scans@other.example>" }))).toEqual({
      name: "MessageRejected",
      message:
        "Email address is not verified. The following identities failed the check in region EU-WEST-1: " +
        "Scans <scans@other.example>",
    });
  });
});
