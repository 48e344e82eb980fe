import type { EnhancedImageScanFinding } from "@aws-sdk/client-ecr";
import { describe, expect, it } from "vitest";
import {
  compareFindings,
  countBySeverity,
  isCurrentEnhancedFinding,
  normalizeBasicFinding,
  normalizeEnhancedFinding,
  normalizeScanFindings,
  toSeverity,
} from "../src/findings/normalize.js";
import { emptySeverityCounts, type Finding } from "../src/model.js";

// The edges of normalization: what a finding may lack or carry in odd shapes. findings.test.ts maps full,
// realistic findings; these pin each fallback on its own.

describe("toSeverity", () => {
  it("reads every model severity whatever its case, and nothing else", () => {
    expect(["critical", "High", "MEDIUM", "low", "Informational", "undefined"].map(toSeverity)).toEqual([
      "CRITICAL",
      "HIGH",
      "MEDIUM",
      "LOW",
      "INFORMATIONAL",
      "UNDEFINED",
    ]);
    expect(toSeverity("")).toBe("UNDEFINED");
    expect(toSeverity("constructor")).toBe("UNDEFINED");
    expect(toSeverity(" HIGH")).toBe("UNDEFINED");
  });
});

describe("normalizeBasicFinding edges", () => {
  it("trims the text fields and reads blank ones as absent", () => {
    expect(
      normalizeBasicFinding({
        name: "  CVE-2024-0002 ",
        description: " \n ",
        uri: "  https://example.com/CVE-2024-0002 ",
        attributes: [
          { key: "package_name", value: " openssl " },
          { key: "package_version", value: "   " },
        ],
      }),
    ).toEqual({
      id: "CVE-2024-0002",
      severity: "UNDEFINED",
      title: "CVE-2024-0002 - openssl",
      description: undefined,
      packageName: "openssl",
      packageVersion: undefined,
      cvssScore: undefined,
      url: "https://example.com/CVE-2024-0002",
    });
  });

  it("names a finding without a name UNKNOWN, and copes without attributes", () => {
    const finding = normalizeBasicFinding({ name: " ", severity: "LOW" });
    expect(finding).toMatchObject({ id: "UNKNOWN", title: "UNKNOWN", severity: "LOW" });
    expect(finding.packageName).toBeUndefined();
    expect(finding.cvssScore).toBeUndefined();
  });

  it("puts a title that spans lines on one line, each run of white space one space", () => {
    const finding = normalizeBasicFinding({
      name: "CVE-2024-0003",
      attributes: [{ key: "package_name", value: "lib\r\n\t  foo" }],
    });
    expect(finding.title).toBe("CVE-2024-0003 - lib foo");
    // The package name itself is kept as the feed wrote it (inside trimmed).
    expect(finding.packageName).toBe("lib\r\n\t  foo");
  });

  it("ignores attributes without a value rather than letting them erase an earlier one", () => {
    const finding = normalizeBasicFinding({
      name: "CVE-2024-0004",
      attributes: [
        { key: "package_name", value: "zlib" },
        { key: "package_name" },
        { key: "CVSS3_SCORE", value: "7.5" },
        { key: "CVSS3_SCORE" },
      ],
    });
    expect(finding).toMatchObject({ packageName: "zlib", cvssScore: 7.5 });
    const twice = normalizeBasicFinding({
      name: "CVE-2024-0004",
      attributes: [
        { key: "package_version", value: "1.0" },
        { key: "package_version", value: "1.1" },
      ],
    });
    expect(twice.packageVersion).toBe("1.1");
  });

  it("falls back to the CVSS v2 score when the v3 one is blank or not a number", () => {
    const withV3 = (value: string) =>
      normalizeBasicFinding({
        name: "CVE-2024-0005",
        attributes: [
          { key: "CVSS3_SCORE", value },
          { key: "CVSS2_SCORE", value: "4.6" },
        ],
      }).cvssScore;
    expect(withV3("")).toBe(4.6);
    expect(withV3("  ")).toBe(4.6);
    expect(withV3("Infinity")).toBe(4.6);
    expect(withV3("high")).toBe(4.6);
    expect(withV3(" 0 ")).toBe(0);
    expect(withV3("9.8")).toBe(9.8);
  });
});

/** An enhanced finding with only the fields given: what the optional chains have to survive. */
function enhanced(fields: EnhancedImageScanFinding): EnhancedImageScanFinding {
  return fields;
}

