import type { ECRClient } from "@aws-sdk/client-ecr";
import { fetchNormalizedFindings } from "../findings/fetch.js";
import { type BuiltScanReport, buildScanReport, type ReportSubject } from "../findings/report.js";
import type { ReportPolicy } from "../policy/policy.js";

/**
 * The image to report: where it lives and what it is. `account` defaults to `registryId` (a private registry's id
 * is its account's) and `region` to the ECR client's, so a caller that knows only the image (the CLI) and one that
 * has a scan event (report-findings) build the same report.
 */
export type ImageToReport = Omit<ReportSubject, "account" | "region"> & {
  account?: string;
  region?: string;
};

/**
 * "Report one image": reads its last scan's findings from ECR page by page and builds the report under the
 * configured policy. Sends nothing: the caller dispatches it (report-findings), or previews it (`report --out`).
 * AWS errors propagate as the SDK raised them, for the caller to classify (retry, usage error, drop).
 */
export async function reportImage(
  ecr: ECRClient,
  image: ImageToReport,
  policy: ReportPolicy,
): Promise<BuiltScanReport> {
  const fetched = await fetchNormalizedFindings(ecr, {
    registryId: image.registryId,
    repositoryName: image.repository,
    imageDigest: image.digest,
  });
  return buildScanReport({
    ...image,
    account: image.account ?? image.registryId,
    region: image.region ?? (await ecr.config.region()),
    fetched,
    policy,
  });
}
