import Handlebars from "handlebars";
import type { TemplateSource } from "../reporters/contract.js";

/** Renders a reporter's named templates with its view models. */
export interface TemplateRenderer {
  render(name: string, view: object): string;
}

export interface TemplateRendererOptions {
  /** The reporter's folder under `templates/` (`slack`, `github`, `email`): its partials are `<reporter>/partials/*.hbs`. */
  reporter: string;
  /** The templates the reporter ships, by name relative to `templates/` (`slack/finding.hbs`). */
  shipped: Readonly<Record<string, string>>;
  /** The user's folder overrides (layer, CLI `--templates`). */
  overrides?: TemplateSource;
  /** Overrides given inline in the reporter's options, by the same names; they win over folders. */
  inline?: Readonly<Record<string, string>>;
  /**
   * `html`: Handlebars' own HTML escaping of `{{value}}` (e-mail). `none`: the view is already escaped for its
   * target (Slack mrkdwn, Markdown), so user templates cannot forget to.
   */
  escape: "html" | "none";
}

/** The text of a template: inline override, then folder override, then the shipped one. */
function templateText(options: TemplateRendererOptions, name: string): string {
  const text = options.inline?.[name] ?? options.overrides?.override(name) ?? options.shipped[name];
  if (text === undefined)
    throw new Error(`No template named "${name}" for the ${options.reporter} reporter.`);
  return text;
}

/**
 * A Handlebars environment of its own per reporter (so helpers and partials never leak between reporters), with
 * templates compiled on first use. Partials are every `<reporter>/partials/*.hbs`, shipped or overridden.
 */
export function createTemplateRenderer(options: TemplateRendererOptions): TemplateRenderer {
  const hb = Handlebars.create();
  hb.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  hb.registerHelper("gt", (a: number, b: number) => a > b);
  hb.registerHelper("plural", (count: number, one: string, many: string) => (count === 1 ? one : many));
  hb.registerHelper("lower", (text: unknown) => String(text ?? "").toLowerCase());

  const prefix = `${options.reporter}/partials/`;
  // A partial may exist only as an override (a folder's or an inline one): a replaced template may use it.
  const partialNames = new Set(
    [
      ...Object.keys(options.shipped),
      // Stryker disable next-line ArrayDeclaration: a stand-in name outside the partials folder is filtered out below
      ...(options.overrides?.names?.() ?? []),
      ...Object.keys(options.inline ?? {}),
    ].filter((n) => n.startsWith(prefix)),
  );
  for (const name of partialNames) {
    hb.registerPartial(name.slice(prefix.length).replace(/\.hbs$/, ""), templateText(options, name));
  }

  const compiled = new Map<string, Handlebars.TemplateDelegate>();
  return {
    render(name, view) {
      let template = compiled.get(name);
      if (!template) {
        template = hb.compile(templateText(options, name), {
          noEscape: options.escape === "none",
          strict: false,
        });
        compiled.set(name, template);
      }
      return template(view);
    },
  };
}
