import { createHash } from "node:crypto";
import type { BasicFinding, EnhancedFinding } from "../ecr/types.js";
import { CVE_RECORDS, type CveRecord, severityOfScore } from "./cve-records.js";

/** A stable number from a string, so the same image always gets the same findings. */
function seedOf(text: string): number {
  return createHash("sha256").update(text).digest().readUInt32BE(0);
}

/** Picks `count` distinct records for an image, deterministically from its digest. */
export function recordsForImage(digest: string, count: number): CveRecord[] {
  const picked: CveRecord[] = [];
  let seed = seedOf(digest);
  const pool = [...CVE_RECORDS];
  for (let i = 0; i < Math.min(count, pool.length); i++) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    picked.push(...pool.splice(seed % pool.length, 1));
  }
  return picked;
}

/** How many findings an image has, 0–12, from its digest: some images are clean, most have a few. */
export function findingCountForImage(digest: string): number {
  const n = seedOf(`count:${digest}`) % 16;
  return n < 3 ? 0 : n - 3;
}

/** A package at one version, as a record names it: what a feed's new record is matched on. */
const packageVersionOf = (record: CveRecord) => `${record.packageName}\n${record.packageVersion}`;

/**
 * The records a scan of an image finds: those its digest picks (recordsForImage), then each record of the feed's
 * updates (`published`) about a package at a version the image has, as a scanner matches a feed's new entries
 * against the packages it found. An image with no findings has no known package, so no update reaches it.
 */
export function recordsFoundIn(digest: string, published: readonly CveRecord[] = []): CveRecord[] {
  const picked = recordsForImage(digest, findingCountForImage(digest));
  const packages = new Set(picked.map(packageVersionOf));
  const found = [...picked];
  const ids = new Set(picked.map((r) => r.id));
  for (const record of published) {
    if (!packages.has(packageVersionOf(record)) || ids.has(record.id)) continue;
    ids.add(record.id);
    found.push(record);
  }
  return found;
}

/** A CVE record as basic scanning reports it (DescribeImageScanFindings `findings[]`). */
export function basicFindingFrom(record: CveRecord): BasicFinding {
  const attributes = [
    { key: "package_version", value: record.packageVersion },
    { key: "package_name", value: record.packageName },
    { key: "CVSS3_SCORE", value: record.cvss.toFixed(1) },
  ];
  return {
    name: record.id,
    uri: `https://nvd.nist.gov/vuln/detail/${record.id}`,
    severity: severityOfScore(record.cvss),
    description: record.description,
    attributes,
  };
}

/** A CVE record as enhanced scanning (Amazon Inspector) reports it (`enhancedFindings[]`). */
export function enhancedFindingFrom(
  record: CveRecord,
  image: {
    accountId: string;
    region: string;
    repositoryName: string;
    digest: string;
    tags: string[];
    at: Date;
  },
): EnhancedFinding {
  const at = image.at.getTime() / 1000;
  const findingId = createHash("sha256").update(`${image.digest}/${record.id}`).digest("hex").slice(0, 32);
  return {
    awsAccountId: image.accountId,
    description: record.description,
    findingArn: `arn:aws:inspector2:${image.region}:${image.accountId}:finding/${findingId}`,
    firstObservedAt: at,
    lastObservedAt: at,
    updatedAt: at,
    packageVulnerabilityDetails: {
      cvss: [
        {
          baseScore: record.cvss,
          scoringVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
          source: "NVD",
          version: "3.1",
        },
      ],
      referenceUrls: [`https://nvd.nist.gov/vuln/detail/${record.id}`],
      source: "NVD",
      sourceUrl: `https://nvd.nist.gov/vuln/detail/${record.id}`,
      vendorSeverity: severityOfScore(record.cvss),
      vulnerabilityId: record.id,
      vulnerablePackages: [
        {
          name: record.packageName,
          version: record.packageVersion,
          fixedInVersion: record.fixedIn ?? "NotAvailable",
          packageManager: "OS",
        },
      ],
    },
    remediation: {
      recommendation: {
        text: record.fixedIn ? `Upgrade ${record.packageName} to ${record.fixedIn}` : "None Provided",
      },
    },
    resources: [
      {
        type: "AWS_ECR_CONTAINER_IMAGE",
        id: `arn:aws:ecr:${image.region}:${image.accountId}:repository/${image.repositoryName}/${image.digest}`,
        details: {
          awsEcrContainerImage: {
            repositoryName: image.repositoryName,
            imageHash: image.digest,
            imageTags: image.tags,
            registry: image.accountId,
            architecture: "amd64",
            platform: "DEBIAN_12",
          },
        },
      },
    ],
    score: record.cvss,
    severity: severityOfScore(record.cvss),
    status: "ACTIVE",
    title: `${record.id} - ${record.packageName}`,
    type: "PACKAGE_VULNERABILITY",
    fixAvailable: record.fixedIn ? "YES" : "NO",
  };
}
