import type { ReporterDeps, TemplateSource } from "@ecr-scan-reporter/core";
import { type EmailReporterOptionsInput, emailReporter } from "../src/index.js";

export const CTX = { reporterId: "email", attempt: 1 };

export interface LogLine {
  level: string;
  message: string;
  extra?: Record<string, unknown>;
}

function unexpected(what: string): never {
  throw new Error(`the email reporter must not use ${what}`);
}

/** Deps as the report-findings handler gives them, with an SDK client per class made for eu-west-1. */
export function testDeps(templates: TemplateSource = { override: () => undefined }) {
  const logs: LogLine[] = [];
  const clients: unknown[] = [];
  const log = (level: string) => (message: string, extra?: Record<string, unknown>) => {
    logs.push({ level, message, extra });
  };
  const deps: ReporterDeps = {
    logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    resolveSecret: async () => unexpected("secrets"),
    awsClient: (ctor) => {
      clients.push(ctor);
      return new (ctor as unknown as new (config: { region: string }) => never)({ region: "eu-west-1" });
    },
    fetch: (async () => unexpected("fetch")) as typeof fetch,
    templates,
    clock: () => new Date("2026-11-28T07:00:00.000Z"),
    writeLine: () => unexpected("writeLine"),
  };
  return { deps, logs, clients };
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
  const { deps, logs, clients } = testDeps(templates);
  const parsed = emailReporter.optionsSchema.parse(options);
  return { reporter: emailReporter.create(parsed, deps), options: parsed, logs, clients };
}
