export {
  type ConformanceOptions,
  type ConformanceResult,
  checkReporterConformance,
  conformanceDeps,
  SENTINEL_SECRET,
} from "./conformance.js";
export {
  cleanReport,
  failedScanReport,
  generateFindings,
  hostileReport,
  manyFindingsReport,
  overThresholdReport,
  SAMPLE_FINDINGS,
  sampleReport,
  untaggedReport,
} from "./sample-reports.js";
