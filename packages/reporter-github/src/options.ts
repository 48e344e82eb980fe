import { secretRefSchema } from "@ecr-scan-reporter/core";
import * as z from "zod";

export const DEFAULT_LABELS = ["ecr-scan"] as const;
export const DEFAULT_SEVERITY_LABELS = {
  CRITICAL: "severity:critical",
  HIGH: "severity:high",
  MEDIUM: "severity:medium",
  LOW: "severity:low",
} as const;
export const DEFAULT_MAX_FINDINGS = 200;
/** The label of an issue whose image has findings on CISA's Known Exploited Vulnerabilities catalog. */
export const DEFAULT_KEV_LABEL = "known-exploited";

/**
 * A label name. GitHub allows up to 50 characters; a comma is refused here because "List repository issues"
 * takes its `labels` filter as a comma-separated list, so a label with a comma could not be searched for.
 */
const labelSchema = z
  .string()
  .trim()
  .min(1, { message: "must not be empty" })
  .max(50, { message: "must be at most 50 characters (GitHub's limit for a label name)" })
  .regex(/^[^,]+$/, { message: "must not contain a comma (issues are listed by label, comma-separated)" });

/** GitHub's rules for a user or organization login, and for a repository name. */
const ownerSchema = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, {
  message: "must be a GitHub user or organization login (letters, digits, hyphens)",
});
const repoSchema = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, {
  message: "must be a repository name (letters, digits, '.', '_', '-')",
});

export const githubOptionsSchema = z
  .strictObject({
    owner: ownerSchema,
    repo: repoSchema,
    /** A token (fine-grained or classic PAT, or an app installation token) given by reference, never by value. */
    token: secretRefSchema,
    /** The API root: `https://api.github.com` (default) or GitHub Enterprise Server's `https://HOST/api/v3`. */
    baseUrl: z
      .url({ protocol: /^https?$/, message: "must be an http(s) URL like https://ghe.example.com/api/v3" })
      .transform((url) => url.replace(/\/+$/, ""))
      .optional(),
    /** Added to every issue; the first one is the label issues are listed by to be found again. */
    labels: z
      .array(labelSchema)
      .min(1, { message: "needs at least one label: the first is how issues are found again" })
      .max(20)
      .refine((labels) => new Set(labels.map((l) => l.toLowerCase())).size === labels.length, {
        message: "must not repeat a label",
      })
      .default([...DEFAULT_LABELS]),
    /** The label for the issue's highest severity; the others of this map are removed. `false`: no severity labels. */
    severityLabels: z
      .union([
        z.literal(false),
        z.partialRecord(
          z.enum(["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"]),
          labelSchema,
        ),
      ])
      .default({ ...DEFAULT_SEVERITY_LABELS }),
    /**
     * Added to an issue while its image has findings on CISA's Known Exploited Vulnerabilities catalog, removed
     * when none is left, so KEV issues can be listed by label. `false`: no such label.
     */
    kevLabel: z.union([z.literal(false), labelSchema]).default(DEFAULT_KEV_LABEL),
    /** Logins assigned to a new issue (never changed afterwards, so people can re-assign). */
    assignees: z
      .array(z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, { message: "must be a GitHub login" }))
      .max(10, { message: "GitHub allows at most 10 assignees" })
      .optional(),
    /** At most this many findings are listed in the body (fewer when the body would pass 65,536 characters). */
    maxFindings: z
      .number()
      .int({ message: "must be a whole number" })
      .min(0)
      .max(5_000)
      .default(DEFAULT_MAX_FINDINGS),
    /**
     * Pacing of writes, for GitHub Enterprise Server with other limits or a local receiver. The defaults follow
     * GitHub's best practices (one second between writes, three between issues and comments): keep them for github.com.
     */
    pacing: z
      .strictObject({
        writeIntervalMs: z.number().int().min(0).max(60_000).optional(),
        notificationIntervalMs: z.number().int().min(0).max(60_000).optional(),
      })
      .optional(),
    /** Inline template overrides by name (`github/issue.hbs`, `github/comment.hbs`, `github/partials/…`). */
    templates: z
      .record(
        z.string().regex(/^github\/.+\.hbs$/, { message: "must be a name like github/issue.hbs" }),
        z.string(),
      )
      .optional(),
  })
  .superRefine((options, ctx) => {
    // The KEV label comes and goes with the findings: were it a configured label, the issue would lose it and no
    // longer be found again; were it a severity label, the two would remove each other.
    const kevLabel = options.kevLabel;
    if (kevLabel === false) return;
    const severityLabels = options.severityLabels === false ? [] : Object.values(options.severityLabels);
    if (
      [...options.labels, ...severityLabels].some((name) => name.toLowerCase() === kevLabel.toLowerCase())
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["kevLabel"],
        message: "must differ from labels and severityLabels (it is added and removed with the KEV findings)",
      });
    }
  });

/** The options as written in the configuration. */
export type GitHubReporterOptionsInput = z.input<typeof githubOptionsSchema>;
/** The options after validation, defaults applied. */
export type GitHubReporterOptions = z.output<typeof githubOptionsSchema>;
