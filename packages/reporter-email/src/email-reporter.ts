import { SESv2Client, SendEmailCommand, type SendEmailCommandInput } from "@aws-sdk/client-sesv2";
import {
  defineReporter,
  describeError,
  isBackWithinThresholdsNotice,
  isFailedScan,
  ReporterError,
} from "@ecr-scan-reporter/core";
import { toEml } from "./eml.js";
import { formatMailbox } from "./mailbox.js";
import { type EmailReporterOptions, emailOptionsSchema } from "./options.js";
import { createEmailRenderer, type RenderedEmail } from "./render.js";
import { warnWhenInSandbox } from "./sandbox-check.js";
import { verifySenderIdentity } from "./sender-identity.js";

const CHARSET = "UTF-8";

/** The SendEmail request of one rendered report (SES v2, simple content: SES builds the MIME message). */
export function buildSendEmailInput(
  email: RenderedEmail,
  options: EmailReporterOptions,
): SendEmailCommandInput {
  const input: SendEmailCommandInput = {
    FromEmailAddress: formatMailbox(options.from),
    Destination: { ToAddresses: options.to.map(formatMailbox) },
    Content: {
      Simple: {
        Subject: { Data: email.subject, Charset: CHARSET },
        Body: {
          Html: { Data: email.html, Charset: CHARSET },
          Text: { Data: email.text, Charset: CHARSET },
        },
      },
    },
  };
  if (options.cc && options.cc.length > 0 && input.Destination) {
    input.Destination.CcAddresses = options.cc.map(formatMailbox);
  }
  if (options.replyTo && options.replyTo.length > 0)
    input.ReplyToAddresses = options.replyTo.map(formatMailbox);
  if (options.configurationSet !== undefined) input.ConfigurationSetName = options.configurationSet;
  return input;
}

/** What to do about an SES SendEmail error, by its name. */
function sendErrorHint(error: unknown, options: EmailReporterOptions): string {
  const name = error instanceof Error ? error.name : "";
  switch (name) {
    case "MessageRejected":
      return (
        " — while the account is in the SES sandbox every recipient must be a verified identity too: verify " +
        "them, or request production access"
      );
    case "MailFromDomainNotVerifiedException":
      return " — the custom MAIL FROM domain of the sender's identity is not verified: check its MX and SPF records";
    case "NotFoundException":
      return options.configurationSet !== undefined
        ? ` — check that the configuration set ${options.configurationSet} exists in this account and region`
        : "";
    case "AccountSuspendedException":
    case "SendingPausedException":
      return " — SES sending is paused for this account or configuration set: see the SES console's account dashboard";
    default:
      return "";
  }
}

/**
 * Built-in `email` reporter: each due report as one e-mail (HTML and text bodies from `templates/email/`), sent
 * with SES v2 SendEmail from a verified sender to one or many recipients.
 */
export const emailReporter = defineReporter({
  name: "email",
  optionsSchema: emailOptionsSchema,
  receives: "due",
  contractVersion: 2,
  preview(report, options, deps) {
    const renderer = createEmailRenderer(
      {
        subjectPrefix: options.subjectPrefix,
        maxFindings: options.maxFindings,
        templates: options.templates,
      },
      deps.templates,
    );
    const email = renderer.render(report, { now: deps.clock() });
    return [
      { name: "email.html", content: email.html },
      { name: "email.txt", content: email.text },
      { name: "email.eml", content: toEml(buildSendEmailInput(email, options), deps.clock()) },
    ];
  },
  previewDigest(digest, options, deps) {
    const renderer = createEmailRenderer(
      { subjectPrefix: options.subjectPrefix, templates: options.templates },
      deps.templates,
    );
    const email = renderer.renderDigest(digest);
    return [
      { name: "email-digest.html", content: email.html },
      { name: "email-digest.txt", content: email.text },
      { name: "email-digest.eml", content: toEml(buildSendEmailInput(email, options), deps.clock()) },
    ];
  },
  create(options, deps) {
    const renderer = createEmailRenderer(
      {
        subjectPrefix: options.subjectPrefix,
        maxFindings: options.maxFindings,
        templates: options.templates,
      },
      deps.templates,
    );
    renderer.check();
    const ses = deps.awsClient(SESv2Client);
    const sender = options.from.address;

    return {
      async verify() {
        const check = await verifySenderIdentity(ses, sender);
        deps.logger.debug("SES sender identity verified", { sender, identity: check.identity });
        await warnWhenInSandbox(ses, deps.logger, [...options.to, ...(options.cc ?? [])]);
      },

      async report(report, ctx) {
        // The one notice that an image reference is back within the thresholds comes as a report not due.
        const backWithinThresholds = isBackWithinThresholdsNotice(report, ctx);
        if (!report.verdict.due && !backWithinThresholds) {
          return { status: "skipped", detail: `report not due (${report.verdict.reason})` };
        }
        // KEV due dates are compared with the reporter's clock: "overdue" means overdue now.
        const email = renderer.render(report, { backWithinThresholds, now: deps.clock() });
        const input = buildSendEmailInput(email, options);
        let messageId: string | undefined;
        try {
          ({ MessageId: messageId } = await ses.send(new SendEmailCommand(input)));
        } catch (error) {
          throw new ReporterError(
            ctx.reporterId,
            `SES SendEmail from ${sender} failed: ${describeError(error)}${sendErrorHint(error, options)}`,
            { cause: error },
          );
        }
        const listed = backWithinThresholds ? 0 : Math.min(report.findings.length, options.maxFindings);
        deps.logger.debug("e-mail sent with SES", {
          reporter: ctx.reporterId,
          messageId,
          repository: report.repository,
          digest: report.digest,
          failedScan: isFailedScan(report.status),
          backWithinThresholds,
          recipients: options.to.length + (options.cc?.length ?? 0),
        });
        return {
          status: "sent",
          ref: messageId,
          detail: `${backWithinThresholds ? "back-within-thresholds notice" : `${listed} of ${report.findings.length} findings listed`}, ${options.to.length + (options.cc?.length ?? 0)} recipient(s)`,
        };
      },

      async digest(digest, ctx) {
        // The same sender, recipients and configuration set as the reports: one SendEmail call.
        const email = renderer.renderDigest(digest);
        const input = buildSendEmailInput(email, options);
        let messageId: string | undefined;
        try {
          ({ MessageId: messageId } = await ses.send(new SendEmailCommand(input)));
        } catch (error) {
          throw new ReporterError(
            ctx.reporterId,
            `SES SendEmail of the digest ${digest.period.key} from ${sender} failed: ${describeError(error)}${sendErrorHint(error, options)}`,
            { cause: error },
          );
        }
        const recipients = options.to.length + (options.cc?.length ?? 0);
        deps.logger.debug("digest e-mail sent with SES", {
          reporter: ctx.reporterId,
          messageId,
          period: digest.period.key,
          emptyLedger: digest.emptyLedger,
          recipients,
        });
        return {
          status: "sent",
          ref: messageId,
          detail: `digest ${digest.period.key}, ${recipients} recipient(s)`,
        };
      },
    };
  },
});
