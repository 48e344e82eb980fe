// IAM evaluation of identity-based policies, as the IAM User Guide describes it:
// - "Policy evaluation logic" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
//   an explicit Deny in any matching statement wins; otherwise a matching Allow allows; otherwise the request is
//   denied (the implicit, default deny).
// - "IAM JSON policy elements: Action" (…/reference_policies_elements_action.html): action names are not
//   case-sensitive; "*" and "?" are wildcards. NotAction matches every action but the ones listed.
// - "IAM JSON policy elements: Resource" (…/reference_policies_elements_resource.html): ARNs are case-sensitive;
//   within a segment (the parts between colons) "*" is any run of characters and "?" any one character, and "*"
//   as the last character of a segment may expand beyond the colons that follow. NotResource: the complement.
// - "IAM JSON policy elements: Condition operators" (…/reference_policies_elements_condition_operators.html) and
//   "Creating a condition with multiple keys or values" (…/reference_policies_condition-logic-multiple-context-keys-or-values.html):
//   several operators, or several keys under one operator, must all match (AND); several values of one key, any
//   one (OR); a key the request lacks makes a positive operator false and a negated one true; ...IfExists makes
//   a missing key true. Condition key names are not case-sensitive.
// Only the pieces the sandbox needs are here; an operator it does not know is an error, never a silent match.

export type OneOrMore<T> = T | T[];

export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: OneOrMore<string>;
  NotAction?: OneOrMore<string>;
  Resource?: OneOrMore<string>;
  NotResource?: OneOrMore<string>;
  Condition?: Record<string, Record<string, OneOrMore<string>>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: OneOrMore<PolicyStatement>;
}

/** One authorization: an action on a resource ARN ("*" for actions with no resource type), with its context keys. */
export interface AuthorizationRequest {
  action: string;
  resource: string;
  context?: Readonly<Record<string, string>>;
  /**
   * Whether the resource's own policy (a role's trust policy) allows the caller: needed, besides the caller's
   * identity-based policy, when the resource is in another account (authorizer.ts, `decide`). Undefined when the
   * resource has no policy, as the sandbox's ECR registries and repositories have none.
   */
  resourcePolicyAllows?: boolean;
}

export type PolicyDecision =
  | { allowed: true; statement: PolicyStatement }
  | { allowed: false; reason: "explicit-deny" | "implicit-deny"; statement?: PolicyStatement };

/** A policy element that may be one value or several, as a list (absent: none). */
export const list = <T>(value: OneOrMore<T> | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const escapeChar = (text: string) => text.replace(/[.+^${}()|[\]\\/]/g, "\\$&");

/** An action pattern: "*" any run, "?" one character, case-insensitive. */
function actionRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${[...pattern].map((c) => (c === "*" ? ".*" : c === "?" ? "." : escapeChar(c))).join("")}$`,
    "i",
  );
}

/** A resource pattern: wildcards stay within their ARN segment, but a segment-ending "*" may run past colons. */
function resourceRegExp(pattern: string): RegExp {
  const chars = [...pattern];
  const source = chars
    .map((c, i) => {
      if (c === "*") return i === chars.length - 1 || chars[i + 1] === ":" ? ".*" : "[^:]*";
      if (c === "?") return "[^:]";
      return escapeChar(c);
    })
    .join("");
  return new RegExp(`^${source}$`);
}

const cache = new Map<string, RegExp>();
function cached(kind: "a" | "r", pattern: string): RegExp {
  const key = `${kind}${pattern}`;
  let regexp = cache.get(key);
  if (!regexp) {
    regexp = kind === "a" ? actionRegExp(pattern) : resourceRegExp(pattern);
    cache.set(key, regexp);
  }
  return regexp;
}

export const actionMatches = (pattern: string, action: string) => cached("a", pattern).test(action);
export const resourceMatches = (pattern: string, resource: string) => cached("r", pattern).test(resource);

/** The condition operators the sandbox evaluates: each compares one request value with one policy value. */
const OPERATORS: Record<string, { negated: boolean; test: (actual: string, expected: string) => boolean }> = {
  StringEquals: { negated: false, test: (a, e) => a === e },
  StringNotEquals: { negated: true, test: (a, e) => a === e },
  StringEqualsIgnoreCase: { negated: false, test: (a, e) => a.toLowerCase() === e.toLowerCase() },
  StringLike: { negated: false, test: (a, e) => new RegExp(likeSource(e)).test(a) },
  StringNotLike: { negated: true, test: (a, e) => new RegExp(likeSource(e)).test(a) },
  ArnEquals: { negated: false, test: (a, e) => a === e },
  ArnLike: { negated: false, test: (a, e) => resourceMatches(e, a) },
};

/** StringLike: "*" and "?" anywhere, case-sensitive. */
function likeSource(pattern: string): string {
  return `^${[...pattern].map((c) => (c === "*" ? ".*" : c === "?" ? "." : escapeChar(c))).join("")}$`;
}

/** Whether a statement's Condition holds for the request's context. */
export function conditionHolds(
  condition: PolicyStatement["Condition"],
  context: Readonly<Record<string, string>>,
): boolean {
  if (!condition) return true;
  const lowered = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(condition).every(([name, keys]) => {
    const ifExists = name.endsWith("IfExists");
    const operatorName = ifExists ? name.slice(0, -"IfExists".length) : name;
    const operator = OPERATORS[operatorName];
    if (!operator) {
      throw new Error(
        `the sandbox's IAM evaluator does not know the condition operator ${name} (it knows ${Object.keys(OPERATORS).join(", ")}, each with IfExists)`,
      );
    }
    return Object.entries(keys).every(([key, values]) => {
      const actual = lowered.get(key.toLowerCase());
      if (actual === undefined) return ifExists || operator.negated;
      const any = list(values).some((expected) => operator.test(actual, expected));
      return operator.negated ? !any : any;
    });
  });
}

/** Whether a statement applies to the request (its Effect aside). */
export function statementMatches(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  const action =
    statement.NotAction !== undefined
      ? !list(statement.NotAction).some((p) => actionMatches(p, request.action))
      : list(statement.Action).some((p) => actionMatches(p, request.action));
  if (!action) return false;
  const resource =
    statement.NotResource !== undefined
      ? !list(statement.NotResource).some((p) => resourceMatches(p, request.resource))
      : list(statement.Resource).some((p) => resourceMatches(p, request.resource));
  return resource && conditionHolds(statement.Condition, request.context ?? {});
}

/** The decision of a principal's identity-based policies on one request. */
export function evaluate(policies: readonly PolicyDocument[], request: AuthorizationRequest): PolicyDecision {
  const statements = policies.flatMap((policy) => list(policy.Statement));
  const matching = statements.filter((statement) => statementMatches(statement, request));
  const deny = matching.find((statement) => statement.Effect === "Deny");
  if (deny) return { allowed: false, reason: "explicit-deny", statement: deny };
  const allow = matching.find((statement) => statement.Effect === "Allow");
  if (allow) return { allowed: true, statement: allow };
  return { allowed: false, reason: "implicit-deny" };
}
