import * as z from "zod";
import type { Digest } from "../digest/model.js";
import type { NotificationKind, NotificationWhy } from "../ledger/notify.js";
import type { ScanReport } from "../model.js";

/**
 * The version of the reporter contract this release implements. A reporter package may declare the version it
 * was written for; a breaking change to the interfaces below bumps it (see "Writing a reporter").
 */
export const REPORTER_CONTRACT_VERSION = 2;

/** A secret given by reference, never by value: a Secrets Manager secret or an SSM SecureString parameter. */
export const secretRefSchema = z.union([
  z.strictObject({
    secretArn: z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, {
      message: "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)",
    }),
    /** When the secret is a JSON object, the key whose value is the secret. */
    jsonKey: z.string().min(1).optional(),
  }),
  z.strictObject({
    parameter: z.string().regex(/^(\/[\w.-]+)+$|^[\w.-]+$/, {
      message: "must be an SSM parameter name like /ecr-scan-reporter/token",
    }),
  }),
]);
export type SecretRef = z.infer<typeof secretRefSchema>;

/** Resolves a secret reference to its value (cached per cold start). The value must never be logged. */
export type SecretResolver = (ref: SecretRef) => Promise<string>;

/** The logging a reporter gets: structured, with secrets redacted on the way out. */
export interface ReporterLogger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/**
 * The user's replacements for shipped Handlebars templates (a Lambda layer folder, a CLI `--templates` folder).
 * Reporters fall back to their shipped template when there is no override.
 */
export interface TemplateSource {
  /** The replacement text for a template named like `slack/finding.hbs`, or undefined to keep the shipped one. */
  override(name: string): string | undefined;
  /** Every template name the source holds, so partials that exist only as overrides can be registered too. */
  names?(): string[];
}

/** What a reporter may use, all injectable in tests. */
export interface ReporterDeps {
  logger: ReporterLogger;
  resolveSecret: SecretResolver;
  /** Returns the shared AWS SDK client of a class (one per class; region and endpoint from the environment). */
  awsClient<C>(ctor: new (...args: never) => C): C;
  /** The `fetch` to use for HTTP targets (webhooks), so tests can point it at a local receiver. */
  fetch: typeof fetch;
  templates: TemplateSource;
  clock: () => Date;
  /** Writes one raw line to the function's log stream (stdout in Lambda): for CloudWatch EMF metric lines. */
  writeLine: (line: string) => void;
}

/** What the dispatcher tells a reporter about the current delivery. */
export interface ReportContext {
  /** The reporter's id in this configuration (`slack`, or `slack#2` when the same reporter is used twice). */
  reporterId: string;
  /** 1 for the first delivery of this report, 2+ for targeted retries. */
  attempt: number;
  /** The queue message (or CLI run) this report came from, for logs. */
  source?: string;
  /**
   * What the ledger-aware dispatch decided to send this reporter (ledger/notify.ts): `report`, a findings report,
   * or `back-within-thresholds`, the one notice that an image reference last reported over the thresholds no
   * longer is (its report is not due) — a short notice, not a findings report. Absent when the reporter is run
   * outside that dispatch (CLI preview, older callers): then a due report is a report, as before.
   */
  notification?: { kind: NotificationKind; why: NotificationWhy };
}

/** What send-digests tells a reporter about the current digest delivery. */
export interface DigestContext {
  /** The reporter's id in this configuration (`slack`, `slack#2`). */
  reporterId: string;
  /** 1 for the first try of this digest, 2+ for retries. */
  attempt: number;
  /** The scheduled invocation (or CLI run) this digest came from, for logs. */
  source?: string;
}

/** What became of one report for one reporter. */
export interface ReportOutcome {
  status: "sent" | "skipped";
  /** Where it went: a message id, an issue URL… */
  ref?: string;
  /** Why it was skipped, or a short note. */
  detail?: string;
}

/** One file of a preview: what a reporter would send, as the target would see it. */
export interface PreviewFile {
  /** A file name without folders, e.g. `slack-message.json`, `issue-body.md`, `email.html`. */
  name: string;
  content: string;
}

/** A configured reporter, ready to send. */
export interface Reporter {
  /** Checks what can be checked without sending (the secret resolves, the topic exists); called once at cold start. */
  verify?(): Promise<void>;
  report(report: ScanReport, ctx: ReportContext): Promise<ReportOutcome>;
  /**
   * Contract v2, optional: sends one digest (a route's periodic picture of the registry). A reporter without it is
   * left out of digests; send-digests calls it at most once per route and period.
   */
  digest?(digest: Digest, ctx: DigestContext): Promise<ReportOutcome>;
}

/**
 * The default export of a reporter package. `optionsSchema` validates the entry's `options` at cold start;
 * `create` is called once per cold start with the parsed options.
 */
export interface ReporterPlugin<O = unknown> {
  name: string;
  optionsSchema: z.ZodType<O>;
  /**
   * Which reports reach the reporter: `due` (the default) only those the policy says are due; `all` every
   * report, for reporters that keep state in step with the scans (closing a GitHub issue, emitting metrics).
   */
  receives?: "due" | "all";
  /** The contract version the plugin was written for; defaults to 1. */
  contractVersion?: number;
  create(options: O, deps: ReporterDeps): Reporter;
  /**
   * Optional: renders what `report()` would send for a report, without sending or resolving secrets. Used by
   * `ecr-scan-reporter report --out DIR` and by the documentation's examples.
   */
  preview?(report: ScanReport, options: O, deps: Pick<ReporterDeps, "templates" | "clock">): PreviewFile[];
  /** Contract v2, optional: renders what `digest()` would send, without sending (`digest --out DIR`, the docs). */
  previewDigest?(digest: Digest, options: O, deps: Pick<ReporterDeps, "templates" | "clock">): PreviewFile[];
}

/**
 * A plugin whatever its options type, as loaders, registries and lists hold them. Every `ReporterPlugin<O>` is one
 * without a cast: `create` and `preview` are methods, whose parameters TypeScript compares bivariantly, and the
 * loader only ever passes them what the plugin's own `optionsSchema` parsed.
 */
export type AnyReporterPlugin = ReporterPlugin<unknown>;

/** Identity helper that gives a plugin literal its types; reporter packages `export default defineReporter({...})`. */
export function defineReporter<O>(plugin: ReporterPlugin<O>): ReporterPlugin<O> {
  return plugin;
}
