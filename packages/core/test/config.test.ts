import { readFileSync } from "node:fs";
// The named export: under NodeNext the default import of this CommonJS module types as the module object.
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { ParameterReader } from "../src/config/load.js";
import { loadFresh } from "./support/fresh-modules.js";

// The schema is built while its module loads: each test loads it afresh (support/fresh-modules.ts says why).
let configJsonSchema: typeof import("../src/config.js").configJsonSchema;
let configJsonSchemaText: typeof import("../src/config.js").configJsonSchemaText;
let configSchema: typeof import("../src/config.js").configSchema;
let loadConfigFromEnvironment: typeof import("../src/config.js").loadConfigFromEnvironment;
let parseConfig: typeof import("../src/config.js").parseConfig;
let parseConfigText: typeof import("../src/config.js").parseConfigText;
let problemsFromIssues: typeof import("../src/config.js").problemsFromIssues;
let ConfigError: typeof import("../src/errors.js").ConfigError;
let EcrScanReporterError: typeof import("../src/errors.js").EcrScanReporterError;
type ConfigError = import("../src/errors.js").ConfigError;
type EcrScanReporterError = import("../src/errors.js").EcrScanReporterError;

beforeEach(async () => {
  const [config, errors] = await loadFresh(() =>
    Promise.all([import("../src/config.js"), import("../src/errors.js")]),
  );
  ({
    configJsonSchema,
    configJsonSchemaText,
    configSchema,
    loadConfigFromEnvironment,
    parseConfig,
    parseConfigText,
    problemsFromIssues,
  } = config);
  ({ ConfigError, EcrScanReporterError } = errors);
});

// The documented names of the variables a Lambda reads its configuration from, written out: they are an interface.
const CONFIG_ENV = "ECR_SCAN_REPORTER_CONFIG";
const CONFIG_PARAMETER_ENV = "ECR_SCAN_REPORTER_CONFIG_PARAMETER";

const DAY_MS = 86_400_000;

/** The example document of docs/configuration.md, with a real-looking ARN in place of the "…". */
const DOCUMENTED_EXAMPLE = {
  repositories: { include: "^team-", exclude: "sandbox" },
  scan: { expiry: "7d", onlyPulledWithin: "90d", maxScansPerRun: 5000 },
  thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: null, LOW: null },
  escalate: { kev: true, exploitAvailable: false, epssAbove: 0.5 },
  notifyOnScanFailure: true,
  ignore: [{ id: "CVE-2023-4863", repositories: "^legacy/", until: "2027-01-31", reason: "not reachable" }],
  reporters: [
    { use: "sns", options: { topicArn: "arn:aws:sns:eu-west-1:123456789012:ecr-findings" } },
    {
      use: "slack",
      repositories: "^team-a/",
      minSeverity: "HIGH",
      onlyFixable: true,
      options: { webhookUrl: { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a" } },
    },
    {
      use: "github",
      options: {
        owner: "acme",
        repo: "security",
        labels: ["ecr-scan"],
        token: { parameter: "/ecr-scan-reporter/github-token" },
      },
    },
    { use: "email", options: { from: "scans@acme.example", to: ["sec@acme.example"] } },
    { use: "metrics", options: { namespace: "EcrScanReporter" } },
    {
      use: "@acme/ecr-reporter-teams",
      options: {
        webhookUrl: {
          secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:teams-webhook-AbCdEf",
        },
      },
    },
  ],
};

/** Runs `fn`, expects it to throw a ConfigError, and returns it. */
function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

async function rejectionOf(promise: Promise<unknown>): Promise<EcrScanReporterError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EcrScanReporterError);
    return error as EcrScanReporterError;
  }
  throw new Error("expected a rejection");
}

/** JSON Schema's `uri` format (the intel feeds' URLs), as an editor checks it: a URL with a scheme. */
const isUri = (text: string) => URL.canParse(text);

