// The two feeds' bodies, read in their real formats (fixtures under test/fixtures/intel, see their README): CISA's KEV
// catalog, tolerant per entry, and FIRST's EPSS answers with scores as strings; EPSS batches within the documented
// limits of the API.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  EPSS_MAX_CVE_PARAMETER_CHARS,
  EPSS_MAX_IDS_PER_CALL,
  epssBatches,
  epssRequestUrl,
  parseEpssResponse,
} from "../../src/intel/epss.js";
import { IntelFeedError } from "../../src/intel/fetch-bounded.js";
import { MAX_REQUIRED_ACTION_CHARS, parseKevCatalog } from "../../src/intel/kev.js";

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/intel/${name}`, import.meta.url), "utf8")) as Record<
    string,
    unknown
  > & { vulnerabilities: Record<string, unknown>[]; data: Record<string, unknown>[] };

function parseFailure(parse: () => unknown): IntelFeedError {
  try {
    parse();
  } catch (error) {
    if (error instanceof IntelFeedError) return error;
    throw error;
  }
  throw new Error("parsed without an error");
}

describe("CISA's KEV catalog", () => {
  it("reads the real format: version, release, and each CVE's dates, required action and ransomware use", () => {
    const { catalog, skipped } = parseKevCatalog(fixture("kev-catalog.json"));
    expect(skipped).toBe(0);
    expect(catalog.catalogVersion).toBe("2024.01.05");
    expect(catalog.dateReleased).toBe("2024-01-05T14:00:47.6254Z");
    expect([...catalog.entries.keys()]).toEqual([
      "CVE-2021-44228",
      "CVE-2014-6271",
      "CVE-2022-22965",
      "CVE-2023-44487",
    ]);
    expect(catalog.entries.get("CVE-2021-44228")).toEqual({
      dateAdded: "2021-12-10",
      dueDate: "2021-12-24",
      requiredAction: expect.stringMatching(/^For all affected software assets for which updates exist/),
      knownRansomwareCampaignUse: "Known",
    });
    expect(catalog.entries.get("CVE-2022-22965")).toEqual({
      dateAdded: "2022-04-04",
      dueDate: "2022-04-25",
      requiredAction: "Apply updates per vendor instructions.",
      knownRansomwareCampaignUse: "Unknown",
    });
  });

  it("skips and counts entries without a CVE id or a date added, and keeps the rest", () => {
    const body = fixture("kev-catalog.json");
    body.vulnerabilities.push(
      { ...body.vulnerabilities[0], cveID: "GHSA-jfh8-c2jp-5v3q" },
      { ...body.vulnerabilities[0], cveID: "CVE-2099-0001", dateAdded: "10/12/2021" },
      "not an entry" as unknown as Record<string, unknown>,
    );
    const parsed = parseKevCatalog(body);
    expect(parsed.skipped).toBe(3);
    expect(parsed.catalog.entries.size).toBe(4);
    expect(parsed.skippedReasons[0]).toMatch(/^vulnerabilities\.4\.cveID: not a CVE id/);
    expect(parsed.skippedReasons[1]).toMatch(/^vulnerabilities\.5\.dateAdded/);
  });

  it("keeps an entry whose optional fields are unreadable, without them; upper-cases a lower-case id", () => {
    const body = fixture("kev-catalog.json");
    body.vulnerabilities = [
      {
        cveID: "cve-2023-44487",
        dateAdded: "2023-10-10",
        dueDate: "soon",
        requiredAction: 42,
        knownRansomwareCampaignUse: "x".repeat(100),
      },
      { cveID: "CVE-2021-44228", dateAdded: "2021-12-10", requiredAction: "y".repeat(5000) },
    ];
    const { catalog, skipped } = parseKevCatalog(body);
    expect(skipped).toBe(0);
    expect(catalog.entries.get("CVE-2023-44487")).toEqual({ dateAdded: "2023-10-10" });
    expect(catalog.entries.get("CVE-2021-44228")?.requiredAction).toHaveLength(MAX_REQUIRED_ACTION_CHARS);
  });

  it("keeps the first entry of a CVE listed twice", () => {
    const body = fixture("kev-catalog.json");
    body.vulnerabilities.push({ ...body.vulnerabilities[0], dateAdded: "2030-01-01" });
    expect(parseKevCatalog(body).catalog.entries.get("CVE-2021-44228")?.dateAdded).toBe("2021-12-10");
  });

  it("refuses a body that is not a catalog, naming what is wrong", () => {
    const withoutList = { ...fixture("kev-catalog.json"), vulnerabilities: { "CVE-2021-44228": {} } };
    const error = parseFailure(() => parseKevCatalog(withoutList));
    expect(error.kind).toBe("unexpected-schema");
    expect(error.reason).toMatch(/^unexpected format \(vulnerabilities: .*expected array/);
    expect(parseFailure(() => parseKevCatalog([])).reason).toMatch(/^unexpected format \(body: /);
    const { catalogVersion: _, ...withoutVersion } = fixture("kev-catalog.json");
    expect(parseFailure(() => parseKevCatalog(withoutVersion)).reason).toMatch(/catalogVersion/);
  });

  it("refuses a catalog with no readable entry: it must not replace a good copy", () => {
    const body = { ...fixture("kev-catalog.json"), vulnerabilities: [{ cveID: "nope" }] };
    expect(parseFailure(() => parseKevCatalog(body)).reason).toMatch(
      /^unexpected format \(no readable entry, 1 skipped: vulnerabilities\.0\.cveID/,
    );
    expect(parseFailure(() => parseKevCatalog({ ...body, vulnerabilities: [] })).reason).toBe(
      "unexpected format (no readable entry)",
    );
  });
});

describe("FIRST's EPSS API", () => {
  it("reads the real format: scores and percentiles as decimal strings", () => {
    const parsed = parseEpssResponse(fixture("epss-response.json"));
    expect(parsed).toMatchObject({ skipped: 0, truncated: false });
    expect(parsed.scores.get("CVE-2021-40438")).toEqual({
      score: 0.97224,
      percentile: 1,
      date: "2022-02-28",
    });
    expect(parsed.scores.get("CVE-2021-44228")).toEqual({
      score: 0.94436,
      percentile: 0.99997,
      date: "2022-02-28",
    });
    expect(parsed.scores.size).toBe(4);
  });

  it("skips and counts records out of range or misspelt, and says when the page did not hold every match", () => {
    const body = fixture("epss-response.json");
    body.data.push(
      { cve: "CVE-2024-0001", epss: "1.5", percentile: "0.5", date: "2024-01-01" },
      { cve: "CVE-2024-0002", epss: "0.5", percentile: "-0.1", date: "2024-01-01" },
      { cve: "CVE-2024-0003", epss: "high", percentile: "0.5", date: "2024-01-01" },
      { cve: "CVE-2024-0004", epss: "0.5", date: "2024-01-01" },
      { cve: "NOT-A-CVE", epss: "0.5", percentile: "0.5", date: "2024-01-01" },
    );
    body.total = 200;
    const parsed = parseEpssResponse(body);
    expect(parsed.skipped).toBe(5);
    expect(parsed.scores.size).toBe(4);
    expect(parsed.truncated).toBe(true);
  });

  it("refuses an answer that is not OK or has no data", () => {
    const notOk = { ...fixture("epss-response.json"), status: "ERROR", "status-code": 400 };
    expect(parseFailure(() => parseEpssResponse(notOk)).reason).toBe("unexpected status (ERROR 400)");
    const { data: _, ...noData } = fixture("epss-response.json");
    const error = parseFailure(() => parseEpssResponse(noData));
    expect(error.kind).toBe("unexpected-schema");
    expect(error.reason).toMatch(/^unexpected format \(data: /);
  });

  it("batches 250 ids as 100, 100 and 50, in order", () => {
    const ids = Array.from({ length: 250 }, (_, i) => `CVE-2024-${String(10000 + i)}`);
    const batches = epssBatches(ids);
    expect(batches.map((batch) => batch.length)).toEqual([100, 100, 50]);
    expect(batches.flat()).toEqual(ids);
    expect(EPSS_MAX_IDS_PER_CALL).toBe(100);
  });

  it("keeps each batch's cve parameter within the documented 2,000 characters when ids are long", () => {
    // 19-digit sequence numbers (the KEV schema allows up to 19): 29 characters an id.
    const ids = Array.from({ length: 100 }, (_, i) => `CVE-2024-${String(1e18 + i)}`);
    const batches = epssBatches(ids);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      expect(batch.join(",").length).toBeLessThanOrEqual(EPSS_MAX_CVE_PARAMETER_CHARS);
    }
    expect(batches.flat()).toEqual(ids);
  });

  it("asks for a page as large as the batch, with the ids separated by plain commas", () => {
    expect(epssRequestUrl("https://api.first.org/data/v1/epss", ["CVE-2021-44228", "CVE-2014-6271"])).toBe(
      "https://api.first.org/data/v1/epss?limit=2&cve=CVE-2021-44228,CVE-2014-6271",
    );
    expect(epssRequestUrl("http://127.0.0.1:4566/epss?cve=X&limit=9&pretty=true", ["CVE-2021-44228"])).toBe(
      "http://127.0.0.1:4566/epss?limit=1&pretty=true&cve=CVE-2021-44228",
    );
  });
});
