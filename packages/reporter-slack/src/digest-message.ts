import {
  checkTemplates,
  type Digest,
  type TemplateRenderer,
  type TemplateSource,
  templateCheckDigests,
} from "@ecr-scan-reporter/core";
import {
  type DigestMoreImagesView,
  type DigestView,
  digestChangesView,
  digestHeaderView,
  digestImageView,
  digestKevView,
  digestView,
} from "./digest-view.js";
import {
  createSlackRenderer,
  SLACK_BLOCKS_MAX_CHARS,
  SLACK_FALLBACK_TEXT_MAX_CHARS,
  SLACK_HEADER_MAX_CHARS,
  SLACK_MAX_BLOCKS,
  SLACK_SECTION_TEXT_MAX_CHARS,
  type SlackBlock,
  type SlackMessage,
  slackBlocksSize,
} from "./message.js";
import { fitMrkdwn, fitPlainText } from "./mrkdwn.js";
import {
  type SlackMessageOptions,
  type SlackMessageOptionsInput,
  slackMessageOptionsSchema,
} from "./options.js";

/**
 * Caps on the blocks of a digest other than the images, so that whatever the digest and the templates, they use
 * at most about 9,800 of the 12,000 characters a message may have in blocks (SLACK_BLOCKS_MAX_CHARS): header 150,
 * summary 1,500, known exploited 1,200, new and fixed findings 1,500 each, coverage 1,000, footer 1,000, "…and K
 * more" 500, with their type names, block ids and 125 a block. The images get what is left (always more than
 * 2,000 characters), and the last of them move into "…and K more images" until the message fits.
 */
export const SLACK_DIGEST_SUMMARY_MAX_CHARS = 1_500;
/** The accounts of a multi-account digest: a line each, about 150 characters, for a few dozen accounts. */
export const SLACK_DIGEST_ACCOUNTS_MAX_CHARS = 3_000;
export const SLACK_DIGEST_KEV_MAX_CHARS = 1_200;
export const SLACK_DIGEST_CHANGES_MAX_CHARS = 1_500;
export const SLACK_DIGEST_COVERAGE_MAX_CHARS = 1_000;
export const SLACK_DIGEST_FOOTER_MAX_CHARS = 1_000;
export const SLACK_DIGEST_MORE_MAX_CHARS = 500;
/** One image's line: far more than the shipped template writes, even with a 256-character repository name. */
export const SLACK_DIGEST_IMAGE_LINE_MAX_CHARS = 1_500;

/** A digest's message and how many images over the thresholds it names. */
export interface BuiltSlackDigest {
  payload: SlackMessage;
  /** Images over the thresholds listed by name. */
  shownImages: number;
  /** Images over the thresholds counted in "…and K more". */
  omittedImages: number;
}

const header = (text: string): SlackBlock => ({
  type: "header",
  block_id: "digest-header",
  text: { type: "plain_text", text: fitPlainText(text, SLACK_HEADER_MAX_CHARS) },
});
const section = (blockId: string, text: string, max: number): SlackBlock => ({
  type: "section",
  block_id: blockId,
  text: { type: "mrkdwn", text: fitMrkdwn(text, Math.min(max, SLACK_SECTION_TEXT_MAX_CHARS)) },
});
const context = (blockId: string, text: string, max: number): SlackBlock => ({
  type: "context",
  block_id: blockId,
  elements: [{ type: "mrkdwn", text: fitMrkdwn(text, Math.min(max, SLACK_SECTION_TEXT_MAX_CHARS)) }],
});

/** Lines joined into sections of at most 3,000 characters, in at most `maxSections` sections. */
function packLines(lines: readonly string[], maxSections: number): { sections: string[]; shown: number } {
  const sections: string[] = [];
  let current = "";
  let shown = 0;
  for (const line of lines) {
    if (current !== "" && current.length + 1 + line.length > SLACK_SECTION_TEXT_MAX_CHARS) {
      if (sections.length + 1 >= maxSections) break;
      sections.push(current);
      current = "";
    }
    current = current === "" ? line : `${current}\n${line}`;
    shown += 1;
  }
  if (current !== "") sections.push(current);
  return { sections, shown };
}

