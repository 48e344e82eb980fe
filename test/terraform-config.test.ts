// The configuration documents the Terraform module renders must be ones the functions accept. The module's
// validations (terraform/variables.tf) check only what a plan must catch; every other limit is the functions'
// schemas', so this checks the documents with those very schemas: the core schema (parseConfig) and each
// reporter's optionsSchema, as the functions do at cold start.
//
// The documents come from `terraform test -json -verbose` (test/support/terraform.ts):
// - terraform/tests/reporters.tftest.hcl, intel.tftest.hcl and schema-limits.tftest.hcl: the plan's
//   `config_document` output ("test_plan" messages);
// - terraform/tests/examples.tftest.hcl: one apply per example, whose state ("test_state" messages) holds what
//   each module instance hands its functions: ECR_SCAN_REPORTER_CONFIG, or the SSM parameter that
//   ECR_SCAN_REPORTER_CONFIG_PARAMETER names.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type AnyReporterPlugin,
  CONFIG_ENV,
  CONFIG_PARAMETER_ENV,
  type Config,
  ConfigError,
  type ConfigProblem,
  parseConfig,
  problemsFromIssues,
} from "@ecr-scan-reporter/core";
import { emailReporter } from "@ecr-scan-reporter/reporter-email";
import { githubReporter } from "@ecr-scan-reporter/reporter-github";
import { metricsReporter } from "@ecr-scan-reporter/reporter-metrics";
import { slackReporter } from "@ecr-scan-reporter/reporter-slack";
import { snsReporter } from "@ecr-scan-reporter/reporter-sns";
import { beforeAll, describe, expect, it } from "vitest";
import teamsReporter from "../terraform/examples/custom-reporter/teams-reporter/src/index.js";
import { MODULE_DIR, runTerraformTests, type StateModule } from "./support/terraform.js";

const EXAMPLES_DIR = join(MODULE_DIR, "examples");
/** Whose runs' plans have a config_document output; run names are unique across them. */
const PLAN_FILES = ["tests/reporters.tftest.hcl", "tests/intel.tftest.hcl", "tests/schema-limits.tftest.hcl"];
const EXAMPLES_FILE = "tests/examples.tftest.hcl";

const BUILT_IN_PLUGINS: Readonly<Record<string, AnyReporterPlugin>> = {
  sns: snsReporter,
  slack: slackReporter,
  github: githubReporter,
  email: emailReporter,
  metrics: metricsReporter,
};
/** What the examples use: the built-in reporters and the Teams reporter of examples/custom-reporter. */
const EXAMPLE_PLUGINS: Readonly<Record<string, AnyReporterPlugin>> = {
  ...BUILT_IN_PLUGINS,
  "@acme/ecr-reporter-teams": teamsReporter,
};

/** The examples that instantiate the module (`source = "../.."`), with how many instances each has. */
const EXAMPLES = readdirSync(EXAMPLES_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => {
    const dir = join(EXAMPLES_DIR, entry.name);
    const source = readdirSync(dir)
      .filter((file) => file.endsWith(".tf"))
      .map((file) => readFileSync(join(dir, file), "utf8"))
      .join("\n");
    return { name: entry.name, instances: source.match(/^\s*source\s*=\s*"\.\.\/\.\."/gm)?.length ?? 0 };
  })
  .filter((example) => example.instances > 0)
  .sort((a, b) => a.name.localeCompare(b.name));

/**
 * What each function of a state is handed, by the address of its module instance: the value of
 * ECR_SCAN_REPORTER_CONFIG, or of the SSM parameter ECR_SCAN_REPORTER_CONFIG_PARAMETER names.
 */
