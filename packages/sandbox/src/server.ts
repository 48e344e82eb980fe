import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { AwsError } from "./aws-error.js";
import {
  accessKeyIdOf,
  type Denial,
  IamAuthorizer,
  type IamPrincipal,
  notAuthorizedMessage,
} from "./iam/authorizer.js";
import type { AuthorizationRequest } from "./iam/policy.js";

/** A service speaking an AWS JSON protocol: operations by name, JSON in and out. */
export interface JsonService {
  /** The X-Amz-Target prefix, e.g. `AmazonEC2ContainerRegistry_V20150921`. */
  targetPrefix: string;
  /** `1.0` or `1.1`, for the response content type. */
  jsonVersion: "1.0" | "1.1";
  /** Short name used in call counts and rate limits, e.g. `ecr`. */
  name: string;
  operations: Record<string, (input: Record<string, unknown>) => unknown>;
  /** What an operation must be authorized for (iam/requests.ts); none checked when absent. */
  authorization?: (operation: string, input: Record<string, unknown>) => AuthorizationRequest[];
  /** The service's answer to a denied request; AccessDeniedException, HTTP 400, AWS's words, when absent. */
  accessDenied?: (denial: Denial) => AccessDeniedAnswer;
  /**
   * What the service makes of the input before anything else, knowing who signed it (undefined: the
   * administrator) and the operation: ECR's default registry is the caller's own account.
   */
  resolveInput?: (
    input: Record<string, unknown>,
    principal: IamPrincipal | undefined,
    operation: string,
  ) => Record<string, unknown>;
  /**
   * What one rate-limit bucket covers, beyond its `service:Operation` (its resolved input's): ECR's request rates
   * are quotas of an account (and region), so each registry has its own buckets. One bucket for all when absent.
   */
  rateLimitScope?: (input: Record<string, unknown>) => string;
}

/** How a JSON-protocol service answers a request IAM denied. */
export interface AccessDeniedAnswer {
  status: number;
  type: string;
  message: string;
  headers?: Record<string, string>;
}

/** ECR, SSM, Secrets Manager, KMS: `AccessDeniedException`, HTTP 400, with IAM's message. */
const defaultAccessDenied = (denial: Denial): AccessDeniedAnswer => ({
  status: 400,
  type: "AccessDeniedException",
  message: notAuthorizedMessage(denial),
});

/** Handles requests that are not AWS JSON protocol (REST or query): returns false when the request is not its own. */
export type RawHandler = (
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
) => boolean | Promise<boolean>;

export interface ServerOptions {
  /** Added before each answer, to make the sandbox as slow as a real network (ms). */
  latencyMs?: number;
  /**
   * Requests per second allowed per `service:Operation` (per registry for ECR: `rateLimitScope`); above it the
   * answer is a ThrottlingException.
   */
  rateLimits?: Record<string, number>;
  port?: number;
  /** The sandbox's clock (epoch ms), which every answer's Date header states; the real clock when absent. */
  now?: () => number;
}

/** One recorded request. */
export interface CallRecord {
  service: string;
  operation: string;
  status: number;
  at: number;
  /** The access key id that signed it (JSON-protocol requests and refused credentials; none when unsigned). */
  accessKeyId?: string;
  /** The error answered (its `__type`, e.g. ExpiredTokenException), on those same requests; none on success. */
  error?: string;
}

/** An error the sandbox answers on purpose, for tests of failure paths. */
export interface Fault {
  service: string;
  operation: string;
  /** Only requests whose input matches; all when absent. */
  when?: (input: Record<string, unknown>) => boolean;
  type: string;
  message: string;
  status?: number;
}

