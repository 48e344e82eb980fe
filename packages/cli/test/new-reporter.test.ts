import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  coreSourceOf,
  newReporterCommand,
  packageNameFromFolder,
  packageNameProblem,
} from "../src/commands/new-reporter.js";
import {
  layerZipNameOf,
  reporterPackageFiles,
  TEMPLATE_VERSIONS,
} from "../src/commands/new-reporter-template.js";
import { shellQuote, thisCliCommand } from "../src/commands/sandbox-hints.js";
import { UsageError } from "../src/usage-error.js";
import { runCli } from "./support/run-cli.js";

const workspace = join(import.meta.dirname, "..", "..", "..");

let tmp: string;
/** A stand-in for the packed core: new-reporter copies it, never reads it. */
let coreTarball: string;

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), "new-reporter-"));
  coreTarball = join(tmp, "ecr-scan-reporter-core-0.1.0.tgz");
  writeFileSync(coreTarball, "not really a tarball");
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8"));

/** newReporterCommand called directly, with what it prints to stdout kept out of the test output. */
async function newReporter(...args: Parameters<typeof newReporterCommand>): Promise<number> {
  const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    return await newReporterCommand(...args);
  } finally {
    out.mockRestore();
  }
}

describe("new-reporter writes a reporter package", () => {
  it("with every file, the core tarball in vendor/ and package.json wired to it", async () => {
    const dir = join(tmp, "my-reporter");

    const run = await runCli("new-reporter", dir, "--core", `file:${coreTarball}`);

    expect(run.code).toBe(0);
    const expected = [
      ".gitignore",
      "README.md",
      "demo.json",
      "package.json",
      "pnpm-workspace.yaml",
      "scripts/build-layer.mjs",
      "src/index.ts",
      "test/reporter.test.ts",
      "tsconfig.json",
      "vendor/ecr-scan-reporter-core-0.1.0.tgz",
    ];
    expect(readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length).toBe(
      expected.length,
    );
    for (const file of expected) expect(existsSync(join(dir, file)), file).toBe(true);
    expect(readFileSync(join(dir, "vendor", "ecr-scan-reporter-core-0.1.0.tgz"), "utf8")).toBe(
      "not really a tarball",
    );

    const manifest = readJson(join(dir, "package.json"));
    expect(manifest).toMatchObject({
      name: "my-reporter",
      type: "module",
      scripts: { test: "vitest run", build: "node scripts/build-layer.mjs" },
      dependencies: {
        "@ecr-scan-reporter/core": "file:vendor/ecr-scan-reporter-core-0.1.0.tgz",
        zod: TEMPLATE_VERSIONS.zod,
      },
      devDependencies: {
        esbuild: TEMPLATE_VERSIONS.esbuild,
        fflate: TEMPLATE_VERSIONS.fflate,
        vitest: TEMPLATE_VERSIONS.vitest,
        vite: TEMPLATE_VERSIONS.vite,
      },
      allowScripts: { esbuild: true },
    });
    expect(readFileSync(join(dir, "pnpm-workspace.yaml"), "utf8")).toMatch(
      /^allowBuilds:\n {2}esbuild: true$/m,
    );
    expect(readJson(join(dir, "demo.json")).reporters[0].use).toBe("my-reporter");
    expect(readFileSync(join(dir, "src", "index.ts"), "utf8")).toContain('name: "my-reporter"');
    expect(run.stdout).toContain(`(cd ${dir} && npm install && npm test && npm run build)`);
    // The CLI named the way that works where the command ran (here the workspace), never a registry lookup.
    expect(run.stdout).toContain(
      `  pnpm exec ecr-scan-reporter demo --config ${dir}/demo.json --reporters ${dir}/dist/layer/nodejs/node_modules`,
    );
    expect(thisCliCommand(tmp)).toMatch(/^node .*bin\/ecr-scan-reporter\.mjs'?$/);
  });

  it("takes the core tarball that comes with the CLI when --core is not given", async () => {
    const dir = join(tmp, "reporter");

    await newReporter(dir, {}, { cwd: tmp, bundledCore: () => coreTarball });

    expect(readJson(join(dir, "package.json")).dependencies["@ecr-scan-reporter/core"]).toBe(
      "file:vendor/ecr-scan-reporter-core-0.1.0.tgz",
    );
    expect(existsSync(join(dir, "vendor", "ecr-scan-reporter-core-0.1.0.tgz"))).toBe(true);
  });

  it("names the package --name, with the plugin and the layer zip named after it", async () => {
    const dir = join(tmp, "anything");

    const run = await runCli("new-reporter", dir, "--name", "@acme/ecr-reporter-hooks", "--core", "^0.1.0");

    expect(run.code).toBe(0);
    const manifest = readJson(join(dir, "package.json"));
    expect(manifest.name).toBe("@acme/ecr-reporter-hooks");
    // A registry spec is written as given, and nothing is vendored.
    expect(manifest.dependencies["@ecr-scan-reporter/core"]).toBe("^0.1.0");
    expect(existsSync(join(dir, "vendor"))).toBe(false);
    expect(readFileSync(join(dir, "src", "index.ts"), "utf8")).toContain('name: "ecr-reporter-hooks"');
    expect(readFileSync(join(dir, "README.md"), "utf8")).toContain("dist/acme-ecr-reporter-hooks-layer.zip");
  });

  it("writes into an existing empty folder", async () => {
    const dir = join(tmp, "empty");
    mkdirSync(dir);

    const run = await runCli("new-reporter", dir, "--core", `file:${coreTarball}`);

    expect(run.code).toBe(0);
    expect(existsSync(join(dir, "src", "index.ts"))).toBe(true);
  });

  it("makes a package name of the folder's name", async () => {
    const dir = join(tmp, "My Webhook Reporter");

    await newReporter(dir, { core: "^0.1.0" }, { cwd: tmp, bundledCore: () => undefined });

    expect(readJson(join(dir, "package.json")).name).toBe("my-webhook-reporter");
  });
});

describe("new-reporter refuses, with exit code 2 and nothing written", () => {
  it("a folder that is not empty", async () => {
    const dir = join(tmp, "taken");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");

    const run = await runCli("new-reporter", dir, "--core", `file:${coreTarball}`);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is not empty: new-reporter writes into a new or empty folder only");
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
  });

  it("a path that is a file", async () => {
    const run = await runCli("new-reporter", coreTarball, "--core", "^0.1.0");

    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is a file: name a new or empty folder");
  });

  it("a --name that is no npm package name", async () => {
    const dir = join(tmp, "bad-name");

    const run = await runCli("new-reporter", dir, "--name", "My Reporter", "--core", "^0.1.0");

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--name: "My Reporter" is not an npm package name');
    expect(existsSync(dir)).toBe(false);
  });

  it("a --core file that does not exist", async () => {
    const dir = join(tmp, "no-core");
    const missing = join(tmp, "missing.tgz");

    const run = await runCli("new-reporter", dir, "--core", `file:${missing}`);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--core file:${missing}: ${missing} does not exist.`);
    expect(existsSync(dir)).toBe(false);
  });

  it("no --core when no core tarball comes with the CLI, saying what to pass", async () => {
    const dir = join(tmp, "workspace-run");

    const run = newReporter(dir, {}, { cwd: tmp, bundledCore: () => undefined });

    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(
      "pass --core, e.g. --core file:/path/to/ecr-scan-reporter-core-0.1.0.tgz (made by `pnpm --filter @ecr-scan-reporter/core pack`) or, once core is published, --core ^0.1.0.",
    );
    expect(existsSync(dir)).toBe(false);
  });
});

describe("package names", () => {
  it.each([["my-reporter"], ["@acme/ecr-reporter-teams"], ["reporter.v2_x"], ["a".repeat(214)]])(
    "accepts %s",
    (name) => {
      expect(packageNameProblem(name)).toBeUndefined();
    },
  );

  it.each([
    ["", "is empty"],
    ["a".repeat(215), "longer than npm's 214 characters"],
    ["MyReporter", "is not an npm package name"],
    ["my reporter", "is not an npm package name"],
    [".hidden", "is not an npm package name"],
    ["_private", "is not an npm package name"],
    ["tilde~name", "is not an npm package name"],
    ["@acme/", "is not an npm package name"],
    ["slack", "is a built-in reporter's name"],
    ["metrics", "is a built-in reporter's name"],
    ["http", "is a name npm reserves"],
    ["node_modules", "is a name npm reserves"],
  ])("refuses %j (%s)", (name, why) => {
    expect(packageNameProblem(name)).toContain(why);
  });

  it.each([
    ["my-reporter", "my-reporter"],
    ["My Webhook Reporter", "my-webhook-reporter"],
    ["_tmp.Reporter--", "tmp.reporter"],
    ["Ünïcode", "n-code"],
    ["___", undefined],
  ])("makes %j of the folder %j", (folder, name) => {
    expect(packageNameFromFolder(folder)).toBe(name);
  });
});

describe("the core dependency", () => {
  it("copies a file: tarball into vendor/, resolved from the working directory", () => {
    expect(coreSourceOf("file:ecr-scan-reporter-core-0.1.0.tgz", undefined, tmp)).toEqual({
      spec: "file:vendor/ecr-scan-reporter-core-0.1.0.tgz",
      tarball: coreTarball,
    });
  });

  it("names a file: folder by its absolute path, and any other spec as given", () => {
    expect(coreSourceOf("file:.", undefined, tmp)).toEqual({ spec: `file:${tmp}` });
    expect(coreSourceOf(" ^0.1.0 ", undefined, tmp)).toEqual({ spec: "^0.1.0" });
  });

  it("prefers --core to the tarball that comes with the CLI", () => {
    expect(coreSourceOf("^0.1.0", coreTarball, tmp)).toEqual({ spec: "^0.1.0" });
  });
});

describe("the written files", () => {
  it("pin the versions this repository builds and tests with", () => {
    const root = readJson(join(workspace, "package.json"));
    const lambdas = readJson(join(workspace, "packages", "lambdas", "package.json"));
    const catalogZod = /^ {2}zod: (\S+)$/m.exec(
      readFileSync(join(workspace, "pnpm-workspace.yaml"), "utf8"),
    )?.[1];
    expect(TEMPLATE_VERSIONS).toEqual({
      zod: `^${catalogZod}`,
      esbuild: lambdas.devDependencies.esbuild,
      fflate: lambdas.devDependencies.fflate,
      vitest: root.devDependencies.vitest,
      vite: root.devDependencies.vite,
    });
  });

  it("name the layer zip after the package, without the scope's @", () => {
    expect(layerZipNameOf("my-reporter")).toBe("my-reporter-layer.zip");
    expect(layerZipNameOf("@acme/hooks")).toBe("acme-hooks-layer.zip");
  });

  it("quote a folder the shell would split in the README's commands", () => {
    expect(shellQuote("reporters/my-reporter")).toBe("reporters/my-reporter");
    expect(shellQuote("my reporter")).toBe("'my reporter'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    const readme = reporterPackageFiles({ packageName: "x", coreSpec: "^0.1.0", folder: "'my reporter'" })[
      "README.md"
    ];
    expect(readme).toContain("--config 'my reporter'/demo.json --reporters 'my reporter'/dist/layer");
  });
});
