import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsRequest,
  type DescribeImageScanFindingsResponse,
  ECRClient,
  type EnhancedImageScanFinding,
  type ImageScanFinding,
} from "@aws-sdk/client-ecr";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { type Config, type ConfigInput, configSchema } from "../src/config/schema.js";
import {
  type FetchedScanFindings,
  fetchScanFindings,
  SCAN_FINDINGS_PAGE_SIZE,
} from "../src/findings/fetch.js";
import {
  compareFindings,
  countBySeverity,
  normalizeBasicFinding,
  normalizeEnhancedFinding,
  normalizeScanFindings,
  toSeverity,
} from "../src/findings/normalize.js";
import {
  buildFailureReport,
  buildScanReport,
  imageConsoleUrl,
  type ReportSubject,
} from "../src/findings/report.js";
import {
  emptySeverityCounts,
  type Finding,
  SEVERITIES,
  type Severity,
  type SeverityCounts,
} from "../src/model.js";

const DIGEST = "sha256:74b2c688c700ec95a93e478cdb959737c148df3fbf5ea706abe0318726e885e6";
const REF = { registryId: "123456789012", repositoryName: "team-a/web-app", imageDigest: DIGEST };
const COMPLETED_AT = new Date("2026-03-14T08:30:12.000Z");
const SOURCE_UPDATED_AT = new Date("2026-03-14T02:00:00.000Z");

const SUBJECT: ReportSubject = {
  account: "123456789012",
  region: "eu-west-1",
  registryId: "123456789012",
  repository: "team-a/web-app",
  digest: DIGEST,
  tags: ["1.4.2", "latest"],
  scanType: "BASIC",
};

/** The basic finding of the AWS CLI reference's describe-image-scan-findings example (Clair era: CVSS v2 only). */
const CLI_EXAMPLE_BASIC: ImageScanFinding = {
  name: "CVE-2019-5188",
  description:
    "A code execution vulnerability exists in the directory rehashing functionality of E2fsprogs e2fsck 1.45.4. A specially crafted ext4 directory can cause an out-of-bounds write on the stack, resulting in code execution. An attacker can corrupt a partition to trigger this vulnerability.",
  uri: "https://security-tracker.debian.org/tracker/CVE-2019-5188",
  severity: "MEDIUM",
  attributes: [
    { key: "package_version", value: "1.44.5-1+deb10u2" },
    { key: "package_name", value: "e2fsprogs" },
    { key: "CVSS2_VECTOR", value: "AV:L/AC:L/Au:N/C:P/I:P/A:P" },
    { key: "CVSS2_SCORE", value: "4.6" },
  ],
};

/** An Amazon Inspector finding as DescribeImageScanFindings returns it under enhanced scanning. */
function inspectorFinding(overrides: Partial<EnhancedImageScanFinding> = {}): EnhancedImageScanFinding {
  return {
    awsAccountId: "123456789012",
    description:
      "Heap buffer overflow in libwebp in Google Chrome prior to 116.0.5845.187 and libwebp 1.3.2 allowed a remote attacker to perform an out of bounds memory write via a crafted HTML page.",
    findingArn: "arn:aws:inspector2:eu-west-1:123456789012:finding/3f1e5bd7c2a0f4e98d6b2c1a0e9f8d7c",
    firstObservedAt: new Date("2026-03-01T10:04:51.000Z"),
    lastObservedAt: new Date("2026-03-14T08:30:12.000Z"),
    packageVulnerabilityDetails: {
      cvss: [
        {
          baseScore: 8.8,
          scoringVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
          source: "NVD",
          version: "3.1",
        },
      ],
      referenceUrls: ["https://www.debian.org/security/2023/dsa-5496"],
      relatedVulnerabilities: [],
      source: "DEBIAN_CVE",
      sourceUrl: "https://security-tracker.debian.org/tracker/CVE-2023-4863",
      vendorCreatedAt: new Date("2023-09-12T15:15:24.000Z"),
      vendorSeverity: "not yet assigned",
      vulnerabilityId: "CVE-2023-4863",
      vulnerablePackages: [
        {
          arch: "AMD64",
          epoch: 0,
          name: "libwebp7",
          packageManager: "OS",
          release: "0.2",
          sourceLayerHash: "sha256:5d0aeceef7eeaf3b5f2a0a3e9e5f1c7b6d3e2a1f0c9b8a7d6e5f4c3b2a1f0e9d",
          version: "1.2.4",
          fixedInVersion: "0:1.2.4-0.2+deb12u1",
        },
        { name: "libwebpdemux2", version: "1.2.4", release: "0.2", fixedInVersion: "0:1.2.4-0.2+deb12u1" },
      ],
    },
    remediation: { recommendation: { text: "None Provided" } },
    resources: [
      {
        details: {
          awsEcrContainerImage: {
            architecture: "amd64",
            imageHash: DIGEST,
            imageTags: ["1.4.2", "latest"],
            platform: "DEBIAN_12",
            pushedAt: new Date("2026-03-01T10:01:02.000Z"),
            registry: "123456789012",
            repositoryName: "team-a/web-app",
          },
        },
        id: `arn:aws:ecr:eu-west-1:123456789012:repository/team-a/web-app/${DIGEST}`,
        tags: {},
        type: "AWS_ECR_CONTAINER_IMAGE",
      },
    ],
    score: 8.8,
    scoreDetails: {
      cvss: {
        adjustments: [],
        score: 8.8,
        scoreSource: "NVD",
        scoringVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        version: "3.1",
      },
    },
    severity: "HIGH",
    status: "ACTIVE",
    title: "CVE-2023-4863 - libwebp7, libwebpdemux2",
    type: "PACKAGE_VULNERABILITY",
    updatedAt: new Date("2026-03-14T08:30:12.000Z"),
    fixAvailable: "YES",
    exploitAvailable: "YES",
    ...overrides,
  };
}

