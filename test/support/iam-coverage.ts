// Whether the IAM policies the Terraform module renders grant what the functions need and nothing else, computed
// with the sandbox's evaluator over "needed calls": the calls the functions made in a recorded sandbox run, plus the
// calls Lambda itself makes with a function's role (lambdaServiceCalls, each with its AWS source). A policy is
// tight when removing any one statement, any one action of a statement or any one resource of a statement denies
// at least one needed call.
import {
  type AuthorizationRequest,
  evaluate,
  type FunctionKey,
  type IamDecisionRecord,
  type PolicyDocument,
  type PolicyStatement,
  type RenderedDeployment,
  viaService,
} from "@ecr-scan-reporter/sandbox";

/** A call a role needs to be allowed. */
export interface NeededCall extends AuthorizationRequest {
  roleName: string;
  /** Where the call comes from: "recorded" (the sandbox run) or the documented reason. */
  source: string;
}

/** The needed calls of one configuration: the calls of a run, and those its options add. */
export interface Scenario {
  name: string;
  deployment: RenderedDeployment;
  calls: NeededCall[];
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const statementsOf = (policy: PolicyDocument): PolicyStatement[] => list(policy.Statement);

/** The calls the functions' roles made in a recorded run, each once (the account administrator's left out). */
export function recordedCalls(decisions: readonly IamDecisionRecord[]): NeededCall[] {
  const calls = new Map<string, NeededCall>();
  for (const d of decisions) {
    if (d.roleName === undefined) continue;
    const call: NeededCall = {
      roleName: d.roleName,
      action: d.action,
      resource: d.resource,
      ...(d.context ? { context: d.context } : {}),
      source: `recorded ${d.service}:${d.operation}`,
    };
    calls.set(JSON.stringify([call.roleName, call.action, call.resource, call.context]), call);
  }
  return [...calls.values()];
}

/**
 * The calls Lambda makes with a function's role, by configuration (Lambda Developer Guide):
 * - "Sending Lambda function logs to CloudWatch Logs" — logs:CreateLogStream and logs:PutLogEvents in the
 *   function's log group, on the log stream's ARN (CloudWatch Logs User Guide, "CloudWatch Logs resources and
 *   operations": the `…:log-group:<name>:*` form covers every action but tagging);
 * - "Capturing records of Lambda asynchronous invocations" — sqs:SendMessage to the on-failure destination
 *   (schedule-scans, the schedule's DLQ; send-digests, the digests' DLQ);
 * - "Giving Lambda functions access to resources in an Amazon VPC", "Required IAM permissions" —
 *   ec2:CreateNetworkInterface (on the interface, the subnet and the security group), ec2:DeleteNetworkInterface,
 *   ec2:AssignPrivateIpAddresses, ec2:UnassignPrivateIpAddresses, ec2:DescribeNetworkInterfaces and
 *   ec2:DescribeSubnets (no resource type);
 * - "Visualize Lambda function invocations using AWS X-Ray" — xray:PutTraceSegments and xray:PutTelemetryRecords
 *   (no resource type) with active tracing.
 */
export function lambdaServiceCalls(deployment: RenderedDeployment): NeededCall[] {
  const { accountId, region } = deployment;
  return Object.entries(deployment.functions).flatMap(([key, fn]) => {
    const call = (action: string, resource: string, source: string): NeededCall => ({
      roleName: fn.roleName,
      action,
      resource,
      source,
    });
    const stream = `arn:aws:logs:${region}:${accountId}:log-group:${fn.logGroupName}:log-stream:2026/12/01/[$LATEST]0a1b2c3d4e5f`;
    const calls = [
      call("logs:CreateLogStream", stream, "Lambda writes the function's logs"),
      call("logs:PutLogEvents", stream, "Lambda writes the function's logs"),
    ];
    const onFailure: Partial<Record<FunctionKey, string>> = {
      "schedule-scans": deployment.queues.scheduleDlq.arn,
      "send-digests": deployment.queues.digestDlq.arn,
    };
    const destination = onFailure[key as FunctionKey];
    if (destination) {
      calls.push(
        call("sqs:SendMessage", destination, "Lambda records a failed run (on-failure destination)"),
      );
    }
    if (deployment.vpc) {
      const ec2 = `arn:aws:ec2:${region}:${accountId}`;
      const eni = `${ec2}:network-interface/eni-0a1b2c3d4e5f60718`;
      const vpc = "Lambda manages the function's network interfaces";
      calls.push(
        call("ec2:CreateNetworkInterface", eni, vpc),
        ...deployment.vpc.subnetIds.map((id) =>
          call("ec2:CreateNetworkInterface", `${ec2}:subnet/${id}`, vpc),
        ),
        ...deployment.vpc.securityGroupIds.map((id) =>
          call("ec2:CreateNetworkInterface", `${ec2}:security-group/${id}`, vpc),
        ),
        call("ec2:DeleteNetworkInterface", eni, vpc),
        call("ec2:AssignPrivateIpAddresses", eni, vpc),
        call("ec2:UnassignPrivateIpAddresses", eni, vpc),
        call("ec2:DescribeNetworkInterfaces", "*", vpc),
        call("ec2:DescribeSubnets", "*", vpc),
      );
    }
    if (deployment.tracingMode === "Active") {
      calls.push(
        call("xray:PutTraceSegments", "*", "Lambda sends the traces (active tracing)"),
        call("xray:PutTelemetryRecords", "*", "Lambda sends the traces (active tracing)"),
      );
    }
    return calls;
  });
}

/**
 * The KMS calls that sending to and receiving from queues and topics under a key add to the calls given (SQS
 * Developer Guide, "Key management": a producer needs kms:GenerateDataKey and kms:Decrypt, a consumer
 * kms:Decrypt; SNS Developer Guide, "Encryption at rest": a publisher needs both), and that reading and writing the
 * ledger table under a key adds, through the service.
 */
export function encryptedQueueAndTopicCalls(
  deployment: RenderedDeployment,
  calls: readonly NeededCall[],
  topicKeyArn: string | null = deployment.topic?.kmsKeyArn ?? null,
): NeededCall[] {
  const queueKeys = new Map(Object.values(deployment.queues).map((q) => [q.arn, q.kmsKeyArn]));
  return calls.flatMap((c) => {
    const kms = (actions: string[], key: string | null, service: string): NeededCall[] =>
      key
        ? actions.map((action) => ({
            roleName: c.roleName,
            action,
            resource: key,
            context: { "kms:ViaService": viaService(service, deployment.region) },
            source: `${c.action} on ${c.resource}, under a key`,
          }))
        : [];
    if (c.action === "sqs:SendMessage")
      return kms(["kms:GenerateDataKey", "kms:Decrypt"], queueKeys.get(c.resource) ?? null, "sqs");
    if (c.action === "sqs:ReceiveMessage")
      return kms(["kms:Decrypt"], queueKeys.get(c.resource) ?? null, "sqs");
    if (c.action === "sns:Publish" && c.resource === deployment.topic?.arn) {
      return kms(["kms:GenerateDataKey", "kms:Decrypt"], topicKeyArn, "sns");
    }
    // AWS KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS": each read or write of a table under a customer
    // managed key decrypts the table key on behalf of the caller (kms:Decrypt through DynamoDB).
    if (c.action.startsWith("dynamodb:"))
      return kms(["kms:Decrypt"], deployment.ledger?.kmsKeyArn ?? null, "dynamodb");
    return [];
  });
}

/** One way of narrowing a policy by one element, and the narrowed policy. */
export interface Removal {
  roleName: string;
  label: string;
  sid: string;
  policy: PolicyDocument;
}

/** Every policy with one statement, one action of a statement or one resource of a statement removed. */
export function removals(roleName: string, policy: PolicyDocument): Removal[] {
  const statements = statementsOf(policy);
  const withStatement = (index: number, replacement: PolicyStatement[]): PolicyDocument => ({
    ...policy,
    Statement: [...statements.slice(0, index), ...replacement, ...statements.slice(index + 1)],
  });
  return statements.flatMap((statement, index) => {
    const sid = statement.Sid ?? `#${index}`;
    const actions = list(statement.Action);
    const resources = list(statement.Resource);
    return [
      { roleName, sid, label: `${sid} (the whole statement)`, policy: withStatement(index, []) },
      ...(actions.length > 1
        ? actions.map((action) => ({
            roleName,
            sid,
            label: `${sid}: action ${action}`,
            policy: withStatement(index, [{ ...statement, Action: actions.filter((a) => a !== action) }]),
          }))
        : []),
      ...(resources.length > 1
        ? resources.map((resource) => ({
            roleName,
            sid,
            label: `${sid}: resource ${resource}`,
            policy: withStatement(index, [
              { ...statement, Resource: resources.filter((r) => r !== resource) },
            ]),
          }))
        : []),
    ];
  });
}

/** The needed calls of a role that its policy denies. */
export function deniedCalls(
  policy: PolicyDocument,
  calls: readonly NeededCall[],
  roleName: string,
): NeededCall[] {
  return calls.filter((c) => c.roleName === roleName && !evaluate([policy], c).allowed);
}

/**
 * The removals (in the rendered policies of `deployment`) that deny no needed call of any of the scenarios: what
 * the policies grant without need. A resource the module writes in both forms of a secret ARN (`<arn>` and
 * `<arn>-??????`, since it cannot know whether the ARN given is complete) is needed when either form is.
 */
export function unneededGrants(deployment: RenderedDeployment, scenarios: readonly Scenario[]): string[] {
  return Object.values(deployment.functions).flatMap(({ roleName, policy }) =>
    removals(roleName, policy)
      .filter((removal) => !scenarios.some((s) => deniedCalls(removal.policy, s.calls, roleName).length > 0))
      .filter((removal) => !isSecondFormOfNeededSecret(removal, policy, scenarios))
      .map((removal) => `${roleName} ${removal.label}`),
  );
}

/** The `-??????` twin of a needed secret ARN entry, or the other way round. */
function isSecondFormOfNeededSecret(
  removal: Removal,
  policy: PolicyDocument,
  scenarios: readonly Scenario[],
): boolean {
  const resource = /: resource (arn:aws:secretsmanager:.+)$/.exec(removal.label)?.[1];
  if (!resource) return false;
  const twin = resource.endsWith("-??????") ? resource.slice(0, -"-??????".length) : `${resource}-??????`;
  const statement = statementsOf(policy).find((s) => (s.Sid ?? "") === removal.sid);
  if (!statement || !list(statement.Resource).includes(twin)) return false;
  const withoutTwin = removals(removal.roleName, policy).find(
    (r) => r.label === `${removal.sid}: resource ${twin}`,
  );
  return (
    withoutTwin !== undefined &&
    scenarios.some((s) => deniedCalls(withoutTwin.policy, s.calls, removal.roleName).length > 0)
  );
}

/** The Sids of a deployment's rendered policies. */
export const sidsOf = (deployment: RenderedDeployment): string[] =>
  Object.values(deployment.functions).flatMap(({ policy }) => statementsOf(policy).map((s) => s.Sid ?? ""));
