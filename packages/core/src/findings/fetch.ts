import {
  type ECRClient,
  type EnhancedImageScanFinding,
  type ImageScanFinding,
  paginateDescribeImageScanFindings,
} from "@aws-sdk/client-ecr";
import type { Finding } from "../model.js";
import { normalizeScanFindings } from "./normalize.js";

/** The most basic findings DescribeImageScanFindings returns per page (enhanced findings come 100 a page regardless). */
export const SCAN_FINDINGS_PAGE_SIZE = 1000;

/** The image whose findings are fetched; by digest, since a tag may have moved since the scan. */
export interface ScanImageRef {
  /** The registry's account id; the caller's own registry when absent. */
  registryId?: string;
  repositoryName: string;
  imageDigest: string;
}

/** Every finding of one scan as ECR returns them, with the scan's status, before normalization. */
export interface FetchedScanFindings {
  /** ECR's scan status (COMPLETE, FAILED, ACTIVE…); undefined if ECR gave none. */
  status?: string;
  statusDescription?: string;
  completedAt?: Date;
  vulnerabilitySourceUpdatedAt?: Date;
  /** Basic-scan findings (empty under enhanced scanning). */
  basic: ImageScanFinding[];
  /** Amazon Inspector findings, all statuses (empty under basic scanning). */
  enhanced: EnhancedImageScanFinding[];
}

/** A scan's findings already normalized, page by page, so the raw pages never pile up in memory. */
export interface NormalizedScanFindings extends Omit<FetchedScanFindings, "basic" | "enhanced"> {
  /** Normalized findings in ECR's order; CLOSED and SUPPRESSED enhanced findings left out. */
  findings: Finding[];
}

/**
 * Every finding of one image's last scan, normalized as each page arrives: what report-findings uses, since it
 * keeps a 5,000-finding report within a small Lambda's memory. Errors are left to the caller.
 */
export async function fetchNormalizedFindings(
  client: ECRClient,
  ref: ScanImageRef,
): Promise<NormalizedScanFindings> {
  const result: NormalizedScanFindings = { findings: [] };
  await forEachFindingsPage(client, ref, (page) => {
    result.status ??= page.status;
    result.statusDescription ??= page.statusDescription;
    result.completedAt ??= page.completedAt;
    result.vulnerabilitySourceUpdatedAt ??= page.vulnerabilitySourceUpdatedAt;
    for (const finding of normalizeScanFindings(page)) result.findings.push(finding);
  });
  return result;
}

/** Every finding of one image's last scan: all pages of DescribeImageScanFindings, errors left to the caller. */
export async function fetchScanFindings(client: ECRClient, ref: ScanImageRef): Promise<FetchedScanFindings> {
  // Errors (ScanNotFoundException, ImageNotFoundException, throttling…) are not mapped here: only the caller
  // knows whether a missing scan is a bug, a race with a deletion, or a reason to retry.
  const fetched: FetchedScanFindings = { basic: [], enhanced: [] };
  await forEachFindingsPage(client, ref, (page) => {
    fetched.status ??= page.status;
    fetched.statusDescription ??= page.statusDescription;
    fetched.completedAt ??= page.completedAt;
    fetched.vulnerabilitySourceUpdatedAt ??= page.vulnerabilitySourceUpdatedAt;
    for (const finding of page.basic) fetched.basic.push(finding);
    for (const finding of page.enhanced) fetched.enhanced.push(finding);
  });
  return fetched;
}

/** Calls `onPage` with each page of DescribeImageScanFindings (1,000 basic findings a page, 100 enhanced). */
async function forEachFindingsPage(
  client: ECRClient,
  ref: ScanImageRef,
  onPage: (page: FetchedScanFindings) => void,
): Promise<void> {
  const pages = paginateDescribeImageScanFindings(
    { client, pageSize: SCAN_FINDINGS_PAGE_SIZE },
    {
      registryId: ref.registryId || undefined,
      repositoryName: ref.repositoryName,
      imageId: { imageDigest: ref.imageDigest },
    },
  );
  // Each page (with its response metadata) becomes garbage once handed on, which matters at thousands of findings
  // under a 128 MB Lambda.
  for await (const page of pages) {
    const findings = page.imageScanFindings;
    onPage({
      status: page.imageScanStatus?.status,
      statusDescription: page.imageScanStatus?.description,
      completedAt: findings?.imageScanCompletedAt,
      vulnerabilitySourceUpdatedAt: findings?.vulnerabilitySourceUpdatedAt,
      basic: findings?.findings ?? [],
      enhanced: findings?.enhancedFindings ?? [],
    });
  }
}
