import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { TemplateSource } from "../src/reporters/contract.js";
import { createTemplateRenderer, type TemplateRendererOptions } from "../src/templates/renderer.js";
import { createTemplateSource, readTemplateFolder } from "../src/templates/template-source.js";

const root = mkdtempSync(join(tmpdir(), "ecr-scan-reporter-templates-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A folder under the test's temporary root holding the given files. */
function folderWith(name: string, files: Record<string, string>): string {
  const folder = join(root, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  mkdirSync(folder, { recursive: true });
  return folder;
}

describe("readTemplateFolder", () => {
  it("reads every .hbs file, nested ones by their path with / separators, and nothing else", () => {
    const folder = folderWith("read", {
      "slack/finding.hbs": "finding",
      "slack/partials/row.hbs": "row",
      "slack/notes.txt": "not a template",
      "slack/finding.hbs.bak": "old",
      "top.hbs": "top",
    });
    expect(readTemplateFolder(folder)).toEqual({
      "slack/finding.hbs": "finding",
      "slack/partials/row.hbs": "row",
      "top.hbs": "top",
    });
  });

  it("gives nothing for a folder that does not exist or is empty", () => {
    expect(readTemplateFolder(join(root, "missing"))).toEqual({});
    expect(readTemplateFolder(folderWith("empty", {}))).toEqual({});
  });
});

describe("createTemplateSource", () => {
  it("lets the first folder that has a template win, and lists every name once", () => {
    const first = folderWith("first", { "slack/finding.hbs": "first finding" });
    const second = folderWith("second", {
      "slack/finding.hbs": "second finding",
      "slack/header.hbs": "second header",
    });
    const source = createTemplateSource([first, join(root, "absent"), second]);
    expect(source.override("slack/finding.hbs")).toBe("first finding");
    expect(source.override("slack/header.hbs")).toBe("second header");
    expect(source.override("slack/footer.hbs")).toBeUndefined();
    expect(source.names?.().sort()).toEqual(["slack/finding.hbs", "slack/header.hbs"]);
  });

  it("overrides nothing without folders", () => {
    const source = createTemplateSource();
    expect(source.override("slack/finding.hbs")).toBeUndefined();
    expect(source.names?.()).toEqual([]);
  });
});

describe("createTemplateRenderer", () => {
  const renderer = (options: Partial<TemplateRendererOptions> & Pick<TemplateRendererOptions, "shipped">) =>
    createTemplateRenderer({ reporter: "demo", escape: "none", ...options });

  it("takes an inline override first, then a folder's, then the shipped template", () => {
    const overrides: TemplateSource = {
      override: (name) => ({ "demo/b.hbs": "folder b", "demo/c.hbs": "folder c" })[name],
    };
    const r = renderer({
      shipped: { "demo/a.hbs": "shipped a", "demo/b.hbs": "shipped b", "demo/c.hbs": "shipped c" },
      overrides,
      inline: { "demo/c.hbs": "inline c" },
    });
    expect(["demo/a.hbs", "demo/b.hbs", "demo/c.hbs"].map((name) => r.render(name, {}))).toEqual([
      "shipped a",
      "folder b",
      "inline c",
    ]);
  });

  it("names the template and the reporter when there is no such template", () => {
    expect(() => renderer({ shipped: {} }).render("demo/x.hbs", {})).toThrow(
      'No template named "demo/x.hbs" for the demo reporter.',
    );
  });

  it("compiles a template once, on first use", () => {
    const asked: string[] = [];
    const overrides: TemplateSource = {
      override: (name) => {
        asked.push(name);
        return `{{n}} (override ${asked.length})`;
      },
    };
    const r = renderer({ shipped: { "demo/a.hbs": "shipped" }, overrides });
    expect(asked).toEqual([]);
    expect(r.render("demo/a.hbs", { n: 1 })).toBe("1 (override 1)");
    expect(r.render("demo/a.hbs", { n: 2 })).toBe("2 (override 1)");
    expect(asked).toEqual(["demo/a.hbs"]);
  });

  it("escapes values for HTML only when asked to", () => {
    const shipped = { "demo/a.hbs": "{{text}}" };
    const view = { text: `<b>"x" & 'y'</b>` };
    expect(renderer({ shipped, escape: "html" }).render("demo/a.hbs", view)).toBe(
      "&lt;b&gt;&quot;x&quot; &amp; &#x27;y&#x27;&lt;/b&gt;",
    );
    expect(renderer({ shipped, escape: "none" }).render("demo/a.hbs", view)).toBe(`<b>"x" & 'y'</b>`);
  });

  it("renders a missing value as nothing rather than failing", () => {
    expect(
      renderer({ shipped: { "demo/a.hbs": "[{{missing}}][{{deep.missing.value}}]" } }).render(
        "demo/a.hbs",
        {},
      ),
    ).toBe("[][]");
  });

  it("offers the eq, gt, plural and lower helpers", () => {
    const r = renderer({
      shipped: {
        "demo/eq.hbs": "{{#if (eq a b)}}same{{else}}different{{/if}}",
        "demo/gt.hbs": "{{#if (gt a b)}}more{{else}}not more{{/if}}",
        "demo/plural.hbs": "{{n}} {{plural n 'finding' 'findings'}}",
        "demo/lower.hbs": "[{{lower text}}]",
      },
    });
    expect(r.render("demo/eq.hbs", { a: "HIGH", b: "HIGH" })).toBe("same");
    expect(r.render("demo/eq.hbs", { a: 1, b: "1" })).toBe("different");
    expect(r.render("demo/gt.hbs", { a: 2, b: 1 })).toBe("more");
    expect(r.render("demo/gt.hbs", { a: 1, b: 1 })).toBe("not more");
    expect(r.render("demo/gt.hbs", { a: 0, b: 1 })).toBe("not more");
    expect([0, 1, 2].map((n) => r.render("demo/plural.hbs", { n }))).toEqual([
      "0 findings",
      "1 finding",
      "2 findings",
    ]);
    expect(r.render("demo/lower.hbs", { text: "CRITICAL" })).toBe("[critical]");
    expect(r.render("demo/lower.hbs", {})).toBe("[]");
    expect(r.render("demo/lower.hbs", { text: null })).toBe("[]");
    expect(r.render("demo/lower.hbs", { text: 0 })).toBe("[0]");
  });

  it("registers the reporter's partials by their name under partials/, whatever overrides them", () => {
    const overrides: TemplateSource = {
      override: (name) => ({ "demo/partials/b.hbs": "folder b", "demo/partials/c.hbs": "folder c" })[name],
      names: () => ["demo/partials/b.hbs", "demo/partials/c.hbs", "other/partials/d.hbs"],
    };
    const r = renderer({
      shipped: {
        "demo/a.hbs": "{{> a}}|{{> b}}|{{> c}}|{{> e}}|{{> f.v2}}",
        "demo/partials/a.hbs": "shipped a",
        "demo/partials/b.hbs": "shipped b",
        "demo/partials/f.v2.hbs": "shipped f",
        // Only a final .hbs is the extension.
        "demo/partials/g.hbsx.hbs": "shipped g",
        "demo/g.hbs": "{{> g.hbsx}}",
        // Not partials of this reporter: never registered.
        "other/partials/d.hbs": "other d",
        "demo/d.hbs": "{{> d}}",
      },
      overrides,
      inline: { "demo/partials/e.hbs": "inline e" },
    });
    expect(r.render("demo/a.hbs", {})).toBe("shipped a|folder b|folder c|inline e|shipped f");
    expect(r.render("demo/g.hbs", {})).toBe("shipped g");
    expect(() => r.render("demo/d.hbs", {})).toThrow(/partial d could not be found/);
  });

  it("uses a partial that exists only in an override folder (a bug fixed: folders' new partials were ignored)", () => {
    const folder = folderWith("new-partial", {
      "demo/a.hbs": "<{{> extra}}>",
      "demo/partials/extra.hbs": "extra from the folder",
    });
    const r = renderer({ shipped: { "demo/a.hbs": "shipped" }, overrides: createTemplateSource([folder]) });
    expect(r.render("demo/a.hbs", {})).toBe("<extra from the folder>");
  });

  it("keeps helpers and partials of one renderer out of another", () => {
    const first = renderer({ shipped: { "demo/partials/p.hbs": "first p", "demo/a.hbs": "{{> p}}" } });
    const second = createTemplateRenderer({
      reporter: "other",
      shipped: { "other/a.hbs": "{{> p}}" },
      escape: "none",
    });
    expect(first.render("demo/a.hbs", {})).toBe("first p");
    expect(() => second.render("other/a.hbs", {})).toThrow(/partial p could not be found/);
  });
});