/** Deterministic severities with an uneven spread, so a count mixed up between severities shows. */
function severityAt(i: number): Severity {
  const r = (i * 7919) % 100;
  if (r < 3) return "CRITICAL";
  if (r < 15) return "HIGH";
  if (r < 45) return "MEDIUM";
  if (r < 80) return "LOW";
  if (r < 95) return "INFORMATIONAL";
  return "UNDEFINED";
}

function generatedBasic(count: number): { findings: ImageScanFinding[]; expected: SeverityCounts } {
  const expected = emptySeverityCounts();
  const findings = Array.from({ length: count }, (_, i): ImageScanFinding => {
    const severity = severityAt(i);
    expected[severity] += 1;
    return {
      name: `CVE-2024-${String(10000 + i)}`,
      uri: `https://security-tracker.debian.org/tracker/CVE-2024-${String(10000 + i)}`,
      severity: severity === "UNDEFINED" ? undefined : severity,
      description: `Vulnerability ${i} in package pkg-${i % 300}.`,
      attributes: [
        { key: "package_name", value: `pkg-${i % 300}` },
        { key: "package_version", value: `1.${i % 17}.0-1` },
        { key: "CVSS3_SCORE", value: String((i % 100) / 10) },
      ],
    };
  });
  return { findings, expected };
}

/** Enhanced findings with Inspector severities (UNTRIAGED included) and some closed or suppressed ones. */
function generatedEnhanced(count: number): {
  findings: EnhancedImageScanFinding[];
  expected: SeverityCounts;
} {
  const expected = emptySeverityCounts();
  const findings = Array.from({ length: count }, (_, i): EnhancedImageScanFinding => {
    const severity = severityAt(i);
    const status = i % 25 === 0 ? "CLOSED" : i % 40 === 1 ? "SUPPRESSED" : "ACTIVE";
    if (status === "ACTIVE") expected[severity] += 1;
    const id = `CVE-2025-${String(20000 + i)}`;
    const base = inspectorFinding();
    return inspectorFinding({
      findingArn: `arn:aws:inspector2:eu-west-1:123456789012:finding/${i.toString(16).padStart(32, "0")}`,
      severity: severity === "UNDEFINED" ? "UNTRIAGED" : severity,
      status,
      title: `${id} - pkg-${i % 300}`,
      score: (i % 100) / 10,
      packageVulnerabilityDetails: { ...base.packageVulnerabilityDetails, vulnerabilityId: id },
    });
  });
  return { findings, expected };
}

function sum(counts: SeverityCounts): number {
  return SEVERITIES.reduce((total, severity) => total + counts[severity], 0);
}

type Page = DescribeImageScanFindingsResponse;

