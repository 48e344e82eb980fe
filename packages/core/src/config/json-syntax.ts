// Where a JSON document is broken, and in words a config author can act on. JSON.parse says only "at position 412"
// on Node 20 (and nothing at all for some mistakes), so a small scanner of the JSON grammar (RFC 8259) finds the
// first mistake itself: the same on every Node version, with a line and column an editor can jump to.

/** The first syntax error of a JSON text: its offset (UTF-16 code units from the start) and what is wrong. */
export interface JsonSyntaxError {
  offset: number;
  message: string;
}

/** 1-based line and column of an offset; a column counts characters after the line's last `\n`. */
export function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf("\n");
  return { line: before.split("\n").length, column: offset - lastBreak };
}

class Stop {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);
const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

/**
 * The first syntax error of `text` as JSON, or undefined when there is none. The messages name what was expected
 * and what was found, and the usual slips by their names: a trailing comma, a comment, a single quote.
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  // Declarations, not arrow constants: TypeScript narrows after a call only to a declared `never` function.
  function fail(message: string, at = i): never {
    throw new Stop(at, message);
  }
  const found = (at = i): string => {
    const c = text[at];
    if (c === undefined) return "the end of the input";
    if (c === "'") return "a single quote (JSON strings take double quotes)";
    if (c === "/") return "'/' (JSON has no comments)";
    if (c === "\uFEFF") return "a byte-order mark (save the file as UTF-8 without BOM)";
    // A bare word (an unquoted name, `tru`, `yes`, `undefined`) is shown whole.
    const word = /^[A-Za-z_$][\w$]*/.exec(text.slice(at, at + 40))?.[0];
    if (word) return `'${word}'`;
    const code = c.codePointAt(0) ?? 0;
    return code < 0x20 ? `control character U+${code.toString(16).toUpperCase().padStart(4, "0")}` : `'${c}'`;
  };
  function expected(what: string): never {
    return fail(`Expected ${what}, found ${found()}`);
  }
  const skipWhitespace = () => {
    while (i < text.length && WHITESPACE.has(text[i] as string)) i++;
  };

  const literal = (word: string) => {
    if (!text.startsWith(word, i)) expected("a value (string, number, object, array, true, false or null)");
    i += word.length;
  };

  const string = () => {
    const start = i;
    i++; // the opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined) fail("Unterminated string (no closing double quote)", start);
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const next = text[i + 1];
        if (next === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)))
            fail("Bad \\u escape in string (four hex digits expected)");
          i += 6;
          continue;
        }
        if (next === undefined || !ESCAPES.has(next))
          fail(`Bad escape \\${next ?? ""} in string (JSON knows \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)`);
        i += 2;
        continue;
      }
      const code = c.codePointAt(0) ?? 0;
      if (code < 0x20)
        fail(
          `Control character U+${code.toString(16).toUpperCase().padStart(4, "0")} inside a string (a line break or tab is written \\n or \\t)`,
        );
      i++;
    }
  };

  const digits = (after: string) => {
    if (!isDigit(text[i])) fail(`No digit after ${after}`);
    while (isDigit(text[i])) i++;
  };

  const number = () => {
    if (text[i] === "-") {
      i++;
      if (!isDigit(text[i])) fail("No digit after '-'");
    }
    // A leading 0 stands alone: `01` ends the number at the 0, and the 1 is what the caller did not expect.
    if (text[i] === "0") i++;
    else while (isDigit(text[i])) i++;
    if (text[i] === ".") {
      i++;
      digits("the decimal point");
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      digits("the exponent's 'e'");
    }
  };

  const object = () => {
    i++; // {
    skipWhitespace();
    if (text[i] === "}") {
      i++;
      return;
    }
    for (;;) {
      skipWhitespace();
      if (text[i] !== '"') expected("a property name in double quotes");
      string();
      skipWhitespace();
      if (text[i] !== ":") expected("':' after the property name");
      i++;
      value();
      skipWhitespace();
      if (text[i] === "}") {
        i++;
        return;
      }
      if (text[i] !== ",") expected("',' or '}' after the property value");
      const comma = i;
      i++;
      skipWhitespace();
      if (text[i] === "}") fail("Trailing comma before '}' (JSON allows none: remove it)", comma);
    }
  };

  const array = () => {
    i++; // [
    skipWhitespace();
    if (text[i] === "]") {
      i++;
      return;
    }
    for (;;) {
      value();
      skipWhitespace();
      if (text[i] === "]") {
        i++;
        return;
      }
      if (text[i] !== ",") expected("',' or ']' after the array element");
      const comma = i;
      i++;
      skipWhitespace();
      if (text[i] === "]") fail("Trailing comma before ']' (JSON allows none: remove it)", comma);
    }
  };

  function value(): void {
    skipWhitespace();
    const c = text[i];
    if (c === "{") object();
    else if (c === "[") array();
    else if (c === '"') string();
    else if (c === "-" || isDigit(c)) number();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else expected("a value (string, number, object, array, true, false or null)");
  }

  try {
    skipWhitespace();
    if (i === text.length) return { offset: i, message: "The document is empty (expected a JSON object)" };
    value();
    skipWhitespace();
    if (i < text.length) expected("nothing after the end of the document");
    return undefined;
  } catch (error) {
    if (error instanceof Stop) return { offset: error.offset, message: error.message };
    // A document nested deeper than the stack allows: the caller falls back to JSON.parse's own words.
    return undefined;
  }
}
