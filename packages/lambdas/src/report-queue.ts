import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { buildRetryMessageBody, type RequeueFailedReporters } from "@ecr-scan-reporter/core";

/**
 * Sends a report's failed reporters back through SQS: to the report queue with the plan's delay, or to its
 * dead-letter queue once out of attempts. False when the queue to use is not configured.
 */
export function sqsRequeue(
  sqs: SQSClient,
  queues: { queueUrl?: string; dlqUrl?: string },
): RequeueFailedReporters {
  return async (job, failed, plan) => {
    const target = plan.destination === "dlq" ? queues.dlqUrl : queues.queueUrl;
    if (!target) return false;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: target,
        MessageBody: buildRetryMessageBody(job.rawEvent, failed, plan.attempt),
        DelaySeconds: plan.delaySeconds,
      }),
    );
    return true;
  };
}
