import * as z from "zod";
import { parseDuration } from "../duration.js";
import { ACCOUNT_ID_PATTERN } from "../events/identifiers.js";
import { SEVERITIES, type Severity } from "../model.js";

/** A duration as written in the config and what it means in milliseconds. */
export interface Duration {
  text: string;
  ms: number;
}

/** A duration like 7d, 12h or 30m (each use describes itself: a description here would show nowhere). */
const durationSchema = z
  .string()
  .meta({ pattern: "^[0-9]+[dhm]$" })
  .transform((text, ctx): Duration => {
    const ms = parseDuration(text);
    if (ms === undefined || ms === 0) {
      ctx.addIssue({ code: "custom", message: `"${text}" is not a duration like 7d, 12h or 30m` });
      return z.NEVER;
    }
    return { text, ms };
  });

/** A JavaScript regular expression, matched against repository names (each use describes itself). */
const regexSchema = z
  .string()
  .min(1)
  .transform((source, ctx): RegExp => {
    try {
      return new RegExp(source);
    } catch (error) {
      // `new RegExp` throws only SyntaxErrors, whose message opens with this prefix.
      // Stryker disable next-line Regex: the prefix opens the message, so anchored or not its first match is the same
      const why = (error as SyntaxError).message.replace(/^Invalid regular expression: /, "");
      ctx.addIssue({ code: "custom", message: `"${source}" is not a valid regular expression (${why})` });
      return z.NEVER;
    }
  });

/** A severity, upper case (each use describes itself). */
const severitySchema = z.enum(SEVERITIES);

/** CISA's Known Exploited Vulnerabilities catalog, JSON feed (https://www.cisa.gov/known-exploited-vulnerabilities-catalog). */
export const DEFAULT_KEV_URL =
  "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/** FIRST's EPSS API (https://www.first.org/epss/api): `?cve=CVE-…,CVE-…`. */
export const DEFAULT_EPSS_URL = "https://api.first.org/data/v1/epss";

const dateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: "must be a date like 2027-01-31", abort: true })
  // Date.parse rolls impossible days over (2027-02-30 → 2027-03-02): the date must read back the same.
  .refine(
    (text) => {
      const date = new Date(`${text}T00:00:00Z`);
      return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
    },
    { message: "is not a calendar date" },
  )
  .describe("A date, YYYY-MM-DD (UTC). The entry applies up to and including that day.");

const thresholdSchema = z
  .number()
  .int()
  .min(0)
  .nullable()
  .describe(
    "How many findings of this severity are tolerated; null = this severity never triggers a report.",
  );

const DEFAULT_THRESHOLDS: Record<Severity, number | null> = {
  CRITICAL: 0,
  HIGH: 0,
  MEDIUM: null,
  LOW: null,
  INFORMATIONAL: null,
  UNDEFINED: null,
};

const thresholdsSchema = z
  .strictObject(
    Object.fromEntries(SEVERITIES.map((s) => [s, thresholdSchema.optional()])) as Record<
      Severity,
      z.ZodOptional<typeof thresholdSchema>
    >,
  )
  .prefault({})
  .transform((given): Record<Severity, number | null> => ({ ...DEFAULT_THRESHOLDS, ...given }))
  .describe("Per severity, how many findings are tolerated before a report is due.");

/** One entry of `reporters`: a reporter, its routing and its own options (checked apart by `validate`, too). */
export const reporterEntrySchema = z.strictObject({
  use: z
    .string()
    .min(1)
    .describe("A built-in reporter (sns, slack, github, email, metrics) or a package name."),
  repositories: regexSchema.optional().describe("Only reports of repositories whose name matches."),
  minSeverity: severitySchema.optional().describe("Only reports with a finding at least this severe."),
  accounts: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe(
      "Only reports (and digest lines) of images in these accounts: 12-digit account ids, or the `name` of an entry of `accounts`.",
    ),
  notify: z
    .enum(["changes", "always"])
    .default("changes")
    .describe(
      'How noisy: "changes" sends a due report only when it is the first for the image reference, has new findings, raised severities or a changed verdict, and one notice when an image is back within the thresholds; "always" sends every due report. Both never send the same scan twice. Needs the findings ledger (LEDGER_TABLE_NAME); without it every due report is sent.',
    ),
  onlyFixable: z
    .boolean()
    .optional()
    .describe(
      "true: send this entry only the findings that have a fix (a fixed-in version, or Amazon Inspector's fixAvailable YES or PARTIAL); a report left with none is not sent.",
    ),
  digest: z
    .boolean()
    .optional()
    .describe(
      "Send this entry a periodic digest (send-digests, on digest_schedule_expression): on by default for reporters that support digests; false turns it off.",
    ),
  options: z.unknown().optional().describe("The reporter's own options, checked by its schema."),
});

