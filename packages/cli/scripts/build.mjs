// Builds the installable CLI into packages/cli/dist/ (`prepack` runs it, so `pnpm pack` ships the result):
// - cli.mjs: src/index.ts and everything it imports, from the workspace and from npm, bundled by esbuild into one
//   file that needs no dependency installed and no tsx, the same bytes from build to build;
// - types/: the .d.ts files of the package's exports (src/index.ts and what its declarations import);
// - what the bundle reads at run time, beside it: the Lambda bundles the demo runs (functions/<function>/, copied
//   from terraform/dist/, the files Terraform deploys), the sandbox's Lambda worker (lambda-worker.mjs), the IAM
//   policies the module gives the functions (module-policies.json) and GitHub's API description
//   (api.github.com.json), each where the sandbox's code looks for it: next to the module that reads it;
// - vendor/: the packed @ecr-scan-reporter/core, which `new-reporter` writes as a new package's dependency.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire, isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const repoRoot = join(packageDir, "..", "..");
const distDir = join(packageDir, "dist");
const sandboxDir = join(repoRoot, "packages", "sandbox");
const functionsSource = join(repoRoot, "terraform", "dist");

// dynalite requires `level` (LevelDB on disk, through classic-level's native binding) when it loads, though the
// sandbox only ever runs it in memory (memory-level). The bundle carries a `level` that says so if it is ever asked
// for a database on disk, instead of a native module it cannot carry.
const inMemoryDynalite = {
  name: "in-memory-dynalite",
  setup(builder) {
    builder.onResolve({ filter: /^level$/ }, (args) => {
      if (!args.importer.split(/[\\/]/).includes("dynalite")) {
        return { errors: [{ text: `only dynalite may import level (here: ${args.importer})` }] };
      }
      return { path: "level", namespace: "in-memory-dynalite" };
    });
    builder.onLoad({ filter: /.*/, namespace: "in-memory-dynalite" }, () => ({
      contents:
        'exports.Level = class Level { constructor() { throw new Error("dynalite on disk is not part of the packed CLI: its sandbox keeps tables in memory"); } };',
      loader: "js",
    }));
  },
};

// dynalite requires its handlers by name at load (`require('./actions/' + action)`). esbuild bundles every file such a
// pattern can match, but finds them at run time only by the full file name: the bundle's copy adds the extension.
// When a dynalite release words this differently, the build stops here rather than the bundle at run time.
const DYNALITE_HANDLER_REQUIRES = ["require('./actions/' + action)", "require('./validations/' + action)"];
const dynaliteHandlersByFileName = {
  name: "dynalite-handlers-by-file-name",
  setup(builder) {
    builder.onLoad({ filter: /[\\/]dynalite[\\/]index\.js$/ }, (args) => {
      let contents = readFileSync(args.path, "utf8");
      for (const call of DYNALITE_HANDLER_REQUIRES) {
        if (!contents.includes(call)) {
          return { errors: [{ text: `${args.path} no longer has ${call}: see dynaliteHandlersByFileName` }] };
        }
        contents = contents.replace(call, `${call.slice(0, -1)} + ".js")`);
      }
      return { contents, loader: "js" };
    });
  },
};