/** Serves `pages` by opaque token the way ECR does, and records each request as it was when sent. */
function servePages(ecr: ReturnType<typeof mockClient>, pages: Page[]): DescribeImageScanFindingsRequest[] {
  const requests: DescribeImageScanFindingsRequest[] = [];
  const tokenOf = (index: number) => `eyJvZmZzZXQiOj${index}fQ==`;
  ecr.on(DescribeImageScanFindingsCommand).callsFake((input: DescribeImageScanFindingsRequest) => {
    // The paginator reuses one input object between pages, so copy it now.
    requests.push({ ...input, imageId: { ...input.imageId } });
    const index =
      input.nextToken === undefined ? 0 : pages.findIndex((_, i) => tokenOf(i) === input.nextToken);
    const page = pages[index];
    if (!page) throw new Error(`unexpected nextToken ${input.nextToken}`);
    return { ...page, nextToken: index + 1 < pages.length ? tokenOf(index + 1) : undefined };
  });
  return requests;
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function scanPage(
  status: string,
  findings: Partial<Pick<NonNullable<Page["imageScanFindings"]>, "findings" | "enhancedFindings">>,
): Page {
  return {
    registryId: REF.registryId,
    repositoryName: REF.repositoryName,
    imageId: { imageDigest: DIGEST, imageTag: "1.4.2" },
    imageScanStatus: { status: status as "COMPLETE", description: "The scan was completed successfully." },
    imageScanFindings: {
      imageScanCompletedAt: COMPLETED_AT,
      vulnerabilitySourceUpdatedAt: SOURCE_UPDATED_AT,
      ...findings,
    },
  };
}

const ecr = mockClient(ECRClient);
const client = new ECRClient({ region: "eu-west-1" });

beforeEach(() => ecr.reset());
afterAll(() => ecr.restore());

describe("fetchScanFindings", () => {
  it("follows nextToken through 5 pages of 1,000 basic findings, asking for 1,000 a page", async () => {
    const { findings, expected } = generatedBasic(5000);
    const requests = servePages(
      ecr,
      chunk(findings, 1000).map((page) => scanPage("COMPLETE", { findings: page })),
    );

    const fetched = await fetchScanFindings(client, REF);

    expect(requests).toHaveLength(5);
    expect(requests.map((r) => r.maxResults)).toEqual([1000, 1000, 1000, 1000, 1000]);
    expect(requests.map((r) => r.nextToken)).toEqual([
      undefined,
      "eyJvZmZzZXQiOj1fQ==",
      "eyJvZmZzZXQiOj2fQ==",
      "eyJvZmZzZXQiOj3fQ==",
      "eyJvZmZzZXQiOj4fQ==",
    ]);
    expect(requests[0]).toMatchObject({
      registryId: "123456789012",
      repositoryName: "team-a/web-app",
      imageId: { imageDigest: DIGEST },
    });
    expect(fetched.basic).toHaveLength(5000);
    expect(fetched.basic[4999]?.name).toBe("CVE-2024-14999");
    expect(fetched.enhanced).toEqual([]);
    expect(fetched).toMatchObject({
      status: "COMPLETE",
      statusDescription: "The scan was completed successfully.",
      completedAt: COMPLETED_AT,
      vulnerabilitySourceUpdatedAt: SOURCE_UPDATED_AT,
    });
    const counts = countBySeverity(normalizeScanFindings(fetched));
    expect(counts).toEqual(expected);
    expect(sum(counts)).toBe(5000);
  });

  it("takes enhanced findings 100 a page whatever maxResults says: 1,050 in 11 pages", async () => {
    const { findings, expected } = generatedEnhanced(1050);
    const requests = servePages(
      ecr,
      chunk(findings, 100).map((page) => scanPage("ACTIVE", { enhancedFindings: page })),
    );

    const fetched = await fetchScanFindings(client, REF);

    expect(requests).toHaveLength(11);
    expect(requests.every((r) => r.maxResults === SCAN_FINDINGS_PAGE_SIZE)).toBe(true);
    expect(new Set(requests.map((r) => r.nextToken)).size).toBe(11);
    expect(fetched.enhanced).toHaveLength(1050);
    expect(fetched.basic).toEqual([]);
    expect(fetched.status).toBe("ACTIVE");
    const counts = countBySeverity(normalizeScanFindings(fetched));
    expect(counts).toEqual(expected);
    // Closed and suppressed findings were generated, and none of them was counted.
    expect(sum(counts)).toBeLessThan(1050);
    expect(counts.UNDEFINED).toBeGreaterThan(0);
  });

  it("omits registryId when the ref has none, so ECR uses the caller's registry", async () => {
    const requests = servePages(ecr, [scanPage("COMPLETE", { findings: [] })]);
    await fetchScanFindings(client, { repositoryName: "team-a/web-app", imageDigest: DIGEST });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.registryId).toBeUndefined();
  });

  it("lets ScanNotFoundException reach the caller", async () => {
    ecr.on(DescribeImageScanFindingsCommand).rejects(
      Object.assign(new Error("Image scan does not exist for the image"), {
        name: "ScanNotFoundException",
      }),
    );
    await expect(fetchScanFindings(client, REF)).rejects.toMatchObject({ name: "ScanNotFoundException" });
  });
});

