import { SAMPLE_FINDINGS } from "@ecr-scan-reporter/core/testing";
import {
  type GitHubReceiver,
  type Sandbox,
  type SlackReceiver,
  startGitHubReceiver,
  startSandbox,
  startSlackReceiver,
} from "@ecr-scan-reporter/sandbox";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invokeBundle, sandboxIntel, sqsEvent } from "./support/bundles.js";
import { imageScanEvent, toBasicFinding } from "./support/scenario.js";
import { expectNoSecretIn, sandboxSecrets } from "./support/secrets.js";

let sandbox: Sandbox;
let slack: SlackReceiver;
let github: GitHubReceiver;
let env: Record<string, string>;

beforeAll(async () => {
  sandbox = await startSandbox();
  slack = await startSlackReceiver();
  github = await startGitHubReceiver({ repositories: ["acme/security"] });
  sandbox.ses.verifyIdentity("acme.example");
  const webhook = sandbox.secretsManager.createSecret("slack-webhook", slack.url());
  sandbox.ssm.putParameter("/github/token", "ghp_test000000000000000000000000000000000");
  env = {
    ...sandbox.env(),
    ECR_SCAN_REPORTER_CONFIG: JSON.stringify({
      intel: sandboxIntel(sandbox),
      reporters: [
        { use: "slack", options: { webhookUrl: { secretArn: webhook } } },
        {
          use: "github",
          options: {
            owner: "acme",
            repo: "security",
            baseUrl: github.url,
            token: { parameter: "/github/token" },
            pacing: { writeIntervalMs: 0, notificationIntervalMs: 0 },
          },
        },
        { use: "email", options: { from: "ECR scans <scans@acme.example>", to: ["security@acme.example"] } },
      ],
    }),
  };
});

afterAll(async () => {
  await Promise.all([sandbox.close(), slack.close(), github.close()]);
});

describe("report-findings with Slack, GitHub and e-mail against local endpoints", () => {
  it("sends one Slack message, opens one GitHub issue and sends one e-mail for one scan event, then updates the issue", async () => {
    sandbox.ecr.createRepository("team-a/api");
    const digest = sandbox.ecr.seedImage("team-a/api", {
      tags: ["v1.4.2"],
      scan: {
        status: "COMPLETE",
        completedAt: new Date(),
        findings: SAMPLE_FINDINGS.slice(0, 3).map(toBasicFinding),
      },
    });
    const first = await invokeBundle(
      "report-findings",
      sqsEvent([{ messageId: "m1", body: JSON.stringify(imageScanEvent(sandbox, "team-a/api", digest)) }]),
      env,
    );
    expect(first.ok && first.result).toEqual({ batchItemFailures: [] });
    expect(slack.messages).toHaveLength(1);
    expect(slack.rejections).toEqual([]);
    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]?.state).toBe("open");
    expect(sandbox.ses.sent).toHaveLength(1);
    expect(sandbox.ses.sent[0]?.subject).toContain("team-a/api");

    // A rescan finds one more vulnerability: the same issue is updated and commented, never duplicated.
    const image = sandbox.ecr.repositories.get("team-a/api")?.images.get(digest);
    if (image?.scan) image.scan.findings = SAMPLE_FINDINGS.slice(0, 4).map(toBasicFinding);
    const second = await invokeBundle(
      "report-findings",
      sqsEvent([{ messageId: "m2", body: JSON.stringify(imageScanEvent(sandbox, "team-a/api", digest)) }]),
      env,
    );
    expect(second.ok && second.result).toEqual({ batchItemFailures: [] });
    expect(github.issues).toHaveLength(1);
    expect(github.issues[0]?.body).toContain("CVE-2022-40897");
    expect(
      github.comments.filter((c) => c.issueNumber === github.issues[0]?.number).length,
    ).toBeGreaterThanOrEqual(1);
    expect(github.violations).toEqual([]);
    expect(slack.messages).toHaveLength(2);
    expect(sandbox.ses.sent).toHaveLength(2);

    // The webhook URL is where Slack receives and the token authenticates GitHub requests (headers): neither is
    // in a log line, an EMF line, a message, an issue or an e-mail.
    expectNoSecretIn(
      {
        "first invocation stdout": first.stdout,
        "first invocation stderr": first.stderr,
        "second invocation stdout": second.stdout,
        "second invocation stderr": second.stderr,
        "Slack messages": slack.messages.map((m) => m.payload),
        "GitHub requests": github.requests,
        "GitHub issues": github.issues,
        "GitHub comments": github.comments,
        "e-mails": sandbox.ses.sent,
      },
      sandboxSecrets(sandbox),
    );
  });
});