/**
 * The new (or fixed) findings section: as many of the listed findings as fit in SLACK_DIGEST_CHANGES_MAX_CHARS,
 * the others counted by the template's "…and N more" (the text is cut only if even none listed is too long).
 */
function changesText(
  render: (name: string, view: object) => string,
  base: DigestView,
  kind: "new" | "fixed",
  digest: Digest,
): string {
  const list = kind === "new" ? digest.newFindings : digest.fixedFindings;
  for (let listed = list.top.length; listed > 0; listed--) {
    const text = render("digest-changes", digestChangesView(base, kind, list, listed));
    if (text.length <= SLACK_DIGEST_CHANGES_MAX_CHARS) return text;
  }
  return render("digest-changes", digestChangesView(base, kind, list, 0));
}

/**
 * The known exploited section: as many KEV vulnerabilities as fit in SLACK_DIGEST_KEV_MAX_CHARS, the others counted
 * by the template's "…and N more"; also the threat-intel note when a source was stale or unavailable.
 */
function kevText(render: (name: string, view: object) => string, base: DigestView, digest: Digest): string {
  const list = digest.knownExploited;
  for (let listed = list?.top.length ?? 0; listed > 0; listed--) {
    const text = render("digest-kev", digestKevView(base, list, listed));
    if (text.length <= SLACK_DIGEST_KEV_MAX_CHARS) return text;
  }
  return render("digest-kev", digestKevView(base, list, 0));
}

/**
 * Builds the Block Kit message of a digest: header (period and route), the known exploited (KEV) vulnerabilities
 * open, overdue first, with their due dates (and a note when a threat-intel source was stale or unavailable),
 * summary (open findings by severity and their change since the previous digest, or the all-clear / empty-ledger
 * wording), the images over the
 * thresholds worst first with their oldest open CRITICAL/HIGH, "…and K more images", the findings new and fixed
 * this period, coverage, and a footer with the console link — within 50 blocks, 150 header and 3,000 section
 * characters, and 12,000 characters of blocks in all, whatever the digest and the templates produce.
 */
