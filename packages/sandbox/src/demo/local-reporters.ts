import type { Sandbox } from "../index.js";

/**
 * Wires every built-in reporter to the sandbox and its receivers, as a deployment would to real targets: an SNS
 * topic, a verified SES sender, the Slack webhook URL in Secrets Manager and the GitHub token in SSM. Returns the
 * reporter entries of the configuration document.
 */
export function wireLocalReporters(
  sandbox: Sandbox,
  targets: { slackWebhookUrl: string; githubApiUrl: string; slackMinSeverity?: string },
): unknown[] {
  const topicArn = sandbox.sns.createTopic("ecr-scan-reporter-findings");
  sandbox.ses.verifyIdentity("acme.example");
  const slackSecret = sandbox.secretsManager.createSecret(
    "ecr-scan-reporter/slack-webhook",
    targets.slackWebhookUrl,
  );
  sandbox.ssm.putParameter("/ecr-scan-reporter/github-token", "ghp_local0000000000000000000000000000000000");
  return [
    { use: "sns", options: { topicArn } },
    {
      use: "slack",
      ...(targets.slackMinSeverity ? { minSeverity: targets.slackMinSeverity } : {}),
      // A local receiver needs none of Slack's one message a second per webhook (the demo's receiver does not
      // rate-limit); the tests hold the reporter to it against a receiver that does.
      options: { webhookUrl: { secretArn: slackSecret }, pacing: { minIntervalMs: 0 } },
    },
    {
      use: "github",
      options: {
        owner: "acme",
        repo: "security",
        baseUrl: targets.githubApiUrl,
        token: { parameter: "/ecr-scan-reporter/github-token" },
        // A local receiver needs none of github.com's one-second pacing between writes.
        pacing: { writeIntervalMs: 0, notificationIntervalMs: 0 },
      },
    },
    { use: "email", options: { from: "ECR scans <scans@acme.example>", to: ["security@acme.example"] } },
    { use: "metrics", options: { namespace: "EcrScanReporter" } },
  ];
}
