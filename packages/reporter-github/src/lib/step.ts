import type { ReporterDeps, ScanReport, TemplateRenderer } from "@ecr-scan-reporter/core";
import type { GitHubReporterOptions } from "../options.js";
import type { IssuesApi } from "./issues-api.js";

/** What each step of one report works with. */
export interface ReportStep {
  api: IssuesApi;
  report: ScanReport;
  /** The image's hidden marker, how its issue is found again. */
  marker: string;
  /** `repository:tag` (or `@digest`) for the logs. */
  image: string;
  options: GitHubReporterOptions;
  renderer: TemplateRenderer;
  logger: ReporterDeps["logger"];
  reporterId: string;
  /** The reporter's clock when the report came: a KEV due date before its day is overdue. */
  now: Date;
}

/** The fields every log line about an issue carries. */
export function logFields(step: ReportStep, issue: number, extra: Record<string, unknown> = {}) {
  return { reporter: step.reporterId, repository: step.api.where, issue, image: step.image, ...extra };
}
