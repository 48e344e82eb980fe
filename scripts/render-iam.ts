// Renders the IAM policies of the Terraform module, and the names they assume, into
// packages/sandbox/src/iam/module-policies.json, from the plans of terraform/tests/local-deployment.tftest.hcl
// (`terraform test` with the mock provider: no AWS account). LocalDeployment runs each function with its policy,
// so the policies are never copied by hand. The same file's member_account run plans modules/member-account:
// its role's policy and trust policy are rendered as memberAccount, the role the sandbox gives a member account.
// `--check` fails when the committed file is stale; test/terraform-iam.test.ts runs the same check in the
// terraform vitest project.
//   pnpm exec tsx scripts/render-iam.ts [--check]
import { execFileSync } from "node:child_process";
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import type {
  FunctionKey,
  ModulePolicies,
  QueueKey,
  RenderedDeployment,
} from "../packages/sandbox/src/iam/module-policies.js";
import { MODULE_POLICIES_PATH } from "../packages/sandbox/src/iam/module-policies.js";
import type { PolicyDocument } from "../packages/sandbox/src/iam/policy.js";
import type { TrustPolicyDocument } from "../packages/sandbox/src/iam/trust.js";
import { runTerraformTests, type TerraformTestMessage } from "../test/support/terraform.js";

export const TEST_FILE = "tests/local-deployment.tftest.hcl";
const RUNS = ["local_deployment", "all_options", "multi_account"] as const;
const MEMBER_RUN = "member_account";

/** A customer managed key of the sandbox's account for the reporters' secrets (see ModulePolicies). */
const REPORTER_SECRETS_KEY_ID = "3f2a1b0c-5d4e-4f6a-9b8c-7d6e5f4a3b2c";

const FUNCTIONS: Record<string, FunctionKey> = {
  schedule_scans: "schedule-scans",
  scan_images: "scan-images",
  report_findings: "report-findings",
  send_digests: "send-digests",
};
const QUEUES: Record<string, QueueKey> = {
  scan: "scan",
  scan_dlq: "scanDlq",
  report: "report",
  report_dlq: "reportDlq",
  schedule_dlq: "scheduleDlq",
  digest_dlq: "digestDlq",
};

type Plan = NonNullable<TerraformTestMessage["test_plan"]>;

/** One run's plan as the deployment it describes. */
export function deploymentOfPlan(run: string, plan: Plan): RenderedDeployment {
  // A resource the module creates conditionally (count = 0 or 1: send-digests and its DLQ) is planned as `…[0]`.
  const planned = (type: string, name?: string) =>
    (plan.resource_changes ?? []).filter(
      (change) =>
        change.type === type &&
        (name === undefined ||
          change.address === `${type}.${name}` ||
          change.address === `${type}.${name}[0]`),
    );
  const after = (type: string, name: string) => {
    const values = planned(type, name)[0]?.change.after;
    if (!values) throw new Error(`the plan of run "${run}" has no ${type}.${name}`);
    return values;
  };
  const document = plan.output_changes?.config_document?.after;
  if (typeof document !== "string") throw new Error(`the plan of run "${run}" has no config_document output`);
  const config = JSON.parse(document) as RenderedDeployment["config"];

  const functions = Object.fromEntries(
    Object.entries(FUNCTIONS).map(([name, key]) => [
      key,
      {
        functionName: String(after("aws_lambda_function", name).function_name),
        roleName: String(after("aws_iam_role", name).name),
        logGroupName: String(after("aws_cloudwatch_log_group", name).name),
        policy: JSON.parse(String(after("aws_iam_role_policy", name).policy)) as PolicyDocument,
      },
    ]),
  ) as RenderedDeployment["functions"];

  // The account and region the module wrote its ARNs for: those of the repositories schedule-scans may list.
  const listing = [functions["schedule-scans"].policy.Statement]
    .flat()
    .find((statement) => statement.Sid === "ListRepositories");
  const [, region = "", accountId = ""] =
    /^arn:aws:ecr:([a-z0-9-]+):(\d{12}):repository\/\*$/.exec(String(listing?.Resource)) ?? [];
  if (!region)
    throw new Error(`run "${run}": no ListRepositories statement to read the account and region from`);

  const queues = Object.fromEntries(
    Object.entries(QUEUES).map(([name, key]) => {
      const queue = after("aws_sqs_queue", name);
      return [
        key,
        {
          name: String(queue.name),
          arn: `arn:aws:sqs:${region}:${accountId}:${String(queue.name)}`,
          kmsKeyArn: (queue.kms_master_key_id as string | null) ?? null,
        },
      ];
    }),
  ) as RenderedDeployment["queues"];

  const topicArn = config.reporters.find((r) => r.use === "sns")?.options?.topicArn;
  const createdTopic = planned("aws_sns_topic")[0]?.change.after;
  const parameter = planned("aws_ssm_parameter")[0]?.change.after;
  const lambda = after("aws_lambda_function", "schedule_scans");
  const vpc = (
    lambda.vpc_config as { subnet_ids: string[]; security_group_ids: string[] }[] | undefined
  )?.[0];
  const tracing = (lambda.tracing_config as { mode: string }[] | undefined)?.[0];
  const table = planned("aws_dynamodb_table")[0]?.change.after;
  const encryption = (table?.server_side_encryption as { kms_key_arn?: string | null }[] | undefined)?.[0];
  return {
    accountId,
    region,
    functions,
    queues,
    topic:
      typeof topicArn === "string"
        ? {
            arn: topicArn,
            created: createdTopic !== undefined,
            kmsKeyArn: (createdTopic?.kms_master_key_id as string | null | undefined) ?? null,
          }
        : null,
    configParameter: parameter
      ? {
          name: String(parameter.name),
          type: String(parameter.type),
          kmsKeyArn: (parameter.key_id as string | null) ?? null,
        }
      : null,
    vpc: vpc
      ? { subnetIds: [...vpc.subnet_ids].sort(), securityGroupIds: [...vpc.security_group_ids].sort() }
      : null,
    tracingMode: tracing?.mode ?? null,
    ledger: table ? ledgerOfPlan(table, encryption?.kms_key_arn ?? null) : null,
    config,
  };
}

