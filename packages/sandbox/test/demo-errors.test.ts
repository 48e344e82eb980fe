import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { describeReporterFailure, type LogLine, summariseErrors } from "../src/demo/passes.js";
import { secretForms, secretReadStatements, withoutSecrets } from "../src/demo/secrets.js";
import { evaluate } from "../src/iam/policy.js";
import { SecretsManagerSandbox, SsmSandbox, seedSecret } from "../src/parameters.js";
import { AwsHttpServer } from "../src/server.js";

// What the demo says when something goes wrong (demo/passes.ts summariseErrors): a failing reporter once per pass
// with its first error's message, never a secret (demo/secrets.ts); the secrets `--secret` seeds, where the
// configuration's reference looks (parameters.ts seedSecret), readable with the grant the module derives from the
// references; and a port in use is an error to catch, not a crash (server.ts).

/** report-findings' line for a reporter that failed on one image (the dispatcher's "reporter X failed"). */
const failed = (reporter: string, repository: string, error: string): LogLine => ({
  level: "ERROR",
  message: `reporter ${reporter} failed`,
  reporter,
  repository,
  digest: `sha256:${repository.length}`,
  outcome: { reporter, status: "failed", error },
});

describe("the demo's errors", () => {
  it("gives a failing reporter one line with its first error, and how many reports failed the same way", () => {
    const lines: LogLine[] = [
      ...Array.from({ length: 24 }, (_, i) =>
        failed(
          "@acme/pager",
          `team-${i}/api`,
          "Could not read the SSM parameter /acme/key (ParameterNotFound).",
        ),
      ),
      // A retry of a report that failed before counts once, with its first error.
      failed("@acme/pager", "team-0/api", "HTTP 500 from the pager"),
      failed("@acme/pager", "team-x/web", "HTTP 500 from the pager"),
      { level: "INFO", message: "reporter sns: sent", reporter: "sns", outcome: { status: "sent" } },
    ];
    const { failures, errors } = summariseErrors(lines, {
      when: "pass 1",
      function: "report-findings",
      unit: "report",
    });
    expect(failures).toEqual([
      {
        when: "pass 1",
        function: "report-findings",
        reporter: "@acme/pager",
        failed: 25,
        firstError: "Could not read the SSM parameter /acme/key (ParameterNotFound).",
        sameError: 24,
      },
    ]);
    expect(errors).toEqual([
      "pass 1: report-findings: reporter @acme/pager failed for 25 reports: Could not read the SSM parameter /acme/key (ParameterNotFound). (24 the same way, 1 otherwise)",
    ]);
  });

  it("says all the same way, or nothing for a single report; digests by their own word", () => {
    const failure = {
      when: "digest",
      function: "send-digests",
      reporter: "slack",
      failed: 2,
      firstError: "HTTP 404",
      sameError: 2,
    };
    expect(describeReporterFailure(failure, "digest")).toBe(
      "digest: send-digests: reporter slack failed for 2 digests: HTTP 404 (all the same way)",
    );
    expect(describeReporterFailure({ ...failure, failed: 1, sameError: 1 }, "digest")).toBe(
      "digest: send-digests: reporter slack failed for 1 digest: HTTP 404",
    );
    // send-digests' own failure line: the reporter and its error, no image.
    const { failures } = summariseErrors(
      [
        { level: "ERROR", message: "digest for slack failed", reporter: "slack", error: "HTTP 404" },
        { level: "ERROR", message: "digest for slack failed", reporter: "slack", error: "HTTP 404" },
      ],
      { when: "digest", function: "send-digests", unit: "digest" },
    );
    expect(failures).toEqual([failure]);
  });

  it("lists the other errors once each, with their error and count", () => {
    const ledger: LogLine = {
      level: "ERROR",
      message: "findings ledger unavailable; the report goes out as without one",
      error: "ResourceNotFoundException",
      repository: "team-a/api",
    };
    const { failures, errors } = summariseErrors([ledger, ledger, { level: "ERROR", message: "boom" }], {
      when: "pass 2",
      function: "report-findings",
      unit: "report",
    });
    expect(failures).toEqual([]);
    expect(errors).toEqual([
      "pass 2: report-findings: findings ledger unavailable; the report goes out as without one: ResourceNotFoundException (2 times)",
      "pass 2: report-findings: boom",
    ]);
  });
});

