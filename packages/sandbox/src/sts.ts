import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { accessKeyIdOf, accountOfArn, type IamPrincipal } from "./iam/authorizer.js";
import type { PolicyDocument } from "./iam/policy.js";
import { roleArnOfSession, type TrustCaller, type TrustPolicyDocument, trustAllows } from "./iam/trust.js";
import { type AwsHttpServer, xmlEscape } from "./server.js";

// AWS STS on the sandbox's endpoint, in its query protocol (form-encoded requests, XML answers), as the AWS STS API
// Reference describes AssumeRole (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html) and
// GetCallerIdentity. The temporary credentials it issues are checked by the server on every later request
// (server.ts: the session token must come with the key; after Expiration every call answers ExpiredToken).

/** A role the sandbox knows: a member account's role (sandbox.addAccount), with its policies. */
export interface SandboxRole {
  arn: string;
  name: string;
  accountId: string;
  /** The role's unique id (AROA…), the first half of its sessions' AssumedRoleId. */
  roleId: string;
  /** The role's identity-based policy: what its sessions may do. */
  policy: PolicyDocument;
  /** Who may assume it (iam/trust.ts). */
  trustPolicy: TrustPolicyDocument;
  /** MaxSessionDuration: 1 h unless raised, at most 12 h (IAM User Guide, "Update the maximum session duration"). */
  maxSessionDurationSeconds: number;
}

/** One AssumeRole the sandbox answered. */
export interface AssumeRoleRecord {
  roleArn: string;
  roleSessionName: string;
  externalId?: string;
  /** The calling session's ARN; undefined for the sandbox's administrator. */
  callerArn?: string;
  /** "issued", or the error code answered. */
  outcome: string;
  /** The access key id issued. */
  accessKeyId?: string;
  at: number;
}

export interface StsOptions {
  accountId: string;
  region: string;
  now: () => number;
  /**
   * Makes issued credentials live at most this long (ms), whatever DurationSeconds asked — and says so in their
   * Expiration — to test what happens when they expire mid-run.
   */
  credentialsTtlMs?: number;
}

/** An error answered in the query protocol's error document. */
export class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** AWS's time format in STS answers: ISO 8601 to the second ("2019-11-09T13:34:41Z"). */
const stsTime = (epochMs: number) => new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The role-chaining limit: a session of a role that assumes another role gets at most an hour (AssumeRole). */
export const ROLE_CHAINING_MAX_SECONDS = 3600;

/** A member's bounds, in the form AWS's validation messages quote them. */
type Constraint = { min: number; max: number; pattern?: RegExp; patternText?: string };

/**
 * AssumeRole's parameters as the API reference bounds them: RoleArn 20–2048 characters, RoleSessionName 2–64 of
 * [\w+=,.@-]*, DurationSeconds 900–43200, ExternalId 2–1224 of [\w+=,.@:/-]*. STS answers every broken bound at
 * once: ValidationError "2 validation errors detected: Value '…' at 'roleSessionName' failed to satisfy constraint:
 * Member must …; …" (the members named in lower camel case). Returns the problems, none when valid. Pure.
 */
export function assumeRoleProblems(params: URLSearchParams): string[] {
  const problems: string[] = [];
  const text = (member: string, value: string | null, constraint: Constraint, required: boolean) => {
    if (value === null) {
      if (required)
        problems.push(`Value null at '${member}' failed to satisfy constraint: Member must not be null`);
      return;
    }
    const length = [...value].length;
    const fail = (why: string) =>
      problems.push(`Value '${value}' at '${member}' failed to satisfy constraint: Member must ${why}`);
    if (length < constraint.min) fail(`have length greater than or equal to ${constraint.min}`);
    else if (length > constraint.max) fail(`have length less than or equal to ${constraint.max}`);
    if (constraint.pattern && !constraint.pattern.test(value))
      fail(`satisfy regular expression pattern: ${constraint.patternText}`);
  };
  text("roleArn", params.get("RoleArn"), { min: 20, max: 2048 }, true);
  text(
    "roleSessionName",
    params.get("RoleSessionName"),
    { min: 2, max: 64, pattern: /^[\w+=,.@-]*$/, patternText: "[\\w+=,.@-]*" },
    true,
  );
  const duration = params.get("DurationSeconds");
  if (duration !== null) {
    const seconds = Number(duration);
    const fail = (why: string) =>
      problems.push(
        `Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must ${why}`,
      );
    if (!Number.isInteger(seconds) || seconds < 900) fail("have value greater than or equal to 900");
    else if (seconds > 43_200) fail("have value less than or equal to 43200");
  }
  text(
    "externalId",
    params.get("ExternalId"),
    { min: 2, max: 1224, pattern: /^[\w+=,.@:/-]*$/, patternText: "[\\w+=,.@:\\/-]*" },
    false,
  );
  return problems;
}

