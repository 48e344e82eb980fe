import { describe, expect, it } from "vitest";
import { ReporterError } from "../src/errors.js";
import { countBySeverity } from "../src/findings/normalize.js";
import { SEVERITIES, type Severity } from "../src/model.js";
import { linkableHttpUrl } from "../src/text.js";
import { fixStatus } from "../src/view/finding.js";
import { shortDigest } from "../src/view/image.js";
import { severityName, severityRank } from "../src/view/severity.js";
import { checkTemplates, templateCheckReports, templatesOptionSchema } from "../src/view/templates.js";

// The view kit's edges that view-kit.test.ts leaves out: text that is not what the types promise (reports come
// from JSON and from other reporters' packages), unusual template names, and what the self-check samples hold.

const HEX64 = "4f8b6b8e3d1c2a0f9e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817";

describe("shortDigest edges", () => {
  it("shortens only a whole sha256 digest", () => {
    expect(shortDigest(`sha256:${HEX64}`)).toBe("sha256:4f8b6b8e3d1c");
    expect(shortDigest(`sha256:${HEX64.slice(0, 13)}`)).toBe("sha256:4f8b6b8e3d1c");
    expect(shortDigest(`sha256:${HEX64.slice(0, 12)}`)).toBe(`sha256:${HEX64.slice(0, 12)}`);
    expect(shortDigest(`xsha256:${HEX64}`)).toBe(`xsha256:${HEX64}`);
    expect(shortDigest(`sha256:${HEX64}!`)).toBe(`sha256:${HEX64}!`);
    expect(shortDigest(`sha256:${HEX64.slice(0, 20)}g${HEX64.slice(21)}`)).toBe(
      `sha256:${HEX64.slice(0, 20)}g${HEX64.slice(21)}`,
    );
  });
});

describe("severities outside the model", () => {
  it("read as Undefined and rank last", () => {
    const unknown = "SEVERE" as Severity;
    expect(severityName(unknown)).toBe("Undefined");
    expect(severityName(unknown, "lower")).toBe("undefined");
    expect(severityRank(unknown)).toBe(SEVERITIES.length - 1);
    expect(severityRank("CRITICAL")).toBe(0);
  });
});

describe("templatesOptionSchema names", () => {
  const schema = templatesOptionSchema("demo", ["demo/a.hbs", "demo/partials/row.hbs"]);
  const rejected = (name: string) => schema.safeParse({ [name]: "x" }).success === false;

  it("accepts a partial of one path segment of word characters, dots and dashes", () => {
    expect(rejected("demo/partials/my-row.v2.hbs")).toBe(false);
    expect(rejected("demo/partials/row_2.hbs")).toBe(false);
    expect(rejected("demo/partials/a.hbs")).toBe(false);
  });

  it("rejects a partial name that is empty, not .hbs, has other characters or belongs elsewhere", () => {
    expect(rejected("demo/partials/.hbs")).toBe(true);
    expect(rejected("demo/partials/row.hbs.bak")).toBe(true);
    expect(rejected("demo/partials/row.hbsx")).toBe(true);
    expect(rejected("demo/partials/rowxhbs")).toBe(true);
    expect(rejected("demo/partials/my row.hbs")).toBe(true);
    expect(rejected("demo/partials/../a.hbs")).toBe(true);
    expect(rejected("x/demo/partials/row.hbs")).toBe(true);
    expect(rejected("other/partials/row.hbs")).toBe(true);
    expect(rejected("demo/partialsrow.hbs")).toBe(true);
  });

  it("says once that an unknown name is unknown, without parsing its template", () => {
    const result = schema.safeParse({ "demo/z.hbs": "{{#if x}}" });
    expect(result.error?.issues).toHaveLength(1);
    expect(result.error?.issues[0]?.code).toBe("custom");
    expect(result.error?.issues[0]?.message).toMatch(/^is not a template of the demo reporter;/);
  });

  it("lists the names sorted, partials aside, separated by commas", () => {
    const listing = templatesOptionSchema("demo", [
      "demo/c.hbs",
      "demo/partials/p.hbs",
      "demo/a.hbs",
      "demo/b.hbs",
    ]).safeParse({ "demo/x.hbs": "" }).error?.issues[0]?.message;
    expect(listing).toBe(
      "is not a template of the demo reporter; the names are demo/a.hbs, demo/b.hbs, demo/c.hbs (or demo/partials/NAME.hbs)",
    );
  });

  it("checks every template given, not only the first", () => {
    const result = schema.safeParse({ "demo/a.hbs": "{{#if}}", "demo/partials/row.hbs": "{{/each}}" });
    expect(result.error?.issues.map((i) => [i.code, i.path])).toEqual([
      ["custom", ["demo/a.hbs"]],
      ["custom", ["demo/partials/row.hbs"]],
    ]);
  });
});

describe("checkTemplates failures", () => {
  it("keeps the renderer's error as the cause and its message whole", () => {
    const failure = new Error("first line\nsecond line");
    const renderer = {
      render: () => {
        throw failure;
      },
    };
    let thrown: unknown;
    try {
      checkTemplates("demo", renderer, { "demo/a.hbs": [{}] });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ReporterError);
    expect((thrown as ReporterError).cause).toBe(failure);
    expect((thrown as Error).message).toBe(
      "reporter demo: the template demo/a.hbs (or a partial it uses) does not render: first line\nsecond line",
    );
  });

  it("reports something thrown that is not an Error by its text", () => {
    const renderer = {
      render: () => {
        throw "partial gone";
      },
    };
    expect(() => checkTemplates("demo", renderer, { "demo/a.hbs": [{}] })).toThrow(
      "reporter demo: the template demo/a.hbs (or a partial it uses) does not render: partial gone",
    );
  });

  it("renders nothing and passes when there are no samples", () => {
    const renderer = {
      render: () => {
        throw new Error("not expected");
      },
    };
    expect(() => checkTemplates("demo", renderer, { "demo/a.hbs": [] })).not.toThrow();
  });
});