describe("normalizeBasicFinding", () => {
  it("maps the AWS CLI example finding, falling back to the CVSS v2 score", () => {
    expect(normalizeBasicFinding(CLI_EXAMPLE_BASIC)).toEqual({
      id: "CVE-2019-5188",
      severity: "MEDIUM",
      title: "CVE-2019-5188 - e2fsprogs",
      description: CLI_EXAMPLE_BASIC.description,
      packageName: "e2fsprogs",
      packageVersion: "1.44.5-1+deb10u2",
      cvssScore: 4.6,
      url: "https://security-tracker.debian.org/tracker/CVE-2019-5188",
    });
  });

  it("prefers the CVSS v3 score to the v2 one", () => {
    const finding = normalizeBasicFinding({
      ...CLI_EXAMPLE_BASIC,
      attributes: [
        ...(CLI_EXAMPLE_BASIC.attributes ?? []),
        { key: "CVSS3_VECTOR", value: "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H" },
        { key: "CVSS3_SCORE", value: "6.7" },
      ],
    });
    expect(finding.cvssScore).toBe(6.7);
  });

  it("leaves out what the finding lacks and reads a missing severity as UNDEFINED", () => {
    const finding = normalizeBasicFinding({
      name: "CVE-2024-0001",
      attributes: [{ key: "CVSS3_SCORE", value: "n/a" }],
    });
    expect(finding).toEqual({
      id: "CVE-2024-0001",
      severity: "UNDEFINED",
      title: "CVE-2024-0001",
      description: undefined,
      packageName: undefined,
      packageVersion: undefined,
      cvssScore: undefined,
      url: undefined,
    });
  });
});

describe("normalizeEnhancedFinding", () => {
  it("maps an Inspector finding: vulnerability id, first package with its full version, Inspector's fields", () => {
    expect(normalizeEnhancedFinding(inspectorFinding())).toEqual({
      id: "CVE-2023-4863",
      severity: "HIGH",
      title: "CVE-2023-4863 - libwebp7, libwebpdemux2",
      description: inspectorFinding().description,
      packageName: "libwebp7",
      packageVersion: "1.2.4-0.2",
      fixedInVersion: "0:1.2.4-0.2+deb12u1",
      cvssScore: 8.8,
      url: "https://security-tracker.debian.org/tracker/CVE-2023-4863",
      exploitAvailable: "YES",
      fixAvailable: "YES",
      inspectorScore: 8.8,
      firstObservedAt: "2026-03-01T10:04:51.000Z",
    });
  });

  it("has no Inspector score when Inspector gives none, while the CVSS score falls back to the base score", () => {
    const finding = normalizeEnhancedFinding(inspectorFinding({ score: 6.1, exploitAvailable: "NO" }));
    expect(finding).toMatchObject({ cvssScore: 6.1, inspectorScore: 6.1, exploitAvailable: "NO" });
    const unscored = normalizeEnhancedFinding(inspectorFinding({ score: undefined }));
    expect(unscored.inspectorScore).toBeUndefined();
    expect(unscored.cvssScore).toBe(8.8);
  });

  it("writes a non-zero epoch before the version, as rpm does", () => {
    const base = inspectorFinding();
    const finding = normalizeEnhancedFinding(
      inspectorFinding({
        packageVulnerabilityDetails: {
          ...base.packageVulnerabilityDetails,
          vulnerablePackages: [
            {
              name: "openssl-libs",
              epoch: 1,
              version: "3.0.7",
              release: "27.el9",
              fixedInVersion: "1:3.0.7-28.el9",
            },
          ],
        },
      }),
    );
    expect(finding).toMatchObject({
      packageName: "openssl-libs",
      packageVersion: "1:3.0.7-27.el9",
      fixedInVersion: "1:3.0.7-28.el9",
    });
  });

  it("falls back to the highest CVSS base score and to the finding ARN", () => {
    const base = inspectorFinding();
    const finding = normalizeEnhancedFinding(
      inspectorFinding({
        score: undefined,
        packageVulnerabilityDetails: {
          ...base.packageVulnerabilityDetails,
          vulnerabilityId: undefined,
          cvss: [
            { baseScore: 6.8, version: "2.0", source: "NVD" },
            { baseScore: 8.8, version: "3.1", source: "NVD" },
            { baseScore: 7.5, version: "3.1", source: "DEBIAN" },
          ],
        },
      }),
    );
    expect(finding.cvssScore).toBe(8.8);
    expect(finding.id).toBe(base.findingArn);
  });

  it.each([
    ["UNTRIAGED", "UNDEFINED"],
    [undefined, "UNDEFINED"],
    ["SEVERE", "UNDEFINED"],
    ["CRITICAL", "CRITICAL"],
    ["informational", "INFORMATIONAL"],
  ] as const)("maps severity %s to %s", (given, expected) => {
    expect(normalizeEnhancedFinding(inspectorFinding({ severity: given })).severity).toBe(expected);
    expect(toSeverity(given)).toBe(expected);
  });

  it("drops CLOSED and SUPPRESSED findings when normalizing a scan", () => {
    const findings = normalizeScanFindings({
      basic: [],
      enhanced: [
        inspectorFinding({ status: "CLOSED", severity: "CRITICAL" }),
        inspectorFinding({ status: "SUPPRESSED", severity: "CRITICAL" }),
        inspectorFinding({ status: "ACTIVE", severity: "HIGH" }),
      ],
    });
    expect(findings.map((f) => f.severity)).toEqual(["HIGH"]);
  });
});

