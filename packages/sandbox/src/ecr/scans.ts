import { randomUUID } from "node:crypto";
import { AwsError } from "../aws-error.js";
import type { CveRecord } from "../data/cve-records.js";
import { basicFindingFrom, enhancedFindingFrom, recordsFoundIn } from "../data/findings.js";
import { isScannableImage } from "./store.js";
import type {
  BasicFinding,
  EcrOptions,
  EcrScanEvent,
  EnhancedFinding,
  InspectorFindingEvent,
  InspectorScanEvent,
  SandboxImage,
  SandboxRepository,
} from "./types.js";

// How scans behave, copied from ECR's documentation (docs/architecture.md, "The sandbox", lists them all):
// - a basic scan is IN_PROGRESS, then COMPLETE or FAILED, and sends an "ECR Image Scan" event
//   (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-basic.html,
//   https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html);
// - an ENHANCED registry refuses StartImageScan and Amazon Inspector scans every pushed image itself, sending an
//   "Inspector2 Scan" event (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced.html,
//   https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced-events.html).

/**
 * ECR's documented quotas: one basic scan per image per 24 h (a scan on push included), 100,000 per registry per
 * 24 h. Sources: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_StartImageScan.html,
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html
 */
export const SCANS_PER_IMAGE_PER_DAY = 1;
export const DEFAULT_SCANS_PER_REGISTRY_PER_DAY = 100_000;
const DAY_MS = 86_400_000;

export type ScanEventListener = (event: EcrScanEvent | InspectorScanEvent | InspectorFindingEvent) => void;

/** Counts per severity of findings, absent keys for zero, as ECR writes `findingSeverityCounts`. */
export function severityCounts(findings: readonly { severity: unknown }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[String(f.severity)] = (counts[String(f.severity)] ?? 0) + 1;
  return counts;
}

