// Bundles each Lambda handler with esbuild into terraform/dist/<function>/index.mjs and a deterministic
// terraform/dist/<function>.zip (fixed timestamps and order), so a fresh build reproduces the committed files
// byte for byte. `--check` builds into a temporary folder and fails when terraform/dist differs.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { zipSync } from "fflate";

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const repoRoot = join(packageDir, "..", "..");
const distDir = join(repoRoot, "terraform", "dist");

/** The functions Terraform deploys, by folder name under terraform/dist/. */
export const FUNCTIONS = ["schedule-scans", "scan-images", "report-findings", "send-digests"];

// Zip entries carry a DOS timestamp; a fixed one keeps the archive identical from build to build.
const FIXED_MTIME = new Date("2000-01-01T00:00:00Z");

async function bundle(name, outDir) {
  const result = await build({
    entryPoints: [join(packageDir, "src", `${name}.ts`)],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    mainFields: ["module", "main"],
    minify: true,
    // Error classes name themselves from their constructor; minified names would make them unreadable.
    keepNames: true,
    legalComments: "eof",
    charset: "utf8",
    write: false,
    logLevel: "warning",
    // Some bundled CommonJS dependencies call require() for Node built-ins.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
    },
    absWorkingDir: repoRoot,
    // Reporters are imported only when the configuration uses them: each lands in a chunk of its own, so a
    // function that sends to SNS alone never loads (nor pays the memory of) Octokit, Handlebars or SES.
    splitting: true,
    outdir: join(outDir, name),
    entryNames: "index",
    chunkNames: "chunk-[hash]",
    outExtension: { ".js": ".mjs" },
  });
  const folder = join(outDir, name);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  const files = result.outputFiles
    .map((file) => ({ path: relative(folder, file.path).split("\\").join("/"), contents: file.contents }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  for (const file of files) writeFileSync(join(folder, file.path), file.contents);
  const zip = zipSync(
    Object.fromEntries(files.map((file) => [file.path, [file.contents, { mtime: FIXED_MTIME, level: 9 }]])),
  );
  writeFileSync(join(outDir, `${name}.zip`), zip);
  const bytes = files.reduce((n, file) => n + file.contents.length, 0);
  return { name, bytes, zipBytes: zip.length };
}

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

async function main() {
  const check = process.argv.includes("--check");
  const outDir = check ? mkdtempSync(join(tmpdir(), "ecr-scan-reporter-dist-")) : distDir;
  try {
    const built = [];
    for (const name of FUNCTIONS) built.push(await bundle(name, outDir));
    if (!check) {
      for (const b of built) console.log(`${b.name}: ${b.bytes} bytes, ${b.zipBytes} bytes zipped`);
      return;
    }
    const fresh = listFiles(outDir);
    let committed = [];
    try {
      committed = listFiles(distDir).filter((f) => !f.endsWith(".md"));
    } catch {}
    const differing = [...new Set([...fresh, ...committed])].filter((file) => {
      try {
        return !readFileSync(join(outDir, file)).equals(readFileSync(join(distDir, file)));
      } catch {
        return true;
      }
    });
    if (differing.length > 0) {
      console.error(
        `terraform/dist/ is stale: ${differing.join(", ")} differ from a fresh build. Run \`pnpm build\` and commit terraform/dist/.`,
      );
      process.exitCode = 1;
    } else {
      console.log(`terraform/dist/ matches a fresh build (${fresh.length} files).`);
    }
  } finally {
    if (check) rmSync(outDir, { recursive: true, force: true });
  }
}

await main();
