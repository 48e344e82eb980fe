// `ecr-scan-reporter validate`, run in-process on a machine without AWS: every problem of a document at once, its
// exit codes, custom packages from --reporters, and the secret check said to be skipped without a region.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILT_IN_REPORTER_NAMES } from "@ecr-scan-reporter/built-in-reporters";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configFileOf } from "../src/context.js";
import { isolatedAwsEnvironment } from "./support/aws-env.js";
import { runCli } from "./support/run-cli.js";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:findings";
const BUILT_INS = BUILT_IN_REPORTER_NAMES.join(", ");

let dir: string;
let restore: () => void;
beforeEach(() => {
  ({ restore } = isolatedAwsEnvironment());
  dir = mkdtempSync(join(tmpdir(), "validate-"));
});
afterEach(() => restore());

function writeConfig(document: unknown, name = "ecr-scan-reporter.json"): string {
  const path = join(dir, name);
  writeFileSync(path, typeof document === "string" ? document : JSON.stringify(document, null, 2));
  return path;
}

/** A custom reporter package in a node_modules folder of its own: a plain-JS plugin, no dependency. */
function installCustomReporter(name: string): string {
  const nodeModules = join(dir, "custom", "node_modules");
  const packageDir = join(nodeModules, name);
  mkdirSync(packageDir, { recursive: true });
  writeFileSync(join(packageDir, "package.json"), JSON.stringify({ name, type: "module", main: "index.js" }));
  writeFileSync(
    join(packageDir, "index.js"),
    `export default {
  name: ${JSON.stringify(name)},
  optionsSchema: {
    safeParse: (o) => (o && typeof o.url === "string" ? { success: true, data: o } : { success: false, error: { issues: [{ code: "custom", path: ["url"], message: "a URL is required" }] } }),
  },
  create: () => ({ report: async () => ({ status: "sent" }) }),
};
`,
  );
  return nodeModules;
}

