// `@ecr-scan-reporter/core/config`: the configuration document — its zod schema, JSON Schema, parsing with every
// problem at once, and loading it from a Lambda's environment.
export { configJsonSchema, configJsonSchemaText } from "./config/json-schema.js";
export { findJsonSyntaxError, type JsonSyntaxError, lineColumnOf } from "./config/json-syntax.js";
export {
  CONFIG_ENV,
  CONFIG_PARAMETER_ENV,
  formatIssuePath,
  loadConfigFromEnvironment,
  type ParameterReader,
  parseConfig,
  parseConfigText,
  parseJsonDocument,
  problemsFromIssues,
} from "./config/load.js";
export {
  type AccountEntry,
  accountEntrySchema,
  type Config,
  type ConfigInput,
  configSchema,
  type Duration,
  type IgnoreEntry,
  type ReporterEntry,
  ROLE_ARN_PATTERN,
  reporterEntrySchema,
} from "./config/schema.js";
export { formatDuration, parseDuration } from "./duration.js";
export { ConfigError, type ConfigProblem } from "./errors.js";