/**
 * An IAM role ARN in any partition: arn:aws:iam::123456789012:role/path/name (IAM User Guide, "IAM identifiers";
 * the account's 12 digits are captured to check them against the entry's `accountId`).
 */
export const ROLE_ARN_PATTERN =
  /^arn:aws(?:-cn|-us-gov|-iso|-iso-b)?:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** One registry a hub deployment covers (issue [8/8]); without `roleArn` the hub's own account. */
export const accountEntrySchema = z.strictObject({
  accountId: z
    .string()
    .regex(ACCOUNT_ID_PATTERN, {
      message: 'must be a 12-digit AWS account id, in quotes (e.g. "123456789012")',
    })
    .describe("The AWS account id whose registry is covered, 12 digits as a string."),
  roleArn: z
    .string()
    .regex(ROLE_ARN_PATTERN, {
      message:
        "must be an IAM role ARN like arn:aws:iam::123456789012:role/ecr-scan-reporter-member (terraform/modules/member-account outputs it as role_arn)",
    })
    .optional()
    .describe(
      "The member account's read-and-scan role (terraform/modules/member-account) that the hub assumes; absent: the hub's own account, with the functions' own credentials.",
    ),
  externalId: z
    .string()
    // STS AssumeRole: ExternalId is 2–1224 characters of [\w+=,.@:\/-] (AWS STS API Reference, AssumeRole).
    .regex(/^[\w+=,.@:/-]{2,1224}$/, {
      message: "must be 2 to 1224 characters of letters, digits and +=,.@:/- (STS AssumeRole's ExternalId)",
    })
    .optional()
    .describe("The ExternalId the member role's trust policy requires (sts:ExternalId); only with roleArn."),
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .describe("A name for the account, shown in reports beside its id and usable in reporters[].accounts."),
});

export type AccountEntry = z.output<typeof accountEntrySchema>;

/** The whole configuration document (docs/configuration.md): one schema used by the Lambdas, the CLI and the module. */
export const configSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Path or URL of this document's JSON Schema, for editors."),
    accounts: z
      .array(accountEntrySchema)
      .min(1)
      .optional()
      .describe(
        "The registries one hub deployment covers (multi-account). Absent: the deployment's own account only. Present: exactly these accounts; an entry without roleArn is the hub's own account.",
      ),
    repositories: z
      .strictObject({
        include: regexSchema.optional().describe("Only repositories whose name matches are scanned."),
        exclude: regexSchema.optional().describe("Repositories whose name matches are never scanned."),
      })
      .prefault({})
      .describe("Which repositories are kept under scanning."),
    scan: z
      .strictObject({
        expiry: durationSchema.prefault("7d").describe("A scan older than this is redone."),
        onlyPulledWithin: durationSchema
          .optional()
          .describe(
            "When set, images not pulled (or, never pulled, not pushed) within this long are left alone.",
          ),
        maxScansPerRun: z
          .number()
          .int()
          .min(1)
          .max(100_000)
          .default(5000)
          .describe(
            "The most scans one scheduled run starts in one repository; the rest wait for the next run.",
          ),
      })
      .prefault({})
      .describe("When images are rescanned."),
    thresholds: thresholdsSchema,
    intel: z
      .strictObject({
        kevUrl: z
          .url({ protocol: /^https?$/ })
          .nullable()
          .default(DEFAULT_KEV_URL)
          .describe(
            "CISA's Known Exploited Vulnerabilities catalog (JSON feed); null turns KEV look-ups off.",
          ),
        epssUrl: z
          .url({ protocol: /^https?$/ })
          .nullable()
          .default(DEFAULT_EPSS_URL)
          .describe("FIRST's EPSS API (`?cve=` is added); null turns EPSS look-ups off."),
      })
      .prefault({})
      .describe(
        "Threat intelligence the findings are checked against (fetched at most once a day, cached in the findings ledger; the functions need outbound HTTPS).",
      ),
    escalate: z
      .strictObject({
        kev: z.boolean().default(true).describe("A finding on CISA's KEV catalog makes the report due."),
        exploitAvailable: z
          .boolean()
          .default(false)
          .describe(
            "A finding with a known exploit (Amazon Inspector, enhanced scanning) makes the report due.",
          ),
        epssAbove: z
          .number()
          .min(0)
          .max(1)
          .nullable()
          .default(null)
          .describe(
            "A finding whose EPSS score is above this (0..1) makes the report due; null: EPSS never does.",
          ),
      })
      .prefault({})
      .describe("Findings that make a report due whatever the severity thresholds say."),
    notifyOnScanFailure: z.boolean().default(true).describe("A FAILED scan produces a failure report."),
    ignore: z
      .array(
        z.strictObject({
          id: z.string().min(1).describe("A vulnerability id, e.g. CVE-2023-4863."),
          repositories: regexSchema.optional().describe("Only in repositories whose name matches."),
          until: dateSchema.optional(),
          reason: z.string().min(1).describe("Why it is ignored, for the next reader."),
        }),
      )
      .default([])
      .describe("Findings removed before counting."),
    reporters: z.array(reporterEntrySchema).default([]).describe("Where reports go."),
  })
  .superRefine(checkAccounts)
  .describe("ecr-scan-reporter configuration.");

