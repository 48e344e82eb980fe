export * from "./contract.js";
export { createReporterDeps } from "./deps.js";
export * from "./dispatcher.js";
export * from "./loader.js";
export { metricsReporter } from "./metrics-reporter.js";
export * from "./package-resolver.js";
export * from "./secrets.js";
