import Handlebars from "handlebars";
import * as z from "zod";
import { ReporterError } from "../errors.js";
import { emptySeverityCounts, type ScanReport } from "../model.js";
import type { TemplateRenderer } from "../templates/renderer.js";

/** Partial names are one path segment: the renderer registers `<reporter>/partials/NAME.hbs` as `NAME`. */
const PARTIAL_NAME = /^[\w.-]+\.hbs$/;

/**
 * The zod schema of a reporter's `templates` option: inline overrides by name, each a shipped template or a
 * `<reporter>/partials/NAME.hbs`, and each valid Handlebars — so a typo or a syntax error is a configuration error.
 */
export function templatesOptionSchema(reporter: string, shippedNames: readonly string[]) {
  const partials = `${reporter}/partials/`;
  const isPartial = (name: string) =>
    name.startsWith(partials) && PARTIAL_NAME.test(name.slice(partials.length));
  const known = new Set(shippedNames);
  const listed = [...shippedNames]
    .filter((name) => !isPartial(name))
    .sort()
    .join(", ");
  return z.record(z.string(), z.string()).superRefine((templates, ctx) => {
    for (const [name, text] of Object.entries(templates)) {
      if (!known.has(name) && !isPartial(name)) {
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `is not a template of the ${reporter} reporter; the names are ${listed} (or ${partials}NAME.hbs)`,
        });
        continue;
      }
      try {
        Handlebars.parse(text);
      } catch (error) {
        const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
        ctx.addIssue({
          code: "custom",
          path: [name],
          message: `is not a valid Handlebars template: ${reason}`,
        });
      }
    }
  });
}

const CHECK_DIGEST = `sha256:${"0".repeat(64)}`;

/**
 * Small reports to build the views of a template self-check from: a completed scan (one finding with a fix and
 * threat intel, one without, one ignored, escalations, a stale intel source, and changes since a previous
 * report), a failed one, and an escalated one (within the thresholds, due by escalation), so most branches of a
 * template run.
 */
export function templateCheckReports(): { completed: ScanReport; failed: ScanReport; escalated: ScanReport } {
  const completed: ScanReport = {
    account: "123456789012",
    // A named account ([8/8]), so the templates' account branches run too.
    accountName: "self-check",
    region: "eu-west-1",
    registryId: "123456789012",
    repository: "self-check",
    digest: CHECK_DIGEST,
    tags: ["latest"],
    scanType: "BASIC",
    status: "COMPLETE",
    completedAt: "2026-01-01T00:00:00.000Z",
    counts: { ...emptySeverityCounts(), CRITICAL: 1, HIGH: 1 },
    findings: [
      {
        id: "CVE-0000-0000",
        severity: "CRITICAL",
        title: "self-check",
        packageName: "pkg",
        packageVersion: "1.0",
        fixedInVersion: "1.1",
        cvssScore: 9.8,
        url: "https://nvd.nist.gov/",
        // Threat intel (view/intel.ts), so the templates' badge branches run too: overdue on KEV, ransomware.
        kev: {
          dateAdded: "2025-01-01",
          dueDate: "2025-01-22",
          requiredAction: "self-check",
          knownRansomwareCampaignUse: "Known",
        },
        epss: { score: 0.9, percentile: 0.99, date: "2025-12-31" },
        exploitAvailable: "YES",
        fixAvailable: "YES",
      },
      { id: "CVE-0000-0001", severity: "HIGH", title: "self-check" },
    ],
    consoleUrl: "https://eu-west-1.console.aws.amazon.com/ecr/",
    verdict: {
      due: true,
      reason: "over-threshold",
      exceeded: ["CRITICAL"],
      highestSeverity: "CRITICAL",
      ignoredFindings: 1,
      escalations: [{ id: "CVE-0000-0000", packageName: "pkg", why: ["kev", "exploit-available"] }],
    },
    // A stale and an unavailable source, so the templates' intel note runs.
    intel: {
      kev: { state: "stale", asOf: "2025-12-30T00:00:00.000Z", reason: "self-check" },
      epss: { state: "unavailable", reason: "self-check" },
    },
    // What the findings ledger tells (view/changes.ts), so the templates' change branches run too.
    changes: {
      firstReport: false,
      previousScanAt: "2025-12-25T00:00:00.000Z",
      newFindings: [{ id: "CVE-0000-0000", severity: "CRITICAL", title: "self-check", packageName: "pkg" }],
      fixedFindings: [{ id: "CVE-0000-0002", severity: "HIGH", package: "old-pkg" }],
      severityRaised: [
        { finding: { id: "CVE-0000-0001", severity: "HIGH", title: "self-check" }, from: "LOW" },
      ],
      nowKnownExploited: [
        { id: "CVE-0000-0000", severity: "CRITICAL", title: "self-check", packageName: "pkg" },
      ],
    },
  };
  const { changes: _none, intel: _noIntel, ...withoutChanges } = completed;
  const failed: ScanReport = {
    ...withoutChanges,
    status: "FAILED",
    statusDescription: "self-check",
    counts: emptySeverityCounts(),
    findings: [],
    verdict: { due: true, reason: "scan-failed", exceeded: [], ignoredFindings: 0 },
  };
  const escalated: ScanReport = {
    ...completed,
    verdict: { ...completed.verdict, reason: "escalated", exceeded: [] },
  };
  return { completed, failed, escalated };
}

/**
 * Renders each named template with each of its sample views, so a broken override (inline or from a folder) fails
 * when the reporter is created, at cold start, naming the template — not on the first report.
 */
export function checkTemplates(
  reporter: string,
  renderer: TemplateRenderer,
  samples: Readonly<Record<string, readonly object[]>>,
): void {
  for (const [name, views] of Object.entries(samples)) {
    for (const view of views) {
      try {
        renderer.render(name, view);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new ReporterError(
          reporter,
          `the template ${name} (or a partial it uses) does not render: ${reason}`,
          {
            cause: error,
          },
        );
      }
    }
  }
}