describe("validate: a bad document", () => {
  const bad = () =>
    writeConfig({
      scan: { expiry: "7 days" },
      reporters: [
        { use: "slak" },
        { use: "sns", options: {} },
        {
          use: "github",
          options: { owner: "acme", repo: "images", token: { parameter: "/ecr/github-token" } },
        },
      ],
    });

  it("lists every problem at once (schema, reporter names, options, templates) and exits 2", async () => {
    const missingTemplates = join(dir, "no-templates");
    const { code, stdout, stderr } = await runCli("validate", "-c", bad(), "--templates", missingTemplates);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("4 problem(s):");
    expect(stderr).toContain('  - scan.expiry: "7 days" is not a duration like 7d, 12h or 30m\n');
    expect(stderr).toContain(
      `  - reporters[0].use: "slak" is neither a built-in reporter (${BUILT_INS}) nor an installed reporter package\n`,
    );
    expect(stderr).toContain("  - reporters[1].options.topicArn: required\n");
    expect(stderr).toContain(
      `  - ${missingTemplates}: no such folder (template overrides are laid out like templates/)\n`,
    );
    expect(stderr).toContain(
      "(custom reporter packages were looked for in ./node_modules; --reporters DIR names another folder)\n",
    );
    // The github entry's token could not be asked for: said, not passed over in silence.
    expect(stderr).toContain("not checked: secrets: Region is missing: pass --region or set AWS_REGION");
  });

  it("gives the problems as JSON with --json, still exit 2", async () => {
    const { code, stdout } = await runCli("validate", "-c", bad(), "--json");
    expect(code).toBe(2);
    const result = JSON.parse(stdout);
    expect(result.valid).toBe(false);
    expect(result.problems.map((p: { check: string; path: string }) => `${p.check} ${p.path}`)).toEqual([
      "schema scan.expiry",
      "reporters reporters[0].use",
      "options reporters[1].options.topicArn",
    ]);
    expect(result.secretReferences).toEqual({ found: 1, checked: false });
    expect(result.skipped).toEqual([
      { check: "secrets", why: expect.stringMatching(/^Region is missing: pass --region or set AWS_REGION/) },
    ]);
  });

  it("gives a JSON syntax error as file:line:column", async () => {
    const path = writeConfig('{\n  "reporters": [{ "use": "sns" }]\n  "scan": {}\n}\n', "broken.json");
    const { code, stderr } = await runCli("validate", "-c", path);
    expect(code).toBe(2);
    expect(stderr).toContain(`  - ${path}:3:3: Expected ',' or '}' after the property value, found '"'\n`);
  });

  it("exits 2 when there is no document to validate", async () => {
    const missing = await runCli("validate", "-c", join(dir, "nope.json"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`--config ${join(dir, "nope.json")}: no such file.\n`);
  });
});

describe("validate: a good document", () => {
  it("says what it loaded and exits 0", async () => {
    const path = writeConfig({
      reporters: [{ use: "sns", options: { topicArn: TOPIC } }, { use: "metrics" }],
    });
    const { code, stdout, stderr } = await runCli("validate", "-c", path);
    expect(code).toBe(0);
    expect(stdout).toBe("valid: 2 reporters (sns, metrics)\n");
    expect(stderr).toBe("");
  });

  it("says which checks it skipped without AWS, and still exits 0", async () => {
    const path = writeConfig({
      reporters: [{ use: "github", options: { owner: "acme", repo: "images", token: { parameter: "/gh" } } }],
    });
    const { code, stdout, stderr } = await runCli("validate", "-c", path);
    expect(code).toBe(0);
    expect(stdout).toBe("valid: 1 reporter (github), 1 secret reference NOT checked\n");
    expect(stderr).toMatch(/^not checked: secrets: Region is missing: pass --region or set AWS_REGION/);
  });

  it("loads a custom reporter package from --reporters, and checks its options with its own schema", async () => {
    const nodeModules = installCustomReporter("acme-pager");
    const good = writeConfig({
      reporters: [{ use: "acme-pager", options: { url: "https://pager.example" } }],
    });
    const ok = await runCli("validate", "-c", good, "--reporters", nodeModules);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe("valid: 1 reporter (acme-pager)\n");

    const badOptions = writeConfig({ reporters: [{ use: "acme-pager", options: {} }] }, "bad-options.json");
    const rejected = await runCli("validate", "-c", badOptions, "--reporters", nodeModules);
    expect(rejected.code).toBe(2);
    expect(rejected.stderr).toContain("  - reporters[0].options.url: a URL is required\n");

    // Without --reporters, ./node_modules has no such package.
    const notFound = await runCli("validate", "-c", good);
    expect(notFound.code).toBe(2);
    expect(notFound.stderr).toContain('reporters[0].use: "acme-pager" is neither a built-in reporter');
  });

  it("checks a --templates folder: its overrides counted, a broken one named", async () => {
    const templates = join(dir, "templates");
    mkdirSync(join(templates, "slack"), { recursive: true });
    writeFileSync(join(templates, "slack", "finding.hbs"), "{{title}}");
    const path = writeConfig({ reporters: [{ use: "metrics" }] });
    const ok = await runCli("validate", "-c", path, "--templates", templates);
    expect(ok.stdout).toBe(`valid: 1 reporter (metrics), templates ${templates} (1 overrides)\n`);

    writeFileSync(join(templates, "slack", "header.hbs"), "{{#if x}}");
    const broken = await runCli("validate", "-c", path, "--templates", templates);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(
      / {2}- .*\/slack\/header\.hbs: Parse error on line 1: Expecting .*got 'EOF'\n/,
    );
  });
});

describe("configFileOf", () => {
  it("shows a file in the working folder by its relative name, as an editor's file:line:col wants", () => {
    expect(configFileOf({}, "/work/site")).toEqual({
      path: "/work/site/ecr-scan-reporter.json",
      shown: "ecr-scan-reporter.json",
    });
    expect(configFileOf({ config: "conf/prod.json" }, "/work/site").shown).toBe("conf/prod.json");
    expect(configFileOf({ config: "/etc/ecr.json" }, "/work/site").shown).toBe("/etc/ecr.json");
  });
});
