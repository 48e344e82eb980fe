import {
  backWithinThresholdsTitle,
  checkTemplates,
  createTemplateRenderer,
  type ScanReport,
  type TemplateRenderer,
  type TemplateSource,
  templateCheckReports,
  urgencyOrder,
} from "@ecr-scan-reporter/core";
import { fitMrkdwn, fitPlainText } from "./mrkdwn.js";
import {
  type SlackMessageOptions,
  type SlackMessageOptionsInput,
  slackMessageOptionsSchema,
} from "./options.js";
import { SHIPPED_TEMPLATES } from "./shipped-templates.js";
import { backWithinView, findingView, headerView, imageView, type MoreView } from "./view-model.js";

/** Slack's limits for a message's blocks (Block Kit reference). */
export const SLACK_MAX_BLOCKS = 50;
export const SLACK_HEADER_MAX_CHARS = 150;
export const SLACK_SECTION_TEXT_MAX_CHARS = 3000;
/** The notification text: Slack truncates past 40,000 characters; a short one is what a notification shows. */
export const SLACK_FALLBACK_TEXT_MAX_CHARS = 3000;
/** The changes section is cut shorter than other sections, so the findings keep their room (see buildSlackMessage). */
export const SLACK_CHANGES_MAX_CHARS = 1000;
/**
 * What all the blocks of a message may use, counted as the characters of every string in a block plus
 * SLACK_BLOCK_OVERHEAD_CHARS a block. Slack refuses a message past roughly 13,000 characters of blocks
 * (`msg_blocks_too_long`, undocumented: see the sandbox section of docs/architecture.md); 12,000 keeps a margin.
 */
export const SLACK_BLOCKS_MAX_CHARS = 12_000;
/** What Slack was seen to count for a block beyond its strings (one divider lowered the limit by 125). */
export const SLACK_BLOCK_OVERHEAD_CHARS = 125;

export interface PlainTextObject {
  type: "plain_text";
  text: string;
  emoji?: boolean;
}
export interface MrkdwnTextObject {
  type: "mrkdwn";
  text: string;
}
export interface HeaderBlock {
  type: "header";
  block_id?: string;
  text: PlainTextObject;
}
export interface SectionBlock {
  type: "section";
  block_id?: string;
  text: MrkdwnTextObject;
}
export interface ContextBlock {
  type: "context";
  block_id?: string;
  elements: MrkdwnTextObject[];
}
export type SlackBlock = HeaderBlock | SectionBlock | ContextBlock;

/** The incoming-webhook payload of one report. */
export interface SlackMessage {
  /** The notification and fallback text (mrkdwn). */
  text: string;
  blocks: SlackBlock[];
  unfurl_links: false;
  unfurl_media: false;
}

/** A message and what went into it. */
export interface BuiltSlackMessage {
  payload: SlackMessage;
  /** Findings listed in the message. */
  shown: number;
  /** Findings counted in "…and N more". */
  omitted: number;
}

const header = (text: string): HeaderBlock => ({
  type: "header",
  block_id: "header",
  text: { type: "plain_text", text: fitPlainText(text, SLACK_HEADER_MAX_CHARS) },
});
const section = (blockId: string, text: string): SectionBlock => ({
  type: "section",
  block_id: blockId,
  text: { type: "mrkdwn", text: fitMrkdwn(text, SLACK_SECTION_TEXT_MAX_CHARS) },
});
const context = (blockId: string, text: string): ContextBlock => ({
  type: "context",
  block_id: blockId,
  elements: [{ type: "mrkdwn", text: fitMrkdwn(text, SLACK_SECTION_TEXT_MAX_CHARS) }],
});

/** A Handlebars renderer over the shipped Slack templates, the user's folder overrides and inline overrides. */
export function createSlackRenderer(
  options: Pick<SlackMessageOptions, "templates"> = {},
  overrides?: TemplateSource,
): TemplateRenderer {
  return createTemplateRenderer({
    reporter: "slack",
    shipped: SHIPPED_TEMPLATES,
    overrides,
    inline: options.templates,
    escape: "none",
  });
}

