import { beforeEach, describe, expect, it } from "vitest";
import { loadFresh } from "./support/fresh-modules.js";

// The message schema is built while its module loads: each test loads it afresh (support/fresh-modules.ts says why).
let parseScanRepositoryMessage: typeof import("../src/scan-messages.js").parseScanRepositoryMessage;
let SCAN_MESSAGE_VERSION: number;
let MessageError: typeof import("../src/errors.js").MessageError;
type MessageError = import("../src/errors.js").MessageError;

beforeEach(async () => {
  const [messages, errors] = await loadFresh(() =>
    Promise.all([import("../src/scan-messages.js"), import("../src/errors.js")]),
  );
  ({ parseScanRepositoryMessage, SCAN_MESSAGE_VERSION } = messages);
  ({ MessageError } = errors);
});

const GOOD = {
  version: 1,
  kind: "scan-repository",
  registryId: "123456789012",
  repositoryName: "team-a/api",
  scanType: "BASIC",
  runId: "2026-06-01T00:00:00Z-7f3a",
};

/** Parses `body`, expects a MessageError, and returns it. */
function messageErrorOf(body: string): MessageError {
  try {
    parseScanRepositoryMessage(body);
  } catch (error) {
    expect(error).toBeInstanceOf(MessageError);
    return error as MessageError;
  }
  throw new Error("expected a MessageError, nothing was thrown");
}

describe("parseScanRepositoryMessage", () => {
  it("parses a good message", () => {
    expect(SCAN_MESSAGE_VERSION).toBe(1);
    expect(parseScanRepositoryMessage(JSON.stringify(GOOD))).toEqual(GOOD);
    expect(parseScanRepositoryMessage(JSON.stringify({ ...GOOD, scanType: "ENHANCED" })).scanType).toBe(
      "ENHANCED",
    );
  });

  it("rejects a body that is not JSON", () => {
    const error = messageErrorOf("scan team-a/api please");
    expect(error.code).toBe("MESSAGE_INVALID");
    expect(error.message).toBe("the body is not JSON");
  });

  it("rejects another version, naming the field and the version expected", () => {
    const error = messageErrorOf(JSON.stringify({ ...GOOD, version: 2 }));
    expect(error.code).toBe("MESSAGE_INVALID");
    expect(error.message).toMatch(/^not a scan-repository message v1: /);
    expect(error.message).toMatch(/version: .*1/);
  });

  it("rejects a message without repositoryName, naming the field", () => {
    const { repositoryName: _omitted, ...withoutRepository } = GOOD;
    const error = messageErrorOf(JSON.stringify(withoutRepository));
    expect(error.message).toMatch(/^not a scan-repository message v1: repositoryName: /);
    expect(error.message).toContain("expected string");
  });

  it("lists every problem of a message at once", () => {
    const error = messageErrorOf(
      JSON.stringify({ ...GOOD, registryId: "12345", scanType: "basic", extra: true, runId: "" }),
    );
    for (const field of ["registryId", "scanType", "runId", "extra"]) expect(error.message).toContain(field);
  });

  it.each([
    ["null", "null"],
    ["an array", "[]"],
    ["a string", '"scan-repository"'],
  ])("rejects %s as the whole body", (_name, body) => {
    const error = messageErrorOf(body);
    expect(error.message).toMatch(/^not a scan-repository message v1: \(body\): /);
  });

  it("rejects another kind of message", () => {
    const error = messageErrorOf(JSON.stringify({ ...GOOD, kind: "report-image" }));
    expect(error.message).toContain("kind: ");
  });

  it("takes a registry id of exactly 12 digits", () => {
    for (const registryId of ["1234567890123", "x123456789012", "12345678901x"]) {
      expect(messageErrorOf(JSON.stringify({ ...GOOD, registryId })).message, registryId).toContain(
        "registryId: ",
      );
    }
  });

  it("separates the problems it lists with semicolons", () => {
    const error = messageErrorOf(JSON.stringify({ ...GOOD, kind: "report-image", runId: "" }));
    expect(error.message).toMatch(/^not a scan-repository message v1: kind: [^;]+; runId: [^;]+$/);
  });
});
