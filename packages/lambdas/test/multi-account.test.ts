import { readFileSync } from "node:fs";
import {
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  StartImageScanCommand,
} from "@aws-sdk/client-ecr";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { SCAN_MESSAGE_VERSION } from "@ecr-scan-reporter/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { freshHandlerPerTest, sqsEventOf } from "./support/handler-env.js";
import { captureHandlerOutput, logsWith, metricValues } from "./support/output.js";

// The three ECR-reading handlers under `accounts` ([8/8]), from their source, with AWS mocked: which credentials
// and which registryId each ECR call carries. On the sandbox (STS, per-account registries): test/multi-account.e2e.test.ts.

const HUB = "123456789012";
const PROD = "222222222222";
const DEV = "333333333333";
const role = (id: string) => `arn:aws:iam::${id}:role/ecr-scan-reporter-member`;
const TOPIC = `arn:aws:sns:eu-west-1:${HUB}:ecr-findings`;
const CONFIG = {
  accounts: [
    { accountId: HUB, name: "hub" },
    { accountId: PROD, roleArn: role(PROD), externalId: "ext-prod", name: "prod" },
    { accountId: DEV, roleArn: role(DEV), name: "dev" },
  ],
  reporters: [{ use: "sns", options: { topicArn: TOPIC } }],
};

const ecr = mockClient(ECRClient);
const sqs = mockClient(SQSClient);
const sts = mockClient(STSClient);
const sns = mockClient(SNSClient);
afterAll(() => {
  for (const mock of [ecr, sqs, sts, sns]) mock.restore();
});

freshHandlerPerTest();

/** The access key an ECR call was signed with: the client's own credentials, resolved as the SDK does. */
async function accessKeyOf(client: ECRClient): Promise<string> {
  const credentials = client.config.credentials as (() => Promise<{ accessKeyId: string }>) | undefined;
  return credentials ? (await credentials()).accessKeyId : "";
}

/** Every ECR call: its command, its registryId, and whose credentials it carried. */
const calls: { command: string; registryId?: string; accessKeyId: string }[] = [];

beforeEach(() => {
  for (const mock of [ecr, sqs, sts, sns]) mock.reset();
  calls.length = 0;
  vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIAHUB");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "hub");
  vi.stubEnv("SCAN_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/123456789012/scan");
  vi.stubEnv("ECR_SCAN_REPORTER_CONFIG", JSON.stringify(CONFIG));
  sts.on(AssumeRoleCommand).callsFake((input: { RoleArn: string }) => {
    const account = /iam::(\d{12}):/.exec(input.RoleArn)?.[1];
    return {
      Credentials: {
        AccessKeyId: `ASIA${account}`,
        SecretAccessKey: "s",
        SessionToken: "t",
        Expiration: new Date(Date.now() + 3_600_000),
      },
    };
  });
  const record =
    (command: string, answer: (registryId: string) => unknown) =>
    async (input: { registryId?: string }, getClient: () => ECRClient) => {
      const accessKeyId = await accessKeyOf(getClient());
      calls.push({ command, registryId: input.registryId, accessKeyId });
      // The registry a caller's credentials may read, as ECR answers without a registry policy.
      const own = accessKeyId === "AKIAHUB" ? HUB : accessKeyId.slice(4);
      if ((input.registryId ?? own) !== own) {
        throw Object.assign(new Error("not authorized"), { name: "AccessDeniedException", $fault: "client" });
      }
      return answer(input.registryId ?? own);
    };
  ecr.on(DescribeRepositoriesCommand).callsFake(
    record("DescribeRepositories", (registryId) => ({
      repositories: [
        {
          repositoryName: "shop/api",
          registryId,
          repositoryArn: `arn:aws:ecr:eu-west-1:${registryId}:repository/shop/api`,
        },
      ],
    })),
  );
  ecr
    .on(GetRegistryScanningConfigurationCommand)
    .callsFake(
      record("GetRegistryScanningConfiguration", () => ({ scanningConfiguration: { scanType: "BASIC" } })),
    );
  sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: e.Id, MD5OfMessageBody: "" })),
    Failed: [],
  }));
});

const queuedMessages = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .map((e) => JSON.parse(e.MessageBody ?? "{}") as { registryId: string; repositoryName: string });

