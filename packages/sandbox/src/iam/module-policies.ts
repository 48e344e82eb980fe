import { readFileSync } from "node:fs";
import type { PolicyDocument } from "./policy.js";
import type { TrustPolicyDocument } from "./trust.js";

// The IAM policies the Terraform module renders, and the names they assume, as scripts/render-iam.ts writes them
// from the plans of terraform/tests/local-deployment.tftest.hcl into module-policies.json (never edited by hand;
// test/terraform-iam.test.ts fails when it is stale). LocalDeployment runs each function with its policy.

export const FUNCTION_KEYS = ["schedule-scans", "scan-images", "report-findings", "send-digests"] as const;
export type FunctionKey = (typeof FUNCTION_KEYS)[number];

export const QUEUE_KEYS = ["scan", "scanDlq", "report", "reportDlq", "scheduleDlq", "digestDlq"] as const;
export type QueueKey = (typeof QUEUE_KEYS)[number];

export interface RenderedFunction {
  functionName: string;
  roleName: string;
  logGroupName: string;
  /** The role's inline policy, as the module renders it. */
  policy: PolicyDocument;
}

/** One configuration of the module, as planned: its functions' policies and the resources they name. */
export interface RenderedDeployment {
  accountId: string;
  region: string;
  functions: Record<FunctionKey, RenderedFunction>;
  queues: Record<QueueKey, { name: string; arn: string; kmsKeyArn: string | null }>;
  /** The sns reporter's topic: created by the module or given; null without the sns reporter. */
  topic: { arn: string; created: boolean; kmsKeyArn: string | null } | null;
  /** The SSM parameter holding the configuration document, when the module puts it there. */
  configParameter: { name: string; type: string; kmsKeyArn: string | null } | null;
  vpc: { subnetIds: string[]; securityGroupIds: string[] } | null;
  tracingMode: string | null;
  /** The findings ledger's table (null with `ledger_enabled = false`) and the key it is encrypted under, if a CMK. */
  ledger: {
    tableName: string;
    kmsKeyArn: string | null;
    /** The table as planned, to compare with core's LEDGER_TABLE (what the sandbox and the demo create). */
    hashKey: string;
    rangeKey: string;
    attributes: { name: string; type: string }[];
    /** The global secondary indexes, by name. */
    globalSecondaryIndexes: { name: string; hashKey: string; rangeKey: string; projectionType: string }[];
    billingMode: string;
    ttlAttribute: string | null;
    pointInTimeRecovery: boolean;
    deletionProtection: boolean;
  } | null;
  /** The configuration document the module hands the functions. */
  config: { reporters: { use: string; options?: Record<string, unknown> }[] } & Record<string, unknown>;
}

export interface ModulePolicies {
  $comment: string;
  /**
   * The customer managed key the sandbox keeps the reporters' secrets under: a key of the account, which the
   * module's DecryptReporterSecrets statement covers (key/*) through Secrets Manager and Parameter Store.
   */
  reporterSecretsKeyArn: string;
  deployments: {
    /** The module as LocalDeployment runs it: every built-in reporter, enhanced scanning. */
    local_deployment: RenderedDeployment;
    /** The same with every other option that adds a statement (VPC, tracing, keys, config parameter, …). */
    all_options: RenderedDeployment;
    /**
     * The local deployment as a hub with member accounts 210987654321 (team-a, ExternalId "ecr-scan-reporter-demo")
     * and 345678901234 (team-b): every function may also sts:AssumeRole their roles (AssumeMemberRoles).
     */
    multi_account: RenderedDeployment;
  };
  /**
   * terraform/modules/member-account as planned for one member account: its role's name, inline policy (naming
   * that member's account) and trust policy, which sandbox.addAccount gives each member (iam/member-account.ts);
   * optional in the type so that a stale rendering fails there with a clear error.
   */
  memberAccount?: { roleName: string; policy: PolicyDocument; trustPolicy: TrustPolicyDocument };
}

export const MODULE_POLICIES_PATH = new URL("./module-policies.json", import.meta.url);

let loaded: ModulePolicies | undefined;

/** The committed rendering (read once); a clear error when it is missing or not what the generator writes. */
export function loadModulePolicies(): ModulePolicies {
  if (loaded) return loaded;
  let parsed: ModulePolicies;
  try {
    parsed = JSON.parse(readFileSync(MODULE_POLICIES_PATH, "utf8")) as ModulePolicies;
  } catch (error) {
    throw new Error(
      `cannot read the module's rendered IAM policies (${MODULE_POLICIES_PATH.pathname}): ${(error as Error).message}; run \`pnpm exec tsx scripts/render-iam.ts\``,
    );
  }
  const local = parsed.deployments?.local_deployment;
  if (!local || FUNCTION_KEYS.some((key) => !local.functions?.[key]?.policy)) {
    throw new Error(
      `${MODULE_POLICIES_PATH.pathname} has no policy for every function of local_deployment; run \`pnpm exec tsx scripts/render-iam.ts\``,
    );
  }
  loaded = parsed;
  return parsed;
}
