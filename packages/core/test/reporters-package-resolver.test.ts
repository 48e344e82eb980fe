import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPackageResolver, resolvePackageEntry } from "../src/reporters/package-resolver.js";
import { loadFresh } from "./support/fresh-modules.js";

// A throwaway node_modules folder per test, laid out like a Lambda layer's or the CLI's working directory.
let nodeModules: string;
beforeEach(() => {
  nodeModules = join(mkdtempSync(join(tmpdir(), "package-resolver-")), "node_modules");
  mkdirSync(nodeModules);
});
afterEach(() => {
  rmSync(join(nodeModules, ".."), { recursive: true, force: true });
});

/** Installs a package: its package.json and the given files (path → content) in its folder; returns the folder. */
function install(name: string, manifest: object, files: Record<string, string> = {}): string {
  const dir = join(nodeModules, ...name.split("/"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, ...manifest }));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Every file a manifest might name, so only the manifest decides which one is the entry. */
const ALL_ENTRIES = Object.fromEntries(
  [
    "import.mjs",
    "node.mjs",
    "default.mjs",
    "require.cjs",
    "module.mjs",
    "main.js",
    "index.js",
    "sub.mjs",
  ].map((file) => [file, "export default {};\n"]),
);

describe("LAYER_NODE_MODULES", () => {
  it("is where a Lambda layer's Node.js packages unpack", async () => {
    // The constant is set while its module loads: loaded afresh (support/fresh-modules.ts).
    const fresh = await loadFresh(() => import("../src/reporters/package-resolver.js"));
    expect(fresh.LAYER_NODE_MODULES).toBe("/opt/nodejs/node_modules");
  });
});

describe("resolvePackageEntry", () => {
  it.each([
    { what: "exports as a string", manifest: { exports: "./import.mjs" }, entry: "import.mjs" },
    { what: 'exports["."] as a string', manifest: { exports: { ".": "./import.mjs" } }, entry: "import.mjs" },
    {
      what: 'the "import" condition before "node" and "default", whatever their order',
      manifest: {
        exports: { ".": { default: "./default.mjs", node: "./node.mjs", import: "./import.mjs" } },
      },
      entry: "import.mjs",
    },
    {
      what: 'the "node" condition before "default"',
      manifest: {
        exports: { ".": { default: "./default.mjs", node: "./node.mjs", require: "./require.cjs" } },
      },
      entry: "node.mjs",
    },
    {
      what: 'the "default" condition when neither "import" nor "node" is given',
      manifest: { exports: { ".": { require: "./require.cjs", default: "./default.mjs" } } },
      entry: "default.mjs",
    },
    {
      what: 'conditions at the top of exports, without a "." key',
      manifest: { exports: { require: "./require.cjs", import: "./import.mjs" } },
      entry: "import.mjs",
    },
    {
      what: "nested conditions (node → import)",
      manifest: { exports: { ".": { node: { require: "./require.cjs", import: "./import.mjs" } } } },
      entry: "import.mjs",
    },
    {
      what: 'the "." entry, not a subpath listed before it',
      manifest: { exports: { "./sub": "./sub.mjs", ".": "./import.mjs" } },
      entry: "import.mjs",
    },
    {
      what: "`module` when exports offers no ESM entry (require only)",
      manifest: { exports: { ".": { require: "./require.cjs" } }, module: "./module.mjs", main: "./main.js" },
      entry: "module.mjs",
    },
    {
      what: "`module` when the entry of exports is null, and null conditions",
      manifest: {
        exports: { ".": null, "./sub": { import: null, default: "./sub.mjs" } },
        module: "./module.mjs",
      },
      entry: "module.mjs",
    },
    {
      what: "the next condition when one is null",
      manifest: { exports: { ".": { import: null, default: "./default.mjs" } } },
      entry: "default.mjs",
    },
    {
      what: "`module` when there is no exports",
      manifest: { module: "./module.mjs", main: "./main.js" },
      entry: "module.mjs",
    },
    {
      what: "`main` when there is neither exports nor module",
      manifest: { main: "./main.js" },
      entry: "main.js",
    },
    { what: "index.js when the manifest names nothing", manifest: {}, entry: "index.js" },
  ])("follows $what", ({ manifest, entry }) => {
    const dir = install("teams-reporter", manifest, ALL_ENTRIES);
    expect(resolvePackageEntry("teams-reporter", nodeModules)).toBe(join(dir, entry));
  });

  it("finds a scoped package in its scope's folder", () => {
    const dir = install("@acme/teams-reporter", { exports: "./dist/index.mjs" }, { "dist/index.mjs": "" });
    expect(resolvePackageEntry("@acme/teams-reporter", nodeModules)).toBe(join(dir, "dist", "index.mjs"));
    expect(dir).toBe(join(nodeModules, "@acme", "teams-reporter"));
  });

  it("says which folder lacks the package when it is not installed", () => {
    const manifest = join(nodeModules, "@acme", "missing", "package.json");
    expect(() => resolvePackageEntry("@acme/missing", nodeModules)).toThrow(
      new Error(`package "@acme/missing" is not installed in ${nodeModules} (no ${manifest})`),
    );
  });

  it("names the entry point a package's manifest gives when that file does not exist", () => {
    install("broken-reporter", { exports: { ".": { import: "./dist/index.mjs" } } });
    expect(() => resolvePackageEntry("broken-reporter", nodeModules)).toThrow(
      new Error('package "broken-reporter" names ./dist/index.mjs as its entry point, which does not exist'),
    );
  });

  it("names index.js when a manifest without entries has no index.js", () => {
    install("bare-reporter", {});
    expect(() => resolvePackageEntry("bare-reporter", nodeModules)).toThrow(
      'package "bare-reporter" names index.js as its entry point, which does not exist',
    );
  });
});

