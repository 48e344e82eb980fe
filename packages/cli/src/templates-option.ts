import { statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "./usage-error.js";

/**
 * `--templates DIR` of `report` and `digest`, checked before anything runs: a folder that does not exist would
 * otherwise be read as "no overrides", and the shipped templates used without a word.
 */
export function templatesFolder(option: string | undefined, cwd = process.cwd()): string | undefined {
  if (option === undefined) return undefined;
  const path = resolve(cwd, option);
  const isFolder = statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  if (!isFolder) throw new UsageError(`--templates ${option}: no such folder.`);
  return path;
}
