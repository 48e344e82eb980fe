import { DescribeRepositoriesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  type Credentials,
  GetCallerIdentityCommand,
  STSClient,
} from "@aws-sdk/client-sts";
import { afterEach, describe, expect, it } from "vitest";
import {
  loadModulePolicies,
  type PolicyDocument,
  type Sandbox,
  type SandboxOptions,
  startSandbox,
} from "../src/index.js";

// The sandbox's STS as the hub's functions see it, through the real @aws-sdk/client-sts over HTTP: AssumeRole of a
// member account's role is checked on both sides (the caller's identity policy, the role's trust and ExternalId),
// answered as STS answers (src/sts.ts names each source), and the credentials it issues work only with their
// session token and only until they expire (src/server.ts).

const HUB = "123456789012";
const MEMBER = "210987654321";
const REGION = "eu-west-1";
const MEMBER_ROLE = `arn:aws:iam::${MEMBER}:role/ecr-scan-reporter-member`;
/** A hub function's session, of a role the member's trust names by default (the local deployment's). */
const hubFunction = loadModulePolicies().deployments.local_deployment.functions["schedule-scans"];
const HUB_SESSION = `arn:aws:sts::${HUB}:assumed-role/${hubFunction.roleName}/${hubFunction.functionName}`;

let sandbox: Sandbox;
const clients: { destroy(): void }[] = [];

async function start(options: SandboxOptions = {}): Promise<Sandbox> {
  sandbox = await startSandbox({ scanDurationMs: 10, ...options });
  return sandbox;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await sandbox.close();
});

/** The hub function's session with its module policy and, unless told otherwise, sts:AssumeRole on the role. */
function hubPrincipal(assumeRoleOn: string[] = [MEMBER_ROLE], arn = HUB_SESSION): string {
  const accessKeyId = `ASIAHUB${String(sandbox.iam.decisions.length + sandbox.sts.calls.length).padStart(13, "0")}`;
  const assume: PolicyDocument = {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AssumeMemberRoles", Effect: "Allow", Action: "sts:AssumeRole", Resource: assumeRoleOn },
    ],
  };
  sandbox.iam.addPrincipal({
    accessKeyId,
    arn,
    roleName: arn.split("/")[1] ?? "",
    policies: assumeRoleOn.length > 0 ? [hubFunction.policy, assume] : [hubFunction.policy],
  });
  return accessKeyId;
}

function sts(credentials: {
  accessKeyId: string;
  secretAccessKey?: string;
  sessionToken?: string;
}): STSClient {
  const client = new STSClient({
    region: REGION,
    endpoint: sandbox.endpoint,
    credentials: { secretAccessKey: "secret", ...credentials },
    maxAttempts: 1,
  });
  clients.push(client);
  return client;
}

/** The SDK's credentials of an AssumeRole answer. */
const identityOf = (credentials: Credentials) => ({
  accessKeyId: String(credentials.AccessKeyId),
  secretAccessKey: String(credentials.SecretAccessKey),
  sessionToken: String(credentials.SessionToken),
});

