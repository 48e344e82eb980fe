// Checks the Terraform module in terraform/: fmt, init + validate of the module and each example, `terraform test`
// (mock provider: no credentials, no network), and that the inputs/outputs tables of terraform/README.md match
// variables.tf and outputs.tf. `--write` only regenerates those tables (no other check).
//
// The summary line of `terraform test` ("Success! N passed, 0 failed.") goes to .terraform-test-results.txt, where
// scripts/test-counts.mjs adds it to the totals of `pnpm test`. Whenever a step fails, that file also gets a
// "0 passed, 1 failed" line, so a broken module is never counted as green.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const moduleDir = join(root, "terraform");
const resultsFile = join(root, ".terraform-test-results.txt");
const readmeFile = join(moduleDir, "README.md");
const PLUGIN_MIRROR = "/opt/tf-plugins";
const BEGIN = "<!-- BEGIN_TF_DOCS -->";
const END = "<!-- END_TF_DOCS -->";

/** The environment for terraform: the local provider mirror when this machine has one, no prompts, no colour. */
export function terraformEnv(base = process.env) {
  const env = { ...base, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" };
  if (existsSync(PLUGIN_MIRROR)) env.TF_CLI_CONFIG_FILE = join(moduleDir, "terraform.cli.hcl");
  return env;
}

function terraform(args, cwd) {
  const result = spawnSync("terraform", args, {
    cwd,
    env: terraformEnv(),
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  if (result.error) {
    const why =
      result.error.code === "ENOENT"
        ? "terraform is not on PATH (install Terraform >= 1.6)"
        : result.error.message;
    return { ok: false, output: why };
  }
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs/outputs tables: a small reader of the `variable` and `output` blocks of an HCL file. It understands what
// those files contain: nested braces and brackets, quoted strings with escapes and ${…} templates, heredocs and
// comments; it returns each block's top-level attributes as source text.

/** Splits HCL source into top-level blocks `kind "name" { … }` with their top-level attributes (raw text). */
export function readBlocks(source, kind) {
  const blocks = [];
  const header = new RegExp(`^${kind}\\s+"([^"]+)"\\s*\\{`, "gm");
  for (let match = header.exec(source); match; match = header.exec(source)) {
    const bodyStart = match.index + match[0].length;
    const bodyEnd = matchingBrace(source, bodyStart);
    blocks.push({ name: match[1], attributes: topLevelAttributes(source.slice(bodyStart, bodyEnd)) });
    header.lastIndex = bodyEnd;
  }
  return blocks;
}

/** Index of the `}` closing the block whose body starts at `start`. */
function matchingBrace(text, start) {
  let depth = 1;
  for (let i = start; i < text.length; ) {
    const skipped = skipNonCode(text, i);
    if (skipped !== i) {
      i = skipped;
      continue;
    }
    const c = text[i];
    if (c === "{" || c === "[" || c === "(") depth++;
    else if (c === "}" || c === "]" || c === ")") {
      depth--;
      if (depth === 0) return i;
    }
    i++;
  }
  throw new Error("unbalanced braces");
}

/** If a string, heredoc or comment starts at i, the index after it; otherwise i. */
function skipNonCode(text, i) {
  if (text[i] === "#" || text.startsWith("//", i)) {
    const end = text.indexOf("\n", i);
    return end === -1 ? text.length : end;
  }
  if (text.startsWith("/*", i)) return text.indexOf("*/", i + 2) + 2;
  if (text[i] === '"') return endOfString(text, i + 1);
  const heredoc = /^<<-?([A-Za-z_]+)\n/.exec(text.slice(i, i + 64));
  if (heredoc) {
    const close = new RegExp(`\\n\\s*${heredoc[1]}\\s*(\\n|$)`, "g");
    close.lastIndex = i + heredoc[0].length - 1;
    const found = close.exec(text);
    return found ? found.index + found[0].trimEnd().length : text.length;
  }
  return i;
}

/** Index after the closing quote of a string whose content starts at i (templates may nest strings). */
function endOfString(text, i) {
  while (i < text.length) {
    const c = text[i];
    if (c === "\\") i += 2;
    else if (c === '"') return i + 1;
    else if ((c === "$" || c === "%") && text[i + 1] === "{") i = matchingBrace(text, i + 2) + 1;
    else i++;
  }
  return i;
}

/** `name = value` pairs at depth 0 of a block body; nested blocks (validation { … }) are skipped. */
function topLevelAttributes(body) {
  const attributes = {};
  let i = 0;
  while (i < body.length) {
    const skipped = skipNonCode(body, i);
    if (skipped !== i) {
      i = skipped;
      continue;
    }
    const rest = body.slice(i);
    const attribute = /^([A-Za-z_][\w-]*)\s*=(?!=)\s*/.exec(rest);
    const nested = /^([A-Za-z_][\w-]*)(\s+"[^"]*")*\s*\{/.exec(rest);
    if (attribute) {
      const start = i + attribute[0].length;
      const end = endOfExpression(body, start);
      attributes[attribute[1]] = body.slice(start, end).trim();
      i = end;
    } else if (nested) {
      i = matchingBrace(body, i + nested[0].length) + 1;
    } else i++;
  }
  return attributes;
}

/** End of the expression starting at i: the first newline outside brackets, strings and heredocs. */
function endOfExpression(text, i) {
  let depth = 0;
  while (i < text.length) {
    const skipped = skipNonCode(text, i);
    if (skipped !== i) {
      // A comment ends the expression's line but not the expression when brackets are open.
      if ((text[i] === "#" || text.startsWith("//", i)) && depth === 0) return i;
      i = skipped;
      continue;
    }
    const c = text[i];
    if (c === "{" || c === "[" || c === "(") depth++;
    else if (c === "}" || c === "]" || c === ")") depth--;
    else if (c === "\n" && depth === 0) return i;
    i++;
  }
  return i;
}

/** The value of a description: a quoted string's text, unescaped. */
function describe(raw) {
  if (raw === undefined) return "";
  // HCL's string escapes (\" \\ \n \t \uNNNN) are JSON's.
  if (raw.startsWith('"')) return JSON.parse(raw.replace(/\$\$\{/g, "${").replace(/%%\{/g, "%{"));
  return raw.replace(/^<<-?\w+\n|\n\s*\w+$/g, "");
}

/** Table cell text: one line, pipes escaped, and no `<name>` that Markdown would take for an HTML tag. */
function cell(text) {
  return text.replace(/\s+/g, " ").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;").trim();
}

/** An HCL expression on one line: the attributes of a multi-line object type or value separated by commas. */
function oneLine(text) {
  const lines = text
    .split("\n")
    .map((line) =>
      line
        .replace(/\s+#.*$/, "")
        .trim()
        .replace(/\s+/g, " "),
    )
    .filter(Boolean);
  let out = lines[0] ?? "";
  for (const line of lines.slice(1)) {
    const joint = /[{([,]$/.test(out) || /^[})\]]/.test(line) ? " " : ", ";
    out += joint + line;
  }
  return out;
}

function code(text) {
  const flat = oneLine(text).replace(/\|/g, "\\|");
  // A code span cannot hold its own delimiter: use a double backtick span around text with a backtick.
  return flat.includes("`") ? `\`\` ${flat} \`\`` : `\`${flat}\``;
}

/** The README section between the markers, generated from variables.tf and outputs.tf. */
export function generateDocs() {
  const variables = readBlocks(readFileSync(join(moduleDir, "variables.tf"), "utf8"), "variable");
  const outputs = readBlocks(readFileSync(join(moduleDir, "outputs.tf"), "utf8"), "output");
  const lines = [
    BEGIN,
    "<!-- Generated from variables.tf and outputs.tf by `node scripts/terraform-check.mjs --write`; do not edit. -->",
    "",
    "### Inputs",
    "",
    "| Name | Description | Type | Default | Required |",
    "| ---- | ----------- | ---- | ------- | :------: |",
  ];
  for (const { name, attributes } of variables.sort((a, b) => a.name.localeCompare(b.name))) {
    const required = attributes.default === undefined;
    lines.push(
      `| \`${name}\` | ${cell(describe(attributes.description))} | ${code(attributes.type ?? "any")} | ${required ? "n/a" : code(attributes.default)} | ${required ? "yes" : "no"} |`,
    );
  }
  lines.push("", "### Outputs", "", "| Name | Description |", "| ---- | ----------- |");
  for (const { name, attributes } of outputs.sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(`| \`${name}\` | ${cell(describe(attributes.description))} |`);
  }
  lines.push(END);
  return lines.join("\n");
}

/**
 * A section compared cell by cell, so that padding table cells to align the columns (or stretching the separator
 * rows) changes nothing.
 */
function normalizeTables(section) {
  return section
    .split("\n")
    .map((line) => {
      if (!line.startsWith("|")) return line;
      const cells = line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((text) => text.trim().replace(/^(:?)-+(:?)$/, "$1---$2"));
      return `| ${cells.join(" | ")} |`;
    })
    .join("\n");
}

function documentedSection(readme) {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start === -1 || end === -1 || end < start) return undefined;
  return { start, end: end + END.length, text: readme.slice(start, end + END.length) };
}

// ---------------------------------------------------------------------------------------------------------------

function exampleDirs() {
  const dir = join(moduleDir, "examples");
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(dir, entry.name))
    .filter((path) => readdirSync(path).some((file) => file.endsWith(".tf")))
    .sort();
}

/** The last lines of a command's output, for a failure message. */
function tail(output, lines = 40) {
  return output.trimEnd().split("\n").slice(-lines).join("\n");
}

function main() {
  const write = process.argv.includes("--write");
  const started = Date.now();
  rmSync(resultsFile, { force: true });
  let failedStep;

  const step = (label, run) => {
    if (failedStep) return;
    const t0 = Date.now();
    const { ok, detail } = run();
    const seconds = ((Date.now() - t0) / 1000).toFixed(1);
    console.log(`${ok ? "ok  " : "FAIL"} ${label} (${seconds} s)${ok && detail ? `: ${detail}` : ""}`);
    if (!ok) {
      failedStep = label;
      if (detail) console.error(`\n${detail}\n`);
    }
  };

  // --write only regenerates the tables: the checks below take minutes and have nothing to write.
  const check = (label, run) => (write ? undefined : step(label, run));

  check("terraform fmt -check -recursive terraform", () => {
    const { ok, output } = terraform(["fmt", "-check", "-recursive", "-no-color", "terraform"], root);
    return ok
      ? { ok }
      : {
          ok,
          detail: `These files are not formatted; run \`terraform fmt -recursive terraform\`:\n${tail(output)}`,
        };
  });

  for (const dir of [moduleDir, ...exampleDirs()]) {
    const name = relative(root, dir);
    check(`terraform init + validate ${name}`, () => {
      const init = terraform(["init", "-backend=false", "-input=false", "-no-color"], dir);
      if (!init.ok) return { ok: false, detail: `terraform init failed in ${name}:\n${tail(init.output)}` };
      const validate = terraform(["validate", "-no-color"], dir);
      return validate.ok
        ? { ok: true }
        : { ok: false, detail: `terraform validate failed in ${name}:\n${tail(validate.output)}` };
    });
  }

  check("terraform test (terraform/tests, mock provider)", () => {
    const { ok, output } = terraform(["test", "-no-color"], moduleDir);
    const summaries = output.split("\n").filter((line) => /\d+ passed, \d+ failed/.test(line));
    writeFileSync(
      resultsFile,
      `${summaries.length > 0 ? summaries.join("\n") : "terraform test: 0 passed, 1 failed (no summary line)"}\n`,
    );
    if (ok) return { ok, detail: summaries.join(" ").trim() };
    const failures = output
      .split("\n")
      .filter((line) => /run ".*"\.\.\. fail|^Error:|^\s+on tests\//.test(line))
      .join("\n");
    return {
      ok,
      detail: `terraform test failed (run \`terraform test\` in terraform/ for the whole output):\n${failures || tail(output)}`,
    };
  });

  step(`inputs/outputs tables of terraform/README.md${write ? " (--write)" : ""}`, () => {
    const readme = existsSync(readmeFile) ? readFileSync(readmeFile, "utf8") : "";
    const section = documentedSection(readme);
    if (!section) return { ok: false, detail: `terraform/README.md has no ${BEGIN} … ${END} section.` };
    const generated = generateDocs();
    if (normalizeTables(section.text) === normalizeTables(generated)) return { ok: true };
    if (write) {
      // Written as generated: Biome does not format Markdown, so the tables stay unpadded.
      writeFileSync(readmeFile, `${readme.slice(0, section.start)}${generated}${readme.slice(section.end)}`);
      return { ok: true, detail: "regenerated" };
    }
    return {
      ok: false,
      detail:
        "The inputs/outputs tables of terraform/README.md do not match variables.tf and outputs.tf; run `node scripts/terraform-check.mjs --write`.",
    };
  });

  if (failedStep) {
    // Counted by CI like a failed test, so a broken module is never reported green.
    const before = existsSync(resultsFile) ? readFileSync(resultsFile, "utf8") : "";
    writeFileSync(resultsFile, `${before}terraform check: 0 passed, 1 failed (${failedStep})\n`);
  }
  const total = ((Date.now() - started) / 1000).toFixed(1);
  if (failedStep) {
    console.error(`terraform check failed at: ${failedStep} (${total} s)`);
    process.exit(1);
  }
  console.log(`terraform check passed (${total} s)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
