// Each run of terraform/tests/*.tftest.hcl that expects failures must trip exactly the rules it is meant to: the
// validation rules of variables.tf and the preconditions of the module's resources and outputs. `expect_failures`
// names inputs and resources, not rules, and Terraform hides the diagnostics of the failures it expected: a run
// whose value breaks two rules of one input still passes when one of them is switched off. So this runs those runs
// again without their expect_failures (each in a file of its own, since Terraform skips the rest of a file after a
// run that errors) and reads their diagnostics from `terraform test -json`: each must be the message of a rule the
// run lists in TRIPS below, one diagnostic per rule, and every rule of the module must be tripped by some run. The
// submodules (terraform/modules/*, e.g. member-account) are held to the same: a run that plans one
// (`module { source = "./modules/…" }`) names that module's rules.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODULE_DIR, runTerraformTests, type TerraformDiagnostic } from "./support/terraform.js";

const TESTS_DIR = join(MODULE_DIR, "tests");

/**
 * What each run trips, by run: a rule is named by what expect_failures names (`var.x`, a resource's address,
 * `output.x`), followed, when that has several rules, by ": " and words of the rule's error message that only it
 * has.
 */
const TRIPS: Readonly<Record<string, readonly string[]>> = {
  digit_prefix_bad_schedule_lower_case_severities_old_runtime: [
    "var.name_prefix",
    "var.schedule_expression",
    "var.reporters: reporters.<name>.min_severity must be",
    "var.custom_reporters: custom_reporters[].min_severity must be",
    "var.runtime",
    "var.architecture",
  ],
  long_prefix_sns_structure_not_lower_case_options_not_an_object_log_settings: [
    "var.name_prefix",
    "var.reporters: reporters.sns.message_structure must be",
    "var.custom_reporters: custom_reporters must be a list of objects",
    "var.config_storage",
    "var.log_retention_days",
    "var.log_level",
  ],
  topic_not_an_arn_builtin_package_unversioned_templates_key_alias: [
    "var.reporters: reporters.sns: topic_arn must be",
    "var.custom_reporters: custom_reporters[].package must be",
    "var.templates_layer_arn",
    "var.kms_key_arn",
  ],
  slack_without_webhook_unversioned_layer_schedule_scans_limits: [
    "var.reporters: reporters.slack needs exactly one of",
    "var.custom_reporters: custom_reporters[].layer_arn must be",
    "var.schedule_scans_memory_size",
    "var.schedule_scans_timeout",
  ],
  webhook_url_as_value_five_layers_scan_images_limits: [
    "var.reporters: reporters.slack: webhook_url_secret_arn must be",
    "var.custom_reporters: at most 4 distinct layers",
    "var.scan_images_memory_size",
    "var.scan_images_timeout",
  ],
  bad_digest_schedule_send_digests_limits_lower_case_severity_label: [
    "var.digest_schedule_expression",
    "var.send_digests_memory_size",
    "var.send_digests_timeout",
    "var.reporters: reporters.github.severity_labels must be keyed by severity",
  ],
  github_without_token_removed_secret_list_report_findings_limits: [
    "var.reporters: reporters.github needs exactly one of",
    "var.custom_reporters: secret_arns and parameter_names are gone",
    "var.report_findings_memory_size",
    "var.report_findings_timeout",
  ],
  parameter_as_arn_misspelt_custom_reporter_key_queue_settings_key_aliases: [
    "var.reporters: reporters.github: token_secret_arn must be",
    "var.custom_reporters: has attributes it does not know",
    "var.report_max_concurrency",
    "var.report_delay_seconds",
    "var.max_receive_count",
    "var.kms_key_arns",
    "var.log_kms_key_arn",
  ],
  sender_not_an_address_role_alarm_tracing_vpc_settings: [
    "var.reporters: reporters.email: from must be",
    "var.role_path",
    "var.role_permissions_boundary",
    "var.alarm_sns_topic_arn",
    "var.ses_recipient_identities",
    "var.tracing_mode",
    "var.vpc_subnet_ids",
    "var.vpc_security_group_ids",
    "var.scan_max_concurrency",
  ],
  subscription_not_an_address_unknown_custom_reporter_attribute: [
    "var.reporters: reporters.sns: topic_arn must be",
    "var.custom_reporters: has attributes it does not know",
  ],
  notify_not_an_option_ledger_key_alias: [
    "var.reporters: reporters.<name>.notify must be",
    "var.custom_reporters: custom_reporters[].notify must be",
    "var.ledger_kms_key_arn",
  ],
  kev_url_not_http_epss_above_one_only_fixable_not_a_boolean: [
    "var.intel",
    "var.escalate",
    "var.custom_reporters: custom_reporters must be a list of objects",
  ],
  epss_url_with_credentials_negative_epss_above: ["var.intel", "var.escalate"],
  slack_with_two_webhook_references: ["var.reporters: reporters.slack needs exactly one of"],
  custom_reporter_digest_must_be_a_boolean: [
    "var.custom_reporters: custom_reporters must be a list of objects",
  ],
  configuration_set_with_a_space: ["var.reporters: reporters.email: from must be"],
  finding_events_without_enhanced_scanning_subnets_alone_uncompilable_regexes_secret_by_name: [
    "aws_sqs_queue_policy.report",
    "aws_lambda_function.schedule_scans: vpc_subnet_ids and vpc_security_group_ids go together",
    "output.config_document",
    "aws_iam_role_policy.report_findings: reference a secret by something other than its ARN",
  ],
  re2_only_regex_syntax_document_too_large_for_the_environment_parameter_as_arn: [
    "output.config_document",
    "aws_lambda_function.schedule_scans: too many for Lambda's 4 KB environment",
    "aws_iam_role_policy.report_findings: reference an SSM parameter by something other than its name",
  ],
  config_document_over_8_kb: ["aws_ssm_parameter.config"],
  receives_outlasting_the_queue_retention: ["aws_sqs_queue.scan", "aws_sqs_queue.report"],
  member_id_not_12_digits_listed_twice_short_external_id_id_as_name_org_id_upper_case_role_name_with_slash_padded_hub_name:
    [
      "var.member_accounts: member_accounts[].account_id must be a 12-digit",
      "var.member_accounts: lists an account twice",
      "var.member_accounts: member_accounts[].external_id must be",
      "var.member_accounts: member_accounts[].name must be",
      "var.organization_id",
      "var.member_role_name",
      "var.hub_account_name",
    ],
  member_external_id_over_1224_characters: ["var.member_accounts: member_accounts[].external_id must be"],
  names_over_64_utf16_units_member_role_name_over_40_characters: [
    "var.member_accounts: member_accounts[].name must be",
    "var.hub_account_name",
    "var.member_role_name",
  ],
  hub_listed_as_member_under_the_hub_name: [
    "aws_iam_role_policy.schedule_scans: member_accounts lists this account",
    "aws_iam_role_policy.schedule_scans: hub_account_name is also the name",
  ],
  hub_account_left_out_without_members: [
    "aws_iam_role_policy.schedule_scans: include_hub_account = false needs member_accounts",
  ],
  reporter_routed_to_an_unknown_account: [
    "aws_iam_role_policy.schedule_scans: Reporters are routed to accounts this deployment does not cover",
  ],
  custom_reporter_accounts_not_a_list: ["var.custom_reporters: custom_reporters must be a list of objects"],
  // modules/member-account
  member_module_hub_id_not_12_digits_user_arn_short_external_id_long_role_name_path_boundary_bus_name: [
    "var.hub_account_id",
    "var.hub_role_arns",
    "var.external_id",
    "var.role_name",
    "var.role_path",
    "var.role_permissions_boundary",
    "var.hub_event_bus_arn",
  ],
  member_module_external_id_with_a_space_no_hub_roles: ["var.hub_role_arns", "var.external_id"],
  member_module_in_the_hub_account_trusting_another_account: [
    "aws_iam_role.member: must be roles of the hub account",
    "aws_iam_role.member: This is the hub account",
  ],
  member_module_forwarding_in_the_hub_account: ["aws_cloudwatch_event_rule.forward: This is the hub account"],
  member_module_finding_events_without_enhanced_scanning: [
    "aws_cloudwatch_event_rule.forward: enhanced_finding_events = true needs",
  ],
};

