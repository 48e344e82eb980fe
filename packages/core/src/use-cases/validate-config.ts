import { existsSync, statSync } from "node:fs";
import Handlebars from "handlebars";
import { parseJsonDocument, problemsFromIssues } from "../config/load.js";
import { configSchema, type ReporterEntry, reporterEntrySchema } from "../config/schema.js";
import { ConfigError, type ConfigProblem } from "../errors.js";
import type { AnyReporterPlugin, ReporterDeps } from "../reporters/contract.js";
import { type CustomPluginResolver, type LoadedReporter, loadReporters } from "../reporters/loader.js";
import { checkSecretReferences, findSecretReferences } from "../reporters/secret-references.js";
import type { SecretFetchers } from "../reporters/secrets.js";
import { readTemplateFolder } from "../templates/template-source.js";

/** Which check found a problem (or was skipped), for `validate --json` and its summary. */
export type ValidationCheck = "json" | "schema" | "reporters" | "options" | "secrets" | "templates";

export interface ValidationProblem extends ConfigProblem {
  check: ValidationCheck;
}

export interface ValidateConfigDeps {
  /** The built-in reporters by name (the Lambdas' and the CLI's list). */
  builtIns: ReadonlyMap<string, AnyReporterPlugin | (() => Promise<AnyReporterPlugin>)>;
  /** Loads a custom reporter package (a layer's node_modules, the CLI's `--reporters`). */
  resolveCustom?: CustomPluginResolver;
  /** What each reporter's create() is given; nothing is sent. */
  reporterDeps: ReporterDeps;
  /** How secret references are read, or why they are not (no AWS region…): then the check is skipped, not failed. */
  secrets: { fetchers?: SecretFetchers } | { skip: string };
  /** A folder of template overrides to check (the CLI's `--templates`, the contents of a templates layer). */
  templatesDir?: string;
}

/** Everything `validate` found: every problem at once, what was loaded, and which checks could not be made. */
export interface ConfigValidation {
  source: string;
  valid: boolean;
  problems: ValidationProblem[];
  /**
   * The reporter entries loaded (a built-in or package found, options accepted), by id; none when any entry has a
   * problem, as the functions load all of them or fail.
   */
  reporters: { id: string; use: string }[];
  /** Secret references found in the reporters' options, and whether AWS was asked for them. */
  secretReferences: { found: number; checked: boolean };
  /** The template overrides folder, when one was given. */
  templates?: { dir: string; overrides: number };
  skipped: { check: ValidationCheck; why: string }[];
}

/**
 * Problems for the entries whose `use` is neither a built-in reporter nor an installed package, checked by name
 * only (nothing is imported): what `plan` and `scan` reject before they touch AWS.
 */
export function unknownReporterProblems(
  entries: readonly Pick<ReporterEntry, "use">[],
  builtInNames: readonly string[],
  isInstalled: (packageName: string) => boolean,
  where: string,
): ConfigProblem[] {
  return entries.flatMap(({ use }, index) =>
    builtInNames.includes(use) || isInstalled(use)
      ? []
      : [
          {
            path: `reporters[${index}].use`,
            reason: `"${use}" is neither a built-in reporter (${builtInNames.join(", ")}) nor a reporter package installed in ${where}`,
          },
        ],
  );
}

/** A Handlebars parse error in one line: its first line (where) and last (what was expected). */
function parseErrorText(error: unknown): string {
  const lines = (error instanceof Error ? error.message : String(error)).split("\n");
  return lines.length > 1 ? `${lines[0]} ${lines.at(-1)}` : (lines[0] ?? "");
}

/**
 * Checks a template overrides folder: it exists, is a folder, holds `.hbs` files (laid out like templates/), and
 * each parses as Handlebars. A folder with none would silently override nothing.
 */
export function checkTemplatesFolder(dir: string): { problems: ConfigProblem[]; overrides: number } {
  if (!existsSync(dir)) {
    return {
      problems: [{ path: dir, reason: "no such folder (template overrides are laid out like templates/)" }],
      overrides: 0,
    };
  }
  if (!statSync(dir).isDirectory())
    return { problems: [{ path: dir, reason: "is not a folder" }], overrides: 0 };
  const templates = readTemplateFolder(dir);
  const names = Object.keys(templates).sort();
  if (names.length === 0) {
    return {
      problems: [
        {
          path: dir,
          reason:
            "holds no .hbs template (laid out like templates/: slack/finding.hbs, email/body.html.hbs…)",
        },
      ],
      overrides: 0,
    };
  }
  const problems = names.flatMap((name) => {
    try {
      Handlebars.parse(templates[name] ?? "");
      return [];
    } catch (error) {
      return [{ path: `${dir}/${name}`, reason: parseErrorText(error) }];
    }
  });
  return { problems, overrides: names.length };
}

