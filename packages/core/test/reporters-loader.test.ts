import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { parseConfig } from "../src/config/load.js";
import type { ReporterEntry } from "../src/config/schema.js";
import { ConfigError } from "../src/errors.js";
import {
  type AnyReporterPlugin,
  defineReporter,
  REPORTER_CONTRACT_VERSION,
  type Reporter,
  type ReporterPlugin,
  secretRefSchema,
} from "../src/reporters/contract.js";
import {
  type CustomPluginResolver,
  type LoadedReporter,
  loadReporters,
  reporterIds,
  reporterPluginProblem,
  verifyReporters,
} from "../src/reporters/loader.js";
import { testDeps } from "../src/testing/index.js";

const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:ecr-findings";
const SLACK_A = { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a" };
const SLACK_B = { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-b" };

/** A fake reporter whose create() records what it was given. */
function fakePlugin<O>(name: string, optionsSchema: z.ZodType<O>, extra: Partial<ReporterPlugin<O>> = {}) {
  const created: { options: O; reporter: Reporter }[] = [];
  const plugin = defineReporter<O>({
    name,
    optionsSchema,
    create(options) {
      const reporter: Reporter = { report: async () => ({ status: "sent", ref: `${name}-ref` }) };
      created.push({ options, reporter });
      return reporter;
    },
    ...extra,
  });
  return { plugin, created };
}

function builtIns() {
  const sns = fakePlugin(
    "sns",
    z.strictObject({
      topicArn: z.string().regex(/^arn:aws:sns:/, { message: "must be an SNS topic ARN" }),
      subjectPrefix: z.string().default("[ECR]"),
    }),
  );
  const slack = fakePlugin(
    "slack",
    z.strictObject({ webhookUrl: secretRefSchema, channel: z.string().optional() }),
  );
  const metrics = fakePlugin(
    "metrics",
    z.strictObject({ namespace: z.string().default("EcrScanReporter") }),
    { receives: "all" },
  );
  const map = new Map<string, AnyReporterPlugin>([
    ["sns", sns.plugin],
    ["slack", slack.plugin],
    ["metrics", metrics.plugin],
  ]);
  return { map, sns, slack, metrics };
}

/** Reporter entries as the Lambdas get them: through the real config schema. */
function entriesOf(reporters: unknown[]): ReporterEntry[] {
  return parseConfig({ reporters }, "test").reporters;
}

/** Runs `promise`, expects a ConfigError, and returns it. */
async function configErrorOf(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

function problemLines(error: ConfigError): string[] {
  return error.problems.map((p) => `${p.path}: ${p.reason}`);
}

describe("reporterIds", () => {
  it("numbers the second and later uses of the same reporter, leaving the first plain", () => {
    expect(reporterIds([{ use: "slack" }, { use: "sns" }, { use: "slack" }, { use: "slack" }])).toEqual([
      "slack",
      "sns",
      "slack#2",
      "slack#3",
    ]);
  });

  it("gives every entry its own id when no reporter repeats", () => {
    expect(reporterIds([{ use: "sns" }, { use: "@acme/ecr-reporter-teams" }])).toEqual([
      "sns",
      "@acme/ecr-reporter-teams",
    ]);
  });
});

describe("loadReporters", () => {
  it("creates every entry with its parsed options and gives a repeated reporter a numbered id", async () => {
    const { map, sns, slack, metrics } = builtIns();
    const { deps } = testDeps();
    const entries = entriesOf([
      { use: "sns", options: { topicArn: TOPIC_ARN } },
      { use: "slack", options: { webhookUrl: SLACK_A } },
      { use: "slack", repositories: "^team-b/", minSeverity: "HIGH", options: { webhookUrl: SLACK_B } },
      { use: "metrics" },
    ]);

    const loaded = await loadReporters(entries, map, deps);

    expect(loaded.map((r) => r.id)).toEqual(["sns", "slack", "slack#2", "metrics"]);
    expect(loaded.map((r) => r.plugin)).toEqual([sns.plugin, slack.plugin, slack.plugin, metrics.plugin]);
    // Options are the schema's output (defaults filled), not the raw entry.
    expect(sns.created.map((c) => c.options)).toEqual([{ topicArn: TOPIC_ARN, subjectPrefix: "[ECR]" }]);
    expect(slack.created.map((c) => c.options)).toEqual([{ webhookUrl: SLACK_A }, { webhookUrl: SLACK_B }]);
    expect(metrics.created.map((c) => c.options)).toEqual([{ namespace: "EcrScanReporter" }]);
    // Each loaded reporter is the object its plugin's create() returned, for its own entry.
    expect(loaded[1]?.reporter).toBe(slack.created[0]?.reporter);
    expect(loaded[2]?.reporter).toBe(slack.created[1]?.reporter);
    expect(loaded[2]?.entry).toBe(entries[2]);
    expect(loaded[2]?.entry.repositories).toBeInstanceOf(RegExp);
    expect(loaded[2]?.entry.minSeverity).toBe("HIGH");
  });

  it("hands create() the deps it was given", async () => {
    const create = vi.fn(() => ({ report: async () => ({ status: "sent" as const }) }));
    const plugin = defineReporter({ name: "sns", optionsSchema: z.object({}), create });
    const { deps } = testDeps();

    await loadReporters(entriesOf([{ use: "sns" }]), new Map([["sns", plugin]]), deps);

    expect(create).toHaveBeenCalledTimes(1);
    expect(create).toHaveBeenCalledWith({}, deps);
  });

  it("returns an empty list for a configuration without reporters", async () => {
    const { map } = builtIns();
    await expect(loadReporters(entriesOf([]), map, testDeps().deps)).resolves.toEqual([]);
  });

  it("gathers every entry's problems into one ConfigError, each as reporters[i].options.key: reason", async () => {
    const { map, sns } = builtIns();
    const entries = entriesOf([
      { use: "sns", options: { topicArn: TOPIC_ARN, subjectPrefx: "x" } },
      { use: "slack", options: { webhookUrl: { secretArn: "not-an-arn" } } },
      { use: "sns", options: {} },
      { use: "teams" },
      { use: "metrics" },
    ]);

    const error = await configErrorOf(loadReporters(entries, map, testDeps().deps));

    const lines = problemLines(error);
    expect(lines).toContain("reporters[2].options.topicArn: required");
    expect(lines).toContain("reporters[0].options.subjectPrefx: is not a known key (check its spelling)");
    expect(lines.some((l) => l.startsWith("reporters[1].options.webhookUrl"))).toBe(true);
    expect(lines.some((l) => l.startsWith("reporters[3].use: "))).toBe(true);
    // The valid entry (metrics) adds no problem, and nothing is reported twice.
    expect(lines.some((l) => l.startsWith("reporters[4]"))).toBe(false);
    expect(error.problems).toHaveLength(4);
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.message).toContain("(reporters), 4 problem(s)");
    expect(error.message).toContain("  - reporters[2].options.topicArn: required");
    // An entry whose options were rejected is never created.
    expect(sns.created).toHaveLength(0);
  });

  it("reports a wrong option value with the plugin's own message", async () => {
    const { map } = builtIns();
    const error = await configErrorOf(
      loadReporters(
        entriesOf([{ use: "sns", options: { topicArn: "arn:aws:sqs:eu-west-1:1:q" } }]),
        map,
        testDeps().deps,
      ),
    );
    expect(problemLines(error)).toEqual(["reporters[0].options.topicArn: must be an SNS topic ARN"]);
  });

  it("validates a missing options object as {} so required options are named", async () => {
    const { map } = builtIns();
    const error = await configErrorOf(loadReporters(entriesOf([{ use: "sns" }]), map, testDeps().deps));
    expect(problemLines(error)).toEqual(["reporters[0].options.topicArn: required"]);
  });

  it("names the built-in reporters when a `use` is unknown and there is no custom resolver", async () => {
    const { map } = builtIns();
    const error = await configErrorOf(
      loadReporters(entriesOf([{ use: "metrics" }, { use: "teams" }]), map, testDeps().deps),
    );
    expect(error.problems).toEqual([
      {
        path: "reporters[1].use",
        reason:
          '"teams" is neither a built-in reporter (sns, slack, metrics) nor an installed reporter package',
      },
    ]);
  });

  it("says the same when the custom resolver finds no package", async () => {
    const { map } = builtIns();
    const resolve = vi.fn<CustomPluginResolver>(async () => undefined);
    const error = await configErrorOf(
      loadReporters(entriesOf([{ use: "@acme/missing" }]), map, testDeps().deps, resolve),
    );
    expect(resolve).toHaveBeenCalledWith("@acme/missing");
    expect(error.problems[0]?.path).toBe("reporters[0].use");
    expect(error.problems[0]?.reason).toContain('"@acme/missing" is neither a built-in reporter (sns, slack');
  });

  it("loads a package the custom resolver returns, validating its options, and never asks it for built-ins", async () => {
    const { map } = builtIns();
    const teams = fakePlugin("teams", z.strictObject({ webhookUrl: secretRefSchema }));
    const resolve = vi.fn<CustomPluginResolver>(async (name) =>
      name === "@acme/ecr-reporter-teams" ? teams.plugin : undefined,
    );
    const entries = entriesOf([
      { use: "sns", options: { topicArn: TOPIC_ARN } },
      { use: "@acme/ecr-reporter-teams", options: { webhookUrl: SLACK_A } },
      { use: "@acme/ecr-reporter-teams", options: { webhookUrl: SLACK_B } },
    ]);

    const loaded = await loadReporters(entries, map, testDeps().deps, resolve);

    expect(loaded.map((r) => r.id)).toEqual([
      "sns",
      "@acme/ecr-reporter-teams",
      "@acme/ecr-reporter-teams#2",
    ]);
    expect(loaded[1]?.plugin).toBe(teams.plugin);
    expect(teams.created.map((c) => c.options)).toEqual([{ webhookUrl: SLACK_A }, { webhookUrl: SLACK_B }]);
    expect(resolve.mock.calls.map(([name]) => name)).not.toContain("sns");
  });

  it("rejects a custom module that is not a reporter plugin, saying what is missing", async () => {
    const { map } = builtIns();
    const notAPlugin = { name: "teams", send: () => undefined };
    const resolve: CustomPluginResolver = async () => notAPlugin as unknown as AnyReporterPlugin;

    const error = await configErrorOf(
      loadReporters(entriesOf([{ use: "@acme/not-a-plugin" }]), map, testDeps().deps, resolve),
    );

    const expected = reporterPluginProblem(notAPlugin);
    expect(expected).toBe(
      "its default export is not a reporter plugin: missing optionsSchema (a zod schema), create (a function)",
    );
    expect(error.problems).toEqual([
      { path: "reporters[0].use", reason: `"@acme/not-a-plugin": ${expected}` },
    ]);
  });

  it("reports a resolver that throws as 'could not be loaded', with the error", async () => {
    const { map } = builtIns();
    const resolve: CustomPluginResolver = async (name) => {
      throw new Error(`Cannot find package '${name}' imported from /var/task/index.mjs`);
    };

    const error = await configErrorOf(
      loadReporters(
        entriesOf([{ use: "@acme/broken" }, { use: "sns", options: {} }]),
        map,
        testDeps().deps,
        resolve,
      ),
    );

    expect(problemLines(error)).toEqual([
      "reporters[0].use: \"@acme/broken\" could not be loaded: Error: Cannot find package '@acme/broken' imported from /var/task/index.mjs",
      "reporters[1].options.topicArn: required",
    ]);
  });

  it("refuses a plugin written for a newer contract version, telling the user to upgrade", async () => {
    const future = fakePlugin("future", z.object({}), { contractVersion: REPORTER_CONTRACT_VERSION + 1 });
    const error = await configErrorOf(
      loadReporters(
        entriesOf([{ use: "@acme/future" }]),
        new Map(),
        testDeps().deps,
        async () => future.plugin,
      ),
    );
    expect(error.problems).toEqual([
      {
        path: "reporters[0].use",
        reason: `"@acme/future": it needs reporter contract v${REPORTER_CONTRACT_VERSION + 1}, this release implements v${REPORTER_CONTRACT_VERSION}: upgrade ecr-scan-reporter`,
      },
    ]);
    expect(future.created).toHaveLength(0);
  });

  it("accepts a plugin written for the current contract version", async () => {
    const current = fakePlugin("current", z.object({}), { contractVersion: REPORTER_CONTRACT_VERSION });
    const loaded = await loadReporters(
      entriesOf([{ use: "@acme/current" }]),
      new Map(),
      testDeps().deps,
      async () => current.plugin,
    );
    expect(loaded.map((r) => r.id)).toEqual(["@acme/current"]);
  });

  it("reports a create() that throws as a problem of that entry, alongside the others", async () => {
    const { map } = builtIns();
    const exploding = defineReporter({
      name: "exploding",
      optionsSchema: z.object({}),
      create: () => {
        throw new TypeError("region is not set");
      },
    });
    map.set("exploding", exploding);

    const error = await configErrorOf(
      loadReporters(
        entriesOf([{ use: "metrics" }, { use: "exploding" }, { use: "sns" }]),
        map,
        testDeps().deps,
      ),
    );

    expect(problemLines(error)).toEqual([
      'reporters[1]: "exploding" could not be created: TypeError: region is not set',
      "reporters[2].options.topicArn: required",
    ]);
  });
});

describe("reporterPluginProblem", () => {
  it("accepts a complete plugin", () => {
    expect(reporterPluginProblem(builtIns().sns.plugin)).toBeUndefined();
  });

  it.each([
    { what: "null", candidate: null, expected: "its default export is not a reporter plugin object" },
    { what: "a string", candidate: "slack", expected: "its default export is not a reporter plugin object" },
    {
      what: "an empty object",
      candidate: {},
      expected:
        "its default export is not a reporter plugin: missing name (a string), optionsSchema (a zod schema), create (a function)",
    },
    {
      what: "an empty name",
      candidate: { name: "", optionsSchema: z.object({}), create: () => ({}) },
      expected: "its default export is not a reporter plugin: missing name (a string)",
    },
    {
      what: "a schema that is not zod",
      candidate: { name: "x", optionsSchema: { parse: () => ({}) }, create: () => ({}) },
      expected: "its default export is not a reporter plugin: missing optionsSchema (a zod schema)",
    },
  ])("explains what is wrong with $what", ({ candidate, expected }) => {
    expect(reporterPluginProblem(candidate)).toBe(expected);
  });
});

describe("verifyReporters", () => {
  function loadedWith(id: string, reporter: Reporter): LoadedReporter {
    return {
      id,
      plugin: builtIns().sns.plugin,
      entry: { use: id.split("#")[0] ?? id, notify: "changes" },
      options: {},
      reporter,
    };
  }

  it("runs every verify() once and returns the failures by id, without throwing", async () => {
    const okVerify = vi.fn(async () => undefined);
    const badVerify = vi.fn(async () => {
      throw new Error("secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-b not found");
    });
    const report = async () => ({ status: "sent" as const });
    const reporters = [
      loadedWith("slack", { verify: okVerify, report }),
      loadedWith("slack#2", { verify: badVerify, report }),
      loadedWith("metrics", { report }),
    ];

    const failures = await verifyReporters(reporters);

    expect(failures).toEqual([
      {
        reporter: "slack#2",
        error: "Error: secret arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-b not found",
      },
    ]);
    expect(okVerify).toHaveBeenCalledTimes(1);
    expect(badVerify).toHaveBeenCalledTimes(1);
  });

  it("returns an empty list when every reporter verifies", async () => {
    const report = async () => ({ status: "sent" as const });
    await expect(
      verifyReporters([loadedWith("sns", { verify: async () => undefined, report })]),
    ).resolves.toEqual([]);
  });

  it("counts a verify() that throws synchronously as that reporter's failure, not the whole check's", async () => {
    const report = async () => ({ status: "sent" as const });
    const later = vi.fn(async () => undefined);
    const reporters = [
      loadedWith("github", {
        // A plugin written in plain JS may forget `async`.
        verify: (() => {
          throw new Error("token missing");
        }) as () => Promise<void>,
        report,
      }),
      loadedWith("sns", { verify: later, report }),
    ];

    await expect(verifyReporters(reporters)).resolves.toEqual([
      { reporter: "github", error: "Error: token missing" },
    ]);
    expect(later).toHaveBeenCalledTimes(1);
  });

  it("keeps `this` for a verify() written as a method", async () => {
    class TopicReporter implements Reporter {
      readonly topic = "ecr-findings";
      async verify() {
        if (this?.topic !== "ecr-findings") throw new Error("lost this");
      }
      async report() {
        return { status: "sent" as const };
      }
    }
    await expect(verifyReporters([loadedWith("sns", new TopicReporter())])).resolves.toEqual([]);
  });
});
