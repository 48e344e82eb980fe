import {
  GetAccountCommand,
  GetEmailIdentityCommand,
  MessageRejected,
  NotFoundException,
  SESv2Client,
  SendEmailCommand,
} from "@aws-sdk/client-sesv2";
import {
  type AnyReporterPlugin,
  ConfigError,
  dispatchReport,
  loadReporters,
  type ReporterEntry,
  ReporterError,
} from "@ecr-scan-reporter/core";
import {
  cleanReport,
  failedScanReport,
  hostileReport,
  overThresholdReport,
  recordingLogger,
  untaggedReport,
} from "@ecr-scan-reporter/core/testing";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import emailReporterDefault, { emailReporter, renderEmail, senderIdentityCandidates } from "../src/index.js";
import { BASE_OPTIONS, CTX, createReporter, emailDeps } from "./support.js";

const sesMock = mockClient(SESv2Client);
const MESSAGE_ID = "0102018f3b2d4c1e-5a6b7c8d-1234-4e5f-9a0b-1c2d3e4f5a6b-000000";

beforeEach(() => {
  sesMock.reset();
  sesMock.on(SendEmailCommand).resolves({ MessageId: MESSAGE_ID });
});

function sentInputs() {
  return sesMock.commandCalls(SendEmailCommand).map((call) => call.args[0].input);
}

describe("the plugin", () => {
  it("is the package's default export, named email, receiving due reports", () => {
    expect(emailReporterDefault).toBe(emailReporter);
    expect(emailReporter.name).toBe("email");
    expect(emailReporter.receives).toBe("due");
  });

  it("asks deps for one SES v2 client", () => {
    const { clients } = createReporter();
    expect(clients).toEqual([SESv2Client]);
  });
});

describe("report(): the SES v2 SendEmail request", () => {
  it("sends one e-mail with the sender, recipients, subject and both bodies in UTF-8", async () => {
    const { reporter } = createReporter({
      from: "ECR scans <scans@acme.example>",
      to: "sec@acme.example",
      configurationSet: "ecr-scan-events",
    });
    const report = overThresholdReport();

    const outcome = await reporter.report(report, CTX);

    expect(outcome).toEqual({
      status: "sent",
      ref: MESSAGE_ID,
      detail: "5 of 5 findings listed, 1 recipient(s)",
    });
    const expected = renderEmail(report);
    expect(sentInputs()).toEqual([
      {
        FromEmailAddress: "ECR scans <scans@acme.example>",
        Destination: { ToAddresses: ["sec@acme.example"] },
        ConfigurationSetName: "ecr-scan-events",
        Content: {
          Simple: {
            Subject: {
              Data: "[ecr-scan-reporter] CRITICAL in team-a/api:v1.4.2 — 1 critical, 2 high",
              Charset: "UTF-8",
            },
            Body: {
              Html: { Data: expected.html, Charset: "UTF-8" },
              Text: { Data: expected.text, Charset: "UTF-8" },
            },
          },
        },
      },
    ]);
  });

  it("addresses several To and CC recipients and the Reply-To, with no configuration set when none is set", async () => {
    const { reporter } = createReporter({
      from: "scans@acme.example",
      to: ["sec@acme.example", "Team A <team-a@acme.example>", '"Ops, on call" <ops@acme.example>'],
      cc: "audit@acme.example",
      replyTo: ["Security desk <security@acme.example>"],
    });

    const outcome = await reporter.report(overThresholdReport(), CTX);

    expect(outcome.detail).toBe("5 of 5 findings listed, 4 recipient(s)");
    const [input] = sentInputs();
    expect(input?.FromEmailAddress).toBe("scans@acme.example");
    expect(input?.Destination).toEqual({
      ToAddresses: ["sec@acme.example", "Team A <team-a@acme.example>", '"Ops, on call" <ops@acme.example>'],
      CcAddresses: ["audit@acme.example"],
    });
    expect(input?.ReplyToAddresses).toEqual(["Security desk <security@acme.example>"]);
    expect(input).not.toHaveProperty("ConfigurationSetName");
  });

  it("sends one SendEmail per report, each with its own subject", async () => {
    const { reporter } = createReporter();
    for (const report of [overThresholdReport(), untaggedReport(), failedScanReport()]) {
      await reporter.report(report, CTX);
    }
    expect(sentInputs().map((input) => input.Content?.Simple?.Subject?.Data)).toEqual([
      "[ecr-scan-reporter] CRITICAL in team-a/api:v1.4.2 — 1 critical, 2 high",
      "[ecr-scan-reporter] HIGH in team-a/api@sha256:0a1b2c3d4e5f — 2 high",
      "[ecr-scan-reporter] Scan FAILED for team-a/api:scratch-build",
    ]);
  });

  it("puts nothing from a hostile report into a header", async () => {
    const { reporter } = createReporter();
    await reporter.report(hostileReport(), CTX);
    const [input] = sentInputs();
    const subject = input?.Content?.Simple?.Subject?.Data ?? "";
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).toBe(
      "[ecr-scan-reporter] CRITICAL in team-a/api:v1 X-Injected: yes — 1 critical, 1 high",
    );
    expect(input?.Content?.Simple?.Body?.Html?.Data).not.toMatch(/<script|<img|<[^>]*onerror=/i);
    expect(input?.Destination?.ToAddresses).toEqual(["sec@acme.example"]);
  });

  it("skips a report that is not due, sending nothing", async () => {
    const { reporter } = createReporter();
    const outcome = await reporter.report(cleanReport(), CTX);
    expect(outcome).toEqual({ status: "skipped", detail: "report not due (within-thresholds)" });
    expect(sentInputs()).toEqual([]);
  });

  it("fails with a ReporterError that names the reporter and hints at the SES sandbox when SES rejects", async () => {
    sesMock.on(SendEmailCommand).rejects(
      new MessageRejected({
        message: "Email address is not verified. The following identities failed the check: sec@acme.example",
        $metadata: {},
      }),
    );
    const { reporter } = createReporter();
    const error = await reporter.report(overThresholdReport(), { ...CTX, reporterId: "email#2" }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReporterError);
    expect((error as ReporterError).reporter).toBe("email#2");
    expect((error as Error).message).toMatch(
      /^reporter email#2: SES SendEmail from scans@acme\.example failed/,
    );
    expect((error as Error).message).toContain("identities failed the check: sec@acme.example");
    expect((error as Error).message).toContain("SES sandbox every recipient must be a verified identity");
  });
});

