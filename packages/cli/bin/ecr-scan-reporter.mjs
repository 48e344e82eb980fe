#!/usr/bin/env node
import { existsSync } from "node:fs";

// The AWS SDK announces once per process that its 2027 releases will need Node 22; the CLI supports Node 20+.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

// In the workspace the CLI runs from its TypeScript sources, which tsx compiles on the fly; the installed package
// carries no sources, only the bundle its build wrote (scripts/build.mjs), and runs that without tsx.
const sources = new URL("../src/main.ts", import.meta.url);
let main;
if (existsSync(sources)) {
  const { register } = await import("tsx/esm/api");
  register();
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import("../dist/cli.mjs"));
}
process.exitCode = await main(process.argv);
