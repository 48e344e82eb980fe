// The KEV escalation message on the report queue: what schedule-scans writes, what report-findings reads (alone,
// or in a targeted-retry envelope), how a batch plans it beside scan events, and its send key.
import { describe, expect, it } from "vitest";
import { MessageError } from "../src/errors.js";
import {
  buildKevEscalationMessage,
  findingsNowKnownExploited,
  kevEscalationSendKey,
} from "../src/events/kev-escalation.js";
import { planReportJobs, type ReportRequest } from "../src/events/report-jobs.js";
import { buildRetryMessageBody, parseReportQueueMessage } from "../src/events/report-queue.js";
import { scanKeyOf } from "../src/ledger/records.js";
import type { Finding } from "../src/model.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const QUEUED_AT = new Date("2026-03-02T09:00:00Z");

const escalation = (cves = ["CVE-2021-44228"], tags = ["v1", "latest"]) =>
  buildKevEscalationMessage(
    { registryId: "123456789012", repository: "team-a/api", digest: DIGEST, tags, cves },
    { region: "eu-west-1", scanType: "BASIC", queuedAt: QUEUED_AT },
  );

function parsed(body: unknown, messageId = "m-1") {
  const message = parseReportQueueMessage(JSON.stringify(body), messageId);
  if (message.kind !== "scan-completed")
    throw new Error(`ignored: ${message.kind === "ignored" ? message.reason : message.kind}`);
  return message;
}

function malformed(body: unknown): string {
  try {
    parseReportQueueMessage(JSON.stringify(body), "m-bad");
  } catch (error) {
    expect(error).toBeInstanceOf(MessageError);
    return (error as Error).message;
  }
  throw new Error("parsed");
}

describe("the kev-escalation message", () => {
  it("is written with its version, kind and every field; its CVE ids normalized", () => {
    expect(escalation(["cve-2021-45105", "CVE-2021-44228", "CVE-2021-45105"])).toEqual({
      version: 1,
      kind: "kev-escalation",
      registryId: "123456789012",
      region: "eu-west-1",
      repository: "team-a/api",
      digest: DIGEST,
      tags: ["v1", "latest"],
      scanType: "BASIC",
      cves: ["CVE-2021-44228", "CVE-2021-45105"],
      queuedAt: "2026-03-02T09:00:00.000Z",
    });
  });

  it("is read as the scan completion of the image's last scan, with the escalation's CVE ids", () => {
    const message = parsed(escalation(), "sqs-1");
    expect(message).toEqual({
      kind: "scan-completed",
      event: {
        kind: "scan-completed",
        source: "kev-escalation",
        eventId: "sqs-1",
        account: "123456789012",
        region: "eu-west-1",
        registryId: "123456789012",
        repositoryName: "team-a/api",
        imageDigest: DIGEST,
        imageTags: ["v1", "latest"],
        scanType: "BASIC",
        scanStatus: "COMPLETE",
        time: "2026-03-02T09:00:00.000Z",
      },
      attempt: 1,
      rawEvent: escalation(),
      escalation: { cves: ["CVE-2021-44228"] },
    });
  });

  it("travels in a targeted-retry envelope like an EventBridge event", () => {
    const body = JSON.parse(buildRetryMessageBody(escalation(), ["slack"], 3));
    const retry = parsed(body);
    expect(retry).toMatchObject({
      retryReporters: ["slack"],
      attempt: 3,
      escalation: { cves: ["CVE-2021-44228"] },
      event: { source: "kev-escalation", imageDigest: DIGEST },
    });
    // Unwrapped again for the next retry: envelopes never nest.
    expect(JSON.parse(buildRetryMessageBody(retry.rawEvent, ["slack"], 4)).event).toEqual(escalation());
  });

  it("names what is wrong with a malformed one, which is dead-lettered like any malformed message", () => {
    const valid = escalation();
    expect(malformed({ ...valid, cves: [] })).toContain("cves");
    expect(malformed({ ...valid, cves: ["log4shell"] })).toContain(
      '"log4shell" is not a CVE id like CVE-2021-44228',
    );
    expect(malformed({ ...valid, digest: "sha256:abc" })).toContain("is not an image digest");
    expect(malformed({ ...valid, tags: [] })).toContain("tags");
    expect(malformed({ ...valid, version: 2 })).toContain(
      "KEV escalation version 2 is not one this release reads (1)",
    );
    expect(malformed({ ...valid, extra: true })).toContain("extra: is not a known key");
    expect(malformed({ ...valid, repository: "Team A" })).toContain("is not an ECR repository name");
    const { region: _region, ...withoutRegion } = valid;
    const message = malformed(withoutRegion);
    expect(message).toContain("report-queue message m-bad: not a valid KEV escalation: region:");
    // In an envelope, the message says so.
    expect(
      malformed({
        ecrScanReporter: { version: 1, retryReporters: ["sns"], attempt: 2 },
        event: withoutRegion,
      }),
    ).toContain("(in a retry envelope)");
  });
});

