import { describe, expect, it } from "vitest";
import {
  accountLabel,
  accountShortLabel,
  checkTemplates,
  countsSummary,
  createTemplateRenderer,
  emptySeverityCounts,
  fixStatus,
  formatCvss,
  incompleteNote,
  missingFixText,
  mostSevereFirst,
  ReporterError,
  reportImageLabel,
  SEVERITIES,
  severityName,
  severityRank,
  shortDigest,
  subjectAccount,
  templateCheckReports,
  templatesOptionSchema,
} from "../src/index.js";

const DIGEST = "sha256:4f8b6b8e3d1c2a0f9e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817";

describe("shortDigest", () => {
  it("keeps sha256: and the first 12 hex digits, as the ECR console shows a digest", () => {
    expect(shortDigest(DIGEST)).toBe("sha256:4f8b6b8e3d1c");
  });

  it("returns anything else whole", () => {
    expect(shortDigest("sha256:4f8b")).toBe("sha256:4f8b");
    expect(shortDigest("sha512:abc")).toBe("sha512:abc");
    expect(shortDigest(DIGEST.toUpperCase())).toBe(DIGEST.toUpperCase());
    expect(shortDigest("")).toBe("");
  });
});

describe("reportImageLabel", () => {
  it("is repository:tag with the first tag", () => {
    expect(reportImageLabel({ repository: "team-a/api", tags: ["v1", "latest"], digest: DIGEST })).toBe(
      "team-a/api:v1",
    );
  });

  it("is repository@short digest for an untagged image (or an empty first tag)", () => {
    expect(reportImageLabel({ repository: "team-a/api", tags: [], digest: DIGEST })).toBe(
      "team-a/api@sha256:4f8b6b8e3d1c",
    );
    expect(reportImageLabel({ repository: "team-a/api", tags: [""], digest: DIGEST })).toBe(
      "team-a/api@sha256:4f8b6b8e3d1c",
    );
  });
});

describe("the account of a report ([8/8])", () => {
  it("is `name (id)` with a configured name, the id alone without", () => {
    expect(accountLabel({ account: "111111111111", accountName: "prod" })).toBe("prod (111111111111)");
    expect(accountLabel({ account: "111111111111" })).toBe("111111111111");
    expect(accountLabel({ account: "111111111111", accountName: "" })).toBe("111111111111");
  });

  it("is the name, else the id, where room is short", () => {
    expect(accountShortLabel({ account: "111111111111", accountName: "prod" })).toBe("prod");
    expect(accountShortLabel({ account: "111111111111" })).toBe("111111111111");
  });

  it("goes in a subject only when the configuration names it: single-account subjects stay as they were", () => {
    expect(subjectAccount({ account: "111111111111", accountName: "prod" })).toBe("prod");
    expect(subjectAccount({ account: "111111111111" })).toBeUndefined();
    expect(subjectAccount({ account: "111111111111", accountName: "" })).toBeUndefined();
  });
});

describe("incompleteNote", () => {
  it("says how many findings the scan counted and how many were read", () => {
    expect(incompleteNote({ completeness: { expectedFindings: 158, findingsRead: 120 } })).toBe(
      "This report may be incomplete: the scan counted 158 findings, 120 could be read after waiting for the rest.",
    );
    expect(incompleteNote({ completeness: { expectedFindings: 1, findingsRead: 0 } })).toContain(
      "counted 1 finding,",
    );
  });

  it("says nothing of a complete report", () => {
    expect(incompleteNote({})).toBeUndefined();
    expect(incompleteNote({ completeness: { expectedFindings: 3, findingsRead: 3 } })).toBeUndefined();
  });
});