/**
 * The session length a valid request gets, or the ValidationError STS answers: past the role's MaxSessionDuration
 * "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." (kreuzwerker/awsu#27,
 * prowler-cloud/prowler#923), and for a caller that is itself a role's session (role chaining) past an hour "The
 * requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
 * (99designs/aws-vault#263, aws/eks-anywhere#9485). Without DurationSeconds: an hour (AssumeRole's default).
 */
export function sessionSeconds(
  requested: number | undefined,
  role: Pick<SandboxRole, "maxSessionDurationSeconds">,
  chained: boolean,
): number | StsError {
  const seconds = requested ?? 3600;
  if (seconds > role.maxSessionDurationSeconds)
    return new StsError(
      "ValidationError",
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
  if (chained && seconds > ROLE_CHAINING_MAX_SECONDS)
    return new StsError(
      "ValidationError",
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
  return seconds;
}

/** An access key id of temporary credentials: "ASIA" and 16 characters of [A-Z2-7], as AWS's are. */
export function temporaryAccessKeyId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  return `ASIA${[...randomBytes(16)].map((b) => alphabet[b % 32]).join("")}`;
}

/** The unique id of a role: "AROA" and 17 characters, stable for an ARN. */
export function roleIdOf(roleArn: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const hash = createHash("sha256").update(roleArn).digest();
  return `AROA${[...hash.subarray(0, 17)].map((b) => alphabet[b % 32]).join("")}`;
}

/**
 * The sandbox's STS: AssumeRole of the roles it knows, GetCallerIdentity. Every AssumeRole is recorded (`calls`,
 * for the bench's STS calls per run); each issued session becomes a principal of the sandbox's IAM with its role's
 * policy, its session token and its expiry.
 */
export class StsSandbox {
  readonly roles = new Map<string, SandboxRole>();
  readonly calls: AssumeRoleRecord[] = [];
  /** Every session issued, in order (the principals the server checks). */
  readonly sessions: IamPrincipal[] = [];
  credentialsTtlMs: number | undefined;

  constructor(private readonly options: StsOptions) {
    this.credentialsTtlMs = options.credentialsTtlMs;
  }

  addRole(
    role: Omit<SandboxRole, "roleId" | "maxSessionDurationSeconds"> & { maxSessionDurationSeconds?: number },
  ): SandboxRole {
    const max = role.maxSessionDurationSeconds ?? 3600;
    // MaxSessionDuration: "from 1 hour to 12 hours" (IAM User Guide, "Update the maximum session duration").
    if (!Number.isInteger(max) || max < 3600 || max > 43_200)
      throw new Error(`a role's maximum session duration is 3600–43200 seconds, not ${max}`);
    const added: SandboxRole = { ...role, roleId: roleIdOf(role.arn), maxSessionDurationSeconds: max };
    this.roles.set(role.arn, added);
    return added;
  }

  /** Ends sessions now (all, or those of one account): their next call answers ExpiredToken(Exception). */
  expireSessions(accountId?: string): number {
    const ending = this.sessions.filter((s) => accountId === undefined || accountOfArn(s.arn) === accountId);
    const now = this.options.now();
    for (const session of ending) session.expiresAt = Math.min(session.expiresAt ?? now, now);
    return ending.length;
  }

  /** Ends one session now, by its access key id. */
  expireSession(accessKeyId: string): void {
    const session = this.sessions.find((s) => s.accessKeyId === accessKeyId);
    if (!session) throw new Error(`no STS session has the access key id ${accessKeyId}`);
    session.expiresAt = Math.min(session.expiresAt ?? Number.POSITIVE_INFINITY, this.options.now());
  }

  /** Registers itself on the server as the handler of form-encoded STS requests (Version 2011-06-15). */
  attach(server: AwsHttpServer): void {
    server.addRawHandler((req, body, res) => this.handle(server, req, body, res));
  }

  private handle(server: AwsHttpServer, req: IncomingMessage, body: Buffer, res: ServerResponse): boolean {
    if (req.method !== "POST" || !String(req.headers["content-type"] ?? "").includes("x-www-form-urlencoded"))
      return false;
    const params = new URLSearchParams(body.toString("utf8"));
    if (params.get("Version") !== "2011-06-15") return false;
    const action = params.get("Action") ?? "";
    const requestId = randomUUID();
    let status = 200;
    let xml: string;
    try {
      const result = this.run(server, req, action, params);
      xml = `<${action}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
    } catch (error) {
      const stsError =
        error instanceof StsError ? error : new StsError("InternalFailure", String(error), 500);
      status = stsError.status;
      // The query protocol's error document (e.g. STS's AccessDenied quoted in Netflix/security_monkey#77).
      xml = `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${status >= 500 ? "Receiver" : "Sender"}</Type><Code>${stsError.code}</Code><Message>${xmlEscape(stsError.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    }
    server.recordCall("sts", action, status);
    res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": requestId });
    res.end(xml);
    return true;
  }

  private run(server: AwsHttpServer, req: IncomingMessage, action: string, params: URLSearchParams): string {
    const principal = server.iam.principal(accessKeyIdOf(req.headers.authorization));
    switch (action) {
      case "AssumeRole":
        return this.assumeRole(server, req, principal, params);
      case "GetCallerIdentity":
        // "No permissions are required to perform this operation" (GetCallerIdentity, API reference).
        return this.callerIdentity(principal);
      default:
        throw new StsError("InvalidAction", `Could not find operation ${action} for version 2011-06-15`);
    }
  }

  private callerIdentity(principal: IamPrincipal | undefined): string {
    if (!principal) {
      const account = this.options.accountId;
      return `<Arn>arn:aws:iam::${account}:root</Arn><UserId>${account}</UserId><Account>${account}</Account>`;
    }
    const roleArn = roleArnOfSession(principal.arn);
    const session = principal.arn.split("/").slice(2).join("/");
    const roleId = roleArn ? (this.roles.get(roleArn)?.roleId ?? roleIdOf(roleArn)) : principal.accessKeyId;
    return `<Arn>${xmlEscape(principal.arn)}</Arn><UserId>${xmlEscape(`${roleId}:${session}`)}</UserId><Account>${accountOfArn(principal.arn) ?? ""}</Account>`;
  }

  /**
   * AssumeRole, in the order STS takes a request: its parameters (ValidationError), then authorization — the
   * caller's identity-based policy must allow sts:AssumeRole on the role ARN and the role's trust policy must name
   * the caller (its ExternalId condition included); a role that does not exist is denied alike, STS never says
   * whether a role exists — then the session length, the rate limit and injected faults.
   */
  private assumeRole(
    server: AwsHttpServer,
    req: IncomingMessage,
    principal: IamPrincipal | undefined,
    params: URLSearchParams,
  ): string {
    const roleArn = params.get("RoleArn") ?? "";
    const roleSessionName = params.get("RoleSessionName") ?? "";
    const externalId = params.get("ExternalId") ?? undefined;
    const record = (outcome: string, accessKeyId?: string) =>
      this.calls.push({
        roleArn,
        roleSessionName,
        ...(externalId !== undefined ? { externalId } : {}),
        ...(principal ? { callerArn: principal.arn } : {}),
        outcome,
        ...(accessKeyId ? { accessKeyId } : {}),
        at: this.options.now(),
      });
    try {
      const issued = this.issue(server, req, principal, params, { roleArn, roleSessionName, externalId });
      record("issued", issued.accessKeyId);
      return issued.xml;
    } catch (error) {
      record(error instanceof StsError ? error.code : "InternalFailure");
      throw error;
    }
  }

  private issue(
    server: AwsHttpServer,
    req: IncomingMessage,
    principal: IamPrincipal | undefined,
    params: URLSearchParams,
    request: { roleArn: string; roleSessionName: string; externalId: string | undefined },
  ): { accessKeyId: string; xml: string } {
    const unsupported = [
      "Policy",
      "PolicyArns.member.1.arn",
      "Tags.member.1.Key",
      "SerialNumber",
      "SourceIdentity",
    ].filter((name) => params.has(name));
    if (unsupported.length > 0) {
      // Session policies, tags, MFA and source identity would change what the session may do: refused rather than
      // ignored, so that nothing passes here that AWS would decide otherwise.
      throw new StsError("NotImplemented", `the sandbox's STS does not model ${unsupported.join(", ")}`, 501);
    }
    const problems = assumeRoleProblems(params);
    if (problems.length > 0) {
      throw new StsError(
        "ValidationError",
        `${problems.length} validation error${problems.length > 1 ? "s" : ""} detected: ${problems.join("; ")}`,
      );
    }
    const role = this.roles.get(request.roleArn);
    const caller: TrustCaller = principal
      ? { roleArn: roleArnOfSession(principal.arn) ?? principal.arn }
      : { administrator: true };
    const context: Record<string, string> =
      request.externalId !== undefined ? { "sts:ExternalId": request.externalId } : {};
    const trusted = role !== undefined && trustAllows(role.trustPolicy, caller, context);
    // The identity side (recorded in sandbox.iam.decisions like every other authorization); the trust policy is the
    // role's resource-based policy, which a cross-account request needs as well (authorizer.ts, `decide`).
    const denial = server.authorize(req, "sts", "AssumeRole", [
      { action: "sts:AssumeRole", resource: request.roleArn, resourcePolicyAllows: trusted },
    ]);
    if (denial || !trusted || !role) {
      // STS's words, without the reason IAM gives other services' denials (as AWS answers AssumeRole:
      // Netflix/security_monkey#77, aws/karpenter-provider-aws#4680, awslabs/aws-securityhub-multiaccount-scripts#32).
      const callerArn = principal?.arn ?? `arn:aws:iam::${this.options.accountId}:root`;
      throw new StsError(
        "AccessDenied",
        `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${request.roleArn}`,
        403,
      );
    }
    const duration = params.get("DurationSeconds");
    const seconds = sessionSeconds(
      duration === null ? undefined : Number(duration),
      role,
      principal !== undefined,
    );
    if (seconds instanceof StsError) throw seconds;
    if (!server.withinRateLimit("sts", "AssumeRole")) throw new StsError("Throttling", "Rate exceeded");
    const fault = server.faultFor("sts", "AssumeRole", Object.fromEntries(params));
    if (fault) throw new StsError(fault.type, fault.message, fault.status ?? 400);

    const now = this.options.now();
    const lifetimeMs = Math.min(seconds * 1000, this.credentialsTtlMs ?? Number.POSITIVE_INFINITY);
    // Expiration is stated to the second, as AWS states it; the session ends exactly then.
    const expiresAt = Math.ceil((now + lifetimeMs) / 1000) * 1000;
    const session: IamPrincipal = {
      accessKeyId: temporaryAccessKeyId(),
      arn: `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${request.roleSessionName}`,
      roleName: role.name,
      policies: [role.policy],
      sessionToken: randomBytes(180).toString("base64"),
      expiresAt,
    };
    server.iam.addPrincipal(session);
    this.sessions.push(session);
    const secret = randomBytes(30).toString("base64");
    const xml =
      `<AssumedRoleUser><Arn>${xmlEscape(session.arn)}</Arn><AssumedRoleId>${role.roleId}:${xmlEscape(request.roleSessionName)}</AssumedRoleId></AssumedRoleUser>` +
      `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${secret}</SecretAccessKey><SessionToken>${session.sessionToken}</SessionToken><Expiration>${stsTime(expiresAt)}</Expiration></Credentials>`;
    return { accessKeyId: session.accessKeyId, xml };
  }
}
