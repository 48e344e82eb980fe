import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// Limits from Slack's documentation: Block Kit reference ("blocks: … maximum of 50 blocks", header "maximum length
// for this field is 150 characters", section text "maximum length … 3000", section fields "maximum number of items
// is 10 … each … 2000", context "maximum of 10 elements", text object "minimum length 1, maximum 3000",
// block_id "maximum length 255 … unique for each message") and the incoming-webhook error list (`invalid_payload`,
// `no_text`, `invalid_blocks`, `no_service`). Lengths are counted in UTF-16 code units, which is never fewer
// than Slack's characters, so the receiver is at least as strict as Slack.
export const SLACK_MAX_BLOCKS = 50;
export const SLACK_HEADER_MAX_CHARS = 150;
export const SLACK_SECTION_TEXT_MAX_CHARS = 3000;
export const SLACK_SECTION_FIELD_MAX_CHARS = 2000;
export const SLACK_SECTION_MAX_FIELDS = 10;
export const SLACK_CONTEXT_MAX_ELEMENTS = 10;
export const SLACK_TEXT_OBJECT_MAX_CHARS = 3000;
export const SLACK_BLOCK_ID_MAX_CHARS = 255;

// What all the blocks of one message may add up to. Slack does not document it: chat.postMessage answers
// `msg_blocks_too_long` past roughly 13,000 characters (slackapi/bolt-js#2509: one markdown block of 13,297
// characters passed, and one divider more lowered that by 125; slackapi/bolt-js#2867: 11,341 characters of text
// in rich_text blocks failed, so Slack counts more than the text). The receiver counts the characters of every
// string in a block plus 125 a block, and answers 400 `msg_blocks_too_long` past 13,000: both messages #2509 saw
// pass would fail here (13,430 and 13,437 by this count), so the receiver is never the more lenient of the two.
export const SLACK_MESSAGE_BLOCKS_MAX_CHARS = 13_000;
export const SLACK_BLOCK_COUNTED_OVERHEAD_CHARS = 125;

// Slack's "Rate limits" page: incoming webhooks may post "no more than one message per second" (per channel), and
// past it Slack answers HTTP 429 with a `Retry-After` header in seconds. Slack allows short bursts; the receiver
// allows none, so a client that paces itself at one a second is the only one that never sees a 429.
export const SLACK_WEBHOOK_INTERVAL_MS = 1_000;

/** The layout blocks Slack documents for messages. */
export const SLACK_BLOCK_TYPES = [
  "actions",
  "context",
  "divider",
  "file",
  "header",
  "image",
  "input",
  "markdown",
  "rich_text",
  "section",
  "video",
] as const;

/** A message the receiver accepted (answered `ok`), as Slack would have posted it. */
export interface ReceivedSlackMessage {
  path: string;
  payload: Record<string, unknown>;
}

/** A request the receiver refused, with the reasons (Slack itself only answers the error code). */
export interface RejectedSlackRequest {
  path: string;
  status: number;
  error: string;
  problems: string[];
  payload?: unknown;
}