function documentsOfState(module: StateModule, into = new Map<string, unknown[]>()): Map<string, unknown[]> {
  const resources = module.resources ?? [];
  const parameters = new Map(
    resources
      .filter((r) => r.mode === "managed" && r.type === "aws_ssm_parameter")
      .map((r) => [r.values.name, r.values.value]),
  );
  const documents = resources
    .filter((r) => r.mode === "managed" && r.type === "aws_lambda_function")
    .map((r) => {
      const environment = r.values.environment as [{ variables?: Record<string, string> }] | undefined;
      const variables = environment?.[0]?.variables ?? {};
      const inline = variables[CONFIG_ENV];
      return inline ?? parameters.get(variables[CONFIG_PARAMETER_ENV]);
    });
  if (documents.length > 0) into.set(module.address ?? "(root)", documents);
  for (const child of module.child_modules ?? []) documentsOfState(child, into);
  return into;
}

/** Each reporter entry's options checked by its plugin's schema, as report-findings does at cold start. */
function reporterOptionProblems(
  config: Config,
  plugins: Readonly<Record<string, AnyReporterPlugin>>,
): ConfigProblem[] {
  return config.reporters.flatMap((entry, index) => {
    const plugin = plugins[entry.use];
    if (!plugin) return [{ path: `reporters[${index}].use`, reason: `no plugin "${entry.use}" here` }];
    const parsed = plugin.optionsSchema.safeParse(entry.options ?? {});
    return parsed.success ? [] : problemsFromIssues(parsed.error.issues, ["reporters", index, "options"]);
  });
}

