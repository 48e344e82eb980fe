import {
  checkTemplates,
  createTemplateRenderer,
  type Digest,
  describeError,
  headerValue,
  type ScanReport,
  type TemplateRenderer,
  type TemplateSource,
  templateCheckDigests,
  templateCheckReports,
  truncateText,
} from "@ecr-scan-reporter/core";
import { buildEmailDigestView } from "./digest-view.js";
import { EMAIL_TEMPLATE_NAMES } from "./options.js";
import { SHIPPED_TEMPLATES } from "./shipped-templates.js";
import { buildEmailView, type EmailKind, type EmailViewOptions } from "./view.js";

/**
 * The longest subject sent. RFC 5322 allows 998 characters a header line; mail clients show far fewer, and a
 * subject cut at 200 still names the image and its counts.
 */
export const SUBJECT_MAX_LENGTH = 200;
const FALLBACK_SUBJECT = "ecr-scan-reporter report";
const FALLBACK_DIGEST_SUBJECT = "ecr-scan-reporter digest";

/** One report as an e-mail. */
export interface RenderedEmail {
  /** One line, no control characters, at most 200 characters. */
  subject: string;
  html: string;
  text: string;
}

/** What shapes the rendering: the options' prefix, finding cap and inline template overrides. */
export interface EmailRenderOptions extends EmailViewOptions {
  /** Inline template overrides by name (`email/body.html.hbs`); they win over folder overrides. */
  templates?: Readonly<Record<string, string>>;
}

/** Renders reports as e-mails; templates are compiled once, on first use. */
export interface EmailRenderer {
  /** A report as an e-mail; `kind.backWithinThresholds` renders the short "back within thresholds" notice. */
  render(report: ScanReport, kind?: EmailKind): RenderedEmail;
  /** A digest as an e-mail, from the digest templates. */
  renderDigest(digest: Digest): RenderedEmail;
  /** Renders every template with sample views; throws a ReporterError naming a template that does not render. */
  check(): void;
}

function renderNamed(renderer: TemplateRenderer, name: string, view: object): string {
  try {
    return renderer.render(name, view);
  } catch (error) {
    throw new Error(`the e-mail template "${name}" cannot be rendered: ${describeError(error)}`, {
      cause: error,
    });
  }
}

/** Plain text tidied: no trailing spaces, at most one blank line in a row, one final line break. */
function tidyText(text: string): string {
  return `${text
    .replace(/\r\n?/g, "\n")
    .replace(/[ \t]+$/gm, "")
    .replace(/\n{3,}/g, "\n\n")
    .trim()}\n`;
}

/**
 * An e-mail renderer. The HTML body is rendered with Handlebars' HTML escaping of every `{{value}}`; the subject
 * and the text body without it, from a view whose strings are already cleaned to single lines. Templates come
 * from `options.templates` (inline), then `overrides` (a folder), then the shipped ones.
 */
export function createEmailRenderer(
  options: EmailRenderOptions = {},
  overrides?: TemplateSource,
): EmailRenderer {
  const common = { reporter: "email", shipped: SHIPPED_TEMPLATES, overrides, inline: options.templates };
  const html = createTemplateRenderer({ ...common, escape: "html" });
  const plain = createTemplateRenderer({ ...common, escape: "none" });
  /** Subject (one header-safe line, cut to 200), then the two bodies with the subject in their view. */
  const renderAll = (
    view: object,
    names: { subject: string; html: string; text: string },
    fallbackSubject: string,
  ): RenderedEmail => {
    const subjectLine = headerValue(renderNamed(plain, names.subject, view));
    const subject = truncateText(subjectLine, SUBJECT_MAX_LENGTH) || fallbackSubject;
    const withSubject = { ...view, subject };
    return {
      subject,
      html: renderNamed(html, names.html, withSubject),
      text: tidyText(renderNamed(plain, names.text, withSubject)),
    };
  };
  const reportNames = {
    subject: EMAIL_TEMPLATE_NAMES.subject,
    html: EMAIL_TEMPLATE_NAMES.html,
    text: EMAIL_TEMPLATE_NAMES.text,
  };
  const digestNames = {
    subject: EMAIL_TEMPLATE_NAMES.digestSubject,
    html: EMAIL_TEMPLATE_NAMES.digestHtml,
    text: EMAIL_TEMPLATE_NAMES.digestText,
  };
  return {
    render(report, kind = {}) {
      return renderAll(buildEmailView(report, options, kind), reportNames, FALLBACK_SUBJECT);
    },
    renderDigest(digest) {
      return renderAll(buildEmailDigestView(digest, options), digestNames, FALLBACK_DIGEST_SUBJECT);
    },
    check() {
      const { completed, failed, escalated } = templateCheckReports();
      const views = [
        buildEmailView(completed, options),
        buildEmailView(failed, options),
        buildEmailView(escalated, options),
        buildEmailView(completed, options, { backWithinThresholds: true }),
      ].map((view) => ({ ...view, subject: "self-check" }));
      checkTemplates("email", plain, {
        [EMAIL_TEMPLATE_NAMES.subject]: views,
        [EMAIL_TEMPLATE_NAMES.text]: views,
      });
      checkTemplates("email", html, { [EMAIL_TEMPLATE_NAMES.html]: views });
      const digestViews = templateCheckDigests("email")
        .map((digest) => buildEmailDigestView(digest, options))
        .map((view) => ({ ...view, subject: "self-check" }));
      checkTemplates("email", plain, {
        [EMAIL_TEMPLATE_NAMES.digestSubject]: digestViews,
        [EMAIL_TEMPLATE_NAMES.digestText]: digestViews,
      });
      checkTemplates("email", html, { [EMAIL_TEMPLATE_NAMES.digestHtml]: digestViews });
    },
  };
}

/**
 * Renders one report as `{ subject, html, text }`: pure, for documentation, previews and tests. `kind` as for
 * `EmailRenderer.render`.
 */
export function renderEmail(
  report: ScanReport,
  options: EmailRenderOptions = {},
  templates?: TemplateSource,
  kind: EmailKind = {},
): RenderedEmail {
  return createEmailRenderer(options, templates).render(report, kind);
}

/** Renders one digest as `{ subject, html, text }`: pure, for `--out` previews, documentation and tests. */
export function renderEmailDigest(
  digest: Digest,
  options: EmailRenderOptions = {},
  templates?: TemplateSource,
): RenderedEmail {
  return createEmailRenderer(options, templates).renderDigest(digest);
}
