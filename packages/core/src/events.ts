// `@ecr-scan-reporter/core/events`: parsing the scan events ECR and Inspector send through EventBridge, the
// report queue's messages, coalescing and report jobs — for a Lambda of one's own on the same events.
export * from "./events/index.js";