/** Moves `reporters[k]…` (k in the list checked) to `reporters[i]…` (i in the document). */
function atDocumentIndex(path: string, indices: readonly number[]): string {
  return path.replace(/^reporters\[(\d+)\]/, (whole, k: string) => {
    const index = indices[Number(k)];
    return index === undefined ? whole : `reporters[${index}]`;
  });
}

/** The reporter entries that pass the entry schema, with their index in the document, when the whole does not. */
function validEntriesOf(document: unknown): { index: number; entry: ReporterEntry }[] {
  const reporters = (document as { reporters?: unknown } | null)?.reporters;
  if (!Array.isArray(reporters)) return [];
  return reporters.flatMap((raw, index) => {
    const parsed = reporterEntrySchema.safeParse(raw);
    return parsed.success ? [{ index, entry: parsed.data }] : [];
  });
}

/**
 * Checks a configuration document as the functions will use it, and lists every problem at once: its JSON, the
 * schema, each reporter's name (built in, or a package that loads as a plugin) and options (its own schema), that
 * each secret reference resolves (the AWS error named when not), and the template overrides folder. A reporter
 * entry is checked even when another part of the document is wrong, so one pass finds everything.
 */
export async function validateConfigText(
  text: string,
  source: string,
  deps: ValidateConfigDeps,
): Promise<ConfigValidation> {
  const problems: ValidationProblem[] = [];
  const skipped: ConfigValidation["skipped"] = [];
  const add = (check: ValidationCheck, found: readonly ConfigProblem[]) =>
    problems.push(...found.map((problem) => ({ ...problem, check })));
  let loaded: LoadedReporter[] = [];
  let secretReferences = { found: 0, checked: false };

  const parsed = parseJsonDocument(text);
  if ("problem" in parsed) {
    add("json", [parsed.problem]);
    skipped.push({ check: "reporters", why: "the document is not JSON" });
  } else {
    const whole = configSchema.safeParse(parsed.document);
    let checked: { index: number; entry: ReporterEntry }[];
    if (whole.success) checked = whole.data.reporters.map((entry, index) => ({ index, entry }));
    else {
      add("schema", problemsFromIssues(whole.error.issues));
      checked = validEntriesOf(parsed.document);
    }
    const indices = checked.map(({ index }) => index);
    const entries = checked.map(({ entry }) => entry);

    try {
      loaded = await loadReporters(entries, deps.builtIns, deps.reporterDeps, deps.resolveCustom);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) {
        const path = atDocumentIndex(problem.path, indices);
        add(/^reporters\[\d+\]\.options/.test(path) ? "options" : "reporters", [{ ...problem, path }]);
      }
    }

    const found = findSecretReferences(entries).length;
    secretReferences = { found, checked: false };
    if (found > 0 && "skip" in deps.secrets) skipped.push({ check: "secrets", why: deps.secrets.skip });
    else if (found > 0 && !("skip" in deps.secrets)) {
      const check = await checkSecretReferences({ reporters: entries }, deps.secrets);
      add(
        "secrets",
        check.problems.map((problem) => ({ ...problem, path: atDocumentIndex(problem.path, indices) })),
      );
      if (check.unchecked) skipped.push({ check: "secrets", why: check.unchecked });
      secretReferences = { found, checked: check.unchecked === undefined };
    }
  }

  let templates: ConfigValidation["templates"];
  if (deps.templatesDir !== undefined) {
    const folder = checkTemplatesFolder(deps.templatesDir);
    add("templates", folder.problems);
    templates = { dir: deps.templatesDir, overrides: folder.overrides };
  }

  return {
    source,
    valid: problems.length === 0,
    problems,
    reporters: loaded.map(({ id, entry }) => ({ id, use: entry.use })),
    secretReferences,
    ...(templates ? { templates } : {}),
    skipped,
  };
}
