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
 * Templates from the shipped set, each replaceable by a file of the same relative name in an override folder
 * (the first folder that has it wins). Overrides are read once, when the source is created.
 */
export function createTemplateSource(
  shipped: Record<string, string>,
  overrideFolders: readonly string[] = [],
): TemplateSource {
  const merged: Record<string, string> = { ...shipped };
  for (const folder of [...overrideFolders].reverse()) Object.assign(merged, readTemplateFolder(folder));
  return {
    read(name) {
      const text = merged[name];
      if (text === undefined) {
        throw new Error(
          `No template "${name}": neither shipped nor in ${overrideFolders.length > 0 ? overrideFolders.join(", ") : "any override folder"}.`,
        );
      }
      return text;
    },
    partials(reporter) {
      const prefix = `${reporter}/partials/`;
      const partials: Record<string, string> = {};
      for (const [name, text] of Object.entries(merged)) {
        if (name.startsWith(prefix)) partials[name.slice(prefix.length).replace(/\.hbs$/, "")] = text;
      }
      return partials;
    },
  };
}
