import { join } from "node:path";
import { SENTINEL_SECRET } from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { listenProblem, parsePort } from "../src/commands/sandbox.js";
import { commandPrefix, sandboxHints, shellQuote } from "../src/commands/sandbox-hints.js";
import { parseSecretFlag, parseSecretFlags, SANDBOX_SECRET_ARN_PREFIX } from "../src/commands/secret-flag.js";
import { UsageError } from "../src/usage-error.js";

// `demo --secret` and `sandbox --secret` (commands/secret-flag.ts): NAME is the configuration's reference, written
// the same way; a mistake is a usage error that says the expected form and never repeats a value. And the sandbox
// command's other decisions: --port, a port in use, and the command prefix its hints use (commands/sandbox-hints.ts).

/** The message of the UsageError `run` throws. */
function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("--secret NAME=VALUE", () => {
  it("takes NAME as the configuration writes the reference: a parameter name, or a secret's ARN", () => {
    expect(parseSecretFlag("/acme/pager/key=abc", 1)).toEqual({
      ref: { parameter: "/acme/pager/key" },
      value: "abc",
    });
    expect(parseSecretFlag("plain-name=abc", 1)).toEqual({ ref: { parameter: "plain-name" }, value: "abc" });
    const arn = `${SANDBOX_SECRET_ARN_PREFIX}acme/token-AbC123`;
    expect(parseSecretFlag(`${arn}=t`, 1)).toEqual({ ref: { secretArn: arn }, value: "t" });
  });

  it("takes NAME as validate names a reference too: ssm:NAME, secretsmanager:ARN or secretsmanager:NAME", () => {
    expect(parseSecretFlag("ssm:/acme/key=v", 1).ref).toEqual({ parameter: "/acme/key" });
    const arn = `${SANDBOX_SECRET_ARN_PREFIX}acme/token`;
    expect(parseSecretFlag(`secretsmanager:${arn}=v`, 1).ref).toEqual({ secretArn: arn });
    expect(parseSecretFlag("secretsmanager:acme/token=v", 1).ref).toEqual({ secretArn: arn });
  });

  it("splits at the first '=': a value may hold more, such as a URL's query", () => {
    expect(parseSecretFlag("/acme/hook=https://h.example/x?a=1&b=2", 1).value).toBe(
      "https://h.example/x?a=1&b=2",
    );
  });

  it("refuses a flag without '=', without a name or without a value, never repeating the value", () => {
    const noEquals = usageError(() => parseSecretFlags(["/ok=1", SENTINEL_SECRET]));
    expect(noEquals).toMatch(
      /^--secret number 2 has no "=": expected --secret NAME=VALUE, NAME as the configuration/,
    );
    expect(noEquals).not.toContain("SENTINEL");
    const noName = usageError(() => parseSecretFlag(`=${SENTINEL_SECRET}`, 1));
    expect(noName).toContain('--secret number 1 has no NAME before "="');
    expect(noName).not.toContain("SENTINEL");
    expect(usageError(() => parseSecretFlag("/acme/key=", 1))).toBe(
      "--secret /acme/key=…: the value is empty, and a reporter reads an empty secret as none.",
    );
    // A base64 value given alone ("dGVzdHRva2Vu==") splits at its padding: no part of it is repeated.
    const padded = usageError(() => parseSecretFlag("dGVzdHRva2Vu==", 3));
    expect(padded).toContain('--secret number 3 has a VALUE of only "="');
    expect(padded).not.toContain("dGVzdHRva2Vu");
  });

  it("refuses a NAME core would not take as a reference, with core's reason", () => {
    const message = usageError(() => parseSecretFlag(`my key=${SENTINEL_SECRET}`, 1));
    expect(message).toMatch(
      /^--secret my key=…: must be an SSM parameter name like \/ecr-scan-reporter\/token; expected/,
    );
    expect(message).not.toContain("SENTINEL");
    expect(usageError(() => parseSecretFlag("arn:aws:secretsmanager:eu-west-1:1:secret:x=v", 1))).toContain(
      "must be a Secrets Manager secret ARN",
    );
  });

  it("refuses an ARN of another account or region: the sandbox has one", () => {
    expect(
      usageError(() => parseSecretFlag("arn:aws:secretsmanager:us-east-1:123456789012:secret:x=v", 1)),
    ).toBe(
      `--secret arn:aws:secretsmanager:us-east-1:123456789012:secret:x=…: the sandbox is account 123456789012 in eu-west-1: reference the secret as ${SANDBOX_SECRET_ARN_PREFIX}NAME, in the configuration and here.`,
    );
  });

  it("refuses the same reference twice, however it is written", () => {
    expect(usageError(() => parseSecretFlags(["/a/b=1", "ssm:/a/b=2"]))).toBe(
      "--secret ssm:/a/b is given twice: give each secret once.",
    );
    expect(parseSecretFlags()).toEqual([]);
  });
});

