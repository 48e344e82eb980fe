import { readFileSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { loadFresh } from "./support/fresh-modules.js";

// The retry envelope's schema is built while its module loads: each test loads it afresh
// (support/fresh-modules.ts says why).
type ReportQueue = typeof import("../src/events/report-queue.js");
let buildFindingsWaitMessageBody: ReportQueue["buildFindingsWaitMessageBody"];
let buildRetryMessageBody: ReportQueue["buildRetryMessageBody"];
let parseReportQueueMessage: ReportQueue["parseReportQueueMessage"];
let MessageError: typeof import("../src/errors.js").MessageError;
type MessageError = import("../src/errors.js").MessageError;

beforeEach(async () => {
  const [queue, errors] = await loadFresh(() =>
    Promise.all([import("../src/events/report-queue.js"), import("../src/errors.js")]),
  );
  ({ buildFindingsWaitMessageBody, buildRetryMessageBody, parseReportQueueMessage } = queue);
  ({ MessageError } = errors);
});

// biome-ignore lint/suspicious/noExplicitAny: tests reach into fixtures and edit them freely
type Json = Record<string, any>;

function fixture(name: string): Json {
  return JSON.parse(
    readFileSync(new URL(`../../../test/fixtures/events/${name}.json`, import.meta.url), "utf8"),
  );
}

/** Parses `body`, expects a MessageError, and returns it. */
function messageErrorOf(body: string, messageId = "m-1"): MessageError {
  try {
    parseReportQueueMessage(body, messageId);
  } catch (error) {
    expect(error).toBeInstanceOf(MessageError);
    return error as MessageError;
  }
  throw new Error("expected a MessageError, nothing was thrown");
}

const envelope = (meta: Json, event: Json = fixture("ecr-image-scan-complete")) =>
  JSON.stringify({ ecrScanReporter: meta, event });

describe("parseReportQueueMessage: bodies that are not an event", () => {
  it("keeps the JSON error as the cause of a body that is not JSON", () => {
    const error = messageErrorOf("{", "m-3");
    expect(error.message).toMatch(/^report-queue message m-3: the body is not JSON \(SyntaxError: /);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it.each([
    ["42", "number"],
    ['"ECR Image Scan"', "string"],
    ["true", "boolean"],
  ])("rejects the JSON value %s, naming its type", (body, type) => {
    expect(messageErrorOf(body, "m-4").message).toBe(
      `report-queue message m-4: not an EventBridge event: expected a JSON object, got ${type}`,
    );
  });

  it("says where a malformed plain event failed, without a retry envelope, keeping the cause", () => {
    const document = fixture("ecr-image-scan-complete");
    delete document.detail["image-digest"];
    const error = messageErrorOf(JSON.stringify(document), "m-5");
    expect(error.message).toBe(
      'report-queue message m-5: "ECR Image Scan" event "85fc3613-e913-7fc4-a80c-a3753e4aa9ae": detail.image-digest: required',
    );
    expect(error.cause).toBeInstanceOf(MessageError);
    expect((error.cause as Error).message).toBe(
      '"ECR Image Scan" event "85fc3613-e913-7fc4-a80c-a3753e4aa9ae": detail.image-digest: required',
    );
  });
});

describe("parseReportQueueMessage: retry envelopes", () => {
  it("reads a retry of several reporters, and a wait for findings that names none", () => {
    const retry = parseReportQueueMessage(
      envelope({ version: 1, retryReporters: ["slack", "sns", "slack"], attempt: 3 }),
      "m-1",
    );
    expect(retry).toMatchObject({ kind: "scan-completed", retryReporters: ["slack", "sns"], attempt: 3 });
    expect(retry).not.toHaveProperty("findingsWaits");

    const waiting = parseReportQueueMessage(envelope({ version: 1, attempt: 1, findingsWaits: 2 }), "m-2");
    expect(waiting).toMatchObject({ kind: "scan-completed", attempt: 1, findingsWaits: 2 });
    expect(waiting).not.toHaveProperty("retryReporters");
  });

  it("names the version it reads when the envelope is of another", () => {
    expect(messageErrorOf(envelope({ version: 2, retryReporters: ["slack"], attempt: 2 })).message).toBe(
      "report-queue message m-1: not a valid retry envelope: ecrScanReporter.version: retry envelope version 2 is not one this release reads (1)",
    );
  });

  it("rejects an envelope that neither names reporters nor counts waits", () => {
    expect(messageErrorOf(envelope({ version: 1, attempt: 2 })).message).toBe(
      "report-queue message m-1: not a valid retry envelope: ecrScanReporter: a retry envelope names the reporters to retry (retryReporters) or counts findingsWaits",
    );
  });

  it("rejects a targeted retry that says it is the first attempt, naming the attempt", () => {
    expect(messageErrorOf(envelope({ version: 1, retryReporters: ["slack"], attempt: 1 })).message).toBe(
      "report-queue message m-1: not a valid retry envelope: ecrScanReporter.attempt: a targeted retry is attempt 2 or later",
    );
  });

  it("lists every problem of an envelope, separated by semicolons", () => {
    const message = messageErrorOf(envelope({ version: 2, retryReporters: [""], attempt: 0 })).message;
    expect(message).toMatch(/^report-queue message m-1: not a valid retry envelope: [^;]+(; [^;]+){2,}$/);
    expect(message).toContain("ecrScanReporter.version: ");
    expect(message).toContain("ecrScanReporter.retryReporters[0]: ");
    expect(message).toContain("ecrScanReporter.attempt: ");
  });
});

describe("buildFindingsWaitMessageBody", () => {
  it("counts the waits, keeps the attempt, and names the reporters still to run, once each", () => {
    const event = fixture("inspector2-scan");
    const body = buildFindingsWaitMessageBody(JSON.stringify(event), 2, {
      reporters: ["sns", "slack", "sns"],
      attempt: 3,
    });
    expect(JSON.parse(body)).toEqual({
      ecrScanReporter: { version: 1, retryReporters: ["sns", "slack"], attempt: 3, findingsWaits: 2 },
      event,
    });
    expect(parseReportQueueMessage(body, "m-1")).toMatchObject({
      retryReporters: ["sns", "slack"],
      attempt: 3,
      findingsWaits: 2,
    });
  });

  it("runs every reporter, first attempt, when the options say nothing", () => {
    const event = fixture("inspector2-scan");
    expect(JSON.parse(buildFindingsWaitMessageBody(event, 1))).toEqual({
      ecrScanReporter: { version: 1, attempt: 1, findingsWaits: 1 },
      event,
    });
  });

  it("refuses an original event that is not a JSON object, naming itself", () => {
    for (const original of [42, "42", "[]", null]) {
      expect(() => buildFindingsWaitMessageBody(original, 1)).toThrow(
        new TypeError("buildFindingsWaitMessageBody: the original event must be a JSON object (or its text)"),
      );
    }
  });
});

describe("buildRetryMessageBody", () => {
  it("refuses an original event that is not a JSON object, naming itself", () => {
    for (const original of [42, "42", "true"]) {
      expect(() => buildRetryMessageBody(original, ["slack"])).toThrow(
        new TypeError("buildRetryMessageBody: the original event must be a JSON object (or its text)"),
      );
    }
  });

  it("refuses a reporter name that is empty or not a string, among good ones", () => {
    const event = fixture("inspector2-scan");
    const refusal = new RangeError(
      "buildRetryMessageBody: name at least one reporter to retry, each a non-empty string",
    );
    expect(() => buildRetryMessageBody(event, ["slack", ""])).toThrow(refusal);
    expect(() => buildRetryMessageBody(event, ["slack", 7 as unknown as string])).toThrow(refusal);
    expect(() => buildRetryMessageBody(event, [])).toThrow(refusal);
  });
});