describe("schedule-scans with accounts", () => {
  async function invoke() {
    const { handler } = await import("../src/schedule-scans.js");
    return handler({}, { awsRequestId: "run-1" });
  }

  it("lists the hub's own registry and each member's with that account's credentials, and queues their registryIds", async () => {
    const summary = await invoke();
    expect(
      queuedMessages()
        .map((m) => m.registryId)
        .sort(),
    ).toEqual([HUB, PROD, DEV].sort());
    expect(calls.filter((c) => c.command === "DescribeRepositories")).toEqual(
      expect.arrayContaining([
        { command: "DescribeRepositories", registryId: HUB, accessKeyId: "AKIAHUB" },
        { command: "DescribeRepositories", registryId: PROD, accessKeyId: `ASIA${PROD}` },
        { command: "DescribeRepositories", registryId: DEV, accessKeyId: `ASIA${DEV}` },
      ]),
    );
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual(
      expect.arrayContaining([
        {
          RoleArn: role(PROD),
          RoleSessionName: "ecr-scan-reporter",
          DurationSeconds: 3600,
          ExternalId: "ext-prod",
        },
        { RoleArn: role(DEV), RoleSessionName: "ecr-scan-reporter", DurationSeconds: 3600 },
      ]),
    );
    expect(summary).toMatchObject({ accounts: 3, accountsReached: 3, accountsUnreachable: [], selected: 3 });
  });

  it("refuses at cold start a hub entry (no roleArn) that is not the account it runs in, reading nothing", async () => {
    const { handler } = await import("../src/schedule-scans.js");
    await expect(
      handler(
        {},
        { awsRequestId: "run-1", invokedFunctionArn: "arn:aws:lambda:eu-west-1:999999999999:function:f" },
      ),
    ).rejects.toThrow(
      /accounts\[0\]\.accountId: 123456789012 has no roleArn, so it must be the account these functions run in \(999999999999\)/,
    );
    expect(calls).toEqual([]);
    expect(sts.commandCalls(AssumeRoleCommand)).toEqual([]);
  });

  it("reports an account whose role cannot be assumed, and scans the others", async () => {
    const output = captureHandlerOutput();
    sts.on(AssumeRoleCommand, { RoleArn: role(DEV) }).rejects(
      Object.assign(new Error("not authorized to perform: sts:AssumeRole"), {
        name: "AccessDenied",
        $fault: "client",
      }),
    );
    const summary = await invoke();
    expect(
      queuedMessages()
        .map((m) => m.registryId)
        .sort(),
    ).toEqual([HUB, PROD]);
    expect(summary.accountsUnreachable).toEqual([
      {
        accountId: DEV,
        name: "dev",
        reason: expect.stringMatching(/cannot assume .*333333333333.*AccessDenied/),
      },
    ]);
    // Never the hub's credentials for the member it could not enter.
    expect(calls.filter((c) => c.registryId === DEV)).toEqual([]);
    expect(metricValues(output.metrics, "AccountsUnreachable").map((m) => m.value)).toEqual([1]);
    expect(
      logsWith(output.logs, "account not reachable; its repositories are not scanned this run"),
    ).toHaveLength(1);
  });
});

describe("scan-images with accounts", () => {
  it("scans a member's repository with the member's credentials, passing its registryId on every call", async () => {
    ecr
      .on(DescribeImagesCommand)
      .callsFake(async (input: { registryId?: string }, getClient: () => ECRClient) => {
        calls.push({
          command: "DescribeImages",
          registryId: input.registryId,
          accessKeyId: await accessKeyOf(getClient()),
        });
        return {
          imageDetails: [
            {
              registryId: PROD,
              repositoryName: "shop/api",
              imageDigest: `sha256:${"a".repeat(64)}`,
              imageTags: ["1.0"],
              imagePushedAt: new Date(),
            },
          ],
        };
      });
    ecr
      .on(DescribeImageScanFindingsCommand)
      .callsFake(async (input: { registryId?: string }, getClient: () => ECRClient) => {
        calls.push({
          command: "DescribeImageScanFindings",
          registryId: input.registryId,
          accessKeyId: await accessKeyOf(getClient()),
        });
        throw Object.assign(new Error("never scanned"), { name: "ScanNotFoundException", $fault: "client" });
      });
    ecr
      .on(StartImageScanCommand)
      .callsFake(async (input: { registryId?: string }, getClient: () => ECRClient) => {
        calls.push({
          command: "StartImageScan",
          registryId: input.registryId,
          accessKeyId: await accessKeyOf(getClient()),
        });
        return { imageScanStatus: { status: "IN_PROGRESS" } };
      });
    const { handler } = await import("../src/scan-images.js");
    const body = JSON.stringify({
      version: SCAN_MESSAGE_VERSION,
      kind: "scan-repository",
      registryId: PROD,
      repositoryName: "shop/api",
      scanType: "BASIC",
      runId: "run-1",
    });
    const response = await handler(sqsEventOf([{ messageId: "m", body }]));
    expect(response.batchItemFailures).toEqual([]);
    expect(calls.map((c) => c.command)).toEqual([
      "DescribeImages",
      "DescribeImageScanFindings",
      "StartImageScan",
    ]);
    expect(calls.every((c) => c.registryId === PROD && c.accessKeyId === `ASIA${PROD}`)).toBe(true);
  });
});

