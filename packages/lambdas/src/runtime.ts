import { Metrics } from "@aws-lambda-powertools/metrics";
import { getParameter } from "@aws-lambda-powertools/parameters/ssm";
import {
  AccountAccess,
  accountOfArn,
  type Config,
  ConfigError,
  createIntelMemo,
  EcrScanReporterError,
  type FindingsLedger,
  hubEntryProblem,
  intelFromEnvironment,
  type LedgerLogger,
  type LedgerThreatIntel,
  ledgerFromEnvironment,
  loadConfigFromEnvironment,
} from "@ecr-scan-reporter/core";

/** Namespace of the EMF metrics; POWERTOOLS_METRICS_NAMESPACE overrides it. */
export const METRICS_NAMESPACE = "EcrScanReporter";

/** Powertools Metrics writing CloudWatch EMF lines for one function. */
export function createMetrics(serviceName: string): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
    serviceName,
  });
}

let configPromise: Promise<Config> | undefined;

/**
 * The configuration, loaded once per cold start from ECR_SCAN_REPORTER_CONFIG or its SSM parameter. A failed
 * load is not cached, so a transient SSM error does not poison the warm container.
 */
export function getConfig(): Promise<Config> {
  configPromise ??= loadConfigFromEnvironment(process.env, (name) =>
    getParameter(name, { decrypt: true, maxAge: 900 }),
  ).catch((error: unknown) => {
    configPromise = undefined;
    throw error;
  });
  return configPromise;
}

/** Reads a required environment variable, or fails with a message that says which one and why. */
export function requireEnv(name: string, purpose: string): string {
  const value = process.env[name];
  if (!value) {
    throw new EcrScanReporterError(
      "CONFIG_NOT_FOUND",
      `The environment variable ${name} is not set: ${purpose}.`,
    );
  }
  return value;
}

const intelByConfig = new WeakMap<Config, LedgerThreatIntel>();

/**
 * The threat intel of the configuration's `intel` sources, made once per cold start (and again only if the
 * configuration is reloaded): its DynamoDB client and its memory of the day's KEV copy and EPSS scores live as long as
 * the container, instead of being rebuilt by every invocation.
 */
export function getIntel(config: Config, logger: LedgerLogger): LedgerThreatIntel {
  let intel = intelByConfig.get(config);
  if (!intel) {
    intel = intelFromEnvironment(process.env, config.intel, logger, createIntelMemo());
    intelByConfig.set(config, intel);
  }
  return intel;
}

const accessByConfig = new WeakMap<Config, AccountAccess>();

/**
 * The ECR clients of every account the configuration covers, made once per cold start (and again only if the
 * configuration is reloaded): member credentials are then assumed once an hour per account, not once per invocation.
 */
export function getAccountAccess(config: Config, context?: { invokedFunctionArn?: string }): AccountAccess {
  let access = accessByConfig.get(config);
  if (!access) {
    // A hand-written hub entry naming another account fails the invocation (retried, then dead-lettered), never read.
    const ownAccountId = accountOfArn(context?.invokedFunctionArn);
    const problem = ownAccountId ? hubEntryProblem(config.accounts, ownAccountId) : undefined;
    if (problem) throw new ConfigError([problem], "the functions' configuration");
    access = new AccountAccess(config.accounts);
    accessByConfig.set(config, access);
  }
  return access;
}

/** The findings ledger of LEDGER_TABLE_NAME, or the stand-in that remembers nothing when the module runs without one. */
export function createLedger(logger: LedgerLogger): FindingsLedger {
  return ledgerFromEnvironment(process.env, logger);
}
