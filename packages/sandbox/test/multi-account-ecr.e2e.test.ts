import { fileURLToPath } from "node:url";
import {
  BatchDeleteImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  StartImageScanCommand,
} from "@aws-sdk/client-ecr";
import { AssumeRoleCommand, type Credentials, STSClient } from "@aws-sdk/client-sts";
import { afterEach, describe, expect, it } from "vitest";
import { LocalDeployment, type Sandbox, type SandboxOptions, startSandbox } from "../src/index.js";

// Registries per account, as clients see them through the real @aws-sdk/client-ecr: each account's credentials
// read their own registry and no other (ECR has no registry policy here, so a cross-account call lacks the
// resource-based side IAM needs: src/iam/authorizer.ts, `decide`), the administrator reads any by registryId, and
// a member registry's events name the member and reach the hub's report queue only when the member forwards them.
// The LocalDeployment is only constructed (its functions never run), for its EventBridge rules and its roles.

const HUB = "123456789012";
const MEMBER = "210987654321";
const QUIET_MEMBER = "333333333333";
const REGION = "eu-west-1";
const DIST = fileURLToPath(new URL("../../../terraform/dist", import.meta.url));

let sandbox: Sandbox;
let deployment: LocalDeployment;
const clients: { destroy(): void }[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await deployment.close();
  await sandbox.close();
});

async function start(options: SandboxOptions = {}): Promise<void> {
  sandbox = await startSandbox({ scanDurationMs: 10, ...options });
  deployment = new LocalDeployment({ sandbox, distDir: DIST, config: { reporters: [] } });
  await deployment.ready();
}

function client<T extends { destroy(): void }>(
  Client: new (config: object) => T,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
): T {
  const made = new Client({ region: REGION, endpoint: sandbox.endpoint, credentials, maxAttempts: 1 });
  clients.push(made);
  return made;
}

