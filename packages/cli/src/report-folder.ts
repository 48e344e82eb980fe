import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { relative, resolve, sep } from "node:path";
import type { ImageRef } from "./image-ref.js";
import { UsageError } from "./usage-error.js";

// `report --out DIR` writes each image into a folder of its own, `DIR/<repository>/@<tag>/` (or `@sha256-<hex>/`
// for an image named by digest), so two images reported into one DIR (a CI job's artifact folder) never mix, and
// a folder holds one run only: an earlier report of the same image is replaced whole, so no file of it (a
// reporter no longer configured, a preview no longer rendered) passes for a current one.
//
// Why `@`: it appears in no repository name and no tag, so an image's folder can never be (or lie inside) another
// repository's folder: `app:cache` is `app/@cache/`, the repository `app/cache` is `app/cache/…`.

/** What marks a folder as one `report --out` wrote: the report, or the note saying why there is none. */
export const REPORT_FILE = "report.json";
export const NOT_REPORTED_FILE = "NOT-REPORTED.txt";
const MARKERS = [REPORT_FILE, NOT_REPORTED_FILE];

/**
 * The image's folder under `--out`: `<out>/<repository>/@<tag>` or `<out>/<repository>/@sha256-<hex>`; with
 * `--account`, under `<out>/@<account id>/`, so one repository name in two accounts never shares a folder.
 */
export function imageFolder(outRoot: string, ref: ImageRef, accountId?: string): string {
  const root = resolve(outRoot);
  // `:` cannot be in a file name on Windows, where a CI artifact may be opened.
  const leaf = `@${ref.imageDigest ? ref.imageDigest.replace(":", "-") : (ref.imageTag ?? "latest")}`;
  const accountFolder = accountId ? [`@${accountId}`] : [];
  const folder = resolve(root, ...accountFolder, ...ref.repositoryName.split("/"), leaf);
  // parseImageRef admits no `.` or `..` segment; this keeps it so should that ever change.
  const inside = relative(root, folder);
  if (inside.startsWith("..") || inside.split(sep).some((part) => part === "." || part === "..")) {
    throw new UsageError(`--out: ${ref.repositoryName} would be written outside ${root}.`);
  }
  return folder;
}

/**
 * Makes the image's folder ready to write: created if new, kept if empty, replaced whole if it holds an earlier
 * report (its `report.json` or `NOT-REPORTED.txt`). A folder holding anything else is not ours to delete: a
 * UsageError says so. Returns whether an earlier report was replaced.
 */
export function prepareImageFolder(folder: string): { replaced: boolean } {
  if (existsSync(folder)) {
    if (!statSync(folder).isDirectory()) {
      throw new UsageError(`--out: ${folder} is a file, not a folder; choose another --out.`);
    }
    const entries = readdirSync(folder);
    if (entries.length === 0) return { replaced: false };
    if (!entries.some((entry) => MARKERS.includes(entry))) {
      throw new UsageError(
        `--out: ${folder} holds files that are not an earlier report of this image (no ${REPORT_FILE}); empty it or choose another --out.`,
      );
    }
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    return { replaced: true };
  }
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    // A file where a parent folder should be (ENOTDIR, EEXIST): the --out given cannot hold the image's folder.
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(`--out: cannot create ${folder} (${code}); choose another --out.`);
  }
  return { replaced: false };
}
