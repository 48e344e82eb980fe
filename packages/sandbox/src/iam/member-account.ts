import { accountOfArn } from "./authorizer.js";
import {
  FUNCTION_KEYS,
  loadModulePolicies,
  MODULE_POLICIES_PATH,
  type ModulePolicies,
} from "./module-policies.js";
import { list, type PolicyDocument, type PolicyStatement } from "./policy.js";
import type { TrustPolicyDocument, TrustPolicyStatement } from "./trust.js";

// The member account's role as terraform/modules/member-account makes it, for the sandbox's member accounts
// (sandbox.addAccount): its name, policy and trust policy, all taken from the module's rendering
// (module-policies.json `memberAccount`), with what the plan fixed (its member account, its hub roles, its
// ExternalId) replaced by the sandbox's — so that the module and the sandbox cannot drift apart.

/** The rendered member role; a clear error when module-policies.json has none. */
export function renderedMemberAccount(
  policies: Pick<ModulePolicies, "memberAccount"> = loadModulePolicies(),
): NonNullable<ModulePolicies["memberAccount"]> {
  const rendered = policies.memberAccount;
  if (!rendered?.policy || !rendered.trustPolicy) {
    throw new Error(
      `${MODULE_POLICIES_PATH.pathname} has no rendered member role (memberAccount: terraform/modules/member-account's role, policy and trust policy); run \`pnpm exec tsx scripts/render-iam.ts\``,
    );
  }
  return rendered;
}

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

/** A statement's Condition without any `sts:ExternalId` key, then with `externalId` as the module adds it. */
function withExternalId(
  condition: PolicyStatement["Condition"],
  externalId: string | undefined,
): PolicyStatement["Condition"] {
  const kept: NonNullable<PolicyStatement["Condition"]> = {};
  for (const [operator, keys] of Object.entries(condition ?? {})) {
    const others = Object.entries(keys).filter(([key]) => key.toLowerCase() !== "sts:externalid");
    if (others.length > 0) kept[operator] = Object.fromEntries(others);
  }
  // terraform/modules/member-account/main.tf, `trust_policy`: `{ Condition = { StringEquals = { "sts:ExternalId" =
  // var.external_id } } }` when an ExternalId is set, no condition otherwise.
  if (externalId !== undefined) kept.StringEquals = { ...kept.StringEquals, "sts:ExternalId": externalId };
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/**
 * The member role's trust policy: the module's rendering (`memberAccount.trustPolicy`), its hub roles replaced by
 * `trustedRoleArns` (sorted and each once, as the module's `sort(distinct(var.hub_role_arns))`) and its
 * `sts:ExternalId` condition replaced by `externalId`, or dropped when there is none. A rendering with no statement
 * trusting AWS principals to sts:AssumeRole is not the module's: an error.
 */
export function memberTrustPolicy(
  trustedRoleArns: readonly string[],
  externalId?: string,
  rendered: TrustPolicyDocument = renderedMemberAccount().trustPolicy,
): TrustPolicyDocument {
  const principals = [...new Set(trustedRoleArns)].sort();
  const trustsHubRoles = (statement: TrustPolicyStatement) =>
    typeof statement.Principal === "object" &&
    statement.Principal.AWS !== undefined &&
    list(statement.Action).includes("sts:AssumeRole");
  const statements = list(rendered.Statement);
  if (!statements.some(trustsHubRoles)) {
    throw new Error(
      "module-policies.json: the member role's rendered trust policy has no statement letting AWS principals sts:AssumeRole; re-render it with `pnpm exec tsx scripts/render-iam.ts`",
    );
  }
  return {
    ...rendered,
    Statement: statements.map((statement) => {
      if (!trustsHubRoles(statement)) return statement;
      const { Condition, ...rest } = statement;
      const condition = withExternalId(Condition, externalId);
      return {
        ...rest,
        Principal: { ...(statement.Principal as object), AWS: principals },
        ...(condition ? { Condition: condition } : {}),
      };
    }),
  };
}

/** The member role's name and policy for one account, from the module's rendering. */
export function memberRole(
  accountId: string,
  policies: Pick<ModulePolicies, "memberAccount"> = loadModulePolicies(),
): { roleName: string; policy: PolicyDocument } {
  const rendered = renderedMemberAccount(policies);
  return { roleName: rendered.roleName, policy: renderedPolicyFor(rendered.policy, accountId) };
}

/** The role ARNs of the local deployment's functions (the hub's), which a member role trusts by default. */
export function hubFunctionRoleArns(
  policies: Pick<ModulePolicies, "deployments"> = loadModulePolicies(),
): string[] {
  const local = policies.deployments.local_deployment;
  return FUNCTION_KEYS.map((key) => `arn:aws:iam::${local.accountId}:role/${local.functions[key].roleName}`);
}
