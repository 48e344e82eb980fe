// terraform/tests/queues.tftest.hcl checks that the report queue keeps a message longer than it may wait there,
// which starts with the longest delay report-findings gives a message it re-sends: a test input of that file,
// longest_report_requeue_delay_s. This derives that delay from the functions that decide it (a reporter's retry, a
// wait for findings), so that a longer back-off in the code fails here until the Terraform test checks it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  MAX_FINDINGS_WAITS,
  MAX_REPORT_ATTEMPTS,
  planFindingsWait,
  planReporterRetry,
  SQS_MAX_DELAY_SECONDS,
} from "@ecr-scan-reporter/core";
import { describe, expect, it } from "vitest";
import { MODULE_DIR } from "./support/terraform.js";

const QUEUES_TEST = join(MODULE_DIR, "tests", "queues.tftest.hcl");

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

/** The value of a file-level number variable of the test file (`name = 123`), which must be set exactly once. */
function testInput(source: string, name: string): number {
  const values = [...source.matchAll(new RegExp(`^\\s*${name}\\s*=\\s*(\\d+)\\s*$`, "gm"))].map((m) => m[1]);
  expect(values, `${name} is set once in ${QUEUES_TEST}`).toHaveLength(1);
  return Number(values[0]);
}

describe("the report queue's retention, against the code's longest re-send delay", () => {
  it("re-sends messages with delays, none over SQS's longest", () => {
    const delays = requeueDelays();
    // Both kinds of re-send exist: otherwise this would bound nothing.
    expect(delays.length).toBeGreaterThanOrEqual(2);
    expect(delays.every((delay) => delay > 0 && delay <= SQS_MAX_DELAY_SECONDS)).toBe(true);
  });

  it("queues.tftest.hcl bounds the wait with the longest of them", () => {
    const source = readFileSync(QUEUES_TEST, "utf8");
    expect(testInput(source, "longest_report_requeue_delay_s")).toBe(Math.max(...requeueDelays()));
    // The bound is used by the retention assertions of both runs.
    expect(source.match(/var\.longest_report_requeue_delay_s/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
  });
});
