import type { AnyReporterPlugin } from "@ecr-scan-reporter/core";
import { overThresholdReport } from "@ecr-scan-reporter/core/testing";
import { emailReporter } from "@ecr-scan-reporter/reporter-email";
import { githubReporter } from "@ecr-scan-reporter/reporter-github";
import { slackReporter } from "@ecr-scan-reporter/reporter-slack";
import { snsReporter } from "@ecr-scan-reporter/reporter-sns";
import { describe, expect, it } from "vitest";

// A report sent with fewer findings than its scan counted (Amazon Inspector was still writing them after the report
// had waited) says so in every built-in reporter that writes text: one sentence, the view kit's incompleteNote.

const REPORTERS: [AnyReporterPlugin, unknown][] = [
  [snsReporter, { topicArn: "arn:aws:sns:eu-west-1:123456789012:findings" }],
  [slackReporter, { webhookUrl: { parameter: "/slack/webhook" } }],
  [githubReporter, { owner: "acme", repo: "security", token: { parameter: "/github/token" } }],
  [emailReporter, { from: "scans@acme.example", to: ["sec@acme.example"] }],
];
const deps = { templates: { override: () => undefined }, clock: () => new Date("2026-11-28T07:00:00Z") };

function rendered(plugin: AnyReporterPlugin, options: unknown, report = overThresholdReport()): string {
  const parsed = plugin.optionsSchema.parse(options);
  return (plugin.preview?.(report, parsed, deps) ?? []).map((file) => file.content).join("\n");
}

describe.each(REPORTERS.map(([plugin, options]) => [plugin.name, plugin, options] as const))(
  "%s: a report that may be incomplete",
  (_name, plugin, options) => {
    it("says how many findings the scan counted and how many were read", () => {
      const report = { ...overThresholdReport(), completeness: { expectedFindings: 158, findingsRead: 120 } };
      expect(rendered(plugin, options, report)).toContain(
        "This report may be incomplete: the scan counted 158 findings, 120 could be read",
      );
    });

    it("says nothing of it for a complete report", () => {
      expect(rendered(plugin, options)).not.toContain("may be incomplete");
    });
  },
);