describe("compareFindings", () => {
  it("sorts most severe first, then by CVSS score (unscored last), then by id", () => {
    const f = (id: string, severity: Severity, cvssScore?: number): Finding => ({
      id,
      severity,
      title: id,
      cvssScore,
    });
    const sorted = [
      f("CVE-A", "HIGH"),
      f("CVE-B", "LOW", 9.9),
      f("CVE-C", "HIGH", 7.5),
      f("CVE-D", "HIGH", 8.1),
      f("CVE-E", "HIGH", 7.5),
      f("CVE-F", "UNDEFINED", 10),
      f("CVE-G", "CRITICAL", 9.1),
      f("CVE-H", "HIGH", 0),
    ].sort(compareFindings);
    expect(sorted.map((x) => x.id)).toEqual([
      "CVE-G",
      "CVE-D",
      "CVE-C",
      "CVE-E",
      "CVE-H",
      "CVE-A",
      "CVE-B",
      "CVE-F",
    ]);
  });
});

describe("imageConsoleUrl", () => {
  it("links the image by digest, keeping a namespaced repository's slashes", () => {
    expect(imageConsoleUrl(SUBJECT)).toBe(
      `https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/team-a/web-app/_/image/${DIGEST}/details?region=eu-west-1`,
    );
  });

  it("escapes each part of the repository name and uses the partition's console", () => {
    expect(
      imageConsoleUrl({
        region: "cn-north-1",
        registryId: "123456789012",
        repository: "a b/c#d?e",
        digest: DIGEST,
      }),
    ).toBe(
      `https://cn-north-1.console.amazonaws.cn/ecr/repositories/private/123456789012/a%20b/c%23d%3Fe/_/image/${DIGEST}/details?region=cn-north-1`,
    );
  });
});

function fetchedOf(partial: Partial<FetchedScanFindings>): FetchedScanFindings {
  return {
    status: "COMPLETE",
    completedAt: COMPLETED_AT,
    vulnerabilitySourceUpdatedAt: SOURCE_UPDATED_AT,
    basic: [],
    enhanced: [],
    ...partial,
  };
}

function policyOf(input: ConfigInput = {}): Config {
  return configSchema.parse(input);
}

