import type { Sandbox } from "../index.js";
import { localDeploymentNames, storeReporterSecret } from "../local-deployment.js";

/**
 * Wires every built-in reporter to the sandbox and its receivers, as a deployment would to real targets, with the
 * names the module's policies allow (localDeploymentNames): the SNS topic, a verified SES sender, the Slack
 * webhook URL in Secrets Manager and the GitHub token in an SSM SecureString, both under a customer managed key.
 * Returns the reporter entries of the configuration document.
 */
export function wireLocalReporters(
  sandbox: Sandbox,
  targets: { slackWebhookUrl: string; githubApiUrl: string; slackMinSeverity?: string },
): unknown[] {
  const names = localDeploymentNames();
  const topicArn = sandbox.sns.createTopic(names.topicName);
  sandbox.ses.verifyIdentity("acme.example");
  const webhookUrl = storeReporterSecret(
    sandbox,
    names.slackWebhookUrl,
    targets.slackWebhookUrl,
    names.secretsKeyArn,
  );
  const token = storeReporterSecret(
    sandbox,
    names.githubToken,
    "ghp_local0000000000000000000000000000000000",
    names.secretsKeyArn,
  );
  return [
    { use: "sns", options: { topicArn } },
    {
      use: "slack",
      ...(targets.slackMinSeverity ? { minSeverity: targets.slackMinSeverity } : {}),
      // A local receiver needs none of Slack's one message a second per webhook (the demo's receiver does not
      // rate-limit); the tests hold the reporter to it against a receiver that does.
      options: { webhookUrl, pacing: { minIntervalMs: 0 } },
    },
    {
      use: "github",
      options: {
        owner: "acme",
        repo: "security",
        baseUrl: targets.githubApiUrl,
        token,
        // A local receiver needs none of github.com's one-second pacing between writes.
        pacing: { writeIntervalMs: 0, notificationIntervalMs: 0 },
      },
    },
    { use: "email", options: { from: names.emailFrom, to: names.emailTo } },
    { use: "metrics", options: { namespace: "EcrScanReporter" } },
  ];
}