/** Renders every Slack template with sample views: a broken override fails at creation, naming the template. */
export function checkSlackTemplates(renderer: TemplateRenderer): void {
  const { completed, failed, escalated } = templateCheckReports();
  const image = imageView(completed);
  const failedImage = imageView(failed);
  const escalatedImage = imageView(escalated);
  checkTemplates("slack", renderer, {
    "slack/header.hbs": [headerView(completed), headerView(failed)],
    "slack/fallback.hbs": [image, failedImage, escalatedImage],
    "slack/counts.hbs": [image, escalatedImage],
    "slack/failed.hbs": [failedImage],
    "slack/finding.hbs": completed.findings.map((f, i) => findingView(image, f, i + 1, completed.scanType)),
    "slack/more.hbs": [{ ...image, count: 1, shown: 1 } satisfies MoreView],
    "slack/footer.hbs": [image, failedImage],
    "slack/changes.hbs": [image],
    "slack/back-within.hbs": [
      backWithinView(completed),
      backWithinView({ ...completed, changes: undefined }),
    ],
  });
}

/** The characters of every string of a block (its texts, type names and block_id). */
function blockCharacters(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (typeof value !== "object" || value === null) return 0;
  return Object.values(value).reduce<number>((n, v) => n + blockCharacters(v), 0);
}

/** How much of Slack's limit on all the blocks of a message `blocks` use. */
export function slackBlocksSize(blocks: readonly SlackBlock[]): number {
  return blocks.reduce((size, block) => size + blockCharacters(block) + SLACK_BLOCK_OVERHEAD_CHARS, 0);
}

/** Finding lines joined into sections of at most 3,000 characters, in at most `maxSections` sections. */
function packSections(lines: readonly string[], maxSections: number): { sections: string[]; shown: number } {
  const sections: string[] = [];
  let current = "";
  let shown = 0;
  for (const line of lines) {
    if (current === "") {
      current = line;
    } else if (current.length + 1 + line.length <= SLACK_SECTION_TEXT_MAX_CHARS) {
      current = `${current}\n${line}`;
    } else {
      if (sections.length + 1 >= maxSections) break;
      sections.push(current);
      current = line;
    }
    shown += 1;
  }
  if (current !== "") sections.push(current);
  return { sections, shown };
}

/**
 * Builds the Block Kit message of a report with a given renderer: header, the changes since the last report (when
 * the findings ledger tells them), counts, the most severe findings packed
 * into sections, "…and N more", footer — within 50 blocks, 150 header and 3,000 section characters, and 12,000
 * characters of blocks in all, whatever the report and the templates produce. The blocks without findings stay
 * below that total (header 150, changes 1,000, counts, "more" and footer 3,000 each: at most about 10,900 with
 * their type names, block ids and 125 a block), so the findings get what is left, however many `maxFindings` asks for and however long each line is: the last ones
 * listed are dropped, one by one, into "…and N more" until the message fits.
 */
