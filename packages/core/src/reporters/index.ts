export * from "./contract.js";
export { createReporterDeps } from "./deps.js";
export * from "./dispatcher.js";
export * from "./loader.js";
export * from "./package-resolver.js";
export * from "./secret-references.js";
export * from "./secrets.js";
