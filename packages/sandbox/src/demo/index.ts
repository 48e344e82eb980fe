export {
  type DemoAccount,
  DemoAccountsError,
  demoAccounts,
  MAX_DEMO_ACCOUNTS,
  parseDemoAccounts,
} from "./accounts.js";
export { wireLocalReporters } from "./local-reporters.js";
export type { AccountPassFigures, PassImageReport, PassSummary, ReporterFailure } from "./passes.js";
export {
  createReceivedWriter,
  type ReceivedBatch,
  type ReceivedSources,
  type ReceivedWriter,
} from "./received.js";
export { type DemoOptions, type DemoSummary, OutputFolderInUseError, runDemo } from "./run-demo.js";
export { type SeededSecret, secretForms, withoutSecrets } from "./secrets.js";
export {
  DEMO_FEED_UPDATE,
  DEMO_REPOSITORIES,
  DEMO_SCAN_CONFIG,
  type ExpectedDecision,
  expectedSecondPassDecision,
  SECOND_PASS_AFTER_DAYS,
  type SeededImage,
  seedDemoRegistry,
} from "./seed.js";