describe("severities", () => {
  it("have a display name, and a lower-case one for sentences", () => {
    expect(SEVERITIES.map((s) => severityName(s))).toEqual([
      "Critical",
      "High",
      "Medium",
      "Low",
      "Informational",
      "Undefined",
    ]);
    expect(severityName("INFORMATIONAL", "lower")).toBe("informational");
  });

  it("rank by their place in SEVERITIES, most severe lowest", () => {
    expect(SEVERITIES.map(severityRank)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("sort most severe first, each once", () => {
    expect(mostSevereFirst(["LOW", "CRITICAL", "LOW", "HIGH"])).toEqual(["CRITICAL", "HIGH", "LOW"]);
    expect(mostSevereFirst([])).toEqual([]);
  });

  it("summarize non-zero counts in prose", () => {
    const counts = { ...emptySeverityCounts(), CRITICAL: 1, HIGH: 2, LOW: 1 };
    expect(countsSummary(counts)).toBe("1 critical, 2 high, 1 low");
    expect(countsSummary(counts, ["LOW", "CRITICAL", "MEDIUM"])).toBe("1 critical, 1 low");
    expect(countsSummary(emptySeverityCounts())).toBe("");
  });
});

describe("formatCvss", () => {
  it("writes one decimal, and nothing when there is no score", () => {
    expect(formatCvss(9.8)).toBe("9.8");
    expect(formatCvss(10)).toBe("10.0");
    expect(formatCvss(0)).toBe("0.0");
    expect(formatCvss(7.25)).toBe("7.3");
    expect(formatCvss(undefined)).toBe("");
    expect(formatCvss(Number.NaN)).toBe("");
  });
});

describe("fixStatus and missingFixText", () => {
  it("know a fixed-in version whatever the scan", () => {
    expect(fixStatus("1.2.3", "BASIC")).toBe("fixed");
    expect(fixStatus("1.2.3", "ENHANCED")).toBe("fixed");
    expect(missingFixText("1.2.3", "ENHANCED")).toBe("");
  });

  it("say there is no fix yet after an enhanced scan", () => {
    expect(fixStatus(undefined, "ENHANCED")).toBe("none-yet");
    expect(missingFixText("", "ENHANCED")).toBe("no fixed version yet");
  });

  it("say the fix is unknown after a basic scan, which never reports fixed versions", () => {
    expect(fixStatus(undefined, "BASIC")).toBe("unknown");
    expect(fixStatus("  ", "BASIC")).toBe("unknown");
    expect(missingFixText(undefined, "BASIC")).toBe("fix unknown");
  });
});

describe("templatesOptionSchema", () => {
  const schema = templatesOptionSchema("demo", ["demo/b.hbs", "demo/a.hbs", "demo/partials/row.hbs"]);

  it("accepts shipped names and partials, valid Handlebars", () => {
    const templates = { "demo/a.hbs": "{{x}}", "demo/partials/mine.hbs": "{{#if y}}y{{/if}}" };
    expect(schema.parse(templates)).toEqual(templates);
  });

  it("rejects an unknown name, listing the templates (partials aside) by path", () => {
    const result = schema.safeParse({ "demo/c.hbs": "x", "other/a.hbs": "x", "demo/partials/a/b.hbs": "x" });
    expect(result.error?.issues.map((i) => [i.path, i.message])).toEqual(
      ["demo/c.hbs", "other/a.hbs", "demo/partials/a/b.hbs"].map((name) => [
        [name],
        "is not a template of the demo reporter; the names are demo/a.hbs, demo/b.hbs (or demo/partials/NAME.hbs)",
      ]),
    );
  });

  it("rejects a template that does not parse, with the parser's first line", () => {
    const result = schema.safeParse({ "demo/a.hbs": "{{#if x}}" });
    expect(result.error?.issues[0]?.path).toEqual(["demo/a.hbs"]);
    expect(result.error?.issues[0]?.message).toMatch(
      /^is not a valid Handlebars template: Parse error on line 1:$/,
    );
  });
});

describe("checkTemplates", () => {
  const renderer = (templates: Record<string, string>) =>
    createTemplateRenderer({ reporter: "demo", shipped: templates, escape: "none" });

  it("renders each template with each sample view", () => {
    const seen: string[] = [];
    const recording = {
      render: (name: string, view: object) => {
        seen.push(`${name}:${JSON.stringify(view)}`);
        return "";
      },
    };
    checkTemplates("demo", recording, { "demo/a.hbs": [{ n: 1 }, { n: 2 }], "demo/b.hbs": [{ n: 3 }] });
    expect(seen).toEqual(['demo/a.hbs:{"n":1}', 'demo/a.hbs:{"n":2}', 'demo/b.hbs:{"n":3}']);
  });

  it("throws a ReporterError naming the reporter and the template that does not render", () => {
    const broken = renderer({ "demo/a.hbs": "ok", "demo/b.hbs": "{{> missing}}" });
    const check = () => checkTemplates("demo", broken, { "demo/a.hbs": [{}], "demo/b.hbs": [{}] });
    expect(check).toThrow(ReporterError);
    expect(check).toThrow(
      /^reporter demo: the template demo\/b\.hbs \(or a partial it uses\) does not render: .*missing/,
    );
  });
});

describe("templateCheckReports", () => {
  it("gives a completed scan with a fixed and an unfixed finding, and a failed scan", () => {
    const { completed, failed } = templateCheckReports();
    expect(completed.status).toBe("COMPLETE");
    expect(completed.findings.map((f) => fixStatus(f.fixedInVersion, completed.scanType))).toEqual([
      "fixed",
      "unknown",
    ]);
    expect(failed.status).toBe("FAILED");
    expect(failed.findings).toEqual([]);
  });
});
