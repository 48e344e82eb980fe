import type { Logger } from "@aws-lambda-powertools/logger";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { describeError, type MessageError } from "@ecr-scan-reporter/core";

/**
 * Moves a malformed queue message to the dead-letter queue as it is, so an operator can read it, instead of letting
 * SQS redeliver it until its redrive policy gives up; logs it with its id, why it is malformed and where it went.
 */
export async function deadLetterMalformedMessage(options: {
  sqs: SQSClient;
  dlqUrl: string | undefined;
  record: { messageId: string; body: string };
  error: MessageError;
  logger: Logger;
  queue: "scan" | "report";
}): Promise<void> {
  const { sqs, dlqUrl, record } = options;
  let moved: { deadLettered: boolean; reason?: string } = {
    deadLettered: false,
    reason: "no dead-letter queue configured",
  };
  if (dlqUrl) {
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: record.body }));
      moved = { deadLettered: true };
    } catch (error) {
      moved = { deadLettered: false, reason: describeError(error) };
    }
  }
  options.logger.error(`malformed ${options.queue} message moved to the dead-letter queue`, {
    messageId: record.messageId,
    reason: options.error.message,
    ...moved,
  });
}