export function buildSlackDigest(
  digest: Digest,
  options: Pick<SlackMessageOptions, "channelLabel">,
  renderer: TemplateRenderer,
): BuiltSlackDigest {
  const render = (name: string, view: object) => renderer.render(`slack/${name}.hbs`, view).trim();
  const base = digestView(digest, options.channelLabel);
  const headerView = digestHeaderView(digest);
  const headerText =
    render("digest-header", headerView) || `${headerView.title} ${headerView.start} – ${headerView.end}`;
  const text = fitMrkdwn(render("digest-fallback", base) || base.title, SLACK_FALLBACK_TEXT_MAX_CHARS);

  const before: SlackBlock[] = [header(headerText)];
  // What is exploited in the wild comes first after the headline: it is what to fix before anything else.
  const kev = digest.emptyLedger ? "" : kevText(render, base, digest);
  if (kev) before.push(section("digest-kev", kev, SLACK_DIGEST_KEV_MAX_CHARS));
  const summary = render("digest-summary", base);
  if (summary) before.push(section("digest-summary", summary, SLACK_DIGEST_SUMMARY_MAX_CHARS));
  // A multi-account digest's picture of each account ([8/8]); the template renders nothing for one account.
  const accounts = render("digest-accounts", base);
  if (accounts) before.push(section("digest-accounts", accounts, SLACK_DIGEST_ACCOUNTS_MAX_CHARS));

  const after: SlackBlock[] = [];
  if (!digest.emptyLedger) {
    for (const kind of ["new", "fixed"] as const) {
      const changes = changesText(render, base, kind, digest);
      if (changes) after.push(section(`digest-${kind}`, changes, SLACK_DIGEST_CHANGES_MAX_CHARS));
    }
  }
  const coverage = render("digest-coverage", base);
  if (coverage) after.push(context("digest-coverage", coverage, SLACK_DIGEST_COVERAGE_MAX_CHARS));
  const footer = render("digest-footer", base);
  if (footer) after.push(context("digest-footer", footer, SLACK_DIGEST_FOOTER_MAX_CHARS));

  const images = digest.emptyLedger ? [] : digest.overThresholds.top;
  const total = digest.emptyLedger ? 0 : Math.max(digest.overThresholds.total, images.length);
  // An image whose line a template renders empty is counted with the ones not listed.
  const lines = images
    .map((image, i) =>
      fitMrkdwn(
        render("digest-image", digestImageView(base, image, i + 1)),
        SLACK_DIGEST_IMAGE_LINE_MAX_CHARS,
      ),
    )
    .filter((line) => line !== "");
  // Room is kept for "…and K more" whatever happens.
  const maxSections = SLACK_MAX_BLOCKS - before.length - after.length - 1;
  const assemble = (listed: number): BuiltSlackDigest => {
    const { sections, shown } = packLines(lines.slice(0, listed), maxSections);
    const blocks = [
      ...before,
      ...sections.map((text, i) => section(`digest-images-${i + 1}`, text, SLACK_SECTION_TEXT_MAX_CHARS)),
    ];
    const omitted = total - shown;
    if (omitted > 0) {
      const more = render("digest-more-images", {
        ...base,
        count: omitted,
        shown,
      } satisfies DigestMoreImagesView);
      if (more) blocks.push(context("digest-more-images", more, SLACK_DIGEST_MORE_MAX_CHARS));
    }
    blocks.push(...after);
    return { payload: message(text, blocks), shownImages: shown, omittedImages: omitted };
  };
  let built = assemble(lines.length);
  while (built.shownImages > 0 && slackBlocksSize(built.payload.blocks) > SLACK_BLOCKS_MAX_CHARS) {
    built = assemble(built.shownImages - 1);
  }
  return built;
}

function message(text: string, blocks: SlackBlock[]): SlackMessage {
  return { text, blocks, unfurl_links: false, unfurl_media: false };
}

/** Renders every digest template with the self-check digests: a broken override fails at creation, naming it. */
export function checkSlackDigestTemplates(renderer: TemplateRenderer): void {
  const digests = templateCheckDigests("slack");
  const views = digests.map((digest) => digestView(digest, "self-check"));
  const [full] = digests as [Digest, Digest];
  const [fullView] = views as [DigestView, DigestView];
  checkTemplates("slack", renderer, {
    "slack/digest-header.hbs": digests.map(digestHeaderView),
    "slack/digest-fallback.hbs": views,
    "slack/digest-summary.hbs": views,
    "slack/digest-accounts.hbs": views,
    "slack/digest-image.hbs": full.overThresholds.top.map((image, i) =>
      digestImageView(fullView, image, i + 1),
    ),
    "slack/digest-more-images.hbs": [{ ...fullView, count: 1, shown: 1 } satisfies DigestMoreImagesView],
    "slack/digest-changes.hbs": [
      digestChangesView(fullView, "new", full.newFindings, 1),
      digestChangesView(fullView, "fixed", full.fixedFindings, 1),
    ],
    "slack/digest-coverage.hbs": views,
    "slack/digest-footer.hbs": views,
    "slack/digest-kev.hbs": [
      digestKevView(fullView, full.knownExploited, 1),
      digestKevView(fullView, undefined, 0),
    ],
  });
}

/**
 * The Slack message of a digest, as the reporter would send it: a pure function for `--out` previews, docs and
 * tests. `options` are the reporter's message options (`channelLabel`, inline `templates`); `templates` is a
 * folder override source like the one the Lambda reads from its layer.
 */
export function renderSlackDigest(
  digest: Digest,
  options: SlackMessageOptionsInput = {},
  templates?: TemplateSource,
): SlackMessage {
  const parsed = slackMessageOptionsSchema.parse(options);
  return buildSlackDigest(digest, parsed, createSlackRenderer(parsed, templates)).payload;
}
