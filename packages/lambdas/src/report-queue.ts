import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import {
  buildFindingsWaitMessageBody,
  buildRetryMessageBody,
  type RequeueReport,
} from "@ecr-scan-reporter/core";

/**
 * Sends a report back through SQS: to the report queue with the asked delay (a targeted retry of failed reporters,
 * or a report waiting for its findings), or to its dead-letter queue once out of attempts. False when the queue to
 * use is not configured.
 */
export function sqsRequeue(sqs: SQSClient, queues: { queueUrl?: string; dlqUrl?: string }): RequeueReport {
  return async ({ job, destination, delaySeconds, reporters, attempt, findingsWaits }) => {
    const target = destination === "dlq" ? queues.dlqUrl : queues.queueUrl;
    if (!target) return false;
    const body =
      findingsWaits !== undefined
        ? buildFindingsWaitMessageBody(job.rawEvent, findingsWaits, { reporters, attempt })
        : buildRetryMessageBody(job.rawEvent, reporters ?? [], attempt);
    await sqs.send(
      new SendMessageCommand({ QueueUrl: target, MessageBody: body, DelaySeconds: delaySeconds }),
    );
    return true;
  };
}
