import { describe, expect, it } from "vitest";
import { loadModulePolicies } from "../src/iam/module-policies.js";
import type { PolicyStatement } from "../src/iam/policy.js";
import {
  ASSUME_MEMBER_ROLES_SID,
  memberAccountsOf,
  roleNameOfArn,
  withMemberRoles,
} from "../src/local-deployment.js";

const statementsOf = (policy: { Statement: PolicyStatement | PolicyStatement[] }) =>
  Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];

describe("the local deployment as a hub of member accounts", () => {
  it("takes the member entries of `accounts` (those with a role ARN), not the hub's own entry", () => {
    expect(
      memberAccountsOf({
        accounts: [
          { accountId: "123456789012", name: "hub" },
          {
            accountId: "210987654321",
            roleArn: "arn:aws:iam::210987654321:role/r",
            externalId: "x1",
            name: "team-a",
          },
        ],
      }),
    ).toEqual([
      {
        accountId: "210987654321",
        roleArn: "arn:aws:iam::210987654321:role/r",
        externalId: "x1",
        name: "team-a",
      },
    ]);
    expect(memberAccountsOf({ reporters: [] })).toEqual([]);
    expect(memberAccountsOf(null)).toEqual([]);
  });

  it("gives each function's AssumeMemberRoles statement exactly the configured members' roles, nothing else changed", () => {
    const rendered = loadModulePolicies().deployments.multi_account.functions["scan-images"].policy;
    const roles = ["arn:aws:iam::456789012345:role/ecr-scan-reporter-member"];
    const policy = withMemberRoles(rendered, roles);
    const assume = statementsOf(policy).filter((s) => s.Sid === ASSUME_MEMBER_ROLES_SID);
    expect(assume).toEqual([{ ...assume[0], Action: "sts:AssumeRole", Resource: roles }]);
    expect(statementsOf(policy).filter((s) => s.Sid !== ASSUME_MEMBER_ROLES_SID)).toEqual(
      statementsOf(rendered).filter((s) => s.Sid !== ASSUME_MEMBER_ROLES_SID),
    );
  });

  it("refuses a rendering without the statement, and a role ARN with a path", () => {
    const single = loadModulePolicies().deployments.local_deployment.functions["scan-images"].policy;
    expect(() => withMemberRoles(single, ["arn:aws:iam::210987654321:role/r"])).toThrow(
      /no AssumeMemberRoles statement/,
    );
    expect(roleNameOfArn("arn:aws:iam::210987654321:role/ecr-scan-reporter-member")).toBe(
      "ecr-scan-reporter-member",
    );
    expect(() => roleNameOfArn("arn:aws:iam::210987654321:role/teams/ecr-scan-reporter-member")).toThrow(
      /have no path/,
    );
  });
});
