// The examples must apply as written in the user's own account: a default that names a resource by ARN (a layer,
// a key, a topic of account 123456789012) fails there. What the example cannot create is a variable without a
// default; terraform/tests/examples.tftest.hcl gives those values, as a user would.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MODULE_DIR } from "./support/terraform.js";

const EXAMPLES_DIR = join(MODULE_DIR, "examples");

const EXAMPLE_FILES = readdirSync(EXAMPLES_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((entry) =>
    readdirSync(join(EXAMPLES_DIR, entry.name))
      .filter((file) => file.endsWith(".tf"))
      .map((file) => `${entry.name}/${file}`),
  )
  .sort();

describe("the Terraform examples", () => {
  it("has examples to check", () => {
    expect(EXAMPLE_FILES.length).toBeGreaterThan(0);
  });

  it.each(EXAMPLE_FILES)("%s: no variable defaults to an ARN (the resource of another account)", (file) => {
    const source = readFileSync(join(EXAMPLES_DIR, file), "utf8");
    const arnDefaults = [...source.matchAll(/^\s*default\s*=\s*(.*"arn:[^"]*".*)$/gm)].map(
      (match) => match[1],
    );
    expect(arnDefaults).toEqual([]);
  });
});