/** Scans that finish after `scanDurationMs`, the quotas that refuse them, and the events they send. */
export class ScanSimulator {
  scanType: "BASIC" | "ENHANCED" = "BASIC";
  private readonly registryScanStarts: number[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners: ScanEventListener[] = [];
  /** Enhanced findings Inspector has not published yet (see EcrOptions.enhancedFindingsAtEvent). */
  private readonly lateFindings: {
    repository: SandboxRepository;
    image: SandboxImage;
    findings: EnhancedFinding[];
  }[] = [];
  private pendingScans = 0;
  private idle: (() => void)[] = [];
  /** Records the vulnerability feed published after the dataset (publishCves), in order. */
  private readonly feedUpdates: CveRecord[] = [];

  constructor(private readonly options: EcrOptions) {}

  onScanEvent(listener: ScanEventListener): void {
    this.listeners.push(listener);
  }

  pendingScanCount(): number {
    return this.pendingScans;
  }

  whenScansSettled(): Promise<void> {
    if (this.pendingScans === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Stops pending scan timers. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** A pushed (or seeded) image: its seeded scan counts toward the registry quota; Inspector scans it if enhanced. */
  imagePushed(repository: SandboxRepository, image: SandboxImage, at: number): void {
    for (const startedAt of image.scanStarts)
      if (at - startedAt < DAY_MS) this.registryScanStarts.push(startedAt);
    // Under enhanced scanning Amazon Inspector scans every pushed image by itself (continuous scanning).
    if (this.scanType === "ENHANCED" && !image.scan && isScannableImage(image))
      this.inspectLater(repository, image);
  }

  /** StartImageScan's checks after the image is found, in its order; the scan then completes later. */
  start(repository: SandboxRepository, image: SandboxImage): void {
    // What ECR answers under enhanced scanning, word for word: it never mentions enhanced scanning
    // (reported by users, e.g. https://github.com/alexjurkiewicz/ecr-scan-image/issues/44; moto answers the same).
    if (this.scanType === "ENHANCED") throw new AwsError("ValidationException", "This feature is disabled");
    // https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_StartImageScan.html (ImageArchivedException)
    if (image.status !== "ACTIVE") {
      throw new AwsError("ImageArchivedException", "The specified image is archived and cannot be scanned.");
    }
    if (!isScannableImage(image)) {
      const mediaType = image.artifactMediaType ?? image.manifestMediaType;
      throw new AwsError(
        "UnsupportedImageTypeException",
        `An artifact with media type ${mediaType} cannot be scanned`,
      );
    }
    const now = this.options.now();
    if (image.scanStarts.filter((t) => now - t < DAY_MS).length >= SCANS_PER_IMAGE_PER_DAY) {
      throw new AwsError(
        "LimitExceededException",
        "The scan quota per image has been exceeded. Wait and try again.",
      );
    }
    while (this.registryScanStarts.length > 0 && now - (this.registryScanStarts[0] ?? now) >= DAY_MS) {
      this.registryScanStarts.shift();
    }
    if (this.registryScanStarts.length >= this.options.scansPerRegistryPerDay) {
      throw new AwsError("LimitExceededException", "The scan quota per registry has been exceeded.");
    }
    image.scanStarts.push(now);
    this.registryScanStarts.push(now);
    image.scan = { status: "IN_PROGRESS", findings: [], enhancedFindings: [] };
    this.completeScanLater(repository, image);
  }

  /**
   * The vulnerability feed publishes new records: every scan that completes from now on finds those about a package
   * version the image has (data/findings.ts, recordsFoundIn), as a scanner's updated database does. Scans already
   * complete keep what they found; a record published twice counts once.
   */
  publishCves(records: readonly CveRecord[]): void {
    for (const record of records)
      if (!this.feedUpdates.some((r) => r.id === record.id)) this.feedUpdates.push(record);
  }

  /** The records the feed published after the dataset, in order. */
  publishedCves(): readonly CveRecord[] {
    return this.feedUpdates;
  }

  /** Basic findings for an image: the configured generator's, or a few real CVEs picked by digest. */
  private basicFindingsFor(repository: SandboxRepository, image: SandboxImage): BasicFinding[] {
    if (this.options.findingsFor) return this.options.findingsFor(repository.name, image);
    return recordsFoundIn(image.digest, this.feedUpdates).map(basicFindingFrom);
  }

  /** Runs `finish` after the scan duration, counting the scan as pending until then. */
  private later(finish: () => void): void {
    this.pendingScans += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.pendingScans -= 1;
      finish();
      if (this.pendingScans === 0) for (const resolve of this.idle.splice(0)) resolve();
    }, this.options.scanDurationMs);
    this.timers.add(timer);
  }

  /** Amazon Inspector's initial scan of an image pushed to an enhanced registry: ACTIVE, then an Inspector2 Scan event. */
  private inspectLater(repository: SandboxRepository, image: SandboxImage): void {
    image.scan = { status: "PENDING", findings: [], enhancedFindings: [] };
    this.later(() => {
      const at = new Date(this.options.now());
      const records = recordsFoundIn(image.digest, this.feedUpdates);
      const allFindings = records.map((r) =>
        enhancedFindingFrom(r, {
          accountId: this.options.accountId,
          region: this.options.region,
          repositoryName: repository.name,
          digest: image.digest,
          tags: image.tags,
          at,
        }),
      );
      const readable = Math.ceil(allFindings.length * this.options.enhancedFindingsAtEvent);
      const enhancedFindings = allFindings.slice(0, readable);
      image.scan = {
        status: "ACTIVE",
        description: "Continuous scan is selected for image.",
        completedAt: at,
        vulnerabilitySourceUpdatedAt: at,
        findings: [],
        enhancedFindings,
      };
      const late = allFindings.slice(readable);
      if (late.length > 0) this.lateFindings.push({ repository, image, findings: late });
      if (late.length > 0 && this.options.lateFindingsDelayMs !== undefined) {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.releaseLateFindings();
        }, this.options.lateFindingsDelayMs);
        this.timers.add(timer);
      }
      this.send({
        version: "0",
        id: randomUUID(),
        "detail-type": "Inspector2 Scan",
        source: "aws.inspector2",
        account: this.options.accountId,
        time: at.toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: this.options.region,
        resources: [repository.arn],
        detail: {
          "scan-status": "INITIAL_SCAN_COMPLETE",
          "repository-name": repository.arn,
          // The event counts every finding, also those not readable yet.
          "finding-severity-counts": { ...severityCounts(allFindings), TOTAL: allFindings.length },
          "image-digest": image.digest,
          "image-tags": image.tags,
        },
      });
    });
  }

  private completeScanLater(repository: SandboxRepository, image: SandboxImage): void {
    this.later(() => {
      const completedAt = new Date(this.options.now());
      const next = image.nextScan;
      if (next.outcome === "fail") {
        image.scan = {
          status: "FAILED",
          description: next.description,
          completedAt,
          findings: [],
          enhancedFindings: [],
        };
      } else {
        image.scan = {
          status: "COMPLETE",
          description: "The scan was completed successfully.",
          completedAt,
          vulnerabilitySourceUpdatedAt: completedAt,
          findings: next.findings ?? this.basicFindingsFor(repository, image),
          enhancedFindings: [],
        };
      }
      const scan = image.scan;
      this.send({
        version: "0",
        id: randomUUID(),
        "detail-type": "ECR Image Scan",
        source: "aws.ecr",
        account: this.options.accountId,
        time: new Date(this.options.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: this.options.region,
        resources: [repository.arn],
        detail: {
          "scan-status": scan.status === "FAILED" ? "FAILED" : "COMPLETE",
          "repository-name": repository.name,
          "image-digest": image.digest,
          "image-tags": image.tags,
          "finding-severity-counts": severityCounts(scan.findings),
        },
      });
    });
  }

  /**
   * Makes the findings Inspector published after its scan event readable, sending an Inspector2 Finding event
   * for each, as Inspector does. Returns how many were released.
   */
  releaseLateFindings(): number {
    let released = 0;
    for (const { repository, image, findings } of this.lateFindings.splice(0)) {
      image.scan?.enhancedFindings.push(...findings);
      released += findings.length;
      for (const finding of findings) {
        this.send({
          version: "0",
          id: randomUUID(),
          "detail-type": "Inspector2 Finding",
          source: "aws.inspector2",
          account: this.options.accountId,
          time: new Date(this.options.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
          region: this.options.region,
          resources: [String(finding.findingArn)],
          detail: {
            ...finding,
            resources: [
              {
                type: "AWS_ECR_CONTAINER_IMAGE",
                id: `${repository.arn}/${image.digest}`,
                details: {
                  awsEcrContainerImage: {
                    registry: this.options.accountId,
                    repositoryName: repository.name,
                    imageHash: image.digest,
                    imageTags: image.tags,
                  },
                },
              },
            ],
          },
        });
      }
    }
    return released;
  }

  private send(event: EcrScanEvent | InspectorScanEvent | InspectorFindingEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
