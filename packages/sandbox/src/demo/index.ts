export { wireLocalReporters } from "./local-reporters.js";
export { type DemoOptions, type DemoSummary, runDemo } from "./run-demo.js";
export {
  DEMO_REPOSITORIES,
  DEMO_SCAN_CONFIG,
  type ExpectedDecision,
  type SeededImage,
  seedDemoRegistry,
} from "./seed.js";