/** esbuild's options for dist/cli.mjs (exported for a check that two builds give the same bytes). */
export const cliBundleOptions = {
  entryPoints: [join(packageDir, "src", "index.ts")],
  outfile: join(distDir, "cli.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  mainFields: ["module", "main"],
  minify: true,
  // Error classes name themselves from their constructor; minified names would make --debug unreadable.
  keepNames: true,
  legalComments: "eof",
  charset: "utf8",
  logLevel: "warning",
  // Bundled CommonJS dependencies call require() (Node built-ins); an ES module has none of its own.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  // Paths esbuild writes into the output are relative to this, so the bundle does not depend on the clone's place.
  absWorkingDir: repoRoot,
  plugins: [inMemoryDynalite, dynaliteHandlersByFileName],
  metafile: true,
};

async function bundleCli() {
  const result = await build(cliBundleOptions);
  const code = readFileSync(join(distDir, "cli.mjs"), "utf8");
  if (code.includes(repoRoot)) throw new Error(`dist/cli.mjs holds a path into ${repoRoot}`);
  const external = Object.values(result.metafile.outputs)
    .flatMap((output) => output.imports)
    .filter((i) => i.external && !isBuiltin(i.path));
  if (external.length > 0) {
    throw new Error(`dist/cli.mjs imports ${external.map((i) => i.path).join(", ")}: bundle them instead`);
  }
  return Buffer.byteLength(code);
}

/** Copies the Lambda bundles (index.mjs and its chunks, not the zips) of every function in terraform/dist/. */
function copyFunctionBundles() {
  const functions = existsSync(functionsSource)
    ? readdirSync(functionsSource).filter((name) => existsSync(join(functionsSource, name, "index.mjs")))
    : [];
  if (!functions.includes("report-findings")) {
    throw new Error(
      `no Lambda bundles in ${functionsSource}: run \`pnpm build\` at the repository's root first`,
    );
  }
  for (const name of functions) {
    const to = join(distDir, "functions", name);
    mkdirSync(to, { recursive: true });
    for (const file of readdirSync(join(functionsSource, name)).filter((f) => f.endsWith(".mjs"))) {
      copyFileSync(join(functionsSource, name, file), join(to, file));
    }
  }
  return functions;
}

/** What the sandbox reads at run time, put where its code looks from the bundle (`new URL("./…", import.meta.url)`). */
function copySandboxFiles() {
  copyFileSync(join(sandboxDir, "src", "lambda-worker.mjs"), join(distDir, "lambda-worker.mjs"));
  copyFileSync(join(sandboxDir, "src", "iam", "module-policies.json"), join(distDir, "module-policies.json"));
  const description = createRequire(join(sandboxDir, "package.json")).resolve(
    "@octokit/openapi/generated/api.github.com.json",
  );
  copyFileSync(description, join(distDir, "api.github.com.json"));
}

/** Relative imports of a declaration file (`from "./x.js"`, `import("../y.js")`), as paths of .d.ts files. */
function declarationImports(file) {
  const text = readFileSync(file, "utf8");
  const specifiers = [...text.matchAll(/(?:from\s+|import\()\s*"([^"]+)"/g)].map((m) => m[1]);
  const bare = specifiers.filter((s) => !s.startsWith("."));
  if (bare.length > 0) {
    // The package has no dependencies: its declarations may not name another package's types.
    throw new Error(`${file} imports ${bare.join(", ")}, which the packed CLI does not carry`);
  }
  return specifiers.map((s) => join(dirname(file), s.replace(/\.js$/, ".d.ts")));
}

/**
 * The .d.ts files of src/index.ts and of what they import, by tsc; the declarations of the rest of the program
 * (the bundled workspace packages) stay behind.
 */
function writeDeclarations() {
  const out = mkdtempSync(join(tmpdir(), "ecr-scan-reporter-cli-types-"));
  try {
    // The workspace's TypeScript (a devDependency of the root), so the script runs with plain `node` too.
    const tsc = createRequire(join(repoRoot, "package.json")).resolve("typescript/bin/tsc");
    execFileSync(process.execPath, [tsc, "-p", join(packageDir, "tsconfig.build.json"), "--outDir", out], {
      cwd: packageDir,
      stdio: "inherit",
    });
    const root = join(out, "packages", "cli", "src");
    const seen = new Set();
    const queue = [join(root, "index.d.ts")];
    while (queue.length > 0) {
      const file = queue.pop();
      if (seen.has(file)) continue;
      if (!file.startsWith(root)) throw new Error(`${file}: a declaration outside the CLI's sources`);
      seen.add(file);
      queue.push(...declarationImports(file));
    }
    for (const file of seen) {
      const to = join(distDir, "types", relative(root, file));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(file, to);
    }
    return seen.size;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** `pnpm pack` of core (its own prepack builds it) into dist/vendor/. */
function packCore() {
  const vendor = join(distDir, "vendor");
  mkdirSync(vendor, { recursive: true });
  execFileSync("pnpm", ["pack", "--pack-destination", vendor], {
    cwd: join(repoRoot, "packages", "core"),
    stdio: ["ignore", "ignore", "inherit"],
  });
  const tarballs = readdirSync(vendor).filter((name) => name.endsWith(".tgz"));
  if (tarballs.length !== 1)
    throw new Error(`dist/vendor holds ${tarballs.length} tarballs, expected core's`);
  return tarballs[0];
}

async function main() {
  rmSync(distDir, { recursive: true, force: true });
  mkdirSync(distDir, { recursive: true });
  const bytes = await bundleCli();
  const functions = copyFunctionBundles();
  copySandboxFiles();
  const declarations = writeDeclarations();
  const core = packCore();
  console.log(
    `dist/cli.mjs: ${bytes} bytes; functions: ${functions.join(", ")}; ${declarations} declaration files; vendor/${core}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
