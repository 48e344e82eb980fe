import { accountOfArn } from "./authorizer.js";
import { actionMatches, conditionHolds, list, type OneOrMore, type PolicyStatement } from "./policy.js";

// A role's trust policy (its resource-based policy, which says who may assume it), as the IAM User Guide describes
// it: "IAM JSON policy elements: Principal"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html) — an AWS principal
// is a role ARN (any session of that role), an account ("arn:aws:iam::<id>:root" or the bare id: any principal of
// that account its own policies allow) or "*"; and "How to use an external ID when granting access to your AWS
// resources to a third party" (…/id_roles_common-scenarios_third-party.html) — the `sts:ExternalId` condition key
// carries the ExternalId of the AssumeRole request, absent when the request has none. Evaluated as identity
// policies are (policy.ts): an explicit Deny wins, else any matching Allow, else denied.

export interface TrustPolicyStatement extends Omit<PolicyStatement, "Resource" | "NotResource"> {
  Principal?: { AWS?: OneOrMore<string>; Service?: OneOrMore<string> } | "*";
}

export interface TrustPolicyDocument {
  Version?: string;
  Statement: OneOrMore<TrustPolicyStatement>;
}

/** Who asks to assume the role: the role of the calling session, or the sandbox's administrator (no principal). */
export type TrustCaller = { roleArn: string } | { administrator: true };

/**
 * The role a session belongs to: arn:aws:sts::A:assumed-role/NAME/SESSION → arn:aws:iam::A:role/NAME (a role with a
 * path keeps it in its ARN, not in its sessions' — the sandbox's roles have none).
 */
export function roleArnOfSession(sessionArn: string): string | undefined {
  const match = /^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(sessionArn);
  return match ? `arn:aws:iam::${match[1]}:role/${match[2]}` : undefined;
}

/** Whether a statement's Principal names the caller. The administrator stands for any principal (see sts.ts). */
function principalMatches(statement: TrustPolicyStatement, caller: TrustCaller): boolean {
  if (statement.Principal === "*") return true;
  if ("administrator" in caller) return true;
  const account = accountOfArn(caller.roleArn);
  return list(statement.Principal?.AWS).some(
    (principal) =>
      principal === "*" ||
      principal === caller.roleArn ||
      principal === account ||
      principal === `arn:aws:iam::${account}:root`,
  );
}

/**
 * Whether a role's trust policy lets the caller assume it with this request's context (`sts:ExternalId` when the
 * request gave one).
 */
export function trustAllows(
  trust: TrustPolicyDocument,
  caller: TrustCaller,
  context: Readonly<Record<string, string>>,
): boolean {
  const matching = list(trust.Statement).filter(
    (statement) =>
      list(statement.Action).some((action) => actionMatches(action, "sts:AssumeRole")) &&
      principalMatches(statement, caller) &&
      conditionHolds(statement.Condition, context),
  );
  if (matching.some((statement) => statement.Effect === "Deny")) return false;
  return matching.some((statement) => statement.Effect === "Allow");
}