/** Rules no input can trip, with the reason: a guard kept for a change elsewhere, not a rule to test. */
const UNREACHABLE: Readonly<Record<string, string>> = {
  "aws_lambda_function.report_findings: Lambda allows 5":
    "custom_reporters allows at most 4 distinct layers (a validation of its own) and templates_layer_arn adds one",
};

/** A validation rule or a precondition of the module, where it is and what it says. */
interface Rule {
  /** The module's directory relative to terraform/: "" for the module itself, "modules/member-account" for one. */
  module: string;
  /** What expect_failures names: `var.x`, `output.x` or a resource's `type.name`. */
  owner: string;
  /** The file as Terraform cites it, relative to terraform/. */
  file: string;
  /** Line of `validation {` (what a failed validation's message cites) or of a precondition's `condition`. */
  line: number;
  /** The error_message expression as written. */
  message: string;
}

/** The module and its submodules (terraform/modules/*), as directories relative to terraform/. */
function moduleDirs(): string[] {
  const submodules = join(MODULE_DIR, "modules");
  const names = existsSync(submodules)
    ? readdirSync(submodules, { withFileTypes: true }).filter((entry) => entry.isDirectory())
    : [];
  return ["", ...names.map((entry) => join("modules", entry.name))];
}

/** The rules of the modules' *.tf files (as `terraform fmt` lays them out: blocks open at the start of a line). */
function moduleRules(): Rule[] {
  const rules: Rule[] = [];
  for (const [module, name] of moduleDirs().flatMap((dir) =>
    readdirSync(join(MODULE_DIR, dir))
      .filter((file) => file.endsWith(".tf"))
      .map((file) => [dir, file] as const),
  )) {
    const file = join(module, name);
    let owner = "";
    let open: { kind: string; line: number; conditionLine?: number } | undefined;
    readFileSync(join(MODULE_DIR, file), "utf8")
      .split("\n")
      .forEach((text, index) => {
        const line = index + 1;
        const block = /^(variable|output|resource)\s+"([^"]+)"(?:\s+"([^"]+)")?\s*\{/.exec(text);
        if (block) {
          const [, kind, first, second] = block;
          owner =
            kind === "resource" ? `${first}.${second}` : `${kind === "variable" ? "var" : "output"}.${first}`;
        }
        const rule = /^\s*(validation|precondition)\s*\{/.exec(text);
        if (rule) open = { kind: rule[1] as string, line };
        if (open && /^\s*condition\s*=/.test(text)) open.conditionLine ??= line;
        const message = /^\s*error_message\s*=\s*(.+?)\s*$/.exec(text);
        if (open && message) {
          const cited = open.kind === "validation" ? open.line : open.conditionLine;
          if (cited === undefined)
            throw new Error(`${file}:${open.line}: a precondition without a condition`);
          rules.push({ module, owner, file, line: cited, message: message[1] as string });
          open = undefined;
        }
      });
  }
  return rules;
}

/** The text of an error_message written as one string, up to its first interpolation; undefined for others. */
function literalPrefix(message: string): string | undefined {
  if (!/^"(?:[^"\\]|\\.)*"$/.test(message)) return undefined;
  const text = JSON.parse(message) as string;
  const interpolation = text.indexOf("${");
  return interpolation === -1 ? text : text.slice(0, interpolation);
}