export interface SlackReceiver {
  /** The webhook URL of `path` (default `/services/T000/B000/XXXX`). */
  url(path?: string): string;
  /** Every accepted message, in order. */
  messages: ReceivedSlackMessage[];
  /** Every refused request, in order. */
  rejections: RejectedSlackRequest[];
  /**
   * Answers the next `count` requests with this status, body and headers instead of handling them (failure-path
   * tests; such answers do not count towards the rate limit).
   */
  failNext(status: number, body?: string, count?: number, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export interface SlackReceiverOptions {
  port?: number;
  /**
   * Slack's rate limit per webhook: at most one message every `intervalMs` (default 1,000), answered with 429 and
   * `Retry-After` in seconds of `secondMs` milliseconds (default 1,000; tests shorten both). `false` turns it off.
   */
  rateLimit?: false | { intervalMs?: number; secondMs?: number };
}

export const DEFAULT_WEBHOOK_PATH = "/services/T000/B000/XXXX";

type Problems = string[];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkTextObject(
  value: unknown,
  where: string,
  problems: Problems,
  rule: { types: readonly string[]; max: number },
): void {
  if (!isObject(value)) {
    problems.push(`${where}: must be a text object`);
    return;
  }
  if (typeof value.type !== "string" || !rule.types.includes(value.type)) {
    problems.push(`${where}.type: must be ${rule.types.join(" or ")}`);
  }
  if (typeof value.text !== "string") {
    problems.push(`${where}.text: must be a string`);
    return;
  }
  if (value.text.length < 1) problems.push(`${where}.text: must not be empty`);
  if (value.text.length > rule.max) {
    problems.push(`${where}.text: ${value.text.length} characters, more than ${rule.max}`);
  }
}

const ANY_TEXT = { types: ["plain_text", "mrkdwn"], max: SLACK_TEXT_OBJECT_MAX_CHARS } as const;

function checkBlock(block: unknown, where: string, problems: Problems, blockIds: Set<string>): void {
  if (!isObject(block)) {
    problems.push(`${where}: must be an object`);
    return;
  }
  const type = block.type;
  if (typeof type !== "string" || !(SLACK_BLOCK_TYPES as readonly string[]).includes(type)) {
    problems.push(`${where}.type: ${JSON.stringify(type)} is not a known block type`);
    return;
  }
  if (block.block_id !== undefined) {
    if (typeof block.block_id !== "string" || block.block_id.length > SLACK_BLOCK_ID_MAX_CHARS) {
      problems.push(`${where}.block_id: must be a string of at most ${SLACK_BLOCK_ID_MAX_CHARS} characters`);
    } else if (blockIds.has(block.block_id)) {
      problems.push(`${where}.block_id: "${block.block_id}" is used twice`);
    } else {
      blockIds.add(block.block_id);
    }
  }
  switch (type) {
    case "header":
      checkTextObject(block.text, `${where}.text`, problems, {
        types: ["plain_text"],
        max: SLACK_HEADER_MAX_CHARS,
      });
      break;
    case "section": {
      if (block.text === undefined && block.fields === undefined) {
        problems.push(`${where}: a section needs text or fields`);
      }
      if (block.text !== undefined) {
        checkTextObject(block.text, `${where}.text`, problems, {
          types: ANY_TEXT.types,
          max: SLACK_SECTION_TEXT_MAX_CHARS,
        });
      }
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields) || block.fields.length > SLACK_SECTION_MAX_FIELDS) {
          problems.push(`${where}.fields: must be an array of at most ${SLACK_SECTION_MAX_FIELDS}`);
        } else {
          block.fields.forEach((field, i) => {
            checkTextObject(field, `${where}.fields[${i}]`, problems, {
              types: ANY_TEXT.types,
              max: SLACK_SECTION_FIELD_MAX_CHARS,
            });
          });
        }
      }
      break;
    }
    case "context": {
      const elements = block.elements;
      if (!Array.isArray(elements) || elements.length < 1 || elements.length > SLACK_CONTEXT_MAX_ELEMENTS) {
        problems.push(`${where}.elements: must be an array of 1 to ${SLACK_CONTEXT_MAX_ELEMENTS}`);
        break;
      }
      elements.forEach((element, i) => {
        if (isObject(element) && element.type === "image") return;
        checkTextObject(element, `${where}.elements[${i}]`, problems, ANY_TEXT);
      });
      break;
    }
    case "divider":
      break;
    default:
      // Other documented block types are accepted as they are: the project sends none of them.
      break;
  }
}

/** The characters of every string in a JSON value (keys aside). */
function stringCharacters(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + stringCharacters(v), 0);
  if (isObject(value)) return Object.values(value).reduce<number>((n, v) => n + stringCharacters(v), 0);
  return 0;
}

/** How much of Slack's limit on a message's blocks `blocks` use: their strings' characters and 125 a block. */
export function slackBlocksSize(blocks: readonly unknown[]): number {
  return blocks.reduce<number>(
    (size, block) => size + stringCharacters(block) + SLACK_BLOCK_COUNTED_OVERHEAD_CHARS,
    0,
  );
}

