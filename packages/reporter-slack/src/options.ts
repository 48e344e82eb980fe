import { secretRefSchema, templatesOptionSchema } from "@ecr-scan-reporter/core";
import * as z from "zod";
import { SHIPPED_TEMPLATES } from "./shipped-templates.js";

export const DEFAULT_MAX_FINDINGS = 10;
/** At most 40 findings are listed: with the header, counts, "more" and footer blocks that stays within 50 blocks. */
export const MAX_FINDINGS_LIMIT = 40;

/** The templates a `templates` option may replace: the shipped ones, and partials of the user's own. */
export const TEMPLATE_NAMES = Object.keys(SHIPPED_TEMPLATES).sort();

/** What shapes the message, apart from where it goes: shared by the reporter and `renderSlackMessage`. */
const messageOptionsShape = {
  /** Shown in the footer of every message (e.g. the environment or the team the channel belongs to). */
  channelLabel: z.string().min(1).max(150, { message: "must be at most 150 characters" }).optional(),
  /** How many findings are listed, most severe first; the rest are counted in "…and N more findings". */
  maxFindings: z
    .number()
    .int({ message: "must be a whole number" })
    .min(0)
    .max(MAX_FINDINGS_LIMIT, {
      message: `must be at most ${MAX_FINDINGS_LIMIT} (Slack allows 50 blocks in a message)`,
    })
    .default(DEFAULT_MAX_FINDINGS),
  /** Inline template overrides by name (`slack/finding.hbs`); they win over a templates folder. */
  templates: templatesOptionSchema("slack", TEMPLATE_NAMES).optional(),
};

export const slackMessageOptionsSchema = z.strictObject(messageOptionsShape);

/** The incoming webhook URL is a secret: a Secrets Manager secret or an SSM SecureString, never the URL itself. */
const webhookUrlSchema = z.union(secretRefSchema.options, {
  error: (issue) =>
    typeof issue.input === "string"
      ? 'must be a secret reference ({"secretArn": "…"} or {"parameter": "…"}), never the webhook URL itself: the URL is a secret'
      : undefined,
});

export const slackOptionsSchema = z.strictObject({
  webhookUrl: webhookUrlSchema,
  /**
   * Pacing of posts, for a local receiver or a proxy with other limits. The default follows Slack's rate limit for
   * incoming webhooks (one message a second): keep it for Slack.
   */
  pacing: z.strictObject({ minIntervalMs: z.number().int().min(0).max(60_000).optional() }).optional(),
  ...messageOptionsShape,
});

/** The message options as given to `renderSlackMessage`. */
export type SlackMessageOptionsInput = z.input<typeof slackMessageOptionsSchema>;
export type SlackMessageOptions = z.output<typeof slackMessageOptionsSchema>;
/** The options as written in the configuration. */
export type SlackReporterOptionsInput = z.input<typeof slackOptionsSchema>;
/** The options after validation, defaults applied. */
export type SlackReporterOptions = z.output<typeof slackOptionsSchema>;
