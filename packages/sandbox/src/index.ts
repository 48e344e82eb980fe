export { AwsError } from "./aws-error.js";
export { CVE_RECORDS, type CveRecord, FEED_UPDATE_CVE_RECORDS, severityOfScore } from "./data/cve-records.js";
export {
  DATASET_EPSS,
  DEMO_KEV_ADDITION,
  type EpssRecord,
  INITIAL_KEV_ENTRIES,
  type KevCatalogEntry,
} from "./data/intel-records.js";
export {
  type BatchGetRequestItems,
  type BatchWriteRequestItems,
  DYNAMODB_TARGET_PREFIX,
  type DynamoDbOptions,
  DynamoDbSandbox,
  splitBatchGet,
  splitBatchWrite,
  TIME_TO_LIVE_CHANGE_MS,
  type TimeToLiveState,
  throttlingError,
  timeToLiveChange,
  timeToLiveDescription,
} from "./dynamodb.js";
export {
  type BasicFinding,
  DEFAULT_SCANS_PER_REGISTRY_PER_DAY,
  DOCKER_IMAGE_CONFIG,
  DOCKER_MANIFEST,
  type EcrImageActionEvent,
  type EcrOptions,
  EcrRegistry,
  EcrSandbox,
  type EcrScanEvent,
  type EnhancedFinding,
  type ImageActionListener,
  type InspectorFindingEvent,
  type InspectorScanEvent,
  type SandboxImage,
  type SandboxRepository,
  SCANS_PER_IMAGE_PER_DAY,
  type ScanRecord,
  type ScanRequestRecord,
  type SeedImage,
} from "./ecr.js";
export {
  GitHubApiDescription,
  type GitHubReceiver,
  type GitHubReceiverOptions,
  type GitHubRequestRecord,
  type GitHubViolation,
  loadGitHubApiDescription,
  type ReceivedComment,
  type ReceivedIssue,
  type RepositoryPermissions,
  startGitHubReceiver,
} from "./github-receiver.js";
export {
  accessKeyIdOf,
  accountOfArn,
  type Denial,
  decide,
  IamAuthorizer,
  type IamDecisionRecord,
  type IamPrincipal,
  notAuthorizedMessage,
} from "./iam/authorizer.js";
export {
  hubFunctionRoleArns,
  memberRole,
  memberTrustPolicy,
  renderedMemberAccount,
} from "./iam/member-account.js";
export {
  FUNCTION_KEYS,
  type FunctionKey,
  loadModulePolicies,
  MODULE_POLICIES_PATH,
  type ModulePolicies,
  QUEUE_KEYS,
  type QueueKey,
  type RenderedDeployment,
  type RenderedFunction,
} from "./iam/module-policies.js";
export {
  type AuthorizationRequest,
  evaluate,
  type PolicyDecision,
  type PolicyDocument,
  type PolicyStatement,
  statementMatches,
} from "./iam/policy.js";
export {
  type AccountContext,
  authorizingIdentity,
  dynamodbRequests,
  dynamodbTableArn,
  sesSendEmailRequests,
  sqsQueueArn,
  ssmParameterArn,
  viaService,
} from "./iam/requests.js";
export {
  roleArnOfSession,
  type TrustCaller,
  type TrustPolicyDocument,
  type TrustPolicyStatement,
  trustAllows,
} from "./iam/trust.js";
export {
  catalogVersionOf,
  cisaDateTime,
  cisaJson,
  EPSS_DEFAULT_LIMIT,
  EPSS_MAX_CVE_PARAMETER_CHARS,
  EPSS_MAX_LIMIT,
  EPSS_PATH,
  type EpssAnswer,
  epssAnswer,
  epssDecimal,
  INTEL_FAULTS,
  type IntelEndpoint,
  type IntelFault,
  type IntelFeeds,
  type IntelFeedsOptions,
  type IntelRequestRecord,
  KEV_CATALOG_TITLE,
  KEV_DUE_AFTER_DAYS,
  KEV_PATH,
  type KevCatalog,
  kevCatalogOf,
  kevEntryAddedOn,
  newestCveFirst,
  startIntelFeeds,
} from "./intel-feeds.js";
export { type InvocationResult, LocalFunction, type LocalFunctionOptions } from "./lambda-runtime.js";
export {
  ASSUME_MEMBER_ROLES_SID,
  type ConfiguredMemberAccount,
  type DigestScheduleOptions,
  type DrainResult,
  LocalDeployment,
  type LocalDeploymentNames,
  type LocalDeploymentOptions,
  ledgerTableNameOf,
  localDeploymentNames,
  memberAccountsOf,
  roleNameOfArn,
  type SecretReference,
  storeReporterSecret,
  withMemberRoles,
} from "./local-deployment.js";
export {
  SecretsManagerSandbox,
  type SeedableSecretRef,
  SsmSandbox,
  seedSecret,
} from "./parameters.js";
export {
  type MemberAccount,
  type MemberAccountOptions,
  SANDBOX_ACCOUNT,
  type Sandbox,
  type SandboxOptions,
  startSandbox,
} from "./sandbox.js";
export {
  AwsHttpServer,
  type CallRecord,
  type CredentialsProblem,
  credentialsProblem,
  credentialsProblemAnswer,
  type Fault,
  type ServerOptions,
} from "./server.js";
export { type SentEmail, SesSandbox } from "./ses.js";
export {
  DEFAULT_WEBHOOK_PATH,
  type ReceivedSlackMessage,
  type RejectedSlackRequest,
  type SlackReceiver,
  type SlackReceiverOptions,
  startSlackReceiver,
  validateSlackPayload,
} from "./slack-receiver.js";
export { type PublishedMessage, SNS_MAX_MESSAGE_BYTES, SnsSandbox } from "./sns.js";
export { type SandboxQueue, type SqsMessage, SqsSandbox } from "./sqs.js";
export {
  type AssumeRoleRecord,
  assumeRoleProblems,
  ROLE_CHAINING_MAX_SECONDS,
  type SandboxRole,
  StsError,
  StsSandbox,
  sessionSeconds,
} from "./sts.js";
export { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";
