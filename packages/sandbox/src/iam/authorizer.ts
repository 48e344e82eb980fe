import { type AuthorizationRequest, evaluate, type PolicyDocument } from "./policy.js";

/** A principal whose calls are checked: a role's session, known by the access key its credentials carry. */
export interface IamPrincipal {
  accessKeyId: string;
  /**
   * The session as AWS names it in an access-denied answer: arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION, the
   * session of a Lambda function's role being the function's name.
   */
  arn: string;
  roleName: string;
  policies: readonly PolicyDocument[];
  /**
   * Temporary credentials (STS AssumeRole's): the session token the SDK must send with the access key (as
   * `x-amz-security-token`), and when they stop working (epoch ms, the sandbox's clock). Absent for the local
   * functions' keys, which the sandbox takes without a token and never expires.
   */
  sessionToken?: string;
  expiresAt?: number;
}

/** The account of an ARN (its fifth field), or undefined when the ARN names none ("*", an S3 bucket). */
export function accountOfArn(arn: string): string | undefined {
  const account = arn.split(":")[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** One authorization the sandbox decided: who asked for which action on which resource, and the answer. */
export interface IamDecisionRecord {
  accessKeyId: string;
  /** The role; undefined for credentials of no principal, which act as the account's administrator. */
  roleName?: string;
  service: string;
  operation: string;
  action: string;
  resource: string;
  context?: Readonly<Record<string, string>>;
  allowed: boolean;
  at: number;
}

/**
 * A denied request: whose, what, and why — a Deny said so, no identity-based policy allowed it, or (the resource
 * being in another account) no resource-based policy of that account allowed it.
 */
export interface Denial {
  principal: IamPrincipal;
  request: AuthorizationRequest;
  reason: "explicit-deny" | "implicit-deny" | "no-resource-policy";
}

/** The access key id of a SigV4-signed request: `Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/…`. */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? "")?.[1];
}

/**
 * AWS's words for a denied request (IAM User Guide, "Troubleshoot access denied error messages"):
 * "User: <session ARN> is not authorized to perform: <action> on resource: <ARN> because no identity-based policy
 * allows the <action> action", "… with an explicit deny in an identity-based policy", or, for a resource of another
 * account, "… because no resource-based policy allows the <action> action". Services spell the action their own
 * way (SQS lower-cases it, SNS upper-cases the prefix): `spelling` says how.
 */
export function notAuthorizedMessage(
  denial: Denial,
  spelling: (action: string) => string = (a) => a,
): string {
  const action = spelling(denial.request.action);
  const why =
    denial.reason === "explicit-deny"
      ? "with an explicit deny in an identity-based policy"
      : denial.reason === "no-resource-policy"
        ? `because no resource-based policy allows the ${action} action`
        : `because no identity-based policy allows the ${action} action`;
  return `User: ${denial.principal.arn} is not authorized to perform: ${action} on resource: ${denial.request.resource} ${why}`;
}

/**
 * The decision on one request of a principal (pure). Within its account, its identity-based policies decide (IAM
 * User Guide, "Policy evaluation logic"). On a resource of another account both sides must allow: the identity-based
 * policy in the caller's account and a resource-based policy in the resource's (a role's trust policy, a registry's
 * or repository's policy) — "Cross-account policy evaluation logic"
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html). An
 * explicit Deny of the caller's policies is named first; then the missing resource-based policy, as AWS names it
 * ("User: … is not authorized to perform: ecr:DescribeRepositories on resource: arn:aws:ecr:…:<other
 * account>:repository/* because no resource-based policy allows the ecr:DescribeRepositories action").
 */
export function decide(
  principal: IamPrincipal,
  request: AuthorizationRequest,
): { allowed: true } | { allowed: false; reason: Denial["reason"] } {
  const identity = evaluate(principal.policies, request);
  if (!identity.allowed && identity.reason === "explicit-deny") return identity;
  const resourceAccount = accountOfArn(request.resource);
  const crossAccount = resourceAccount !== undefined && resourceAccount !== accountOfArn(principal.arn);
  if (crossAccount && request.resourcePolicyAllows !== true) {
    return { allowed: false, reason: "no-resource-policy" };
  }
  return identity.allowed ? { allowed: true } : identity;
}

/**
 * The sandbox's IAM: each registered principal's calls are checked against its policies; credentials of no
 * principal (the CLI, a demo's seeding, tests) act as the account's administrator. Every decision is recorded.
 */
export class IamAuthorizer {
  readonly decisions: IamDecisionRecord[] = [];
  private readonly principals = new Map<string, IamPrincipal>();

  addPrincipal(principal: IamPrincipal): void {
    this.principals.set(principal.accessKeyId, principal);
  }

  removePrincipal(accessKeyId: string): void {
    this.principals.delete(accessKeyId);
  }

  principal(accessKeyId: string | undefined): IamPrincipal | undefined {
    return accessKeyId === undefined ? undefined : this.principals.get(accessKeyId);
  }

  /**
   * Checks the authorizations one call needs, in order (a service asks KMS only once its own action is allowed),
   * recording each; returns the first denial, or undefined when every one is allowed.
   */
  authorize(
    call: { accessKeyId: string | undefined; service: string; operation: string },
    requests: readonly AuthorizationRequest[],
  ): Denial | undefined {
    const principal = this.principal(call.accessKeyId);
    for (const request of requests) {
      const decision = principal ? decide(principal, request) : undefined;
      const allowed = decision ? decision.allowed : true;
      this.decisions.push({
        accessKeyId: call.accessKeyId ?? "",
        ...(principal ? { roleName: principal.roleName } : {}),
        service: call.service,
        operation: call.operation,
        action: request.action,
        resource: request.resource,
        ...(request.context ? { context: request.context } : {}),
        allowed,
        at: Date.now(),
      });
      if (principal && decision && !decision.allowed) {
        return { principal, request, reason: decision.reason };
      }
    }
    return undefined;
  }

  /** The decisions that were denials. */
  denials(): IamDecisionRecord[] {
    return this.decisions.filter((d) => !d.allowed);
  }
}
