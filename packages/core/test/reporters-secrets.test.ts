import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SecretError } from "../src/errors.js";
import type { SecretRef } from "../src/reporters/contract.js";
import { createSecretResolver, type SecretFetchers } from "../src/reporters/secrets.js";
import { loadFresh } from "./support/fresh-modules.js";

const SLACK_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a-AbCdEf";
const JSON_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:webhooks-XyZ123";
const TOKEN_PARAMETER = "/ecr-scan-reporter/github-token";
const WEBHOOK_TEXT = "hooks.slack.com/services/T000/B000/XXXX";

/** Fetchers over in-memory values; an unknown name fails like AWS does. */
function fakeFetchers(secrets: Record<string, unknown>, parameters: Record<string, unknown> = {}) {
  const notFound = (name: string) =>
    Object.assign(new Error(`${name} not found`), { name: "ResourceNotFoundException" });
  return {
    secret: vi.fn<SecretFetchers["secret"]>(async (arn) => {
      if (!(arn in secrets)) throw notFound(arn);
      return secrets[arn];
    }),
    parameter: vi.fn<SecretFetchers["parameter"]>(async (name) => {
      if (!(name in parameters)) throw notFound(name);
      return parameters[name];
    }),
  };
}

/** Awaits a promise that must reject with a SecretError, and returns it. */
async function secretErrorOf(promise: Promise<unknown>): Promise<SecretError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretError);
  return error as SecretError;
}

