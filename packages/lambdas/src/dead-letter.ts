import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { describeError } from "@ecr-scan-reporter/core";

/**
 * Moves a malformed message to the dead-letter queue as it is, so an operator can read it, instead of letting SQS
 * redeliver it until its redrive policy gives up. Returns where it went, or why it could not go there.
 */
export async function deadLetterMessage(
  sqs: SQSClient,
  dlqUrl: string | undefined,
  body: string,
): Promise<{ deadLettered: boolean; reason?: string }> {
  if (!dlqUrl) return { deadLettered: false, reason: "no dead-letter queue configured" };
  try {
    await sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: body }));
    return { deadLettered: true };
  } catch (error) {
    return { deadLettered: false, reason: describeError(error) };
  }
}
