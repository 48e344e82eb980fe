import {
  checkTemplates as checkTemplateViews,
  createTemplateRenderer,
  intelCounts,
  isFailedScan,
  kevCountText,
  type ScanReport,
  subjectAccount,
  type TemplateRenderer,
  type TemplateSource,
  templateCheckReports,
  truncateText,
} from "@ecr-scan-reporter/core";
import {
  type FindingsChange,
  type FindingsState,
  findingIdsOf,
  findingsMarker,
  findingsStateOf,
  imageMarker,
  imageReferenceOf,
} from "./markers.js";
import { DEFAULT_MAX_FINDINGS } from "./options.js";
import { SHIPPED_TEMPLATES } from "./shipped-templates.js";
import {
  accountNameText,
  type CommentEvent,
  commentView,
  exceededSummary,
  imageLabelText,
  issueView,
  withListedFindings,
} from "./view.js";

/** GitHub refuses an issue body or comment longer than this many characters. */
export const GITHUB_BODY_MAX_CHARS = 65_536;
/** GitHub refuses an issue title longer than this many characters. */
export const GITHUB_TITLE_MAX_CHARS = 256;
const TITLE_PREFIX = "[ecr-scan]";

export const ISSUE_TEMPLATE = "github/issue.hbs";
export const COMMENT_TEMPLATE = "github/comment.hbs";

/** The renderer of the GitHub templates: inline overrides, then folder overrides, then the shipped ones. */
export function createGitHubRenderer(
  options: { templates?: Readonly<Record<string, string>>; overrides?: TemplateSource } = {},
): TemplateRenderer {
  return createTemplateRenderer({
    reporter: "github",
    shipped: SHIPPED_TEMPLATES,
    overrides: options.overrides,
    inline: options.templates,
    escape: "none",
  });
}

/**
 * The issue title: `[ecr-scan] team-a/api:v1.4.2 — 1 critical, 2 high`, `[ecr-scan] team-a/api:v1.4.2 (prod) — …`
 * when the configuration names the image's account (the counts of the severities over their
 * threshold), preceded by the KEV findings when there are (`— 1 known exploited (KEV), 1 overdue; 1 critical`),
 * `… — escalated` for a report due by an escalation other than KEV, `… — scan failed`, or `… — within thresholds`.
 * Plain text on one line, at most 256 characters. `now` is the clock KEV due dates are compared with.
 */
export function renderIssueTitle(report: ScanReport, now = new Date()): string {
  const failed = isFailedScan(report.status);
  const kev = failed ? { kev: 0, overdue: 0 } : intelCounts(report.findings, now);
  const parts = [kevCountText(kev.kev, kev.overdue), exceededSummary(report)].filter((part) => part !== "");
  const due = report.verdict.reason === "escalated" ? "escalated" : "within thresholds";
  const state = failed ? "scan failed" : parts.join("; ") || due;
  // The account's name, when the configuration gives one ([8/8]), kept whole after the image: the image is cut.
  const account = accountNameText(subjectAccount(report));
  const tail = `${account ? ` (${account})` : ""} — ${state}`;
  const head = truncateText(
    `${TITLE_PREFIX} ${imageLabelText(report)}`,
    GITHUB_TITLE_MAX_CHARS - tail.length,
  );
  return `${head}${tail}`;
}

export interface IssueBodyOptions {
  /** At most this many findings are listed (default 200); fewer when the body would not fit. */
  maxFindings?: number;
  /** Inline template overrides by name, as the reporter's `templates` option. */
  templates?: Readonly<Record<string, string>>;
  /** A renderer to use instead (the reporter passes its own, with folder overrides). */
  renderer?: TemplateRenderer;
  /** The longest body allowed (default 65,536). */
  maxChars?: number;
  /** The reporter's clock: a KEV due date before its day is overdue (default: the current time). */
  now?: Date;
}

/** An issue body and what went into it. */
export interface FittedIssueBody {
  body: string;
  totalFindings: number;
  listedFindings: number;
  /** What the body remembers of the findings (absent for a failed scan, which has none to remember). */
  findingsState?: FindingsState;
}