describe("parseConfig", () => {
  it("reports every mistake of a document at once, each with its exact path", () => {
    const document = {
      repositories: { include: "^team-(" },
      scan: { expiry: "7 days" },
      thresholds: { HIGH: -1 },
      colour: "blue",
      ignore: [{ id: "CVE-2023-4863", reason: "not reachable", until: "31/01/2027" }],
      reporters: [
        { options: { topicArn: "arn:aws:sns:eu-west-1:123456789012:t" } },
        { use: "slack", minSeverity: "high" },
      ],
    };

    const error = configErrorOf(() => parseConfig(document, "test.json"));

    expect(error.code).toBe("CONFIG_INVALID");
    const paths = error.problems.map((p) => p.path);
    expect(new Set(paths)).toEqual(
      new Set([
        "repositories.include",
        "scan.expiry",
        "thresholds.HIGH",
        "colour",
        "ignore[0].until",
        "reporters[0].use",
        "reporters[1].minSeverity",
      ]),
    );
    const reasonOf = (path: string) => error.problems.find((p) => p.path === path)?.reason;
    expect(reasonOf("repositories.include")).toMatch(/^"\^team-\(" is not a valid regular expression/);
    expect(reasonOf("scan.expiry")).toBe('"7 days" is not a duration like 7d, 12h or 30m');
    expect(reasonOf("thresholds.HIGH")).toMatch(/>=\s?0/);
    expect(reasonOf("colour")).toBe("is not a known key (check its spelling)");
    expect(reasonOf("ignore[0].until")).toBe("must be a date like 2027-01-31");
    expect(reasonOf("reporters[0].use")).toBe("required");
    expect(reasonOf("reporters[1].minSeverity")).toContain('"CRITICAL"');

    // One message, naming its source, listing every problem as `path: reason`, no stack trace.
    expect(error.message).toContain("(test.json)");
    expect(error.message).toContain("7 problem(s)");
    expect(error.message).toContain('scan.expiry: "7 days" is not a duration like 7d, 12h or 30m');
    expect(error.message).toContain("reporters[0].use: required");
    for (const problem of error.problems)
      expect(error.message).toContain(`${problem.path}: ${problem.reason}`);
    expect(error.stack).not.toMatch(/\n\s+at /);
  });

  it.each([
    ["a day that does not exist", "2027-02-30"],
    ["a month that does not exist", "2027-13-01"],
    ["a 29 February outside a leap year", "2027-02-29"],
  ])("rejects an ignore `until` with %s", (_name, until) => {
    const error = configErrorOf(() =>
      parseConfig({ ignore: [{ id: "CVE-2023-4863", reason: "r", until }] }, "test"),
    );
    expect(error.problems).toEqual([{ path: "ignore[0].until", reason: "is not a calendar date" }]);
  });

  it.each(["2028-02-29", "2027-12-31", "2027-01-01"])("accepts the calendar date %s as `until`", (until) => {
    const config = parseConfig({ ignore: [{ id: "CVE-2023-4863", reason: "r", until }] }, "test");
    expect(config.ignore[0]?.until).toBe(until);
  });

  it.each([
    ["0d", "zero"],
    ["7", "no unit"],
    ["7w", "an unknown unit"],
    ["1.5d", "a fraction"],
  ])("rejects the duration %s (%s)", (expiry) => {
    const error = configErrorOf(() => parseConfig({ scan: { expiry } }, "test"));
    expect(error.problems).toEqual([
      { path: "scan.expiry", reason: `"${expiry}" is not a duration like 7d, 12h or 30m` },
    ]);
  });

  it("fills the defaults of an empty document", () => {
    const config = parseConfig({}, "test");
    expect(config.scan.expiry).toEqual({ text: "7d", ms: 604_800_000 });
    expect(config.scan.onlyPulledWithin).toBeUndefined();
    expect(config.scan.maxScansPerRun).toBe(5000);
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
    expect(config.reporters).toEqual([]);
    expect(config.repositories.include).toBeUndefined();
    expect(config.repositories.exclude).toBeUndefined();
  });

  it("merges partial thresholds and scan settings with the defaults", () => {
    const config = parseConfig(
      { thresholds: { MEDIUM: 5, HIGH: null }, scan: { onlyPulledWithin: "12h" } },
      "t",
    );
    expect(config.thresholds).toEqual({
      CRITICAL: 0,
      HIGH: null,
      MEDIUM: 5,
      LOW: null,
      INFORMATIONAL: null,
      UNDEFINED: null,
    });
    expect(config.scan.expiry.ms).toBe(7 * DAY_MS);
    expect(config.scan.onlyPulledWithin).toEqual({ text: "12h", ms: 12 * 3_600_000 });
  });

  it("compiles regexes and keeps reporter options as written", () => {
    const config = parseConfig(DOCUMENTED_EXAMPLE, "docs/configuration.md");
    expect(config.repositories.include?.test("team-a/api")).toBe(true);
    expect(config.repositories.include?.test("other/api")).toBe(false);
    expect(config.repositories.exclude?.test("team-sandbox")).toBe(true);
    expect(config.scan.onlyPulledWithin?.ms).toBe(90 * DAY_MS);
    expect(config.ignore[0]?.repositories?.test("legacy/app")).toBe(true);
    expect(config.ignore[0]?.until).toBe("2027-01-31");
    expect(config.reporters.map((r) => r.use)).toEqual([
      "sns",
      "slack",
      "github",
      "email",
      "metrics",
      "@acme/ecr-reporter-teams",
    ]);
    expect(config.reporters[1]?.minSeverity).toBe("HIGH");
    expect(config.reporters[1]?.repositories?.test("team-a/api")).toBe(true);
    expect(config.reporters[2]?.options).toEqual(DOCUMENTED_EXAMPLE.reporters[2]?.options);
  });
});

