import {
  type ECRClient,
  type EnhancedImageScanFinding,
  type ImageScanFinding,
  paginateDescribeImageScanFindings,
} from "@aws-sdk/client-ecr";

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

/** Every finding of one image's last scan: all pages of DescribeImageScanFindings, errors left to the caller. */
export async function fetchScanFindings(client: ECRClient, ref: ScanImageRef): Promise<FetchedScanFindings> {
  // Errors (ScanNotFoundException, ImageNotFoundException, throttling…) are not mapped here: only the caller
  // knows whether a missing scan is a bug, a race with a deletion, or a reason to retry.
  const fetched: FetchedScanFindings = { basic: [], enhanced: [] };
  const pages = paginateDescribeImageScanFindings(
    { client, pageSize: SCAN_FINDINGS_PAGE_SIZE },
    {
      registryId: ref.registryId || undefined,
      repositoryName: ref.repositoryName,
      imageId: { imageDigest: ref.imageDigest },
    },
  );
  // Only the findings are kept; each page (with its response metadata) becomes garbage once copied from,
  // which matters at thousands of findings under a 128 MB Lambda.
  for await (const page of pages) {
    fetched.status ??= page.imageScanStatus?.status;
    fetched.statusDescription ??= page.imageScanStatus?.description;
    const findings = page.imageScanFindings;
    fetched.completedAt ??= findings?.imageScanCompletedAt;
    fetched.vulnerabilitySourceUpdatedAt ??= findings?.vulnerabilitySourceUpdatedAt;
    for (const finding of findings?.findings ?? []) fetched.basic.push(finding);
    for (const finding of findings?.enhancedFindings ?? []) fetched.enhanced.push(finding);
  }
  return fetched;
}
