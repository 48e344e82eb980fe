import { beforeEach, describe, expect, it, vi } from "vitest";

// The patterns and tables of the view kit, text cleaning and normalization are built once, while their module
// loads. Each test here imports its module afresh, so what it asserts is read from tables built during the test:
// the mutation run (Stryker, runtime activation) switches a mutant on only once tests run, and would otherwise
// never see a mutated table at all. The other test files pin the same behaviour in more detail.
beforeEach(() => {
  vi.resetModules();
});

describe("tables built while a module loads", () => {
  it("text: control and bidi characters, line breaks and lone surrogates", async () => {
    const { cleanText } = await import("../src/text.js");
    expect(cleanText("a\u0000b\u001Fc\u0085d\u202Ee\tf\ng")).toBe("abcde\tf\ng");
    expect(cleanText("a\r\nb\u2028c\u2029d", { singleLine: true })).toBe("a b c d");
    expect(cleanText("😀 \uD83D \uDE00 x\uDE00\uD83D")).toBe("😀 \uFFFD \uFFFD x\uFFFD\uFFFD");
  });

  it("image: only a whole sha256 digest is shortened", async () => {
    const { shortDigest } = await import("../src/view/image.js");
    const hex = "4f8b6b8e3d1c2a0f9e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817";
    expect(shortDigest(`sha256:${hex}`)).toBe("sha256:4f8b6b8e3d1c");
    expect(shortDigest(`xsha256:${hex}`)).toBe(`xsha256:${hex}`);
    expect(shortDigest(`sha256:${hex}!`)).toBe(`sha256:${hex}!`);
    expect(shortDigest("sha256:4f8b6b8e3d1cz")).toBe("sha256:4f8b6b8e3d1cz");
  });

  it("severity: the display names", async () => {
    const { severityName } = await import("../src/view/severity.js");
    const { SEVERITIES } = await import("../src/model.js");
    expect(SEVERITIES.map((severity) => severityName(severity))).toEqual([
      "Critical",
      "High",
      "Medium",
      "Low",
      "Informational",
      "Undefined",
    ]);
  });

  it("finding: what a missing fix is called", async () => {
    const { missingFixText } = await import("../src/view/finding.js");
    expect(missingFixText(undefined, "ENHANCED")).toBe("no fixed version yet");
    expect(missingFixText(undefined, "BASIC")).toBe("fix unknown");
  });

  it("templates: the partial names accepted, and the self-check digest", async () => {
    const { templateCheckReports, templatesOptionSchema } = await import("../src/view/templates.js");
    const schema = templatesOptionSchema("demo", []);
    const accepted = (name: string) => schema.safeParse({ [name]: "x" }).success;
    expect(accepted("demo/partials/my-row.v2.hbs")).toBe(true);
    expect(accepted("demo/partials/../a.hbs")).toBe(false);
    expect(accepted("demo/partials/.hbs")).toBe(false);
    expect(accepted("demo/partials/row.hbs.bak")).toBe(false);
    expect(templateCheckReports().completed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("normalize: the statuses of findings that are history", async () => {
    const { isCurrentEnhancedFinding } = await import("../src/findings/normalize.js");
    expect(isCurrentEnhancedFinding({ status: "CLOSED" })).toBe(false);
    expect(isCurrentEnhancedFinding({ status: "SUPPRESSED" })).toBe(false);
    expect(isCurrentEnhancedFinding({})).toBe(true);
    expect(isCurrentEnhancedFinding({ status: "" })).toBe(true);
  });
});
