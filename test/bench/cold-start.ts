import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Spread, spread } from "./stats.js";

export const FUNCTIONS = ["schedule-scans", "scan-images", "report-findings"] as const;

export interface BundleColdStart {
  function: string;
  rawBytes: number;
  zippedBytes: number;
  /** Time to import the bundle in a fresh Node process (what Lambda's init phase spends on the code). */
  importMs: Spread;
  /** Spawn to exit of that process: Node's own start-up plus the import. */
  processMs: Spread;
  /** Max RSS of that process once the bundle is imported (before any invocation). */
  rssAfterImportMb: Spread;
  runs: number;
}

// Imports the bundle and prints how long it took; the environment is what Lambda would set, nothing more.
const IMPORT_SCRIPT = `
const started = performance.now();
await import(process.argv[1]);
const importMs = performance.now() - started;
process.stdout.write(JSON.stringify({ importMs, rssKb: process.resourceUsage().maxRSS }));
`;

function importOnce(bundlePath: string): Promise<{ importMs: number; processMs: number; rssMb: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ["--input-type=module", "-e", IMPORT_SCRIPT, pathToFileURL(bundlePath).href],
    {
      env: {
        PATH: process.env.PATH ?? "",
        AWS_REGION: "eu-west-1",
        AWS_ACCESS_KEY_ID: "bench",
        AWS_SECRET_ACCESS_KEY: "bench",
        AWS_LAMBDA_FUNCTION_NAME: "bench",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    child.on("close", (code) => {
      let parsed: { importMs?: number; rssKb?: number } = {};
      try {
        parsed = JSON.parse(out) as typeof parsed;
      } catch {}
      if (code !== 0 || typeof parsed.importMs !== "number") {
        reject(new Error(`importing ${bundlePath} failed (exit ${code}): ${err.slice(0, 500)}`));
        return;
      }
      resolve({
        importMs: parsed.importMs,
        processMs: performance.now() - started,
        rssMb: (parsed.rssKb ?? 0) / 1024,
      });
    });
  });
}

/** Size (raw and zipped) and fresh-process import time (median of `runs`) of each built bundle. */
export async function measureColdStarts(distDir: string, runs: number): Promise<BundleColdStart[]> {
  const results: BundleColdStart[] = [];
  for (const fn of FUNCTIONS) {
    const bundle = join(distDir, fn, "index.mjs");
    const zip = join(distDir, `${fn}.zip`);
    const imports: number[] = [];
    const processes: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await importOnce(bundle);
      imports.push(r.importMs);
      processes.push(r.processMs);
      rss.push(r.rssMb);
    }
    results.push({
      function: fn,
      rawBytes: statSync(bundle).size,
      zippedBytes: existsSync(zip) ? statSync(zip).size : -1,
      importMs: spread(imports),
      processMs: spread(processes),
      rssAfterImportMb: spread(rss),
      runs,
    });
  }
  return results;
}
