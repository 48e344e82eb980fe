import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { ECRClient } from "@aws-sdk/client-ecr";
import {
  type AccountUnreachableError,
  type Config,
  cleanText,
  parseConfig,
  parseConfigText,
} from "@ecr-scan-reporter/core";
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
  /** The node_modules folder custom reporter packages are looked up in (`plan`, `scan`, `validate`). */
  reporters?: string;
  /** `--account` (`plan`, `scan`, `report`): the accountId or name of an entry of the configuration's `accounts`. */
  account?: string;
}

/** The configuration file used when --config is not given, if it exists in the working directory. */
export const DEFAULT_CONFIG_FILE = "ecr-scan-reporter.json";

type Env = Record<string, string | undefined>;

/** The shared config and credentials files the AWS SDK reads: AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/. */
export function sharedConfigFiles(env: Env): { config: string; credentials: string } {
  // The SDK's own order for the home folder (@smithy/shared-ini-file-loader getHomeDir).
  const home = env.HOME || env.USERPROFILE || homedir();
  return {
    config: env.AWS_CONFIG_FILE || join(home, ".aws", "config"),
    credentials: env.AWS_SHARED_CREDENTIALS_FILE || join(home, ".aws", "credentials"),
  };
}

/**
 * The profile names of a shared config file's and a credentials file's section headers, as the AWS SDK for
 * JavaScript reads them: `[profile x]` and `[x]` in the config file (not `[sso-session x]`, `[services x]`), `[x]`
 * in the credentials file.
 */
export function profileNames(configText: string, credentialsText: string): Set<string> {
  const names = new Set<string>();
  const headers = (text: string) => [...text.matchAll(/^\s*\[([^\]]+)\]/gm)].map((m) => (m[1] ?? "").trim());
  for (const header of headers(configText)) {
    const profile = /^profile\s+(\S+)$/.exec(header);
    if (profile?.[1]) names.add(profile[1]);
    else if (!/\s/.test(header)) names.add(header);
  }
  for (const header of headers(credentialsText)) names.add(header);
  return names;
}

/** `~/.aws/config` for a path in the home folder, so the message reads as people know the file. */
function shown(path: string, env: Env): string {
  const home = env.HOME || env.USERPROFILE || homedir();
  const inHome = relative(home, path);
  return !inHome.startsWith("..") && !isAbsolute(inHome) ? `~/${inHome}` : path;
}

/** Throws a UsageError naming the profile when neither shared file has it (the SDK would fail later, exit 3). */
export function checkProfileExists(profile: string, from: string, env: Env): void {
  const files = sharedConfigFiles(env);
  const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8") : "");
  if (profileNames(read(files.config), read(files.credentials)).has(profile)) return;
  throw new UsageError(
    `The AWS profile "${profile}" (${from}) is not there: profile "${profile}" is not in ${shown(files.config, env)} or ${shown(files.credentials, env)}. Create it (aws configure --profile ${profile}) or name another.`,
  );
}

/** True for an endpoint on this machine (the sandbox, LocalStack): they accept any credentials. */
export function isLoopbackEndpoint(url: URL): boolean {
  const host = url.hostname;
  return host === "localhost" || host === "[::1]" || host.startsWith("127.");
}

/**
 * Points the AWS SDK's default chain at what the flags say, through its own standard variables, so every client
 * (and any reporter's) honours them: --region, --profile, --endpoint-url (else AWS_ENDPOINT_URL). A profile that is
 * not in the shared files, and an endpoint that is not a URL, are usage errors here rather than SDK errors later.
 */
export function applyAwsOptions(options: GlobalOptions, env: Env = process.env): void {
  if (options.region) env.AWS_REGION = options.region;
  if (options.profile) env.AWS_PROFILE = options.profile;
  // "default" is what the chain uses anyway; with no shared files it falls back to the environment, the container's
  // or the instance's role (CodeBuild, ECS, EC2), so only a named profile can be missing.
  if (env.AWS_PROFILE && env.AWS_PROFILE !== "default")
    checkProfileExists(env.AWS_PROFILE, options.profile ? "--profile" : "AWS_PROFILE", env);
  const endpoint = options.endpointUrl ?? env.AWS_ENDPOINT_URL;
  if (!endpoint) return;
  // `localhost:4566` parses as a URL of scheme "localhost:": only http and https are endpoints.
  const url = URL.canParse(endpoint) ? new URL(endpoint) : undefined;
  if (!url || !["http:", "https:"].includes(url.protocol)) {
    const from = options.endpointUrl ? "--endpoint-url" : "AWS_ENDPOINT_URL";
    throw new UsageError(`${from} "${endpoint}" is not a URL (e.g. http://127.0.0.1:4566).`);
  }
  env.AWS_ENDPOINT_URL = endpoint;
  // Local emulators (the sandbox, LocalStack) accept any credentials; a laptop without AWS ones still works, whether
  // the endpoint came from the flag or from AWS_ENDPOINT_URL.
  if (isLoopbackEndpoint(url) && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
    env.AWS_ACCESS_KEY_ID = "local";
    env.AWS_SECRET_ACCESS_KEY = "local";
  }
}

