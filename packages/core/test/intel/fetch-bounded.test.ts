// One bounded GET of a feed: every failure becomes one IntelFeedError with a short reason, nothing is read past the
// size limit or waited for past the deadline, and only a 5xx or a network failure is tried a second time.
import { describe, expect, it } from "vitest";
import { type FetchFunction, getJson, IntelFeedError } from "../../src/intel/fetch-bounded.js";

const MB = 1024 * 1024;
const options = (fetch: FetchFunction, overrides: { timeoutMs?: number; maxBytes?: number } = {}) => ({
  fetch,
  timeoutMs: overrides.timeoutMs ?? 2_000,
  maxBytes: overrides.maxBytes ?? MB,
  retryDelayMs: 1,
});

/** A fetch answering each call with the next of `answers` (the last one again when they run out). */
function scripted(...answers: (() => Promise<Response>)[]) {
  const calls: { url: string; signal?: AbortSignal }[] = [];
  const fetch = (async (url: string, init?: RequestInit) => {
    calls.push({ url, signal: init?.signal ?? undefined });
    const answer = answers[Math.min(calls.length, answers.length) - 1] as () => Promise<Response>;
    return answer();
  }) as FetchFunction;
  return { fetch, calls };
}

const json =
  (body: unknown, status = 200) =>
  async () =>
    new Response(JSON.stringify(body), { status });

async function failure(promise: Promise<unknown>): Promise<IntelFeedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof IntelFeedError) return error;
  throw new Error(`expected an IntelFeedError, got ${String(error)}`);
}

describe("a bounded GET", () => {
  it("gives the parsed JSON of a 200, asking for JSON", async () => {
    const { fetch, calls } = scripted(json({ ok: 1 }));
    expect(await getJson("https://feed.test/kev.json", options(fetch))).toEqual({ ok: 1 });
    expect(calls.map((c) => c.url)).toEqual(["https://feed.test/kev.json"]);
  });

  it("tries a 5xx once more, and names the status when the second fails too", async () => {
    const { fetch, calls } = scripted(json({}, 500), json({}, 503));
    const error = await failure(getJson("https://feed.test/x", options(fetch)));
    expect(error).toMatchObject({ kind: "http-status", reason: "HTTP 503" });
    expect(calls).toHaveLength(2);
  });

  it("gives the answer of the retry when the first attempt met a 5xx", async () => {
    const { fetch, calls } = scripted(json({}, 502), json({ second: true }));
    expect(await getJson("https://feed.test/x", options(fetch))).toEqual({ second: true });
    expect(calls).toHaveLength(2);
  });

  it("does not retry a 4xx", async () => {
    const { fetch, calls } = scripted(json({}, 404), json({ never: true }));
    expect(await failure(getJson("https://feed.test/x", options(fetch)))).toMatchObject({
      reason: "HTTP 404",
    });
    expect(calls).toHaveLength(1);
  });

  it("names the system error of a network failure, tried twice", async () => {
    const refused = async () => {
      throw new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } });
    };
    const { fetch, calls } = scripted(refused);
    expect(await failure(getJson("https://feed.test/x", options(fetch)))).toMatchObject({
      kind: "network",
      reason: "network error (ECONNREFUSED)",
    });
    expect(calls).toHaveLength(2);
  });

  it("calls a body that is not JSON invalid, without a retry", async () => {
    const { fetch, calls } = scripted(async () => new Response("<html>maintenance</html>"));
    expect(await failure(getJson("https://feed.test/x", options(fetch)))).toMatchObject({
      kind: "invalid-json",
      reason: "invalid JSON",
    });
    expect(calls).toHaveLength(1);
  });

  it("stops reading an endless body soon after the limit", async () => {
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024).fill(32);
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const { fetch } = scripted(async () => new Response(endless));
    const error = await failure(getJson("https://feed.test/x", options(fetch, { maxBytes: MB })));
    expect(error).toMatchObject({ kind: "too-large", reason: "body larger than 1 MB" });
    expect(pulled).toBeGreaterThan(MB);
    expect(pulled).toBeLessThanOrEqual(MB + 4 * chunk.byteLength);
  });

  it("refuses a body announced larger than the limit without reading it", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(10));
      },
    });
    const { fetch } = scripted(
      async () => new Response(body, { headers: { "content-length": String(9 * MB) } }),
    );
    const error = await failure(getJson("https://feed.test/x", options(fetch, { maxBytes: 8 * MB })));
    expect(error).toMatchObject({ kind: "too-large", reason: "body larger than 8 MB" });
    // The stream may have been asked to fill its queue once; its content was never read.
    expect(pulled).toBeLessThanOrEqual(1);
  });

  it("gives up on a server that never answers at the deadline, aborting the request, without a retry", async () => {
    const { fetch, calls } = scripted(() => new Promise<Response>(() => {}));
    const started = Date.now();
    const error = await failure(getJson("https://feed.test/x", options(fetch, { timeoutMs: 100 })));
    expect(error).toMatchObject({ kind: "timeout", reason: "no answer within 100 ms" });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.signal?.aborted).toBe(true);
  });

  it("gives up on a body that stalls after its first bytes at the same deadline", async () => {
    const stalling = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"vulnerabilities": ['));
      },
      pull: () => new Promise<void>(() => {}),
    });
    const { fetch } = scripted(async () => new Response(stalling));
    const started = Date.now();
    const error = await failure(getJson("https://feed.test/x", options(fetch, { timeoutMs: 150 })));
    expect(error).toMatchObject({ kind: "timeout", reason: "no answer within 150 ms" });
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
