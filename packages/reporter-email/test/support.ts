import type { ReporterDeps, TemplateSource } from "@ecr-scan-reporter/core";
import { mustNotUse, recordingAwsClient, testDeps } from "@ecr-scan-reporter/core/testing";
import { type EmailReporterOptionsInput, emailReporter } from "../src/index.js";

export const CTX = { reporterId: "email", attempt: 1 };

/** The kit's test deps with an SDK client per class made for eu-west-1, as the report handler gives. */
export function emailDeps(overrides: Partial<ReporterDeps> = {}) {
  const { awsClient, clients } = recordingAwsClient();
  return { ...testDeps({ awsClient, writeLine: mustNotUse("writeLine"), ...overrides }), clients };
}

export const BASE_OPTIONS: EmailReporterOptionsInput = {
  from: "ECR scans <scans@acme.example>",
  to: ["sec@acme.example"],
};

/** The reporter created from options as written in the configuration. */
export function createReporter(
  options: EmailReporterOptionsInput = BASE_OPTIONS,
  templates?: TemplateSource,
) {
  const { deps, logs, clients } = emailDeps(templates ? { templates } : {});
  const parsed = emailReporter.optionsSchema.parse(options);
  return { reporter: emailReporter.create(parsed, deps), options: parsed, logs, clients };
}
