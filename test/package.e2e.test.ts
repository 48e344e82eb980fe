// The packages as a user gets them: core and the CLI packed with `pnpm pack`, installed with plain npm into an empty
// folder outside the workspace, and the CLI run with plain node from there, with nothing of the clone to fall back on
// (no tsx, no sources, no terraform/dist, no workspace node_modules on the PATH).
import { execFile, execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { createPackageResolver } from "@ecr-scan-reporter/core";
import { checkReporterConformance } from "@ecr-scan-reporter/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/bundles.js";

const MINUTE = 60_000;
const cliManifest = JSON.parse(readFileSync(join(REPO_ROOT, "packages", "cli", "package.json"), "utf8")) as {
  version: string;
};

let work: string;
let app: string;
let installedCli: string;

/**
 * The environment of a shell outside the clone: no PATH entry into it (pnpm puts the workspace's .bin folders
 * there), none of the npm_* settings pnpm passes to its scripts, no NODE_OPTIONS or NODE_PATH.
 */
function outsideEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_)|^NODE_OPTIONS$|^NODE_PATH$/i.test(key)) continue;
    env[key] = value;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(":")
    .filter((entry) => !entry.startsWith(REPO_ROOT))
    .join(":");
  return env;
}

/** A command in the app folder, as a user types it there. */
function inApp(command: string, args: string[]) {
  const result = spawnSync(command, args, {
    cwd: app,
    env: outsideEnv(),
    encoding: "utf8",
    timeout: 10 * MINUTE,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * `npx -- ecr-scan-reporter …`: `--no`, the local bin or nothing, never a package of that name from the registry;
 * `--` ends npx's own flags (without it, `--no` would take the name as its value and npx print its own version).
 */
const cli = (...args: string[]) => inApp("npx", ["--no", "--", "ecr-scan-reporter", ...args]);

/** Every file under `dir`, by absolute path. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

beforeAll(() => {
  work = realpathSync(mkdtempSync(join(tmpdir(), "ecr-scan-reporter-package-")));
  const packs = join(work, "packs");
  app = join(work, "app");
  mkdirSync(packs);
  mkdirSync(app);
  // Each package's prepack builds it (core with tsc; the CLI's bundle, which packs core again into its vendor/).
  for (const name of ["core", "cli"]) {
    execFileSync("pnpm", ["pack", "--pack-destination", packs], {
      cwd: join(REPO_ROOT, "packages", name),
      stdio: ["ignore", "ignore", "pipe"],
    });
  }
  const tarballs = readdirSync(packs).map((name) => join(packs, name));
  const tarball = (prefix: string) => {
    const found = tarballs.find((path) => path.includes(`${sep}${prefix}-`));
    if (!found) throw new Error(`no ${prefix} tarball in ${packs}: ${tarballs.join(", ")}`);
    return found;
  };
  writeFileSync(
    join(app, "package.json"),
    `${JSON.stringify({ name: "trying-it", private: true }, null, 2)}\n`,
  );
  const install = inApp("npm", [
    "install",
    "--no-audit",
    "--no-fund",
    tarball("ecr-scan-reporter-core"),
    tarball("ecr-scan-reporter-cli"),
  ]);
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.stderr}`);
  installedCli = join(app, "node_modules", "@ecr-scan-reporter", "cli");
}, 20 * MINUTE);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the packed CLI, installed with npm outside the workspace", () => {
  it("is a copy in the app's node_modules that needs neither its sources nor tsx, and names no path into the clone", () => {
    // require.resolve from the app: the package's own files, not a link back into the workspace.
    const resolved = inApp("node", ["-p", "require.resolve('@ecr-scan-reporter/cli')"]);
    expect(resolved.code).toBe(0);
    expect(resolved.stdout.trim()).toBe(join(installedCli, "dist", "cli.mjs"));
    expect(realpathSync(join(app, "node_modules", ".bin", "ecr-scan-reporter"))).toBe(
      join(installedCli, "bin", "ecr-scan-reporter.mjs"),
    );
    expect(existsSync(join(installedCli, "src"))).toBe(false);
    // The published exports: the bundle and its declarations, both in the tarball.
    const manifest = JSON.parse(readFileSync(join(installedCli, "package.json"), "utf8")) as {
      exports: { ".": { types: string; default: string } };
      dependencies?: Record<string, string>;
    };
    expect(manifest.exports["."]).toEqual({ types: "./dist/types/index.d.ts", default: "./dist/cli.mjs" });
    expect(readFileSync(join(installedCli, "dist", "types", "index.d.ts"), "utf8")).toContain("main");
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(existsSync(join(app, "node_modules", "tsx"))).toBe(false);
    const pointingBack = filesUnder(join(app, "node_modules", "@ecr-scan-reporter")).filter((file) =>
      readFileSync(file).includes(REPO_ROOT),
    );
    expect(pointingBack).toEqual([]);
  });

  it("prints its package's version with --version and -V", () => {
    for (const flag of ["--version", "-V"]) {
      const run = cli(flag);
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(cliManifest.version);
    }
  });

  it("shows plan's flags with plan --help", () => {
    const run = cli("plan", "--help");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--region <region>");
    expect(run.stdout).toContain("--endpoint-url <url>");
  });

  it(
    "runs the demo from the bundles it carries: every reporter sends, the summary page and the reports are written",
    () => {
      const out = join(work, "demo-output");
      const run = cli("demo", "--out", out);
      expect(run.code, run.stderr).toBe(0);
      expect(existsSync(join(out, "index.html"))).toBe(true);
      const summary = JSON.parse(readFileSync(join(out, "demo-summary.json"), "utf8")) as {
        ok: boolean;
        errors: string[];
        files: number;
        githubViolations: number;
        passes: { reportsDue: number; reportsPerReporter: Record<string, number> }[];
      };
      expect(summary.errors).toEqual([]);
      expect(summary.ok).toBe(true);
      // The GitHub receiver checked the requests against the description the package carries.
      expect(summary.githubViolations).toBe(0);
      const first = summary.passes[0];
      expect(first?.reportsDue).toBeGreaterThan(0);
      for (const reporter of ["sns", "slack", "github", "email", "metrics"]) {
        expect(first?.reportsPerReporter[reporter], reporter).toBeGreaterThan(0);
      }
      const written = filesUnder(out).filter((file) => !/(index\.html|demo-summary\.json)$/.test(file));
      expect(written.length).toBeGreaterThan(0);
    },
    10 * MINUTE,
  );
});

/**
 * The same command without blocking this process: needed while a receiver in this process must answer the demo's
 * requests. Resolves with the exit code and output (never rejects on a non-zero exit).
 */
function inAppAsync(command: string, args: string[], cwd = app) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    execFile(
      command,
      args,
      { cwd, env: outsideEnv(), encoding: "utf8", timeout: 10 * MINUTE, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("a custom reporter from new-reporter, written, tested, built and run on the demo with the installed CLI", () => {
  const reporterName = "my-reporter";
  let reporterDir: string;
  let layerModules: string;
  let receiver: Server;
  let receiverUrl: string;
  const received: { path: string; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    reporterDir = join(app, reporterName);
    layerModules = join(reporterDir, "dist", "layer", "nodejs", "node_modules");
    // A webhook of the author's own, reached only through the secret --secret seeds: the demo knows nothing of it.
    receiver = createServer((request, response) => {
      let text = "";
      request.on("data", (chunk) => {
        text += chunk;
      });
      request.on("end", () => {
        received.push({ path: request.url ?? "", body: JSON.parse(text) as Record<string, unknown> });
        response.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((listening) => receiver.listen(0, "127.0.0.1", listening));
    const address = receiver.address();
    if (!address || typeof address === "string") throw new Error("the receiver has no port");
    receiverUrl = `http://127.0.0.1:${address.port}/pager`;
  });
  afterAll(() => new Promise<void>((closed) => receiver.close(() => closed())));

  it("new-reporter writes the package, with the core tarball the CLI carries", () => {
    const run = cli("new-reporter", reporterName);
    expect(run.code, run.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(reporterDir, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const coreSpec = manifest.dependencies["@ecr-scan-reporter/core"] ?? "";
    expect(coreSpec).toMatch(/^file:vendor\/ecr-scan-reporter-core-.+\.tgz$/);
    expect(existsSync(join(reporterDir, coreSpec.slice("file:".length)))).toBe(true);
  });

  it(
    "npm install, npm test (the kit's conformance check and the webhook's requests) and npm run build pass",
    async () => {
      const install = await inAppAsync("npm", ["install", "--no-audit", "--no-fund"], reporterDir);
      expect(install.code, install.stderr).toBe(0);
      const test = await inAppAsync("npm", ["test"], reporterDir);
      expect(test.code, test.stdout + test.stderr).toBe(0);
      expect(stripVTControlCharacters(test.stdout)).toMatch(/Tests\s+8 passed \(8\)/);
      const build = await inAppAsync("npm", ["run", "build"], reporterDir);
      expect(build.code, build.stderr).toBe(0);
      expect(stripVTControlCharacters(build.stdout)).toMatch(/index\.mjs: \d+ bytes: zod \d+ %/);
    },
    15 * MINUTE,
  );

  it(
    "type-checks against core's published .d.ts files",
    async () => {
      const tsc = await inAppAsync(
        process.execPath,
        [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", reporterDir],
        reporterDir,
      );
      expect(tsc.code, tsc.stdout).toBe(0);
    },
    5 * MINUTE,
  );

  it(
    "builds a layer that report-findings loads by name, that conforms as built, the same zip every build",
    async () => {
      const packageDir = join(layerModules, reporterName);
      expect(readdirSync(packageDir).sort()).toEqual(["index.mjs", "package.json"]);
      expect(JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"))).toEqual({
        name: reporterName,
        version: "0.1.0",
        type: "module",
        exports: { ".": "./index.mjs" },
      });
      // One file with everything in it: nothing imported from a package the layer does not hold.
      const index = readFileSync(join(packageDir, "index.mjs"), "utf8");
      expect(index).not.toMatch(/from\s*["'](zod|@ecr-scan-reporter\/core)/);
      const plugin = await createPackageResolver(layerModules)(reporterName);
      if (!plugin) throw new Error(`the layer does not hold ${reporterName}`);
      const { problems } = await checkReporterConformance(plugin, {
        validOptions: { webhookUrl: { parameter: "/my-reporter/webhook-url" } },
        invalidOptions: [{ options: { webhookUrl: "https://example.test" }, why: "a bare URL" }],
      });
      expect(problems).toEqual([]);
      expect((await import(pathToFileURL(join(packageDir, "index.mjs")).href)).default.name).toBe(
        reporterName,
      );

      const zip = join(reporterDir, "dist", `${reporterName}-layer.zip`);
      const first = readFileSync(zip);
      const again = await inAppAsync("npm", ["run", "build"], reporterDir);
      expect(again.code, again.stderr).toBe(0);
      expect(readFileSync(zip).equals(first)).toBe(true);
    },
    5 * MINUTE,
  );

  it(
    "demo runs it from its layer folder with --secret, and the author's own receiver gets its requests",
    async () => {
      const config = join(work, "pager-demo.json");
      writeFileSync(
        config,
        `${JSON.stringify({ reporters: [{ use: reporterName, options: { webhookUrl: { parameter: "/acme/pager-url" } } }] }, null, 2)}\n`,
      );
      const out = join(work, "demo-with-reporter");
      const run = await inAppAsync("npx", [
        "--no",
        "--",
        "ecr-scan-reporter",
        "demo",
        "--out",
        out,
        "--config",
        config,
        "--reporters",
        layerModules,
        "--secret",
        `/acme/pager-url=${receiverUrl}`,
      ]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(join(out, "demo-summary.json"), "utf8")) as {
        passes: { reportsDue: number; reportsPerReporter: Record<string, number> }[];
      };
      const sent = summary.passes.reduce((n, pass) => n + (pass.reportsPerReporter[reporterName] ?? 0), 0);
      expect(sent).toBeGreaterThan(0);
      // Every report the demo counted as sent by the reporter reached the URL the secret holds, as JSON.
      expect(received.length).toBe(sent);
      expect(new Set(received.map((r) => r.path))).toEqual(new Set(["/pager"]));
      expect(received.some((r) => r.body.kind === "report" && typeof r.body.repository === "string")).toBe(
        true,
      );
      // The secret's value (the receiver's URL) is nowhere in what the demo printed.
      expect(run.stdout + run.stderr).not.toContain(receiverUrl);
    },
    10 * MINUTE,
  );
});
