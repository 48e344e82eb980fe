import { metricsReporter } from "./metrics-reporter.js";

export { metricsReporter };
export default metricsReporter;