describe("parseConfig: what a config author reads", () => {
  /** The problems of a document that must be invalid. */
  const problemsOf = (document: unknown) => configErrorOf(() => parseConfig(document, "test")).problems;

  it("quotes a bad regular expression with the engine's reason, whatever the text of the pattern", () => {
    expect(problemsOf({ repositories: { include: "^team-(" } })).toEqual([
      {
        path: "repositories.include",
        reason: '"^team-(" is not a valid regular expression (/^team-(/: Unterminated group)',
      },
    ]);
    // Text in the pattern that looks like zod's "Invalid input: " prefix is the user's and stays.
    expect(problemsOf({ reporters: [{ use: "sns", repositories: "Invalid input: (" }] })).toEqual([
      {
        path: "reporters[0].repositories",
        reason:
          '"Invalid input: (" is not a valid regular expression (/Invalid input: (/: Unterminated group)',
      },
    ]);
  });

  it("says what was expected and what was given for a value of the wrong type, without zod's prefix", () => {
    expect(problemsOf({ notifyOnScanFailure: "yes" })).toEqual([
      { path: "notifyOnScanFailure", reason: "expected boolean, received string" },
    ]);
    expect(problemsOf({ ignore: [{ reason: "r" }] })).toEqual([{ path: "ignore[0].id", reason: "required" }]);
  });

  it("says only that a date is badly written when it does not look like one", () => {
    for (const until of ["31/01/2027", "12027-01-31", "2027-01-311", "2027-1-31", "2027-01-1"]) {
      expect(problemsOf({ ignore: [{ id: "CVE-2023-4863", reason: "r", until }] })).toEqual([
        { path: "ignore[0].until", reason: "must be a date like 2027-01-31" },
      ]);
    }
  });

  it("rejects an ignore entry with an empty id or reason", () => {
    expect(problemsOf({ ignore: [{ id: "", reason: "" }] }).map((p) => p.path)).toEqual([
      "ignore[0].id",
      "ignore[0].reason",
    ]);
  });

  it("bounds maxScansPerRun between 1 and the registry's 100,000", () => {
    expect(problemsOf({ scan: { maxScansPerRun: 0 } }).map((p) => p.path)).toEqual(["scan.maxScansPerRun"]);
    expect(problemsOf({ scan: { maxScansPerRun: 100_001 } }).map((p) => p.path)).toEqual([
      "scan.maxScansPerRun",
    ]);
    expect(parseConfig({ scan: { maxScansPerRun: 1 } }, "test").scan.maxScansPerRun).toBe(1);
    expect(parseConfig({ scan: { maxScansPerRun: 100_000 } }, "test").scan.maxScansPerRun).toBe(100_000);
  });

  it("accepts any non-negative whole threshold, and turns a negative one down", () => {
    expect(parseConfig({ thresholds: { LOW: 250 } }, "test").thresholds.LOW).toBe(250);
    expect(problemsOf({ thresholds: { LOW: -1 } }).map((p) => p.path)).toEqual(["thresholds.LOW"]);
  });

  it("reports its own checks to a zod consumer of configSchema as custom issues with the message", () => {
    const result = configSchema.safeParse({ scan: { expiry: "soon" }, repositories: { exclude: "(" } });
    expect(result.error?.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          code: "custom",
          path: ["scan", "expiry"],
          message: '"soon" is not a duration like 7d, 12h or 30m',
        }),
        expect.objectContaining({ code: "custom", path: ["repositories", "exclude"] }),
      ]),
    );
  });
});