describe("keeping secrets out of what the demo prints", () => {
  const webhook = "https://hooks.example.invalid/services/T0/B0/SENTINEL-0c1d2e3f";
  it("removes a secret as it is, JSON-escaped, URL-encoded, and a URL's host and path or path alone", () => {
    const text = [
      `POST ${webhook} failed`,
      `body ${JSON.stringify({ url: 'a"b' })}`,
      `to hooks.example.invalid/services/T0/B0/SENTINEL-0c1d2e3f`,
      `path /services/T0/B0/SENTINEL-0c1d2e3f`,
      `encoded ${encodeURIComponent(webhook)}`,
    ].join("\n");
    const out = withoutSecrets(text, [webhook]);
    expect(out).not.toContain("SENTINEL-0c1d2e3f");
    expect(out).toContain("POST [redacted] failed");
    expect(out).toContain("path [redacted]");
    expect(withoutSecrets('key "pd\\"x1234"', ['pd"x1234'])).toBe('key "[redacted]"');
  });

  it("removes each value of a JSON secret, and leaves values too short to be credentials", () => {
    const json = JSON.stringify({ routingKey: "R0UT1NG-KEY-0c1d2e3f", region: "eu" });
    expect(secretForms(json)).toContain("R0UT1NG-KEY-0c1d2e3f");
    expect(withoutSecrets("key R0UT1NG-KEY-0c1d2e3f in eu", [json])).toBe("key [redacted] in eu");
    expect(withoutSecrets("a pager refused", ["a"])).toBe("a pager refused");
  });
});

describe("secrets seeded by reference", () => {
  const account = { accountId: "123456789012", region: "eu-west-1" };
  const stores = () => ({ ssm: new SsmSandbox(account), secretsManager: new SecretsManagerSandbox(account) });
  const prefix = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:";

  it("keeps a parameter as a SecureString, and a secret under the ARN written, complete or partial", async () => {
    const s = stores();
    seedSecret(s, { parameter: "/acme/pager/key" }, "k1");
    seedSecret(s, { secretArn: `${prefix}acme/token-AbC123` }, "t1");
    seedSecret(s, { secretArn: `${prefix}acme/partial` }, "t2");
    expect(s.ssm.parameters.get("/acme/pager/key")).toMatchObject({ type: "SecureString", value: "k1" });
    const read = (id: string) => {
      const answer = s.secretsManager.operations.GetSecretValue?.({ SecretId: id }) as
        | { SecretString?: string }
        | undefined;
      return answer?.SecretString;
    };
    expect(read(`${prefix}acme/token-AbC123`)).toBe("t1");
    // Secrets Manager resolves a partial ARN (no suffix) to the secret of that name.
    expect(read(`${prefix}acme/partial`)).toBe("t2");
    expect(s.secretsManager.find(`${prefix}acme/partial`)?.arn).toMatch(/acme\/partial-[A-Za-z0-9]{6}$/);
  });

  it("refuses an ARN of another account or region", () => {
    expect(() =>
      seedSecret(stores(), { secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:x" }, "v"),
    ).toThrow(`write it as ${prefix}NAME`);
  });

  it("lets the functions read what the references name, as the module grants it, and nothing else", () => {
    const s = stores();
    seedSecret(s, { secretArn: `${prefix}acme/partial` }, "t2");
    const held = s.secretsManager.find(`${prefix}acme/partial`)?.arn ?? "";
    const policy = {
      Statement: secretReadStatements(
        [{ secretArn: `${prefix}acme/partial` }, { parameter: "/acme/pager/key" }, { parameter: "plain" }],
        account,
      ),
    };
    const allowed = (action: string, resource: string) => evaluate([policy], { action, resource }).allowed;
    // Secrets Manager authorizes on the complete ARN, whatever id the request gave.
    expect(allowed("secretsmanager:GetSecretValue", held)).toBe(true);
    expect(allowed("secretsmanager:GetSecretValue", `${prefix}acme/other-AbC123`)).toBe(false);
    expect(allowed("ssm:GetParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter/acme/pager/key")).toBe(
      true,
    );
    expect(allowed("ssm:GetParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter/plain")).toBe(true);
    expect(allowed("ssm:GetParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter/acme/other")).toBe(
      false,
    );
    expect(secretReadStatements([], account)).toEqual([]);
  });
});

describe("listening on a port in use", () => {
  it("rejects with Node's EADDRINUSE error and the port, and does not end the process", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const server = new AwsHttpServer({ port });
      await expect(server.listen()).rejects.toMatchObject({ code: "EADDRINUSE", port });
      await server.close();
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});
