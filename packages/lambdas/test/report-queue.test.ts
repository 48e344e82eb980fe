import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { ReportJob } from "@ecr-scan-reporter/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { sqsRequeue } from "../src/report-queue.js";

const QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/report";
const DLQ = "https://sqs.eu-west-1.amazonaws.com/123456789012/report-dlq";
const sqsMock = mockClient(SQSClient);
const rawEvent = { "detail-type": "ECR Image Scan", detail: { "image-digest": "sha256:abc" } };
const job = { rawEvent } as unknown as ReportJob;
const client = () => new SQSClient({ region: "eu-west-1" });

const sentInputs = () => sqsMock.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
const envelopeOf = (body: string | undefined) => JSON.parse(body ?? "{}") as Record<string, unknown>;

describe("sqsRequeue", () => {
  beforeEach(() => {
    sqsMock.reset();
    sqsMock.on(SendMessageCommand).resolves({ MessageId: "sent" });
  });

  it("sends a targeted retry of the named reporters to the report queue with the asked delay", async () => {
    const requeue = sqsRequeue(client(), { queueUrl: QUEUE, dlqUrl: DLQ });
    await expect(
      requeue({ job, destination: "queue", delaySeconds: 120, reporters: ["slack"], attempt: 3 }),
    ).resolves.toBe(true);
    const [sent] = sentInputs();
    expect(sent).toMatchObject({ QueueUrl: QUEUE, DelaySeconds: 120 });
    expect(envelopeOf(sent?.MessageBody)).toMatchObject({
      ecrScanReporter: { retryReporters: ["slack"], attempt: 3 },
      event: rawEvent,
    });
    expect(envelopeOf(sent?.MessageBody).ecrScanReporter).not.toHaveProperty("findingsWaits");
  });

  it("parks a report in the dead-letter queue when asked to", async () => {
    const requeue = sqsRequeue(client(), { queueUrl: QUEUE, dlqUrl: DLQ });
    await expect(
      requeue({ job, destination: "dlq", delaySeconds: 0, reporters: ["sns"], attempt: 5 }),
    ).resolves.toBe(true);
    expect(sentInputs().map((s) => [s.QueueUrl, s.DelaySeconds])).toEqual([[DLQ, 0]]);
  });

  it("sends a report waiting for its findings as a findings wait, for every reporter when none is named", async () => {
    const requeue = sqsRequeue(client(), { queueUrl: QUEUE, dlqUrl: DLQ });
    await requeue({ job, destination: "queue", delaySeconds: 60, attempt: 1, findingsWaits: 2 });
    const [sent] = sentInputs();
    expect(sent).toMatchObject({ QueueUrl: QUEUE, DelaySeconds: 60 });
    const envelope = envelopeOf(sent?.MessageBody).ecrScanReporter;
    expect(envelope).toMatchObject({ attempt: 1, findingsWaits: 2 });
    expect(envelope).not.toHaveProperty("retryReporters");
  });

  it("keeps the reporters a findings wait carries", async () => {
    const requeue = sqsRequeue(client(), { queueUrl: QUEUE });
    await requeue({
      job,
      destination: "queue",
      delaySeconds: 60,
      reporters: ["sns#2"],
      attempt: 2,
      findingsWaits: 1,
    });
    expect(envelopeOf(sentInputs()[0]?.MessageBody).ecrScanReporter).toMatchObject({
      retryReporters: ["sns#2"],
      attempt: 2,
      findingsWaits: 1,
    });
  });

  it("refuses a retry that names no reporter (neither a targeted retry nor a findings wait)", async () => {
    const requeue = sqsRequeue(client(), { queueUrl: QUEUE });
    await expect(requeue({ job, destination: "queue", delaySeconds: 60, attempt: 2 })).rejects.toThrow(
      RangeError,
    );
    expect(sentInputs()).toEqual([]);
  });

  it.each([
    ["queue", { dlqUrl: DLQ }],
    ["dlq", { queueUrl: QUEUE }],
  ] as const)(
    "answers false and sends nothing when the %s is not configured",
    async (destination, queues) => {
      const requeue = sqsRequeue(client(), queues);
      await expect(
        requeue({ job, destination, delaySeconds: 0, reporters: ["sns"], attempt: 2 }),
      ).resolves.toBe(false);
      expect(sentInputs()).toEqual([]);
    },
  );
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  sqsMock.restore();
});
