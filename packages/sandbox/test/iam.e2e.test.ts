import { DescribeImageScanFindingsCommand, DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type PolicyStatement, type Sandbox, startSandbox } from "../src/index.js";

// The sandbox's IAM as a client sees it: a principal's calls are checked against its policy and a denied one is
// answered the way each service answers it (src/sandbox.ts, sns.ts and ses.ts name their sources); credentials of
// no principal act as the account's administrator. Services whose SDK client this package does not depend on are
// asked with raw JSON-protocol requests carrying a SigV4 Authorization header (the sandbox reads its access key).

const ACCOUNT = "123456789012";
const ROLE = "ecr-scan-reporter-report-findings-eu-west-1";
const SESSION_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/ecr-scan-reporter-report-findings`;
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/3f2a1b0c-5d4e-4f6a-9b8c-7d6e5f4a3b2c";
const SECRET = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:slack-webhook`;

let sandbox: Sandbox;
const clients: { destroy(): void }[] = [];

beforeEach(async () => {
  sandbox = await startSandbox({ scanDurationMs: 10 });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await sandbox.close();
});

/** Registers a role's session with these statements; returns its access key id. */
function principal(...Statement: PolicyStatement[]): string {
  const accessKeyId = `ASIATEST${String(sandbox.iam.decisions.length).padStart(12, "0")}`;
  sandbox.iam.addPrincipal({
    accessKeyId,
    arn: SESSION_ARN,
    roleName: ROLE,
    policies: [{ Version: "2012-10-17", Statement }],
  });
  return accessKeyId;
}

const allow = (
  Action: string | string[],
  Resource: string | string[],
  extra: Partial<PolicyStatement> = {},
) => ({ Effect: "Allow", Action, Resource, ...extra }) as PolicyStatement;

