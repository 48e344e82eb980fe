import { metricsReporter } from "./metrics-reporter.js";

export { digestEmfLines, dimensionValue, type MetricsOptions } from "./metrics-reporter.js";
export { metricsReporter };
export default metricsReporter;
