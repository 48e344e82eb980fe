import { DescribeImageScanFindingsCommand, ECRClient } from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { fetchNormalizedFindings, fetchScanFindings } from "../src/findings/fetch.js";
import { buildScanReport } from "../src/findings/report.js";

const ecr = mockClient(ECRClient);
afterAll(() => ecr.restore());
beforeEach(() => ecr.reset());

const REF = {
  registryId: "123456789012",
  repositoryName: "team-a/api",
  imageDigest: `sha256:${"a".repeat(64)}`,
};

function basic(i: number) {
  return {
    name: `CVE-2024-${String(i).padStart(5, "0")}`,
    severity: i % 2 === 0 ? "HIGH" : "LOW",
    uri: `https://nvd.nist.gov/vuln/detail/CVE-2024-${i}`,
    attributes: [{ key: "package_name", value: `pkg-${i}` }],
  } as const;
}

describe("fetchNormalizedFindings", () => {
  it("normalizes page by page and gives the same report as fetching raw findings first", async () => {
    const pages = [0, 1, 2].map((p) => ({
      imageScanStatus: { status: "COMPLETE" as const },
      imageScanFindings: {
        imageScanCompletedAt: new Date("2026-11-28T06:00:00Z"),
        findings: Array.from({ length: p === 2 ? 500 : 1000 }, (_, i) => basic(p * 1000 + i)),
      },
      nextToken: p < 2 ? `t${p + 1}` : undefined,
    }));
    ecr
      .on(DescribeImageScanFindingsCommand)
      .callsFake(
        (input: { nextToken?: string }) => pages[input.nextToken ? Number(input.nextToken.slice(1)) : 0],
      );
    const normalized = await fetchNormalizedFindings(new ECRClient({ region: "eu-west-1" }), REF);
    expect(normalized.findings).toHaveLength(2500);
    expect(normalized.status).toBe("COMPLETE");
    expect(normalized.findings[0]).toMatchObject({
      id: "CVE-2024-00000",
      severity: "HIGH",
      packageName: "pkg-0",
    });
    expect(ecr.commandCalls(DescribeImageScanFindingsCommand)).toHaveLength(3);

    const raw = await fetchScanFindings(new ECRClient({ region: "eu-west-1" }), REF);
    const subject = {
      account: "123456789012",
      region: "eu-west-1",
      registryId: "123456789012",
      repository: "team-a/api",
      digest: REF.imageDigest,
      tags: ["v1"],
      scanType: "BASIC" as const,
    };
    const now = new Date("2026-11-29T00:00:00Z");
    expect(buildScanReport({ ...subject, fetched: normalized }, now)).toEqual(
      buildScanReport({ ...subject, fetched: raw }, now),
    );
  });

  it("leaves out enhanced findings that are no longer current", async () => {
    ecr.on(DescribeImageScanFindingsCommand).resolves({
      imageScanStatus: { status: "ACTIVE" },
      imageScanFindings: {
        enhancedFindings: [
          {
            findingArn: "arn:1",
            severity: "CRITICAL",
            status: "ACTIVE",
            packageVulnerabilityDetails: {
              vulnerabilityId: "CVE-1",
              sourceUrl: "https://x",
              vulnerablePackages: [],
              cvss: [],
              referenceUrls: [],
              source: "NVD",
            },
          },
          {
            findingArn: "arn:2",
            severity: "HIGH",
            status: "CLOSED",
            packageVulnerabilityDetails: {
              vulnerabilityId: "CVE-2",
              sourceUrl: "https://x",
              vulnerablePackages: [],
              cvss: [],
              referenceUrls: [],
              source: "NVD",
            },
          },
        ],
      },
    });
    const normalized = await fetchNormalizedFindings(new ECRClient({ region: "eu-west-1" }), REF);
    expect(normalized.findings.map((f) => f.id)).toEqual(["CVE-1"]);
  });
});
