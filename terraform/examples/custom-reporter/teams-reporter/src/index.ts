import { defineReporter, secretRefSchema } from "@ecr-scan-reporter/core/reporter";
import * as z from "zod";
import { buildTeamsMessage } from "./adaptive-card.js";

export { buildTeamsMessage, escapeCardText } from "./adaptive-card.js";

const optionsSchema = z.strictObject({
  /** The Teams workflow's (or incoming webhook's) URL: a secret, so a reference, never the URL itself. */
  webhookUrl: secretRefSchema,
  title: z.string().min(1).max(200).default("ECR image scan"),
  maxFindings: z.number().int().min(0).max(50).default(10),
});

/** Teams answers 200 (connectors) or 202 (workflows) when it took the message. */
function accepted(status: number): boolean {
  return status === 200 || status === 202;
}

/**
 * `@acme/ecr-reporter-teams`: posts each due report to Microsoft Teams as an Adaptive Card. Written against
 * ecr-scan-reporter's public reporter contract only, as any third-party reporter would be.
 */
const teamsReporter = defineReporter({
  name: "teams",
  optionsSchema,
  contractVersion: 1,
  preview(report, options) {
    return [
      {
        name: "teams-card.json",
        content: `${JSON.stringify(buildTeamsMessage(report, options), null, 2)}\n`,
      },
    ];
  },
  create(options, deps) {
    return {
      async verify() {
        const url = new URL(await deps.resolveSecret(options.webhookUrl));
        if (url.protocol !== "https:" && url.hostname !== "127.0.0.1") {
          throw new Error("the Teams webhook URL must be https");
        }
      },
      async report(report) {
        if (!report.verdict.due) return { status: "skipped", detail: `not due (${report.verdict.reason})` };
        const url = await deps.resolveSecret(options.webhookUrl);
        let response: Response;
        try {
          response = await deps.fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(buildTeamsMessage(report, options)),
            signal: AbortSignal.timeout(10_000),
          });
        } catch (error) {
          // The error of a failed fetch can quote the URL, which is the secret: keep only its kind.
          throw new Error(`Teams webhook unreachable (${error instanceof Error ? error.name : "error"})`);
        }
        if (!accepted(response.status)) throw new Error(`Teams webhook answered HTTP ${response.status}`);
        return { status: "sent", detail: `HTTP ${response.status}` };
      },
    };
  },
});

export default teamsReporter;
