import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, ParameterNotFound, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  cannotAskAws,
  checkSecretReferences,
  createSecretFetchers,
  findSecretReferences,
  secretRefLabel,
} from "../src/reporters/secret-references.js";
import { awsErrorName, createSecretResolver, type SecretFetchers } from "../src/reporters/secrets.js";

const SLACK_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf";
const TOKEN = "/ecr-scan-reporter/github-token";

/** An error as the AWS SDK throws it when the service answered: a name and the response's metadata. */
function answered(name: string, status = 400): Error {
  return Object.assign(new Error(`${name} (service text that may echo the request)`), {
    name,
    $metadata: { httpStatusCode: status },
  });
}

/** Powertools' wrapping of an SDK error: its own GetParameterError, the AWS error as `cause`. */
function wrapped(cause: unknown): Error {
  return Object.assign(new Error("wrapped", { cause }), { name: "GetParameterError" });
}

function fetchers(values: Record<string, unknown | Error>): SecretFetchers & { calls: string[] } {
  const calls: string[] = [];
  const read = async (id: string) => {
    calls.push(id);
    const value = values[id];
    if (value instanceof Error) throw value;
    return value;
  };
  return { calls, secret: read, parameter: read };
}

describe("findSecretReferences", () => {
  it("finds references by their shape at any depth of any reporter's options, with their paths", () => {
    const found = findSecretReferences([
      { use: "slack", options: { webhookUrl: { secretArn: SLACK_ARN, jsonKey: "teamA" } } },
      { use: "sns", options: { topicArn: "arn:aws:sns:eu-west-1:123456789012:t" } },
      {
        use: "acme-pager",
        options: {
          routes: [{ key: { parameter: TOKEN } }, { key: "plain text" }],
          nested: { deep: { parameter: "x" } },
        },
      },
      { use: "metrics" },
    ]);
    expect(found).toEqual([
      {
        path: "reporters[0].options.webhookUrl",
        reporter: "slack",
        ref: { secretArn: SLACK_ARN, jsonKey: "teamA" },
      },
      { path: "reporters[2].options.routes[0].key", reporter: "acme-pager", ref: { parameter: TOKEN } },
      { path: "reporters[2].options.nested.deep", reporter: "acme-pager", ref: { parameter: "x" } },
    ]);
  });

  it("ignores objects that only look like references (an extra key, a bad name)", () => {
    expect(
      findSecretReferences([
        { use: "x", options: { a: { parameter: TOKEN, extra: 1 }, b: { parameter: "has space" }, c: null } },
      ]),
    ).toEqual([]);
  });
});

describe("secretRefLabel", () => {
  it("names a reference as service:id", () => {
    expect(secretRefLabel({ parameter: TOKEN })).toBe(`ssm:${TOKEN}`);
    expect(secretRefLabel({ secretArn: SLACK_ARN, jsonKey: "k" })).toBe(`secretsmanager:${SLACK_ARN}`);
  });
});

describe("awsErrorName and cannotAskAws", () => {
  it("finds the AWS error under Powertools' wrapping", () => {
    expect(awsErrorName(wrapped(answered("ParameterNotFound")))).toBe("ParameterNotFound");
    expect(awsErrorName(answered("AccessDeniedException"))).toBe("AccessDeniedException");
    // Without an AWS answer in the chain: the innermost error's name.
    expect(awsErrorName(wrapped(Object.assign(new Error("x"), { name: "CredentialsProviderError" })))).toBe(
      "CredentialsProviderError",
    );
    expect(awsErrorName("a string")).toBe("Error");
  });

  it("tells 'AWS could not be asked' from 'AWS said no'", () => {
    expect(cannotAskAws(wrapped(new Error("Region is missing")))).toBe("no AWS region");
    expect(
      cannotAskAws(wrapped(Object.assign(new Error("none"), { name: "CredentialsProviderError" }))),
    ).toBe("no AWS credentials");
    expect(cannotAskAws(wrapped(Object.assign(new Error("connect"), { code: "ECONNREFUSED" })))).toBe(
      "AWS could not be reached (ECONNREFUSED)",
    );
    expect(cannotAskAws(Object.assign(new Error("slow"), { name: "TimeoutError" }))).toBe(
      "AWS could not be reached (TimeoutError)",
    );
    expect(cannotAskAws(wrapped(answered("ParameterNotFound")))).toBeUndefined();
    expect(cannotAskAws(answered("AccessDeniedException", 400))).toBeUndefined();
  });
});

