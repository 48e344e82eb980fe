// Regenerates packages/core/config.schema.json from the zod schema: `pnpm --filter @ecr-scan-reporter/core schema`.
import { writeFileSync } from "node:fs";
import { configJsonSchemaText } from "../src/config/json-schema.js";

const target = new URL("../config.schema.json", import.meta.url);
writeFileSync(target, configJsonSchemaText());
console.log(`wrote ${target.pathname}`);
