import type { AuthorizationRequest } from "./policy.js";

// What each request to a sandbox service must be authorized for: its action, on which resource ARN, with which
// condition keys — the Service Authorization Reference's "Actions, resources, and condition keys" page of each
// service (https://docs.aws.amazon.com/service-authorization/latest/reference/), plus the further authorizations a
// service asks for on the caller's behalf (KMS for a secret under a customer managed key, Inspector for enhanced
// findings). Pure functions of the request and of what the service holds.

export interface AccountContext {
  accountId: string;
  region: string;
}

/** `<service>.<region>.amazonaws.com`: the kms:ViaService value of a request a service makes to KMS for its caller. */
export const viaService = (service: string, region: string) => `${service}.${region}.amazonaws.com`;

/** kms:Decrypt by a service for its caller, under a customer managed key (none needed under an AWS managed one). */
function decryptThrough(
  service: string,
  ctx: AccountContext,
  keyArn: string | undefined,
): AuthorizationRequest[] {
  return keyArn
    ? [
        {
          action: "kms:Decrypt",
          resource: keyArn,
          context: { "kms:ViaService": viaService(service, ctx.region) },
        },
      ]
    : [];
}

// ---- ECR -------------------------------------------------------------------------------------------------------

/** ECR actions with no resource type: IAM authorizes them on "*" only (Service Authorization Reference, ECR). */
const ECR_REGISTRY_ACTIONS = new Set([
  "GetAuthorizationToken",
  "DescribeRegistry",
  "GetRegistryScanningConfiguration",
  "PutRegistryScanningConfiguration",
]);

/**
 * ECR: each action on the repository's ARN (the registry id, when given, is its account). DescribeRepositories
 * without names is authorized on `repository/*` (AWS answers "… not authorized to perform:
 * ecr:DescribeRepositories on resource: arn:aws:ecr:<region>:<account>:repository/*"). Under enhanced scanning
 * DescribeImageScanFindings also needs inspector2:ListFindings, which has no resource type (ECR User Guide,
 * "Required IAM permissions for enhanced scanning").
 */
export function ecrRequests(
  ctx: AccountContext,
  operation: string,
  input: Record<string, unknown>,
  registry: { scanType: "BASIC" | "ENHANCED" },
): AuthorizationRequest[] {
  const action = `ecr:${operation}`;
  if (ECR_REGISTRY_ACTIONS.has(operation)) return [{ action, resource: "*" }];
  const account = typeof input.registryId === "string" ? input.registryId : ctx.accountId;
  const repositoryArn = (name: unknown) => `arn:aws:ecr:${ctx.region}:${account}:repository/${String(name)}`;
  if (operation === "DescribeRepositories") {
    const names = Array.isArray(input.repositoryNames) ? input.repositoryNames : [];
    return names.length > 0
      ? names.map((name) => ({ action, resource: repositoryArn(name) }))
      : [{ action, resource: repositoryArn("*") }];
  }
  const requests: AuthorizationRequest[] = [{ action, resource: repositoryArn(input.repositoryName) }];
  if (operation === "DescribeImageScanFindings" && registry.scanType === "ENHANCED") {
    requests.push({ action: "inspector2:ListFindings", resource: "*" });
  }
  return requests;
}

// ---- SQS -------------------------------------------------------------------------------------------------------

/** Batch actions are authorized by their single-message action (there is no sqs:SendMessageBatch permission). */
const SQS_BATCH_ACTIONS: Record<string, string> = {
  SendMessageBatch: "SendMessage",
  DeleteMessageBatch: "DeleteMessage",
  ChangeMessageVisibilityBatch: "ChangeMessageVisibility",
};

/** A queue's ARN from its URL (`…/<account>/<name>`) or from a name and owner. */
export function sqsQueueArn(
  ctx: AccountContext,
  queue: { url?: unknown; name?: unknown; owner?: unknown },
): string {
  if (typeof queue.url === "string") {
    const [name = "", account = ctx.accountId] = new URL(queue.url).pathname
      .split("/")
      .filter(Boolean)
      .reverse();
    return `arn:aws:sqs:${ctx.region}:${account}:${name}`;
  }
  const owner = typeof queue.owner === "string" ? queue.owner : ctx.accountId;
  return `arn:aws:sqs:${ctx.region}:${owner}:${String(queue.name ?? "")}`;
}

/** SQS: the action on the queue's ARN (SQS Developer Guide, "Amazon SQS API permissions: Actions and resource reference"). */
export function sqsRequests(
  ctx: AccountContext,
  operation: string,
  input: Record<string, unknown>,
): AuthorizationRequest[] {
  const action = `sqs:${SQS_BATCH_ACTIONS[operation] ?? operation}`;
  if (operation === "ListQueues") return [{ action, resource: "*" }];
  const resource =
    operation === "CreateQueue" || operation === "GetQueueUrl"
      ? sqsQueueArn(ctx, { name: input.QueueName, owner: input.QueueOwnerAWSAccountId })
      : sqsQueueArn(ctx, { url: input.QueueUrl });
  return [{ action, resource }];
}

