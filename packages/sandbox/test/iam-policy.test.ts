import { describe, expect, it } from "vitest";
import { evaluate, type PolicyDocument, type PolicyStatement } from "../src/iam/policy.js";
import { authorizingIdentity, sesSendEmailRequests, sqsQueueArn } from "../src/iam/requests.js";

// The sandbox's IAM evaluator against the semantics the IAM User Guide documents (src/iam/policy.ts names the
// pages), on the shapes of the module's own statements.

const policy = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: "2012-10-17", Statement });
const allow = (
  Action: string | string[],
  Resource: string | string[],
  extra: Partial<PolicyStatement> = {},
) => ({ Effect: "Allow", Action, Resource, ...extra }) as PolicyStatement;
const allowed = (p: PolicyDocument, action: string, resource: string, context?: Record<string, string>) =>
  evaluate([p], { action, resource, ...(context ? { context } : {}) }).allowed;

const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ecr-scan-reporter/slack-webhook";
const KEY = "arn:aws:kms:eu-west-1:123456789012:key/3f2a1b0c-5d4e-4f6a-9b8c-7d6e5f4a3b2c";

describe("the sandbox's IAM policy evaluation", () => {
  it("denies by default, and a statement that matches allows", () => {
    const p = policy(allow("sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-scan"));
    expect(
      evaluate([p], { action: "sqs:ReceiveMessage", resource: "arn:aws:sqs:eu-west-1:123456789012:x" }),
    ).toEqual({ allowed: false, reason: "implicit-deny" });
    expect(allowed(p, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-scan")).toBe(
      true,
    );
    expect(
      allowed(p, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-scan-dlq"),
    ).toBe(false);
    expect(evaluate([], { action: "sqs:SendMessage", resource: "*" }).allowed).toBe(false);
  });

  it("lets an explicit Deny win over any Allow", () => {
    const p = policy(allow("sqs:*", "*"), {
      Effect: "Deny",
      Action: "sqs:SendMessage",
      Resource: "arn:aws:sqs:eu-west-1:123456789012:q",
    });
    expect(
      evaluate([p], { action: "sqs:SendMessage", resource: "arn:aws:sqs:eu-west-1:123456789012:q" }),
    ).toMatchObject({
      allowed: false,
      reason: "explicit-deny",
    });
    expect(allowed(p, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:other")).toBe(true);
  });

  it("matches action names without regard to case, with * and ? wildcards", () => {
    const p = policy(allow(["ECR:describeimages", "sqs:Send*", "ses:Get?ccount"], "*"));
    expect(allowed(p, "ecr:DescribeImages", "*")).toBe(true);
    expect(allowed(p, "sqs:SendMessage", "*")).toBe(true);
    expect(allowed(p, "ses:GetAccount", "*")).toBe(true);
    expect(allowed(p, "sqs:ReceiveMessage", "*")).toBe(false);
    expect(allowed(p, "ecr:DescribeImageScanFindings", "*")).toBe(false);
  });

  it("matches resource ARNs case-sensitively, a segment-ending * running past colons and / alike", () => {
    const logs = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/ecr-scan-reporter-scan-images";
    const p = policy(
      allow("logs:PutLogEvents", `${logs}:*`),
      allow("ecr:DescribeImages", "arn:aws:ecr:eu-west-1:123456789012:repository/*"),
      allow("ec2:CreateNetworkInterface", "arn:aws:ec2:eu-west-1:123456789012:*/*"),
    );
    expect(allowed(p, "logs:PutLogEvents", `${logs}:log-stream:2026/12/01/[$LATEST]0a1b`)).toBe(true);
    // The log group's own ARN (no ":…" after the name) is not matched by the ":*" form.
    expect(allowed(p, "logs:PutLogEvents", logs)).toBe(false);
    expect(allowed(p, "ecr:DescribeImages", "arn:aws:ecr:eu-west-1:123456789012:repository/team-a/api")).toBe(
      true,
    );
    expect(allowed(p, "ecr:DescribeImages", "arn:aws:ecr:eu-west-1:123456789012:Repository/team-a/api")).toBe(
      false,
    );
    expect(allowed(p, "ecr:DescribeImages", "arn:aws:ecr:us-east-1:123456789012:repository/team-a/api")).toBe(
      false,
    );
    expect(
      allowed(p, "ec2:CreateNetworkInterface", "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0a"),
    ).toBe(true);
    // A "*" inside a segment stays inside it.
    const inner = policy(allow("ecr:DescribeImages", "arn:aws:ecr:eu-*-1:123456789012:repository/*"));
    expect(allowed(inner, "ecr:DescribeImages", "arn:aws:ecr:eu-west-1:123456789012:repository/a")).toBe(
      true,
    );
    expect(allowed(inner, "ecr:DescribeImages", "arn:aws:ecr:eu-west-1:x:1:123456789012:repository/a")).toBe(
      false,
    );
  });

  it("matches a secret's complete ARN by the partial ARN followed by -?????? (its six-character suffix), never by the partial ARN alone", () => {
    const complete = `${SECRET}-Ab12Cd`;
    expect(
      allowed(
        policy(allow("secretsmanager:GetSecretValue", `${SECRET}-??????`)),
        "secretsmanager:GetSecretValue",
        complete,
      ),
    ).toBe(true);
    expect(
      allowed(
        policy(allow("secretsmanager:GetSecretValue", SECRET)),
        "secretsmanager:GetSecretValue",
        complete,
      ),
    ).toBe(false);
    expect(
      allowed(
        policy(allow("secretsmanager:GetSecretValue", complete)),
        "secretsmanager:GetSecretValue",
        complete,
      ),
    ).toBe(true);
    // Five or seven characters are not the suffix.
    const p = policy(allow("secretsmanager:GetSecretValue", `${SECRET}-??????`));
    expect(allowed(p, "secretsmanager:GetSecretValue", `${SECRET}-Ab12C`)).toBe(false);
    expect(allowed(p, "secretsmanager:GetSecretValue", `${SECRET}-Ab12Cde`)).toBe(false);
  });

  it("evaluates StringEquals on kms:ViaService: a list of values is any one of them, another service or none is denied", () => {
    const p = policy(
      allow("kms:Decrypt", "arn:aws:kms:eu-west-1:123456789012:key/*", {
        Condition: {
          StringEquals: {
            "kms:ViaService": ["ssm.eu-west-1.amazonaws.com", "secretsmanager.eu-west-1.amazonaws.com"],
          },
        },
      }),
    );
    expect(
      allowed(p, "kms:Decrypt", KEY, { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" }),
    ).toBe(true);
    expect(allowed(p, "kms:Decrypt", KEY, { "kms:ViaService": "ssm.eu-west-1.amazonaws.com" })).toBe(true);
    expect(allowed(p, "kms:Decrypt", KEY, { "kms:ViaService": "sqs.eu-west-1.amazonaws.com" })).toBe(false);
    expect(allowed(p, "kms:Decrypt", KEY, { "kms:ViaService": "ssm.us-east-1.amazonaws.com" })).toBe(false);
    expect(allowed(p, "kms:Decrypt", KEY)).toBe(false);
    // Condition key names are not case-sensitive; their values are.
    expect(allowed(p, "kms:Decrypt", KEY, { "KMS:viaservice": "ssm.eu-west-1.amazonaws.com" })).toBe(true);
    expect(allowed(p, "kms:Decrypt", KEY, { "kms:ViaService": "SSM.eu-west-1.amazonaws.com" })).toBe(false);
    // Another account's key is not one of this account's keys.
    expect(
      allowed(p, "kms:Decrypt", KEY.replace("123456789012", "210987654321"), {
        "kms:ViaService": "ssm.eu-west-1.amazonaws.com",
      }),
    ).toBe(false);
  });

  it("requires every operator and key of a Condition; negated and IfExists operators hold for a missing key", () => {
    const both = policy(
      allow("kms:Decrypt", "*", {
        Condition: {
          StringEquals: { "kms:ViaService": "ssm.eu-west-1.amazonaws.com" },
          StringLike: { "kms:CallerAccount": "1234*" },
        },
      }),
    );
    expect(
      allowed(both, "kms:Decrypt", KEY, {
        "kms:ViaService": "ssm.eu-west-1.amazonaws.com",
        "kms:CallerAccount": "123456789012",
      }),
    ).toBe(true);
    expect(
      allowed(both, "kms:Decrypt", KEY, {
        "kms:ViaService": "ssm.eu-west-1.amazonaws.com",
        "kms:CallerAccount": "210987654321",
      }),
    ).toBe(false);
    const negated = policy(
      allow("kms:Decrypt", "*", {
        Condition: { StringNotEquals: { "kms:ViaService": "sqs.eu-west-1.amazonaws.com" } },
      }),
    );
    expect(allowed(negated, "kms:Decrypt", KEY)).toBe(true);
    expect(allowed(negated, "kms:Decrypt", KEY, { "kms:ViaService": "sqs.eu-west-1.amazonaws.com" })).toBe(
      false,
    );
    const ifExists = policy(
      allow("kms:Decrypt", "*", {
        Condition: { StringEqualsIfExists: { "kms:ViaService": "ssm.eu-west-1.amazonaws.com" } },
      }),
    );
    expect(allowed(ifExists, "kms:Decrypt", KEY)).toBe(true);
    expect(allowed(ifExists, "kms:Decrypt", KEY, { "kms:ViaService": "sqs.eu-west-1.amazonaws.com" })).toBe(
      false,
    );
  });

  it("supports NotAction and NotResource as complements", () => {
    const p = policy({
      Effect: "Allow",
      NotAction: "sqs:DeleteMessage",
      NotResource: "arn:aws:sqs:eu-west-1:123456789012:keep",
    });
    expect(allowed(p, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:q")).toBe(true);
    expect(allowed(p, "sqs:DeleteMessage", "arn:aws:sqs:eu-west-1:123456789012:q")).toBe(false);
    expect(allowed(p, "sqs:SendMessage", "arn:aws:sqs:eu-west-1:123456789012:keep")).toBe(false);
  });

  it("refuses a condition operator it does not know rather than guess", () => {
    const p = policy(
      allow("kms:Decrypt", "*", { Condition: { NumericLessThan: { "kms:RequestAge": "3" } } }),
    );
    expect(() => evaluate([p], { action: "kms:Decrypt", resource: KEY, context: {} })).toThrow(
      /does not know the condition operator NumericLessThan/,
    );
  });
});

describe("what a sandbox request is authorized for", () => {
  const ctx = { accountId: "123456789012", region: "eu-west-1" };

  it("names a queue by the ARN of its URL's account and name", () => {
    expect(sqsQueueArn(ctx, { url: "http://127.0.0.1:4566/123456789012/ecr-scan-reporter-scan" })).toBe(
      "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-scan",
    );
    expect(sqsQueueArn(ctx, { name: "q", owner: "210987654321" })).toBe(
      "arn:aws:sqs:eu-west-1:210987654321:q",
    );
  });

  it("authorizes SES sending against the address identity before its domain's, the nearest verified domain otherwise", () => {
    expect(authorizingIdentity("scans@acme.example", new Set(["acme.example", "scans@acme.example"]))).toBe(
      "scans@acme.example",
    );
    expect(authorizingIdentity("Scans@Alerts.Acme.example", new Set(["acme.example"]))).toBe("acme.example");
    expect(
      authorizingIdentity("scans@alerts.acme.example", new Set(["alerts.acme.example", "acme.example"])),
    ).toBe("alerts.acme.example");
  });

  it("authorizes SendEmail on the recipients' identities only in the SES sandbox, and on a configuration set", () => {
    const send = {
      from: "scans@acme.example",
      recipients: ["sec@partner.example", "x@simulator.amazonses.com"],
    };
    const verified = new Set(["acme.example", "partner.example"]);
    expect(
      sesSendEmailRequests(ctx, send, { productionAccess: true, verified }).map((r) => r.resource),
    ).toEqual(["arn:aws:ses:eu-west-1:123456789012:identity/acme.example"]);
    expect(
      sesSendEmailRequests(
        ctx,
        { ...send, configurationSet: "reports" },
        { productionAccess: false, verified },
      ).map((r) => r.resource),
    ).toEqual([
      "arn:aws:ses:eu-west-1:123456789012:identity/acme.example",
      "arn:aws:ses:eu-west-1:123456789012:identity/partner.example",
      "arn:aws:ses:eu-west-1:123456789012:configuration-set/reports",
    ]);
  });
});
