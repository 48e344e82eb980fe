import * as z from "zod";
import { configSchema } from "./schema.js";

/** The JSON Schema of the configuration document, generated from the zod schema (input side: what users write). */
export function configJsonSchema(): Record<string, unknown> {
  // Zod's default for a part JSON Schema cannot express is to throw: better than an `{}` that accepts anything.
  const schema = z.toJSONSchema(configSchema, { io: "input" });
  return {
    ...schema,
    $id: "https://github.com/ecr-scan-reporter/ecr-scan-reporter/blob/main/packages/core/config.schema.json",
    title: "ecr-scan-reporter configuration",
  };
}

/** The committed file's exact text, so a test can tell when it is stale. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
