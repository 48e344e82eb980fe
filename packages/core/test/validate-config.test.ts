import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type AnyReporterPlugin, defineReporter, secretRefSchema } from "../src/reporters/contract.js";
import type { CustomPluginResolver } from "../src/reporters/loader.js";
import type { SecretFetchers } from "../src/reporters/secrets.js";
import { testDeps } from "../src/testing/index.js";
import {
  checkTemplatesFolder,
  unknownReporterProblems,
  validateConfigText,
} from "../src/use-cases/validate-config.js";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:findings";
const sent = async () => ({ status: "sent" as const });

const BUILT_INS = new Map<string, AnyReporterPlugin | (() => Promise<AnyReporterPlugin>)>([
  [
    "sns",
    defineReporter({
      name: "sns",
      optionsSchema: z.strictObject({ topicArn: z.string().startsWith("arn:") }),
      create: () => ({ report: sent }),
    }),
  ],
  // A lazily loaded built-in, as the Lambdas' list gives them.
  [
    "slack",
    async () =>
      defineReporter({
        name: "slack",
        optionsSchema: z.strictObject({ webhookUrl: secretRefSchema }),
        create: () => ({ report: sent }),
      }),
  ],
  [
    "metrics",
    defineReporter({
      name: "metrics",
      optionsSchema: z.object({}).optional(),
      create: () => ({ report: sent }),
    }),
  ],
]);

const PAGER = defineReporter({
  name: "acme-pager",
  optionsSchema: z.strictObject({ routingKey: secretRefSchema }),
  create: () => ({ report: sent }),
});

/** Custom packages: acme-pager is installed, broken-pkg is there but not a plugin, anything else is not installed. */
const resolveCustom: CustomPluginResolver = async (name) => {
  if (name === "acme-pager") return PAGER;
  if (name === "broken-pkg") throw new Error("its module has no default export");
  return undefined;
};

const secretFetchers = (known: Record<string, string>): SecretFetchers => {
  const read = async (id: string) => {
    if (id in known) return known[id];
    throw Object.assign(new Error("not found"), {
      name: "ParameterNotFound",
      $metadata: { httpStatusCode: 400 },
    });
  };
  return { parameter: read, secret: read };
};

const deps = (secrets: Parameters<typeof validateConfigText>[2]["secrets"], templatesDir?: string) => ({
  builtIns: BUILT_INS,
  resolveCustom,
  reporterDeps: testDeps().deps,
  secrets,
  ...(templatesDir === undefined ? {} : { templatesDir }),
});

