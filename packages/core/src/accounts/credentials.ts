import { AssumeRoleCommand, type AssumeRoleCommandOutput, type STSClient } from "@aws-sdk/client-sts";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import { describeError, EcrScanReporterError, isRetryableAwsError } from "../errors.js";
import { ROLE_SESSION_NAME } from "./accounts.js";

/**
 * Credentials are renewed this long before they expire, so that a call signed just before the end does not arrive
 * with an expired token: the SDK's own memoized providers use the same five minutes (isIdentityExpired).
 */
export const CREDENTIALS_REFRESH_MARGIN_MS = 5 * 60_000;

/** An hour: the longest session a role grants unless its MaxSessionDuration is raised (AssumeRole's default). */
export const ASSUMED_ROLE_DURATION_SECONDS = 3600;

/** A member account's role could not be assumed: the account is unreachable until its role (or trust) is fixed. */
export class AccountUnreachableError extends EcrScanReporterError {
  readonly accountId: string;
  readonly roleArn: string;
  /** Whether a later try may succeed (throttling, a 5xx of STS); AccessDenied is not. */
  readonly retryable: boolean;

  constructor(accountId: string, roleArn: string, cause: unknown) {
    const retryable = isRetryableAwsError(cause);
    super(
      "ACCOUNT_UNREACHABLE",
      `cannot assume ${roleArn} for account ${accountId}: ${describeError(cause)}. ` +
        (retryable
          ? "STS could not answer now; it is tried again."
          : "Apply terraform/modules/member-account in that account, with hub_role_arns naming this deployment's function roles (and the same external_id)."),
      { cause },
    );
    this.accountId = accountId;
    this.roleArn = roleArn;
    this.retryable = retryable;
  }
}

/** A credentials provider the hub can throw away: `invalidate()` makes the next call assume the role again. */
export interface AssumedRoleCredentials extends AwsCredentialIdentityProvider {
  /** Tells the SDK not to memoize it again (its own memo could not be invalidated after an ExpiredToken answer). */
  memoized: true;
  /** Which credentials are cached: it changes with every AssumeRole, so a caller can tell stale from fresh. */
  generation(): number;
  /**
   * Drops the cached credentials, so that the next call assumes the role again; with `generation`, only if they are
   * still the ones of that generation (a concurrent retry may have renewed them already: one AssumeRole, not N).
   */
  invalidate(generation?: number): void;
}

export interface AssumedRoleTarget {
  accountId: string;
  roleArn: string;
  externalId?: string;
}

/**
 * The temporary credentials of a member account's role, from STS AssumeRole with the hub's own credentials: one
 * AssumeRole per account per hour at most (cached until five minutes before they expire), concurrent callers share
 * one request, and nothing ever falls back to the hub's credentials — a failure is an AccountUnreachableError.
 */
export function assumedRoleCredentials(
  sts: STSClient,
  target: AssumedRoleTarget,
  options: { now?: () => number; durationSeconds?: number } = {},
): AssumedRoleCredentials {
  const now = options.now ?? Date.now;
  let cached: AwsCredentialIdentity | undefined;
  let pending: Promise<AwsCredentialIdentity> | undefined;
  let generation = 0;

  const fresh = (credentials: AwsCredentialIdentity) =>
    !credentials.expiration || credentials.expiration.getTime() - now() > CREDENTIALS_REFRESH_MARGIN_MS;

  async function assume(): Promise<AwsCredentialIdentity> {
    let answer: AssumeRoleCommandOutput;
    try {
      answer = await sts.send(
        new AssumeRoleCommand({
          RoleArn: target.roleArn,
          RoleSessionName: ROLE_SESSION_NAME,
          DurationSeconds: options.durationSeconds ?? ASSUMED_ROLE_DURATION_SECONDS,
          ...(target.externalId !== undefined && { ExternalId: target.externalId }),
        }),
      );
    } catch (error) {
      throw new AccountUnreachableError(target.accountId, target.roleArn, error);
    }
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
      throw new AccountUnreachableError(
        target.accountId,
        target.roleArn,
        new Error("STS returned no credentials"),
      );
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: c.Expiration,
    };
  }

  const provider = (async () => {
    if (cached && fresh(cached)) return cached;
    pending ??= assume()
      .then((credentials) => {
        cached = credentials;
        generation += 1;
        return credentials;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  }) as AssumedRoleCredentials;
  provider.memoized = true;
  provider.generation = () => generation;
  provider.invalidate = (of?: number) => {
    if (of === undefined || of === generation) cached = undefined;
  };
  return provider;
}
