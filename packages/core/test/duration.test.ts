import { beforeEach, describe, expect, it } from "vitest";
import { loadFresh } from "./support/fresh-modules.js";

// The duration pattern is built while its module loads: each test loads it afresh (support/fresh-modules.ts says why).
let formatDuration: typeof import("../src/duration.js").formatDuration;
let parseDuration: typeof import("../src/duration.js").parseDuration;

beforeEach(async () => {
  ({ formatDuration, parseDuration } = await loadFresh(() => import("../src/duration.js")));
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("parseDuration", () => {
  it("reads days, hours and minutes", () => {
    expect(parseDuration("7d")).toBe(7 * DAY);
    expect(parseDuration("12h")).toBe(12 * HOUR);
    expect(parseDuration("30m")).toBe(30 * MINUTE);
    expect(parseDuration("0d")).toBe(0);
  });

  it("ignores spaces around the duration", () => {
    expect(parseDuration(" 36h\n")).toBe(36 * HOUR);
  });

  it("takes up to six digits", () => {
    expect(parseDuration("999999m")).toBe(999_999 * MINUTE);
    expect(parseDuration("1000000m")).toBeUndefined();
  });

  it("rejects anything around the duration, other units and missing parts", () => {
    for (const text of ["", "7", "d", "7 d", "7w", "7s", "7D", "-7d", "1.5h", "x7d", "7dx", "7d7h", "P7D"]) {
      expect(parseDuration(text), text).toBeUndefined();
    }
  });
});

describe("formatDuration", () => {
  it("writes the largest whole unit", () => {
    expect(formatDuration(7 * DAY)).toBe("7d");
    expect(formatDuration(36 * HOUR)).toBe("36h");
    expect(formatDuration(90 * MINUTE)).toBe("90m");
  });

  it("falls back to whole seconds for what is not whole minutes", () => {
    expect(formatDuration(90_000)).toBe("90s");
    expect(formatDuration(1_500)).toBe("2s");
  });

  it("round-trips what parseDuration reads", () => {
    for (const text of ["7d", "36h", "90m", "1m"]) {
      expect(formatDuration(parseDuration(text) as number)).toBe(text);
    }
  });
});
