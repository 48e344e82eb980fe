export {
  type ConformanceOptions,
  type ConformanceResult,
  checkReporterConformance,
  conformanceDeps,
  SENTINEL_SECRET,
} from "./conformance.js";
export { countsOf, failedReport, scanReport, withinThresholdsReport } from "./report-factories.js";
export {
  allClearDigest,
  emptyLedgerDigest,
  hostileDigest,
  multiAccountDigest,
  sampleDigest,
} from "./sample-digests.js";
export {
  escalatedReport,
  exploitAwareReport,
  hostileIntelReport,
  intelUnavailableReport,
} from "./sample-intel.js";
export {
  cleanReport,
  failedScanReport,
  generateFindings,
  HOSTILE_ACCOUNT_NAME,
  hostileReport,
  manyFindingsReport,
  memberAccountReport,
  overThresholdReport,
  SAMPLE_FINDINGS,
  sampleReport,
  untaggedReport,
} from "./sample-reports.js";
export {
  type LogLine,
  mustNotUse,
  recordingAwsClient,
  recordingLogger,
  TEST_CLOCK_TIME,
  testDeps,
} from "./test-deps.js";
