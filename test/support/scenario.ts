import type { Finding } from "@ecr-scan-reporter/core";
import type {
  BasicFinding,
  EcrScanEvent,
  InspectorFindingEvent,
  InspectorScanEvent,
  Sandbox,
} from "@ecr-scan-reporter/sandbox";

/** A finding in the shape ECR's basic scanning returns (DescribeImageScanFindings `findings[]`). */
export function toBasicFinding(f: Finding): BasicFinding {
  const attributes = [
    ...(f.packageName ? [{ key: "package_name", value: f.packageName }] : []),
    ...(f.packageVersion ? [{ key: "package_version", value: f.packageVersion }] : []),
    ...(f.cvssScore !== undefined ? [{ key: "CVSS3_SCORE", value: String(f.cvssScore) }] : []),
  ];
  return { name: f.id, uri: f.url, severity: f.severity, description: f.description, attributes };
}

/** Collects the scan-completion events the sandbox's ECR emits, as an EventBridge rule would deliver them. */
export function collectScanEvents(
  sandbox: Sandbox,
): (EcrScanEvent | InspectorScanEvent | InspectorFindingEvent)[] {
  const events: (EcrScanEvent | InspectorScanEvent | InspectorFindingEvent)[] = [];
  sandbox.ecr.onScanEvent((event) => events.push(event));
  return events;
}

/** The "ECR Image Scan" event ECR would send for an image that the sandbox holds, with its current scan. */
export function imageScanEvent(sandbox: Sandbox, repositoryName: string, digest: string): EcrScanEvent {
  const repository = sandbox.ecr.repositories.get(repositoryName);
  const image = repository?.images.get(digest);
  if (!repository || !image?.scan) throw new Error(`no scanned image ${repositoryName}@${digest}`);
  const counts: Record<string, number> = {};
  for (const f of image.scan.findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  return {
    version: "0",
    id: `evt-${digest.slice(7, 19)}`,
    "detail-type": "ECR Image Scan",
    source: "aws.ecr",
    account: "123456789012",
    time: "2026-11-29T06:00:00Z",
    region: "eu-west-1",
    resources: [repository.arn],
    detail: {
      "scan-status": image.scan.status === "FAILED" ? "FAILED" : "COMPLETE",
      "repository-name": repositoryName,
      "image-digest": digest,
      "image-tags": image.tags,
      "finding-severity-counts": counts,
    },
  };
}