/** The planned ledger table, in the terms of core's LEDGER_TABLE. */
function ledgerOfPlan(
  table: Record<string, unknown>,
  kmsKeyArn: string | null,
): RenderedDeployment["ledger"] {
  const ttl = (table.ttl as { enabled: boolean; attribute_name: string }[] | undefined)?.[0];
  const pitr = (table.point_in_time_recovery as { enabled: boolean }[] | undefined)?.[0];
  const attributes = (table.attribute as { name: string; type: string }[] | undefined) ?? [];
  const indexes =
    (table.global_secondary_index as
      | { name: string; hash_key: string; range_key: string; projection_type: string }[]
      | undefined) ?? [];
  return {
    tableName: String(table.name),
    kmsKeyArn,
    hashKey: String(table.hash_key),
    rangeKey: String(table.range_key),
    attributes: attributes
      .map(({ name, type }) => ({ name, type }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    globalSecondaryIndexes: indexes
      .map((index) => ({
        name: index.name,
        hashKey: index.hash_key,
        rangeKey: index.range_key,
        projectionType: index.projection_type,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    billingMode: String(table.billing_mode),
    ttlAttribute: ttl?.enabled ? ttl.attribute_name : null,
    pointInTimeRecovery: pitr?.enabled === true,
    deletionProtection: table.deletion_protection_enabled === true,
  };
}

/** The member module's plan: its read-and-scan role (its policy names the member account it was planned for). */
export function memberAccountOfPlan(run: string, plan: Plan): NonNullable<ModulePolicies["memberAccount"]> {
  const after = (type: string) => {
    const values = (plan.resource_changes ?? []).find((change) => change.address === `${type}.member[0]`)
      ?.change.after;
    if (!values) throw new Error(`the plan of run "${run}" has no ${type}.member[0]`);
    return values;
  };
  const role = after("aws_iam_role");
  return {
    roleName: String(role.name),
    policy: JSON.parse(String(after("aws_iam_role_policy").policy)) as PolicyDocument,
    trustPolicy: JSON.parse(String(role.assume_role_policy)) as TrustPolicyDocument,
  };
}

/** Plans the test file's runs (one `terraform test`) and returns what module-policies.json must hold. */
export async function renderModulePolicies(): Promise<ModulePolicies> {
  const plans = new Map<string, Plan>();
  await runTerraformTests([TEST_FILE], (message) => {
    const run = message["@testrun"];
    if (message.type === "test_plan" && run && message.test_plan) plans.set(run, message.test_plan);
  });
  const deployment = (run: (typeof RUNS)[number]) => {
    const plan = plans.get(run);
    if (!plan) throw new Error(`terraform test ${TEST_FILE} gave no plan for run "${run}"`);
    return deploymentOfPlan(run, plan);
  };
  const local = deployment("local_deployment");
  const memberPlan = plans.get(MEMBER_RUN);
  if (!memberPlan) throw new Error(`terraform test ${TEST_FILE} gave no plan for run "${MEMBER_RUN}"`);
  return {
    $comment: `Generated by scripts/render-iam.ts from terraform/${TEST_FILE}: do not edit.`,
    reporterSecretsKeyArn: `arn:aws:kms:${local.region}:${local.accountId}:key/${REPORTER_SECRETS_KEY_ID}`,
    deployments: {
      local_deployment: local,
      all_options: deployment("all_options"),
      multi_account: deployment("multi_account"),
    },
    memberAccount: memberAccountOfPlan(MEMBER_RUN, memberPlan),
  };
}

/** The committed file, parsed (undefined when there is none). */
export function committedModulePolicies(): unknown {
  try {
    return JSON.parse(readFileSync(MODULE_POLICIES_PATH, "utf8"));
  } catch {
    return undefined;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const rendered = await renderModulePolicies();
  if (process.argv.includes("--check")) {
    if (!isDeepStrictEqual(rendered, committedModulePolicies())) {
      console.error(
        `${MODULE_POLICIES_PATH.pathname} is stale: run \`pnpm exec tsx scripts/render-iam.ts\` and commit it.`,
      );
      process.exitCode = 1;
    } else {
      console.log(`${MODULE_POLICIES_PATH.pathname} matches the module's policies.`);
    }
  } else {
    writeFileSync(MODULE_POLICIES_PATH, `${JSON.stringify(rendered, null, 2)}\n`);
    // Written as the repository's formatter writes JSON, so that `pnpm lint` passes on it.
    execFileSync("pnpm", ["exec", "biome", "format", "--write", MODULE_POLICIES_PATH.pathname], {
      stdio: "ignore",
    });
    console.log(`wrote ${MODULE_POLICIES_PATH.pathname}`);
  }
}