describe("createSecretResolver", () => {
  it("resolves a Secrets Manager reference, trimmed", async () => {
    const fetchers = fakeFetchers({ [SLACK_ARN]: `https://${WEBHOOK_TEXT}\n` });
    const resolve = createSecretResolver(fetchers);

    await expect(resolve({ secretArn: SLACK_ARN })).resolves.toBe(`https://${WEBHOOK_TEXT}`);
    expect(fetchers.secret).toHaveBeenCalledWith(SLACK_ARN);
    expect(fetchers.parameter).not.toHaveBeenCalled();
  });

  it("resolves an SSM parameter reference", async () => {
    const fetchers = fakeFetchers({}, { [TOKEN_PARAMETER]: "ghp_exampleexampleexample0000" });
    const resolve = createSecretResolver(fetchers);

    await expect(resolve({ parameter: TOKEN_PARAMETER })).resolves.toBe("ghp_exampleexampleexample0000");
    expect(fetchers.parameter).toHaveBeenCalledWith(TOKEN_PARAMETER);
    expect(fetchers.secret).not.toHaveBeenCalled();
  });

  it("decodes a binary secret as UTF-8", async () => {
    const resolve = createSecretResolver(
      fakeFetchers({ [SLACK_ARN]: new TextEncoder().encode("s3cr3t-välue") }),
    );
    await expect(resolve({ secretArn: SLACK_ARN })).resolves.toBe("s3cr3t-välue");
  });

  it("fetches each reference once, however often and however concurrently it is resolved", async () => {
    const fetchers = fakeFetchers({ [SLACK_ARN]: "slack-value" }, { [TOKEN_PARAMETER]: "token-value" });
    const resolve = createSecretResolver(fetchers);

    const concurrent = await Promise.all([
      resolve({ secretArn: SLACK_ARN }),
      resolve({ secretArn: SLACK_ARN }),
      resolve({ parameter: TOKEN_PARAMETER }),
    ]);
    const later = [await resolve({ secretArn: SLACK_ARN }), await resolve({ parameter: TOKEN_PARAMETER })];

    expect(concurrent).toEqual(["slack-value", "slack-value", "token-value"]);
    expect(later).toEqual(["slack-value", "token-value"]);
    expect(fetchers.secret).toHaveBeenCalledTimes(1);
    expect(fetchers.parameter).toHaveBeenCalledTimes(1);
  });

  it("keeps one cache per resolver (one per cold start)", async () => {
    const fetchers = fakeFetchers({ [SLACK_ARN]: "slack-value" });

    await createSecretResolver(fetchers)({ secretArn: SLACK_ARN });
    await createSecretResolver(fetchers)({ secretArn: SLACK_ARN });

    expect(fetchers.secret).toHaveBeenCalledTimes(2);
  });

  it("picks jsonKey from a JSON secret, each key of the same secret on its own", async () => {
    const document = JSON.stringify({ teamA: `https://${WEBHOOK_TEXT}`, teamB: "https://example.test/b" });
    const resolve = createSecretResolver(fakeFetchers({ [JSON_ARN]: document }));

    await expect(resolve({ secretArn: JSON_ARN, jsonKey: "teamA" })).resolves.toBe(`https://${WEBHOOK_TEXT}`);
    await expect(resolve({ secretArn: JSON_ARN, jsonKey: "teamB" })).resolves.toBe("https://example.test/b");
  });

  it("names the secret and the key when jsonKey is missing, without the secret's content", async () => {
    const document = JSON.stringify({ teamA: `https://${WEBHOOK_TEXT}` });
    const resolve = createSecretResolver(fakeFetchers({ [JSON_ARN]: document }));

    const error = await secretErrorOf(resolve({ secretArn: JSON_ARN, jsonKey: "teamC" }));

    expect(error.message).toBe(`Secrets Manager secret ${JSON_ARN} has no string at jsonKey "teamC".`);
    expect(error.code).toBe("SECRET_UNAVAILABLE");
  });

  it("refuses a jsonKey whose value is not a string", async () => {
    const resolve = createSecretResolver(fakeFetchers({ [JSON_ARN]: JSON.stringify({ port: 443 }) }));
    const error = await secretErrorOf(resolve({ secretArn: JSON_ARN, jsonKey: "port" }));
    expect(error.message).toContain('has no string at jsonKey "port"');
  });

  it("says a secret is not JSON when jsonKey is given for a plain one, without its content", async () => {
    const resolve = createSecretResolver(fakeFetchers({ [SLACK_ARN]: `https://${WEBHOOK_TEXT}` }));

    const error = await secretErrorOf(resolve({ secretArn: SLACK_ARN, jsonKey: "url" }));

    expect(error.message).toBe(
      `Secrets Manager secret ${SLACK_ARN} is not JSON, so jsonKey "url" cannot be read from it.`,
    );
    expect(error.message).not.toContain(WEBHOOK_TEXT);
  });

  it("refuses a jsonKey whose value is an empty string", async () => {
    const resolve = createSecretResolver(fakeFetchers({ [JSON_ARN]: JSON.stringify({ url: "" }) }));
    const error = await secretErrorOf(resolve({ secretArn: JSON_ARN, jsonKey: "url" }));
    expect(error.message).toBe(`Secrets Manager secret ${JSON_ARN} has no string at jsonKey "url".`);
  });

  it("handles a JSON secret that is null", async () => {
    const resolve = createSecretResolver(fakeFetchers({ [JSON_ARN]: "null" }));
    const error = await secretErrorOf(resolve({ secretArn: JSON_ARN, jsonKey: "url" }));
    expect(error.message).toContain('has no string at jsonKey "url"');
  });

  it.each([
    { what: "an empty string", raw: "" },
    { what: "no value", raw: undefined },
    { what: "a number", raw: 42 },
  ])("refuses a secret with $what", async ({ raw }) => {
    const resolve = createSecretResolver(fakeFetchers({ [SLACK_ARN]: raw }));
    const error = await secretErrorOf(resolve({ secretArn: SLACK_ARN }));
    expect(error.message).toBe(`Secrets Manager secret ${SLACK_ARN} has no string value.`);
  });

  it("names the ARN and the AWS error when the fetch fails, never the error's text", async () => {
    const awsError = Object.assign(
      new Error(`Secrets Manager can't find the specified secret https://${WEBHOOK_TEXT}`),
      { name: "ResourceNotFoundException" },
    );
    const resolve = createSecretResolver({
      secret: async () => {
        throw awsError;
      },
      parameter: async () => "unused",
    });

    const error = await secretErrorOf(resolve({ secretArn: SLACK_ARN }));

    expect(error.message).toBe(
      `Could not read the Secrets Manager secret ${SLACK_ARN} (ResourceNotFoundException). Check that it exists in this region and that the function may read it.`,
    );
    expect(error.message).not.toContain(WEBHOOK_TEXT);
    expect(error.cause).toEqual(new Error("ResourceNotFoundException"));
  });

  it("names the parameter and the decrypt permission when an SSM fetch fails", async () => {
    const resolve = createSecretResolver(fakeFetchers({}, {}));

    const error = await secretErrorOf(resolve({ parameter: TOKEN_PARAMETER }));

    expect(error.message).toContain(`SSM parameter ${TOKEN_PARAMETER}`);
    expect(error.message).toContain("(ResourceNotFoundException)");
    expect(error.message).toContain("kms:Decrypt");
  });

  it("describes a thrown non-Error as Error", async () => {
    const resolve = createSecretResolver({
      secret: () => Promise.reject(`raw ${WEBHOOK_TEXT}`),
      parameter: async () => "unused",
    });

    const error = await secretErrorOf(resolve({ secretArn: SLACK_ARN }));

    expect(error.message).toContain("(Error)");
    expect(error.message).not.toContain(WEBHOOK_TEXT);
  });

  it("does not cache a failed fetch: the next resolve fetches again, and a success is then cached", async () => {
    const secret = vi
      .fn<SecretFetchers["secret"]>()
      .mockRejectedValueOnce(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }))
      .mockResolvedValue("slack-value");
    const resolve = createSecretResolver({ secret, parameter: async () => "unused" });

    await expect(resolve({ secretArn: SLACK_ARN })).rejects.toThrow(/ThrottlingException/);
    await expect(resolve({ secretArn: SLACK_ARN })).resolves.toBe("slack-value");
    await expect(resolve({ secretArn: SLACK_ARN })).resolves.toBe("slack-value");

    expect(secret).toHaveBeenCalledTimes(2);
  });

  it("does not cache a value that could not be read (a missing jsonKey) either", async () => {
    const secret = vi
      .fn<SecretFetchers["secret"]>()
      .mockResolvedValueOnce(JSON.stringify({ other: "x" }))
      .mockResolvedValue(JSON.stringify({ url: "https://example.test/hook" }));
    const resolve = createSecretResolver({ secret, parameter: async () => "unused" });

    await expect(resolve({ secretArn: JSON_ARN, jsonKey: "url" })).rejects.toBeInstanceOf(SecretError);
    await expect(resolve({ secretArn: JSON_ARN, jsonKey: "url" })).resolves.toBe("https://example.test/hook");
    expect(secret).toHaveBeenCalledTimes(2);
  });
});