describe("templateCheckReports", () => {
  // Built in each test, not once for the file: the mutation run switches a mutant on only once tests run.

  /** Every string anywhere in a value, with its path. */
  function strings(value: unknown, path = ""): [string, string][] {
    if (typeof value === "string") return [[path, value]];
    if (typeof value !== "object" || value === null) return [];
    return Object.entries(value).flatMap(([key, v]) => strings(v, `${path}.${key}`));
  }

  it("fill every text, so a template's test of any field sees a value", () => {
    const { completed, failed } = templateCheckReports();
    for (const report of [completed, failed]) {
      expect(strings(report).filter(([, text]) => text.trim() === "")).toEqual([]);
    }
  });

  it("use model severities and scan types only", () => {
    const { completed, failed } = templateCheckReports();
    const severities: string[] = [...SEVERITIES];
    for (const report of [completed, failed]) {
      expect(["BASIC", "ENHANCED"]).toContain(report.scanType);
      const named = strings(report).filter(([path]) => /severity$|\.from$|exceeded\.\d+$/i.test(path));
      expect(named.filter(([, text]) => !severities.includes(text))).toEqual([]);
    }
    expect(strings(completed).some(([path]) => path.endsWith(".from"))).toBe(true);
  });

  it("describe a tagged image by a full digest, with a console link", () => {
    const { completed, failed } = templateCheckReports();
    for (const report of [completed, failed]) {
      expect(report.account).toMatch(/^\d{12}$/);
      expect(report.registryId).toMatch(/^\d{12}$/);
      expect(report.region).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
      expect(report.repository).not.toBe("");
      expect(report.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(report.tags.length).toBeGreaterThan(0);
      expect(report.tags.every((tag) => tag !== "")).toBe(true);
      expect(report.completedAt && Number.isNaN(Date.parse(report.completedAt))).toBe(false);
      expect(linkableHttpUrl(report.consoleUrl)).toBeDefined();
    }
  });

  it("give a completed scan whose counts, verdict and findings agree, every finding field filled once", () => {
    const { completed } = templateCheckReports();
    expect(completed.status).toBe("COMPLETE");
    expect(completed.counts).toEqual(countBySeverity(completed.findings));
    expect(completed.verdict).toMatchObject({ due: true, reason: "over-threshold" });
    expect(completed.verdict.exceeded.length).toBeGreaterThan(0);
    expect(completed.verdict.exceeded.every((s) => completed.counts[s] > 0)).toBe(true);
    expect(completed.verdict.highestSeverity).toBe(completed.findings[0]?.severity);
    expect(completed.verdict.ignoredFindings).toBeGreaterThan(0);
    for (const finding of completed.findings) {
      expect(finding.id).toMatch(/^CVE-\d{4}-\d{4,}$/);
      expect(finding.title).not.toBe("");
    }
    expect(new Set(completed.findings.map((f) => f.id)).size).toBe(completed.findings.length);
    const full = completed.findings[0];
    expect(full?.packageName).not.toBe("");
    expect(full?.packageVersion).not.toBe("");
    expect(full?.fixedInVersion).not.toBe("");
    expect(full?.cvssScore).toBeTypeOf("number");
    expect(linkableHttpUrl(full?.url)).toBeDefined();
    expect(completed.findings.map((f) => fixStatus(f.fixedInVersion, completed.scanType))).toContain(
      "unknown",
    );
  });

  it("give the completed scan changes since an earlier report that agree with its findings", () => {
    const { completed } = templateCheckReports();
    const changes = completed.changes;
    const ids = completed.findings.map((f) => f.id);
    expect(changes?.firstReport).toBe(false);
    expect(Date.parse(changes?.previousScanAt ?? "")).toBeLessThan(Date.parse(completed.completedAt ?? ""));
    expect(changes?.newFindings.length).toBeGreaterThan(0);
    expect(changes?.newFindings.every((f) => ids.includes(f.id) && f.title !== "")).toBe(true);
    expect(changes?.fixedFindings.length).toBeGreaterThan(0);
    expect(changes?.fixedFindings.every((f) => /^CVE-\d{4}-\d{4,}$/.test(f.id) && !ids.includes(f.id))).toBe(
      true,
    );
    expect(changes?.severityRaised.length).toBeGreaterThan(0);
    for (const raised of changes?.severityRaised ?? []) {
      expect(ids).toContain(raised.finding.id);
      expect(severityRank(raised.from)).toBeGreaterThan(severityRank(raised.finding.severity));
    }
  });

  it("give a failed scan with a description, no findings, and a due scan-failed verdict", () => {
    const { failed } = templateCheckReports();
    expect(failed.status).toBe("FAILED");
    expect(failed.statusDescription).not.toBe("");
    expect(failed.statusDescription).toBeTypeOf("string");
    expect(failed.findings).toEqual([]);
    expect(failed).not.toHaveProperty("changes");
    expect(Object.values(failed.counts).every((n) => n === 0)).toBe(true);
    expect(failed.verdict).toEqual({ due: true, reason: "scan-failed", exceeded: [], ignoredFindings: 0 });
  });
});
