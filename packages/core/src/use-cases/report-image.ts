import type { ECRClient } from "@aws-sdk/client-ecr";
import { describeError } from "../errors.js";
import { fetchNormalizedFindings } from "../findings/fetch.js";
import { type BuiltScanReport, buildScanReport, type ReportSubject } from "../findings/report.js";
import { cveIdsOf } from "../intel/apply.js";
import type { IntelLookup, ThreatIntel } from "../intel/intel.js";
import { isFailedScan, type ReportPolicy } from "../policy/policy.js";

/**
 * The image to report: where it lives and what it is. `account` defaults to `registryId` (a private registry's id
 * is its account's) and `region` to the ECR client's, so a caller that knows only the image (the CLI) and one that
 * has a scan event (report-findings) build the same report.
 */
export type ImageToReport = Omit<ReportSubject, "account" | "region"> & {
  account?: string;
  region?: string;
};

/** What `reportImage` may be given besides ECR. */
export interface ReportImageDeps {
  /**
   * The threat intel the findings are checked against (KEV, EPSS). Absent: nothing is looked up and the report has
   * no `intel` status (a CLI preview); `noIntel` states that both sources are off.
   */
  intel?: ThreatIntel;
}

/**
 * The look-up, or — should a ThreatIntel break its promise never to throw — nothing, said in the report: intel
 * must never cost a report (a thrown error here would read as an ECR error and drop the message).
 */
async function lookUpOrNothing(intel: ThreatIntel, cveIds: string[]): Promise<IntelLookup> {
  try {
    return await intel.lookUp(cveIds);
  } catch (error) {
    const unavailable = { state: "unavailable", reason: describeError(error) } as const;
    return { kev: new Map(), epss: new Map(), status: { kev: unavailable, epss: unavailable } };
  }
}

/**
 * "Report one image": reads its last scan's findings from ECR page by page, looks their CVE ids up in the threat
 * intel, and builds the report under the configured policy (so the order and the escalations see the intel).
 * Sends nothing: the caller dispatches it (report-findings), or previews it (`report --out`). AWS errors propagate
 * as the SDK raised them, for the caller to classify (retry, usage error, drop); the intel never throws.
 */
export async function reportImage(
  ecr: ECRClient,
  image: ImageToReport,
  policy: ReportPolicy,
  deps: ReportImageDeps = {},
): Promise<BuiltScanReport> {
  const fetched = await fetchNormalizedFindings(ecr, {
    registryId: image.registryId,
    repositoryName: image.repository,
    imageDigest: image.digest,
  });
  // A failed scan has no findings to look up, and its report says nothing of intel.
  const intel =
    deps.intel && !isFailedScan(fetched.status)
      ? await lookUpOrNothing(deps.intel, cveIdsOf(fetched.findings))
      : undefined;
  return buildScanReport({
    ...image,
    account: image.account ?? image.registryId,
    region: image.region ?? (await ecr.config.region()),
    fetched,
    policy,
    intel,
  });
}
