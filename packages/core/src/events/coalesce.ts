/**
 * Coalescing scan completions: one report per image per batch, not one per finding.
 *
 * Amazon Inspector sends an `Inspector2 Finding` event for every finding it creates, updates or
 * closes, so an image with 300 vulnerabilities produces 300 events within seconds, and a rescan
 * after a vulnerability-feed update produces another burst. Each event names only its own finding,
 * but the report never needs it: report-findings always fetches every current finding of the image
 * with DescribeImageScanFindings. So every event for the same image (registry, repository, digest)
 * asks for the same report, and one report per image answers all of them.
 *
 * How the pieces fit:
 * - The Terraform module lets the report queue's event source mapping wait for a batch
 *   (`MaximumBatchingWindowInSeconds`, with a batch size well above 10), so that a burst of finding
 *   events for one image lands in one invocation, and gives the queue a short delivery delay so
 *   Inspector has finished writing the findings before the first message is read.
 * - report-findings parses every record (parseReportQueueMessage), then calls
 *   coalesceScanCompletions on the scan completions of the batch and reports once per unique image.
 *   `groups` tells it which records each report stands for: if that report fails, all of them go
 *   back in `batchItemFailures`, so none is deleted unreported. A targeted retry (which runs only
 *   some reporters) is not folded into a plain event's group blindly: the handler coalesces retries
 *   apart, or drops a retry when the same batch holds a plain event for the image, which runs every
 *   reporter anyway.
 * - A burst may still straddle two batches (the window closed, the batch was full, or Lambda polled
 *   with several concurrent batches): the image is then reported once per batch, which is a few
 *   reports, never one per finding. The GitHub reporter updates its issue in place either way.
 *
 * The same rule also folds EventBridge's at-least-once duplicates (the same event id twice) and an
 * Inspector2 Scan event that arrives beside the finding events of the same image.
 */

import type { ScanCompleted } from "./scan-event.js";

/** The result of coalescing one batch. */
export interface CoalescedScanCompletions {
  /** One entry per image, in the order each image first appears; the latest event (by `time`) of the image. */
  unique: ScanCompleted[];
  /** How many input events were folded into another entry. */
  duplicates: number;
  /** `groups[i]` lists the input positions (ascending) that `unique[i]` stands for. */
  groups: number[][];
}

/** The identity of the image a scan completion is about: registry, repository and digest. */
export function scanCompletionKey(
  event: Pick<ScanCompleted, "registryId" | "repositoryName" | "imageDigest">,
): string {
  return `${event.registryId}/${event.repositoryName}@${event.imageDigest}`;
}

/**
 * Keeps one scan completion per (registryId, repositoryName, imageDigest) of a batch: the latest by
 * event time (the later one in the batch on a tie), at the position where the image first appears.
 */
export function coalesceScanCompletions(events: readonly ScanCompleted[]): CoalescedScanCompletions {
  const slots = new Map<string, { event: ScanCompleted; time: number; group: number[] }>();
  events.forEach((event, index) => {
    const key = scanCompletionKey(event);
    const time = Date.parse(event.time);
    const slot = slots.get(key);
    if (!slot) {
      slots.set(key, { event, time, group: [index] });
      return;
    }
    slot.group.push(index);
    // NaN (an unparsable time) never wins over a real one, and never blocks a later real one.
    if (!(time < slot.time) && !(Number.isNaN(time) && !Number.isNaN(slot.time))) {
      slot.event = event;
      slot.time = time;
    }
  });
  const kept = [...slots.values()];
  return {
    unique: kept.map((slot) => slot.event),
    duplicates: events.length - kept.length,
    groups: kept.map((slot) => slot.group),
  };
}
