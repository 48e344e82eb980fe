import { type DynamoDbOptions, DynamoDbSandbox } from "./dynamodb.js";
import { type EcrRegistry, EcrSandbox } from "./ecr/sandbox.js";
import type { EcrOptions } from "./ecr/types.js";
import { accountOfArn, type Denial, type IamAuthorizer, notAuthorizedMessage } from "./iam/authorizer.js";
import { hubFunctionRoleArns, memberRole, memberTrustPolicy } from "./iam/member-account.js";
import { ecrRequests, secretsManagerRequests, sqsRequests, ssmRequests } from "./iam/requests.js";
import { type IntelFeeds, type IntelFeedsOptions, startIntelFeeds } from "./intel-feeds.js";
import { SecretsManagerSandbox, SsmSandbox } from "./parameters.js";
import { AwsHttpServer, type ServerOptions } from "./server.js";
import { SesSandbox } from "./ses.js";
import { SnsSandbox } from "./sns.js";
import { SqsSandbox } from "./sqs.js";
import { type SandboxRole, StsSandbox } from "./sts.js";

export interface SandboxOptions extends ServerOptions, Partial<Omit<EcrOptions, "now">> {
  now?: () => number;
  /** DynamoDB's harshness beyond dynalite's (BatchGetItem's partial answers) and table timings. */
  dynamodb?: DynamoDbOptions;
  /** The KEV feed's and the EPSS API's data (defaults: the dataset's, intel-records.ts). */
  intel?: Omit<IntelFeedsOptions, "port" | "now">;
  /**
   * Makes the credentials STS AssumeRole issues live at most this long (ms), their Expiration saying so, to test
   * expiry mid-run; DurationSeconds decides alone when absent. `sandbox.sts.credentialsTtlMs` changes it later.
   */
  stsCredentialsTtlMs?: number;
}

/** How a member account is set up: what terraform/modules/member-account is applied with. */
export interface MemberAccountOptions {
  /** Its role's name (default: the member module's rendering's). */
  roleName?: string;
  /** The ExternalId its role's trust requires (the module's `external_id`); none when absent. */
  externalId?: string;
  /** The role ARNs its role trusts (the module's `hub_role_arns`); default: the local deployment's function roles. */
  trustedRoleArns?: readonly string[];
  /** Whether its EventBridge rule forwards its scan events to the hub's bus (the module's `forward_events`; true). */
  forwardEvents?: boolean;
  /** The role's MaxSessionDuration, 3600–43200 s (default 3600, as IAM's). */
  maxSessionDurationSeconds?: number;
}

/** A member account of the sandbox: its registry, its role, and whether its events reach the hub. */
export interface MemberAccount {
  accountId: string;
  registry: EcrRegistry;
  role: SandboxRole;
  externalId?: string;
  /** Mutable: a test can stop (or start) the forwarding of a member's events mid-run. */
  forwardEvents: boolean;
}

