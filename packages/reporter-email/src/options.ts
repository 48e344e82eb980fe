import { templatesOptionSchema } from "@ecr-scan-reporter/core";
import * as z from "zod";
import { type Mailbox, parseMailbox } from "./mailbox.js";
import { SHIPPED_TEMPLATES } from "./shipped-templates.js";

export const DEFAULT_SUBJECT_PREFIX = "[ecr-scan-reporter]";
export const DEFAULT_MAX_FINDINGS = 100;
/** The most findings one e-mail may list; beyond a few hundred rows, mail clients clip or choke on the body. */
export const MAX_FINDINGS_LIMIT = 1_000;
/** SES: a message may have at most 50 recipients across To, CC and BCC. */
export const MAX_RECIPIENTS = 50;

/** The names of the shipped templates, relative to `templates/`; inline overrides use the same names. */
export const EMAIL_TEMPLATE_NAMES = {
  subject: "email/subject.hbs",
  html: "email/body.html.hbs",
  text: "email/body.txt.hbs",
  digestSubject: "email/digest-subject.hbs",
  digestHtml: "email/digest.html.hbs",
  digestText: "email/digest.txt.hbs",
} as const;

const mailboxSchema = z.string().transform((text, ctx): Mailbox => {
  const parsed = parseMailbox(text);
  if (parsed.ok) return parsed.mailbox;
  ctx.addIssue({ code: "custom", message: `${JSON.stringify(text.slice(0, 100))} ${parsed.reason}` });
  return z.NEVER;
});

/**
 * One mailbox or a list of them, always a list once parsed. Each bad address is reported at its own index
 * (`to[2]: "x" is not an e-mail address…`), so the user sees every mistake at once.
 */
function mailboxList(min: number) {
  return z
    .union([z.string(), z.array(z.string())], { error: "must be an e-mail address or a list of them" })
    .transform((value, ctx): Mailbox[] => {
      const list = typeof value === "string" ? [value] : value;
      if (list.length < min || list.length > MAX_RECIPIENTS) {
        ctx.addIssue({
          code: "custom",
          message: `must list ${min}-${MAX_RECIPIENTS} addresses (SES sends to at most ${MAX_RECIPIENTS} per message)`,
        });
        return z.NEVER;
      }
      const mailboxes: Mailbox[] = [];
      for (const [index, text] of list.entries()) {
        const parsed = parseMailbox(text);
        if (parsed.ok) mailboxes.push(parsed.mailbox);
        else
          ctx.addIssue({
            code: "custom",
            path: typeof value === "string" ? [] : [index],
            message: `${JSON.stringify(text.slice(0, 100))} ${parsed.reason}`,
          });
      }
      return mailboxes;
    });
}

export const emailOptionsSchema = z
  .strictObject({
    /** The sender, `scans@acme.example` or `ECR scans <scans@acme.example>`; SES must have it (or its domain) verified. */
    from: mailboxSchema,
    to: mailboxList(1),
    cc: mailboxList(0).optional(),
    replyTo: mailboxList(0).optional(),
    /** An SES configuration set, for event publishing (bounces, deliveries) and dedicated IP pools. */
    configurationSet: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, {
        message: "must be an SES configuration set name: 1-64 letters, digits, hyphens or underscores",
      })
      .optional(),
    subjectPrefix: z
      .string()
      .max(60, { message: "must be at most 60 characters" })
      // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
      .regex(/^[^\u0000-\u001F\u007F-\u009F]*$/, { message: "must be one line without control characters" })
      .default(DEFAULT_SUBJECT_PREFIX),
    maxFindings: z
      .number()
      .int({ message: "must be a whole number" })
      .min(0)
      .max(MAX_FINDINGS_LIMIT)
      .default(DEFAULT_MAX_FINDINGS),
    /** Inline replacements of shipped templates by name (`email/body.html.hbs`, `email/partials/finding-row.hbs`). */
    templates: templatesOptionSchema("email", Object.keys(SHIPPED_TEMPLATES)).optional(),
  })
  .superRefine((options, ctx) => {
    const recipients = options.to.length + (options.cc?.length ?? 0);
    if (recipients > MAX_RECIPIENTS) {
      ctx.addIssue({
        code: "custom",
        path: ["cc"],
        message: `to and cc together list ${recipients} addresses; SES sends to at most ${MAX_RECIPIENTS} per message`,
      });
    }
  });

/** The options as written in the configuration. */
export type EmailReporterOptionsInput = z.input<typeof emailOptionsSchema>;
/** The options after validation: addresses parsed, lists normalized, defaults applied. */
export type EmailReporterOptions = z.output<typeof emailOptionsSchema>;
