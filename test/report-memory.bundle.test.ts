import { join } from "node:path";
import { generateFindings } from "@ecr-scan-reporter/core/testing";
import {
  LocalFunction,
  startGitHubReceiver,
  startSandbox,
  startSlackReceiver,
} from "@ecr-scan-reporter/sandbox";
import { wireLocalReporters } from "@ecr-scan-reporter/sandbox/demo";
import { describe, expect, it } from "vitest";
import { lambdaNodeOptions } from "./bench/report.js";
import { REPO_ROOT, sandboxIntel, sqsEvent } from "./support/bundles.js";
import { imageScanEvent, toBasicFinding } from "./support/scenario.js";
import { expectNoSecretIn, sandboxSecrets } from "./support/secrets.js";

// The memory goal of the bench (docs/performance.md): a 5,000-finding report through every built-in reporter fits
// a 128 MB Lambda. Checked here on every test run, in a process of its own given the V8 heap limits Lambda's
// Node.js bootstrap sets for 128 MB, the way the bench sets them; Lambda stops a function whose memory goes over.
const MEMORY_MB = 128;

describe("report-findings in a 128 MB Lambda", () => {
  it("reports 5,000 findings through all five built-in reporters without going over 128 MB", async () => {
    const sandbox = await startSandbox();
    const slack = await startSlackReceiver();
    const github = await startGitHubReceiver({ repositories: ["acme/security"] });
    sandbox.ecr.createRepository("team-a/api");
    const digest = sandbox.ecr.seedImage("team-a/api", {
      tags: ["v5"],
      scan: {
        status: "COMPLETE",
        completedAt: new Date(),
        findings: generateFindings(5_000).map(toBasicFinding),
      },
    });
    const reporters = wireLocalReporters(sandbox, { slackWebhookUrl: slack.url(), githubApiUrl: github.url });
    // Its process starts at the first invocation.
    const fn = new LocalFunction({
      name: "report-findings",
      bundlePath: join(REPO_ROOT, "terraform", "dist", "report-findings", "index.mjs"),
      env: {
        ...sandbox.env(),
        ECR_SCAN_REPORTER_CONFIG: JSON.stringify({ intel: sandboxIntel(sandbox), reporters }),
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(MEMORY_MB),
        NODE_OPTIONS: lambdaNodeOptions(MEMORY_MB),
      },
    });
    try {
      // As the bench runs it: a first, empty batch loads the configuration and the reporters (the cold start),
      // then the report comes to the warm function.
      expect(await fn.invoke({ Records: [] })).toMatchObject({ ok: true });
      const event = imageScanEvent(sandbox, "team-a/api", digest);
      const report = await fn.invoke(sqsEvent([{ messageId: "m1", body: JSON.stringify(event) }]));

      // Over its old-space limit V8 ends the process (the invocation fails); over 128 MB of RSS Lambda would.
      expect(report).toMatchObject({ ok: true, result: { batchItemFailures: [] } });
      expect(fn.jsonLogs().find((l) => l.message === "report")).toMatchObject({
        outcomes: { sns: "sent", slack: "sent", github: "sent", email: "sent", metrics: "sent" },
      });
      expect(sandbox.server.callCounts()["ecr:DescribeImageScanFindings"]).toBe(5);
      // maxRSS is the process's peak so far: the cold start and the report.
      expect(report.maxRssKb / 1024).toBeLessThanOrEqual(MEMORY_MB);

      expectNoSecretIn(
        {
          "stdout and stderr": fn.logs.join("\n"),
          "SNS messages": sandbox.sns.published,
          "Slack messages": slack.messages.map((m) => m.payload),
          "GitHub requests": github.requests,
          "e-mails": sandbox.ses.sent,
        },
        sandboxSecrets(sandbox),
      );
    } finally {
      await Promise.all([fn.close(), sandbox.close(), slack.close(), github.close()]);
    }
  });
});