describe("problemsFromIssues", () => {
  // Only zod's own message for a missing value ("Invalid input: expected string, received undefined") is shortened
  // to "required": a reporter's options schema may word its problems as it likes.
  it("keeps a reporter's own words for a missing option, even when they mention what was received", () => {
    const optionsSchema = z
      .strictObject({
        topicArn: z.string({ error: "set topicArn, the SNS topic to publish to (received undefined)" }),
        to: z.array(z.string()).optional(),
      })
      .refine((options) => options.to !== undefined, {
        path: ["to"],
        message: "name the recipients: expected a list of addresses, received undefined",
      });
    const issues = optionsSchema.safeParse({ topicArn: undefined }).error?.issues ?? [];
    expect(problemsFromIssues(issues, ["reporters", 0, "options"])).toEqual([
      {
        path: "reporters[0].options.topicArn",
        reason: "set topicArn, the SNS topic to publish to (received undefined)",
      },
    ]);
    const refined = optionsSchema.safeParse({ topicArn: "arn:aws:sns:eu-west-1:123456789012:t" }).error
      ?.issues;
    expect(problemsFromIssues(refined ?? [])).toEqual([
      { path: "to", reason: "name the recipients: expected a list of addresses, received undefined" },
    ]);
  });
});

describe("parseConfigText", () => {
  it("turns text that is not JSON into a ConfigError", () => {
    const error = configErrorOf(() => parseConfigText('{ "scan": { "expiry": "7d", } ', "config.json"));
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.problems).toHaveLength(1);
    // No path in the document: the place is a line and column of the text, which the message gives as file:line:col.
    expect(error.problems[0]).toEqual({
      path: "",
      reason: "Trailing comma before '}' (JSON allows none: remove it)",
      line: 1,
      column: 27,
    });
    expect(error.message).toContain("(config.json)");
    expect(error.message).toContain("\n  - config.json:1:27: Trailing comma before '}'");
  });

  it("parses valid JSON text", () => {
    expect(parseConfigText(JSON.stringify(DOCUMENTED_EXAMPLE), "x").reporters).toHaveLength(6);
  });
});

