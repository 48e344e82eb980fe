import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { AnyReporterPlugin } from "./contract.js";
import type { CustomPluginResolver } from "./loader.js";

/** Where a Lambda layer's Node.js packages land (layers unpack under /opt). */
export const LAYER_NODE_MODULES = "/opt/nodejs/node_modules";

type ExportsField = string | { [condition: string]: ExportsField | undefined } | undefined;

/** The entry of a package's `exports["."]` for an ESM `import` (conditions import, node, default). */
function importTarget(exportsField: ExportsField): string | undefined {
  if (typeof exportsField === "string") return exportsField;
  if (!exportsField) return undefined;
  const root = "." in exportsField ? exportsField["."] : exportsField;
  if (typeof root === "string") return root;
  for (const condition of ["import", "node", "default"]) {
    const target = importTarget(root?.[condition]);
    if (target) return target;
  }
  return undefined;
}

/**
 * The file a package's ESM entry point names, from its package.json (`exports`, then `module`, then `main`, then
 * index.js). Resolved by hand because ESM `import()` ignores NODE_PATH: a layer's packages are not found by name.
 */
export function resolvePackageEntry(packageName: string, nodeModules: string): string {
  const dir = join(nodeModules, ...packageName.split("/"));
  const manifestPath = join(dir, "package.json");
  if (!existsSync(manifestPath)) {
    throw new Error(`package "${packageName}" is not installed in ${nodeModules} (no ${manifestPath})`);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    exports?: ExportsField;
    module?: string;
    main?: string;
  };
  const entry = importTarget(manifest.exports) ?? manifest.module ?? manifest.main ?? "index.js";
  const file = join(dir, entry);
  if (!existsSync(file))
    throw new Error(`package "${packageName}" names ${entry} as its entry point, which does not exist`);
  return file;
}

/**
 * Loads reporter packages by name from a node_modules folder (a Lambda layer's, or the CLI's working directory):
 * undefined when the package is not there, an error when it is there but is not a reporter module.
 */
export function createPackageResolver(nodeModules: string): CustomPluginResolver {
  return async (packageName) => {
    if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(packageName)) {
      throw new Error(`"${packageName}" is not a valid npm package name`);
    }
    if (!existsSync(join(nodeModules, ...packageName.split("/"), "package.json"))) return undefined;
    const module = (await import(pathToFileURL(resolvePackageEntry(packageName, nodeModules)).href)) as {
      default?: unknown;
    };
    if (module.default === undefined) {
      throw new Error(
        `its module (in ${nodeModules}) has no default export: export default a reporter plugin`,
      );
    }
    return module.default as AnyReporterPlugin;
  };
}