describe("inline and folder template overrides through the reporter", () => {
  it("sends what an inline override from the options renders", async () => {
    const { reporter } = createReporter({
      ...BASE_OPTIONS,
      templates: { "email/subject.hbs": "[{{highestSeverity}}] {{repository}}" },
    });
    await reporter.report(overThresholdReport(), CTX);
    expect(sentInputs()[0]?.Content?.Simple?.Subject?.Data).toBe("[CRITICAL] team-a/api");
  });

  it("sends what a deps.templates override renders", async () => {
    const asked: string[] = [];
    const folder = {
      override: (name: string) => {
        asked.push(name);
        return name === "email/body.txt.hbs" ? "{{countsSummary}} — see {{consoleUrl}}" : undefined;
      },
    };
    const { reporter } = createReporter(BASE_OPTIONS, folder);
    await reporter.report(overThresholdReport(), CTX);
    const text = sentInputs()[0]?.Content?.Simple?.Body?.Text?.Data ?? "";
    expect(text).toMatch(
      /^1 critical, 2 high, 1 medium, 1 low — see https:\/\/eu-west-1\.console\.aws\.amazon\.com\//,
    );
    expect(asked).toContain("email/body.html.hbs");
    expect(asked).toContain("email/partials/finding-row.hbs");
  });

  it("refuses, at creation, an override that does not compile, naming the template", () => {
    // Inline overrides are parsed by the options schema already; a folder override is only seen at creation.
    const { deps } = emailDeps({
      templates: {
        override: (name) => (name === "email/body.html.hbs" ? "<p>{{#if failed}}unclosed</p>" : undefined),
      },
    });
    const options = emailReporter.optionsSchema.parse(BASE_OPTIONS);
    expect(() => emailReporter.create(options, deps)).toThrow(
      /^reporter email: the template email\/body\.html\.hbs \(or a partial it uses\) does not render: Parse error/,
    );
  });
});

