import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DEFAULT_WEBHOOK_PATH,
  type SlackReceiver,
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
});

describe("startSlackReceiver", () => {
  let receiver: SlackReceiver;
  beforeEach(async () => {
    receiver = await startSlackReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  const post = (url: string, body: string, contentType = "application/json") =>
    fetch(url, { method: "POST", headers: { "content-type": contentType }, body });

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
