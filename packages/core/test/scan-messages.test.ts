import { describe, expect, it } from "vitest";
import { MessageError } from "../src/errors.js";
import { parseScanRepositoryMessage, SCAN_MESSAGE_VERSION } from "../src/scan-messages.js";

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
});
