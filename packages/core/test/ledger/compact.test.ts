import { describe, expect, it } from "vitest";
import { attributeValueBytes, fromItem, itemBytes, toItem } from "../../src/ledger/attributes.js";
import {
  decodeFinding,
  decodeFindings,
  encodeFinding,
  fitFindings,
  LIST_OVERHEAD_BYTES,
} from "../../src/ledger/compact.js";
import { SEVERITIES } from "../../src/model.js";
import { compact } from "./fixtures.js";

const FIRST_SEEN = "2026-11-23T10:00:00.000Z";
const FIRST_SEEN_SECONDS = String(Date.parse(FIRST_SEEN) / 1000);

describe("encodeFinding / decodeFinding", () => {
  it("writes the documented form: id|severity letter|package|version|fixedIn|epoch seconds", () => {
    const entry = encodeFinding(
      compact("CVE-2024-1", "CRITICAL", { fixedIn: "3.0.2", firstSeen: FIRST_SEEN }),
    );
    expect(entry).toBe(`CVE-2024-1|C|openssl|3.0.1|3.0.2|${FIRST_SEEN_SECONDS}`);
  });

  it("reads back every severity and every field", () => {
    for (const severity of SEVERITIES) {
      const original = compact(`CVE-1-${severity}`, severity, { fixedIn: "9", firstSeen: FIRST_SEEN });
      expect(decodeFinding(encodeFinding(original))).toEqual(original);
    }
  });

  it("leaves absent fields empty and reads them back absent", () => {
    const entry = encodeFinding({ id: "CVE-2024-2", severity: "LOW" });
    expect(entry).toBe("CVE-2024-2|L||||");
    expect(decodeFinding(entry)).toEqual({ id: "CVE-2024-2", severity: "LOW" });
  });

  it("escapes | and \\ inside values, so that any text survives", () => {
    const tricky = compact("id|with\\bars", "HIGH", { package: "pkg|\\|", version: "\\", fixedIn: "|" });
    const entry = encodeFinding(tricky);
    expect(entry).toBe("id\\|with\\\\bars|H|pkg\\|\\\\\\||\\\\|\\||");
    expect(decodeFinding(entry)).toEqual(tricky);
  });

  it("round-trips random text over an alphabet made of separators and escapes", () => {
    const alphabet = ["a", "|", "\\", " ", "é", "-"];
    let seed = 7;
    const nextIndex = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % alphabet.length;
    };
    const text = (length: number) => Array.from({ length }, () => alphabet[nextIndex()]).join("");
    for (let i = 0; i < 500; i++) {
      const original = compact(`x${text(6)}`, "MEDIUM", {
        package: `p${text(5)}`,
        version: `v${text(4)}`,
        fixedIn: `f${text(3)}`,
      });
      expect(decodeFinding(encodeFinding(original))).toEqual(original);
    }
  });

  it("keeps first-seen to the second", () => {
    const entry = encodeFinding(compact("CVE-1", "LOW", { firstSeen: "2026-11-23T10:00:00.987Z" }));
    expect(decodeFinding(entry)?.firstSeen).toBe("2026-11-23T10:00:00.000Z");
  });

  it.each([
    ["too few fields", "CVE-1|C|pkg|1|2"],
    ["too many fields", "CVE-1|C|pkg|1|2|3|4"],
    ["an unknown severity letter", "CVE-1|X|pkg|1|2|"],
    ["a severity spelled out", "CVE-1|CRITICAL|pkg|1|2|"],
    ["an empty id", "|C|pkg|1|2|"],
    ["a first-seen that is not epoch seconds", "CVE-1|C|pkg|1|2|2026-11-23"],
    ["a dangling escape", "CVE-1|C|pkg|1|2|\\"],
    ["an escape of an ordinary character", "CVE-1|C|p\\kg|1|2|"],
  ])("rejects an entry with %s", (_why, entry) => {
    expect(decodeFinding(entry)).toBeUndefined();
  });
});

