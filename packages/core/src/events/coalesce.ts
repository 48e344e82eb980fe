/**
 * Coalescing scan completions: one report per image per batch, not one per finding. Every report is built from all
 * current findings of the image, so every event about the same image (registry, repository, digest) asks for the
 * same report — a burst of Inspector finding events, EventBridge's duplicate deliveries, an Inspector2 Scan event
 * beside them. How the queue, the batch window and the retries fit around it: docs/architecture.md, "How a report
 * travels".
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