function templatesFolder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "templates-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe("validateConfigText", () => {
  it("lists every problem of a bad document at once, each with its check and place", async () => {
    const text = JSON.stringify(
      {
        scan: { expiry: "7 days" },
        reporters: [
          { use: "sns", options: { topicArn: TOPIC } },
          { use: "slak", options: {} },
          { use: "sns", options: { topic: TOPIC } },
          { use: "acme-pager", options: { routingKey: { parameter: "/pager/key" } } },
          { use: "broken-pkg" },
          { use: "slack", minSeverity: "SEVERE", options: { webhookUrl: { parameter: "/slack/url" } } },
        ],
      },
      null,
      2,
    );
    const templates = templatesFolder({ "slack/finding.hbs": "{{#if x}}never closed" });
    const result = await validateConfigText(
      text,
      "ecr.json",
      deps({ fetchers: secretFetchers({}) }, templates),
    );

    expect(result.valid).toBe(false);
    expect(result.problems.map(({ check, path }) => `${check} ${path}`)).toEqual([
      "schema scan.expiry",
      "schema reporters[5].minSeverity",
      "reporters reporters[1].use",
      "options reporters[2].options.topicArn",
      "options reporters[2].options.topic",
      "reporters reporters[4].use",
      "secrets reporters[3].options.routingKey",
      `templates ${templates}/slack/finding.hbs`,
    ]);
    const reason = (path: string) => result.problems.find((p) => p.path === path)?.reason;
    expect(reason("reporters[1].use")).toBe(
      '"slak" is neither a built-in reporter (sns, slack, metrics) nor an installed reporter package',
    );
    expect(reason("reporters[4].use")).toContain("its module has no default export");
    expect(reason("reporters[3].options.routingKey")).toBe(
      "ssm:/pager/key: ParameterNotFound — it does not exist in this account and region",
    );
    expect(reason(`${templates}/slack/finding.hbs`)).toMatch(
      /^Parse error on line 1: Expecting .*got 'EOF'$/,
    );
    // The entry the schema rejects (minSeverity) is not loaded, nor are its secrets asked for.
    expect(result.secretReferences).toEqual({ found: 1, checked: true });
    // The functions load all reporters or none: with a reporter problem, none is listed as loaded.
    expect(result.reporters).toEqual([]);
  });

  it("is valid, with the reporters it loaded and the secrets it resolved, for a good document", async () => {
    const text = JSON.stringify({
      reporters: [
        { use: "sns", options: { topicArn: TOPIC } },
        { use: "sns", options: { topicArn: `${TOPIC}-2` } },
        { use: "slack", options: { webhookUrl: { parameter: "/slack/url" } } },
        { use: "acme-pager", options: { routingKey: { parameter: "/pager/key" } } },
      ],
    });
    const templates = templatesFolder({
      "slack/finding.hbs": "{{title}}",
      "email/partials/x.hbs": "{{> y}}",
    });
    const result = await validateConfigText(
      text,
      "ecr.json",
      deps(
        { fetchers: secretFetchers({ "/slack/url": "https://hooks.example/x", "/pager/key": "k" }) },
        templates,
      ),
    );
    expect(result).toEqual({
      source: "ecr.json",
      valid: true,
      problems: [],
      reporters: [
        { id: "sns", use: "sns" },
        { id: "sns#2", use: "sns" },
        { id: "slack", use: "slack" },
        { id: "acme-pager", use: "acme-pager" },
      ],
      secretReferences: { found: 2, checked: true },
      templates: { dir: templates, overrides: 2 },
      skipped: [],
    });
  });

  it("skips the secret check with the reason it is given (no AWS), and says so, without failing", async () => {
    const text = JSON.stringify({
      reporters: [{ use: "slack", options: { webhookUrl: { parameter: "/s" } } }],
    });
    const result = await validateConfigText(text, "ecr.json", deps({ skip: "no AWS region" }));
    expect(result.valid).toBe(true);
    expect(result.secretReferences).toEqual({ found: 1, checked: false });
    expect(result.skipped).toEqual([{ check: "secrets", why: "no AWS region" }]);
  });

  it("marks the secrets unchecked when AWS cannot be asked (no credentials)", async () => {
    const text = JSON.stringify({
      reporters: [{ use: "slack", options: { webhookUrl: { parameter: "/s" } } }],
    });
    const noCredentials = async () => {
      throw Object.assign(new Error("x"), { name: "CredentialsProviderError" });
    };
    const result = await validateConfigText(
      text,
      "ecr.json",
      deps({ fetchers: { parameter: noCredentials, secret: noCredentials } }),
    );
    expect(result.valid).toBe(true);
    expect(result.secretReferences).toEqual({ found: 1, checked: false });
    expect(result.skipped).toEqual([{ check: "secrets", why: "no AWS credentials" }]);
  });

  it("gives a JSON syntax error its line and column, and says the rest could not be checked", async () => {
    const result = await validateConfigText(
      '{\n  "reporters": [\n    { "use": "sns" }\n  ]\n  "scan": {}\n}',
      "x.json",
      deps({ skip: "-" }),
    );
    expect(result.problems).toEqual([
      {
        check: "json",
        path: "",
        reason: "Expected ',' or '}' after the property value, found '\"'",
        line: 5,
        column: 3,
      },
    ]);
    expect(result.skipped).toEqual([{ check: "reporters", why: "the document is not JSON" }]);
  });
});

describe("unknownReporterProblems", () => {
  it("names each entry that is neither built in nor installed, with the built-in names and where packages were looked for", () => {
    const installed = (name: string) => name === "acme-pager";
    expect(
      unknownReporterProblems(
        [{ use: "sns" }, { use: "slak" }, { use: "acme-pager" }, { use: "@acme/other" }],
        ["sns", "slack"],
        installed,
        "./node_modules",
      ),
    ).toEqual([
      {
        path: "reporters[1].use",
        reason:
          '"slak" is neither a built-in reporter (sns, slack) nor a reporter package installed in ./node_modules',
      },
      {
        path: "reporters[3].use",
        reason:
          '"@acme/other" is neither a built-in reporter (sns, slack) nor a reporter package installed in ./node_modules',
      },
    ]);
  });
});

describe("checkTemplatesFolder", () => {
  it("is a problem when the folder is missing, a file, or holds no template", () => {
    const missing = join(tmpdir(), "no-such-templates-folder");
    expect(checkTemplatesFolder(missing).problems).toEqual([
      { path: missing, reason: "no such folder (template overrides are laid out like templates/)" },
    ]);
    const file = join(templatesFolder({ "a.txt": "x" }), "a.txt");
    expect(checkTemplatesFolder(file).problems).toEqual([{ path: file, reason: "is not a folder" }]);
    const empty = templatesFolder({ "README.md": "no templates here" });
    expect(checkTemplatesFolder(empty).problems[0]?.reason).toMatch(/^holds no \.hbs template/);
  });

  it("counts the overrides of a good folder", () => {
    expect(checkTemplatesFolder(templatesFolder({ "slack/a.hbs": "{{x}}", "github/b.hbs": "" }))).toEqual({
      problems: [],
      overrides: 2,
    });
  });
});
