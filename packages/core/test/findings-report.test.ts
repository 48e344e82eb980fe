import { describe, expect, it } from "vitest";
import { configSchema } from "../src/config/schema.js";
import {
  buildFailureReport,
  buildScanReport,
  imageConsoleUrl,
  type ReportSubject,
} from "../src/findings/report.js";
import { emptySeverityCounts } from "../src/model.js";

// What findings.test.ts leaves out of report building: partitions, odd names, absent dates and statuses, the
// default policy, and already normalized findings.

const DIGEST = "sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6";
const SUBJECT: ReportSubject = {
  account: "123456789012",
  region: "eu-west-1",
  registryId: "123456789012",
  repository: "team-a/web-app",
  digest: DIGEST,
  tags: ["1.4.2"],
  scanType: "BASIC",
};
const NOW = new Date("2026-03-15T12:00:00.000Z");

describe("imageConsoleUrl per partition", () => {
  it("uses the GovCloud console in us-gov regions and the commercial one elsewhere", () => {
    const image = { registryId: "123456789012", repository: "web", digest: DIGEST };
    expect(imageConsoleUrl({ ...image, region: "us-gov-west-1" })).toBe(
      `https://us-gov-west-1.console.amazonaws-us-gov.com/ecr/repositories/private/123456789012/web/_/image/${DIGEST}/details?region=us-gov-west-1`,
    );
    expect(imageConsoleUrl({ ...image, region: "us-east-1" })).toMatch(
      /^https:\/\/us-east-1\.console\.aws\.amazon\.com\/ecr\//,
    );
    // Only a prefix names a partition.
    expect(imageConsoleUrl({ ...image, region: "xx-cn-1" })).toMatch(
      /^https:\/\/xx-cn-1\.console\.aws\.amazon\.com\//,
    );
    expect(imageConsoleUrl({ ...image, region: "xx-us-gov-1" })).toMatch(
      /^https:\/\/xx-us-gov-1\.console\.aws\.amazon\.com\//,
    );
  });

  it("escapes every unsafe character of the registry, digest and region, keeping the digest's colon", () => {
    expect(
      imageConsoleUrl({
        region: "eu west&1",
        registryId: "12/34",
        repository: "a:b/c",
        digest: "sha256:ab%cd",
      }),
    ).toBe(
      "https://eu west&1.console.aws.amazon.com/ecr/repositories/private/12%2F34/a:b/c/_/image/sha256:ab%25cd/details?region=eu%20west%261",
    );
  });
});

describe("buildFailureReport", () => {
  it("notifies by default, leaves absent dates out and copies the tags", () => {
    const tags = ["1.4.2"];
    const report = buildFailureReport({ ...SUBJECT, tags });
    tags.push("later");
    expect(report).toEqual({
      ...SUBJECT,
      tags: ["1.4.2"],
      status: "FAILED",
      statusDescription: undefined,
      completedAt: undefined,
      counts: emptySeverityCounts(),
      findings: [],
      consoleUrl: imageConsoleUrl(SUBJECT),
      verdict: { due: true, reason: "scan-failed", exceeded: [], ignoredFindings: 0 },
    });
  });
});

describe("buildScanReport", () => {
  it("uses the default policy when none is given: a critical finding is due", () => {
    const { report, findingsRead, expiredIgnoreEntries } = buildScanReport(
      {
        ...SUBJECT,
        fetched: { status: "COMPLETE", basic: [{ name: "CVE-1", severity: "CRITICAL" }], enhanced: [] },
      },
      NOW,
    );
    expect(report.verdict).toMatchObject({ due: true, reason: "over-threshold", exceeded: ["CRITICAL"] });
    expect(findingsRead).toBe(1);
    expect(expiredIgnoreEntries).toEqual([]);
  });

  it("keeps an absent status visible as UNKNOWN and leaves absent dates out", () => {
    const { report } = buildScanReport({ ...SUBJECT, fetched: { basic: [], enhanced: [] } }, NOW);
    expect(report.status).toBe("UNKNOWN");
    expect(report.completedAt).toBeUndefined();
    expect(report.vulnerabilitySourceUpdatedAt).toBeUndefined();
    expect(report.statusDescription).toBeUndefined();
  });

  it("takes already normalized findings as they are, counting those read before the ignore list", () => {
    const policy = configSchema.parse({ ignore: [{ id: "CVE-2", reason: "not reachable" }] });
    const { report, findingsRead } = buildScanReport(
      {
        ...SUBJECT,
        policy,
        fetched: {
          status: "COMPLETE",
          statusDescription: "The scan was completed successfully.",
          findings: [
            { id: "CVE-3", severity: "LOW", title: "CVE-3" },
            { id: "CVE-2", severity: "CRITICAL", title: "CVE-2" },
            { id: "CVE-1", severity: "HIGH", title: "CVE-1" },
          ],
        },
      },
      NOW,
    );
    expect(findingsRead).toBe(3);
    expect(report.findings.map((f) => f.id)).toEqual(["CVE-1", "CVE-3"]);
    expect(report.counts).toEqual({ ...emptySeverityCounts(), HIGH: 1, LOW: 1 });
    expect(report.statusDescription).toBe("The scan was completed successfully.");
    expect(report.verdict.ignoredFindings).toBe(1);
  });

  it("reads no findings of a FAILED scan, warns of no expired ignore entry, keeps its failure setting", () => {
    const built = buildScanReport(
      {
        ...SUBJECT,
        policy: configSchema.parse({
          notifyOnScanFailure: false,
          ignore: [{ id: "CVE-1", reason: "old exception", until: "2026-01-31" }],
        }),
        // Whatever else the response holds, a FAILED scan's report is the failure report.
        fetched: {
          status: "FAILED",
          statusDescription: "Unsupported image",
          vulnerabilitySourceUpdatedAt: NOW,
          findings: [{ id: "CVE-1", severity: "HIGH", title: "CVE-1" }],
        },
      },
      NOW,
    );
    expect(built).toEqual({
      report: buildFailureReport({
        ...SUBJECT,
        statusDescription: "Unsupported image",
        policy: { notifyOnScanFailure: false },
      }),
      expiredIgnoreEntries: [],
      findingsRead: 0,
    });
    expect(built.report.verdict.reason).toBe("scan-failed-not-notified");
  });
});
