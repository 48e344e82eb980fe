// The README and docs/cli.md against the CLI itself: every command and flag its --help lists is documented in both,
// and the built-in reporters they list are the code's, the list the error messages give.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BUILT_IN_REPORTER_NAMES } from "@ecr-scan-reporter/built-in-reporters";
import { configJsonSchema } from "@ecr-scan-reporter/core";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";

const read = (path: string) =>
  readFileSync(fileURLToPath(new URL(`../../../${path}`, import.meta.url)), "utf8");
const DOCS = { "README.md": read("README.md"), "docs/cli.md": read("docs/cli.md") };

/** The commands `--help` lists (but `help` itself). */
async function commands(): Promise<string[]> {
  const { stdout } = await runCli("--help");
  const section = stdout.slice(stdout.indexOf("Commands:"));
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)]
    .map((m) => m[1] ?? "")
    .filter((name) => name !== "help");
}

/** The long flags of a command's --help (or the program's, with no command). */
async function flags(...command: string[]): Promise<string[]> {
  const { stdout } = await runCli(...command, "--help");
  const section = stdout.slice(stdout.indexOf("Options:"));
  return [...section.matchAll(/^ {2}(?:-\w, )?(--[a-z][\w-]*)/gm)].map((m) => m[1] ?? "");
}

describe("the documentation of the CLI", () => {
  it("names every command in the README and docs/cli.md", async () => {
    const names = await commands();
    expect(names).toEqual(expect.arrayContaining(["plan", "scan", "report", "validate", "demo", "sandbox"]));
    for (const [file, text] of Object.entries(DOCS)) {
      const missing = names.filter((name) => !new RegExp(`\`${name}[\` ]`).test(text));
      expect(missing, `commands missing from ${file}`).toEqual([]);
    }
  });

  it("documents every flag of every command in the README and docs/cli.md", async () => {
    const all = new Set(await flags());
    for (const name of await commands()) for (const flag of await flags(name)) all.add(flag);
    expect(all.has("--reporters")).toBe(true);
    for (const [file, text] of Object.entries(DOCS)) {
      // A flag as a word of its own: `--out DIR`, `--wait`, `-o, --out` (not --wait inside --wait-timeout only).
      const missing = [...all].filter((flag) => !new RegExp(`${flag}[\\s\`,]`).test(text));
      expect(missing, `flags missing from ${file}`).toEqual([]);
    }
  });
});

describe("the built-in reporters", () => {
  const listed = BUILT_IN_REPORTER_NAMES.map((name) => `\`${name}\``).join(", ");

  it("are listed in the README and docs/cli.md as the code has them, in its order", () => {
    expect(BUILT_IN_REPORTER_NAMES).toEqual(["sns", "slack", "github", "email", "metrics"]);
    expect(DOCS["README.md"]).toContain(`Built-in reporters: ${listed}`);
    expect(DOCS["docs/cli.md"]).toContain(`a built-in reporter (${listed})`);
    // The error messages' list, as validate prints it.
    expect(DOCS["docs/cli.md"]).toContain(
      `is neither a built-in reporter (${BUILT_IN_REPORTER_NAMES.join(", ")})`,
    );
  });

  it("are the ones the configuration's JSON Schema names for `use`", () => {
    const text = JSON.stringify(configJsonSchema());
    expect(text).toContain(`A built-in reporter (${BUILT_IN_REPORTER_NAMES.join(", ")}) or a package name.`);
  });
});