/** The problems of an incoming-webhook payload, and the error code Slack answers for them; none when valid. */
export function validateSlackPayload(payload: unknown): { error: string; problems: Problems } | undefined {
  if (!isObject(payload)) return { error: "invalid_payload", problems: ["the body must be a JSON object"] };
  const hasText = typeof payload.text === "string" && payload.text.trim() !== "";
  const hasBlocks = Array.isArray(payload.blocks) && payload.blocks.length > 0;
  const hasAttachments = Array.isArray(payload.attachments) && payload.attachments.length > 0;
  if (!hasText && !hasBlocks && !hasAttachments) {
    return { error: "no_text", problems: ["text, blocks or attachments are required"] };
  }
  if (payload.blocks === undefined) return undefined;
  const problems: Problems = [];
  if (!Array.isArray(payload.blocks)) {
    problems.push("blocks: must be an array");
  } else {
    if (payload.blocks.length > SLACK_MAX_BLOCKS) {
      problems.push(`blocks: ${payload.blocks.length} blocks, more than ${SLACK_MAX_BLOCKS}`);
    }
    const blockIds = new Set<string>();
    payload.blocks.forEach((block, i) => {
      checkBlock(block, `blocks[${i}]`, problems, blockIds);
    });
  }
  if (problems.length > 0) return { error: "invalid_blocks", problems };
  const size = slackBlocksSize(payload.blocks as unknown[]);
  if (size > SLACK_MESSAGE_BLOCKS_MAX_CHARS) {
    return {
      error: "msg_blocks_too_long",
      problems: [
        `blocks: ${size} characters in all (${SLACK_BLOCK_COUNTED_OVERHEAD_CHARS} a block with its strings), more than ${SLACK_MESSAGE_BLOCKS_MAX_CHARS}`,
      ],
    };
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

// Slack answers webhooks with a short plain word and a text/html content type.
function answer(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    "content-type": "text/html",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/**
 * A local Slack incoming-webhook receiver on 127.0.0.1: checks each POST against Slack's limits, answers like
 * Slack (`ok`; `invalid_payload` / `no_text` / `invalid_blocks` / `msg_blocks_too_long` with 400; `no_service`
 * with 404; 429 with `Retry-After` past one message a second per webhook) and records what it accepted.
 */
export async function startSlackReceiver(options: SlackReceiverOptions = {}): Promise<SlackReceiver> {
  const messages: ReceivedSlackMessage[] = [];
  const rejections: RejectedSlackRequest[] = [];
  const faults: { status: number; body: string; headers?: Record<string, string> }[] = [];
  const rate =
    options.rateLimit === false
      ? undefined
      : {
          intervalMs: options.rateLimit?.intervalMs ?? SLACK_WEBHOOK_INTERVAL_MS,
          secondMs: options.rateLimit?.secondMs ?? 1_000,
        };
  /** When each webhook path last took a message (or a request it refused for its content). */
  const lastPostAt = new Map<string, number>();

  const reject = (
    res: ServerResponse,
    entry: Omit<RejectedSlackRequest, "problems"> & { problems?: Problems },
    headers?: Record<string, string>,
  ): void => {
    rejections.push({ problems: [], ...entry });
    answer(res, entry.status, entry.error, headers);
  };

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      res.destroy();
      return;
    }
    const fault = faults.shift();
    if (fault) {
      reject(
        res,
        { path, status: fault.status, error: fault.body, problems: ["injected fault"] },
        fault.headers,
      );
      return;
    }
    if (!/^\/services\/[^/]+\/[^/]+\/[^/]+$/.test(path)) {
      reject(res, { path, status: 404, error: "no_service", problems: ["not a webhook path"] });
      return;
    }
    if (req.method !== "POST") {
      // Slack documents no error code for this; 405 is plain HTTP.
      reject(res, {
        path,
        status: 405,
        error: "invalid_method",
        problems: [`${req.method} instead of POST`],
      });
      return;
    }
    if (rate) {
      const now = Date.now();
      const wait = (lastPostAt.get(path) ?? Number.NEGATIVE_INFINITY) + rate.intervalMs - now;
      if (wait > 0) {
        const retryAfter = Math.max(1, Math.ceil(wait / rate.secondMs));
        reject(
          res,
          {
            path,
            status: 429,
            error: "rate_limited",
            problems: [`${rate.intervalMs - wait} ms after the previous message to this webhook`],
          },
          { "retry-after": String(retryAfter) },
        );
        return;
      }
      lastPostAt.set(path, now);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      reject(res, { path, status: 400, error: "invalid_payload", problems: ["the body is not JSON"] });
      return;
    }
    const invalid = validateSlackPayload(payload);
    if (invalid) {
      reject(res, { path, status: 400, error: invalid.error, problems: invalid.problems, payload });
      return;
    }
    messages.push({ path, payload: payload as Record<string, unknown> });
    answer(res, 200, "ok");
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: (path = DEFAULT_WEBHOOK_PATH) => `http://127.0.0.1:${port}${path}`,
    messages,
    rejections,
    failNext(status, body = "rollup_error", count = 1, headers) {
      for (let i = 0; i < count; i++) faults.push({ status, body, headers });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