describe("normalizeEnhancedFinding edges", () => {
  it("copes with a finding that has no package vulnerability details", () => {
    expect(
      normalizeEnhancedFinding(
        enhanced({ findingArn: " arn:aws:inspector2:eu-west-1:123456789012:finding/abc ", severity: "LOW" }),
      ),
    ).toEqual({
      id: "arn:aws:inspector2:eu-west-1:123456789012:finding/abc",
      severity: "LOW",
      title: "arn:aws:inspector2:eu-west-1:123456789012:finding/abc",
      description: undefined,
      packageName: undefined,
      packageVersion: undefined,
      fixedInVersion: undefined,
      cvssScore: undefined,
      url: undefined,
    });
  });

  it("names a finding with neither a vulnerability id nor an ARN UNKNOWN", () => {
    const finding = normalizeEnhancedFinding(
      enhanced({ findingArn: "", packageVulnerabilityDetails: { vulnerabilityId: " " } }),
    );
    expect(finding.id).toBe("UNKNOWN");
  });

  it("builds the title from id and package when Inspector gives none, on one line", () => {
    const details = {
      vulnerabilityId: "CVE-2024-0006",
      vulnerablePackages: [{ name: "libxml2", version: "2.9.14" }],
    };
    expect(normalizeEnhancedFinding(enhanced({ packageVulnerabilityDetails: details })).title).toBe(
      "CVE-2024-0006 - libxml2",
    );
    expect(
      normalizeEnhancedFinding(enhanced({ title: " ", packageVulnerabilityDetails: details })).title,
    ).toBe("CVE-2024-0006 - libxml2");
    expect(
      normalizeEnhancedFinding(
        enhanced({
          packageVulnerabilityDetails: { vulnerabilityId: "CVE-2024-0006", vulnerablePackages: [] },
        }),
      ).title,
    ).toBe("CVE-2024-0006");
    expect(
      normalizeEnhancedFinding(
        enhanced({ title: "CVE-2024-0006 -\n  libxml2,\r\nlibxslt", packageVulnerabilityDetails: details }),
      ).title,
    ).toBe("CVE-2024-0006 - libxml2, libxslt");
  });

  it("gives no package version without a version, and a version without release or epoch as it is", () => {
    const packageVersion = (pkg: { version?: string; release?: string; epoch?: number }) =>
      normalizeEnhancedFinding(
        enhanced({ packageVulnerabilityDetails: { vulnerablePackages: [{ name: "p", ...pkg }] } }),
      ).packageVersion;
    expect(packageVersion({ release: "1.el9", epoch: 2 })).toBeUndefined();
    expect(packageVersion({ version: " ", release: "1.el9" })).toBeUndefined();
    expect(packageVersion({ version: "4.1" })).toBe("4.1");
    expect(packageVersion({ version: "4.1", release: " ", epoch: 0 })).toBe("4.1");
    expect(packageVersion({ version: "4.1", epoch: 3 })).toBe("3:4.1");
  });

  it("takes the highest finite CVSS base score only when Inspector gives no score", () => {
    const cvssScore = (fields: EnhancedImageScanFinding) => normalizeEnhancedFinding(fields).cvssScore;
    expect(cvssScore({ packageVulnerabilityDetails: { cvss: [] } })).toBeUndefined();
    expect(cvssScore({ packageVulnerabilityDetails: { cvss: [{ version: "3.1" }] } })).toBeUndefined();
    expect(
      cvssScore({
        packageVulnerabilityDetails: {
          cvss: [{ baseScore: Number.NaN }, { baseScore: 5.3 }, { baseScore: Number.POSITIVE_INFINITY }],
        },
      }),
    ).toBe(5.3);
    expect(cvssScore({ score: 0, packageVulnerabilityDetails: { cvss: [{ baseScore: 9.8 }] } })).toBe(0);
  });

  it("links the source URL, else the first reference URL", () => {
    const url = (sourceUrl: string | undefined, referenceUrls?: string[]) =>
      normalizeEnhancedFinding(enhanced({ packageVulnerabilityDetails: { sourceUrl, referenceUrls } })).url;
    expect(url("https://a.example/", ["https://b.example/"])).toBe("https://a.example/");
    expect(url(" ", [" https://b.example/ ", "https://c.example/"])).toBe("https://b.example/");
    expect(url(undefined, [])).toBeUndefined();
    expect(url(undefined)).toBeUndefined();
  });

  it("reads Inspector's exploit and fix fields whatever their case, leaving anything else out", () => {
    const fields = (exploitAvailable?: string, fixAvailable?: string) => {
      const { exploitAvailable: exploit, fixAvailable: fix } = normalizeEnhancedFinding(
        enhanced({ exploitAvailable, fixAvailable }),
      );
      return [exploit, fix];
    };
    expect(fields("YES", "PARTIAL")).toEqual(["YES", "PARTIAL"]);
    expect(fields(" no ", "yes")).toEqual(["NO", "YES"]);
    expect(fields("NO", "No")).toEqual(["NO", "NO"]);
    expect(fields("PARTIAL", "MAYBE")).toEqual([undefined, undefined]);
    expect(fields("", " ")).toEqual([undefined, undefined]);
    expect(fields(undefined, undefined)).toEqual([undefined, undefined]);
  });

  it("writes when Inspector first observed the finding in ISO 8601, and leaves an invalid date out", () => {
    const firstObservedAt = (date?: Date) =>
      normalizeEnhancedFinding(enhanced({ firstObservedAt: date })).firstObservedAt;
    expect(firstObservedAt(new Date(Date.UTC(2026, 2, 1, 10, 4, 51)))).toBe("2026-03-01T10:04:51.000Z");
    expect(firstObservedAt(new Date(Number.NaN))).toBeUndefined();
    expect(firstObservedAt(undefined)).toBeUndefined();
  });

  it("keeps Inspector's score only when it is a number, 0 included", () => {
    const inspectorScore = (score?: number) => normalizeEnhancedFinding(enhanced({ score })).inspectorScore;
    expect(inspectorScore(0)).toBe(0);
    expect(inspectorScore(9.8)).toBe(9.8);
    expect(inspectorScore(Number.NaN)).toBeUndefined();
    expect(inspectorScore(undefined)).toBeUndefined();
  });

  it("keeps a blank fixed-in version out", () => {
    const finding = normalizeEnhancedFinding(
      enhanced({ packageVulnerabilityDetails: { vulnerablePackages: [{ name: "p", fixedInVersion: " " }] } }),
    );
    expect(finding.fixedInVersion).toBeUndefined();
  });
});