function ecr(credentials: {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}): ECRClient {
  const client = new ECRClient({ region: REGION, endpoint: sandbox.endpoint, credentials, maxAttempts: 1 });
  clients.push(client);
  return client;
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

const assumeInput = (extra: Partial<AssumeRoleCommandInput> = {}): AssumeRoleCommandInput => ({
  RoleArn: MEMBER_ROLE,
  RoleSessionName: "ecr-scan-reporter",
  ...extra,
});

const accessDenied = (caller: string, role = MEMBER_ROLE) => ({
  name: "AccessDenied",
  message: `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${role}`,
  status: 403,
});

describe("STS AssumeRole on the sandbox", () => {
  it("issues temporary credentials of the member role to a hub function its trust names, which act in the member account", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    const before = sandbox.now();
    const answer = await sts({ accessKeyId: hubPrincipal() }).send(new AssumeRoleCommand(assumeInput()));
    const credentials = answer.Credentials as Credentials;
    expect(credentials.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(credentials.SecretAccessKey).toBeTruthy();
    expect(credentials.SessionToken?.length).toBeGreaterThan(100);
    // An hour by default, stated to the second.
    const expiresIn = (credentials.Expiration as Date).getTime() - before;
    expect(expiresIn).toBeGreaterThanOrEqual(3_600_000);
    expect(expiresIn).toBeLessThanOrEqual(3_602_000);
    expect(answer.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${MEMBER}:assumed-role/ecr-scan-reporter-member/ecr-scan-reporter`,
    );
    expect(answer.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:ecr-scan-reporter$/);

    const identity = await sts(identityOf(credentials)).send(new GetCallerIdentityCommand({}));
    expect(identity).toMatchObject({ Account: MEMBER, Arn: answer.AssumedRoleUser?.Arn });
    expect(sandbox.sts.calls).toEqual([
      expect.objectContaining({
        roleArn: MEMBER_ROLE,
        roleSessionName: "ecr-scan-reporter",
        callerArn: HUB_SESSION,
        outcome: "issued",
        accessKeyId: credentials.AccessKeyId,
      }),
    ]);
  });

  it("requires the ExternalId the role's trust names: missing or wrong is AccessDenied, right is issued", async () => {
    await start();
    sandbox.addAccount(MEMBER, { externalId: "hub-7f3a" });
    const client = sts({ accessKeyId: hubPrincipal() });
    expect(await errorOf(client.send(new AssumeRoleCommand(assumeInput())))).toEqual(
      accessDenied(HUB_SESSION),
    );
    expect(
      await errorOf(client.send(new AssumeRoleCommand(assumeInput({ ExternalId: "hub-7f3b" })))),
    ).toEqual(accessDenied(HUB_SESSION));
    const answer = await client.send(new AssumeRoleCommand(assumeInput({ ExternalId: "hub-7f3a" })));
    expect(answer.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(sandbox.sts.calls.map((c) => [c.externalId, c.outcome])).toEqual([
      [undefined, "AccessDenied"],
      ["hub-7f3b", "AccessDenied"],
      ["hub-7f3a", "issued"],
    ]);
  });

  it("denies a caller whose own policy does not allow sts:AssumeRole on the role, though the trust names it", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    const key = hubPrincipal([`arn:aws:iam::${MEMBER}:role/some-other-role`]);
    expect(await errorOf(sts({ accessKeyId: key }).send(new AssumeRoleCommand(assumeInput())))).toEqual(
      accessDenied(HUB_SESSION),
    );
    expect(sandbox.iam.denials()).toEqual([
      expect.objectContaining({ action: "sts:AssumeRole", resource: MEMBER_ROLE, allowed: false }),
    ]);
  });

  it("denies a caller the role's trust does not name, though its own policy allows the call", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    const stranger = `arn:aws:sts::${HUB}:assumed-role/someone-else/session`;
    const key = hubPrincipal([MEMBER_ROLE], stranger);
    expect(await errorOf(sts({ accessKeyId: key }).send(new AssumeRoleCommand(assumeInput())))).toEqual(
      accessDenied(stranger),
    );
  });

  it("answers a role that does not exist with the same AccessDenied (STS never says whether a role exists)", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    const missing = `arn:aws:iam::${MEMBER}:role/not-applied-yet`;
    const key = hubPrincipal([missing]);
    expect(
      await errorOf(sts({ accessKeyId: key }).send(new AssumeRoleCommand(assumeInput({ RoleArn: missing })))),
    ).toEqual(accessDenied(HUB_SESSION, missing));
  });

  it("lets the administrator (no principal) assume a member role, with the ExternalId its trust requires", async () => {
    await start();
    sandbox.addAccount(MEMBER, { externalId: "hub-7f3a" });
    const admin = sts({ accessKeyId: "sandbox" });
    expect(await errorOf(admin.send(new AssumeRoleCommand(assumeInput())))).toEqual(
      accessDenied(`arn:aws:iam::${HUB}:root`),
    );
    await expect(
      admin.send(new AssumeRoleCommand(assumeInput({ ExternalId: "hub-7f3a" }))),
    ).resolves.toMatchObject({
      AssumedRoleUser: {
        Arn: `arn:aws:sts::${MEMBER}:assumed-role/ecr-scan-reporter-member/ecr-scan-reporter`,
      },
    });
  });

  it("validates the parameters as STS does, every broken bound in one ValidationError", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    const client = sts({ accessKeyId: hubPrincipal() });
    const validation = (message: string) => ({ name: "ValidationError", message, status: 400 });
    expect(await errorOf(client.send(new AssumeRoleCommand(assumeInput({ RoleSessionName: "a" }))))).toEqual(
      validation(
        "1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
      ),
    );
    expect(
      await errorOf(
        client.send(
          new AssumeRoleCommand(assumeInput({ RoleSessionName: "has space", DurationSeconds: 600 })),
        ),
      ),
    ).toEqual(
      validation(
        "2 validation errors detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*; Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
      ),
    );
    expect(await errorOf(client.send(new AssumeRoleCommand(assumeInput({ ExternalId: "x" }))))).toEqual(
      validation(
        "1 validation error detected: Value 'x' at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2",
      ),
    );
    expect(
      await errorOf(client.send(new AssumeRoleCommand(assumeInput({ DurationSeconds: 50_000 })))),
    ).toEqual(
      validation(
        "1 validation error detected: Value '50000' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
      ),
    );
    // Within STS's bounds but past the role's MaxSessionDuration (an hour unless raised).
    expect(await errorOf(client.send(new AssumeRoleCommand(assumeInput({ DurationSeconds: 7200 }))))).toEqual(
      validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
    );
    expect(sandbox.sts.sessions).toHaveLength(0);
  });

  it("limits a role session that assumes a role to an hour (role chaining), whatever the role's maximum", async () => {
    await start();
    sandbox.addAccount(MEMBER, { maxSessionDurationSeconds: 43_200 });
    expect(
      await errorOf(
        sts({ accessKeyId: hubPrincipal() }).send(
          new AssumeRoleCommand(assumeInput({ DurationSeconds: 7200 })),
        ),
      ),
    ).toEqual({
      name: "ValidationError",
      message:
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
      status: 400,
    });
    // The administrator is no role session: its 2-hour session is granted.
    const answer = await sts({ accessKeyId: "sandbox" }).send(
      new AssumeRoleCommand(assumeInput({ DurationSeconds: 7200 })),
    );
    const expiration = (answer.Credentials as Credentials).Expiration as Date;
    expect(expiration.getTime() - sandbox.now()).toBeGreaterThan(7_190_000);
  });
});

describe("temporary credentials after AssumeRole", () => {
  it("answer ExpiredTokenException (HTTP 400) on ECR and ExpiredToken (403) on STS once the session is ended", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    const answer = await sts({ accessKeyId: hubPrincipal() }).send(new AssumeRoleCommand(assumeInput()));
    const credentials = answer.Credentials as Credentials;
    const member = ecr(identityOf(credentials));
    await expect(member.send(new DescribeRepositoriesCommand({}))).resolves.toBeDefined();

    sandbox.sts.expireSession(String(credentials.AccessKeyId));
    expect(await errorOf(member.send(new DescribeRepositoriesCommand({})))).toEqual({
      name: "ExpiredTokenException",
      message: "The security token included in the request is expired",
      status: 400,
    });
    const stsWithThem = sts(identityOf(credentials));
    expect(await errorOf(stsWithThem.send(new GetCallerIdentityCommand({})))).toEqual({
      name: "ExpiredToken",
      message: "The security token included in the request is expired",
      status: 403,
    });
    // Refused before any service saw it: no ECR operation ran, no IAM decision was taken for it.
    expect(sandbox.ecr.callsByAccount[MEMBER]).toEqual({ DescribeRepositories: 1 });
  });

  it("expire on the sandbox's clock at the Expiration they state, shortened by stsCredentialsTtlMs", async () => {
    let clock = Date.parse("2026-12-01T10:00:00.250Z");
    await start({ now: () => clock, stsCredentialsTtlMs: 2_000 });
    sandbox.addAccount(MEMBER);
    const answer = await sts({ accessKeyId: hubPrincipal() }).send(new AssumeRoleCommand(assumeInput()));
    const credentials = answer.Credentials as Credentials;
    expect(credentials.Expiration?.toISOString()).toBe("2026-12-01T10:00:03.000Z");
    const member = ecr(identityOf(credentials));
    clock = Date.parse("2026-12-01T10:00:02.999Z");
    await expect(member.send(new DescribeRepositoriesCommand({}))).resolves.toBeDefined();
    clock = Date.parse("2026-12-01T10:00:03.000Z");
    expect(await errorOf(member.send(new DescribeRepositoriesCommand({})))).toMatchObject({
      name: "ExpiredTokenException",
      status: 400,
    });
  });

  it("are refused without their session token, as an invalid security token", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    const answer = await sts({ accessKeyId: hubPrincipal() }).send(new AssumeRoleCommand(assumeInput()));
    const { accessKeyId, secretAccessKey } = identityOf(answer.Credentials as Credentials);
    const withoutToken = ecr({ accessKeyId, secretAccessKey });
    expect(await errorOf(withoutToken.send(new DescribeRepositoriesCommand({})))).toEqual({
      name: "UnrecognizedClientException",
      message: "The security token included in the request is invalid.",
      status: 400,
    });
  });

  it("are refused, like any ASIA… key the sandbox never issued, once their session is gone: never taken for the administrator", async () => {
    await start();
    sandbox.addAccount(MEMBER);
    sandbox.ecr.createRepository("hub/api");
    const topicArn = sandbox.sns.createTopic("alerts");
    const invalid = "The security token included in the request is invalid.";
    const unknownKey = "ASIAUNKNOWN000000000";
    const stranger = { accessKeyId: unknownKey, secretAccessKey: "secret" };
    expect(await errorOf(ecr(stranger).send(new DescribeRepositoriesCommand({})))).toEqual({
      name: "UnrecognizedClientException",
      message: invalid,
      status: 400,
    });
    expect(await errorOf(sts(stranger).send(new GetCallerIdentityCommand({})))).toEqual({
      name: "InvalidClientTokenId",
      message: invalid,
      status: 403,
    });
    const sns = new SNSClient({
      region: REGION,
      endpoint: sandbox.endpoint,
      credentials: stranger,
      maxAttempts: 1,
    });
    clients.push(sns);
    expect(await errorOf(sns.send(new PublishCommand({ TopicArn: topicArn, Message: "hello" })))).toEqual({
      name: "InvalidClientTokenId",
      message: invalid,
      status: 403,
    });
    expect(sandbox.sns.published).toEqual([]);

    // A session that was issued, then removed from the sandbox's IAM, is as unknown as that key.
    const answer = await sts({ accessKeyId: hubPrincipal() }).send(new AssumeRoleCommand(assumeInput()));
    const issued = identityOf(answer.Credentials as Credentials);
    await expect(ecr(issued).send(new DescribeRepositoriesCommand({}))).resolves.toBeDefined();
    sandbox.iam.removePrincipal(issued.accessKeyId);
    expect(await errorOf(ecr(issued).send(new DescribeRepositoriesCommand({})))).toEqual({
      name: "UnrecognizedClientException",
      message: invalid,
      status: 400,
    });
    // Refused before any service or IAM saw them, and recorded with the key and the error answered.
    expect(
      sandbox.iam.decisions.filter((d) => [unknownKey, issued.accessKeyId].includes(d.accessKeyId)),
    ).toEqual([
      expect.objectContaining({
        accessKeyId: issued.accessKeyId,
        operation: "DescribeRepositories",
        allowed: true,
      }),
    ]);
    expect(sandbox.ecr.callsByAccount).toEqual({ [MEMBER]: { DescribeRepositories: 1 } });
    expect(
      sandbox.server.calls
        .filter((c) => c.error === "UnrecognizedClientException" || c.error === "InvalidClientTokenId")
        .map((c) => [c.service, c.operation, c.accessKeyId, c.error]),
    ).toEqual([
      ["ecr", "DescribeRepositories", unknownKey, "UnrecognizedClientException"],
      ["sts", "GetCallerIdentity", unknownKey, "InvalidClientTokenId"],
      ["sns", "Publish", unknownKey, "InvalidClientTokenId"],
      ["ecr", "DescribeRepositories", issued.accessKeyId, "UnrecognizedClientException"],
    ]);

    // Keys that are not temporary credentials' (the CLI's, the tests', the seeding's) stay the administrator.
    for (const accessKeyId of ["sandbox", "AKIAIOSFODNN7EXAMPLE"]) {
      const admin = { accessKeyId, secretAccessKey: "secret" };
      expect((await ecr(admin).send(new DescribeRepositoriesCommand({}))).repositories).toHaveLength(1);
      expect((await sts(admin).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${HUB}:root`);
    }
  });
});
