import type { SendEmailCommandInput } from "@aws-sdk/client-sesv2";
import { formatEml } from "@ecr-scan-reporter/core";

/** The `.eml` file an SES v2 `Simple` SendEmail request stands for: what a mail client would show. */
export function toEml(input: SendEmailCommandInput, date: Date): string {
  const simple = input.Content?.Simple;
  return formatEml({
    from: input.FromEmailAddress ?? "",
    to: input.Destination?.ToAddresses ?? [],
    cc: input.Destination?.CcAddresses,
    replyTo: input.ReplyToAddresses,
    subject: simple?.Subject?.Data ?? "",
    text: simple?.Body?.Text?.Data,
    html: simple?.Body?.Html?.Data,
    date,
  });
}
