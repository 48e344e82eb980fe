#!/usr/bin/env node
// The workspace runs the CLI from its TypeScript sources: tsx compiles them on the fly.
import { register } from "tsx/esm/api";

// The AWS SDK announces once per process that its 2027 releases will need Node 22; the CLI supports Node 20+.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv);
