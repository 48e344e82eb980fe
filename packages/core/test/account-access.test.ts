import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DescribeRepositoriesCommand } from "@aws-sdk/client-ecr";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AccountAccess, isExpiredTokenError, UnlistedAccountError } from "../src/accounts/account-access.js";
import { ROLE_SESSION_NAME } from "../src/accounts/accounts.js";
import {
  AccountUnreachableError,
  assumedRoleCredentials,
  CREDENTIALS_REFRESH_MARGIN_MS,
} from "../src/accounts/credentials.js";
import { createEcrClient } from "../src/ecr-client.js";
import { isRetryableAwsError } from "../src/errors.js";

// Member-account credentials ([8/8]): AssumeRole with STS mocked, and the ECR clients of each account signing
// real HTTP requests to a local stand-in for ECR, which shows whose access key signed each call.

const PROD = "222222222222";
const ROLE = `arn:aws:iam::${PROD}:role/ecr-scan-reporter-member`;
const HOUR_MS = 3_600_000;

let clock = Date.parse("2026-12-01T10:00:00Z");
const now = () => clock;
let issued = 0;

function stsAnswering(sts: STSClient) {
  const mock = mockClient(sts);
  mock.on(AssumeRoleCommand).callsFake(() => {
    issued += 1;
    return {
      Credentials: {
        AccessKeyId: `ASIAMEMBER${issued}`,
        SecretAccessKey: "secret",
        SessionToken: `token-${issued}`,
        Expiration: new Date(clock + HOUR_MS),
      },
    };
  });
  return mock;
}

beforeEach(() => {
  clock = Date.parse("2026-12-01T10:00:00Z");
  issued = 0;
});

describe("assumedRoleCredentials", () => {
  it("assumes the role once with the product's session name and the ExternalId, until shortly before expiry", async () => {
    const sts = new STSClient({ region: "eu-west-1" });
    const mock = stsAnswering(sts);
    const credentials = assumedRoleCredentials(
      sts,
      { accountId: PROD, roleArn: ROLE, externalId: "x-42" },
      { now },
    );
    const [a, b] = await Promise.all([credentials(), credentials()]);
    expect(a.accessKeyId).toBe("ASIAMEMBER1");
    expect(b).toBe(a);
    expect(mock.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      { RoleArn: ROLE, RoleSessionName: ROLE_SESSION_NAME, DurationSeconds: 3600, ExternalId: "x-42" },
    ]);
    clock += HOUR_MS - CREDENTIALS_REFRESH_MARGIN_MS - 1;
    expect((await credentials()).accessKeyId).toBe("ASIAMEMBER1");
    clock += 2;
    expect((await credentials()).accessKeyId).toBe("ASIAMEMBER2");
    credentials.invalidate();
    expect((await credentials()).accessKeyId).toBe("ASIAMEMBER3");
    expect(credentials.memoized).toBe(true);
  });

  it("sends no ExternalId when none is configured", async () => {
    const sts = new STSClient({ region: "eu-west-1" });
    const mock = stsAnswering(sts);
    await assumedRoleCredentials(sts, { accountId: PROD, roleArn: ROLE }, { now })();
    expect(mock.commandCalls(AssumeRoleCommand)[0]?.args[0].input).not.toHaveProperty("ExternalId");
  });

  it("turns a refusal into AccountUnreachableError naming the account and the fix, retryable only for throttling", async () => {
    const sts = new STSClient({ region: "eu-west-1", maxAttempts: 1 });
    const mock = mockClient(sts);
    const denied = Object.assign(
      new Error(
        "User: arn:aws:sts::111111111111:assumed-role/hub/fn is not authorized to perform: sts:AssumeRole",
      ),
      {
        name: "AccessDenied",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
      },
    );
    mock
      .on(AssumeRoleCommand)
      .rejectsOnce(denied)
      .rejectsOnce(
        Object.assign(new Error("Rate exceeded"), {
          name: "Throttling",
          $fault: "client",
          $metadata: { httpStatusCode: 400 },
        }),
      );
    const credentials = assumedRoleCredentials(sts, { accountId: PROD, roleArn: ROLE }, { now });
    const first = await credentials().catch((e: unknown) => e);
    expect(first).toBeInstanceOf(AccountUnreachableError);
    expect(first).toMatchObject({
      code: "ACCOUNT_UNREACHABLE",
      accountId: PROD,
      roleArn: ROLE,
      retryable: false,
    });
    expect((first as Error).message).toMatch(
      /cannot assume .* for account 222222222222: AccessDenied: .*terraform\/modules\/member-account/,
    );
    expect(isRetryableAwsError(first)).toBe(false);
    const second = await credentials().catch((e: unknown) => e);
    expect(isRetryableAwsError(second)).toBe(true);
  });
});

