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