describe("through the core loader and dispatcher", () => {
  const builtIns = new Map<string, AnyReporterPlugin>([["email", emailReporter]]);

  it("reports every bad option at once, by path", async () => {
    const entries: ReporterEntry[] = [
      {
        use: "email",
        options: { from: "scans@acme", to: ["ok@acme.example", "not an address"], extra: true },
      } as ReporterEntry,
    ];
    const error = await loadReporters(entries, builtIns, emailDeps().deps).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).problems.map((p) => p.path).sort();
    expect(paths).toEqual([
      "reporters[0].options.extra",
      "reporters[0].options.from",
      "reporters[0].options.to[1]",
    ]);
    const reasons = (error as ConfigError).problems.map((p) => p.reason).join("\n");
    expect(reasons).toContain('"not an address" is not an e-mail address like name@example.com');
    expect(reasons).toContain('"scans@acme" has no valid domain after the @ ("acme")');
  });

  it("sends through dispatchReport and reports the SES message id", async () => {
    const entries = [{ use: "email", options: BASE_OPTIONS }] as ReporterEntry[];
    const loaded = await loadReporters(entries, builtIns, emailDeps().deps);
    const result = await dispatchReport(overThresholdReport(), loaded, { logger: recordingLogger() });
    expect(result).toEqual({
      outcomes: [
        {
          reporter: "email",
          status: "sent",
          ref: MESSAGE_ID,
          detail: "5 of 5 findings listed, 1 recipient(s)",
        },
      ],
      failed: [],
    });
    expect(sentInputs()).toHaveLength(1);
    // A clean report never reaches the reporter: the plugin receives due reports only.
    await dispatchReport(cleanReport(), loaded, { logger: recordingLogger() });
    expect(sentInputs()).toHaveLength(1);
  });
});

describe("verify(): the sender must be a verified SES identity", () => {
  const notFound = (identity: string) =>
    new NotFoundException({ message: `Email identity ${identity} does not exist.`, $metadata: {} });

  it("passes when the sender's domain is verified, with one GetEmailIdentity call", async () => {
    sesMock
      .on(GetEmailIdentityCommand, { EmailIdentity: "acme.example" })
      .resolves({ IdentityType: "DOMAIN", VerifiedForSendingStatus: true, VerificationStatus: "SUCCESS" });
    const { reporter } = createReporter();
    await expect(reporter.verify?.()).resolves.toBeUndefined();
    expect(sesMock.commandCalls(GetEmailIdentityCommand).map((c) => c.args[0].input)).toEqual([
      { EmailIdentity: "acme.example" },
    ]);
  });

  it("passes when the address itself is verified though its domain is not an identity", async () => {
    sesMock.on(GetEmailIdentityCommand).rejects(notFound("acme.example"));
    sesMock.on(GetEmailIdentityCommand, { EmailIdentity: "scans@acme.example" }).resolves({
      IdentityType: "EMAIL_ADDRESS",
      VerifiedForSendingStatus: true,
      VerificationStatus: "SUCCESS",
    });
    const { reporter } = createReporter();
    await expect(reporter.verify?.()).resolves.toBeUndefined();
    expect(sesMock.commandCalls(GetEmailIdentityCommand)).toHaveLength(2);
  });

  it("passes for a subdomain sender when the parent domain is verified", async () => {
    sesMock.on(GetEmailIdentityCommand).rejects(notFound("x"));
    sesMock
      .on(GetEmailIdentityCommand, { EmailIdentity: "acme.example" })
      .resolves({ VerifiedForSendingStatus: true, VerificationStatus: "SUCCESS" });
    const { reporter } = createReporter({ ...BASE_OPTIONS, from: "scans@mail.acme.example" });
    await expect(reporter.verify?.()).resolves.toBeUndefined();
    expect(senderIdentityCandidates("scans@mail.acme.example")).toEqual([
      "mail.acme.example",
      "scans@mail.acme.example",
      "acme.example",
    ]);
  });

  it("fails clearly when no identity covering the sender exists (NotFoundException)", async () => {
    sesMock.on(GetEmailIdentityCommand).rejects(notFound("acme.example"));
    const { reporter } = createReporter();
    const error = await reporter.verify?.().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReporterError);
    const message = (error as Error).message;
    expect(message).toContain("SES cannot send from scans@acme.example");
    expect(message).toContain("in eu-west-1");
    expect(message).toContain("acme.example: no such identity; scans@acme.example: no such identity");
    expect(message).toContain(
      "Verify the domain acme.example (DNS records) or the address scans@acme.example",
    );
    expect(message).toContain(
      'set the email reporter\'s "from" to an address of an identity that is verified',
    );
  });

  it("fails clearly when the identity exists but is not verified for sending", async () => {
    sesMock
      .on(GetEmailIdentityCommand)
      .resolves({ VerifiedForSendingStatus: false, VerificationStatus: "PENDING" });
    const { reporter } = createReporter();
    await expect(reporter.verify?.()).rejects.toThrow(
      /acme\.example: not verified for sending \(verification status PENDING\); scans@acme\.example: not verified/,
    );
  });

  it("warns at start-up when the SES account is in the sandbox, naming the recipients to verify", async () => {
    // acme.example is verified (it covers the sender and sec@acme.example); nothing covers audit@other.example.
    sesMock.on(GetEmailIdentityCommand).rejects(notFound("x"));
    sesMock
      .on(GetEmailIdentityCommand, { EmailIdentity: "acme.example" })
      .resolves({ VerifiedForSendingStatus: true });
    sesMock.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false, SendingEnabled: true });
    const { reporter, logs } = createReporter({
      ...BASE_OPTIONS,
      cc: ["audit@other.example", "success@simulator.amazonses.com"],
    });
    await expect(reporter.verify?.()).resolves.toBeUndefined();
    const warnings = logs.filter((l) => l.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/^SES account is in the sandbox in eu-west-1/);
    expect(warnings[0]?.message).toContain(
      "1 recipient(s) of the email reporter are not (audit@other.example)",
    );
    expect(warnings[0]?.message).toContain("verify them (or their domains) in SES in eu-west-1");
    expect(warnings[0]?.message).toContain("or request production access");
    expect(warnings[0]?.extra).toEqual({ recipients: ["audit@other.example"], region: "eu-west-1" });
    // The sender's check, then each recipient identity once; the mailbox simulator is never asked about.
    const asked = sesMock.commandCalls(GetEmailIdentityCommand).map((c) => c.args[0].input.EmailIdentity);
    expect(asked).toEqual(["acme.example", "acme.example", "other.example", "audit@other.example"]);
  });

  it("does not warn with production access, and passes when GetAccount is not allowed", async () => {
    sesMock.on(GetEmailIdentityCommand).resolves({ VerifiedForSendingStatus: true });
    sesMock.on(GetAccountCommand).resolves({ ProductionAccessEnabled: true });
    const first = createReporter();
    await first.reporter.verify?.();
    expect(first.logs.filter((l) => l.level === "warn")).toEqual([]);

    sesMock
      .on(GetAccountCommand)
      .rejects(Object.assign(new Error("denied"), { name: "AccessDeniedException" }));
    const second = createReporter();
    await expect(second.reporter.verify?.()).resolves.toBeUndefined();
    expect(second.logs.filter((l) => l.level === "warn")).toEqual([]);
    expect(second.logs.map((l) => l.message)).toContain("SES GetAccount unavailable; sandbox check skipped");
  });

  it("says which permission is missing when SES refuses the lookup", async () => {
    sesMock
      .on(GetEmailIdentityCommand)
      .rejects(Object.assign(new Error("not authorized"), { name: "AccessDeniedException" }));
    const { reporter } = createReporter();
    await expect(reporter.verify?.()).rejects.toThrow(
      /cannot check the SES identity acme\.example .*AccessDeniedException: not authorized.*ses:GetEmailIdentity/,
    );
    expect(sesMock.commandCalls(GetEmailIdentityCommand)).toHaveLength(1);
  });
});