describe("checkSecretReferences", () => {
  const config = {
    reporters: [
      { use: "slack", options: { webhookUrl: { secretArn: SLACK_ARN } } },
      { use: "github", options: { token: { parameter: TOKEN } } },
      { use: "acme", options: { key: { parameter: "/missing" }, same: { parameter: "/missing" } } },
      { use: "json", options: { url: { secretArn: SLACK_ARN, jsonKey: "teamB" } } },
    ],
  };

  it("lists every reference that does not resolve, naming the reference and the AWS error, each fetched once", async () => {
    const f = fetchers({
      [SLACK_ARN]: "https://hooks.example/secret-value",
      [TOKEN]: wrapped(answered("AccessDeniedException")),
      "/missing": wrapped(answered("ParameterNotFound")),
    });
    const check = await checkSecretReferences(config, { fetchers: f });
    expect(check.problems).toEqual([
      {
        path: "reporters[1].options.token",
        reason: `ssm:${TOKEN}: AccessDeniedException — needs ssm:GetParameter and kms:Decrypt`,
      },
      {
        path: "reporters[2].options.key",
        reason: "ssm:/missing: ParameterNotFound — it does not exist in this account and region",
      },
      {
        path: "reporters[2].options.same",
        reason: "ssm:/missing: ParameterNotFound — it does not exist in this account and region",
      },
      {
        path: "reporters[3].options.url",
        reason: `secretsmanager:${SLACK_ARN}: is not JSON, so jsonKey "teamB" cannot be read from it`,
      },
    ]);
    expect(check.references).toHaveLength(5);
    expect(check.unchecked).toBeUndefined();
    // The same reference twice is asked for once; the value is never part of a problem.
    expect(f.calls.filter((c) => c === "/missing")).toHaveLength(1);
    expect(JSON.stringify(check)).not.toContain("secret-value");
  });

  it("says the references are unchecked, not wrong, when AWS cannot be asked", async () => {
    const noCredentials = wrapped(Object.assign(new Error("no creds"), { name: "CredentialsProviderError" }));
    const check = await checkSecretReferences(config, {
      fetchers: {
        secret: async () => Promise.reject(noCredentials),
        parameter: async () => Promise.reject(noCredentials),
      },
    });
    expect(check.problems).toEqual([]);
    expect(check.unchecked).toBe("no AWS credentials");
  });

  it("asks nothing when there is no reference", async () => {
    const f = fetchers({});
    expect(await checkSecretReferences({ reporters: [{ use: "metrics" }] }, { fetchers: f })).toEqual({
      references: [],
      problems: [],
    });
    expect(f.calls).toEqual([]);
  });
});

describe("through Powertools, as the functions read secrets", () => {
  const ssm = mockClient(SSMClient);
  const secretsManager = mockClient(SecretsManagerClient);
  beforeEach(() => {
    ssm.reset();
    secretsManager.reset();
    vi.stubEnv("AWS_REGION", "eu-west-1");
  });
  afterEach(() => vi.unstubAllEnvs());
  afterAll(() => {
    ssm.restore();
    secretsManager.restore();
  });

  it("names ParameterNotFound and ResourceNotFoundException, not Powertools' GetParameterError", async () => {
    const missing = `/missing-${Math.random().toString(36).slice(2)}`;
    ssm
      .on(GetParameterCommand)
      .rejects(new ParameterNotFound({ message: "", $metadata: { httpStatusCode: 400 } }));
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(new ResourceNotFoundException({ message: "can't find", $metadata: { httpStatusCode: 400 } }));

    const check = await checkSecretReferences(
      {
        reporters: [
          { use: "github", options: { token: { parameter: missing } } },
          { use: "slack", options: { webhookUrl: { secretArn: SLACK_ARN } } },
        ],
      },
      { fetchers: createSecretFetchers() },
    );
    expect(check.problems.map((p) => p.reason)).toEqual([
      `ssm:${missing}: ParameterNotFound — it does not exist in this account and region`,
      `secretsmanager:${SLACK_ARN}: ResourceNotFoundException — it does not exist in this account and region`,
    ]);

    // The functions' resolver names the AWS error too (it used to say GetParameterError).
    const resolve = createSecretResolver(createSecretFetchers());
    await expect(resolve({ parameter: missing })).rejects.toThrow(
      `SSM parameter ${missing} (ParameterNotFound)`,
    );
  });

  it("reads a parameter decrypted and a secret, fetched afresh at each check", async () => {
    ssm
      .on(GetParameterCommand, { Name: TOKEN, WithDecryption: true })
      .resolves({ Parameter: { Value: "t" } });
    secretsManager.on(GetSecretValueCommand, { SecretId: SLACK_ARN }).resolves({ SecretString: "s" });
    const config = {
      reporters: [{ use: "x", options: { a: { parameter: TOKEN }, b: { secretArn: SLACK_ARN } } }],
    };
    expect((await checkSecretReferences(config, { fetchers: createSecretFetchers() })).problems).toEqual([]);
    expect((await checkSecretReferences(config, { fetchers: createSecretFetchers() })).problems).toEqual([]);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});
