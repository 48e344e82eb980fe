import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import type { NotificationKind, NotificationWhy } from "../src/ledger/notify.js";
import * as reporterEntry from "../src/reporter.js";
import {
  type AnyReporterPlugin,
  type Digest,
  type DigestContext,
  defineReporter,
  type PreviewFile,
  REPORTER_CONTRACT_VERSION,
  type ReportContext,
  type Reporter,
  type ReporterDeps,
  type ReporterPlugin,
  type ReportOutcome,
  type ScanReport,
} from "../src/reporter.js";

// The plugin contract pinned: these types are what reporter packages compile against, so a change here is a
// breaking change (a new REPORTER_CONTRACT_VERSION). `pnpm typecheck` checks the expectTypeOf lines.

const optionsSchema = z.strictObject({ url: z.string(), retries: z.number().default(2) });

const plugin = defineReporter({
  name: "pager",
  optionsSchema,
  create(options, deps) {
    expectTypeOf(options).toEqualTypeOf<{ url: string; retries: number }>();
    expectTypeOf(deps).toEqualTypeOf<ReporterDeps>();
    return {
      async report(report, ctx) {
        expectTypeOf(report).toEqualTypeOf<ScanReport>();
        expectTypeOf(ctx).toEqualTypeOf<ReportContext>();
        return { status: "sent", ref: options.url };
      },
    };
  },
});

describe("the reporter contract", () => {
  it("infers a plugin's options from its schema's output (defaults filled)", () => {
    expectTypeOf(plugin).toEqualTypeOf<ReporterPlugin<{ url: string; retries: number }>>();
    expect(plugin.optionsSchema.parse({ url: "https://x" })).toEqual({ url: "https://x", retries: 2 });
  });

  it("lets any plugin stand in a list of plugins without a cast", () => {
    const plugins: AnyReporterPlugin[] = [plugin];
    expectTypeOf(plugin).toExtend<AnyReporterPlugin>();
    expect(plugins[0]?.name).toBe("pager");
  });

  it("keeps the shapes a reporter sees", () => {
    expectTypeOf<Reporter["report"]>().returns.toEqualTypeOf<Promise<ReportOutcome>>();
    expectTypeOf<Reporter["verify"]>().toEqualTypeOf<(() => Promise<void>) | undefined>();
    expectTypeOf<ReportOutcome["status"]>().toEqualTypeOf<"sent" | "skipped">();
    expectTypeOf<ReporterPlugin["receives"]>().toEqualTypeOf<"due" | "all" | undefined>();
    expectTypeOf<PreviewFile>().toEqualTypeOf<{ name: string; content: string }>();
    expectTypeOf<ReportContext>().toEqualTypeOf<{
      reporterId: string;
      attempt: number;
      source?: string;
      notification?: { kind: NotificationKind; why: NotificationWhy };
    }>();
    expectTypeOf<Reporter["digest"]>().toEqualTypeOf<
      ((digest: Digest, ctx: DigestContext) => Promise<ReportOutcome>) | undefined
    >();
    expectTypeOf<DigestContext>().toEqualTypeOf<{ reporterId: string; attempt: number; source?: string }>();
    expect(REPORTER_CONTRACT_VERSION).toBe(2);
  });

  it("exports from @ecr-scan-reporter/core/reporter what a reporter package needs", () => {
    expect(Object.keys(reporterEntry).sort()).toEqual(
      [
        "REPORTER_CONTRACT_VERSION",
        "ReporterError",
        "SEVERITIES",
        "SecretError",
        "cleanText",
        "createTemplateRenderer",
        "defineReporter",
        "describeSecretRef",
        "emptySeverityCounts",
        "escapeHtml",
        "escapeSlackText",
        "headerValue",
        "highestSeverityOf",
        "imageConsoleUrl",
        "isFailedScan",
        "linkableHttpUrl",
        "secretRefSchema",
        "truncateText",
        "BACK_WITHIN_THRESHOLDS",
        "backWithinThresholdsClause",
        "backWithinThresholdsText",
        "backWithinThresholdsTitle",
        "CHANGES_MAX_IDS",
        "changeLines",
        "changesHeadline",
        "changesShort",
        "isBackWithinThresholdsNotice",
        "reportedChanges",
        "checkTemplates",
        "countsSummary",
        "fixStatus",
        "formatCvss",
        "incompleteNote",
        "missingFixText",
        "mostSevereFirst",
        "reportImageLabel",
        // The account a report is about ([8/8]): `name (id)`, the short form for lists, the subject's part.
        "accountLabel",
        "accountShortLabel",
        "subjectAccount",
        "severityName",
        "severityRank",
        "shortDigest",
        "templateCheckReports",
        "templatesOptionSchema",
        "DEFAULT_DIGEST_PERIOD_DAYS",
        "DIGEST_TOP_CHANGES",
        "DIGEST_TOP_IMAGES",
        "digestPeriodName",
        "formatAge",
        "formatDelta",
        "shownSeverities",
        "templateCheckDigests",
        "hasFix",
        "urgencyOrder",
        "ESCALATION_MAX_IDS",
        "digestKevHeadline",
        "epssText",
        "escalationText",
        "exploitText",
        "feedDay",
        "fixNoteText",
        "intelBadges",
        "intelCounts",
        "intelNote",
        "isExploitable",
        "isKnownRansomwareUse",
        "isOverdue",
        "kevBadge",
        "kevCountText",
        "kevDueText",
        "requiredActionText",
      ].sort(),
    );
  });
});