/** The rule a TRIPS (or UNREACHABLE) entry names, among the rules of one module; throws unless it names one. */
function ruleNamed(entry: string, rules: readonly Rule[], module = ""): Rule {
  const [owner, words] = entry.split(/: (.*)/s) as [string, string | undefined];
  const candidates = rules.filter(
    (rule) =>
      rule.module === module && rule.owner === owner && (words === undefined || rule.message.includes(words)),
  );
  if (candidates.length !== 1) {
    throw new Error(`"${entry}" names ${candidates.length} rules of the module "${module}", not one`);
  }
  return candidates[0] as Rule;
}

/** The rule a diagnostic reports, by the place it cites; undefined for any other error. */
function ruleOf(diagnostic: TerraformDiagnostic, rules: readonly Rule[]): Rule | undefined {
  const validation = /validation rule at ([^:\s]+):(\d+),/.exec(diagnostic.detail);
  const [file, line] = validation
    ? [validation[1], Number(validation[2])]
    : [diagnostic.range?.filename, diagnostic.range?.start.line];
  return rules.find((rule) => rule.file === file && rule.line === line);
}

/** A run of a test file that expects failures: its block as written, and what it names. */
interface FailingRun {
  name: string;
  file: string;
  /** The module the run plans: "" for terraform/ itself, or its `module { source = "./…" }` (e.g. modules/member-account). */
  module: string;
  block: string;
  expectFailures: string[];
  /** The test file's text before its first run: its mock providers and file-level variables. */
  preamble: string;
}

