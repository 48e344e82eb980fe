import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import type { IamPrincipal } from "./iam/authorizer.js";
import {
  type FunctionKey,
  loadModulePolicies,
  type QueueKey,
  type RenderedDeployment,
} from "./iam/module-policies.js";
import type { AuthorizationRequest, PolicyDocument, PolicyStatement } from "./iam/policy.js";
import { type InvocationResult, LocalFunction } from "./lambda-runtime.js";
import type { Sandbox } from "./sandbox.js";
import type { SandboxQueue } from "./sqs.js";

/** Where a reporter's secret is kept, as the configuration document names it. */
export type SecretReference = { secretArn: string } | { parameter: string };

/**
 * The names the module's policies assume for the local deployment (module-policies.json, rendered from
 * terraform/tests/local-deployment.tftest.hcl): configure the reporters with these, or their calls are denied.
 */
export interface LocalDeploymentNames {
  topicName: string;
  topicArn: string;
  slackWebhookUrl: SecretReference;
  githubToken: SecretReference;
  /** Where the example's Teams reporter (a custom reporter) finds its webhook URL. */
  customReporterSecrets: SecretReference[];
  emailFrom: string;
  emailTo: string[];
  /** The customer managed KMS key the reporters' secrets are kept under. */
  secretsKeyArn: string;
  /** The findings ledger's DynamoDB table (LEDGER_TABLE_NAME of scan-images, report-findings and send-digests). */
  ledgerTableName: string;
}

const optionOf = (deployment: RenderedDeployment, use: string, option: string): unknown =>
  deployment.config.reporters.find((r) => r.use === use)?.options?.[option];

function secretReference(value: unknown, what: string): SecretReference {
  const ref = value as Partial<{ secretArn: string; parameter: string }> | undefined;
  if (typeof ref?.secretArn === "string") return { secretArn: ref.secretArn };
  if (typeof ref?.parameter === "string") return { parameter: ref.parameter };
  throw new Error(`module-policies.json: the local deployment's ${what} is neither a secret nor a parameter`);
}

/** The ledger table's name as the module names it (module-policies.json, rendered from the module's plan). */
export function ledgerTableNameOf(deployment: RenderedDeployment): string {
  if (!deployment.ledger)
    throw new Error("module-policies.json: the rendered deployment has no ledger table");
  return deployment.ledger.tableName;
}

/** The names of the local deployment's resources that its policies allow. */
export function localDeploymentNames(): LocalDeploymentNames {
  const rendered = loadModulePolicies();
  const local = rendered.deployments.local_deployment;
  const topicArn = String(local.topic?.arn ?? "");
  const slackWebhookUrl = optionOf(local, "slack", "webhookUrl");
  const githubToken = optionOf(local, "github", "token");
  return {
    topicName: topicArn.split(":").pop() ?? "",
    topicArn,
    slackWebhookUrl: secretReference(slackWebhookUrl, "Slack webhook URL"),
    githubToken: secretReference(githubToken, "GitHub token"),
    // Every other secret reference of the document is a custom reporter's.
    customReporterSecrets: local.config.reporters
      .flatMap((r) => Object.values(r.options ?? {}))
      .filter((v) => v !== slackWebhookUrl && v !== githubToken)
      .filter((v) => typeof v === "object" && v !== null && ("secretArn" in v || "parameter" in v))
      .map((v) => secretReference(v, "custom reporter secret")),
    emailFrom: String(optionOf(local, "email", "from")),
    emailTo: (optionOf(local, "email", "to") as string[] | undefined) ?? [],
    secretsKeyArn: rendered.reporterSecretsKeyArn,
    ledgerTableName: ledgerTableNameOf(local),
  };
}

/**
 * Keeps a reporter's secret where its reference says, under the customer managed key given (or the AWS managed
 * key of the store when none): a Secrets Manager secret with the complete ARN's name and suffix, or an SSM
 * SecureString parameter. Returns the reference, for the configuration document.
 */
