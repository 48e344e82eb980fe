// Errors that say what to do, with exit code 2, before any AWS call: no region, an unknown profile, an unknown
// reporter in plan and scan, a configuration that is not JSON; and the placeholder credentials of a local endpoint.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILT_IN_REPORTER_NAMES } from "@ecr-scan-reporter/built-in-reporters";
import { ConfigError } from "@ecr-scan-reporter/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assertKnownReporters } from "../src/commands/plan.js";
import { applyAwsOptions, profileNames, requireRegion } from "../src/context.js";
import { UsageError } from "../src/usage-error.js";
import { isolatedAwsEnvironment } from "./support/aws-env.js";
import { runCli } from "./support/run-cli.js";

const REGION_MISSING =
  "Region is missing: pass --region or set AWS_REGION, or give the profile a region in ~/.aws/config.\n";
// Nothing listens on port 9 (discard): a command that reached AWS would fail with exit 3, not 2.
const NOWHERE = "http://127.0.0.1:9";

let dir: string;
let restore: () => void;
beforeEach(() => {
  ({ restore } = isolatedAwsEnvironment({
    config:
      "[default]\noutput = json\n\n[profile team]\nregion = eu-central-1\n\n[sso-session corp]\nsso_region = eu-west-1\n",
    credentials: "[ci]\naws_access_key_id = AKIAEXAMPLE\n",
  }));
  dir = mkdtempSync(join(tmpdir(), "usage-"));
});
afterEach(() => restore());

function config(document: unknown): string {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof document === "string" ? document : JSON.stringify(document));
  return path;
}

describe("no region", () => {
  it.each([
    ["plan"],
    ["scan"],
    ["report", "team-a/api:v1"],
    ["digest", "--table", "ledger"],
    ["exposure", "CVE-2021-44228", "--table", "ledger"],
  ])("%s exits 2 with what to do, not an SDK error", async (...args) => {
    const { code, stdout, stderr } = await runCli(...args, "--endpoint-url", NOWHERE);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(REGION_MISSING);
  });

  it("says AWS_DEFAULT_REGION is not read by the SDK when that is what was set", async () => {
    process.env.AWS_DEFAULT_REGION = "eu-west-1";
    const { code, stderr } = await runCli("plan", "--endpoint-url", NOWHERE);
    expect(code).toBe(2);
    expect(stderr).toBe(
      "Region is missing: pass --region or set AWS_REGION (AWS_DEFAULT_REGION is read by the AWS CLI only), or give the profile a region in ~/.aws/config.\n",
    );
  });

  it("takes the profile's region from ~/.aws/config, as the SDK does", async () => {
    process.env.AWS_PROFILE = "team";
    await expect(requireRegion()).resolves.toBe("eu-central-1");
  });

  it("is a usage error for a region that is not a region name", async () => {
    const { code, stderr } = await runCli("plan", "--region", "eu west 1", "--endpoint-url", NOWHERE);
    expect(code).toBe(2);
    expect(stderr).toBe('Region "eu west 1" is not a region name like eu-west-1: pass --region.\n');
  });

  it("is reported after the configuration's own problems, which need no AWS to be seen", async () => {
    const { code, stderr } = await runCli("plan", "-c", config("{ nope }"));
    expect(code).toBe(2);
    expect(stderr).toContain(":1:3: Expected a property name in double quotes, found 'nope'");
  });
});

describe("an unknown profile", () => {
  it("is named, from --profile, with the files looked in, exit 2", async () => {
    const { code, stderr } = await runCli("plan", "--profile", "prod", "--region", "eu-west-1");
    expect(code).toBe(2);
    expect(stderr).toBe(
      'The AWS profile "prod" (--profile) is not there: profile "prod" is not in ~/.aws/config or ~/.aws/credentials. Create it (aws configure --profile prod) or name another.\n',
    );
  });

  it("is named from AWS_PROFILE too, and the files AWS_CONFIG_FILE names are the ones looked in", async () => {
    process.env.AWS_PROFILE = "staging";
    process.env.AWS_CONFIG_FILE = join(dir, "aws-config");
    writeFileSync(process.env.AWS_CONFIG_FILE, "[profile other]\n");
    const { code, stderr } = await runCli("validate", "-c", config({}));
    expect(code).toBe(2);
    expect(stderr).toContain(
      `The AWS profile "staging" (AWS_PROFILE) is not there: profile "staging" is not in ${join(dir, "aws-config")} or ~/.aws/credentials.`,
    );
  });

  it("lets a profile of either file through", async () => {
    for (const profile of ["team", "ci", "default"]) {
      const { code, stdout } = await runCli("validate", "-c", config({}), "--profile", profile);
      expect(code, profile).toBe(0);
      expect(stdout).toBe("valid: 0 reporters\n");
    }
  });

  it("lets AWS_PROFILE=default through with no shared files: the chain falls back to the container's role", async () => {
    process.env.AWS_PROFILE = "default";
    process.env.AWS_CONFIG_FILE = join(dir, "no-such-config");
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, "no-such-credentials");
    const { code, stdout } = await runCli("validate", "-c", config({}));
    expect(code).toBe(0);
    expect(stdout).toBe("valid: 0 reporters\n");
  });

  it("reads profile names as the SDK for JavaScript does", () => {
    expect([
      ...profileNames("[default]\n[profile a]\n[b]\n[sso-session s]\n[services x]\n  [ profile c ]", "[d]\n"),
    ]).toEqual(["default", "a", "b", "c", "d"]);
  });
});

