// The EventBridge pattern matcher that test/terraform-event-patterns.test.ts runs the module's rules with
// (test/support/event-pattern.ts). Named terraform-* to sit in the vitest project of the Terraform checks it
// serves; it needs no Terraform itself. The cases follow the EventBridge User Guide's "Amazon EventBridge event
// patterns" and "Content filtering" pages.
import { describe, expect, it } from "vitest";
import { type EventPattern, matchesEventPattern } from "./event-pattern.js";

const event = {
  source: "aws.ec2",
  "detail-type": "EC2 Instance State-change Notification",
  resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-1234567890abcdef0"],
  detail: {
    "instance-id": "i-1234567890abcdef0",
    state: "running",
    "cpu-count": 4,
    burst: false,
    note: null,
    tags: ["prod", "web"],
    volumes: [
      { type: "gp3", size: 100 },
      { type: "io2", size: 20 },
    ],
    location: { zone: "us-east-1a" },
  },
};

function matches(pattern: EventPattern): boolean {
  return matchesEventPattern(pattern, event);
}

describe("matchesEventPattern", () => {
  it("matches exact values, each field of the pattern being required", () => {
    expect(matches({ source: ["aws.ec2"] })).toBe(true);
    expect(matches({ source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] })).toBe(
      true,
    );
    expect(matches({ source: ["aws.ec2"], "detail-type": ["something else"] })).toBe(false);
    expect(matches({ source: ["AWS.EC2"] })).toBe(false);
  });

  it("takes a field's array as alternatives", () => {
    expect(matches({ source: ["aws.s3", "aws.ec2"] })).toBe(true);
    expect(matches({ source: ["aws.s3", "aws.ecr"] })).toBe(false);
  });

  it("matches numbers, booleans and null by value and type", () => {
    expect(matches({ detail: { "cpu-count": [4] } })).toBe(true);
    expect(matches({ detail: { "cpu-count": ["4"] } })).toBe(false);
    expect(matches({ detail: { burst: [false] } })).toBe(true);
    expect(matches({ detail: { note: [null] } })).toBe(true);
    expect(matches({ detail: { state: [null] } })).toBe(false);
  });

  it("matches nested objects field by field", () => {
    expect(matches({ detail: { location: { zone: ["us-east-1a"] } } })).toBe(true);
    expect(matches({ detail: { location: { zone: ["us-east-1b"] } } })).toBe(false);
    expect(matches({ detail: { location: { building: ["7"] } } })).toBe(false);
  });

  it("matches an array in the event when any of its values matches", () => {
    expect(matches({ detail: { tags: ["web"] } })).toBe(true);
    expect(matches({ detail: { tags: ["staging"] } })).toBe(false);
    expect(matches({ resources: [{ prefix: "arn:aws:ec2:" }] })).toBe(true);
  });

  it("matches a field of an array of objects when any element's field matches", () => {
    expect(matches({ detail: { volumes: { type: ["io2"] } } })).toBe(true);
    expect(matches({ detail: { volumes: { type: ["st1"] } } })).toBe(false);
    expect(matches({ detail: { volumes: { size: [{ numeric: [">=", 100] }] } } })).toBe(true);
  });

  it("never matches a field the event lacks, whatever the filter, but exists: false", () => {
    expect(matches({ detail: { reason: ["x"] } })).toBe(false);
    expect(matches({ detail: { reason: [{ "anything-but": "x" }] } })).toBe(false);
    expect(matches({ detail: { reason: [{ prefix: "" }] } })).toBe(false);
    expect(matches({ detail: { reason: [{ exists: false }] } })).toBe(true);
    expect(matchesEventPattern({ resources: [{ exists: true }] }, { ...event, resources: [] })).toBe(false);
  });

  it("prefix, suffix and equals-ignore-case compare strings only", () => {
    expect(matches({ detail: { "instance-id": [{ prefix: "i-" }] } })).toBe(true);
    expect(matches({ detail: { "instance-id": [{ prefix: "ami-" }] } })).toBe(false);
    expect(matches({ detail: { "instance-id": [{ suffix: "def0" }] } })).toBe(true);
    expect(matches({ detail: { state: [{ "equals-ignore-case": "RUNNING" }] } })).toBe(true);
    expect(matches({ detail: { "cpu-count": [{ prefix: "4" }] } })).toBe(false);
  });

  it("anything-but excludes a value, a list of values, or a prefix", () => {
    expect(matches({ detail: { state: [{ "anything-but": "stopped" }] } })).toBe(true);
    expect(matches({ detail: { state: [{ "anything-but": "running" }] } })).toBe(false);
    expect(matches({ detail: { state: [{ "anything-but": ["stopped", "running"] }] } })).toBe(false);
    expect(matches({ detail: { state: [{ "anything-but": { prefix: "run" } }] } })).toBe(false);
    expect(matches({ detail: { state: [{ "anything-but": { prefix: "stop" } }] } })).toBe(true);
    expect(matches({ detail: { "cpu-count": [{ "anything-but": [2, 8] }] } })).toBe(true);
  });

  it("numeric compares numbers, every comparison of a range holding", () => {
    expect(matches({ detail: { "cpu-count": [{ numeric: [">", 2] }] } })).toBe(true);
    expect(matches({ detail: { "cpu-count": [{ numeric: [">", 0, "<=", 4] }] } })).toBe(true);
    expect(matches({ detail: { "cpu-count": [{ numeric: [">", 0, "<", 4] }] } })).toBe(false);
    expect(matches({ detail: { "cpu-count": [{ numeric: ["=", 4] }] } })).toBe(true);
    expect(matches({ detail: { state: [{ numeric: [">", 0] }] } })).toBe(false);
  });

  it("exists looks at leaf values only", () => {
    expect(matches({ detail: { state: [{ exists: true }] } })).toBe(true);
    expect(matches({ detail: { state: [{ exists: false }] } })).toBe(false);
    expect(matches({ detail: { volumes: { size: [{ exists: true }] } } })).toBe(true);
    expect(matches({ detail: { location: [{ exists: true }] } })).toBe(false);
  });

  it("ORs a filter with values in one field's alternatives", () => {
    expect(matches({ detail: { state: ["stopped", { prefix: "run" }] } })).toBe(true);
    expect(matches({ detail: { state: ["stopped", { prefix: "stop" }] } })).toBe(false);
  });

  it("refuses what EventBridge refuses, and what it does not implement, instead of guessing", () => {
    expect(() => matches({})).toThrow(/non-empty object/);
    expect(() => matches({ source: [] })).toThrow(/empty array/);
    expect(() => matches({ source: "aws.ec2" } as unknown as EventPattern)).toThrow(/array or an object/);
    expect(() => matches({ detail: { state: [{ wildcard: "run*" }] } })).toThrow(/wildcard is not supported/);
    expect(() => matches({ detail: { state: [{ prefix: "r", suffix: "g" }] } })).toThrow(/exactly one key/);
    expect(() => matches({ detail: { "cpu-count": [{ numeric: [">"] }] } })).toThrow(/pairs/);
    expect(() => matches({ detail: { state: [{ exists: "yes" }] } })).toThrow(/boolean/);
    expect(() => matches({ detail: { state: [["running"]] } })).toThrow(/not a value/);
  });
});