describe("scan-images when one repository is denied", () => {
  it("reports that repository as not scannable and scans the next one", async () => {
    const output = captureHandlerOutput();
    ecr.on(DescribeImagesCommand, { repositoryName: "locked/db" }).rejects(
      Object.assign(new Error("User: … is not authorized to perform: ecr:DescribeImages"), {
        name: "AccessDeniedException",
        $fault: "client",
      }),
    );
    ecr.on(DescribeImagesCommand, { repositoryName: "shop/api" }).resolves({ imageDetails: [] });
    const { handler } = await import("../src/scan-images.js");
    const message = (repositoryName: string) =>
      JSON.stringify({
        version: SCAN_MESSAGE_VERSION,
        kind: "scan-repository",
        registryId: PROD,
        repositoryName,
        scanType: "BASIC",
        runId: "run-1",
      });
    const response = await handler(
      sqsEventOf([
        { messageId: "locked", body: message("locked/db") },
        { messageId: "open", body: message("shop/api") },
      ]),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect(ecr.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input.repositoryName)).toEqual([
      "locked/db",
      "shop/api",
    ]);
    expect(
      logsWith(output.logs, "repository not scannable: access denied; the other repositories go on"),
    ).toEqual([expect.objectContaining({ registryId: PROD, repositoryName: "locked/db" })]);
    expect(logsWith(output.logs, "repository scanned")).toEqual([
      expect.objectContaining({ repositoryName: "shop/api" }),
    ]);
  });
});

describe("report-findings with accounts", () => {
  const fixture = JSON.parse(
    readFileSync(
      new URL("../../../test/fixtures/events/ecr-image-scan-complete-tagged.json", import.meta.url),
      "utf8",
    ),
  ) as Record<string, unknown> & { detail: Record<string, unknown> };
  const eventOf = (account: string) => ({
    ...fixture,
    account,
    resources: [`arn:aws:ecr:eu-west-1:${account}:repository/${fixture.detail["repository-name"]}`],
  });

  async function invoke(records: { messageId: string; body: string }[]) {
    const { handler } = await import("../src/report-findings.js");
    return handler(sqsEventOf(records));
  }

  it("reads a member's findings with its role and names the account in what it sends; drops an unlisted account's event", async () => {
    const output = captureHandlerOutput();
    ecr
      .on(DescribeImageScanFindingsCommand)
      .callsFake(async (input: { registryId?: string }, getClient: () => ECRClient) => {
        calls.push({
          command: "DescribeImageScanFindings",
          registryId: input.registryId,
          accessKeyId: await accessKeyOf(getClient()),
        });
        return {
          imageScanStatus: { status: "COMPLETE" },
          imageScanFindings: {
            imageScanCompletedAt: new Date("2026-12-01T09:00:00Z"),
            findings: [
              {
                name: "CVE-2026-0001",
                severity: "CRITICAL",
                attributes: [{ key: "package_name", value: "openssl" }],
              },
            ],
          },
        };
      });
    sns.on(PublishCommand).resolves({ MessageId: "p" });
    const response = await invoke([
      { messageId: "prod", body: JSON.stringify(eventOf(PROD)) },
      { messageId: "stranger", body: JSON.stringify(eventOf("444444444444")) },
    ]);
    expect(response.batchItemFailures).toEqual([]);
    expect(calls).toEqual([
      { command: "DescribeImageScanFindings", registryId: PROD, accessKeyId: `ASIA${PROD}` },
    ]);
    const published = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    expect(published).toHaveLength(1);
    expect(published[0]?.Message).toContain(`prod (${PROD})`);
    expect(logsWith(output.logs, "report")).toEqual([
      expect.objectContaining({ account: PROD, accountName: "prod" }),
    ]);
    expect(
      logsWith(output.logs, "dropping an event of an account not in the configuration's accounts"),
    ).toEqual([expect.objectContaining({ accountId: "444444444444", messageId: "stranger" })]);
  });
});