describe("an unknown reporter in plan and scan", () => {
  const message = `reporters[1].use: "slak" is neither a built-in reporter (${BUILT_IN_REPORTER_NAMES.join(", ")}) nor a reporter package installed in ./node_modules (--reporters DIR names another folder)`;

  it.each(["plan", "scan"])(
    "%s exits 2 listing the built-in reporters, before any AWS call",
    async (command) => {
      const path = config({ reporters: [{ use: "metrics" }, { use: "slak" }] });
      const { code, stderr } = await runCli(
        command,
        "-c",
        path,
        "--region",
        "eu-west-1",
        "--endpoint-url",
        NOWHERE,
      );
      expect(code).toBe(2);
      expect(stderr).toContain(`\n  - ${message}\n`);
    },
  );

  it("accepts a package installed in the --reporters folder, checked by name only", () => {
    const nodeModules = join(dir, "node_modules");
    mkdirSync(join(nodeModules, "@acme", "pager"), { recursive: true });
    writeFileSync(join(nodeModules, "@acme", "pager", "package.json"), "{}");
    const reporters = [{ use: "sns" }, { use: "@acme/pager" }];
    expect(() => assertKnownReporters({ reporters }, nodeModules)).not.toThrow();
    expect(() => assertKnownReporters({ reporters: [{ use: "@acme/other" }] }, nodeModules)).toThrow(
      ConfigError,
    );
    // A name that is no package name is never looked up on disk.
    expect(() => assertKnownReporters({ reporters: [{ use: "../../etc" }] }, nodeModules)).toThrow(
      /"\.\.\/\.\.\/etc" is neither a built-in reporter/,
    );
  });
});

describe("AWS_ENDPOINT_URL", () => {
  it("on a loopback address gets the placeholder credentials --endpoint-url gets", () => {
    const env: Record<string, string | undefined> = {
      AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
      HOME: process.env.HOME,
    };
    applyAwsOptions({}, env);
    expect(env).toMatchObject({ AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" });

    const flag: Record<string, string | undefined> = { HOME: process.env.HOME };
    applyAwsOptions({ endpointUrl: "http://localhost:4566" }, flag);
    expect(flag).toMatchObject({
      AWS_ENDPOINT_URL: "http://localhost:4566",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    });
  });

  it("keeps real credentials, a profile's, and gives none for a remote endpoint", () => {
    const remote: Record<string, string | undefined> = {
      AWS_ENDPOINT_URL: "https://ecr.example.com",
      HOME: process.env.HOME,
    };
    applyAwsOptions({}, remote);
    expect(remote.AWS_ACCESS_KEY_ID).toBeUndefined();

    const own: Record<string, string | undefined> = {
      AWS_ENDPOINT_URL: "http://[::1]:4566",
      AWS_ACCESS_KEY_ID: "AKIAOWN",
      HOME: process.env.HOME,
    };
    applyAwsOptions({}, own);
    expect(own.AWS_ACCESS_KEY_ID).toBe("AKIAOWN");

    const profile: Record<string, string | undefined> = {
      AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
      HOME: process.env.HOME,
    };
    applyAwsOptions({ profile: "team" }, profile);
    expect(profile.AWS_ACCESS_KEY_ID).toBeUndefined();
  });

  it("that is not an http(s) URL is a usage error naming the variable or the flag", () => {
    expect(() => applyAwsOptions({ endpointUrl: "127.0.0.1:4566" }, {})).toThrow(
      new UsageError('--endpoint-url "127.0.0.1:4566" is not a URL (e.g. http://127.0.0.1:4566).'),
    );
    expect(() =>
      applyAwsOptions({}, { AWS_ENDPOINT_URL: "localhost:4566x", HOME: process.env.HOME }),
    ).toThrow(
      new UsageError('AWS_ENDPOINT_URL "localhost:4566x" is not a URL (e.g. http://127.0.0.1:4566).'),
    );
  });
});

describe("demo --out", () => {
  it("exits 2, deleting nothing, when the folder holds files that are not a previous demo's", async () => {
    const busy = join(dir, "busy");
    mkdirSync(busy);
    writeFileSync(join(busy, "precious.txt"), "mine");
    const { code, stderr } = await runCli("demo", "--out", busy);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `${busy} is not empty and holds no previous demo output; choose another folder with --out.\n`,
    );
    expect(readdirSync(busy)).toEqual(["precious.txt"]);
  });
});