describe("loadConfigFromEnvironment", () => {
  const failingReader: ParameterReader = async (name) => {
    throw new Error(`the reader must not be called (asked for ${name})`);
  };

  it("reads ECR_SCAN_REPORTER_CONFIG first", async () => {
    const config = await loadConfigFromEnvironment(
      { [CONFIG_ENV]: JSON.stringify({ scan: { expiry: "3d" } }), [CONFIG_PARAMETER_ENV]: "/ignored" },
      failingReader,
    );
    expect(config.scan.expiry.ms).toBe(3 * DAY_MS);
  });

  it("names ECR_SCAN_REPORTER_CONFIG as the source of a bad inline document", async () => {
    const error = await rejectionOf(
      loadConfigFromEnvironment({ [CONFIG_ENV]: '{"scan":{"expiry":"7 days"}}' }, failingReader),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(`(${CONFIG_ENV})`);
    expect(error.message).toContain('scan.expiry: "7 days" is not a duration like 7d, 12h or 30m');
  });

  it("reads the SSM parameter named by ECR_SCAN_REPORTER_CONFIG_PARAMETER through the injected reader", async () => {
    const asked: string[] = [];
    const config = await loadConfigFromEnvironment(
      { [CONFIG_ENV]: "  ", [CONFIG_PARAMETER_ENV]: "/ecr-scan-reporter/config" },
      async (name) => {
        asked.push(name);
        return JSON.stringify(DOCUMENTED_EXAMPLE);
      },
    );
    expect(asked).toEqual(["/ecr-scan-reporter/config"]);
    expect(config.reporters).toHaveLength(6);
  });

  it("names the parameter as the source of a bad document read from SSM", async () => {
    const error = await rejectionOf(
      loadConfigFromEnvironment({ [CONFIG_PARAMETER_ENV]: "/ecr-scan-reporter/config" }, async () => "{oops"),
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain("SSM parameter /ecr-scan-reporter/config");
  });

  it("says which parameter could not be read and how to fix it when the reader throws", async () => {
    const cause = Object.assign(new Error("Parameter /ecr-scan-reporter/config not found."), {
      name: "ParameterNotFound",
    });
    const error = await rejectionOf(
      loadConfigFromEnvironment({ [CONFIG_PARAMETER_ENV]: "/ecr-scan-reporter/config" }, async () => {
        throw cause;
      }),
    );
    expect(error).not.toBeInstanceOf(ConfigError);
    expect(error.code).toBe("CONFIG_NOT_FOUND");
    expect(error.message).toContain('"/ecr-scan-reporter/config"');
    expect(error.message).toContain(CONFIG_PARAMETER_ENV);
    expect(error.message).toContain("ParameterNotFound");
    expect(error.message).toContain("ssm:GetParameter");
    expect(error.cause).toBe(cause);
  });

  it("names the AWS error under Powertools' GetParameterError", async () => {
    const aws = Object.assign(new Error(""), {
      name: "ParameterNotFound",
      $metadata: { httpStatusCode: 400 },
    });
    const wrapped = Object.assign(new Error("", { cause: aws }), { name: "GetParameterError" });
    const error = await rejectionOf(
      loadConfigFromEnvironment({ [CONFIG_PARAMETER_ENV]: "/ecr-scan-reporter/config" }, async () => {
        throw wrapped;
      }),
    );
    expect(error.message).toContain("named by ECR_SCAN_REPORTER_CONFIG_PARAMETER (ParameterNotFound).");
  });

  it("says so when the parameter is empty", async () => {
    const error = await rejectionOf(
      loadConfigFromEnvironment(
        { [CONFIG_PARAMETER_ENV]: "/ecr-scan-reporter/config" },
        async () => undefined,
      ),
    );
    expect(error.code).toBe("CONFIG_NOT_FOUND");
    expect(error.message).toContain('"/ecr-scan-reporter/config" is empty');
  });

  it("fails with CONFIG_NOT_FOUND naming both variables when neither is set, or both are empty", async () => {
    for (const env of [{}, { [CONFIG_ENV]: "", [CONFIG_PARAMETER_ENV]: "" }]) {
      const error = await rejectionOf(loadConfigFromEnvironment(env, failingReader));
      expect(error.code).toBe("CONFIG_NOT_FOUND");
      expect(error.message).toBe(
        "No configuration: set ECR_SCAN_REPORTER_CONFIG to the JSON document, or ECR_SCAN_REPORTER_CONFIG_PARAMETER to the name of an SSM parameter holding it.",
      );
    }
  });
});

describe("the JSON Schema", () => {
  const committedPath = new URL("../config.schema.json", import.meta.url);

  it("committed in packages/core/config.schema.json is the one generated from the zod schema", () => {
    const committed = readFileSync(committedPath, "utf8");
    expect(
      committed,
      "packages/core/config.schema.json is stale: run `pnpm --filter @ecr-scan-reporter/core schema` and commit it",
    ).toBe(configJsonSchemaText());
  });

  // Compiled once per distinct schema: the fresh modules of each test generate the same one.
  const compiled = new Map<string, ReturnType<Ajv2020["compile"]>>();
  let validate: ReturnType<Ajv2020["compile"]>;
  beforeEach(() => {
    const text = configJsonSchemaText();
    validate =
      compiled.get(text) ??
      new Ajv2020({ allErrors: true, formats: { uri: isUri } }).compile(configJsonSchema());
    compiled.set(text, validate);
  });

  it("accepts the documented example, which the zod schema also parses", () => {
    const valid = validate(DOCUMENTED_EXAMPLE);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(() => parseConfig(DOCUMENTED_EXAMPLE, "docs/configuration.md")).not.toThrow();
  });

  it("accepts an empty document, which the zod schema also parses", () => {
    expect(validate({})).toBe(true);
    expect(() => parseConfig({}, "empty")).not.toThrow();
  });

  it.each([
    ["a duration with a space", { scan: { expiry: "7 days" } }, "scan.expiry"],
    ["an unknown top-level key", { colour: "blue" }, "colour"],
    ["an unknown nested key", { scan: { expiryy: "7d" } }, "scan.expiryy"],
    ["a negative threshold", { thresholds: { HIGH: -1 } }, "thresholds.HIGH"],
    ["a fractional threshold", { thresholds: { CRITICAL: 0.5 } }, "thresholds.CRITICAL"],
    ["a lower-case severity key", { thresholds: { critical: 0 } }, "thresholds.critical"],
    ["a reporter without use", { reporters: [{ options: {} }] }, "reporters[0].use"],
    [
      "a lower-case minSeverity",
      { reporters: [{ use: "sns", minSeverity: "high" }] },
      "reporters[0].minSeverity",
    ],
    [
      "a badly written until",
      { ignore: [{ id: "CVE-1", reason: "r", until: "31/01/2027" }] },
      "ignore[0].until",
    ],
    ["an ignore entry without reason", { ignore: [{ id: "CVE-1" }] }, "ignore[0].reason"],
    ["maxScansPerRun over the registry quota", { scan: { maxScansPerRun: 100_001 } }, "scan.maxScansPerRun"],
    ["notifyOnScanFailure as a string", { notifyOnScanFailure: "yes" }, "notifyOnScanFailure"],
  ])("rejects %s, as the zod schema does", (_name, document, path) => {
    expect(validate(document)).toBe(false);
    const error = configErrorOf(() => parseConfig(document, "test"));
    expect(error.problems.map((p) => p.path)).toContain(path);
  });
});