describe("powertoolsSecretFetchers", () => {
  // Powertools keeps its cache for the life of the process: every test reads names no other test reads.
  const unique = () => `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const secretsManager = mockClient(SecretsManagerClient);
  const ssm = mockClient(SSMClient);
  beforeEach(() => {
    secretsManager.reset();
    ssm.reset();
    vi.stubEnv("AWS_REGION", "eu-west-1");
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });
  afterAll(() => {
    secretsManager.restore();
    ssm.restore();
  });
  // The fetchers are built while their module loads: each test loads it afresh (support/fresh-modules.ts).
  const freshFetchers = async () =>
    (await loadFresh(() => import("../src/reporters/secrets.js"))).powertoolsSecretFetchers;

  it("reads a secret by its ARN, and keeps it for an hour", async () => {
    const powertoolsSecretFetchers = await freshFetchers();
    const arn = `${SLACK_ARN}-${unique()}`;
    secretsManager.on(GetSecretValueCommand, { SecretId: arn }).resolves({ SecretString: "slack-value" });
    vi.useFakeTimers({ toFake: ["Date"] });

    await expect(powertoolsSecretFetchers.secret(arn)).resolves.toBe("slack-value");
    vi.setSystemTime(Date.now() + 59 * 60_000);
    await expect(powertoolsSecretFetchers.secret(arn)).resolves.toBe("slack-value");
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);

    vi.setSystemTime(Date.now() + 2 * 60_000);
    await expect(powertoolsSecretFetchers.secret(arn)).resolves.toBe("slack-value");
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it("reads a parameter decrypted (SecureString), and keeps it for an hour", async () => {
    const powertoolsSecretFetchers = await freshFetchers();
    const name = `${TOKEN_PARAMETER}-${unique()}`;
    ssm
      .on(GetParameterCommand, { Name: name, WithDecryption: true })
      .resolves({ Parameter: { Name: name, Type: "SecureString", Value: "token-value" } });
    vi.useFakeTimers({ toFake: ["Date"] });

    await expect(powertoolsSecretFetchers.parameter(name)).resolves.toBe("token-value");
    vi.setSystemTime(Date.now() + 59 * 60_000);
    await expect(powertoolsSecretFetchers.parameter(name)).resolves.toBe("token-value");
    expect(ssm.commandCalls(GetParameterCommand).map((call) => call.args[0].input)).toEqual([
      { Name: name, WithDecryption: true },
    ]);

    vi.setSystemTime(Date.now() + 2 * 60_000);
    await powertoolsSecretFetchers.parameter(name);
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it("is what a resolver uses when given no fetchers", async () => {
    const fresh = await loadFresh(() => import("../src/reporters/secrets.js"));
    const arn = `${SLACK_ARN}-${unique()}`;
    secretsManager.on(GetSecretValueCommand, { SecretId: arn }).resolves({ SecretString: " from AWS \n" });
    await expect(fresh.createSecretResolver()({ secretArn: arn })).resolves.toBe("from AWS");
  });
});

describe("secretRefSchema", () => {
  // The schema is built while its module loads: each test loads it afresh (support/fresh-modules.ts).
  let secretRefSchema: typeof import("../src/reporters/contract.js").secretRefSchema;
  beforeEach(async () => {
    ({ secretRefSchema } = await loadFresh(() => import("../src/reporters/contract.js")));
  });

  it.each<{ what: string; ref: SecretRef }>([
    { what: "a Secrets Manager ARN", ref: { secretArn: SLACK_ARN } },
    { what: "an ARN with a jsonKey", ref: { secretArn: JSON_ARN, jsonKey: "teamA" } },
    {
      what: "a GovCloud ARN",
      ref: { secretArn: "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:s" },
    },
    { what: "a parameter path", ref: { parameter: TOKEN_PARAMETER } },
    { what: "a parameter name without a path", ref: { parameter: "github-token" } },
  ])("accepts $what", ({ ref }) => {
    expect(secretRefSchema.parse(ref)).toEqual(ref);
  });

  it.each([
    { what: "a bare string (a value, not a reference)", input: `https://${WEBHOOK_TEXT}` },
    { what: "a non-ARN secret", input: { secretArn: "slack-a" } },
    { what: "text before the ARN", input: { secretArn: `x${SLACK_ARN}` } },
    { what: "a second line after the ARN", input: { secretArn: `${SLACK_ARN}\nslack-b` } },
    {
      what: "an ARN of another service",
      input: { secretArn: "arn:aws:ssm:eu-west-1:123456789012:parameter/x" },
    },
    {
      what: "an ARN with a short account",
      input: { secretArn: "arn:aws:secretsmanager:eu-west-1:1234:secret:s" },
    },
    { what: "both keys at once", input: { secretArn: SLACK_ARN, parameter: TOKEN_PARAMETER } },
    { what: "an empty jsonKey", input: { secretArn: SLACK_ARN, jsonKey: "" } },
    { what: "a jsonKey on a parameter", input: { parameter: TOKEN_PARAMETER, jsonKey: "x" } },
    { what: "a parameter with a space", input: { parameter: "/ecr scan/token" } },
    { what: "a parameter name with a space", input: { parameter: "github token" } },
    { what: "a parameter path without its leading slash", input: { parameter: "ecr-scan-reporter/token" } },
    { what: "a parameter with a trailing slash", input: { parameter: "/ecr-scan-reporter/" } },
    { what: "an unknown key", input: { secretArn: SLACK_ARN, value: "x" } },
    { what: "an empty object", input: {} },
  ])("rejects $what", ({ input }) => {
    expect(secretRefSchema.safeParse(input).success).toBe(false);
  });

  it("explains a non-ARN secret in words a config author can act on", () => {
    const result = secretRefSchema.safeParse({ secretArn: "slack-a" });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ["secretArn"],
        message: "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)",
      }),
    ]);
  });

  it("explains a bad parameter name with an example of a good one", () => {
    const result = secretRefSchema.safeParse({ parameter: "github token" });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ["parameter"],
        message: "must be an SSM parameter name like /ecr-scan-reporter/token",
      }),
    ]);
  });
});