function failingRuns(): FailingRun[] {
  const runs: FailingRun[] = [];
  for (const file of readdirSync(TESTS_DIR).filter((name) => name.endsWith(".tftest.hcl"))) {
    const source = readFileSync(join(TESTS_DIR, file), "utf8");
    const preamble = source.slice(0, source.search(/^run "/m));
    for (const match of source.matchAll(/^run "([^"]+)" \{\n[\s\S]*?^\}\n/gm)) {
      const block = match[0];
      const expected = /^\s*expect_failures\s*=\s*\[([^\]\n]*)\]\s*$/m.exec(block);
      if (!expected) continue;
      if (/\brun\.\w/.test(block)) throw new Error(`${file}, run "${match[1]}": reads another run's results`);
      runs.push({
        name: match[1] as string,
        file,
        module: /^\s*source\s*=\s*"\.\/([^"]+)"\s*$/m.exec(block)?.[1] ?? "",
        block,
        expectFailures: (expected[1] as string).split(",").map((name) => name.trim()),
        preamble,
      });
    }
  }
  return runs;
}

describe("the module's validations and preconditions, tripped one rule at a time", () => {
  const rules = moduleRules();
  const runs = failingRuns();
  /** Diagnostics of each run, when run without its expect_failures. */
  const diagnostics = new Map<string, TerraformDiagnostic[]>();
  /** Runs Terraform reported as complete, whatever their status. */
  const completed = new Set<string>();
  let scratch: string | undefined;

  beforeAll(async () => {
    // Terraform reads test files only from a directory inside the module; each run gets a file of its own.
    scratch = mkdtempSync(join(TESTS_DIR, ".expect-failures-"));
    runs.forEach((run, index) => {
      const block = run.block.replace(/^\s*expect_failures\s*=.*\n/m, "");
      writeFileSync(join(scratch as string, `${index}.tftest.hcl`), `${run.preamble}${block}`);
    });
    await runTerraformTests(
      [],
      (message) => {
        const run = message["@testrun"] ?? "(no run)";
        if (message.type === "diagnostic" && message.diagnostic?.severity === "error") {
          diagnostics.set(run, [...(diagnostics.get(run) ?? []), message.diagnostic]);
        }
        if (message.test_run?.progress === "complete") completed.add(message.test_run.run);
      },
      { testDirectory: relative(MODULE_DIR, scratch), allowFailedRuns: true },
    );
  }, 300_000);

  afterAll(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("every run that expects failures says here which rules it trips, and only those runs do", () => {
    expect(runs.map((run) => run.name).sort()).toEqual(Object.keys(TRIPS).sort());
    expect(new Set(runs.map((run) => run.name)).size, "run names are unique across the test files").toBe(
      runs.length,
    );
    expect(diagnostics.get("(no run)"), "no error outside the runs").toBeUndefined();
  });

  it("every rule of the module is tripped by some run, but for the unreachable ones", () => {
    const moduleOfRun = new Map(runs.map((run) => [run.name, run.module]));
    const tripped = new Set(
      Object.entries(TRIPS).flatMap(([run, entries]) =>
        entries.map((e) => ruleNamed(e, rules, moduleOfRun.get(run))),
      ),
    );
    const unreachable = new Set(Object.keys(UNREACHABLE).map((entry) => ruleNamed(entry, rules)));
    const untested = rules
      .filter((rule) => !tripped.has(rule) && !unreachable.has(rule))
      .map((rule) => `${rule.owner} (${rule.file}:${rule.line})`);
    expect(untested).toEqual([]);
    expect(rules.length, "the module has rules to check").toBeGreaterThan(40);
  });

  it.each(runs.map((run) => [run.name, run] as const))(
    "%s: its diagnostics are the messages of the rules it names, one each",
    (name, run) => {
      const named = (TRIPS[name] ?? []).map((entry) => ruleNamed(entry, rules, run.module));
      // What terraform test checks: the inputs and resources the run expects to fail are those of its rules.
      expect(new Set(run.expectFailures)).toEqual(new Set(named.map((rule) => rule.owner)));

      expect(completed.has(name), `terraform test ran "${name}"`).toBe(true);
      const reported = (diagnostics.get(name) ?? []).map((diagnostic) => {
        const rule = ruleOf(diagnostic, rules);
        const where = rule ? `${rule.owner} (${rule.file}:${rule.line})` : "";
        return rule ? where : `not a rule of the module: ${diagnostic.summary}: ${diagnostic.detail}`;
      });
      const wanted = named.map((rule) => `${rule.owner} (${rule.file}:${rule.line})`);
      expect(reported.sort()).toEqual(wanted.sort());

      // The user sees the rule's own message (for a message with interpolations, its text up to the first one).
      for (const diagnostic of diagnostics.get(name) ?? []) {
        const prefix = literalPrefix(ruleOf(diagnostic, rules)?.message ?? "");
        if (prefix !== undefined) expect(diagnostic.detail.startsWith(prefix), diagnostic.detail).toBe(true);
      }
    },
  );
});
