// The report queue's precondition (terraform/reporter.tf) bounds how long a message may wait to become visible by
// SQS's longest delay, 900 s, not the queue's own: report-findings re-sends messages with delays of its own. This
// derives those delays from the functions that decide them (a reporter's retry, a wait for findings), so that a
// back-off the bound would not cover fails here.
import {
  MAX_FINDINGS_WAITS,
  MAX_REPORT_ATTEMPTS,
  planFindingsWait,
  planReporterRetry,
  SQS_MAX_DELAY_SECONDS,
} from "@ecr-scan-reporter/core";
import { describe, expect, it } from "vitest";

/** Every DelaySeconds report-findings may send a message back to the report queue with. */
function requeueDelays(): number[] {
  const retries: number[] = [];
  // A delivery's attempt number runs from 1 (the event) up; after MAX_REPORT_ATTEMPTS the reporters are parked.
  for (let attempt = 1; attempt <= MAX_REPORT_ATTEMPTS; attempt++) {
    const plan = planReporterRetry(attempt);
    if (plan.destination === "queue") retries.push(plan.delaySeconds);
  }
  const waits: number[] = [];
  // A report whose event counted 1 finding and that read none waits, until it has waited its last time.
  for (let waited = 0; waited <= MAX_FINDINGS_WAITS; waited++) {
    const wait = planFindingsWait(1, 0, waited);
    if (wait) waits.push(wait.delaySeconds);
  }
  return [...retries, ...waits];
}

describe("the report queue's retention bound, against the code's re-send delays", () => {
  it("re-sends messages with delays, none over SQS's longest", () => {
    const delays = requeueDelays();
    // Both kinds of re-send exist: otherwise this would bound nothing.
    expect(delays.length).toBeGreaterThanOrEqual(2);
    expect(delays.every((delay) => delay > 0 && delay <= SQS_MAX_DELAY_SECONDS)).toBe(true);
  });
});