/**
 * What no single entry can check: account ids and names unique, a role in the entry's own account, an ExternalId
 * only with a role, one entry at most for the hub's own account, and every `reporters[].accounts` item naming an
 * account the configuration covers (a typo there would silently route nothing).
 */
function checkAccounts(
  config: {
    accounts?: readonly AccountEntry[];
    reporters: readonly { accounts?: readonly string[] }[];
  },
  ctx: z.RefinementCtx,
): void {
  const accounts = config.accounts ?? [];
  const seenIds = new Map<string, number>();
  const seenNames = new Map<string, number>();
  let hubEntry: number | undefined;
  accounts.forEach((entry, index) => {
    const path = ["accounts", index];
    const earlier = seenIds.get(entry.accountId);
    if (earlier !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [...path, "accountId"],
        message: `account ${entry.accountId} is listed twice (also accounts[${earlier}]); keep one entry per account`,
      });
    }
    seenIds.set(entry.accountId, index);
    if (entry.name !== undefined) {
      const sameName = seenNames.get(entry.name);
      if (sameName !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [...path, "name"],
          message: `the name "${entry.name}" is also accounts[${sameName}]'s; names must be unique, reporters[].accounts uses them`,
        });
      }
      seenNames.set(entry.name, index);
      if (ACCOUNT_ID_PATTERN.test(entry.name) && entry.name !== entry.accountId) {
        ctx.addIssue({
          code: "custom",
          path: [...path, "name"],
          message: "a name must not be another account's id (reporters[].accounts could not tell them apart)",
        });
      }
    }
    const roleAccount = entry.roleArn ? ROLE_ARN_PATTERN.exec(entry.roleArn)?.[1] : undefined;
    if (roleAccount !== undefined && roleAccount !== entry.accountId) {
      ctx.addIssue({
        code: "custom",
        path: [...path, "roleArn"],
        message: `the role is in account ${roleAccount}, not ${entry.accountId}: the hub assumes a role in each member account itself`,
      });
    }
    if (!entry.roleArn) {
      if (entry.externalId !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [...path, "externalId"],
          message: "externalId needs a roleArn: the hub's own account is read with the functions' own role",
        });
      }
      if (hubEntry !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [...path, "roleArn"],
          message: `only the hub's own account may go without a roleArn, and accounts[${hubEntry}] already does`,
        });
      }
      hubEntry ??= index;
    }
  });
  config.reporters.forEach((reporter, index) => {
    for (const [item, value] of (reporter.accounts ?? []).entries()) {
      const known = accounts.some((a) => a.accountId === value || a.name === value);
      if (known || (accounts.length === 0 && ACCOUNT_ID_PATTERN.test(value))) continue;
      ctx.addIssue({
        code: "custom",
        path: ["reporters", index, "accounts", item],
        message:
          accounts.length === 0
            ? `"${value}" is not a 12-digit account id (names need an \`accounts\` list to say which account they mean)`
            : `"${value}" is neither the accountId nor the name of an entry of \`accounts\``,
      });
    }
  });
}

/** The configuration document as written (JSON). */
export type ConfigInput = z.input<typeof configSchema>;
/** The configuration after validation: defaults filled, durations and regexes compiled. */
export type Config = z.output<typeof configSchema>;
export type ReporterEntry = Config["reporters"][number];
export type IgnoreEntry = Config["ignore"][number];