describe("buildScanReport", () => {
  const NOW = new Date("2026-03-15T12:00:00.000Z");

  it("normalizes, removes ignored findings before counting, sorts and decides the verdict", () => {
    const basic: ImageScanFinding[] = [
      { ...CLI_EXAMPLE_BASIC },
      { name: "CVE-2023-4863", severity: "CRITICAL", attributes: [{ key: "CVSS3_SCORE", value: "8.8" }] },
      { name: "CVE-2024-3094", severity: "CRITICAL", attributes: [{ key: "CVSS3_SCORE", value: "10.0" }] },
      { name: "CVE-2023-44487", severity: "HIGH", attributes: [{ key: "CVSS3_SCORE", value: "7.5" }] },
    ];
    const { report, expiredIgnoreEntries } = buildScanReport(
      {
        ...SUBJECT,
        fetched: fetchedOf({ basic }),
        policy: policyOf({
          ignore: [
            { id: "cve-2024-3094", reason: "not reachable", until: "2026-04-01" },
            { id: "CVE-2023-44487", reason: "old exception", until: "2026-03-01" },
          ],
        }),
      },
      NOW,
    );

    expect(report.findings.map((f) => f.id)).toEqual(["CVE-2023-4863", "CVE-2023-44487", "CVE-2019-5188"]);
    expect(report.counts).toEqual({ ...emptySeverityCounts(), CRITICAL: 1, HIGH: 1, MEDIUM: 1 });
    expect(report.verdict).toEqual({
      due: true,
      reason: "over-threshold",
      exceeded: ["CRITICAL", "HIGH"],
      highestSeverity: "CRITICAL",
      ignoredFindings: 1,
    });
    expect(expiredIgnoreEntries.map((e) => e.id)).toEqual(["CVE-2023-44487"]);
    expect(report).toMatchObject({
      account: "123456789012",
      region: "eu-west-1",
      registryId: "123456789012",
      repository: "team-a/web-app",
      digest: DIGEST,
      tags: ["1.4.2", "latest"],
      scanType: "BASIC",
      status: "COMPLETE",
      completedAt: "2026-03-14T08:30:12.000Z",
      vulnerabilitySourceUpdatedAt: "2026-03-14T02:00:00.000Z",
      consoleUrl: imageConsoleUrl(SUBJECT),
    });
  });

  it("reports an enhanced scan without its closed findings and within thresholds when only MEDIUM remains", () => {
    const { report } = buildScanReport(
      {
        ...SUBJECT,
        scanType: "ENHANCED",
        fetched: fetchedOf({
          status: "ACTIVE",
          enhanced: [
            inspectorFinding({ status: "CLOSED", severity: "CRITICAL" }),
            inspectorFinding({ severity: "MEDIUM" }),
          ],
        }),
      },
      NOW,
    );
    expect(report.counts).toEqual({ ...emptySeverityCounts(), MEDIUM: 1 });
    expect(report.verdict).toMatchObject({
      due: false,
      reason: "within-thresholds",
      highestSeverity: "MEDIUM",
    });
  });

  it("turns a FAILED scan into a failure report carrying the status description and no findings", async () => {
    servePages(ecr, [
      {
        ...scanPage("FAILED", {}),
        imageScanStatus: {
          status: "FAILED",
          description:
            "UnsupportedImageError: The operating system and/or package manager are not supported.",
        },
        imageScanFindings: undefined,
      },
    ]);
    const fetched = await fetchScanFindings(client, REF);
    const { report, expiredIgnoreEntries } = buildScanReport({ ...SUBJECT, fetched }, NOW);

    expect(report).toMatchObject({
      status: "FAILED",
      statusDescription:
        "UnsupportedImageError: The operating system and/or package manager are not supported.",
      findings: [],
      counts: emptySeverityCounts(),
      verdict: { due: true, reason: "scan-failed", exceeded: [], ignoredFindings: 0 },
    });
    expect(report.verdict.highestSeverity).toBeUndefined();
    expect(expiredIgnoreEntries).toEqual([]);
  });

  it("builds the same failure report directly, e.g. from a FAILED scan event", () => {
    const report = buildFailureReport({
      ...SUBJECT,
      statusDescription: "Scan failed",
      completedAt: COMPLETED_AT,
      policy: { notifyOnScanFailure: false },
    });
    expect(report).toMatchObject({
      status: "FAILED",
      statusDescription: "Scan failed",
      completedAt: "2026-03-14T08:30:12.000Z",
      consoleUrl: imageConsoleUrl(SUBJECT),
      verdict: { due: false, reason: "scan-failed-not-notified" },
    });
  });
});