describe("the sandbox command's --port", () => {
  it("takes 1 to 65535, else says what to do", () => {
    expect(parsePort("8080")).toBe(8080);
    expect(parsePort(undefined)).toBeUndefined();
    for (const bad of ["0", "65536", "80a", "-1", ""])
      expect(usageError(() => parsePort(bad))).toBe(
        `--port ${bad}: expected a port number from 1 to 65535, or omit --port for a free one.`,
      );
  });

  it("words Node's listen errors for a port in use or not allowed, and nothing else", () => {
    expect(
      listenProblem(Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE", port: 4566 })),
    ).toBe("port 4566 is in use: pick another with --port, or omit --port for a free one.");
    expect(listenProblem(Object.assign(new Error("listen EACCES"), { code: "EACCES", port: 80 }))).toMatch(
      /^port 80 is not allowed for this user/,
    );
    expect(listenProblem(new Error("ECONNRESET"))).toBeUndefined();
  });
});

describe("the command prefix of the sandbox's hints", () => {
  const files = (...paths: string[]) => {
    const set = new Set(paths);
    return (path: string) => set.has(path);
  };

  it("is pnpm exec inside the workspace of a clone, else node and the bin file", () => {
    const root = "/src/ecr-scan-reporter";
    const input = {
      packageRoot: join(root, "packages/cli"),
      exists: files(join(root, "pnpm-workspace.yaml")),
    };
    expect(commandPrefix({ ...input, cwd: root })).toBe("pnpm exec ecr-scan-reporter");
    expect(commandPrefix({ ...input, cwd: join(root, "packages/sandbox") })).toBe(
      "pnpm exec ecr-scan-reporter",
    );
    expect(commandPrefix({ ...input, cwd: "/tmp" })).toBe(
      "node /src/ecr-scan-reporter/packages/cli/bin/ecr-scan-reporter.mjs",
    );
  });

  it("is npx inside the project that installed it (npm or pnpm layout), the bare name when global", () => {
    const npm = "/home/me/try/node_modules/@ecr-scan-reporter/cli";
    const pnpm =
      "/home/me/try/node_modules/.pnpm/@ecr-scan-reporter+cli@0.1.0/node_modules/@ecr-scan-reporter/cli";
    const exists = files("/home/me/try/package.json");
    for (const packageRoot of [npm, pnpm]) {
      expect(commandPrefix({ packageRoot, exists, cwd: "/home/me/try" })).toBe("npx ecr-scan-reporter");
      expect(commandPrefix({ packageRoot, exists, cwd: "/home/me/try/sub" })).toBe("npx ecr-scan-reporter");
      // Elsewhere npx would look the name up in the registry: the bin file works anywhere.
      expect(commandPrefix({ packageRoot, exists, cwd: "/home/me" })).toBe(
        `node ${packageRoot}/bin/ecr-scan-reporter.mjs`,
      );
    }
    const global = "/usr/local/lib/node_modules/@ecr-scan-reporter/cli";
    expect(
      commandPrefix({ packageRoot: global, exists, cwd: "/x", pathEnv: "/usr/bin:/usr/local/bin" }),
    ).toBe("ecr-scan-reporter");
    expect(commandPrefix({ packageRoot: global, exists, cwd: "/x", pathEnv: "/usr/bin" })).toBe(
      `node ${global}/bin/ecr-scan-reporter.mjs`,
    );
  });

  it("quotes what a shell would take apart", () => {
    expect(shellQuote("/tmp/a-b_c.json")).toBe("/tmp/a-b_c.json");
    expect(shellQuote("http://127.0.0.1:4566")).toBe("http://127.0.0.1:4566");
    expect(shellQuote("/tmp/it's here/$HOME")).toBe("'/tmp/it'\\''s here/$HOME'");
    expect(commandPrefix({ packageRoot: "/a b/cli", exists: () => false, cwd: "/" })).toBe(
      "node '/a b/cli/bin/ecr-scan-reporter.mjs'",
    );
  });

  it("lists scan before report, report waiting for the scan, and the ledger's table before what reads it", () => {
    const lines = sandboxHints({
      prefix: "npx ecr-scan-reporter",
      endpoint: "http://127.0.0.1:4566",
      region: "eu-west-1",
      configPath: "/tmp/my config.json",
      ledgerTable: "ledger",
      repository: "team-a/api",
      tag: "v1.0.0",
      cve: "CVE-2024-3094",
    });
    const commandLines = lines.filter((l) => l.startsWith("  npx "));
    expect(commandLines.map((l) => l.split(" ")[4])).toEqual([
      "plan",
      "scan",
      "report",
      "scan",
      "report",
      "digest",
      "exposure",
    ]);
    for (const line of commandLines)
      expect(line).toContain(
        "--endpoint-url http://127.0.0.1:4566 --region eu-west-1 --config '/tmp/my config.json'",
      );
    for (const line of commandLines.filter((l) => l.includes("ecr-scan-reporter report ")))
      expect(line).toContain("report team-a/api:v1.0.0 --wait ");
    // The ledger's table is exported after the first block and before every command of the ledger's block.
    const exported = lines.indexOf("  export LEDGER_TABLE_NAME=ledger");
    expect(exported).toBeGreaterThan(lines.indexOf(commandLines[2] ?? ""));
    expect(exported).toBeLessThan(lines.lastIndexOf(commandLines[3] ?? ""));
  });
});
