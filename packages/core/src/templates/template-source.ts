import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { TemplateSource } from "../reporters/contract.js";

/** All `*.hbs` files under a folder, by path relative to it with `/` separators. */
export function readTemplateFolder(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(folder)) return out;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".hbs"))
        out[relative(folder, path).split(sep).join("/")] = readFileSync(path, "utf8");
    }
  };
  walk(folder);
  return out;
}

/**
 * Overrides read once from folders laid out like `templates/` (`slack/finding.hbs`…); the first folder that has a
 * template wins. Missing folders are fine: no override.
 */
// Stryker disable next-line ArrayDeclaration: a default folder that does not exist overrides nothing, as none does
export function createTemplateSource(overrideFolders: readonly string[] = []): TemplateSource {
  const merged: Record<string, string> = {};
  for (const folder of [...overrideFolders].reverse()) Object.assign(merged, readTemplateFolder(folder));
  return { override: (name) => merged[name], names: () => Object.keys(merged) };
}