export function storeReporterSecret(
  sandbox: Sandbox,
  ref: SecretReference,
  value: string,
  kmsKeyArn?: string,
): SecretReference {
  if ("parameter" in ref) {
    sandbox.ssm.putParameter(ref.parameter, value, "SecureString", kmsKeyArn);
    return ref;
  }
  const match = /:secret:(.+)-([A-Za-z0-9]{6})$/.exec(ref.secretArn);
  if (!match?.[1] || !match[2]) {
    throw new Error(`${ref.secretArn} is not a complete secret ARN (…:secret:<name>-<6 characters>)`);
  }
  const arn = sandbox.secretsManager.createSecret(match[1], value, {
    suffix: match[2],
    ...(kmsKeyArn ? { kmsKeyArn } : {}),
  });
  if (arn !== ref.secretArn)
    throw new Error(`the sandbox made ${arn} of ${ref.secretArn}: another account or region`);
  return ref;
}

/**
 * The configuration with its `intel` sources on the sandbox's feeds unless it names its own (or turns one off with
 * null): the functions never reach out of the machine for CISA's or FIRST's data.
 */
export function withSandboxIntel(config: unknown, sandbox: Pick<Sandbox, "intel">): unknown {
  if (typeof config !== "object" || config === null) return config;
  const document = config as { intel?: Record<string, unknown> };
  const intel = document.intel ?? {};
  return {
    ...document,
    intel: {
      kevUrl: "kevUrl" in intel ? intel.kevUrl : sandbox.intel.kevUrl,
      epssUrl: "epssUrl" in intel ? intel.epssUrl : sandbox.intel.epssUrl,
    },
  };
}

/** A member account of the configuration's `accounts`: an entry with a role ARN (the hub's own entry has none). */
export interface ConfiguredMemberAccount {
  accountId: string;
  roleArn: string;
  externalId?: string;
  name?: string;
}

/** The entries of a configuration document's `accounts` that name a member role, in their order. */
export function memberAccountsOf(config: unknown): ConfiguredMemberAccount[] {
  const accounts = (config as { accounts?: unknown } | null)?.accounts;
  if (!Array.isArray(accounts)) return [];
  return accounts
    .filter(
      (entry): entry is ConfiguredMemberAccount =>
        typeof entry === "object" &&
        entry !== null &&
        typeof (entry as { roleArn?: unknown }).roleArn === "string" &&
        typeof (entry as { accountId?: unknown }).accountId === "string",
    )
    .map(({ accountId, roleArn, externalId, name }) => ({
      accountId,
      roleArn,
      ...(externalId !== undefined ? { externalId } : {}),
      ...(name !== undefined ? { name } : {}),
    }));
}

/** The Sid of the statement the hub module adds to every function role that reads ECR (terraform/iam.tf). */
export const ASSUME_MEMBER_ROLES_SID = "AssumeMemberRoles";

/**
 * A function's policy as the hub module renders it for these member role ARNs: its AssumeMemberRoles statement
 * allows sts:AssumeRole on exactly those roles (the module builds the statement's resources from
 * `member_accounts`, one role ARN per member, no wildcard). The multi-account rendering planned two members; a
 * deployment configured with others gets the statement the module would render for them. An error when the
 * rendering has no such statement, rather than a policy that cannot assume any role. Pure.
 */
export function withMemberRoles(policy: PolicyDocument, roleArns: readonly string[]): PolicyDocument {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  if (!statements.some((s) => s.Sid === ASSUME_MEMBER_ROLES_SID)) {
    throw new Error(
      `module-policies.json: the multi-account rendering has no ${ASSUME_MEMBER_ROLES_SID} statement; re-render it with \`pnpm exec tsx scripts/render-iam.ts\``,
    );
  }
  return {
    ...policy,
    Statement: statements.map(
      (s): PolicyStatement => (s.Sid === ASSUME_MEMBER_ROLES_SID ? { ...s, Resource: [...roleArns] } : s),
    ),
  };
}

/** A role's name from its ARN, for a role without a path (the member module's default `role_path` "/"). */
export function roleNameOfArn(roleArn: string): string {
  const match = /^arn:aws:iam::\d{12}:role\/([\w+=,.@-]+)$/.exec(roleArn);
  if (!match?.[1]) {
    throw new Error(
      `${roleArn}: the sandbox's member roles have no path (arn:aws:iam::<account>:role/<name>), as the member module makes them with role_path "/"`,
    );
  }
  return match[1];
}

