import { accountOfArn } from "./authorizer.js";
import { FUNCTION_KEYS, loadModulePolicies, type ModulePolicies } from "./module-policies.js";
import type { OneOrMore, PolicyDocument } from "./policy.js";

// The member account's role as terraform/modules/member-account makes it, for the sandbox's member accounts
// (sandbox.addAccount): its name, its policy, and the hub roles its trust names by default.

/** The member module's default `role_name` (the hub module's `member_role_name` must match it). */
export const DEFAULT_MEMBER_ROLE_NAME = "ecr-scan-reporter-member";

/**
 * The member role's policy written by hand, used only while module-policies.json has no rendered `memberAccount`:
 * the statements the member module's design gives the role (ECR reads and StartImageScan on the member's
 * repositories in any region, GetRegistryScanningConfiguration on "*" as it has no resource type, and
 * inspector2:ListFindings on "*", which DescribeImageScanFindings needs under enhanced scanning — the module adds it
 * with `enhanced_scanning = true`, and the sandbox's registries can be switched to ENHANCED).
 */
export function handWrittenMemberRolePolicy(accountId: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadAndScanRepositories",
        Effect: "Allow",
        Action: [
          "ecr:DescribeImageScanFindings",
          "ecr:DescribeImages",
          "ecr:DescribeRepositories",
          "ecr:StartImageScan",
        ],
        Resource: `arn:aws:ecr:*:${accountId}:repository/*`,
      },
      {
        Sid: "ReadRegistryScanningConfiguration",
        Effect: "Allow",
        Action: "ecr:GetRegistryScanningConfiguration",
        Resource: "*",
      },
      { Sid: "ReadInspectorFindings", Effect: "Allow", Action: "inspector2:ListFindings", Resource: "*" },
    ],
  };
}

const list = <T>(value: OneOrMore<T> | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * The rendered policy with its member account replaced by `accountId`: the plan names one member account in its
 * resource ARNs, the sandbox has as many as addAccount registers. A rendering that names no account, or several,
 * is not what the member module makes: an error rather than a policy that silently grants something else.
 */
export function renderedPolicyFor(rendered: PolicyDocument, accountId: string): PolicyDocument {
  const accounts = new Set(
    list(rendered.Statement)
      .flatMap((statement) => list(statement.Resource))
      .map(accountOfArn)
      .filter((account): account is string => account !== undefined),
  );
  const [planned, ...others] = [...accounts];
  if (!planned || others.length > 0) {
    throw new Error(
      `module-policies.json: the member account's rendered policy names ${accounts.size === 0 ? "no account" : `several accounts (${[...accounts].join(", ")})`} in its resources; re-render it with \`pnpm exec tsx scripts/render-iam.ts\``,
    );
  }
  return JSON.parse(JSON.stringify(rendered).replaceAll(`:${planned}:`, `:${accountId}:`)) as PolicyDocument;
}

/** The member role's name and policy for one account: the module's rendering when present, else the hand-written one. */
export function memberRole(
  accountId: string,
  policies: Pick<ModulePolicies, "memberAccount"> = loadModulePolicies(),
): { roleName: string; policy: PolicyDocument; rendered: boolean } {
  const rendered = policies.memberAccount;
  return rendered
    ? { roleName: rendered.roleName, policy: renderedPolicyFor(rendered.policy, accountId), rendered: true }
    : { roleName: DEFAULT_MEMBER_ROLE_NAME, policy: handWrittenMemberRolePolicy(accountId), rendered: false };
}

/** The role ARNs of the local deployment's functions (the hub's), which a member role trusts by default. */
export function hubFunctionRoleArns(
  policies: Pick<ModulePolicies, "deployments"> = loadModulePolicies(),
): string[] {
  const local = policies.deployments.local_deployment;
  return FUNCTION_KEYS.map((key) => `arn:aws:iam::${local.accountId}:role/${local.functions[key].roleName}`);
}
