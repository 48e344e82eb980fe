import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SandboxSession, startSandboxSession } from "../src/commands/sandbox.js";
import { runCli } from "./support/run-cli.js";

// `ecr-scan-reporter sandbox`: every command it prints works when pasted (run here as a shell would split them,
// one of them through a real shell), `report` on its configuration reaches all five reporters, and what the
// receivers got is in its output folder. The folder it runs in has a space and a quote in its name, so that the
// hints' quoting is exercised.

const CONFIG = "sandbox-config.json";
const OUT = "sandbox-output";

let cwd: string;
let session: SandboxSession;
const previousCwd = process.cwd();
const previousLedger = process.env.LEDGER_TABLE_NAME;

/** The words a POSIX shell makes of `text` (its quoting is the shell's, not a parser of ours). */
function shellWords(text: string): string[] {
  const out = execFileSync("sh", ["-c", `printf '%s\\0' ${text}`], { encoding: "utf8" });
  return out.split("\0").slice(0, -1);
}

beforeAll(async () => {
  cwd = mkdtempSync(join(tmpdir(), "sandbox it's "));
  // The hints are for a terminal in the folder the sandbox was started from: --out preview lands there.
  process.chdir(cwd);
  session = await startSandboxSession(
    { writeConfig: CONFIG, out: OUT, secret: ["/acme/pager/key=pd-0c1d2e3f"] },
    cwd,
  );
}, 60_000);

afterAll(async () => {
  process.chdir(previousCwd);
  if (previousLedger === undefined) delete process.env.LEDGER_TABLE_NAME;
  else process.env.LEDGER_TABLE_NAME = previousLedger;
  await session?.close();
});

describe("ecr-scan-reporter sandbox", () => {
  it("writes a configuration with all five reporters on the sandbox and its receivers, and stores --secret", () => {
    const config = JSON.parse(readFileSync(join(cwd, CONFIG), "utf8"));
    expect(config.reporters.map((r: { use: string }) => r.use)).toEqual([
      "sns",
      "slack",
      "github",
      "email",
      "metrics",
    ]);
    const github = config.reporters.find((r: { use: string }) => r.use === "github");
    expect(github.options.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(session.sandbox.ssm.parameters.get("/acme/pager/key")).toMatchObject({
      type: "SecureString",
      value: "pd-0c1d2e3f",
    });
  });

  it("prints commands that exit 0 when pasted in order, and report reaches every reporter", async () => {
    const start = session.lines.indexOf("try, in another terminal in this folder:");
    const pasted = session.lines.slice(start).filter((l) => l.startsWith("  "));
    expect(pasted.length).toBeGreaterThanOrEqual(8);
    const prefix = shellWords(pasted[0] ?? "").slice(0, 2);
    // Outside the workspace, the CLI's own bin file with node.
    expect(prefix[0]).toBe("node");
    expect(prefix[1]).toMatch(/bin\/ecr-scan-reporter\.mjs$/);
    const reports: string[] = [];
    for (const line of pasted) {
      const words = shellWords(line);
      if (words[0] === "export") {
        const [name, ...value] = (words[1] ?? "").split("=");
        process.env[name ?? ""] = value.join("=");
        continue;
      }
      expect(words.slice(0, 2), line).toEqual(prefix);
      const run = await runCli(...words.slice(2));
      expect(run.code, `${line}\n${run.stderr}`).toBe(0);
      if (words[2] === "report" && !words.includes("--out")) reports.push(run.stdout);
    }
    // The ledger's report sent to every reporter (a tab-separated table in a pipe).
    expect(reports).toHaveLength(1);
    for (const reporter of ["sns", "slack", "github", "email", "metrics"])
      expect(reports[0]).toMatch(new RegExp(`^${reporter}\\tsent`, "m"));

    // What the receivers got is in the output folder (the command writes it every 200 ms; here, at once).
    session.flush();
    const out = join(cwd, OUT);
    for (const folder of ["sns", "slack", "github", "email"])
      expect(readdirSync(join(out, folder)).length).toBeGreaterThan(0);
    const slack = readdirSync(join(out, "slack"));
    expect(JSON.parse(readFileSync(join(out, "slack", slack[0] ?? ""), "utf8")).blocks).toBeDefined();
    expect(readdirSync(join(out, "email")).some((f) => f.endsWith(".eml"))).toBe(true);
    expect(readFileSync(join(out, "github", readdirSync(join(out, "github"))[0] ?? ""), "utf8")).toContain(
      "team-a/api",
    );
  }, 120_000);

  it("prints a first command that a real shell runs as printed", async () => {
    const start = session.lines.indexOf("try, in another terminal in this folder:");
    const plan = session.lines[start + 1] ?? "";
    expect(plan).toMatch(/ plan --endpoint-url /);
    const { stdout } = await promisify(execFile)("sh", ["-c", `${plan} --json`], { cwd, timeout: 60_000 });
    expect(JSON.parse(stdout).repositories.length).toBeGreaterThan(0);
  }, 90_000);
});

describe("sandbox errors", () => {
  it("exits 2 saying what to do when --port is in use, with no stack trace", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const run = await runCli(
        "sandbox",
        "--port",
        String(port),
        "--write-config",
        join(cwd, "other.json"),
        "--out",
        join(cwd, "other-output"),
      );
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        `port ${port} is in use: pick another with --port, or omit --port for a free one.\n`,
      );
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  }, 60_000);

  it("exits 2 for a malformed --secret or an --out folder that holds something else, before listening", async () => {
    const secret = await runCli("sandbox", "--secret", "pd-0c1d2e3f");
    expect(secret.code).toBe(2);
    expect(secret.stderr).toMatch(/^--secret number 1 has no "=": expected --secret NAME=VALUE/);
    expect(secret.stderr).not.toContain("pd-0c1d2e3f");
    const busy = mkdtempSync(join(tmpdir(), "busy-"));
    writeFileSync(join(busy, "notes.txt"), "mine");
    const out = await runCli("sandbox", "--out", busy, "--write-config", join(busy, "c.json"));
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(
      `--out ${busy} is not empty and holds no previous sandbox output: choose another folder with --out.\n`,
    );
    expect(readdirSync(busy)).toEqual(["notes.txt"]);
  }, 60_000);
});