const CUT_NOTE = "\n\n…(cut to fit GitHub's limit on an issue body)";

/**
 * Renders the issue body of a report within GitHub's limit: the template with as many findings as fit (at most
 * `maxFindings`; a binary search on the count when the whole list does not fit), then the two hidden markers.
 */
export function fitIssueBody(report: ScanReport, options: IssueBodyOptions = {}): FittedIssueBody {
  const renderer = options.renderer ?? createGitHubRenderer({ templates: options.templates });
  const maxChars = options.maxChars ?? GITHUB_BODY_MAX_CHARS;
  const failed = isFailedScan(report.status);
  const findingsState = failed ? undefined : findingsStateOf(findingIdsOf(report));
  const markers = [
    imageMarker(imageReferenceOf(report)),
    ...(findingsState ? [findingsMarker(findingsState)] : []),
  ];
  const tail = `\n\n${markers.join("\n")}\n`;
  const budget = maxChars - tail.length;
  const total = report.findings.length;
  let listed = Math.min(total, options.maxFindings ?? DEFAULT_MAX_FINDINGS);
  // The findings' views are built once, for the most that may be listed; each count tried lists the first of them.
  const full = issueView(report, listed, options.now ?? new Date());
  const render = (count: number) =>
    renderer.render(ISSUE_TEMPLATE, withListedFindings(full, count)).trimEnd();
  let text = render(listed);
  if (text.length > budget) {
    // The longest list that fits: lengths grow with the count, so a binary search finds it in ~log2(n) renders.
    let low = 0;
    let high = listed - 1;
    let best: string | undefined;
    let bestListed = 0;
    while (low <= high) {
      const mid = Math.floor((low + high) / 2);
      const candidate = render(mid);
      if (candidate.length <= budget) {
        best = candidate;
        bestListed = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    listed = bestListed;
    // Even without findings the template is too long (a replaced template): cut it, the markers stay whole.
    text = best ?? `${truncateText(render(0), budget - CUT_NOTE.length)}${CUT_NOTE}`;
  }
  const fitted: FittedIssueBody = { body: `${text}${tail}`, totalFindings: total, listedFindings: listed };
  if (findingsState) fitted.findingsState = findingsState;
  return fitted;
}

/** The issue body of a report, as the reporter writes it (markers included), within 65,536 characters. */
export function renderIssueBody(report: ScanReport, options: IssueBodyOptions = {}): string {
  return fitIssueBody(report, options).body;
}

/** A comment about `report` on its issue, within GitHub's limit; `now` as for the issue body. */
export function renderComment(
  renderer: TemplateRenderer,
  event: CommentEvent,
  report: ScanReport,
  change?: FindingsChange,
  keptNumber?: number,
  now = new Date(),
): string {
  const text = renderer.render(COMMENT_TEMPLATE, commentView(event, report, change, keptNumber, now)).trim();
  return truncateText(text, GITHUB_BODY_MAX_CHARS);
}

/**
 * Renders every template once with small reports (a completed scan, a failed one, each comment), so a broken
 * override fails when the reporter is created, at cold start, naming the template — not on the first report.
 */
export function checkTemplates(renderer: TemplateRenderer): void {
  const { completed, failed, escalated } = templateCheckReports();
  const events = ["updated", "reopened", "closed", "duplicate"] as const;
  checkTemplateViews("github", renderer, {
    [ISSUE_TEMPLATE]: [
      issueView(completed, completed.findings.length),
      issueView(failed, 0),
      issueView(escalated, escalated.findings.length),
    ],
    [COMMENT_TEMPLATE]: [
      ...events.map((event) => commentView(event, completed, undefined, 1)),
      commentView("updated", escalated, undefined),
      commentView("reopened", escalated, undefined),
      // Without the ledger's changes: the issue marker's comparison (the fallback) is shown instead.
      commentView("updated", { ...completed, changes: undefined }, undefined),
      commentView("scan-failed", failed, undefined),
    ],
  });
}
