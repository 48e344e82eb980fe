import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DEFAULT_WEBHOOK_PATH,
  SLACK_MESSAGE_BLOCKS_MAX_CHARS,
  type SlackReceiver,
  slackBlocksSize,
  startSlackReceiver,
  validateSlackPayload,
} from "../src/slack-receiver.js";

const header = (text: string) => ({ type: "header", text: { type: "plain_text", text } });
const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });

describe("validateSlackPayload", () => {
  it("accepts text alone, and blocks within every limit", () => {
    expect(validateSlackPayload({ text: "hello" })).toBeUndefined();
    expect(
      validateSlackPayload({
        text: "fallback",
        blocks: [
          header("x".repeat(150)),
          section("y".repeat(3000)),
          { type: "divider" },
          { type: "context", elements: [{ type: "mrkdwn", text: "z" }] },
          ...Array.from({ length: 46 }, (_, i) => ({ ...section("s"), block_id: `b${i}` })),
        ],
      }),
    ).toBeUndefined();
  });

  it("answers no_text when there is neither text nor blocks", () => {
    expect(validateSlackPayload({})?.error).toBe("no_text");
    expect(validateSlackPayload({ text: "  ", blocks: [] })?.error).toBe("no_text");
  });

  it("answers invalid_payload for a body that is not an object", () => {
    expect(validateSlackPayload([1, 2])?.error).toBe("invalid_payload");
    expect(validateSlackPayload("text")?.error).toBe("invalid_payload");
  });

  it.each([
    ["51 blocks", { blocks: Array.from({ length: 51 }, () => ({ type: "divider" })) }, "51 blocks"],
    ["a 151-character header", { blocks: [header("h".repeat(151))] }, "151 characters, more than 150"],
    ["a mrkdwn header", { blocks: [{ type: "header", text: { type: "mrkdwn", text: "h" } }] }, "plain_text"],
    ["a 3,001-character section", { blocks: [section("s".repeat(3001))] }, "more than 3000"],
    ["an empty section text", { blocks: [section("")] }, "must not be empty"],
    ["a section without text or fields", { blocks: [{ type: "section" }] }, "needs text or fields"],
    [
      "11 section fields",
      {
        blocks: [
          { type: "section", fields: Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "f" })) },
        ],
      },
      "at most 10",
    ],
    ["an unknown block type", { blocks: [{ type: "banner" }] }, "not a known block type"],
    [
      "11 context elements",
      {
        blocks: [
          { type: "context", elements: Array.from({ length: 11 }, () => ({ type: "mrkdwn", text: "c" })) },
        ],
      },
      "1 to 10",
    ],
    [
      "a duplicate block_id",
      {
        blocks: [
          { ...section("a"), block_id: "x" },
          { ...section("b"), block_id: "x" },
        ],
      },
      "used twice",
    ],
  ])("answers invalid_blocks for %s", (_, payload, problem) => {
    const result = validateSlackPayload({ text: "fallback", ...payload });
    expect(result?.error).toBe("invalid_blocks");
    expect(result?.problems.join("\n")).toContain(problem);
  });

  it("answers msg_blocks_too_long for blocks each within their limits but past 13,000 characters in all", () => {
    const blocks = Array.from({ length: 5 }, (_, i) => ({
      ...section("s".repeat(2_900)),
      block_id: `b${i}`,
    }));
    const result = validateSlackPayload({ text: "fallback", blocks });
    expect(result?.error).toBe("msg_blocks_too_long");
    expect(result?.problems).toEqual([
      `blocks: ${slackBlocksSize(blocks)} characters in all (125 a block with its strings), more than 13000`,
    ]);
    expect(validateSlackPayload({ text: "fallback", blocks: blocks.slice(0, 4) })).toBeUndefined();
  });

  it("counts every string of a block and 125 a block, stricter than what Slack was seen to accept", () => {
    expect(slackBlocksSize([{ type: "divider" }])).toBe(7 + 125);
    expect(slackBlocksSize([section("abc")])).toBe("section".length + "mrkdwn".length + 3 + 125);
    // slackapi/bolt-js#2509: one markdown block of 13,297 characters passed Slack; one divider more, 13,172.
    const markdown = (n: number) => ({ type: "markdown", text: "m".repeat(n) });
    expect(slackBlocksSize([markdown(13_297)])).toBeGreaterThan(SLACK_MESSAGE_BLOCKS_MAX_CHARS);
    expect(slackBlocksSize([markdown(13_172), { type: "divider" }])).toBeGreaterThan(
      SLACK_MESSAGE_BLOCKS_MAX_CHARS,
    );
  });
});