export function buildSlackMessage(
  report: ScanReport,
  options: Pick<SlackMessageOptions, "maxFindings" | "channelLabel">,
  renderer: TemplateRenderer,
  now = new Date(),
): BuiltSlackMessage {
  const render = (name: string, view: object) => renderer.render(`slack/${name}.hbs`, view).trim();
  const image = imageView(report, options.channelLabel, now);
  const blocks: SlackBlock[] = [];
  const headerText = render("header", headerView(report));
  blocks.push(header(headerText || image.image));
  const text = fitMrkdwn(render("fallback", image) || image.image, SLACK_FALLBACK_TEXT_MAX_CHARS);
  const footer = render("footer", image);

  if (image.failed) {
    const failed = render("failed", image);
    if (failed) blocks.push(section("failed", failed));
    if (footer) blocks.push(context("footer", footer));
    return { payload: message(text, blocks), shown: 0, omitted: 0 };
  }

  // What changed since the last report comes first, before the counts (issue 14: one wording, core's).
  const changes = image.changes ? render("changes", image) : "";
  if (changes) blocks.push(section("changes", fitMrkdwn(changes, SLACK_CHANGES_MAX_CHARS)));
  const counts = render("counts", image);
  if (counts) blocks.push(section("counts", counts));

  // Most urgent first (KEV, an exploit, EPSS, then severity), whatever order the report came in.
  const findings = [...report.findings].sort(urgencyOrder);
  const lines = findings
    .slice(0, options.maxFindings)
    .map((finding, i) =>
      fitMrkdwn(
        render("finding", findingView(image, finding, i + 1, report.scanType, now)),
        SLACK_SECTION_TEXT_MAX_CHARS,
      ),
    );
  // Sections left for findings: room is kept for "…and N more" and the footer whatever happens.
  const maxSections = SLACK_MAX_BLOCKS - blocks.length - 2;
  const assemble = (listed: number): BuiltSlackMessage => {
    const { sections, shown } = packSections(lines.slice(0, listed), maxSections);
    const all = [...blocks, ...sections.map((text, i) => section(`findings-${i + 1}`, text))];
    const omitted = findings.length - shown;
    if (omitted > 0) {
      const more = render("more", { ...image, count: omitted, shown } satisfies MoreView);
      if (more) all.push(context("more", more));
    }
    if (footer) all.push(context("footer", footer));
    return { payload: message(text, all), shown, omitted };
  };
  let built = assemble(lines.length);
  while (built.shown > 0 && slackBlocksSize(built.payload.blocks) > SLACK_BLOCKS_MAX_CHARS) {
    built = assemble(built.shown - 1);
  }
  return built;
}

/**
 * The "back within thresholds" notice (issue 14): one section saying the image is within the thresholds again,
 * what its scan still found and what was fixed, with a link to the console — no finding list.
 */
export function buildSlackNotice(
  report: ScanReport,
  options: Pick<SlackMessageOptions, "channelLabel">,
  renderer: TemplateRenderer,
  now = new Date(),
): BuiltSlackMessage {
  const view = backWithinView(report, options.channelLabel, now);
  // `view.image` is escaped already, and the words around it need no escaping.
  const account = view.accountName ? ` (${view.accountName})` : "";
  const text = fitMrkdwn(backWithinThresholdsTitle(`${view.image}${account}`), SLACK_FALLBACK_TEXT_MAX_CHARS);
  const body = renderer.render("slack/back-within.hbs", view).trim();
  return { payload: message(text, [section("back-within", body || view.notice)]), shown: 0, omitted: 0 };
}

function message(text: string, blocks: SlackBlock[]): SlackMessage {
  return { text, blocks, unfurl_links: false, unfurl_media: false };
}

/**
 * The Slack message of a report, as the reporter would send it: a pure function for docs, previews and tests.
 * `options` are the reporter's message options (`maxFindings`, `channelLabel`, inline `templates`); `templates`
 * is a folder override source like the one the Lambda reads from its layer. `kind.backWithinThresholds` renders the
 * "back within thresholds" notice instead; `kind.now` is the clock KEV due dates are compared with (default: now).
 */
export function renderSlackMessage(
  report: ScanReport,
  options: SlackMessageOptionsInput = {},
  templates?: TemplateSource,
  kind: { backWithinThresholds?: boolean; now?: Date } = {},
): SlackMessage {
  const parsed = slackMessageOptionsSchema.parse(options);
  const renderer = createSlackRenderer(parsed, templates);
  const now = kind.now ?? new Date();
  return kind.backWithinThresholds
    ? buildSlackNotice(report, parsed, renderer, now).payload
    : buildSlackMessage(report, parsed, renderer, now).payload;
}