/** The member role's credentials, as the hub's schedule-scans would get them (with sts:AssumeRole allowed). */
async function memberCredentials(
  accountId: string,
): Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken: string }> {
  const accessKeyId = `ASIAHUB${accountId}0`;
  const hub = deployment.principals["schedule-scans"];
  if (!hub) throw new Error("the local deployment runs without IAM");
  sandbox.iam.addPrincipal({
    ...hub,
    accessKeyId,
    policies: [
      ...hub.policies,
      {
        Statement: [
          {
            Effect: "Allow",
            Action: "sts:AssumeRole",
            Resource: `arn:aws:iam::${accountId}:role/ecr-scan-reporter-member`,
          },
        ],
      },
    ],
  });
  const sts = client(STSClient, { accessKeyId, secretAccessKey: "secret" });
  const { Credentials: credentials } = await sts.send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${accountId}:role/ecr-scan-reporter-member`,
      RoleSessionName: "ecr-scan-reporter",
    }),
  );
  const { AccessKeyId, SecretAccessKey, SessionToken } = credentials as Credentials;
  return {
    accessKeyId: String(AccessKeyId),
    secretAccessKey: String(SecretAccessKey),
    sessionToken: String(SessionToken),
  };
}

/** An ECR client signing with the member role's credentials. */
async function memberEcr(accountId: string): Promise<ECRClient> {
  return client(ECRClient, await memberCredentials(accountId));
}

/**
 * An ECR request sent as AWS JSON 1.1 by hand, for members an operation does not have (the SDK drops them): signed
 * in name only, as the sandbox reads the access key id from the Authorization header and checks no signature.
 */
async function rawEcr(
  operation: string,
  input: Record<string, unknown>,
  credentials: { accessKeyId: string; sessionToken?: string },
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(sandbox.endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AmazonEC2ContainerRegistry_V20150921.${operation}`,
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20260101/${REGION}/ecr/aws4_request, SignedHeaders=host, Signature=0`,
      ...(credentials.sessionToken ? { "x-amz-security-token": credentials.sessionToken } : {}),
    },
    body: JSON.stringify(input),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
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

const crossAccountDenial = (caller: string, action: string, resource: string) => ({
  name: "AccessDeniedException",
  message: `User: ${caller} is not authorized to perform: ${action} on resource: ${resource} because no resource-based policy allows the ${action} action`,
  status: 400,
});

/** The events the hub's report rule put on the report queue. */
const reportQueueEvents = () =>
  deployment.queues.report.messages.map(
    (m) =>
      JSON.parse(m.body) as {
        account: string;
        "detail-type": string;
        resources: string[];
        detail: Record<string, unknown>;
      },
  );

describe("ECR registries per account", () => {
  it("gives a member's credentials its own registry, with its account in every ARN and registryId", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    sandbox.ecr.createRepository("team-a/api");
    sandbox.ecr.createRepository("team-m/api", MEMBER);
    sandbox.ecr.seedImage("team-m/api", { tags: ["v1"] }, "member image", MEMBER);
    const member = await memberEcr(MEMBER);

    const { repositories } = await member.send(new DescribeRepositoriesCommand({}));
    expect(repositories?.map((r) => [r.repositoryName, r.registryId, r.repositoryArn])).toEqual([
      ["team-m/api", MEMBER, `arn:aws:ecr:${REGION}:${MEMBER}:repository/team-m/api`],
    ]);
    const named = await member.send(
      new DescribeImagesCommand({ registryId: MEMBER, repositoryName: "team-m/api" }),
    );
    expect(named.imageDetails?.map((i) => [i.registryId, i.imageTags])).toEqual([[MEMBER, ["v1"]]]);
    // The registry-level configuration is the caller's own registry's (GetRegistryScanningConfiguration takes none).
    sandbox.ecr.registry(MEMBER).scanType = "ENHANCED";
    expect(await member.send(new GetRegistryScanningConfigurationCommand({}))).toMatchObject({
      registryId: MEMBER,
      scanningConfiguration: { scanType: "ENHANCED" },
    });
    expect(sandbox.ecr.scanType).toBe("BASIC");
    expect(sandbox.ecr.callsByAccount).toEqual({
      [MEMBER]: { DescribeRepositories: 1, DescribeImages: 1, GetRegistryScanningConfiguration: 1 },
    });
  });

  it("denies a member's credentials the hub's registry, as ECR words a cross-account denial", async () => {
    await start();
    const session = sandbox.addAccount(MEMBER);
    sandbox.ecr.createRepository("team-a/api");
    const member = await memberEcr(MEMBER);
    const caller = `arn:aws:sts::${MEMBER}:assumed-role/${session.role.name}/ecr-scan-reporter`;
    expect(await errorOf(member.send(new DescribeRepositoriesCommand({ registryId: HUB })))).toEqual(
      crossAccountDenial(caller, "ecr:DescribeRepositories", `arn:aws:ecr:${REGION}:${HUB}:repository/*`),
    );
    expect(
      await errorOf(
        member.send(new DescribeImagesCommand({ registryId: HUB, repositoryName: "team-a/api" })),
      ),
    ).toEqual(
      crossAccountDenial(caller, "ecr:DescribeImages", `arn:aws:ecr:${REGION}:${HUB}:repository/team-a/api`),
    );
    expect(sandbox.ecr.callsByAccount[HUB]).toBeUndefined();
  });

  it("denies the hub's own credentials a member's registry, even with a policy that allows every ECR action everywhere", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    sandbox.ecr.createRepository("team-m/api", MEMBER);
    const hub = deployment.principals["schedule-scans"];
    if (!hub) throw new Error("the local deployment runs without IAM");
    const hubEcr = client(ECRClient, { accessKeyId: hub.accessKeyId, secretAccessKey: "secret" });
    expect(await errorOf(hubEcr.send(new DescribeRepositoriesCommand({ registryId: MEMBER })))).toEqual(
      crossAccountDenial(hub.arn, "ecr:DescribeRepositories", `arn:aws:ecr:${REGION}:${MEMBER}:repository/*`),
    );
    // Its own registry still answers it.
    await expect(hubEcr.send(new DescribeRepositoriesCommand({}))).resolves.toMatchObject({
      repositories: [],
    });

    sandbox.iam.addPrincipal({
      ...hub,
      accessKeyId: "ASIAHUBWILDCARD00000",
      policies: [{ Statement: [{ Effect: "Allow", Action: "ecr:*", Resource: "*" }] }],
    });
    const wildcard = client(ECRClient, { accessKeyId: "ASIAHUBWILDCARD00000", secretAccessKey: "secret" });
    expect(await errorOf(wildcard.send(new DescribeRepositoriesCommand({ registryId: MEMBER })))).toEqual(
      crossAccountDenial(hub.arn, "ecr:DescribeRepositories", `arn:aws:ecr:${REGION}:${MEMBER}:repository/*`),
    );
  });

  it("lets the administrator read and seed any registry by registryId, and answers an unknown registry as missing", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    sandbox.ecr.createRepository("team-m/api", MEMBER);
    const admin = client(ECRClient, { accessKeyId: "sandbox", secretAccessKey: "sandbox" });
    const { repositories } = await admin.send(new DescribeRepositoriesCommand({ registryId: MEMBER }));
    expect(repositories?.map((r) => r.repositoryArn)).toEqual([
      `arn:aws:ecr:${REGION}:${MEMBER}:repository/team-m/api`,
    ]);
    expect((await admin.send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
    expect(
      await errorOf(admin.send(new DescribeRepositoriesCommand({ registryId: "444444444444" }))),
    ).toEqual({
      name: "RepositoryNotFoundException",
      message: "The registry with id '444444444444' does not exist",
      status: 400,
    });
  });
});

describe("the registry scanning configuration", () => {
  it("is always the caller's own registry's: a registryId in the input (which the API does not have) is ignored", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    const admin = { accessKeyId: "sandbox" };
    // The administrator's own registry is the hub's, whatever registry the input names.
    const put = await rawEcr(
      "PutRegistryScanningConfiguration",
      { registryId: MEMBER, scanType: "ENHANCED" },
      admin,
    );
    expect(put).toMatchObject({
      status: 200,
      body: { registryScanningConfiguration: { scanType: "ENHANCED" } },
    });
    expect(sandbox.ecr.scanType).toBe("ENHANCED");
    expect(sandbox.ecr.registry(MEMBER).scanType).toBe("BASIC");
    expect(await rawEcr("GetRegistryScanningConfiguration", { registryId: MEMBER }, admin)).toMatchObject({
      status: 200,
      body: { registryId: HUB, scanningConfiguration: { scanType: "ENHANCED" } },
    });
    // A member's session naming the hub's registry reads its own, and is not denied as a cross-account call.
    const member = await memberCredentials(MEMBER);
    expect(await rawEcr("GetRegistryScanningConfiguration", { registryId: HUB }, member)).toMatchObject({
      status: 200,
      body: { registryId: MEMBER, scanningConfiguration: { scanType: "BASIC" } },
    });
    expect(sandbox.ecr.callsByAccount).toEqual({
      [HUB]: { PutRegistryScanningConfiguration: 1, GetRegistryScanningConfiguration: 1 },
      [MEMBER]: { GetRegistryScanningConfiguration: 1 },
    });
    expect(sandbox.iam.denials()).toEqual([]);
  });
});

describe("ECR's rate limits", () => {
  it("are per registry, as ECR's request quotas are per account and region: one registry's calls leave another's budget", async () => {
    await start({ rateLimits: { "ecr:DescribeRepositories": 1 } });
    sandbox.addAccount(MEMBER);
    const admin = client(ECRClient, { accessKeyId: "sandbox", secretAccessKey: "sandbox" });
    const describe = (registryId?: string) =>
      errorOf(admin.send(new DescribeRepositoriesCommand(registryId ? { registryId } : {})));
    expect(await describe()).toBeUndefined();
    expect(await describe()).toMatchObject({ name: "ThrottlingException", status: 400 });
    expect(await describe(MEMBER)).toBeUndefined();
    expect(await describe(MEMBER)).toMatchObject({ name: "ThrottlingException", status: 400 });
    expect(sandbox.ecr.callsByAccount).toEqual({
      [HUB]: { DescribeRepositories: 1 },
      [MEMBER]: { DescribeRepositories: 1 },
    });
  });
});

describe("a member registry's events", () => {
  it("name the member account and its repository ARNs, and reach the hub's report queue only when the member forwards them", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    sandbox.addAccount(QUIET_MEMBER, { forwardEvents: false });
    const emitted: { account: string; "detail-type": string }[] = [];
    sandbox.ecr.onScanEvent((event) => emitted.push(event));
    for (const account of [MEMBER, QUIET_MEMBER]) {
      sandbox.ecr.createRepository("team-m/api", account);
      const digest = sandbox.ecr.seedImage("team-m/api", { tags: ["v1"] }, `image of ${account}`, account);
      const member = await memberEcr(account);
      await member.send(
        new StartImageScanCommand({ repositoryName: "team-m/api", imageId: { imageDigest: digest } }),
      );
    }
    await sandbox.ecr.whenScansSettled();

    expect(emitted.map((e) => [e["detail-type"], e.account])).toEqual([
      ["ECR Image Scan", MEMBER],
      ["ECR Image Scan", QUIET_MEMBER],
    ]);
    expect(reportQueueEvents()).toEqual([
      expect.objectContaining({
        "detail-type": "ECR Image Scan",
        account: MEMBER,
        resources: [`arn:aws:ecr:${REGION}:${MEMBER}:repository/team-m/api`],
        detail: expect.objectContaining({ "repository-name": "team-m/api", "scan-status": "COMPLETE" }),
      }),
    ]);
    expect(sandbox.ecr.scanRequests.map((r) => [r.registryId, r.outcome])).toEqual([
      [MEMBER, "IN_PROGRESS"],
      [QUIET_MEMBER, "IN_PROGRESS"],
    ]);
  });

  it("carry the member in Inspector's events (the repository ARN) and in deletion events", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    const registry = sandbox.ecr.registry(MEMBER);
    registry.scanType = "ENHANCED";
    registry.createRepository("team-m/api");
    const digest = registry.seedImage("team-m/api", { tags: ["v1"] }, "inspected image");
    await sandbox.ecr.whenScansSettled();
    const admin = client(ECRClient, { accessKeyId: "sandbox", secretAccessKey: "sandbox" });
    await admin.send(
      new BatchDeleteImageCommand({
        registryId: MEMBER,
        repositoryName: "team-m/api",
        imageIds: [{ imageDigest: digest }],
      }),
    );

    const repositoryArn = `arn:aws:ecr:${REGION}:${MEMBER}:repository/team-m/api`;
    expect(reportQueueEvents()).toEqual([
      expect.objectContaining({
        "detail-type": "Inspector2 Scan",
        account: MEMBER,
        resources: [repositoryArn],
        detail: expect.objectContaining({ "repository-name": repositoryArn, "image-digest": digest }),
      }),
      expect.objectContaining({
        "detail-type": "ECR Image Action",
        account: MEMBER,
        detail: expect.objectContaining({ "action-type": "DELETE", "image-digest": digest }),
      }),
    ]);
  });

  it("keep the hub's own registry's path: its events reach the report queue with the hub's account", async () => {
    await start();
    sandbox.addAccount(MEMBER, { forwardEvents: false });
    sandbox.ecr.createRepository("team-a/api");
    const digest = sandbox.ecr.seedImage("team-a/api", { tags: ["v1"] }, "hub image");
    const hub = deployment.principals["scan-images"];
    if (!hub) throw new Error("the local deployment runs without IAM");
    await client(ECRClient, { accessKeyId: hub.accessKeyId, secretAccessKey: "secret" }).send(
      new StartImageScanCommand({ repositoryName: "team-a/api", imageId: { imageDigest: digest } }),
    );
    await sandbox.ecr.whenScansSettled();
    expect(reportQueueEvents().map((e) => [e["detail-type"], e.account, e.resources])).toEqual([
      ["ECR Image Scan", HUB, [`arn:aws:ecr:${REGION}:${HUB}:repository/team-a/api`]],
    ]);
  });
});