describe("decodeFindings", () => {
  it("skips and counts bad entries (and non-strings) and keeps every good one, in order", () => {
    const first = compact("CVE-1", "HIGH");
    const second = compact("CVE-2", "LOW");
    const entries = [encodeFinding(first), "garbage", 42, null, { S: "x" }, encodeFinding(second), "a|Z||||"];
    expect(decodeFindings(entries)).toEqual({ findings: [first, second], skipped: 5 });
  });

  it("reads an empty list as no findings, nothing skipped", () => {
    expect(decodeFindings([])).toEqual({ findings: [], skipped: 0 });
  });
});

describe("fitFindings", () => {
  const entryBytes = (entry: string) => Buffer.byteLength(entry) + 1;

  it("stores every finding, most severe first, when they fit", () => {
    const findings = [
      compact("L1", "LOW"),
      compact("C1", "CRITICAL"),
      compact("M1", "MEDIUM"),
      compact("C2", "CRITICAL"),
    ];
    const fitted = fitFindings(findings, 10_000);
    expect(fitted.truncated).toBe(false);
    expect(fitted.entries.map((e) => decodeFinding(e)?.id)).toEqual(["C1", "C2", "M1", "L1"]);
  });

  it("keeps the most severe prefix that fits the budget and says it truncated", () => {
    const [low, high, critical] = [
      compact("LOW-1", "LOW"),
      compact("HIGH-1", "HIGH"),
      compact("CRIT-1", "CRITICAL"),
    ];
    const two = [encodeFinding(critical), encodeFinding(high)];
    const budget =
      LIST_OVERHEAD_BYTES + entryBytes(encodeFinding(critical)) + entryBytes(encodeFinding(high));
    expect(fitFindings([low, high, critical], budget)).toEqual({ entries: two, truncated: true });
    expect(fitFindings([low, high, critical], budget + entryBytes(encodeFinding(low)))).toEqual({
      entries: [...two, encodeFinding(low)],
      truncated: false,
    });
  });

  it("stops at the first finding that does not fit, even if a shorter, less severe one would", () => {
    const long = compact("HIGH-LONG", "HIGH", { package: "x".repeat(200) });
    const short = compact("L", "LOW");
    const critical = compact("C", "CRITICAL");
    const budget =
      LIST_OVERHEAD_BYTES + entryBytes(encodeFinding(critical)) + entryBytes(encodeFinding(short));
    const fitted = fitFindings([short, long, critical], budget);
    expect(fitted).toEqual({ entries: [encodeFinding(critical)], truncated: true });
  });

  it("counts UTF-8 bytes, not characters", () => {
    const wide = compact("CVE-1", "LOW", { package: "é".repeat(10) });
    const bytes = LIST_OVERHEAD_BYTES + entryBytes(encodeFinding(wide));
    expect(fitFindings([wide], bytes).truncated).toBe(false);
    expect(fitFindings([wide], bytes - 1).truncated).toBe(true);
  });
});

describe("attribute values", () => {
  it("round-trips what the ledger writes and reads sets as sets, not lists", () => {
    const item = toItem({ a: "text", n: 42, b: true, l: ["x", "y"], skipped: undefined });
    expect(Object.keys(item)).toEqual(["a", "n", "b", "l"]);
    expect(fromItem(item)).toEqual({ a: "text", n: 42, b: true, l: ["x", "y"] });
    expect(fromItem({ s: { SS: ["x"] } }).s).toEqual(new Set(["x"]));
  });

  it("sizes items as DynamoDB documents: names + UTF-8 strings, numbers by digits, lists with overhead", () => {
    expect(itemBytes({ name: { S: "abc" } })).toBe(4 + 3);
    expect(itemBytes({ n: { N: "1234" } })).toBe(1 + 3);
    expect(attributeValueBytes({ BOOL: false })).toBe(1);
    expect(attributeValueBytes({ L: [{ S: "ab" }, { S: "é" }] })).toBe(3 + (1 + 2) + (1 + 2));
    expect(attributeValueBytes({ M: { k: { S: "v" } } })).toBe(3 + 1 + 1 + 1);
  });
});