/** What the deployment needs: the sandbox, the built bundles, and the configuration document. */
export interface LocalDeploymentOptions {
  sandbox: Sandbox;
  /** terraform/dist, holding <function>/index.mjs. */
  distDir: string;
  config: unknown;
  /**
   * Each function runs as its own role with the IAM policy the Terraform module renders for it (the default), and
   * the sandbox denies what the policy does not allow; `false` runs every function as the account's administrator.
   */
  iam?: boolean;
  /**
   * The findings ledger: its table is created as the module creates it, and scan-images, report-findings and
   * send-digests are told its name (LEDGER_TABLE_NAME), unless `false` (the module with `ledger_enabled = false`,
   * which has no send-digests: sendDigests() then refuses).
   */
  ledger?: boolean;
  /**
   * Member accounts of the configuration's `accounts` whose member module was never applied: the deployment does not
   * register them in the sandbox (no role, no registry), so AssumeRole of their role is denied — an unreachable
   * account. Every other member the sandbox does not know yet is registered as the member module sets it up.
   */
  membersNotSetUp?: readonly string[];
  /** Extra environment for every function (e.g. ECR_SCAN_REPORTER_REPORTERS_PATH). */
  env?: Record<string, string>;
  /** Messages per invocation of the report path (the module's event source mapping uses a larger batch). */
  reportBatchSize?: number;
  /** Receives before a message is moved to its dead-letter queue (the module's redrive policy). */
  maxReceiveCount?: number;
  onLog?: (line: string, functionName: string) => void;
}

/** Counts of one drain of the queues. */
export interface DrainResult {
  invocations: Record<string, number>;
  /** Messages left only because they are delayed (targeted retries waiting their backoff). */
  delayedMessages: number;
  timedOut: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The digest rule's name from send-digests' function name: both are the module's name_prefix and a suffix
 * (terraform/locals.tf: `<prefix>-send-digests`, `<prefix>-digests`).
 */
export function digestRuleName(sendDigestsFunctionName: string): string {
  return `${sendDigestsFunctionName.replace(/-send-digests$/, "")}-digests`;
}

/** An EventBridge event id (a UUID's form) that is the same for the same rule and time. */
export function eventIdOf(ruleArn: string, time: string): string {
  const hex = createHash("sha256").update(`${ruleArn}\n${time}`).digest("hex");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join(
    "-",
  );
}

/** What sendDigests() puts in its Scheduled Event. */
export interface DigestScheduleOptions {
  /**
   * The time the schedule fired: the event's `time`, which send-digests takes as the period's end and (to the
   * minute) its key. The sandbox's now when absent.
   */
  time?: Date | string;
  /** The event's id; by default one derived from the rule and the time, so the same time is the same event. */
  id?: string;
}

/**
 * The Terraform module's architecture, run locally on the sandbox: the same four bundles, each with its own role
 * and the IAM policy the module renders for it (module-policies.json; the sandbox answers AccessDenied to the rest),
 * the scan and report queues with dead-letter queues and redrive, SQS event source mappings with partial batch
 * failures that poll with the function's role, the EventBridge rule that sends scan events to the report queue, and
 * the two schedules (runSchedule, sendDigests).
 */
export class LocalDeployment {
  readonly queues: {
    scan: SandboxQueue;
    scanDlq: SandboxQueue;
    report: SandboxQueue;
    reportDlq: SandboxQueue;
    scheduleDlq: SandboxQueue;
    /** send-digests' on-failure destination (nothing sends to it here: sendDigests() invokes once, no retries). */
    digestDlq: SandboxQueue;
  };
  readonly functions: {
    scheduleScans: LocalFunction;
    scanImages: LocalFunction;
    reportFindings: LocalFunction;
    sendDigests: LocalFunction;
  };
  readonly deliveredEvents: unknown[] = [];
  /** The names the functions' policies allow (see localDeploymentNames). */
  readonly names: LocalDeploymentNames;
  /** Each function's role, by function (undefined with `iam: false`). */
  readonly principals: Partial<Record<FunctionKey, IamPrincipal>> = {};
  /**
   * Event source mappings stopped because their function's role may not poll the queue, as Lambda disables a
   * mapping whose execution role lacks the permissions (Lambda Developer Guide, "Execution role permissions").
   */
  readonly mappingProblems: string[] = [];
  /** The ledger table being created (nothing to wait for without a ledger). */
  private readonly ledgerCreated: Promise<void>;
  /** The EventBridge rule of the digest schedule, the `resources` of its events. */
  private readonly digestRuleArn: string;