function client<T extends { destroy(): void }>(Client: new (config: object) => T, accessKeyId: string): T {
  const made = new Client({
    region: "eu-west-1",
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId, secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  clients.push(made);
  return made;
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: Error & { $metadata?: { httpStatusCode?: number } }) => ({
      name: error.name,
      message: error.message,
      status: error.$metadata?.httpStatusCode,
    }),
  );

/** A JSON-protocol request signed (in form) by the given access key. */
async function rawJson(target: string, input: unknown, accessKeyId: string, version = "1.1") {
  const response = await fetch(sandbox.endpoint, {
    method: "POST",
    headers: {
      "content-type": `application/x-amz-json-${version}`,
      "x-amz-target": target,
      authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20261201/eu-west-1/service/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(input),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, string>,
  };
}

const notAuthorized = (action: string, resource: string) =>
  `User: ${SESSION_ARN} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

describe("the sandbox's IAM, as clients see it", () => {
  it("answers ECR's AccessDeniedException (HTTP 400) with IAM's words to a call the policy does not allow, and records every decision", async () => {
    sandbox.ecr.createRepository("team-a/api");
    sandbox.ecr.createRepository("team-b/api");
    const key = principal(
      allow("ecr:DescribeImages", "arn:aws:ecr:eu-west-1:123456789012:repository/team-a/*"),
    );
    const ecr = client(ECRClient, key);
    await expect(
      ecr.send(new DescribeImagesCommand({ repositoryName: "team-a/api" })),
    ).resolves.toBeDefined();
    const repository = `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/team-b/api`;
    expect(await errorOf(ecr.send(new DescribeImagesCommand({ repositoryName: "team-b/api" })))).toEqual({
      name: "AccessDeniedException",
      message: notAuthorized("ecr:DescribeImages", repository),
      status: 400,
    });
    expect(sandbox.iam.decisions.map((d) => [d.roleName, d.action, d.resource, d.allowed])).toEqual([
      [ROLE, "ecr:DescribeImages", `arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/team-a/api`, true],
      [ROLE, "ecr:DescribeImages", repository, false],
    ]);
  });

  it("lets credentials of no principal act as the account's administrator, still recording their calls", async () => {
    sandbox.ecr.createRepository("team-a/api");
    principal(allow("sns:Publish", "*"));
    const ecr = client(ECRClient, "sandbox");
    await expect(
      ecr.send(new DescribeImagesCommand({ repositoryName: "team-a/api" })),
    ).resolves.toBeDefined();
    expect(sandbox.iam.decisions).toEqual([
      expect.objectContaining({ accessKeyId: "sandbox", action: "ecr:DescribeImages", allowed: true }),
    ]);
    expect(sandbox.iam.decisions[0]?.roleName).toBeUndefined();
  });

  it("requires inspector2:ListFindings of DescribeImageScanFindings under enhanced scanning, and only then", async () => {
    sandbox.ecr.createRepository("team-a/api");
    const digest = sandbox.ecr.seedImage("team-a/api", {
      tags: ["v1"],
      scan: { status: "COMPLETE", completedAt: new Date(), findings: [] },
    });
    const ecr = client(
      ECRClient,
      principal(allow("ecr:DescribeImageScanFindings", "arn:aws:ecr:eu-west-1:123456789012:repository/*")),
    );
    const describe = () =>
      ecr.send(
        new DescribeImageScanFindingsCommand({
          repositoryName: "team-a/api",
          imageId: { imageDigest: digest },
        }),
      );
    await expect(describe()).resolves.toBeDefined();
    sandbox.ecr.scanType = "ENHANCED";
    expect(await errorOf(describe())).toEqual({
      name: "AccessDeniedException",
      message: notAuthorized("inspector2:ListFindings", "*"),
      status: 400,
    });
  });

  it("answers SNS's AuthorizationError (HTTP 403), the action spelled SNS:Publish", async () => {
    const topicArn = sandbox.sns.createTopic("ecr-scan-reporter-findings");
    const other = sandbox.sns.createTopic("other");
    const sns = client(SNSClient, principal(allow("sns:Publish", topicArn)));
    await expect(sns.send(new PublishCommand({ TopicArn: topicArn, Message: "m" }))).resolves.toBeDefined();
    const error = await errorOf(sns.send(new PublishCommand({ TopicArn: other, Message: "m" })));
    expect(error).toMatchObject({ name: "AuthorizationErrorException", status: 403 });
    expect(error?.message).toBe(
      `User: ${SESSION_ARN} is not authorized to perform: SNS:Publish on resource: ${other} because no identity-based policy allows the SNS:Publish action`,
    );
    expect(sandbox.sns.published).toHaveLength(1);
  });

  it("answers SES v2's AccessDeniedException (HTTP 403); in the SES sandbox SendEmail needs the recipients' identities too", async () => {
    sandbox.ses.verifyIdentity("acme.example");
    sandbox.ses.verifyIdentity("sec@partner.example");
    const sender = `arn:aws:ses:eu-west-1:${ACCOUNT}:identity/acme.example`;
    const ses = client(SESv2Client, principal(allow("ses:SendEmail", sender)));
    const send = () =>
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: "scans@acme.example",
          Destination: { ToAddresses: ["sec@partner.example"] },
          Content: { Simple: { Subject: { Data: "s" }, Body: { Text: { Data: "t" } } } },
        }),
      );
    await expect(send()).resolves.toBeDefined();
    sandbox.ses.productionAccess = false;
    const recipient = `arn:aws:ses:eu-west-1:${ACCOUNT}:identity/sec@partner.example`;
    expect(await errorOf(send())).toEqual({
      name: "AccessDeniedException",
      message: notAuthorized("ses:SendEmail", recipient),
      status: 403,
    });
    expect(sandbox.ses.sent).toHaveLength(1);
  });

  it("answers SQS's JSON protocol with HTTP 403 and the query code AccessDenied, the action in lower case", async () => {
    const queue = sandbox.sqs.createQueue("ecr-scan-reporter-scan");
    const key = principal(allow("sqs:ReceiveMessage", queue.arn));
    const answer = await rawJson(
      "AmazonSQS.SendMessageBatch",
      { QueueUrl: queue.url, Entries: [{ Id: "a", MessageBody: "x" }] },
      key,
      "1.0",
    );
    expect(answer.status).toBe(403);
    expect(answer.headers.get("x-amzn-query-error")).toBe("AccessDenied;Sender");
    // A batch is authorized by its single-message action.
    expect(answer.body.message).toBe(
      `User: ${SESSION_ARN} is not authorized to perform: sqs:sendmessage on resource: ${queue.arn} because no identity-based policy allows the sqs:sendmessage action`,
    );
    expect(queue.messages).toHaveLength(0);
  });

  it("matches a secret by the partial ARN followed by -??????, and never by the partial ARN alone", async () => {
    const arn = sandbox.secretsManager.createSecret("slack-webhook", "https://hooks.example/x", {
      suffix: "Ab12Cd",
    });
    expect(arn).toBe(`${SECRET}-Ab12Cd`);
    const read = (key: string) => rawJson("secretsmanager.GetSecretValue", { SecretId: SECRET }, key);
    const withSuffix = await read(principal(allow("secretsmanager:GetSecretValue", `${SECRET}-??????`)));
    expect(withSuffix).toMatchObject({
      status: 200,
      body: { ARN: arn, SecretString: "https://hooks.example/x" },
    });
    const partialOnly = await read(principal(allow("secretsmanager:GetSecretValue", SECRET)));
    expect(partialOnly.status).toBe(400);
    expect(partialOnly.body).toEqual({
      __type: "AccessDeniedException",
      message: notAuthorized("secretsmanager:GetSecretValue", arn),
    });
  });

  it("makes a secret under a customer managed key need kms:Decrypt through Secrets Manager: another service's ViaService is refused", async () => {
    sandbox.secretsManager.createSecret("slack-webhook", "https://hooks.example/x", {
      suffix: "Ab12Cd",
      kmsKeyArn: KEY,
    });
    const read = (via: string) =>
      rawJson(
        "secretsmanager.GetSecretValue",
        { SecretId: `${SECRET}-Ab12Cd` },
        principal(
          allow("secretsmanager:GetSecretValue", `${SECRET}-??????`),
          allow("kms:Decrypt", "arn:aws:kms:eu-west-1:123456789012:key/*", {
            Condition: { StringEquals: { "kms:ViaService": [via] } },
          }),
        ),
      );
    expect((await read("secretsmanager.eu-west-1.amazonaws.com")).status).toBe(200);
    const mismatch = await read("ssm.eu-west-1.amazonaws.com");
    expect(mismatch).toMatchObject({
      status: 400,
      body: { __type: "AccessDeniedException", message: "Access to KMS is not allowed" },
    });
    expect(sandbox.iam.decisions.at(-1)).toMatchObject({
      action: "kms:Decrypt",
      resource: KEY,
      context: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" },
      allowed: false,
    });
  });

  it("makes a SecureString under a customer managed key need kms:Decrypt through Parameter Store, passing KMS's denial on", async () => {
    sandbox.ssm.putParameter("/ecr-scan-reporter/github-token", "ghp_x", "SecureString", KEY);
    sandbox.ssm.putParameter("/ecr-scan-reporter/managed", "ghp_y", "SecureString");
    const parameterArn = (name: string) =>
      `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/ecr-scan-reporter/${name}`;
    const key = principal(allow("ssm:GetParameter", [parameterArn("github-token"), parameterArn("managed")]));
    const read = (name: string, WithDecryption = true) =>
      rawJson("AmazonSSM.GetParameter", { Name: `/ecr-scan-reporter/${name}`, WithDecryption }, key);
    // Under the AWS managed key aws/ssm, or without decryption, no KMS permission is asked for.
    expect((await read("managed")).status).toBe(200);
    expect((await read("github-token", false)).status).toBe(200);
    const denied = await read("github-token");
    expect(denied.status).toBe(400);
    expect(denied.body.__type).toBe("AccessDeniedException");
    expect(denied.body.message).toMatch(
      new RegExp(
        `^${notAuthorized("kms:Decrypt", KEY).replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} \\(Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: [0-9a-f-]+; Proxy: null\\)$`,
      ),
    );
  });
});