// ---- DynamoDB --------------------------------------------------------------------------------------------------

/** DynamoDB actions with no resource type: IAM authorizes them on "*" (Service Authorization Reference, DynamoDB). */
const DYNAMODB_ACCOUNT_ACTIONS = new Set([
  "ListTables",
  "DescribeLimits",
  "DescribeEndpoints",
  "ListBackups",
  "ListGlobalTables",
  "ListExports",
  "ListImports",
  "ListContributorInsights",
]);

/** DynamoDB actions on a resource named by its ARN (ResourceArn), not by a table name. */
const DYNAMODB_ARN_ACTIONS = new Set(["TagResource", "UntagResource", "ListTagsOfResource"]);

/** A table's ARN from its name; a TableName that is already an ARN (DynamoDB accepts either) is kept. */
export function dynamodbTableArn(ctx: AccountContext, table: unknown): string {
  const name = String(table ?? "");
  return name.startsWith("arn:") ? name : `arn:aws:dynamodb:${ctx.region}:${ctx.accountId}:table/${name}`;
}

/**
 * DynamoDB: `dynamodb:<Operation>` on the table's ARN (Service Authorization Reference, DynamoDB: the `table`
 * resource type); a Query or Scan of a secondary index on the index's ARN, `table/<name>/index/<index>` (the
 * DynamoDB Developer Guide's "IAM policy to grant access to a specific DynamoDB table and its indexes" grants
 * `table/Books/index/*` beside the table for it, and AWS denies "dynamodb:Query on resource: …:table/<t>/index/<i>"
 * when only the table is granted); BatchGetItem and BatchWriteItem on every table of RequestItems, each checked.
 */
export function dynamodbRequests(
  ctx: AccountContext,
  operation: string,
  input: Record<string, unknown>,
): AuthorizationRequest[] {
  const action = `dynamodb:${operation}`;
  if (DYNAMODB_ACCOUNT_ACTIONS.has(operation)) return [{ action, resource: "*" }];
  if (DYNAMODB_ARN_ACTIONS.has(operation)) return [{ action, resource: String(input.ResourceArn ?? "") }];
  if (operation === "BatchGetItem" || operation === "BatchWriteItem") {
    const items = input.RequestItems;
    const tables = typeof items === "object" && items !== null ? Object.keys(items) : [];
    return tables.map((table) => ({ action, resource: dynamodbTableArn(ctx, table) }));
  }
  const table = dynamodbTableArn(ctx, input.TableName);
  const index = typeof input.IndexName === "string" ? input.IndexName : undefined;
  const onIndex = index !== undefined && (operation === "Query" || operation === "Scan");
  return [{ action, resource: onIndex ? `${table}/index/${index}` : table }];
}

// ---- SSM Parameter Store ---------------------------------------------------------------------------------------

/** A parameter's ARN: `parameter/<name without its leading slash>`. */
export const ssmParameterArn = (ctx: AccountContext, name: string) =>
  `arn:aws:ssm:${ctx.region}:${ctx.accountId}:parameter/${name.replace(/^\//, "")}`;

/**
 * SSM: the action on the parameter's ARN; reading a SecureString with WithDecryption under a customer managed key
 * also needs kms:Decrypt on that key, which Parameter Store asks for with kms:ViaService =
 * ssm.<region>.amazonaws.com (SSM User Guide, "SecureString parameters and AWS KMS encryption"; KMS Developer
 * Guide, "kms:ViaService").
 */
export function ssmRequests(
  ctx: AccountContext,
  operation: string,
  input: Record<string, unknown>,
  parameter: (name: string) => { type: string; kmsKeyArn?: string } | undefined,
): AuthorizationRequest[] {
  const name = String(input.Name ?? "");
  const requests: AuthorizationRequest[] = [
    { action: `ssm:${operation}`, resource: ssmParameterArn(ctx, name) },
  ];
  const held = parameter(name);
  if (operation === "GetParameter" && input.WithDecryption === true && held?.type === "SecureString") {
    requests.push(...decryptThrough("ssm", ctx, held.kmsKeyArn));
  }
  return requests;
}

// ---- Secrets Manager -------------------------------------------------------------------------------------------

