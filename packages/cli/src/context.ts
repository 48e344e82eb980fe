import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Config, parseConfig, parseConfigText } from "@ecr-scan-reporter/core";
import { UsageError } from "./usage-error.js";

/** The options every command takes. */
export interface GlobalOptions {
  config?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  json?: boolean;
  debug?: boolean;
  templates?: string;
}

/** The configuration file used when --config is not given, if it exists in the working directory. */
export const DEFAULT_CONFIG_FILE = "ecr-scan-reporter.json";

/**
 * Points the AWS SDK's default chain at what the flags say, through its own standard variables, so every client
 * (and any reporter's) honours them: --region, --profile, --endpoint-url.
 */
export function applyAwsOptions(options: GlobalOptions): void {
  if (options.region) process.env.AWS_REGION = options.region;
  if (options.profile) process.env.AWS_PROFILE = options.profile;
  if (options.endpointUrl) {
    try {
      new URL(options.endpointUrl);
    } catch {
      throw new UsageError(
        `--endpoint-url "${options.endpointUrl}" is not a URL (e.g. http://127.0.0.1:4566).`,
      );
    }
    process.env.AWS_ENDPOINT_URL = options.endpointUrl;
    // Local emulators (the sandbox, LocalStack) accept any credentials; a laptop without AWS ones still works.
    const host = new URL(options.endpointUrl).hostname;
    const local = host === "localhost" || host === "[::1]" || host.startsWith("127.");
    if (local && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE && !options.profile) {
      process.env.AWS_ACCESS_KEY_ID = "local";
      process.env.AWS_SECRET_ACCESS_KEY = "local";
    }
  }
}

/** The configuration from --config, else ./ecr-scan-reporter.json, else the defaults. ConfigError on bad content. */
export function loadCliConfig(
  options: GlobalOptions,
  cwd = process.cwd(),
): { config: Config; source: string } {
  const path = options.config ? resolve(cwd, options.config) : resolve(cwd, DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    if (options.config) throw new UsageError(`--config ${options.config}: no such file.`);
    return { config: parseConfig({}, "defaults"), source: "defaults" };
  }
  return { config: parseConfigText(readFileSync(path, "utf8"), path), source: path };
}
