// An Amazon EventBridge event pattern matcher, for tests: `aws events test-event-pattern` needs AWS, and the module's
// patterns must be checked offline against real sample events. It follows the EventBridge User Guide's "Amazon
// EventBridge event patterns" and "Content filtering" pages for what it implements, and throws on anything else,
// so that a pattern using a filter it does not know fails loudly instead of matching wrongly:
// - a pattern is an object; every field it names must match (AND); a field's array lists alternatives (OR);
// - a nested object matches fields of the event's nested object; arrays in the event are flattened, so a value
//   matches when any element of the event's array matches ("Matching on multiple field values"). Whether
//   EventBridge requires several fields over one array of objects to match in the same element is not documented:
//   here they may match in different ones, so a pattern that relies on either is not vouched for;
// - exact values (strings, numbers, booleans, null), `prefix`, `suffix`, `equals-ignore-case`, `anything-but`
//   (a value, a list, or a prefix / suffix), `numeric` (comparisons, ANDed) and `exists`;
// - a field missing from the event matches nothing but `{ "exists": false }`; `exists` looks at leaf values only.

/** A value an event carries at a leaf: what the filters compare. */
type Leaf = string | number | boolean | null;

/** An EventBridge event pattern: fields mapped to alternatives, or to nested patterns. */
export type EventPattern = { readonly [field: string]: EventPattern | readonly unknown[] };

const NUMERIC_OPERATORS: Readonly<Record<string, (value: number, bound: number) => boolean>> = {
  "=": (value, bound) => value === bound,
  "<": (value, bound) => value < bound,
  "<=": (value, bound) => value <= bound,
  ">": (value, bound) => value > bound,
  ">=": (value, bound) => value >= bound,
};

/** Whether `event` matches `pattern`, as EventBridge decides it; throws on a pattern this matcher cannot read. */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return leafFilters(pattern, []).every(({ path, alternatives }) => {
    const values = leafValuesAt(event, path);
    return alternatives.some((alternative) => matchesAlternative(alternative, values, path));
  });
}

/** The pattern as a list of leaf fields (their paths) with their alternatives. */
function leafFilters(
  pattern: EventPattern,
  path: readonly string[],
): { path: readonly string[]; alternatives: readonly unknown[] }[] {
  if (!isPlainObject(pattern) || Object.keys(pattern).length === 0) {
    throw new Error(`event pattern ${describePath(path)}: expected a non-empty object`);
  }
  return Object.entries(pattern).flatMap(([field, value]) => {
    const fieldPath = [...path, field];
    if (Array.isArray(value)) {
      if (value.length === 0) throw new Error(`event pattern ${describePath(fieldPath)}: an empty array`);
      return [{ path: fieldPath, alternatives: value }];
    }
    if (isPlainObject(value)) return leafFilters(value as EventPattern, fieldPath);
    throw new Error(`event pattern ${describePath(fieldPath)}: expected an array or an object`);
  });
}

/** The leaf values found at `path` in the event, arrays flattened at every level; objects are not leaves. */
function leafValuesAt(node: unknown, path: readonly string[]): Leaf[] {
  if (Array.isArray(node)) return node.flatMap((element) => leafValuesAt(element, path));
  const [field, ...rest] = path;
  if (field === undefined) return isPlainObject(node) || node === undefined ? [] : [node as Leaf];
  if (!isPlainObject(node) || !Object.hasOwn(node, field)) return [];
  return leafValuesAt(node[field], rest);
}

function matchesAlternative(alternative: unknown, values: readonly Leaf[], path: readonly string[]): boolean {
  if (!isPlainObject(alternative)) {
    if (!isLeaf(alternative)) {
      throw new Error(`event pattern ${describePath(path)}: ${JSON.stringify(alternative)} is not a value`);
    }
    return values.some((value) => value === alternative);
  }
  const entries = Object.entries(alternative);
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined) {
    throw new Error(`event pattern ${describePath(path)}: a filter object has exactly one key`);
  }
  const [operator, operand] = entry;
  if (operator === "exists") {
    if (typeof operand !== "boolean")
      throw new Error(`event pattern ${describePath(path)}: exists takes a boolean`);
    return operand === values.length > 0;
  }
  const test = valueFilter(operator, operand, path);
  return values.some(test);
}

/** The test one filter (other than `exists`) applies to each value. */
function valueFilter(operator: string, operand: unknown, path: readonly string[]): (value: Leaf) => boolean {
  const where = `event pattern ${describePath(path)}: ${operator}`;
  switch (operator) {
    case "prefix":
      return (value) => typeof value === "string" && value.startsWith(stringOperand(operand, where));
    case "suffix":
      return (value) => typeof value === "string" && value.endsWith(stringOperand(operand, where));
    case "equals-ignore-case": {
      const expected = stringOperand(operand, where).toLowerCase();
      return (value) => typeof value === "string" && value.toLowerCase() === expected;
    }
    case "anything-but":
      return anythingBut(operand, path);
    case "numeric":
      return numeric(operand, where);
    default:
      throw new Error(`${where} is not supported by this matcher`);
  }
}

function anythingBut(operand: unknown, path: readonly string[]): (value: Leaf) => boolean {
  const where = `event pattern ${describePath(path)}: anything-but`;
  if (isPlainObject(operand)) {
    const entries = Object.entries(operand);
    const [entry] = entries;
    if (entries.length !== 1 || entry === undefined || !["prefix", "suffix"].includes(entry[0])) {
      throw new Error(`${where} takes a value, a list of values, or one prefix or suffix`);
    }
    const excluded = valueFilter(entry[0], entry[1], path);
    return (value) => !excluded(value);
  }
  const excluded = Array.isArray(operand) ? operand : [operand];
  if (excluded.length === 0 || !excluded.every(isLeaf)) throw new Error(`${where} takes values`);
  return (value) => !excluded.includes(value);
}

function numeric(operand: unknown, where: string): (value: Leaf) => boolean {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw new Error(`${where} takes [operator, number, …] pairs`);
  }
  const comparisons: ((value: number) => boolean)[] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const compare = NUMERIC_OPERATORS[String(operand[i])];
    const bound = operand[i + 1];
    if (!compare || typeof bound !== "number") throw new Error(`${where} takes [operator, number, …] pairs`);
    comparisons.push((value: number) => compare(value, bound));
  }
  return (value) => typeof value === "number" && comparisons.every((compare) => compare(value));
}

function stringOperand(operand: unknown, where: string): string {
  if (typeof operand !== "string") throw new Error(`${where} takes a string`);
  return operand;
}

function isLeaf(value: unknown): value is Leaf {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describePath(path: readonly string[]): string {
  return path.length === 0 ? "(root)" : path.join(".");
}
