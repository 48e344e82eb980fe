import { vi } from "vitest";

/**
 * Loads modules afresh, inside the running test (call it in the test or in a `beforeEach`), as a Lambda cold start
 * would: their module-level code (zod schemas, secret patterns, constants) runs again while the test runs.
 *
 * Why: Stryker's per-test coverage credits a test only with the code that ran during it. A schema is built while its
 * module loads, so a test that pins the schema but imports it statically counts for none of its mutants, and those
 * mutants then run against the Lambda tests alone (which load core afresh per test) and survive. Loading the modules
 * here makes the tests that pin the schema count. `load` should import every module whose classes the test compares
 * (`toBeInstanceOf`): modules loaded together share one fresh copy of what they import.
 */
export async function loadFresh<Modules>(load: () => Promise<Modules>): Promise<Modules> {
  vi.resetModules();
  return load();
}
