import type { ECRClient, ECRClientConfig } from "@aws-sdk/client-ecr";
import { STSClient } from "@aws-sdk/client-sts";
import type { AccountEntry } from "../config/schema.js";
import { createEcrClient } from "../ecr-client.js";
import { EcrGateway } from "../ecr-gateway.js";
import { EcrScanReporterError } from "../errors.js";
import { lookUpAccount } from "./accounts.js";
import { type AssumedRoleCredentials, assumedRoleCredentials } from "./credentials.js";

/** An account the configuration's `accounts` does not list: its registry is never read, with any credentials. */
export class UnlistedAccountError extends EcrScanReporterError {
  readonly accountId: string | undefined;

  constructor(accountId: string | undefined) {
    super(
      "ACCOUNT_NOT_LISTED",
      `account ${accountId ?? "(none given)"} is not in the configuration's \`accounts\`; add it (with the roleArn of its member role) to cover it`,
    );
    this.accountId = accountId;
  }
}

/** The answers that mean the session token ran out (ECR, DynamoDB: ExpiredTokenException; STS-style: ExpiredToken). */
const EXPIRED_TOKEN_ERRORS = new Set(["ExpiredTokenException", "ExpiredToken"]);

export function isExpiredTokenError(error: unknown): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    EXPIRED_TOKEN_ERRORS.has(String((error as { name?: unknown }).name))
  );
}

interface AccountClients {
  read: ECRClient;
  scan: ECRClient;
  gateway: EcrGateway;
}

export interface AccountAccessOptions {
  /** Makes each ECR client (default: core's createEcrClient, adaptive retry, no retry of scan quotas). */
  createEcrClient?: (config: ECRClientConfig) => ECRClient;
  /** The hub's STS client for AssumeRole (default: one made on first use, with the functions' own credentials). */
  sts?: STSClient;
  now?: () => number;
}

/**
 * The ECR clients of every account a deployment covers, made once per container and kept: the hub's own account
 * (an `accounts` entry without roleArn, or no `accounts` at all) with the functions' credentials, each member with
 * the temporary credentials of its role. A read client and a scan client per account, so that StartImageScan's
 * throttling does not slow the reads (EcrGateway). An answer that the member credentials expired mid-run drops
 * them, and the call is made once more with new ones.
 */
export class AccountAccess {
  private readonly clients = new Map<string, AccountClients>();
  private readonly makeEcrClient: (config: ECRClientConfig) => ECRClient;
  private sts: STSClient | undefined;

  constructor(
    private readonly accounts: readonly AccountEntry[] | undefined,
    private readonly options: AccountAccessOptions = {},
  ) {
    this.makeEcrClient = options.createEcrClient ?? createEcrClient;
    this.sts = options.sts;
  }

  /** The client that reads the account's registry. */
  ecr(accountId?: string): ECRClient {
    return this.clientsOf(accountId).read;
  }

  gateway(accountId?: string): EcrGateway {
    return this.clientsOf(accountId).gateway;
  }

  private clientsOf(accountId: string | undefined): AccountClients {
    const entry = this.entryOf(accountId);
    const key = entry?.roleArn ? entry.accountId : "hub";
    let clients = this.clients.get(key);
    if (!clients) {
      clients = entry?.roleArn ? this.memberClients({ ...entry, roleArn: entry.roleArn }) : this.hubClients();
      this.clients.set(key, clients);
    }
    return clients;
  }

  /** The entry of a listed account; undefined when the configuration lists none (the deployment's own account). */
  private entryOf(accountId: string | undefined): AccountEntry | undefined {
    const found = lookUpAccount({ accounts: this.accounts }, accountId);
    if (found.kind === "unlisted") throw new UnlistedAccountError(accountId);
    return found.kind === "listed" ? found.account : undefined;
  }

  private hubClients(): AccountClients {
    const read = this.makeEcrClient({});
    const scan = this.makeEcrClient({});
    return { read, scan, gateway: new EcrGateway(read, scan) };
  }

  private memberClients(entry: AccountEntry & { roleArn: string }): AccountClients {
    this.sts ??= new STSClient({});
    const credentials = assumedRoleCredentials(
      this.sts,
      { accountId: entry.accountId, roleArn: entry.roleArn, externalId: entry.externalId },
      { now: this.options.now },
    );
    const read = this.withExpiredTokenRetry(this.makeEcrClient({ credentials }), credentials);
    const scan = this.withExpiredTokenRetry(this.makeEcrClient({ credentials }), credentials);
    return { read, scan, gateway: new EcrGateway(read, scan) };
  }

  /**
   * Credentials can expire under a running call (a long run, a clock that drifted, a session revoked): the answer
   * is ExpiredTokenException, which the SDK does not retry. The credentials are dropped and the call is made once
   * more; the retry signs again (identity is resolved per attempt) with the credentials of a new AssumeRole.
   */
  private withExpiredTokenRetry(client: ECRClient, credentials: AssumedRoleCredentials): ECRClient {
    client.middlewareStack.add(
      (next) => async (args) => {
        const signedWith = credentials.generation();
        try {
          return await next(args);
        } catch (error) {
          if (!isExpiredTokenError(error)) throw error;
          credentials.invalidate(signedWith);
          return next(args);
        }
      },
      { step: "initialize", name: "retryOnceWithFreshCredentials", override: true },
    );
    return client;
  }
}