describe("isCurrentEnhancedFinding", () => {
  it("treats CLOSED and SUPPRESSED as history whatever their case, anything else as current", () => {
    expect(isCurrentEnhancedFinding({ status: "closed" })).toBe(false);
    expect(isCurrentEnhancedFinding({ status: "Suppressed" })).toBe(false);
    expect(isCurrentEnhancedFinding({ status: "ACTIVE" })).toBe(true);
    expect(isCurrentEnhancedFinding({ status: "" })).toBe(true);
    expect(isCurrentEnhancedFinding({})).toBe(true);
  });

  it("is applied to the enhanced findings of a scan, after its basic findings in order", () => {
    const findings = normalizeScanFindings({
      basic: [{ name: "CVE-B1" }, { name: "CVE-B2" }],
      enhanced: [
        { packageVulnerabilityDetails: { vulnerabilityId: "CVE-E1" } },
        { status: "closed", packageVulnerabilityDetails: { vulnerabilityId: "CVE-E2" } },
        { status: "ACTIVE", packageVulnerabilityDetails: { vulnerabilityId: "CVE-E3" } },
      ],
    });
    expect(findings.map((f) => f.id)).toEqual(["CVE-B1", "CVE-B2", "CVE-E1", "CVE-E3"]);
  });
});

describe("countBySeverity", () => {
  it("counts each finding under its severity, every severity present", () => {
    const finding = (severity: Finding["severity"]): Finding => ({ id: "x", severity, title: "x" });
    expect(countBySeverity([finding("LOW"), finding("CRITICAL"), finding("LOW")])).toEqual({
      ...emptySeverityCounts(),
      CRITICAL: 1,
      LOW: 2,
    });
    expect(countBySeverity([])).toEqual(emptySeverityCounts());
  });
});

describe("compareFindings", () => {
  const f = (fields: Partial<Finding>): Finding => ({ id: "CVE-1", severity: "HIGH", title: "t", ...fields });

  it("orders by severity before score", () => {
    expect(compareFindings(f({ severity: "CRITICAL" }), f({ severity: "HIGH", cvssScore: 10 }))).toBeLessThan(
      0,
    );
    expect(compareFindings(f({ severity: "LOW", cvssScore: 10 }), f({ severity: "MEDIUM" }))).toBeGreaterThan(
      0,
    );
  });

  it("puts a scored finding, even one scored 0, before an unscored one", () => {
    expect(compareFindings(f({ cvssScore: 0 }), f({}))).toBeLessThan(0);
    expect(compareFindings(f({}), f({ cvssScore: 0 }))).toBeGreaterThan(0);
    expect(compareFindings(f({ cvssScore: 7.5 }), f({ cvssScore: 9.8 }))).toBeGreaterThan(0);
  });

  it("then orders by id by code unit, then by package name (none first)", () => {
    expect(compareFindings(f({ id: "CVE-2" }), f({ id: "CVE-10" }))).toBeGreaterThan(0);
    expect(compareFindings(f({ id: "CVE-10" }), f({ id: "CVE-2" }))).toBeLessThan(0);
    expect(compareFindings(f({ id: "Z" }), f({ id: "a" }))).toBeLessThan(0);
    expect(compareFindings(f({ packageName: "zlib" }), f({ packageName: "openssl" }))).toBeGreaterThan(0);
    expect(compareFindings(f({ packageName: "openssl" }), f({ packageName: "zlib" }))).toBeLessThan(0);
    expect(compareFindings(f({}), f({ packageName: "openssl" }))).toBeLessThan(0);
    expect(compareFindings(f({ packageName: "openssl" }), f({}))).toBeGreaterThan(0);
  });

  it("finds two findings of the same severity, score, id and package equal", () => {
    expect(
      compareFindings(f({ cvssScore: 5, packageName: "p" }), f({ cvssScore: 5, packageName: "p" })),
    ).toBe(0);
    expect(compareFindings(f({}), f({}))).toBe(0);
  });
});