describe("the Terraform module's config documents", () => {
  /** PLAN_FILES: the plan's config_document by run. */
  const planned = new Map<string, string>();
  /** examples.tftest.hcl: by run, what the functions of each module instance get, by its address. */
  const applied = new Map<string, Map<string, unknown[]>>();

  beforeAll(async () => {
    await runTerraformTests([...PLAN_FILES, EXAMPLES_FILE], (message) => {
      const run = message["@testrun"];
      if (!run) return;
      const after = message.test_plan?.output_changes?.config_document?.after;
      if (PLAN_FILES.includes(message["@testfile"] ?? "") && typeof after === "string")
        planned.set(run, after);
      const root = message.test_state?.root_module;
      if (message["@testfile"] === EXAMPLES_FILE && root) applied.set(run, documentsOfState(root));
    });
  }, 240_000);

  function documentOf(run: string): unknown {
    const text = planned.get(run);
    expect(text, `the plan of run "${run}" has a config_document output`).toBeTypeOf("string");
    return JSON.parse(text as string);
  }

  it("carries each reporter's notify to the functions, the schema's default where the variable leaves it out", () => {
    const config = parseConfig(documentOf("notify_per_reporter"), "terraform plan (notify)");
    expect(config.reporters.map((r) => [r.use, r.notify])).toEqual([
      ["sns", "always"],
      ["slack", "changes"],
      ["github", "always"],
      ["email", "changes"],
      ["metrics", "always"],
      ["@acme/ecr-reporter-teams", "always"],
      ["@acme/ecr-reporter-jira", "changes"],
    ]);
  });

  it("carries each reporter's only_fixable to the functions as onlyFixable, left out (every finding) where the variable leaves it out", () => {
    const config = parseConfig(documentOf("only_fixable_per_reporter"), "terraform plan (onlyFixable)");
    expect(config.reporters.map((r) => [r.use, r.onlyFixable])).toEqual([
      ["sns", true],
      ["slack", false],
      ["github", true],
      ["email", true],
      ["metrics", undefined],
      ["@acme/ecr-reporter-teams", true],
      ["@acme/ecr-reporter-jira", undefined],
    ]);
  });

  it("carries intel and escalate to the functions: the product's sources by default, a mirror or null (off) when set", () => {
    const byDefault = parseConfig(documentOf("intel_and_escalate_by_default"), "terraform plan (intel)");
    // Left out by the module, so the schema's defaults apply: CISA's KEV feed and FIRST's EPSS API.
    expect(byDefault.intel.kevUrl).toMatch(/^https:\/\/www\.cisa\.gov\/.+\.json$/);
    expect(byDefault.intel.epssUrl).toMatch(/^https:\/\/api\.first\.org\//);
    expect(byDefault.escalate).toEqual({ kev: true, exploitAvailable: false, epssAbove: null });

    const off = parseConfig(documentOf("intel_sources_off"), "terraform plan (intel off)");
    expect(off.intel).toEqual({ kevUrl: null, epssUrl: null });

    const kevMirror = parseConfig(
      documentOf("kev_mirror_epss_off_every_escalation"),
      "terraform plan (KEV mirror)",
    );
    expect(kevMirror.intel).toEqual({
      kevUrl: "https://mirror.acme.example/kev/known_exploited_vulnerabilities.json",
      epssUrl: null,
    });
    expect(kevMirror.escalate).toEqual({ kev: false, exploitAvailable: true, epssAbove: 0.1 });

    const epssMirror = parseConfig(documentOf("epss_mirror_kev_default"), "terraform plan (EPSS mirror)");
    expect(epssMirror.intel).toEqual({
      kevUrl: byDefault.intel.kevUrl,
      epssUrl: "http://epss-mirror.internal:8080/data/v1/epss",
    });
    expect(epssMirror.escalate).toEqual({ kev: true, exploitAvailable: false, epssAbove: 0 });
  });

  it("parses the default plan's document with the core schema", () => {
    const config = parseConfig(documentOf("default_reporters"), "terraform plan (defaults)");

    expect(config.scan.expiry).toEqual({ text: "7d", ms: 7 * 24 * 3600 * 1000 });
    expect(config.scan.maxScansPerRun).toBe(5000);
    expect(config.scan.onlyPulledWithin).toBeUndefined();
    expect(config.repositories).toEqual({});
    expect(config.thresholds).toEqual({
      CRITICAL: 0,
      HIGH: 0,
      MEDIUM: null,
      LOW: null,
      INFORMATIONAL: null,
      UNDEFINED: null,
    });
    expect(config.notifyOnScanFailure).toBe(true);
    expect(config.ignore).toEqual([]);
    expect(config.reporters).toEqual([
      {
        use: "sns",
        // The module leaves `notify` out when the variable does not set it: the schema's default applies.
        notify: "changes",
        options: { topicArn: "arn:aws:sns:eu-west-1:123456789012:ecr-scan-reporter-findings" },
      },
    ]);
    expect(reporterOptionProblems(config, BUILT_IN_PLUGINS)).toEqual([]);
  });

  it("parses the every-reporter plan's document with the core schema", () => {
    const config = parseConfig(documentOf("every_reporter"), "terraform plan (every reporter)");

    expect(config.repositories.include?.source).toBe("^team-");
    expect(config.repositories.exclude?.source).toBe("sandbox");
    expect(config.scan.expiry.text).toBe("3d");
    expect(config.scan.onlyPulledWithin?.text).toBe("90d");
    expect(config.scan.maxScansPerRun).toBe(1000);
    expect(config.thresholds).toMatchObject({ CRITICAL: 0, HIGH: 0, MEDIUM: 10, LOW: null });
    expect(config.notifyOnScanFailure).toBe(false);
    expect(config.escalate).toEqual({ kev: true, exploitAvailable: true, epssAbove: null });
    expect(config.ignore.map((entry) => [entry.id, entry.repositories?.source, entry.until])).toEqual([
      ["CVE-2023-4863", /^legacy\//.source, "2027-01-31"],
      ["GHSA-xxxx-yyyy-zzzz", undefined, undefined],
    ]);
    expect(config.reporters.filter((r) => r.onlyFixable).map((r) => r.use)).toEqual(["slack"]);
    expect(config.reporters.map((r) => [r.use, r.repositories?.source, r.minSeverity])).toEqual([
      ["sns", undefined, undefined],
      ["slack", /^team-a\//.source, "HIGH"],
      ["github", undefined, undefined],
      ["email", undefined, "CRITICAL"],
      ["metrics", undefined, undefined],
      ["@acme/ecr-reporter-teams", /^team-b\//.source, undefined],
      ["@acme/ecr-reporter-jira", undefined, "HIGH"],
    ]);
    const options = Object.fromEntries(config.reporters.map((r) => [r.use, r.options]));
    expect(options.slack).toMatchObject({
      webhookUrl: { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a" },
    });
    expect(options.github).toMatchObject({ token: { parameter: "/ecr-scan-reporter/github-token" } });
    expect(options.email).toMatchObject({
      from: "ECR scans <scans@mail.acme.example>",
      replyTo: ["noreply@acme.example"],
    });
    expect(options["@acme/ecr-reporter-jira"]).toEqual({
      project: "SEC",
      labels: ["ecr"],
      token: { parameter: "/acme/jira-token" },
    });
    // The Jira reporter exists only in this run: every other entry's options pass its plugin's schema.
    expect(reporterOptionProblems(config, EXAMPLE_PLUGINS)).toEqual([
      { path: "reporters[6].use", reason: 'no plugin "@acme/ecr-reporter-jira" here' },
    ]);
  });

  it.each(EXAMPLES.map(({ name, instances }) => [name, instances] as const))(
    "examples/%s: each module instance's document passes the core schema and its reporters' schemas (a bad value in an example fails here)",
    (name, instances) => {
      const run = name.replaceAll("-", "_");
      const documents = applied.get(run);
      expect(documents, `${EXAMPLES_FILE} has a run "${run}" for examples/${name}`).toBeDefined();
      expect(documents?.size, `a document for each of the ${instances} module instance(s)`).toBe(instances);
      for (const [address, functions] of documents ?? []) {
        const [text] = functions;
        expect(new Set(functions).size, `the functions of ${address} all get the same document`).toBe(1);
        expect(text, `the functions of ${address} get a document`).toBeTypeOf("string");
        const config = parseConfig(JSON.parse(text as string), `examples/${name}, ${address}`);
        expect(reporterOptionProblems(config, EXAMPLE_PLUGINS), `examples/${name}, ${address}`).toEqual([]);
      }
    },
  );

  it("reporter options the plan lets through (sns maxFindings 10001, slack maxFindings 41, …) are refused by their reporters' schemas: report-findings stops on them at cold start", () => {
    // The core schema leaves a reporter's options to the reporter: only the plugins' schemas refuse these.
    const config = parseConfig(documentOf("reporter_options_left_to_their_schemas"), "terraform plan");

    const paths = reporterOptionProblems(config, BUILT_IN_PLUGINS).map((problem) => problem.path);
    expect(new Set(paths)).toEqual(
      new Set([
        "reporters[0].options.subjectPrefix",
        "reporters[0].options.maxFindings",
        "reporters[1].options.channelLabel",
        "reporters[1].options.maxFindings",
        "reporters[2].options.owner",
        "reporters[2].options.labels[0]",
        "reporters[3].options.to",
        "reporters[4].options.namespace",
      ]),
    );
  });

  it("regexes only JavaScript reads (lookaround, backreferences), which the plan lets through, are accepted by the core schema", () => {
    const config = parseConfig(documentOf("javascript_only_regex_is_accepted"), "terraform plan");

    expect(config.repositories.include?.test("team-a/api")).toBe(true);
    expect(config.repositories.include?.test("sandbox-team-a/api")).toBe(false);
    expect(config.repositories.exclude?.test("api-api")).toBe(true);
    expect(config.ignore[0]?.repositories?.source).toBe("^(?<=x)legacy");
  });

  it("settings the plan lets through (maxScansPerRun 0, a duration without unit, …) are refused by the core schema: every function stops on them at cold start", () => {
    const document = documentOf("settings_left_to_the_config_schema");

    let error: unknown;
    try {
      parseConfig(document, "terraform plan");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(new Set((error as ConfigError).problems.map((problem) => problem.path))).toEqual(
      new Set([
        "repositories.include",
        "scan.expiry",
        "scan.onlyPulledWithin",
        "scan.maxScansPerRun",
        "thresholds.CRITICAL",
        "thresholds.HIGH",
        "ignore[0].id",
        "ignore[0].until",
      ]),
    );
  });
});
