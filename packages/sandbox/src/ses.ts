import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AwsHttpServer } from "./server.js";

/** One e-mail accepted by the sandbox's SES v2 SendEmail. */
export interface SentEmail {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  replyTo: string[];
  subject: string;
  html?: string;
  text?: string;
  configurationSet?: string;
  at: number;
}

/** The address inside `Name <addr@domain>` or a bare address. */
function addressOf(text: string): string {
  return (/<([^>]+)>/.exec(text)?.[1] ?? text).trim().toLowerCase();
}

/**
 * An in-memory Amazon SES v2 (REST JSON): SendEmail and GetEmailIdentity. As SES does, it refuses to send from
 * an identity (address or its domain) that is not verified.
 */
export class SesSandbox {
  readonly verifiedIdentities = new Set<string>();
  readonly sent: SentEmail[] = [];

  verifyIdentity(identity: string): void {
    this.verifiedIdentities.add(identity.toLowerCase());
  }

  attach(server: AwsHttpServer): void {
    server.addRawHandler((req, body, res) => this.handle(server, req, body, res));
  }

  private isVerified(address: string): boolean {
    return this.verifiedIdentities.has(address) || this.verifiedIdentities.has(address.split("@")[1] ?? "");
  }

  private handle(server: AwsHttpServer, req: IncomingMessage, body: Buffer, res: ServerResponse): boolean {
    const url = new URL(req.url ?? "/", "http://sandbox");
    if (!url.pathname.startsWith("/v2/email/")) return false;
    const send = (status: number, payload: unknown, errorType?: string) => {
      res.writeHead(status, {
        "content-type": "application/json",
        "x-amzn-requestid": randomUUID(),
        ...(errorType ? { "x-amzn-errortype": errorType } : {}),
      });
      res.end(JSON.stringify(payload));
    };
    if (req.method === "POST" && url.pathname === "/v2/email/outbound-emails") {
      if (!server.admit("sesv2", "SendEmail")) {
        send(429, { message: "Maximum sending rate exceeded." }, "TooManyRequestsException");
        return true;
      }
      const input = JSON.parse(body.toString("utf8") || "{}");
      const from = String(input.FromEmailAddress ?? "");
      const simple = input.Content?.Simple;
      if (!from || !simple?.Subject?.Data) {
        send(
          400,
          { message: "FromEmailAddress and Content.Simple.Subject are required." },
          "BadRequestException",
        );
        return true;
      }
      if (!this.isVerified(addressOf(from))) {
        send(
          400,
          {
            message: `Email address is not verified. The following identities failed the check in region: ${addressOf(from)}`,
          },
          "MessageRejected",
        );
        return true;
      }
      const email: SentEmail = {
        messageId: `${randomUUID()}-000000`,
        from,
        to: input.Destination?.ToAddresses ?? [],
        cc: input.Destination?.CcAddresses ?? [],
        replyTo: input.ReplyToAddresses ?? [],
        subject: simple.Subject.Data,
        html: simple.Body?.Html?.Data,
        text: simple.Body?.Text?.Data,
        configurationSet: input.ConfigurationSetName,
        at: Date.now(),
      };
      this.sent.push(email);
      send(200, { MessageId: email.messageId });
      return true;
    }
    if (req.method === "GET" && url.pathname === "/v2/email/account") {
      server.admit("sesv2", "GetAccount");
      // A sandbox account that has production access: sending to unverified recipients is allowed.
      send(200, {
        ProductionAccessEnabled: true,
        SendingEnabled: true,
        SendQuota: { Max24HourSend: 50_000, MaxSendRate: 14, SentLast24Hours: this.sent.length },
        EnforcementStatus: "HEALTHY",
        DedicatedIpAutoWarmupEnabled: false,
      });
      return true;
    }
    const identity = /^\/v2\/email\/identities\/([^/]+)$/.exec(url.pathname)?.[1];
    if (req.method === "GET" && identity) {
      server.admit("sesv2", "GetEmailIdentity");
      const name = decodeURIComponent(identity).toLowerCase();
      if (!this.verifiedIdentities.has(name)) {
        send(404, { message: `Email identity ${name} does not exist.` }, "NotFoundException");
        return true;
      }
      send(200, {
        IdentityType: name.includes("@") ? "EMAIL_ADDRESS" : "DOMAIN",
        VerifiedForSendingStatus: true,
        VerificationStatus: "SUCCESS",
        FeedbackForwardingStatus: true,
      });
      return true;
    }
    return false;
  }
}