/** A token bucket per operation (and scope, e.g. an ECR registry): `rate` tokens a second, bursts up to `rate`. */
class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly limits: Record<string, number>) {}

  allow(key: string, scope?: string): boolean {
    const rate = this.limits[key];
    if (rate === undefined) return true;
    const now = performance.now();
    const bucketKey = scope === undefined ? key : `${key}@${scope}`;
    const bucket = this.buckets.get(bucketKey) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.buckets.set(bucketKey, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What is wrong with a request's temporary credentials, checked before anything else (as AWS authenticates first). */
export type CredentialsProblem = "expired" | "invalid-token";

/** Whether an access key id is of temporary credentials (STS's and Lambda's: "ASIA…"). */
export const isTemporaryAccessKeyId = (accessKeyId: string | undefined) =>
  accessKeyId?.startsWith("ASIA") ?? false;

/**
 * Whether the temporary credentials that signed a request still work: an ASIA… key must be one the sandbox issued
 * and still holds (AWS refuses a key it does not know as an invalid token — never the administrator's, which only
 * other keys stand for: the CLI's, the tests', the seeding's), the session token sent (`x-amz-security-token`) must
 * be the one issued with the access key, and the session must not have expired on the sandbox's clock. Pure; the
 * local functions' keys (no token, no expiry) always pass.
 */
export function credentialsProblem(
  principal: Pick<IamPrincipal, "sessionToken" | "expiresAt"> | undefined,
  sentToken: string | undefined,
  now: number,
  accessKeyId?: string,
): CredentialsProblem | undefined {
  if (!principal) return isTemporaryAccessKeyId(accessKeyId) ? "invalid-token" : undefined;
  if (principal.sessionToken !== undefined && sentToken !== principal.sessionToken) return "invalid-token";
  if (principal.expiresAt !== undefined && now >= principal.expiresAt) return "expired";
  return undefined;
}

/**
 * How AWS answers such a request, in the request's protocol — each in the words users report:
 * - AWS JSON (ECR, SQS, DynamoDB, SSM, Secrets Manager): HTTP 400, `ExpiredTokenException` "The security token
 *   included in the request is expired" (e.g. aws/aws-sdk-go#253, which lists the codes), or — a token that is not
 *   the key's, or a key AWS does not know — `UnrecognizedClientException` "The security token included in the
 *   request is invalid.";
 * - query (STS, SNS): HTTP 403, `ExpiredToken` with the same words (cfn-sphere/cfn-sphere#55,
 *   jenkinsci/ec2-plugin#1008: "Status Code: 403; Error Code: ExpiredToken"), or `InvalidClientTokenId` (an unknown
 *   key: "error calling sts:GetCallerIdentity: InvalidClientTokenId: The security token included in the request is
 *   invalid. status code: 403", hashicorp/terraform-provider-aws#13695, barnybug/cli53#278);
 * - REST JSON (SES v2): HTTP 403 with `x-amzn-ErrorType: ExpiredTokenException` (as Lambda answers it,
 *   cloudquery/cq-provider-aws#1171).
 */
export function credentialsProblemAnswer(
  problem: CredentialsProblem,
  protocol: "json" | "query" | "rest-json",
): { status: number; code: string; message: string } {
  const message =
    problem === "expired"
      ? "The security token included in the request is expired"
      : "The security token included in the request is invalid.";
  if (protocol === "query")
    return { status: 403, code: problem === "expired" ? "ExpiredToken" : "InvalidClientTokenId", message };
  const code = problem === "expired" ? "ExpiredTokenException" : "UnrecognizedClientException";
  return { status: protocol === "json" ? 400 : 403, code, message };
}

/** The signing service of a SigV4 request (its credential scope: `Credential=AKID/date/region/service/…`). */
const signingServiceOf = (authorization: string | undefined) =>
  /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(authorization ?? "")?.[1] ?? "unknown";

/** Text escaped for an XML element or attribute: the query protocol's answers (here, STS's and SNS's). */
export const xmlEscape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** An HTTP server on 127.0.0.1 that answers AWS SDK requests for the given services. */
export class AwsHttpServer {
  readonly calls: CallRecord[] = [];
  /** The account's IAM: checks the calls of registered principals (iam/authorizer.ts). */
  readonly iam = new IamAuthorizer();
  private server?: Server;
  private readonly limiter: RateLimiter;
  private readonly services: JsonService[] = [];
  private readonly rawHandlers: RawHandler[] = [];
  private readonly faults: Fault[] = [];

  constructor(private readonly options: ServerOptions = {}) {
    this.limiter = new RateLimiter(options.rateLimits ?? {});
  }

  addJsonService(service: JsonService): void {
    this.services.push(service);
  }

  /** Answers matching requests with the given error from now on. */
  injectFault(fault: Fault): void {
    this.faults.push(fault);
  }

  addRawHandler(handler: RawHandler): void {
    this.rawHandlers.push(handler);
  }

  /** Counts of calls per `service:Operation`. */
  callCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const c of this.calls)
      counts[`${c.service}:${c.operation}`] = (counts[`${c.service}:${c.operation}`] ?? 0) + 1;
    return counts;
  }

  /**
   * Checks what a request must be authorized for, as the credentials that signed it (the access key id of its
   * SigV4 Authorization header); returns the denial, or undefined when allowed. For raw handlers.
   */
  authorize(
    req: IncomingMessage,
    service: string,
    operation: string,
    requests: readonly AuthorizationRequest[],
  ): Denial | undefined {
    return this.iam.authorize(
      { accessKeyId: accessKeyIdOf(req.headers.authorization), service, operation },
      requests,
    );
  }

  /** Records a call a raw handler answered without the rate limit's say (an access denial). */
  recordCall(service: string, operation: string, status: number): void {
    this.calls.push({ service, operation, status, at: Date.now() });
  }

  /**
   * Whether the rate limit lets one more `service:Operation` call through (taking its token), for a raw handler that
   * records the call itself once it knows the answer's status (recordCall).
   */
  withinRateLimit(service: string, operation: string): boolean {
    return this.limiter.allow(`${service}:${operation}`);
  }

  /** The injected fault that answers this request, if any (see injectFault). */
  faultFor(service: string, operation: string, input: Record<string, unknown>): Fault | undefined {
    return this.faults.find(
      (f) => f.service === service && f.operation === operation && (f.when?.(input) ?? true),
    );
  }

  /** Records a call answered by a raw handler, and says whether the rate limit lets it through. */
  admit(service: string, operation: string): boolean {
    const allowed = this.limiter.allow(`${service}:${operation}`);
    this.calls.push({ service, operation, status: allowed ? 200 : 400, at: Date.now() });
    return allowed;
  }

  async listen(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ __type: "InternalFailure", message: String(error) }));
      });
    });
    this.server.keepAliveTimeout = 5_000;
    // A port in use (EADDRINUSE) or not allowed (EACCES) rejects with Node's error, its `code` and `port` intact,
    // for the caller to say what to do: unhandled, the server's "error" event would end the process.
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (this.options.latencyMs) await sleep(this.options.latencyMs);
    // AWS answers with its own time in Date, and the SDKs correct their clock by it and retry any error that came
    // with a skewed one (clockSkewCorrected). The functions' clock is the sandbox's, so the answers' must be too:
    // Node's own Date header, the real time, would read as days of skew once a test moves the sandbox's clock.
    res.setHeader("date", new Date((this.options.now ?? Date.now)()).toUTCString());
    if (this.refuseCredentials(req, body, res)) return;

    const target = req.headers["x-amz-target"];
    if (typeof target === "string") {
      const [prefix, operation = ""] = target.split(".");
      const service = this.services.find((s) => s.targetPrefix === prefix);
      if (service) return this.answerJson(req, service, operation, body, res);
    }
    for (const handler of this.rawHandlers) if (await handler(req, body, res)) return;
    res.writeHead(404, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        __type: "UnknownOperationException",
        message: `No sandbox service for ${req.method} ${req.url}`,
      }),
    );
  }

  /**
   * Answers a request whose temporary credentials expired or came without their session token, whatever service it
   * is for (AWS authenticates a request before any service or IAM sees it); returns whether it did.
   */
  private refuseCredentials(req: IncomingMessage, body: Buffer, res: ServerResponse): boolean {
    const accessKeyId = accessKeyIdOf(req.headers.authorization);
    const principal = this.iam.principal(accessKeyId);
    const token = req.headers["x-amz-security-token"];
    const problem = credentialsProblem(
      principal,
      typeof token === "string" ? token : undefined,
      (this.options.now ?? Date.now)(),
      accessKeyId,
    );
    if (!problem) return false;
    const target = req.headers["x-amz-target"];
    const query = String(req.headers["content-type"] ?? "").includes("x-www-form-urlencoded");
    const protocol = typeof target === "string" ? "json" : query ? "query" : "rest-json";
    const answer = credentialsProblemAnswer(problem, protocol);
    const operation =
      typeof target === "string"
        ? (target.split(".")[1] ?? "")
        : query
          ? (new URLSearchParams(body.toString("utf8")).get("Action") ?? "")
          : `${req.method} ${req.url}`;
    this.calls.push({
      service: signingServiceOf(req.headers.authorization),
      operation,
      status: answer.status,
      at: Date.now(),
      ...(accessKeyId !== undefined ? { accessKeyId } : {}),
      error: answer.code,
    });
    const requestId = crypto.randomUUID();
    if (protocol === "query") {
      res.writeHead(answer.status, { "content-type": "text/xml", "x-amzn-requestid": requestId });
      res.end(
        `<ErrorResponse><Error><Type>Sender</Type><Code>${answer.code}</Code><Message>${xmlEscape(answer.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      );
    } else {
      res.writeHead(answer.status, {
        "content-type": protocol === "json" ? "application/x-amz-json-1.1" : "application/json",
        "x-amzn-requestid": requestId,
        ...(protocol === "rest-json" ? { "x-amzn-errortype": answer.code } : {}),
      });
      res.end(JSON.stringify({ __type: answer.code, message: answer.message }));
    }
    return true;
  }

  private answerJson(
    req: IncomingMessage,
    service: JsonService,
    operation: string,
    body: Buffer,
    res: ServerResponse,
  ): void {
    const contentType = `application/x-amz-json-${service.jsonVersion}`;
    const [status, payload, headers = {}] = this.answer(req, service, operation, body);
    const accessKeyId = accessKeyIdOf(req.headers.authorization);
    const error = status === 200 ? undefined : (payload as { __type?: string }).__type;
    this.calls.push({
      service: service.name,
      operation,
      status,
      at: Date.now(),
      ...(accessKeyId !== undefined ? { accessKeyId } : {}),
      ...(error !== undefined ? { error } : {}),
    });
    res.writeHead(status, {
      "content-type": contentType,
      "x-amzn-requestid": crypto.randomUUID(),
      ...headers,
    });
    res.end(JSON.stringify(payload));
  }

  /**
   * The status, payload (and extra headers) of one JSON-protocol request: an access denial (AWS authorizes a
   * request before the service handles it), a throttle, an injected fault, or the operation's answer.
   */
  private answer(
    req: IncomingMessage,
    service: JsonService,
    operation: string,
    body: Buffer,
  ): [number, unknown, Record<string, string>?] {
    const run = service.operations[operation];
    if (!run) {
      return [
        400,
        { __type: "UnknownOperationException", message: `${operation} is not supported by the sandbox` },
      ];
    }
    try {
      const parsed = body.length > 0 ? (JSON.parse(body.toString("utf8")) as Record<string, unknown>) : {};
      const input = service.resolveInput
        ? service.resolveInput(
            parsed,
            this.iam.principal(accessKeyIdOf(req.headers.authorization)),
            operation,
          )
        : parsed;
      const denial = service.authorization
        ? this.authorize(req, service.name, operation, service.authorization(operation, input))
        : undefined;
      if (denial) {
        const answer = (service.accessDenied ?? defaultAccessDenied)(denial);
        return [answer.status, { __type: answer.type, message: answer.message }, answer.headers];
      }
      if (!this.limiter.allow(`${service.name}:${operation}`, service.rateLimitScope?.(input))) {
        return [400, { __type: "ThrottlingException", message: "Rate exceeded" }];
      }
      const fault = this.faultFor(service.name, operation, input);
      if (fault) return [fault.status ?? 400, { __type: fault.type, message: fault.message }];
      return [200, run(input) ?? {}];
    } catch (error) {
      if (error instanceof AwsError) return [error.status, { __type: error.type, message: error.message }];
      return [500, { __type: "InternalFailure", message: String(error) }];
    }
  }
}
