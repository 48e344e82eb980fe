import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsRequest,
  type DescribeImageScanFindingsResponse,
  ECRClient,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { fetchNormalizedFindings, fetchScanFindings } from "../src/findings/fetch.js";

// What a scan's pages may lack or disagree on, for both fetchers: the scan's status and dates come from the first
// page that gives them.

const ecr = mockClient(ECRClient);
const client = new ECRClient({ region: "eu-west-1" });
afterAll(() => ecr.restore());
beforeEach(() => ecr.reset());

const DIGEST = `sha256:${"b".repeat(64)}`;
const REF = { registryId: "123456789012", repositoryName: "team-a/api", imageDigest: DIGEST };
const T1 = new Date("2026-03-14T08:30:12.000Z");
const T2 = new Date("2026-03-14T09:00:00.000Z");
const S1 = new Date("2026-03-14T02:00:00.000Z");

/** Serves the pages in order, chained by nextToken, and records each request. */
function serve(pages: DescribeImageScanFindingsResponse[]): DescribeImageScanFindingsRequest[] {
  const requests: DescribeImageScanFindingsRequest[] = [];
  ecr.on(DescribeImageScanFindingsCommand).callsFake((input: DescribeImageScanFindingsRequest) => {
    requests.push({ ...input });
    const index = input.nextToken ? Number(input.nextToken) : 0;
    return { ...pages[index], nextToken: index + 1 < pages.length ? String(index + 1) : undefined };
  });
  return requests;
}

const PAGES: DescribeImageScanFindingsResponse[] = [
  {
    // The first page lacks the vulnerability source date: a later page's is taken.
    imageScanStatus: { status: "COMPLETE", description: "first description" },
    imageScanFindings: {
      imageScanCompletedAt: T1,
      findings: [{ name: "CVE-1", severity: "HIGH" }],
      enhancedFindings: [
        { status: "ACTIVE", severity: "LOW", packageVulnerabilityDetails: { vulnerabilityId: "CVE-E1" } },
      ],
    },
  },
  { imageScanStatus: undefined, imageScanFindings: undefined },
  {
    imageScanStatus: { status: "FAILED", description: "last description" },
    imageScanFindings: {
      imageScanCompletedAt: T2,
      vulnerabilitySourceUpdatedAt: S1,
      findings: [{ name: "CVE-2", severity: "LOW" }],
      enhancedFindings: [
        { status: "CLOSED", severity: "HIGH", packageVulnerabilityDetails: { vulnerabilityId: "CVE-E2" } },
      ],
    },
  },
];

describe("fetchScanFindings across pages", () => {
  it("keeps the first status, description and dates given, and every finding of every page", async () => {
    serve(PAGES);
    const fetched = await fetchScanFindings(client, REF);
    expect(fetched).toEqual({
      status: "COMPLETE",
      statusDescription: "first description",
      completedAt: T1,
      vulnerabilitySourceUpdatedAt: S1,
      basic: [
        { name: "CVE-1", severity: "HIGH" },
        { name: "CVE-2", severity: "LOW" },
      ],
      enhanced: [
        { status: "ACTIVE", severity: "LOW", packageVulnerabilityDetails: { vulnerabilityId: "CVE-E1" } },
        { status: "CLOSED", severity: "HIGH", packageVulnerabilityDetails: { vulnerabilityId: "CVE-E2" } },
      ],
    });
  });

  it("gives no status and no findings for a response with neither", async () => {
    serve([{}]);
    expect(await fetchScanFindings(client, REF)).toEqual({ basic: [], enhanced: [] });
  });

  it("leaves an empty registry id out, so ECR uses the caller's registry", async () => {
    const requests = serve([{}]);
    await fetchScanFindings(client, { ...REF, registryId: "" });
    expect(requests[0]?.registryId).toBeUndefined();
    expect(requests[0]?.repositoryName).toBe("team-a/api");
    expect(requests[0]?.imageId).toEqual({ imageDigest: DIGEST });
  });
});

describe("fetchNormalizedFindings across pages", () => {
  it("keeps the first status, description and dates given, and normalizes each page's current findings", async () => {
    const requests = serve(PAGES);
    const fetched = await fetchNormalizedFindings(client, REF);
    expect(fetched).toMatchObject({
      status: "COMPLETE",
      statusDescription: "first description",
      completedAt: T1,
      vulnerabilitySourceUpdatedAt: S1,
    });
    expect(fetched.findings.map((f) => [f.id, f.severity])).toEqual([
      ["CVE-1", "HIGH"],
      ["CVE-E1", "LOW"],
      ["CVE-2", "LOW"],
    ]);
    expect(requests.map((r) => [r.registryId, r.maxResults, r.nextToken])).toEqual([
      ["123456789012", 1000, undefined],
      ["123456789012", 1000, "1"],
      ["123456789012", 1000, "2"],
    ]);
  });

  it("gives no status and no findings for a response with neither", async () => {
    serve([{}]);
    expect(await fetchNormalizedFindings(client, REF)).toEqual({ findings: [] });
  });
});
