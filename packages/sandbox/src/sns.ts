import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { notAuthorizedMessage } from "./iam/authorizer.js";
import { snsRequests } from "./iam/requests.js";
import { type AwsHttpServer, xmlEscape } from "./server.js";

/** One message published to a sandbox topic. */
export interface PublishedMessage {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  messageStructure?: string;
  /**
   * The attributes as subscribers get them (and filter policies test them): none when the message structure is
   * `json` — "Message attributes are sent only when the message structure is String, not JSON"
   * (https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html).
   */
  messageAttributes: Record<string, { dataType: string; value: string }>;
  messageGroupId?: string;
  messageDeduplicationId?: string;
  at: number;
}

class SnsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/**
 * SNS Publish limits from the API reference (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html): 256 KB
 * with attributes; a subject of UTF-8 text with no line breaks or control characters, less than 100 characters.
 */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
const SUBJECT_CONTROL = /\p{Cc}/u;

/** An in-memory Amazon SNS speaking the AWS query protocol (form-encoded requests, XML answers). */
export class SnsSandbox {
  readonly topics = new Map<string, { arn: string; name: string; attributes: Record<string, string> }>();
  readonly published: PublishedMessage[] = [];

  constructor(private readonly options: { accountId: string; region: string }) {}

  createTopic(name: string): string {
    const arn = `arn:aws:sns:${this.options.region}:${this.options.accountId}:${name}`;
    if (!this.topics.has(arn)) {
      this.topics.set(arn, {
        arn,
        name,
        attributes: { TopicArn: arn, DisplayName: "", FifoTopic: String(name.endsWith(".fifo")) },
      });
    }
    return arn;
  }

  /** Registers itself on the server as a handler of form-encoded SNS requests. */
  attach(server: AwsHttpServer): void {
    server.addRawHandler((req, body, res) => this.handle(server, req, body, res));
  }

  private handle(server: AwsHttpServer, req: IncomingMessage, body: Buffer, res: ServerResponse): boolean {
    if (req.method !== "POST" || !String(req.headers["content-type"] ?? "").includes("x-www-form-urlencoded"))
      return false;
    const params = new URLSearchParams(body.toString("utf8"));
    if (params.get("Version") !== "2010-03-31") return false;
    const action = params.get("Action") ?? "";
    const requestId = randomUUID();
    const reply = (status: number, xml: string) => {
      res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": requestId });
      res.end(xml);
    };
    // A denied request: 403 AuthorizationError, the action spelled "SNS:Publish" as SNS spells it ("User: … is not
    // authorized to perform: SNS:Publish on resource: … because no identity-based policy allows the SNS:Publish
    // action", as users report it, e.g. in the AWS SDK for JavaScript's troubleshooting notes).
    const denial = server.authorize(req, "sns", action, snsRequests(this.options, action, params));
    if (denial) {
      server.recordCall("sns", action, 403);
      const message = notAuthorizedMessage(denial, (a) => a.replace(/^sns:/, "SNS:"));
      reply(403, this.errorXml(new SnsError("AuthorizationError", message, 403), requestId));
      return true;
    }
    if (!server.admit("sns", action)) {
      reply(400, this.errorXml(new SnsError("Throttling", "Rate exceeded"), requestId));
      return true;
    }
    try {
      const result = this.run(action, params);
      reply(
        200,
        `<${action}Response xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      );
    } catch (error) {
      const snsError = error instanceof SnsError ? error : new SnsError("InternalError", String(error), 500);
      reply(snsError.status, this.errorXml(snsError, requestId));
    }
    return true;
  }

  private errorXml(error: SnsError, requestId: string): string {
    return `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${error.status >= 500 ? "Receiver" : "Sender"}</Type><Code>${error.code}</Code><Message>${xmlEscape(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  }

  private topic(arn: string | null) {
    const topic = arn ? this.topics.get(arn) : undefined;
    if (!topic) throw new SnsError("NotFound", "Topic does not exist", 404);
    return topic;
  }

  private run(action: string, params: URLSearchParams): string {
    switch (action) {
      case "CreateTopic":
        return `<TopicArn>${xmlEscape(this.createTopic(params.get("Name") ?? ""))}</TopicArn>`;
      case "GetTopicAttributes": {
        const topic = this.topic(params.get("TopicArn"));
        const entries = Object.entries(topic.attributes)
          .map(([k, v]) => `<entry><key>${xmlEscape(k)}</key><value>${xmlEscape(v)}</value></entry>`)
          .join("");
        return `<Attributes>${entries}</Attributes>`;
      }
      case "Publish":
        return `<MessageId>${this.publish(params)}</MessageId>`;
      default:
        throw new SnsError("InvalidAction", `The action ${action} is not valid for this web service.`);
    }
  }

  private publish(params: URLSearchParams): string {
    const topic = this.topic(params.get("TopicArn"));
    const message = params.get("Message");
    if (!message) throw new SnsError("InvalidParameter", "Invalid parameter: Message");
    const subject = params.get("Subject") ?? undefined;
    if (
      subject !== undefined &&
      ([...subject].length >= 100 || subject === "" || SUBJECT_CONTROL.test(subject))
    ) {
      throw new SnsError("InvalidParameter", "Invalid parameter: Subject");
    }
    const messageStructure = params.get("MessageStructure") ?? undefined;
    if (messageStructure === "json") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(message);
      } catch {
        throw new SnsError(
          "InvalidParameter",
          "Invalid parameter: Message Structure - JSON message body failed to parse",
        );
      }
      if (typeof (parsed as Record<string, unknown> | null)?.default !== "string") {
        throw new SnsError(
          "InvalidParameter",
          "Invalid parameter: Message Structure - No default entry in JSON message body",
        );
      }
    }
    const messageAttributes: PublishedMessage["messageAttributes"] = {};
    let attributeBytes = 0;
    for (let i = 1; params.has(`MessageAttributes.entry.${i}.Name`); i++) {
      const name = params.get(`MessageAttributes.entry.${i}.Name`) ?? "";
      const dataType = params.get(`MessageAttributes.entry.${i}.Value.DataType`) ?? "";
      const value = params.get(`MessageAttributes.entry.${i}.Value.StringValue`) ?? "";
      messageAttributes[name] = { dataType, value };
      attributeBytes += Buffer.byteLength(name) + Buffer.byteLength(dataType) + Buffer.byteLength(value);
    }
    if (Buffer.byteLength(message) + attributeBytes > SNS_MAX_MESSAGE_BYTES) {
      throw new SnsError("InvalidParameter", "Invalid parameter: Message too long");
    }
    const fifo = topic.name.endsWith(".fifo");
    if (fifo && !params.get("MessageGroupId")) {
      throw new SnsError(
        "InvalidParameter",
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
      );
    }
    const messageId = randomUUID();
    this.published.push({
      messageId,
      topicArn: topic.arn,
      subject,
      message,
      messageStructure,
      messageAttributes: messageStructure === "json" ? {} : messageAttributes,
      messageGroupId: params.get("MessageGroupId") ?? undefined,
      messageDeduplicationId: params.get("MessageDeduplicationId") ?? undefined,
      at: Date.now(),
    });
    return messageId;
  }
}
