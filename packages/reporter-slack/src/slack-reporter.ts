import {
  defineReporter,
  describeSecretRef,
  isBackWithinThresholdsNotice,
  ReporterError,
  type ReporterPlugin,
} from "@ecr-scan-reporter/core";
import { buildSlackDigest, checkSlackDigestTemplates, renderSlackDigest } from "./digest-message.js";
import {
  buildSlackMessage,
  buildSlackNotice,
  checkSlackTemplates,
  createSlackRenderer,
  renderSlackMessage,
} from "./message.js";
import { type SlackReporterOptions, slackOptionsSchema } from "./options.js";
import { postToWebhook, SlackSendError, type SlackTuning, webhookUrlProblem } from "./webhook.js";

const SLACK_HOSTS = new Set(["hooks.slack.com", "hooks.slack-gov.com"]);

/**
 * The ReporterError of a failed post: what failed and about what, and the wait Slack asked for when it rate-limited
 * the webhook, so that the targeted retry comes no sooner. No `cause`: the original error of fetch or
 * @slack/webhook may quote the URL.
 */
function reporterErrorOf(reporterId: string, error: unknown, about: string): ReporterError {
  if (!(error instanceof SlackSendError)) {
    return new ReporterError(reporterId, `sending to Slack failed (${about})`);
  }
  return new ReporterError(reporterId, `${error.message} (${about})`, {
    retryAfterSeconds: error.retryAfterSeconds,
  });
}

/**
 * The `slack` reporter plugin with its own pacing and rate-limit waits: tests shorten Slack's one second between
 * posts. `slackReporter` is this with the defaults.
 */
export function defineSlackReporter(tuning: SlackTuning = {}): ReporterPlugin<SlackReporterOptions> {
  return defineReporter({
    name: "slack",
    optionsSchema: slackOptionsSchema,
    receives: "due",
    contractVersion: 2,
    preview(report, { webhookUrl: _secret, pacing: _pacing, ...messageOptions }, deps) {
      const message = renderSlackMessage(report, messageOptions, deps.templates, { now: deps.clock() });
      return [{ name: "slack-message.json", content: `${JSON.stringify(message, null, 2)}\n` }];
    },
    previewDigest(digest, { webhookUrl: _secret, pacing: _pacing, ...messageOptions }, deps) {
      const message = renderSlackDigest(digest, messageOptions, deps.templates);
      return [{ name: "slack-digest.json", content: `${JSON.stringify(message, null, 2)}\n` }];
    },
    create(options, deps) {
      const renderer = createSlackRenderer(options, deps.templates);
      checkSlackTemplates(renderer);
      checkSlackDigestTemplates(renderer);

      /** The webhook URL, checked; errors name the secret reference, never its value. */
      async function webhookUrl(reporterId: string): Promise<string> {
        const url = (await deps.resolveSecret(options.webhookUrl)).trim();
        const problem = webhookUrlProblem(url);
        if (problem) {
          throw new ReporterError(
            reporterId,
            `the value of the ${describeSecretRef(options.webhookUrl)} ${problem}; store the Slack incoming webhook URL there`,
          );
        }
        return url;
      }

      return {
        async verify() {
          const url = await webhookUrl("slack");
          const host = new URL(url).hostname;
          if (!SLACK_HOSTS.has(host) && host !== "127.0.0.1" && host !== "localhost" && host !== "[::1]") {
            // Not an error: a proxy in front of Slack is a legitimate set-up. The host is not the secret part.
            deps.logger.warn("the Slack webhook URL does not point at hooks.slack.com", { host });
          }
        },

        async report(report, ctx) {
          // The one notice that an image reference is back within the thresholds comes as a report not due.
          const backWithinThresholds = isBackWithinThresholdsNotice(report, ctx);
          if (!report.verdict.due && !backWithinThresholds) {
            return { status: "skipped", detail: `report not due (${report.verdict.reason})` };
          }
          // KEV due dates are compared with the reporter's clock: "overdue" means overdue now.
          const now = deps.clock();
          const built = backWithinThresholds
            ? buildSlackNotice(report, options, renderer, now)
            : buildSlackMessage(report, options, renderer, now);
          const url = await webhookUrl(ctx.reporterId);
          try {
            await postToWebhook(url, built.payload, deps.fetch, {
              tuning: { ...tuning, ...options.pacing },
              onRateLimited: (notice) =>
                deps.logger.warn("Slack rate limit", {
                  reporter: ctx.reporterId,
                  repository: report.repository,
                  digest: report.digest,
                  ...notice,
                }),
            });
          } catch (error) {
            throw reporterErrorOf(ctx.reporterId, error, `${report.repository}@${report.digest}`);
          }
          deps.logger.debug("posted to Slack", {
            reporter: ctx.reporterId,
            repository: report.repository,
            digest: report.digest,
            blocks: built.payload.blocks.length,
            backWithinThresholds,
            shown: built.shown,
            omitted: built.omitted,
          });
          return {
            status: "sent",
            detail: backWithinThresholds
              ? "back-within-thresholds notice"
              : `${built.shown} of ${built.shown + built.omitted} findings listed, ${built.payload.blocks.length} blocks`,
          };
        },

        async digest(digest, ctx) {
          // One message to the same webhook as the reports, through the same pacing and rate-limit handling.
          const built = buildSlackDigest(digest, options, renderer);
          const url = await webhookUrl(ctx.reporterId);
          try {
            await postToWebhook(url, built.payload, deps.fetch, {
              tuning: { ...tuning, ...options.pacing },
              onRateLimited: (notice) =>
                deps.logger.warn("Slack rate limit", {
                  reporter: ctx.reporterId,
                  digest: digest.period.key,
                  ...notice,
                }),
            });
          } catch (error) {
            throw reporterErrorOf(ctx.reporterId, error, `digest ${digest.period.key}`);
          }
          deps.logger.debug("digest posted to Slack", {
            reporter: ctx.reporterId,
            period: digest.period.key,
            blocks: built.payload.blocks.length,
            shownImages: built.shownImages,
            omittedImages: built.omittedImages,
          });
          return {
            status: "sent",
            detail: `digest ${digest.period.key}: ${built.shownImages} of ${built.shownImages + built.omittedImages} images over the thresholds listed, ${built.payload.blocks.length} blocks`,
          };
        },
      };
    },
  });
}

/**
 * Built-in `slack` reporter: posts each due report to a Slack incoming webhook as a Block Kit message (header,
 * counts per severity, the most severe findings with links, a link to the image in the ECR console), within
 * Slack's limits (also the one on all blocks together, and one message a second per webhook), with every string
 * from the report escaped so it can never mention `@channel` or forge a link.
 */
export const slackReporter = defineSlackReporter();