export interface Sandbox {
  /** Base URL for AWS_ENDPOINT_URL, e.g. http://127.0.0.1:41234. */
  endpoint: string;
  ecr: EcrSandbox;
  sqs: SqsSandbox;
  sns: SnsSandbox;
  ses: SesSandbox;
  ssm: SsmSandbox;
  secretsManager: SecretsManagerSandbox;
  /** DynamoDB (dynalite behind the sandbox's IAM, call counts, rate limits and faults), on the same endpoint. */
  dynamodb: DynamoDbSandbox;
  /** STS (AssumeRole of the member accounts' roles, GetCallerIdentity), on the same endpoint. */
  sts: StsSandbox;
  /** The member accounts addAccount registered, by id. */
  accounts: ReadonlyMap<string, MemberAccount>;
  /**
   * Registers a member account as terraform/modules/member-account sets one up: an empty registry of its own, and
   * its role — the module's rendered policy and trust policy (module-policies.json `memberAccount`,
   * iam/member-account.ts), trusting the hub's function roles and requiring the ExternalId when one is given.
   */
  addAccount(accountId: string, options?: MemberAccountOptions): MemberAccount;
  /**
   * Whether a registry's events reach the hub's bus: the sandbox's own always, a member's when its rule forwards
   * them (EventBridge delivers a forwarded event with the source account's `account`: EventBridge User Guide,
   * "Sending and receiving events between AWS accounts"), an unknown account's never.
   */
  forwardsEventsToHub(accountId: string): boolean;
  /**
   * CISA's KEV feed and FIRST's EPSS API, on a port of their own (they are not AWS): the `intel` URLs of a
   * configuration that runs on the sandbox, so that nothing leaves the machine.
   */
  intel: IntelFeeds;
  server: AwsHttpServer;
  /** The account's IAM: principals whose calls are checked, and every decision (see LocalDeployment). */
  iam: IamAuthorizer;
  accountId: string;
  region: string;
  /** The sandbox's clock (epoch ms): the services' `now`, which the local functions' `Date` follows too. */
  now(): number;
  /** Environment for a process whose AWS SDK clients should talk to this sandbox. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

/** ECR operations with no registryId member: they always answer for the caller's own registry (ECR API reference). */
const CALLERS_REGISTRY_ONLY = new Set([
  "GetRegistryScanningConfiguration",
  "PutRegistryScanningConfiguration",
]);

/** The account and region of a sandbox started without them: the ones its ARNs and the module's policies name. */
export const SANDBOX_ACCOUNT = { accountId: "123456789012", region: "eu-west-1" } as const;

/**
 * Starts the local AWS on 127.0.0.1 (a free port unless `port` is given). A port in use rejects with Node's listen
 * error (`code` EADDRINUSE, `port`), having stopped what it started.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now ?? Date.now;
  const accountId = options.accountId ?? SANDBOX_ACCOUNT.accountId;
  const region = options.region ?? SANDBOX_ACCOUNT.region;
  const server = new AwsHttpServer(options);
  const ecr = new EcrSandbox({
    accountId,
    region,
    scanDurationMs: options.scanDurationMs ?? 200,
    scansPerRegistryPerDay: options.scansPerRegistryPerDay ?? 100_000,
    describeImagesScanData: options.describeImagesScanData ?? "omitted",
    enhancedFindingsAtEvent: options.enhancedFindingsAtEvent ?? 1,
    lateFindingsDelayMs: options.lateFindingsDelayMs,
    findingsFor: options.findingsFor,
    now,
  });
  let endpoint = "";
  const sqs = new SqsSandbox({ accountId, region, endpoint: () => endpoint, now });
  const account = { accountId, region };
  server.addJsonService({
    name: "ecr",
    targetPrefix: "AmazonEC2ContainerRegistry_V20150921",
    jsonVersion: "1.1",
    operations: ecr.operations,
    // "If you do not specify a registry, the default registry is assumed" (every registryId of the ECR API
    // reference): the caller's own account's, the administrator's being the sandbox's. Filled in first, so that IAM
    // authorizes the repository ARN of the registry the operation then acts on. The registry scanning configuration
    // operations have no registryId member (API_GetRegistryScanningConfiguration, API_PutRegistryScanningConfiguration):
    // they act on the caller's own registry whatever the input says.
    resolveInput: (input, principal, operation) => {
      const own = (principal && accountOfArn(principal.arn)) ?? accountId;
      const named = typeof input.registryId === "string" && !CALLERS_REGISTRY_ONLY.has(operation);
      return { ...input, registryId: named ? input.registryId : own };
    },
    // ECR's request rates are quotas of an account in a region (ECR User Guide, "Amazon ECR service quotas": "the
    // maximum number of … requests that you can make per second in the current Region", service quotas being "for
    // your AWS account"): each registry has its own rate-limit buckets.
    rateLimitScope: (input) => String(input.registryId),
    authorization: (operation, input) =>
      ecrRequests(account, operation, input, { scanType: ecr.scanTypeOf(input.registryId) }),
  });
  server.addJsonService({
    name: "sqs",
    targetPrefix: "AmazonSQS",
    jsonVersion: "1.0",
    operations: sqs.operations,
    authorization: (operation, input) => sqsRequests(account, operation, input),
    accessDenied: sqsAccessDenied,
  });
  const ssm = new SsmSandbox({ accountId, region });
  server.addJsonService({
    name: "ssm",
    targetPrefix: "AmazonSSM",
    jsonVersion: "1.1",
    operations: ssm.operations,
    authorization: (operation, input) =>
      ssmRequests(account, operation, input, (name) => ssm.parameters.get(name)),
    accessDenied: ssmAccessDenied,
  });
  const secretsManager = new SecretsManagerSandbox({ accountId, region });
  server.addJsonService({
    name: "secretsmanager",
    targetPrefix: "secretsmanager",
    jsonVersion: "1.1",
    operations: secretsManager.operations,
    authorization: (operation, input) =>
      secretsManagerRequests(account, operation, input, (id) => secretsManager.find(id)),
    accessDenied: secretsManagerAccessDenied,
  });
  const sns = new SnsSandbox({ accountId, region });
  sns.attach(server);
  const ses = new SesSandbox({ region, accountId });
  ses.attach(server);
  const dynamodb = await DynamoDbSandbox.start({ accountId, region, now }, options.dynamodb);
  dynamodb.attach(server);
  const sts = new StsSandbox({ accountId, region, now, credentialsTtlMs: options.stsCredentialsTtlMs });
  sts.attach(server);
  const accounts = new Map<string, MemberAccount>();
  const addAccount = (memberId: string, member: MemberAccountOptions = {}): MemberAccount => {
    if (!/^\d{12}$/.test(memberId)) throw new Error(`addAccount: ${memberId} is not a 12-digit account id`);
    if (memberId === accountId) throw new Error(`addAccount: ${memberId} is the sandbox's own account`);
    if (accounts.has(memberId)) throw new Error(`addAccount: account ${memberId} is already registered`);
    const rendering = memberRole(memberId);
    const roleName = member.roleName ?? rendering.roleName;
    const role = sts.addRole({
      arn: `arn:aws:iam::${memberId}:role/${roleName}`,
      name: roleName,
      accountId: memberId,
      policy: rendering.policy,
      trustPolicy: memberTrustPolicy(member.trustedRoleArns ?? hubFunctionRoleArns(), member.externalId),
      maxSessionDurationSeconds: member.maxSessionDurationSeconds,
    });
    const added: MemberAccount = {
      accountId: memberId,
      registry: ecr.addRegistry(memberId),
      role,
      ...(member.externalId !== undefined ? { externalId: member.externalId } : {}),
      forwardEvents: member.forwardEvents ?? true,
    };
    accounts.set(memberId, added);
    return added;
  };
  const intel = await startIntelFeeds({ ...options.intel, now });
  try {
    endpoint = await server.listen();
  } catch (error) {
    await Promise.all([dynamodb.close(), intel.close()]);
    throw error;
  }
  return {
    endpoint,
    ecr,
    sqs,
    sns,
    ses,
    ssm,
    secretsManager,
    dynamodb,
    sts,
    accounts,
    addAccount,
    forwardsEventsToHub: (id) => id === accountId || (accounts.get(id)?.forwardEvents ?? false),
    intel,
    server,
    iam: server.iam,
    accountId,
    region,
    now,
    env: () => ({
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: "sandbox",
      AWS_SECRET_ACCESS_KEY: "sandbox",
    }),
    close: async () => {
      ecr.close();
      await server.close();
      await Promise.all([dynamodb.close(), intel.close()]);
    },
  };
}

/**
 * SQS speaks its JSON protocol with the query protocol's error codes in `x-amzn-query-error` ("AccessDenied;Sender",
 * which the SDK names the error by), HTTP 403, and spells the action in lower case: "User: … is not authorized to
 * perform: sqs:sendmessage on resource: …" (as AWS answered in aws/serverless-application-model#3633).
 */
function sqsAccessDenied(denial: Denial) {
  return {
    status: 403,
    type: "com.amazon.coral.service#AccessDeniedException",
    message: notAuthorizedMessage(denial, (action) => action.toLowerCase()),
    headers: { "x-amzn-query-error": "AccessDenied;Sender" },
  };
}

/**
 * Parameter Store passes KMS's own denial on: "User: … is not authorized to perform: kms:Decrypt on resource: <key>
 * because … (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: …; Proxy: null)"
 * (as AWS answered in hashicorp/terraform-provider-aws#42849); its own denial is AccessDeniedException too.
 */
function ssmAccessDenied(denial: Denial) {
  const message = notAuthorizedMessage(denial);
  return {
    status: 400,
    type: "AccessDeniedException",
    message: denial.request.action.startsWith("kms:")
      ? `${message} (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException; Request ID: ${crypto.randomUUID()}; Proxy: null)`
      : message,
  };
}

/**
 * Secrets Manager hides KMS's denial behind "Access to KMS is not allowed" (the answer users report, e.g.
 * aws-samples/aws-secrets-manager-rotation-lambdas#53); its own denial is AccessDeniedException with IAM's words.
 */
function secretsManagerAccessDenied(denial: Denial) {
  return {
    status: 400,
    type: "AccessDeniedException",
    message: denial.request.action.startsWith("kms:")
      ? "Access to KMS is not allowed"
      : notAuthorizedMessage(denial),
  };
}
