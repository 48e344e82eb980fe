import type { AttributeValue } from "@aws-sdk/client-dynamodb";

/**
 * The few DynamoDB attribute shapes the ledger writes, converted by hand rather than with @aws-sdk/util-dynamodb:
 * writing needs strings, numbers, booleans and lists of strings only, and reading must not trust the shape of an
 * item (another version, a hand edit), so everything read comes back as plain values for the zod schemas to judge.
 */
export type AttributeMap = Record<string, AttributeValue>;

/** A value the ledger writes. `undefined` attributes are left out of the item. */
export type WritableValue = string | number | boolean | readonly string[];

export function toAttributeValue(value: WritableValue): AttributeValue {
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") return { N: String(value) };
  if (typeof value === "boolean") return { BOOL: value };
  return { L: value.map((entry) => ({ S: entry })) };
}

/** The attribute map of a record, without its undefined attributes. */
export function toItem(record: Record<string, WritableValue | undefined>): AttributeMap {
  const item: AttributeMap = {};
  for (const [name, value] of Object.entries(record)) {
    if (value !== undefined) item[name] = toAttributeValue(value);
  }
  return item;
}

/**
 * One attribute value as a plain value. Sets come back as `Set`s and binaries as `Uint8Array`s, so a schema that
 * expects a list or a string rejects them instead of reading them as something they are not.
 */
export function fromAttributeValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(fromAttributeValue);
  if (value.M !== undefined) return fromItem(value.M);
  if (value.SS !== undefined) return new Set(value.SS);
  if (value.NS !== undefined) return new Set(value.NS.map(Number));
  if (value.B !== undefined) return value.B;
  if (value.BS !== undefined) return new Set(value.BS);
  return undefined;
}

export function fromItem(item: AttributeMap): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) record[name] = fromAttributeValue(value);
  return record;
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");
const significantDigits = (number: string): number =>
  number.replace(/\D/g, "").replace(/^0+|0+$/g, "").length;

/**
 * The size DynamoDB counts for an attribute value, after "Item sizes and formats" in the DynamoDB developer guide:
 * strings by UTF-8 length, numbers about one byte per two significant digits plus one, booleans and nulls one byte,
 * lists and maps three bytes plus one per element (and a map's key names).
 */
export function attributeValueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return utf8Bytes(value.S);
  if (value.N !== undefined) return Math.ceil(significantDigits(value.N) / 2) + 1;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.B !== undefined) return value.B.byteLength;
  if (value.L !== undefined)
    return 3 + value.L.reduce((sum, entry) => sum + 1 + attributeValueBytes(entry), 0);
  if (value.M !== undefined) return 3 + itemBytes(value.M) + Object.keys(value.M).length;
  if (value.SS !== undefined) return value.SS.reduce((sum, entry) => sum + utf8Bytes(entry), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, entry) => sum + entry.length, 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, entry) => sum + entry.byteLength, 0);
  return 0;
}

/** The size DynamoDB counts for an item: attribute names plus values. */
export function itemBytes(item: AttributeMap): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + utf8Bytes(name) + attributeValueBytes(value),
    0,
  );
}
