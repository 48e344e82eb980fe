import { vi } from "vitest";
import type { ReporterLogger } from "../../src/reporters/contract.js";

export {
  countsOf,
  failedReport,
  scanReport,
  withinThresholdsReport as cleanReport,
} from "../../src/testing/report-factories.js";

/** A ReporterLogger whose methods are spies. */
export function recordingLogger() {
  return {
    debug: vi.fn<ReporterLogger["debug"]>(),
    info: vi.fn<ReporterLogger["info"]>(),
    warn: vi.fn<ReporterLogger["warn"]>(),
    error: vi.fn<ReporterLogger["error"]>(),
  };
}
