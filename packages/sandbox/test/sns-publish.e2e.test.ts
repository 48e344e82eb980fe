import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index.js";

// The sandbox's SNS Publish checks what SNS documents, through the real SDK client:
// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html and
// https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html.

let sandbox: Sandbox;
let sns: SNSClient;
let topicArn: string;

beforeEach(async () => {
  sandbox = await startSandbox();
  sns = new SNSClient({
    region: "eu-west-1",
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    maxAttempts: 1,
  });
  topicArn = sandbox.sns.createTopic("findings");
});
afterEach(async () => {
  sns.destroy();
  await sandbox.close();
});

const attributes = { severity: { DataType: "String", StringValue: "CRITICAL" } };

describe("the sandbox's SNS Publish", () => {
  it("delivers message attributes with a String message structure", async () => {
    await sns.send(
      new PublishCommand({ TopicArn: topicArn, Message: "text", MessageAttributes: attributes }),
    );
    expect(sandbox.sns.published[0]?.messageAttributes).toEqual({
      severity: { dataType: "String", value: "CRITICAL" },
    });
  });

  it("delivers none with a JSON message structure, as SNS documents", async () => {
    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        MessageStructure: "json",
        Message: JSON.stringify({ default: "text" }),
        MessageAttributes: attributes,
      }),
    );
    expect(sandbox.sns.published[0]?.messageAttributes).toEqual({});
  });

  it.each([
    ["99 characters", "a".repeat(99), true],
    ["UTF-8 text", "Befund: Schwachstelle gefunden — prüfen", true],
    ["100 characters", "a".repeat(100), false],
    ["a line break", "two\nlines", false],
    ["a control character", "bell\u0007", false],
  ])("takes a subject of %s: %s", async (_what, subject, accepted) => {
    const publish = sns.send(new PublishCommand({ TopicArn: topicArn, Message: "text", Subject: subject }));
    if (accepted) await expect(publish).resolves.toHaveProperty("MessageId");
    else await expect(publish).rejects.toMatchObject({ name: "InvalidParameterException" });
  });
});
