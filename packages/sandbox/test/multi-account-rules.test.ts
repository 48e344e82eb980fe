import { describe, expect, it } from "vitest";
import { renderedPolicyFor } from "../src/iam/member-account.js";
import {
  assumeRoleProblems,
  credentialsProblem,
  credentialsProblemAnswer,
  decide,
  hubFunctionRoleArns,
  type IamPrincipal,
  loadModulePolicies,
  memberRole,
  memberTrustPolicy,
  type PolicyDocument,
  renderedMemberAccount,
  roleArnOfSession,
  StsError,
  sessionSeconds,
  type TrustPolicyStatement,
  trustAllows,
} from "../src/index.js";

// The pure rules behind the sandbox's accounts: cross-account authorization, trust policies, STS's bounds, the
// temporary credentials' checks and the member role's policy (src/iam/authorizer.ts, trust.ts, member-account.ts,
// src/sts.ts and server.ts name their sources).

const HUB = "123456789012";
const MEMBER = "210987654321";
const HUB_ROLE = `arn:aws:iam::${HUB}:role/ecr-scan-reporter-schedule-scans-eu-west-1`;

const principal = (
  policies: PolicyDocument[],
  arn = `arn:aws:sts::${HUB}:assumed-role/hub-role/fn`,
): IamPrincipal => ({
  accessKeyId: "ASIAEXAMPLE",
  arn,
  roleName: "hub-role",
  policies,
});
const allowAll: PolicyDocument = { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

describe("decide: an identity-based policy within the account, both sides across accounts", () => {
  const memberRepository = `arn:aws:ecr:eu-west-1:${MEMBER}:repository/team/api`;

  it("denies a resource of another account without a resource-based policy, whatever the caller's policy allows", () => {
    expect(
      decide(principal([allowAll]), { action: "ecr:DescribeImages", resource: memberRepository }),
    ).toEqual({
      allowed: false,
      reason: "no-resource-policy",
    });
  });

  it("needs the caller's policy too when the resource's policy allows it, and names an explicit Deny first", () => {
    const request = {
      action: "sts:AssumeRole",
      resource: `arn:aws:iam::${MEMBER}:role/member`,
      resourcePolicyAllows: true,
    };
    expect(decide(principal([allowAll]), request)).toEqual({ allowed: true });
    expect(decide(principal([]), request)).toEqual({ allowed: false, reason: "implicit-deny" });
    const deny: PolicyDocument = { Statement: [{ Effect: "Deny", Action: "sts:*", Resource: "*" }] };
    expect(decide(principal([allowAll, deny]), { ...request, resourcePolicyAllows: false })).toMatchObject({
      allowed: false,
      reason: "explicit-deny",
    });
  });

  it('leaves a resource of the caller\'s account, and one with no account ("*"), to the identity policy', () => {
    expect(
      decide(principal([allowAll]), {
        action: "ecr:DescribeImages",
        resource: `arn:aws:ecr:eu-west-1:${HUB}:repository/a`,
      }),
    ).toEqual({ allowed: true });
    expect(
      decide(principal([allowAll]), { action: "ecr:GetRegistryScanningConfiguration", resource: "*" }),
    ).toEqual({
      allowed: true,
    });
  });
});

describe("trust policies", () => {
  const caller = { roleArn: HUB_ROLE };

  it("allows the sessions of a named role, and with an ExternalId only the same one", () => {
    expect(trustAllows(memberTrustPolicy([HUB_ROLE]), caller, {})).toBe(true);
    expect(trustAllows(memberTrustPolicy([`arn:aws:iam::${HUB}:role/other`]), caller, {})).toBe(false);
    const withId = memberTrustPolicy([HUB_ROLE], "abc-123");
    expect(trustAllows(withId, caller, { "sts:ExternalId": "abc-123" })).toBe(true);
    expect(trustAllows(withId, caller, { "sts:ExternalId": "abc-124" })).toBe(false);
    expect(trustAllows(withId, caller, {})).toBe(false);
    // The administrator stands for any principal, but not for a missing ExternalId.
    expect(trustAllows(withId, { administrator: true }, {})).toBe(false);
    expect(trustAllows(withId, { administrator: true }, { "sts:ExternalId": "abc-123" })).toBe(true);
  });

  it("allows any principal of a named account (its root or bare id), and lets a Deny win", () => {
    for (const account of [`arn:aws:iam::${HUB}:root`, HUB]) {
      expect(trustAllows(memberTrustPolicy([account]), caller, {})).toBe(true);
    }
    const denied = {
      Statement: [
        { Effect: "Allow" as const, Principal: { AWS: HUB }, Action: "sts:AssumeRole" },
        { Effect: "Deny" as const, Principal: { AWS: HUB_ROLE }, Action: "sts:*" },
      ],
    };
    expect(trustAllows(denied, caller, {})).toBe(false);
  });

  it("finds the role of an assumed-role session", () => {
    expect(roleArnOfSession(`arn:aws:sts::${HUB}:assumed-role/r-1/session/with/slashes`)).toBe(
      `arn:aws:iam::${HUB}:role/r-1`,
    );
    expect(roleArnOfSession(`arn:aws:iam::${HUB}:user/alice`)).toBeUndefined();
  });
});

describe("STS's bounds", () => {
  const params = (entries: Record<string, string>) => new URLSearchParams(entries);
  const valid = { RoleArn: `arn:aws:iam::${MEMBER}:role/member`, RoleSessionName: "ecr-scan-reporter" };

  it("accepts the edges and refuses one past them", () => {
    expect(assumeRoleProblems(params({ ...valid, DurationSeconds: "900", ExternalId: "ab" }))).toEqual([]);
    expect(
      assumeRoleProblems(params({ ...valid, RoleSessionName: "a".repeat(64), DurationSeconds: "43200" })),
    ).toEqual([]);
    expect(assumeRoleProblems(params({ ...valid, RoleSessionName: "a".repeat(65) }))).toEqual([
      `Value '${"a".repeat(65)}' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
    ]);
    expect(assumeRoleProblems(params({ ...valid, DurationSeconds: "899" }))).toHaveLength(1);
    expect(assumeRoleProblems(params({ ...valid, ExternalId: "a".repeat(1225) }))).toHaveLength(1);
    expect(assumeRoleProblems(params({ ...valid, ExternalId: "has space" }))).toEqual([
      "Value 'has space' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*",
    ]);
    expect(assumeRoleProblems(params({}))).toEqual([
      "Value null at 'roleArn' failed to satisfy constraint: Member must not be null",
      "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null",
    ]);
  });

  it("gives an hour by default and caps a session by the role's maximum, and a chained one by an hour", () => {
    expect(sessionSeconds(undefined, { maxSessionDurationSeconds: 3600 }, true)).toBe(3600);
    expect(sessionSeconds(3601, { maxSessionDurationSeconds: 3600 }, false)).toBeInstanceOf(StsError);
    expect(sessionSeconds(7200, { maxSessionDurationSeconds: 43_200 }, false)).toBe(7200);
    expect(sessionSeconds(3601, { maxSessionDurationSeconds: 43_200 }, true)).toMatchObject({
      code: "ValidationError",
      message:
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    });
  });
});

describe("temporary credentials' checks", () => {
  const session = { sessionToken: "token", expiresAt: 10_000 };

  it("wants the session token issued with the key, then a session not yet expired", () => {
    expect(credentialsProblem(session, "token", 9_999)).toBeUndefined();
    expect(credentialsProblem(session, "token", 10_000)).toBe("expired");
    expect(credentialsProblem(session, undefined, 0)).toBe("invalid-token");
    expect(credentialsProblem(session, "other", 20_000)).toBe("invalid-token");
    // The local functions' keys: no token, no expiry.
    expect(credentialsProblem({}, undefined, Number.MAX_SAFE_INTEGER)).toBeUndefined();
    expect(credentialsProblem(undefined, undefined, 0)).toBeUndefined();
  });

  it("are answered in each protocol's code and status", () => {
    expect(credentialsProblemAnswer("expired", "json")).toEqual({
      status: 400,
      code: "ExpiredTokenException",
      message: "The security token included in the request is expired",
    });
    expect(credentialsProblemAnswer("expired", "query")).toMatchObject({ status: 403, code: "ExpiredToken" });
    expect(credentialsProblemAnswer("expired", "rest-json")).toMatchObject({
      status: 403,
      code: "ExpiredTokenException",
    });
    expect(credentialsProblemAnswer("invalid-token", "query")).toMatchObject({
      status: 403,
      code: "InvalidClientTokenId",
    });
  });
});

describe("the member role", () => {
  it("takes the module's rendering with its planned account replaced, and refuses a rendering naming several", () => {
    const rendered: PolicyDocument = {
      Statement: [
        {
          Effect: "Allow",
          Action: "ecr:DescribeImages",
          Resource: "arn:aws:ecr:*:999999999999:repository/*",
        },
        { Effect: "Allow", Action: "ecr:GetRegistryScanningConfiguration", Resource: "*" },
      ],
    };
    expect(renderedPolicyFor(rendered, MEMBER).Statement).toEqual([
      { Effect: "Allow", Action: "ecr:DescribeImages", Resource: `arn:aws:ecr:*:${MEMBER}:repository/*` },
      { Effect: "Allow", Action: "ecr:GetRegistryScanningConfiguration", Resource: "*" },
    ]);
    const two: PolicyDocument = {
      Statement: [
        {
          Effect: "Allow",
          Action: "ecr:*",
          Resource: [`arn:aws:ecr:*:${HUB}:repository/*`, `arn:aws:ecr:*:${MEMBER}:repository/*`],
        },
      ],
    };
    expect(() => renderedPolicyFor(two, MEMBER)).toThrow(/several accounts/);
    expect(
      memberRole(MEMBER, {
        memberAccount: { roleName: "custom", policy: rendered, trustPolicy: memberTrustPolicy([]) },
      }),
    ).toEqual({ roleName: "custom", policy: renderedPolicyFor(rendered, MEMBER) });
  });

  it("gives a member the module's rendered policy: its own repositories only, no wildcard action", () => {
    const { roleName, policy } = memberRole(MEMBER);
    expect(roleName).toBe(renderedMemberAccount().roleName);
    const statements = [policy.Statement].flat();
    expect(statements.flatMap((s) => [s.Action].flat()).some((a) => String(a).includes("*"))).toBe(false);
    expect(statements.flatMap((s) => [s.Resource].flat()).filter((r) => r !== "*")).toEqual([
      `arn:aws:ecr:*:${MEMBER}:repository/*`,
    ]);
  });

  it("fails clearly when module-policies.json has no rendered member role, rather than inventing one", () => {
    expect(() => memberRole(MEMBER, {})).toThrow(/no rendered member role.*render-iam\.ts/);
    expect(() => renderedMemberAccount({})).toThrow(/memberAccount/);
    // A trust policy trusting no AWS principal is not the module's either.
    expect(() =>
      memberTrustPolicy([HUB_ROLE], undefined, {
        Statement: [
          { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      }),
    ).toThrow(/no statement letting AWS principals sts:AssumeRole/);
  });

  it("builds the member's trust from the module's rendering: with the rendering's hub roles and no ExternalId, exactly the rendering", () => {
    // The rendering plans the member module with the local deployment's function roles and no external_id: so that
    // Terraform's trust policy and the sandbox's cannot drift, the sandbox's built from those is the rendering itself.
    const rendered = renderedMemberAccount().trustPolicy;
    expect(memberTrustPolicy(hubFunctionRoleArns())).toEqual(rendered);
    expect(memberTrustPolicy([...hubFunctionRoleArns()].reverse().concat(hubFunctionRoleArns()))).toEqual(
      rendered,
    );
    // An ExternalId adds the module's condition to the rendered statement, nothing else changes.
    const [statement] = [rendered.Statement].flat();
    expect(memberTrustPolicy(hubFunctionRoleArns(), "ecr-scan-reporter-demo")).toEqual({
      ...rendered,
      Statement: [
        { ...statement, Condition: { StringEquals: { "sts:ExternalId": "ecr-scan-reporter-demo" } } },
      ],
    });
    // Other hub roles replace the rendering's principals, sorted and each once as the module's sort(distinct(…)).
    const other = `arn:aws:iam::${HUB}:role/a-other`;
    expect(memberTrustPolicy([HUB_ROLE, other, HUB_ROLE]).Statement).toEqual([
      { ...statement, Principal: { AWS: [other, HUB_ROLE] } },
    ]);
  });

  it("replaces a rendered ExternalId condition by the member's, or drops it without one, keeping other conditions", () => {
    const hubStatement: TrustPolicyStatement = {
      Sid: "HubFunctionsAssumeRole",
      Effect: "Allow",
      Principal: { AWS: ["arn:aws:iam::111111111111:role/planned"] },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: { "sts:ExternalId": "planned-id", "aws:PrincipalOrgID": "o-abc" },
      },
    };
    const untouched: TrustPolicyStatement = {
      Effect: "Deny",
      Principal: { Service: "ec2.amazonaws.com" },
      Action: "sts:AssumeRole",
    };
    const rendered = { Version: "2012-10-17", Statement: [hubStatement, untouched] };
    expect(memberTrustPolicy([HUB_ROLE], "member-id", rendered).Statement).toEqual([
      {
        ...hubStatement,
        Principal: { AWS: [HUB_ROLE] },
        Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc", "sts:ExternalId": "member-id" } },
      },
      untouched,
    ]);
    expect(memberTrustPolicy([HUB_ROLE], undefined, rendered).Statement).toEqual([
      {
        ...hubStatement,
        Principal: { AWS: [HUB_ROLE] },
        Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } },
      },
      untouched,
    ]);
    const onlyExternalId = {
      Statement: [{ ...hubStatement, Condition: { StringEquals: { "sts:ExternalId": "planned-id" } } }],
    };
    expect(memberTrustPolicy([HUB_ROLE], undefined, onlyExternalId).Statement).toEqual([
      {
        Sid: "HubFunctionsAssumeRole",
        Effect: "Allow",
        Principal: { AWS: [HUB_ROLE] },
        Action: "sts:AssumeRole",
      },
    ]);
  });

  it("trusts the local deployment's four function roles by default", () => {
    const local = loadModulePolicies().deployments.local_deployment;
    expect(hubFunctionRoleArns()).toEqual(
      Object.values(local.functions).map((f) => `arn:aws:iam::${local.accountId}:role/${f.roleName}`),
    );
    expect(hubFunctionRoleArns()).toHaveLength(4);
  });
});