describe("report(): the back-within-thresholds notice", () => {
  const NOTICE = {
    ...CTX,
    notification: { kind: "back-within-thresholds", why: "back-within-thresholds" },
  } as const;

  it("sends the short notice for a report not due when the dispatch says so", async () => {
    const { reporter } = createReporter();
    const outcome = await reporter.report(cleanReport(), NOTICE);
    expect(outcome).toEqual({
      status: "sent",
      ref: MESSAGE_ID,
      detail: "back-within-thresholds notice, 1 recipient(s)",
    });
    const [input] = sentInputs();
    expect(input?.Content?.Simple?.Subject?.Data).toBe(
      "[ecr-scan-reporter] Back within thresholds: team-a/api:v1.4.3",
    );
    expect(input?.Content?.Simple?.Body?.Text?.Data).toContain("is back within the thresholds");
  });

  it("skips a report not due without the dispatch's word, and sends a due report as a report", async () => {
    const { reporter } = createReporter();
    expect(await reporter.report(cleanReport(), CTX)).toMatchObject({ status: "skipped" });
    expect(sentInputs()).toEqual([]);
    await reporter.report(overThresholdReport(), NOTICE);
    expect(sentInputs()[0]?.Content?.Simple?.Subject?.Data).toBe(
      "[ecr-scan-reporter] CRITICAL in team-a/api:v1.4.2 — 1 critical, 2 high",
    );
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  sesMock.restore();
});
