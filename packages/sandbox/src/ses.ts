import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Denial, notAuthorizedMessage } from "./iam/authorizer.js";
import type { AuthorizationRequest } from "./iam/policy.js";
import { sesIdentityRequests, sesSendEmailRequests } from "./iam/requests.js";
import type { AwsHttpServer } from "./server.js";

/** One e-mail accepted by the sandbox's SES v2 SendEmail. */
export interface SentEmail {
  messageId: string;
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
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

/** SES quotas: "50 recipients per message", a recipient being any To, CC or BCC address. */
export const SES_MAX_RECIPIENTS = 50;
/** The mailbox simulator's domain: the SES sandbox sends there without verification. */
const SIMULATOR_DOMAIN = "simulator.amazonses.com";

/** The region of a SigV4-signed request (its credential scope), or undefined. */
function signedRegion(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(req.headers.authorization ?? "")?.[1];
}

export interface SesOptions {
  /**
   * Whether the account has production access (default true, so the demo sends to anyone). Without it the account
   * is in the SES sandbox: it sends only to verified identities and the mailbox simulator.
   */
  productionAccess?: boolean;
  /** The region named in errors when a request does not say (by its signature) which one it went to. */
  region?: string;
  /** The account of the identities' ARNs (for IAM). */
  accountId?: string;
}

/**
 * An in-memory Amazon SES v2 (REST JSON): SendEmail, GetAccount and GetEmailIdentity, with what SES refuses:
 * - more than 50 recipients (To, CC and BCC) in one message: BadRequestException "Recipient count exceeds 50."
 *   (SES quotas, "50 recipients per message"; SES answers that text, as InvalidParameterValue in the v1 API —
 *   doubleunion/arooo#243 — whose v2 counterpart for invalid input is BadRequestException);
 * - a sender, or in the SES sandbox a recipient, that no verified identity covers (the address, its domain or a
 *   parent domain): MessageRejected "Email address is not verified. The following identities failed the check in
 *   region EU-WEST-1: …" (SES developer guide, "Amazon SES sandbox" and "Troubleshooting: email sending errors").
 */
export class SesSandbox {
  readonly verifiedIdentities = new Set<string>();
  readonly sent: SentEmail[] = [];
  /** Production access; false puts the account in the SES sandbox (see SesOptions). */
  productionAccess: boolean;
  private readonly region: string;
  private readonly accountId: string;

  constructor(options: SesOptions = {}) {
    this.productionAccess = options.productionAccess ?? true;
    this.region = options.region ?? "eu-west-1";
    this.accountId = options.accountId ?? "123456789012";
  }

  verifyIdentity(identity: string): void {
    this.verifiedIdentities.add(identity.toLowerCase());
  }

  attach(server: AwsHttpServer): void {
    server.addRawHandler((req, body, res) => this.handle(server, req, body, res));
  }

  /** True when the address, its domain or a parent domain is a verified identity. */
  private isVerified(address: string): boolean {
    if (this.verifiedIdentities.has(address)) return true;
    const labels = (address.split("@")[1] ?? "").split(".");
    return labels.some((_, i) => this.verifiedIdentities.has(labels.slice(i).join(".")));
  }

  /** May the account send to this recipient: always with production access, else verified or the simulator. */
  private mayReceive(address: string): boolean {
    return this.productionAccess || address.endsWith(`@${SIMULATOR_DOMAIN}`) || this.isVerified(address);
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
    // A denied request: AccessDeniedException, HTTP 403, with IAM's words (SES v2 API reference, common errors).
    const denied = (operation: string, requests: AuthorizationRequest[]) => {
      const denial: Denial | undefined = server.authorize(req, "sesv2", operation, requests);
      if (!denial) return false;
      server.recordCall("sesv2", operation, 403);
      send(403, { message: notAuthorizedMessage(denial) }, "AccessDeniedException");
      return true;
    };
    const account = { accountId: this.accountId, region: this.region };
    if (req.method === "POST" && url.pathname === "/v2/email/outbound-emails") {
      const input = JSON.parse(body.toString("utf8") || "{}");
      const from = String(input.FromEmailAddress ?? "");
      const destination = input.Destination ?? {};
      const recipients: string[] = [
        ...(destination.ToAddresses ?? []),
        ...(destination.CcAddresses ?? []),
        ...(destination.BccAddresses ?? []),
      ].map(String);
      const authorization = sesSendEmailRequests(
        account,
        {
          from: addressOf(from),
          recipients: recipients.map(addressOf),
          configurationSet:
            typeof input.ConfigurationSetName === "string" ? input.ConfigurationSetName : undefined,
        },
        { productionAccess: this.productionAccess, verified: this.verifiedIdentities },
      );
      if (denied("SendEmail", authorization)) return true;
      if (!server.admit("sesv2", "SendEmail")) {
        send(429, { message: "Maximum sending rate exceeded." }, "TooManyRequestsException");
        return true;
      }
      const simple = input.Content?.Simple;
      if (!from || !simple?.Subject?.Data) {
        send(
          400,
          { message: "FromEmailAddress and Content.Simple.Subject are required." },
          "BadRequestException",
        );
        return true;
      }
      if (recipients.length > SES_MAX_RECIPIENTS) {
        send(400, { message: "Recipient count exceeds 50." }, "BadRequestException");
        return true;
      }
      const failed = [
        ...(this.isVerified(addressOf(from)) ? [] : [from]),
        ...recipients.filter((r) => !this.mayReceive(addressOf(r))),
      ];
      if (failed.length > 0) {
        const region = (signedRegion(req) ?? this.region).toUpperCase();
        send(
          400,
          {
            message: `Email address is not verified. The following identities failed the check in region ${region}: ${failed.join(", ")}`,
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
        bcc: input.Destination?.BccAddresses ?? [],
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
      // GetAccount has no resource type: "*" (Service Authorization Reference, SES v2).
      if (denied("GetAccount", [{ action: "ses:GetAccount", resource: "*" }])) return true;
      server.admit("sesv2", "GetAccount");
      // In the SES sandbox the quotas are 200 messages a day, one a second.
      send(200, {
        ProductionAccessEnabled: this.productionAccess,
        SendingEnabled: true,
        SendQuota: {
          Max24HourSend: this.productionAccess ? 50_000 : 200,
          MaxSendRate: this.productionAccess ? 14 : 1,
          SentLast24Hours: this.sent.length,
        },
        EnforcementStatus: "HEALTHY",
        DedicatedIpAutoWarmupEnabled: false,
      });
      return true;
    }
    const identity = /^\/v2\/email\/identities\/([^/]+)$/.exec(url.pathname)?.[1];
    if (req.method === "GET" && identity) {
      const name = decodeURIComponent(identity).toLowerCase();
      if (denied("GetEmailIdentity", sesIdentityRequests(account, name))) return true;
      server.admit("sesv2", "GetEmailIdentity");
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
