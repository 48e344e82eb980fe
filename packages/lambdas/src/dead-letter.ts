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
  // Why the message could not be dead-lettered has a key of its own: `reason` keeps why it is malformed.
  let moved: { deadLettered: boolean; deadLetterError?: string } = {
    deadLettered: false,
    deadLetterError: "no dead-letter queue configured",
  };
  if (dlqUrl) {
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: record.body }));
      moved = { deadLettered: true };
    } catch (error) {
      moved = { deadLettered: false, deadLetterError: describeError(error) };
    }
  }
  options.logger.error(
    moved.deadLettered
      ? `malformed ${options.queue} message moved to the dead-letter queue`
      : `malformed ${options.queue} message dropped: it could not be moved to the dead-letter queue`,
    { messageId: record.messageId, reason: options.error.message, ...moved },
  );
}
