import type { Config } from "../config/schema.js";
import { LEDGER_TABLE_ENV, ledgerClientFor } from "../ledger/index.js";
import type { LedgerLogger } from "../ledger/ledger.js";
import { createThreatIntel, type IntelMemo, type LedgerThreatIntel } from "./threat-intel.js";

/**
 * The threat intel of a function or a CLI run: the configuration's `intel` sources, cached in the findings ledger of
 * LEDGER_TABLE_NAME when there is one (else only in `memo`, for the life of the container or the run).
 */
export function intelFromEnvironment(
  env: Record<string, string | undefined>,
  sources: Config["intel"],
  logger: LedgerLogger,
  memo?: IntelMemo,
): LedgerThreatIntel {
  const tableName = env[LEDGER_TABLE_ENV]?.trim();
  return createThreatIntel({
    intel: sources,
    ledger: tableName ? { client: ledgerClientFor(env), tableName } : undefined,
    logger,
    memo,
  });
}
