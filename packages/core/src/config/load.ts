import type * as z from "zod";
import { ConfigError, type ConfigProblem, describeError, EcrScanReporterError } from "../errors.js";
import { awsErrorName } from "../reporters/secrets.js";
import { findJsonSyntaxError, lineColumnOf } from "./json-syntax.js";
import { type Config, configSchema } from "./schema.js";

/** Environment variables the Lambdas read their configuration from (docs/configuration.md). */
export const CONFIG_ENV = "ECR_SCAN_REPORTER_CONFIG";
export const CONFIG_PARAMETER_ENV = "ECR_SCAN_REPORTER_CONFIG_PARAMETER";

/** Writes a zod issue path the way users read it: `reporters[2].options.topicArn`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === "number") return `${out}[${key}]`;
    return out ? `${out}.${String(key)}` : String(key);
  }, "");
}

/** Turns zod issues into `path: reason` problems, one per mistake, in the words a config author needs. */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []) {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        problems.push({
          path: formatIssuePath([...path, key]),
          reason: "is not a known key (check its spelling)",
        });
      }
      continue;
    }
    let reason = issue.message.replace(/^Invalid input: /, "");
    if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) reason = "required";
    problems.push({ path: formatIssuePath(path), reason });
  }
  return problems;
}

/** Validates a parsed configuration document; throws one ConfigError that lists every problem. */
export function parseConfig(document: unknown, source: string): Config {
  const result = configSchema.safeParse(document);
  if (!result.success) throw new ConfigError(problemsFromIssues(result.error.issues), source);
  return result.data;
}

/**
 * Parses JSON text; when it is not JSON, the problem says where (line and column, 1-based) and what was expected,
 * the same on every Node version (JSON.parse's own words remain for what the scanner cannot place).
 */
export function parseJsonDocument(text: string): { document: unknown } | { problem: ConfigProblem } {
  try {
    return { document: JSON.parse(text) };
  } catch (error) {
    const located = findJsonSyntaxError(text);
    if (!located) return { problem: { path: "", reason: `not valid JSON: ${describeError(error)}` } };
    return { problem: { path: "", reason: located.message, ...lineColumnOf(text, located.offset) } };
  }
}

/** Parses and validates a configuration document from JSON text. */
export function parseConfigText(text: string, source: string): Config {
  const parsed = parseJsonDocument(text);
  if ("problem" in parsed) throw new ConfigError([parsed.problem], source);
  return parseConfig(parsed.document, source);
}

/** Reads an SSM parameter's value, decrypted; injected so tests need no AWS. */
export type ParameterReader = (name: string) => Promise<string | undefined>;

/**
 * Loads the configuration a Lambda runs with: the JSON in `ECR_SCAN_REPORTER_CONFIG`, or the SSM parameter
 * named by `ECR_SCAN_REPORTER_CONFIG_PARAMETER` when the document would not fit in the 4 KB environment.
 */
export async function loadConfigFromEnvironment(
  env: Record<string, string | undefined>,
  readParameter: ParameterReader,
): Promise<Config> {
  const inline = env[CONFIG_ENV];
  if (inline !== undefined && inline.trim() !== "") return parseConfigText(inline, CONFIG_ENV);

  const parameterName = env[CONFIG_PARAMETER_ENV];
  if (parameterName) {
    let text: string | undefined;
    try {
      text = await readParameter(parameterName);
    } catch (error) {
      // Powertools wraps the SDK's error in its GetParameterError: the AWS error's name is what says what to fix.
      const name = awsErrorName(error);
      const message = error instanceof Error ? error.message : String(error);
      throw new EcrScanReporterError(
        "CONFIG_NOT_FOUND",
        `Could not read the SSM parameter "${parameterName}" named by ${CONFIG_PARAMETER_ENV} (${message ? `${name}: ${message}` : name}). Check that it exists in this region and that the function may ssm:GetParameter it.`,
        { cause: error },
      );
    }
    if (text === undefined) {
      throw new EcrScanReporterError("CONFIG_NOT_FOUND", `The SSM parameter "${parameterName}" is empty.`);
    }
    return parseConfigText(text, `SSM parameter ${parameterName}`);
  }

  throw new EcrScanReporterError(
    "CONFIG_NOT_FOUND",
    `No configuration: set ${CONFIG_ENV} to the JSON document, or ${CONFIG_PARAMETER_ENV} to the name of an SSM parameter holding it.`,
  );
}