describe("AccountAccess", () => {
  /** What the stand-in for ECR saw: the access key of each request, and the registryId asked for. */
  const seen: { accessKeyId: string | undefined; registryId?: string }[] = [];
  /** Access keys whose session ECR answers as expired. */
  const expiredKeys = new Set<string>();
  let server: Server;
  let endpoint = "";

  const body = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let text = "";
      req.on("data", (chunk) => {
        text += chunk;
      });
      req.on("end", () => resolve(text));
    });

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      const input = JSON.parse((await body(req)) || "{}") as { registryId?: string };
      const accessKeyId = /Credential=([^/]+)\//.exec(req.headers.authorization ?? "")?.[1];
      seen.push({ accessKeyId, registryId: input.registryId });
      res.setHeader("content-type", "application/x-amz-json-1.1");
      if (accessKeyId && expiredKeys.has(accessKeyId)) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({
            __type: "ExpiredTokenException",
            message: "The security token included in the request is expired",
          }),
        );
        return;
      }
      res.end(JSON.stringify({ repositories: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  afterEach(() => {
    seen.length = 0;
    expiredKeys.clear();
  });

  function access(accounts: ConstructorParameters<typeof AccountAccess>[0]) {
    const sts = new STSClient({ region: "eu-west-1" });
    const mock = stsAnswering(sts);
    const made = new AccountAccess(accounts, {
      sts,
      now,
      createEcrClient: (config) =>
        createEcrClient({
          region: "eu-west-1",
          endpoint,
          maxAttempts: 1,
          credentials: { accessKeyId: "AKIAHUB", secretAccessKey: "hub" },
          ...config,
        }),
    });
    return { made, mock };
  }

  const list = (made: AccountAccess, accountId?: string) =>
    made.ecr(accountId).send(new DescribeRepositoriesCommand({ registryId: accountId }));

  it("reads the hub's own account with the functions' credentials and a member with its role's, never the reverse", async () => {
    const { made, mock } = access([{ accountId: "111111111111" }, { accountId: PROD, roleArn: ROLE }]);
    await list(made, "111111111111");
    await list(made, PROD);
    await list(made, PROD);
    // The scan client (its own, so StartImageScan's throttling does not slow the reads) signs as the member too.
    await made
      .gateway(PROD)
      .startImageScan({ registryId: PROD, repositoryName: "shop/api", imageDigest: "sha256:a" });
    expect(seen).toEqual([
      { accessKeyId: "AKIAHUB", registryId: "111111111111" },
      { accessKeyId: "ASIAMEMBER1", registryId: PROD },
      { accessKeyId: "ASIAMEMBER1", registryId: PROD },
      { accessKeyId: "ASIAMEMBER1", registryId: PROD },
    ]);
    expect(mock.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(made.gateway(PROD)).toBe(made.gateway(PROD));
  });

  it("uses the functions' credentials for every account when the configuration lists none", async () => {
    const { made, mock } = access(undefined);
    await list(made);
    expect(seen).toEqual([{ accessKeyId: "AKIAHUB", registryId: undefined }]);
    expect(mock.commandCalls(AssumeRoleCommand)).toHaveLength(0);
  });

  it("refuses an account the list does not name, before any call", () => {
    const { made } = access([{ accountId: PROD, roleArn: ROLE }]);
    expect(() => made.ecr("999999999999")).toThrow(UnlistedAccountError);
    expect(() => made.gateway(undefined)).toThrow(/not in the configuration's `accounts`/);
    expect(seen).toEqual([]);
  });

  it("assumes the role again after an expired-token answer and retries the call once", async () => {
    const { made, mock } = access([{ accountId: PROD, roleArn: ROLE }]);
    await list(made, PROD);
    expiredKeys.add("ASIAMEMBER1");
    await list(made, PROD);
    expect(seen.map((s) => s.accessKeyId)).toEqual(["ASIAMEMBER1", "ASIAMEMBER1", "ASIAMEMBER2"]);
    expect(mock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it("assumes the role once for calls that all met the same expired credentials at once", async () => {
    const { made, mock } = access([{ accountId: PROD, roleArn: ROLE }]);
    await list(made, PROD);
    expiredKeys.add("ASIAMEMBER1");
    await Promise.all([list(made, PROD), list(made, PROD), list(made, PROD)]);
    expect(mock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
    // Three refused with the old session, three retried with the one new session.
    expect(seen.map((s) => s.accessKeyId).sort()).toEqual([
      ...Array(4).fill("ASIAMEMBER1"),
      ...Array(3).fill("ASIAMEMBER2"),
    ]);
  });

  it("gives up after one retry when the new credentials are refused too", async () => {
    const { made } = access([{ accountId: PROD, roleArn: ROLE }]);
    expiredKeys.add("ASIAMEMBER1");
    expiredKeys.add("ASIAMEMBER2");
    const error = await list(made, PROD).catch((e: unknown) => e);
    expect(isExpiredTokenError(error)).toBe(true);
    expect(seen).toHaveLength(2);
  });
});