/** What to tell someone whose region the SDK cannot find. */
export function missingRegionMessage(env: Env): string {
  // The AWS CLI reads AWS_DEFAULT_REGION; the SDK for JavaScript does not, which surprises people who set it.
  const hint =
    env.AWS_DEFAULT_REGION && !env.AWS_REGION ? " (AWS_DEFAULT_REGION is read by the AWS CLI only)" : "";
  return `Region is missing: pass --region or set AWS_REGION${hint}, or give the profile a region in ~/.aws/config.`;
}

/**
 * The region the SDK's default chain resolves (AWS_REGION, then the profile's `region`), as a usage error when there
 * is none or it is not a region name: the SDK would say "Region is missing" only at the first call, and exit 3.
 */
export async function requireRegion(
  resolveRegion: () => Promise<string> = () => new ECRClient({}).config.region(),
  env: Env = process.env,
): Promise<string> {
  try {
    return await resolveRegion();
  } catch (error) {
    const message = error instanceof Error ? error.message : "";
    if (message === "Region is missing") throw new UsageError(missingRegionMessage(env));
    if (message.startsWith("Region not accepted"))
      throw new UsageError(
        `Region "${env.AWS_REGION ?? ""}" is not a region name like eu-west-1: pass --region.`,
      );
    throw error;
  }
}

/** The region, or why there is none (for checks that are skipped rather than failed without one). */
export async function regionOrWhyNot(
  resolveRegion?: () => Promise<string>,
  env: Env = process.env,
): Promise<{ region: string } | { why: string }> {
  try {
    return { region: await requireRegion(resolveRegion, env) };
  } catch (error) {
    if (error instanceof UsageError) return { why: error.message };
    throw error;
  }
}

/** A path as the user would type it from `cwd`: relative inside it (`.` for cwd itself), absolute elsewhere. */
export function shownPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  if (rel === "") return ".";
  return rel.startsWith("..") || isAbsolute(rel) ? path : rel;
}

/** The configuration file --config names, else ./ecr-scan-reporter.json; with the name to show in messages. */
export function configFileOf(options: GlobalOptions, cwd = process.cwd()): { path: string; shown: string } {
  const path = options.config ? resolve(cwd, options.config) : resolve(cwd, DEFAULT_CONFIG_FILE);
  // Relative to where the user is, as they typed it: `ecr-scan-reporter.json:12:5` is what an editor jumps to.
  return { path, shown: shownPath(path, cwd) };
}

/** The configuration from --config, else ./ecr-scan-reporter.json, else the defaults. ConfigError on bad content. */
export function loadCliConfig(
  options: GlobalOptions,
  cwd = process.cwd(),
): { config: Config; source: string } {
  const { path, shown } = configFileOf(options, cwd);
  if (!existsSync(path)) {
    if (options.config) throw new UsageError(`--config ${options.config}: no such file.`);
    return { config: parseConfig({}, "defaults"), source: "defaults" };
  }
  return { config: parseConfigText(readFileSync(path, "utf8"), shown), source: path };
}

/** The node_modules folder of custom reporter packages: --reporters, else ./node_modules (as `report` loads them). */
export function reportersFolderOf(options: GlobalOptions, cwd = process.cwd()): string {
  return options.reporters ? resolve(cwd, options.reporters) : join(cwd, "node_modules");
}

/** An entry of the configuration's `accounts`. */
export type AccountEntry = NonNullable<Config["accounts"]>[number];

/**
 * How a table cell names an account: its configured name, else its id. A name is free text (a tab or an escape
 * sequence would break a column or the terminal): one clean line.
 */
export function accountShortText(account: { accountId?: string; name?: string }): string {
  return account.name ? cleanText(account.name, { singleLine: true }) : (account.accountId ?? "");
}

/** How the CLI names an account in its lines: `prod (222222222222)`, or the id alone when the entry has no name. */
export function accountText(account: { accountId?: string; name?: string }): string {
  if (!account.accountId) return "your own account";
  return account.name ? `${accountShortText(account)} (${account.accountId})` : account.accountId;
}

/**
 * The `accounts` entry `--account` names, by its accountId or its name. A usage error (exit 2) when the
 * configuration lists no accounts, or none of them is this one: the message lists those it has.
 */
export function accountOfOption(config: Pick<Config, "accounts">, value: string): AccountEntry {
  if (!config.accounts) {
    throw new UsageError(
      `--account ${value}: the configuration has no \`accounts\` list, so there is no other account to read. Add the account to \`accounts\` (docs/configuration.md), or leave --account out to use your own registry.`,
    );
  }
  const entry = config.accounts.find((a) => a.accountId === value || a.name === value);
  if (entry) return entry;
  throw new UsageError(
    `--account ${value} is not in the configuration's \`accounts\`; it lists ${config.accounts.map(accountText).join(", ")}.`,
  );
}

/**
 * What to tell someone whose credentials could not assume a member account's role. The CLI assumes it with the
 * caller's own credentials, not the functions' roles the member module trusts by default, so the usual fix is on
 * the trust side: run as a trusted role, or have the member module trust this one too.
 */
export function accountUnreachableMessage(error: AccountUnreachableError): string {
  const cause =
    error.cause instanceof Error ? `${error.cause.name}: ${error.cause.message}` : String(error.cause);
  return (
    `cannot assume ${error.roleArn} for account ${error.accountId}: ${cause}. ` +
    "The CLI assumes it with your own credentials: run with a profile (--profile) of a role that role trusts, or add " +
    "your role to the member-account module's hub_role_arns (terraform/modules/member-account); the entry's " +
    "externalId must be the module's external_id."
  );
}
