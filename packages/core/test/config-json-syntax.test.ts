import { describe, expect, it } from "vitest";
import { findJsonSyntaxError, lineColumnOf } from "../src/config/json-syntax.js";
import { parseConfigText, parseJsonDocument } from "../src/config/load.js";
import { ConfigError } from "../src/errors.js";

/** A configuration as people write it: nested objects, arrays, strings with escapes, numbers of every form. */
const DOCUMENT = `{
  "$schema": "./node_modules/@ecr-scan-reporter/core/config.schema.json",
  "scan": { "expiry": "7d", "maxScansPerRun": 5000 },
  "thresholds": { "CRITICAL": 0, "HIGH": 2, "MEDIUM": null },
  "escalate": { "kev": true, "exploitAvailable": false, "epssAbove": 0.5e-1 },
  "ignore": [{ "id": "CVE-2023-4863", "reason": "not reachable: \\"libwebp\\" \\u00e9\\n", "until": "2027-01-31" }],
  "reporters": [
    { "use": "slack", "options": { "webhookUrl": { "parameter": "/ecr/slack" } } },
    { "use": "metrics", "options": { "namespace": "Scans", "ratio": -1.25E+3 } }
  ]
}
`;

/** The error at the place of `marker` in `text` (the marker removed). */
function errorAt(textWithMarker: string) {
  const offset = textWithMarker.indexOf("⟨");
  const text = textWithMarker.replace("⟨", "");
  return { text, offset, error: findJsonSyntaxError(text) };
}

describe("findJsonSyntaxError", () => {
  it("finds nothing in valid JSON", () => {
    for (const text of [DOCUMENT, "{}", "[]", '"x"', "0", "-0.5", "1e9", "true", "null", " \n{ }\r\n"]) {
      expect(findJsonSyntaxError(text)).toBeUndefined();
    }
  });

  it.each([
    { text: '{"a": 1 ⟨"b": 2}', message: "Expected ',' or '}' after the property value, found '\"'" },
    { text: '{"a": 1⟨,}', message: "Trailing comma before '}' (JSON allows none: remove it)" },
    { text: "[1, 2⟨,\n]", message: "Trailing comma before ']' (JSON allows none: remove it)" },
    { text: "[1 ⟨2]", message: "Expected ',' or ']' after the array element, found '2'" },
    { text: "{⟨name: 1}", message: "Expected a property name in double quotes, found 'name'" },
    {
      text: "{⟨'a': 1}",
      message:
        "Expected a property name in double quotes, found a single quote (JSON strings take double quotes)",
    },
    { text: '{"a" ⟨1}', message: "Expected ':' after the property name, found '1'" },
    {
      text: '{"a": ⟨// note\n1}',
      message:
        "Expected a value (string, number, object, array, true, false or null), found '/' (JSON has no comments)",
    },
    {
      text: '{"a": ⟨tru}',
      message: "Expected a value (string, number, object, array, true, false or null), found 'tru'",
    },
    { text: '{"a": ⟨"open}', message: "Unterminated string (no closing double quote)" },
    {
      text: '{"a": "x⟨\\q"}',
      message: 'Bad escape \\q in string (JSON knows \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)',
    },
    { text: '{"a": "x⟨\\u12G4"}', message: "Bad \\u escape in string (four hex digits expected)" },
    {
      text: '{"a": "line⟨\nbreak"}',
      message: "Control character U+000A inside a string (a line break or tab is written \\n or \\t)",
    },
    { text: '{"a": -⟨x}', message: "No digit after '-'" },
    { text: '{"a": 1.⟨}', message: "No digit after the decimal point" },
    { text: '{"a": 1e+⟨}', message: "No digit after the exponent's 'e'" },
    { text: '{"a": 0⟨1}', message: "Expected ',' or '}' after the property value, found '1'" },
    { text: '{"a": 1}⟨}', message: "Expected nothing after the end of the document, found '}'" },
    {
      text: '{"a": [1, 2]⟨',
      message: "Expected ',' or '}' after the property value, found the end of the input",
    },
    {
      text: "⟨\uFEFF{}",
      message:
        "Expected a value (string, number, object, array, true, false or null), found a byte-order mark (save the file as UTF-8 without BOM)",
    },
    { text: " \n ⟨", message: "The document is empty (expected a JSON object)" },
  ])("places and names: $message", ({ text, message }) => {
    const found = errorAt(text);
    expect(found.error).toEqual({ offset: found.offset, message });
  });

  it("agrees with JSON.parse on every text made by deleting one character of a document", () => {
    // Each deletion breaks the document somewhere else (a quote, a brace, a digit, a comma): whatever JSON.parse
    // rejects, the scanner must place; whatever JSON.parse accepts, the scanner must accept.
    let rejected = 0;
    for (let at = 0; at < DOCUMENT.length; at++) {
      const text = DOCUMENT.slice(0, at) + DOCUMENT.slice(at + 1);
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
        rejected++;
      }
      const error = findJsonSyntaxError(text);
      expect(error === undefined, `deleting offset ${at} (${JSON.stringify(DOCUMENT[at])})`).toBe(valid);
    }
    expect(rejected).toBeGreaterThan(100);
  });
});

describe("lineColumnOf", () => {
  it("counts lines and columns from 1, and a column from the line's start", () => {
    const text = 'ab\n{\n  "x"\r\n}';
    expect(lineColumnOf(text, 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumnOf(text, 1)).toEqual({ line: 1, column: 2 });
    expect(lineColumnOf(text, 3)).toEqual({ line: 2, column: 1 });
    expect(lineColumnOf(text, text.indexOf('"'))).toEqual({ line: 3, column: 3 });
    expect(lineColumnOf(text, text.length - 1)).toEqual({ line: 4, column: 1 });
  });
});

describe("a configuration that is not JSON", () => {
  const broken = '{\n  "scan": { "expiry": "7d" }\n  "reporters": []\n}\n';

  it("is one problem with its line and column", () => {
    expect(parseJsonDocument(broken)).toEqual({
      problem: {
        path: "",
        reason: "Expected ',' or '}' after the property value, found '\"'",
        line: 3,
        column: 3,
      },
    });
  });

  it("is a ConfigError whose message gives file:line:column first, as editors read it", () => {
    const error = (() => {
      try {
        parseConfigText(broken, "ecr-scan-reporter.json");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      "Invalid ecr-scan-reporter configuration (ecr-scan-reporter.json), 1 problem(s):\n" +
        "  - ecr-scan-reporter.json:3:3: Expected ',' or '}' after the property value, found '\"'",
    );
  });

  it("keeps JSON.parse's words when the scanner cannot place the mistake (a document nested past the stack)", () => {
    const deep = `${"[".repeat(200_000)}x`;
    const parsed = parseJsonDocument(deep);
    expect(parsed).toEqual({ problem: { path: "", reason: expect.stringMatching(/^not valid JSON: /) } });
  });
});