  /** The member accounts of the configuration's `accounts` (those with a role ARN); none for a single account. */
  readonly memberAccounts: readonly ConfiguredMemberAccount[];

  constructor(private readonly options: LocalDeploymentOptions) {
    const { sandbox } = options;
    this.memberAccounts = memberAccountsOf(options.config);
    // With member accounts the functions run as the module renders a hub (member_accounts set: the multi_account
    // run of terraform/tests/local-deployment.tftest.hcl), which differs from the single-account rendering only by
    // each function's AssumeMemberRoles statement.
    const modulePolicies = loadModulePolicies().deployments;
    const rendered =
      this.memberAccounts.length > 0 ? modulePolicies.multi_account : modulePolicies.local_deployment;
    if (!rendered) {
      throw new Error(
        "module-policies.json has no multi_account deployment; run `pnpm exec tsx scripts/render-iam.ts`",
      );
    }
    const memberRoleArns = this.memberAccounts.map((m) => m.roleArn);
    if (rendered.accountId !== sandbox.accountId || rendered.region !== sandbox.region) {
      throw new Error(
        `the module's policies are rendered for account ${rendered.accountId} in ${rendered.region}, the sandbox is ${sandbox.accountId} in ${sandbox.region}`,
      );
    }
    this.names = localDeploymentNames();
    const queueName = (key: QueueKey) => rendered.queues[key].name;
    const maxReceiveCount = String(options.maxReceiveCount ?? 3);
    // A one-second visibility timeout stands in for the module's (6 × the function timeout), so that a message
    // whose batch failed comes back within the run instead of minutes later.
    const scanDlq = sandbox.sqs.createQueue(queueName("scanDlq"));
    const reportDlq = sandbox.sqs.createQueue(queueName("reportDlq"));
    const scheduleDlq = sandbox.sqs.createQueue(queueName("scheduleDlq"));
    const digestDlq = sandbox.sqs.createQueue(queueName("digestDlq"));
    const scan = sandbox.sqs.createQueue(queueName("scan"), {
      VisibilityTimeout: "1",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: scanDlq.arn, maxReceiveCount }),
    });
    const report = sandbox.sqs.createQueue(queueName("report"), {
      VisibilityTimeout: "1",
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: reportDlq.arn, maxReceiveCount }),
    });
    this.queues = { scan, scanDlq, report, reportDlq, scheduleDlq, digestDlq };

    // The table exists before any function runs, as Terraform creates it before them: runSchedule and drain wait
    // for it (the constructor cannot). A failure is kept for them to throw.
    const ledger = options.ledger ?? true;
    this.ledgerCreated = ledger
      ? sandbox.dynamodb.createLedgerTable(this.names.ledgerTableName).then(() => undefined)
      : Promise.resolve();
    this.ledgerCreated.catch(() => undefined);
    const ledgerEnv: Record<string, string> = ledger ? { LEDGER_TABLE_NAME: this.names.ledgerTableName } : {};

    const env = {
      ...sandbox.env(),
      ECR_SCAN_REPORTER_CONFIG: JSON.stringify(withSandboxIntel(options.config, sandbox)),
      POWERTOOLS_LOG_LEVEL: "INFO",
      ...options.env,
    };
    const fn = (key: FunctionKey, extra: Record<string, string> = {}) => {
      const { functionName, roleName } = rendered.functions[key];
      const policy =
        memberRoleArns.length > 0
          ? withMemberRoles(rendered.functions[key].policy, memberRoleArns)
          : rendered.functions[key].policy;
      const credentials: Record<string, string> = {};
      if (options.iam ?? true) {
        // The role's temporary credentials, as Lambda hands them to the function (an ASIA… access key id).
        const principal: IamPrincipal = {
          accessKeyId: `ASIA${randomBytes(8).toString("hex").toUpperCase()}`,
          arn: `arn:aws:sts::${rendered.accountId}:assumed-role/${roleName}/${functionName}`,
          roleName,
          policies: [policy],
        };
        sandbox.iam.addPrincipal(principal);
        this.principals[key] = principal;
        credentials.AWS_ACCESS_KEY_ID = principal.accessKeyId;
      }
      return new LocalFunction({
        name: functionName,
        bundlePath: join(options.distDir, key, "index.mjs"),
        env: { ...env, ...credentials, POWERTOOLS_SERVICE_NAME: key, ...extra },
        onLog: options.onLog,
        clockOffsetMs: () => sandbox.now() - Date.now(),
      });
    };
    this.functions = {
      // terraform/scheduler.tf: with the ledger, its KEV step's table and the report queue its escalations go to.
      scheduleScans: fn("schedule-scans", {
        SCAN_QUEUE_URL: scan.url,
        ...ledgerEnv,
        ...(ledger ? { REPORT_QUEUE_URL: report.url } : {}),
      }),
      scanImages: fn("scan-images", { SCAN_DLQ_URL: scanDlq.url, ...ledgerEnv }),
      reportFindings: fn("report-findings", {
        REPORT_QUEUE_URL: report.url,
        REPORT_DLQ_URL: reportDlq.url,
        ...ledgerEnv,
      }),
      // terraform/digests.tf: the ledger's name and the same configuration (reporters, layers) as report-findings.
      sendDigests: fn("send-digests", ledgerEnv),
    };
    this.registerMemberAccounts(rendered);
    this.digestRuleArn = `arn:aws:events:${rendered.region}:${rendered.accountId}:rule/${digestRuleName(rendered.functions["send-digests"].functionName)}`;
    // Lambda reads a queue's attributes with the function's role when the mapping starts polling.
    this.mappingAllows("scan-images", scan, ["GetQueueAttributes"]);
    this.mappingAllows("report-findings", report, ["GetQueueAttributes"]);

    // The EventBridge rules: ECR Image Scan (COMPLETE, FAILED), Inspector2 Scan and (enhanced scanning, the module's
    // default) Inspector2 Finding, delivered as is to the report queue — the hub's own registry's, and a member
    // account's when its rule forwards them to the hub's bus (sandbox.forwardsEventsToHub).
    sandbox.ecr.onScanEvent((event) => {
      if (!sandbox.forwardsEventsToHub(event.account)) return;
      this.deliveredEvents.push(event);
      sandbox.sqs.send(report, JSON.stringify(event));
    });
    // terraform/reporter.tf: with the ledger, ECR Image Action (DELETE, SUCCESS) too, so that it forgets what ECR
    // deleted.
    if (ledger) {
      sandbox.ecr.onImageAction((event) => {
        if (!sandbox.forwardsEventsToHub(event.account)) return;
        this.deliveredEvents.push(event);
        sandbox.sqs.send(report, JSON.stringify(event));
      });
    }
  }

  /**
   * Sets up each configured member account the sandbox does not know yet, as terraform/modules/member-account does
   * when a member applies it with the hub's outputs: its role (the name its ARN gives, the member module's policy),
   * trusting exactly the hub's function roles (`hub_role_arns` = the hub's `function_role_arns`), with the entry's
   * ExternalId, and its rule forwarding scan events to the hub's bus. A member already registered (a test's own
   * setup: another trust, no forwarding) and those of `membersNotSetUp` are left as they are.
   */
  private registerMemberAccounts(rendered: RenderedDeployment): void {
    const { sandbox } = this.options;
    const trustedRoleArns = Object.values(rendered.functions).map(
      (f) => `arn:aws:iam::${rendered.accountId}:role/${f.roleName}`,
    );
    for (const member of this.memberAccounts) {
      if (sandbox.accounts.has(member.accountId)) continue;
      if (this.options.membersNotSetUp?.includes(member.accountId)) continue;
      const roleName = roleNameOfArn(member.roleArn);
      if (member.roleArn !== `arn:aws:iam::${member.accountId}:role/${roleName}`) {
        throw new Error(`accounts: ${member.roleArn} is not a role of account ${member.accountId}`);
      }
      sandbox.addAccount(member.accountId, {
        roleName,
        ...(member.externalId !== undefined ? { externalId: member.externalId } : {}),
        trustedRoleArns,
        forwardEvents: true,
      });
    }
  }

  /** Resolves once the deployment's resources that take time to create (the ledger table) exist. */
  ready(): Promise<void> {
    return this.ledgerCreated;
  }

  /** Invokes schedule-scans as the EventBridge schedule would. */
  async runSchedule(): Promise<InvocationResult> {
    await this.ready();
    const region = this.options.sandbox.env().AWS_REGION;
    const now = this.options.sandbox.now();
    return this.functions.scheduleScans.invoke({
      version: "0",
      id: createHash("sha256").update(String(now)).digest("hex").slice(0, 36),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "123456789012",
      time: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region,
      resources: [`arn:aws:events:${region}:123456789012:rule/ecr-scan-reporter-schedule`],
      detail: {},
    });
  }

  /**
   * Invokes send-digests as the module's digest schedule would: EventBridge's Scheduled Event ("detail-type":
   * "Scheduled Event", source aws.events, the rule in `resources`) with the account, the region, an id and the
   * schedule's `time` — in EventBridge's form, to the second (Amazon EventBridge User Guide, "Amazon EventBridge
   * events": `"time": "2026-12-07T08:00:00Z"`). Once, as Lambda runs one asynchronous invocation: a test plays
   * Lambda's retry (the same event again) or a doubled delivery by calling this again with the same `time`.
   */
  async sendDigests(options: DigestScheduleOptions = {}): Promise<InvocationResult> {
    if (!(this.options.ledger ?? true)) {
      throw new Error(
        "the module has no send-digests without the findings ledger (ledger_enabled = false): nothing to invoke",
      );
    }
    await this.ready();
    const { sandbox } = this.options;
    const at = options.time === undefined ? new Date(sandbox.now()) : new Date(options.time);
    if (Number.isNaN(at.getTime())) throw new Error(`sendDigests: ${String(options.time)} is not a time`);
    const time = at.toISOString().replace(/\.\d{3}Z$/, "Z");
    return this.functions.sendDigests.invoke({
      version: "0",
      id: options.id ?? eventIdOf(this.digestRuleArn, time),
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: sandbox.accountId,
      time,
      region: sandbox.region,
      resources: [this.digestRuleArn],
      detail: {},
    });
  }

  /**
   * Whether the function's role may do these SQS actions on its queue, checked as the event source mapping's own
   * calls (Lambda polls with the execution role: sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes).
   * A denial stops the mapping, as Lambda disables it.
   */
  private mappingAllows(key: FunctionKey, queue: SandboxQueue, actions: string[]): boolean {
    if (this.mappingProblems.some((p) => p.startsWith(`${queue.name}:`))) return false;
    const principal = this.principals[key];
    if (!principal) return true;
    const requests: AuthorizationRequest[] = actions.map((action) => ({
      action: `sqs:${action}`,
      resource: queue.arn,
    }));
    const denial = this.options.sandbox.iam.authorize(
      { accessKeyId: principal.accessKeyId, service: "lambda", operation: "EventSourceMapping" },
      requests,
    );
    if (!denial) return true;
    this.mappingProblems.push(
      `${queue.name}: the execution role of ${key} may not ${denial.request.action} on ${queue.arn}; the mapping is disabled`,
    );
    return false;
  }

  /** One poll of a queue by its event source mapping: receive a batch, invoke, delete what succeeded. */
  private async pollOnce(
    queue: SandboxQueue,
    key: FunctionKey,
    fn: LocalFunction,
    batchSize: number,
  ): Promise<boolean> {
    const { sqs } = this.options.sandbox;
    // Queue times are the sandbox's clock, which a test or the demo may have moved ahead of the real one.
    if (!queue.messages.some((m) => m.visibleAt <= this.options.sandbox.now())) return false;
    if (!this.mappingAllows(key, queue, ["ReceiveMessage"])) return false;
    const messages = sqs.receive(queue, batchSize);
    if (messages.length === 0) return false;
    const region = this.options.sandbox.env().AWS_REGION;
    const event = {
      Records: messages.map((m) => ({
        messageId: m.messageId,
        receiptHandle: m.receiptHandle,
        body: m.body,
        attributes: {
          ApproximateReceiveCount: String(m.receiveCount),
          SentTimestamp: String(m.sentAt),
          SenderId: "AROAEXAMPLE",
          ApproximateFirstReceiveTimestamp: String(m.sentAt),
        },
        messageAttributes: {},
        md5OfBody: createHash("md5").update(m.body).digest("hex"),
        eventSource: "aws:sqs",
        eventSourceARN: queue.arn,
        awsRegion: region,
      })),
    };
    const result = await fn.invoke(event);
    // A failed invocation leaves the whole batch to come back after its visibility timeout (and be redriven).
    if (!result.ok) return true;
    const failures = new Set(
      (
        (result.result as { batchItemFailures?: { itemIdentifier: string }[] } | null)?.batchItemFailures ??
        []
      ).map((f) => f.itemIdentifier),
    );
    const done = messages.filter((m) => !failures.has(m.messageId) && m.receiptHandle);
    if (done.length > 0 && this.mappingAllows(key, queue, ["DeleteMessage"])) {
      for (const m of done) if (m.receiptHandle) sqs.delete(queue, m.receiptHandle);
    }
    return true;
  }

  /**
   * Runs the event source mappings until both queues are empty and no scan is in progress (or `timeoutMs`
   * passes; `waitForScans: false` stops without waiting for scans). Messages delayed for longer than
   * `delayHorizonMs` (targeted retries) are left and counted.
   */
  async drain(
    options: { timeoutMs?: number; delayHorizonMs?: number; waitForScans?: boolean } = {},
  ): Promise<DrainResult> {
    await this.ready();
    const { sandbox } = this.options;
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    const horizon = options.delayHorizonMs ?? 5_000;
    const invocations: Record<string, number> = { "scan-images": 0, "report-findings": 0 };
    const queues = [
      { queue: this.queues.scan, fn: this.functions.scanImages, name: "scan-images" as const, batch: 10 },
      {
        queue: this.queues.report,
        fn: this.functions.reportFindings,
        name: "report-findings" as const,
        batch: this.options.reportBatchSize ?? 10,
      },
    ];
    while (Date.now() < deadline) {
      const polled = await Promise.all(
        queues.map(async ({ queue, fn, name, batch }) => {
          const progressed = await this.pollOnce(queue, name, fn, batch);
          if (progressed) invocations[name] = (invocations[name] ?? 0) + 1;
          return progressed;
        }),
      );
      if (polled.some(Boolean)) continue;
      const now = sandbox.now();
      // A queue whose mapping is disabled is polled no more: its messages wait for no one.
      const soon = queues.some(
        ({ queue }) =>
          !this.mappingProblems.some((p) => p.startsWith(`${queue.name}:`)) &&
          queue.messages.some((m) => m.visibleAt - now <= horizon),
      );
      const scansPending = (options.waitForScans ?? true) && sandbox.ecr.pendingScanCount() > 0;
      if (scansPending || soon) {
        await sleep(20);
        continue;
      }
      const delayedMessages = queues.reduce((n, { queue }) => n + queue.messages.length, 0);
      return { invocations, delayedMessages, timedOut: false };
    }
    return { invocations, delayedMessages: 0, timedOut: true };
  }

  async close(): Promise<void> {
    // Nothing left running on the sandbox's DynamoDB once closed, whether the table was made or not.
    await this.ledgerCreated.catch(() => undefined);
    await Promise.all(Object.values(this.functions).map((f) => f.close()));
    for (const principal of Object.values(this.principals)) {
      this.options.sandbox.iam.removePrincipal(principal.accessKeyId);
    }
  }
}