/**
 * Secrets Manager: the action on the secret's complete ARN (with the 6-character suffix Secrets Manager adds,
 * whatever form of id the request gave); reading a secret under a customer managed key also needs kms:Decrypt on
 * it through secretsmanager.<region>.amazonaws.com (Secrets Manager User Guide, "Secret encryption and decryption
 * in AWS Secrets Manager"). An unknown secret is authorized on the id given, as an ARN when it is not one.
 */
export function secretsManagerRequests(
  ctx: AccountContext,
  operation: string,
  input: Record<string, unknown>,
  secret: (id: string) => { arn: string; kmsKeyArn?: string } | undefined,
): AuthorizationRequest[] {
  const id = String(input.SecretId ?? input.Name ?? "");
  const held = secret(id);
  const resource =
    held?.arn ??
    (id.startsWith("arn:") ? id : `arn:aws:secretsmanager:${ctx.region}:${ctx.accountId}:secret:${id}`);
  const requests: AuthorizationRequest[] = [{ action: `secretsmanager:${operation}`, resource }];
  if (operation === "GetSecretValue")
    requests.push(...decryptThrough("secretsmanager", ctx, held?.kmsKeyArn));
  return requests;
}

// ---- SNS -------------------------------------------------------------------------------------------------------

/** SNS: the action on the topic's ARN (CreateTopic: the ARN the name gives; ListTopics: no resource type). */
export function snsRequests(
  ctx: AccountContext,
  action: string,
  params: URLSearchParams,
): AuthorizationRequest[] {
  if (action === "ListTopics") return [{ action: `sns:${action}`, resource: "*" }];
  const resource =
    action === "CreateTopic"
      ? `arn:aws:sns:${ctx.region}:${ctx.accountId}:${params.get("Name") ?? ""}`
      : (params.get("TopicArn") ?? params.get("TargetArn") ?? "*");
  return [{ action: `sns:${action}`, resource }];
}

// ---- SES v2 ----------------------------------------------------------------------------------------------------

export const sesIdentityArn = (ctx: AccountContext, identity: string) =>
  `arn:aws:ses:${ctx.region}:${ctx.accountId}:identity/${identity}`;

/** The domains that could cover an address, nearest first: its domain, then each parent domain. */
function domainsOf(address: string): string[] {
  const labels = (address.split("@")[1] ?? "").split(".");
  return labels.slice(0, -1).map((_, i) => labels.slice(i).join("."));
}

/**
 * The identity SES authorizes an address against: the address itself when it is a verified identity (an address
 * identity takes precedence over its domain's: SES Developer Guide, "Creating a sending authorization policy"),
 * else the nearest verified domain or parent domain (a verified domain covers its subdomains: "Creating and
 * verifying identities"); the address when nothing covers it (SES then rejects the message anyway).
 */
export function authorizingIdentity(address: string, verified: ReadonlySet<string>): string {
  const lower = address.toLowerCase();
  if (verified.has(lower)) return lower;
  return domainsOf(lower).find((domain) => verified.has(domain)) ?? lower;
}

/** What a SendEmail asks SES for, as the authorization needs it. */
export interface SesSend {
  from: string;
  recipients: readonly string[];
  configurationSet?: string;
}

/**
 * SES v2 SendEmail: ses:SendEmail on the identity that authorizes the sender; in the SES sandbox (no production
 * access) on each recipient's identity too (the module's README, "SES sandbox": a policy naming only the sender's
 * identity fails "not authorized to perform ses:SendEmail on resource …:identity/<recipient>"), the mailbox
 * simulator aside; and on the configuration set when one is named (Service Authorization Reference, SES v2:
 * SendEmail takes the identity and configuration-set resource types).
 */
export function sesSendEmailRequests(
  ctx: AccountContext,
  send: SesSend,
  account: { productionAccess: boolean; verified: ReadonlySet<string> },
): AuthorizationRequest[] {
  const identities = [
    authorizingIdentity(send.from, account.verified),
    ...(account.productionAccess
      ? []
      : send.recipients
          .filter((r) => !r.toLowerCase().endsWith("@simulator.amazonses.com"))
          .map((r) => authorizingIdentity(r, account.verified))),
  ];
  return [
    ...[...new Set(identities)].map((identity) => ({
      action: "ses:SendEmail",
      resource: sesIdentityArn(ctx, identity),
    })),
    ...(send.configurationSet
      ? [
          {
            action: "ses:SendEmail",
            resource: `arn:aws:ses:${ctx.region}:${ctx.accountId}:configuration-set/${send.configurationSet}`,
          },
        ]
      : []),
  ];
}

/** SES v2 GetEmailIdentity: on the identity asked about. GetAccount: no resource type. */
export function sesIdentityRequests(ctx: AccountContext, identity: string): AuthorizationRequest[] {
  return [{ action: "ses:GetEmailIdentity", resource: sesIdentityArn(ctx, identity.toLowerCase()) }];
}
