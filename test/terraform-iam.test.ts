// The IAM policies the sandbox enforces (packages/sandbox/src/iam/module-policies.json) must be the ones the
// Terraform module renders today: this plans terraform/tests/local-deployment.tftest.hcl with the mock provider, as
// scripts/render-iam.ts does, and compares. test/iam.e2e.test.ts then proves on the sandbox that those policies are
// sufficient and grant nothing else.
import { describe, expect, it } from "vitest";
import { committedModulePolicies, renderModulePolicies } from "../scripts/render-iam.js";

describe("the module's IAM policies as the sandbox has them", () => {
  it("are the module's current rendering (else run `pnpm exec tsx scripts/render-iam.ts` and commit the file)", async () => {
    const rendered = await renderModulePolicies();
    expect(committedModulePolicies()).toEqual(rendered);
    // What the local deployment's run relies on: every function has a policy, named for the sandbox's account.
    const local = rendered.deployments.local_deployment;
    expect(Object.keys(local.functions).sort()).toEqual([
      "report-findings",
      "scan-images",
      "schedule-scans",
      "send-digests",
    ]);
    expect([local.accountId, local.region]).toEqual(["123456789012", "eu-west-1"]);

    // Multi-account: the member role trusts exactly the local deployment's function roles, and the hub's functions
    // may assume exactly the member roles its document lists.
    const hubRoleArns = Object.values(local.functions).map(
      (f) => `arn:aws:iam::123456789012:role/${f.roleName}`,
    );
    const trust = [rendered.memberAccount?.trustPolicy.Statement ?? []].flat();
    expect(trust.map((statement) => [statement.Principal, statement.Action])).toEqual([
      [{ AWS: [...hubRoleArns].sort() }, "sts:AssumeRole"],
    ]);
    const hub = rendered.deployments.multi_account;
    const memberRoleArns = (hub.config.accounts as { roleArn?: string }[]).flatMap((a) => a.roleArn ?? []);
    expect(memberRoleArns).toHaveLength(2);
    for (const fn of Object.values(hub.functions)) {
      const assume = [fn.policy.Statement]
        .flat()
        .filter((statement) => statement.Sid === "AssumeMemberRoles");
      expect(assume.map((statement) => [statement.Action, statement.Resource])).toEqual([
        ["sts:AssumeRole", memberRoleArns],
      ]);
    }
  }, 240_000);
});