describe("createPackageResolver", () => {
  const PLUGIN_MODULE = 'export default { name: "teams", marker: "loaded from the package" };\n';

  it("imports an installed package's ESM entry point and returns its default export", async () => {
    install(
      "teams-reporter",
      { type: "module", exports: { ".": { import: "./dist/index.js" } } },
      {
        "dist/index.js": PLUGIN_MODULE,
      },
    );
    const plugin = await createPackageResolver(nodeModules)("teams-reporter");
    expect(plugin).toEqual({ name: "teams", marker: "loaded from the package" });
  });

  it("imports a scoped package", async () => {
    install("@acme/teams-reporter", { main: "./index.mjs" }, { "index.mjs": PLUGIN_MODULE });
    const plugin = await createPackageResolver(nodeModules)("@acme/teams-reporter");
    expect(plugin).toMatchObject({ name: "teams" });
  });

  it("returns undefined for a package that is not installed, so the loader can say so", async () => {
    install("other-reporter", { main: "./index.mjs" }, { "index.mjs": PLUGIN_MODULE });
    await expect(createPackageResolver(nodeModules)("teams-reporter")).resolves.toBeUndefined();
    await expect(createPackageResolver(nodeModules)("@acme/teams-reporter")).resolves.toBeUndefined();
  });

  it("returns undefined for a folder of that name without a package.json (not a package)", async () => {
    mkdirSync(join(nodeModules, "teams-reporter"));
    writeFileSync(join(nodeModules, "teams-reporter", "index.js"), PLUGIN_MODULE);
    await expect(createPackageResolver(nodeModules)("teams-reporter")).resolves.toBeUndefined();
  });

  it("refuses a module without a default export, saying where it looked and what to do", async () => {
    install("named-only", { main: "./index.mjs" }, { "index.mjs": "export const plugin = {};\n" });
    await expect(createPackageResolver(nodeModules)("named-only")).rejects.toThrow(
      new Error(`its module (in ${nodeModules}) has no default export: export default a reporter plugin`),
    );
  });

  it("passes on the error of an installed package whose entry point is missing", async () => {
    install("broken-reporter", { main: "./dist/index.mjs" });
    await expect(createPackageResolver(nodeModules)("broken-reporter")).rejects.toThrow(
      'package "broken-reporter" names ./dist/index.mjs as its entry point, which does not exist',
    );
  });

  it.each([
    "Teams-Reporter",
    "teams.reporter_v2",
    "9lives",
    "@acme/teams-reporter",
    "@acme.corp/teams",
    "@9/x",
  ])("takes %s as a package name (undefined when it is not installed)", async (name) => {
    await expect(createPackageResolver(nodeModules)(name)).resolves.toBeUndefined();
  });

  it.each([
    "",
    "../teams-reporter",
    "teams-reporter/../../etc",
    "./teams-reporter",
    "/opt/teams-reporter",
    "-teams",
    ".teams",
    "_teams",
    "teams reporter",
    "teams-reporter ",
    " teams-reporter",
    "teams/reporter",
    "@acme",
    "@acme/",
    "@/teams",
    "@-acme/teams",
    "@acme/-teams",
    "@acme/teams/extra",
    "teams$",
    "$teams",
  ])("refuses %j, which is no npm package name, before touching the file system", async (name) => {
    await expect(createPackageResolver(nodeModules)(name)).rejects.toThrow(
      new Error(`"${name}" is not a valid npm package name`),
    );
  });

  it("refuses a name that would lead out of node_modules even when the target exists", async () => {
    // A package.json one level up: a resolver that only joined paths would find it.
    writeFileSync(join(nodeModules, "..", "package.json"), "{}");
    await expect(createPackageResolver(nodeModules)("..")).rejects.toThrow("is not a valid npm package name");
  });
});
