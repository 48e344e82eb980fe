// Builds the reporter into a Lambda layer: nodejs/node_modules/@acme/ecr-reporter-teams/{package.json,index.mjs},
// unpacked under dist/layer/ and zipped (fixed timestamps, so the zip is the same on every build) as
// dist/teams-reporter-layer.zip. Layers unpack under /opt, where report-findings looks for reporter packages.
// Usage: node scripts/build-layer.mjs [--out DIR]
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { zipSync } from "fflate";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const outIndex = process.argv.indexOf("--out");
const outDir = outIndex > -1 ? process.argv[outIndex + 1] : join(root, "dist");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const packagePath = `nodejs/node_modules/${manifest.name}`;

const result = await build({
  entryPoints: [join(root, "src", "index.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minify: true,
  keepNames: true,
  legalComments: "eof",
  write: false,
  logLevel: "warning",
  absWorkingDir: root,
  outfile: "index.mjs",
});
const files = {
  [`${packagePath}/package.json`]: `${JSON.stringify(
    { name: manifest.name, version: manifest.version, type: "module", exports: { ".": "./index.mjs" } },
    null,
    2,
  )}\n`,
  [`${packagePath}/index.mjs`]: result.outputFiles[0].text,
};

rmSync(join(outDir, "layer"), { recursive: true, force: true });
for (const [path, content] of Object.entries(files)) {
  mkdirSync(dirname(join(outDir, "layer", path)), { recursive: true });
  writeFileSync(join(outDir, "layer", path), content);
}
const mtime = new Date("2000-01-01T00:00:00Z");
const zip = zipSync(
  Object.fromEntries(
    Object.entries(files).map(([path, content]) => [path, [Buffer.from(content), { mtime, level: 9 }]]),
  ),
);
writeFileSync(join(outDir, "teams-reporter-layer.zip"), zip);
console.log(
  `layer: ${join(outDir, "teams-reporter-layer.zip")} (${zip.length} bytes), unpacked in ${join(outDir, "layer")}`,
);