describe("planning escalations beside scan events", () => {
  const request = (messageId: string, body: unknown): ReportRequest => ({
    messageId,
    message: parsed(body, messageId),
  });
  const scanEvent = {
    version: "0",
    id: "e-1",
    "detail-type": "ECR Image Scan",
    source: "aws.ecr",
    account: "123456789012",
    time: "2026-03-02T09:01:00Z",
    region: "eu-west-1",
    resources: [],
    detail: {
      "scan-status": "COMPLETE",
      "repository-name": "team-a/api",
      "image-digest": DIGEST,
      "image-tags": ["v1"],
      "finding-severity-counts": { HIGH: 1 },
    },
  };

  it("never folds an escalation into a scan event of the same image, nor the other way round", () => {
    const jobs = planReportJobs([request("scan", scanEvent), request("kev", escalation())]);
    expect(jobs.map((job) => ({ ids: job.messageIds, escalation: job.escalation }))).toEqual([
      { ids: ["scan"], escalation: undefined },
      { ids: ["kev"], escalation: { cves: ["CVE-2021-44228"] } },
    ]);
  });

  it("folds the same escalation delivered twice, and its retry beside it, into one job for every reporter", () => {
    const retryBody = JSON.parse(buildRetryMessageBody(escalation(), ["slack"], 2));
    const jobs = planReportJobs([
      request("retry", retryBody),
      request("a", escalation()),
      request("b", escalation()),
      request("other-cves", escalation(["CVE-2021-45105"])),
    ]);
    expect(jobs.map((job) => ({ ids: job.messageIds, only: job.only, attempt: job.attempt }))).toEqual([
      { ids: ["retry", "a", "b"], only: undefined, attempt: 1 },
      { ids: ["other-cves"], only: undefined, attempt: 1 },
    ]);
  });

  it("merges two retries of one escalation: their reporters together, the later attempt", () => {
    const first = JSON.parse(buildRetryMessageBody(escalation(), ["slack"], 2));
    const second = JSON.parse(buildRetryMessageBody(escalation(), ["sns"], 3));
    const [job, ...rest] = planReportJobs([request("r1", first), request("r2", second)]);
    expect(rest).toEqual([]);
    expect(job).toMatchObject({ messageIds: ["r1", "r2"], only: ["slack", "sns"], attempt: 3 });
  });
});

describe("the send key and the findings now known exploited", () => {
  it("is the scan key and the CVE ids, sorted and in upper case, whatever order or time format they came in", () => {
    const key = kevEscalationSendKey(DIGEST, "2026-03-01T08:00:00Z", ["CVE-2021-45105", "cve-2021-44228"]);
    expect(key).toBe(`${DIGEST}#2026-03-01T08:00:00.000Z#kev:CVE-2021-44228,CVE-2021-45105`);
    expect(
      kevEscalationSendKey(DIGEST, "2026-03-01T08:00:00.000Z", ["CVE-2021-44228", "CVE-2021-45105"]),
    ).toBe(key);
    // Never the scan's own key: an escalation of a scan already sent is not held as that scan.
    expect(key.startsWith(`${scanKeyOf(DIGEST, "2026-03-01T08:00:00Z")}#kev:`)).toBe(true);
    expect(key).not.toBe(scanKeyOf(DIGEST, "2026-03-01T08:00:00Z"));
    expect(kevEscalationSendKey(DIGEST, "2026-03-01T08:00:00Z", ["CVE-2021-44228"])).not.toBe(key);
  });

  it("picks the findings with one of the CVE ids, in any case, every package of it", () => {
    const findings: Finding[] = [
      { id: "CVE-2021-44228", severity: "CRITICAL", title: "", packageName: "log4j-core" },
      { id: "cve-2021-44228", severity: "CRITICAL", title: "", packageName: "log4j-api" },
      { id: "CVE-2022-3602", severity: "HIGH", title: "", packageName: "openssl" },
    ];
    expect(findingsNowKnownExploited(findings, ["CVE-2021-44228"]).map((f) => f.packageName)).toEqual([
      "log4j-core",
      "log4j-api",
    ]);
    expect(findingsNowKnownExploited(findings, ["CVE-2014-0160"])).toEqual([]);
  });
});