const post = (url: string, body: string, contentType = "application/json") =>
  fetch(url, { method: "POST", headers: { "content-type": contentType }, body });

describe("startSlackReceiver", () => {
  let receiver: SlackReceiver;
  beforeEach(async () => {
    // Several posts a test: Slack's rate limit has tests of its own below.
    receiver = await startSlackReceiver({ rateLimit: false });
  });
  afterEach(async () => {
    await receiver.close();
  });

  it("listens on 127.0.0.1 and gives webhook URLs", () => {
    expect(receiver.url()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/services\/T000\/B000\/XXXX$/);
    expect(receiver.url("/services/T1/B2/abc")).toMatch(/\/services\/T1\/B2\/abc$/);
  });

  it("answers ok with text/html like Slack and records the message", async () => {
    const payload = { text: "fallback", blocks: [header("team-a/api:v1"), section("*1 critical*")] };
    const response = await post(receiver.url(), JSON.stringify(payload));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html");
    expect(await response.text()).toBe("ok");
    expect(receiver.messages).toEqual([{ path: DEFAULT_WEBHOOK_PATH, payload }]);
    expect(receiver.rejections).toEqual([]);
  });

  it("answers 400 invalid_blocks for a payload over Slack's limits, and records why", async () => {
    const payload = { text: "fallback", blocks: Array.from({ length: 51 }, () => section("s")) };
    const response = await post(receiver.url(), JSON.stringify(payload));
    expect(response.status).toBe(400);
    expect(await response.text()).toBe("invalid_blocks");
    expect(receiver.messages).toEqual([]);
    expect(receiver.rejections[0]?.problems).toEqual(["blocks: 51 blocks, more than 50"]);
  });

  it("answers 400 no_text for an empty message and invalid_payload for a body that is not JSON", async () => {
    const noText = await post(receiver.url(), "{}");
    expect([noText.status, await noText.text()]).toEqual([400, "no_text"]);
    const notJson = await post(receiver.url(), "text=hello", "application/x-www-form-urlencoded");
    expect([notJson.status, await notJson.text()]).toEqual([400, "invalid_payload"]);
    expect(receiver.messages).toEqual([]);
    expect(receiver.rejections.map((r) => r.error)).toEqual(["no_text", "invalid_payload"]);
  });

  it("answers 404 no_service outside /services/T/B/token", async () => {
    const response = await post(receiver.url("/hooks/other"), JSON.stringify({ text: "x" }));
    expect([response.status, await response.text()]).toEqual([404, "no_service"]);
    expect(receiver.messages).toEqual([]);
  });

  it("answers an injected fault for the next requests only", async () => {
    receiver.failNext(500, "rollup_error", 2);
    const body = JSON.stringify({ text: "x" });
    const first = await post(receiver.url(), body);
    const second = await post(receiver.url(), body);
    const third = await post(receiver.url(), body);
    expect([first.status, await first.text()]).toEqual([500, "rollup_error"]);
    expect(second.status).toBe(500);
    expect(third.status).toBe(200);
    expect(receiver.messages).toHaveLength(1);
  });
});

describe("Slack's rate limit of one message a second per webhook", () => {
  const body = JSON.stringify({ text: "x" });

  it("is on by default: a second message within the second gets 429, Retry-After 1, rate_limited", async () => {
    const receiver = await startSlackReceiver();
    try {
      expect((await post(receiver.url(), body)).status).toBe(200);
      const limited = await post(receiver.url(), body);
      expect([limited.status, await limited.text()]).toEqual([429, "rate_limited"]);
      expect(limited.headers.get("retry-after")).toBe("1");
      expect(receiver.messages).toHaveLength(1);
      expect(receiver.rejections).toEqual([
        expect.objectContaining({ status: 429, error: "rate_limited", path: DEFAULT_WEBHOOK_PATH }),
      ]);
      // Another webhook (another channel) has its own second.
      expect((await post(receiver.url("/services/T1/B1/other"), body)).status).toBe(200);
    } finally {
      await receiver.close();
    }
  });

  it("takes the next message once the interval has passed, and says how long to wait in its seconds", async () => {
    const receiver = await startSlackReceiver({ rateLimit: { intervalMs: 300, secondMs: 100 } });
    try {
      expect((await post(receiver.url(), body)).status).toBe(200);
      const limited = await post(receiver.url(), body);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(2);
      expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(3);
      await new Promise((resolve) => setTimeout(resolve, 320));
      expect((await post(receiver.url(), body)).status).toBe(200);
      expect(receiver.messages).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });
});
