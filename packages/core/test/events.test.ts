import { readFileSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import type { ReportQueueMessage, ScanCompleted } from "../src/events/index.js";
import { loadFresh } from "./support/fresh-modules.js";

// The event schemas are built while their module loads: each test loads them afresh (support/fresh-modules.ts).
type EventsModule = typeof import("../src/events/index.js");
let buildRetryMessageBody: EventsModule["buildRetryMessageBody"];
let coalesceScanCompletions: EventsModule["coalesceScanCompletions"];
let isImageDigest: EventsModule["isImageDigest"];
let isRepositoryName: EventsModule["isRepositoryName"];
let parseImageArn: EventsModule["parseImageArn"];
let parseReportQueueMessage: EventsModule["parseReportQueueMessage"];
let parseRepositoryArn: EventsModule["parseRepositoryArn"];
let parseScanEvent: EventsModule["parseScanEvent"];
let RETRY_ENVELOPE_VERSION: EventsModule["RETRY_ENVELOPE_VERSION"];
let SCAN_EVENT_TYPES: EventsModule["SCAN_EVENT_TYPES"];
let scanCompletionKey: EventsModule["scanCompletionKey"];
let quoteValue: typeof import("../src/events/schemas.js").quoteValue;
let MessageError: typeof import("../src/errors.js").MessageError;
type MessageError = import("../src/errors.js").MessageError;

beforeEach(async () => {
  const [events, schemas, errors] = await loadFresh(() =>
    Promise.all([
      import("../src/events/index.js"),
      import("../src/events/schemas.js"),
      import("../src/errors.js"),
    ]),
  );
  ({
    buildRetryMessageBody,
    coalesceScanCompletions,
    isImageDigest,
    isRepositoryName,
    parseImageArn,
    parseReportQueueMessage,
    parseRepositoryArn,
    parseScanEvent,
    RETRY_ENVELOPE_VERSION,
    SCAN_EVENT_TYPES,
    scanCompletionKey,
  } = events);
  ({ quoteValue } = schemas);
  ({ MessageError } = errors);
});

// biome-ignore lint/suspicious/noExplicitAny: tests reach into fixtures and edit them freely
type Json = Record<string, any>;

/** A fresh copy of a fixture from test/fixtures/events/, so a test may change it. */
function fixture(name: string): Json {
  return JSON.parse(
    readFileSync(new URL(`../../../test/fixtures/events/${name}.json`, import.meta.url), "utf8"),
  );
}

/** Parses `document` as a plain report-queue message and expects a scan completion. */
function completionOf(document: unknown, messageId = "m-1"): ScanCompleted {
  const message = parseReportQueueMessage(JSON.stringify(document), messageId);
  if (message.kind !== "scan-completed")
    throw new Error(
      `expected a scan completion, got: ${message.kind === "ignored" ? message.reason : message.kind}`,
    );
  return message.event;
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

function ignoredOf(message: ReportQueueMessage) {
  if (message.kind !== "ignored") throw new Error("expected the message to be ignored");
  return message;
}

const DOC_DIGEST_60_HEX = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234";
const INSPECTOR_DIGEST = "sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e50a1b2c3d4e";

describe("parseReportQueueMessage: ECR Image Scan (basic)", () => {
  it("normalizes a COMPLETE scan of a tagged image", () => {
    expect(completionOf(fixture("ecr-image-scan-complete-tagged"))).toEqual({
      kind: "scan-completed",
      source: "ecr-image-scan",
      eventId: "2f0c6a9e-5b1d-4c47-9d0e-7a3b8c1e4f21",
      account: "123456789012",
      region: "eu-west-1",
      registryId: "123456789012",
      repositoryName: "team-a/api",
      imageDigest: "sha256:4a8c3e6f1b2d9e0a7c5f3b1d8e6a4c2f0b9d7e5a3c1f8b6d4e2a0c9f7b5d3e1a",
      imageTags: ["v1.4.2", "latest"],
      scanType: "BASIC",
      scanStatus: "COMPLETE",
      time: "2026-03-02T09:15:27Z",
      // 1 + 4 + 12 + 7 + 3 + 1: every severity the event counted.
      expectedFindings: 28,
    });
  });

  it("accepts AWS's documented example: no tags, and only the severities that have findings", () => {
    const document = fixture("ecr-image-scan-complete");
    expect(document.detail["finding-severity-counts"]).toEqual({ CRITICAL: 10, MEDIUM: 9 });
    const message = parseReportQueueMessage(JSON.stringify(document), "m-doc");
    expect(message).toEqual({
      kind: "scan-completed",
      event: {
        kind: "scan-completed",
        source: "ecr-image-scan",
        eventId: "85fc3613-e913-7fc4-a80c-a3753e4aa9ae",
        account: "123456789012",
        region: "us-east-1",
        registryId: "123456789012",
        repositoryName: "my-repository-name",
        imageDigest: "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678",
        imageTags: [],
        scanType: "BASIC",
        scanStatus: "COMPLETE",
        time: "2019-10-29T02:36:48Z",
        expectedFindings: 19,
      },
      attempt: 1,
      rawEvent: document,
    });
    expect(message).not.toHaveProperty("retryReporters");
  });

  it("reports a FAILED scan, which carries no finding-severity-counts", () => {
    const document = fixture("ecr-image-scan-failed");
    expect(document.detail).not.toHaveProperty("finding-severity-counts");
    const event = completionOf(document);
    expect(event.scanStatus).toBe("FAILED");
    expect(event.scanType).toBe("BASIC");
    expect(event.repositoryName).toBe("team-a/worker");
    expect(event.imageTags).toEqual(["2026.03.02"]);
  });

  it("is lenient with fields AWS may add, and with image-tags left out", () => {
    const document = fixture("ecr-image-scan-complete-tagged");
    document["new-envelope-field"] = { any: "thing" };
    document.detail["new-detail-field"] = [1, 2, 3];
    delete document.detail["image-tags"];
    const event = completionOf(document);
    expect(event.imageTags).toEqual([]);
    expect(event.repositoryName).toBe("team-a/api");
  });

  it("ignores a scan-status other than COMPLETE or FAILED, saying which", () => {
    const document = fixture("ecr-image-scan-complete-tagged");
    document.detail["scan-status"] = "IN_PROGRESS";
    const ignored = ignoredOf(parseReportQueueMessage(JSON.stringify(document), "m-1"));
    expect(ignored.reason).toContain('"IN_PROGRESS"');
    expect(ignored.eventId).toBe("2f0c6a9e-5b1d-4c47-9d0e-7a3b8c1e4f21");
  });
});

describe("parseReportQueueMessage: Inspector2 Scan (enhanced, initial scan)", () => {
  it("takes the repository name, with its slash, and the registry id out of the repository ARN", () => {
    const document = fixture("inspector2-scan");
    expect(document.detail["repository-name"]).toBe(
      "arn:aws:ecr:us-east-2:809632081692:repository/amazon/amazon-ecs-sample",
    );
    expect(completionOf(document)).toEqual({
      kind: "scan-completed",
      source: "inspector2-scan",
      eventId: "739c0d3c-4f02-85c7-5a88-94a9EXAMPLE",
      account: "123456789012",
      region: "us-east-2",
      // The documented example names another account in the ARN than in `account`: the ARN owns the repository.
      registryId: "809632081692",
      repositoryName: "amazon/amazon-ecs-sample",
      imageDigest: INSPECTOR_DIGEST,
      imageTags: ["latest"],
      scanType: "ENHANCED",
      scanStatus: "COMPLETE",
      time: "2021-12-03T18:03:16Z",
      // Inspector's own TOTAL (158), not the sum of the severities it lists (130).
      expectedFindings: 158,
    });
  });

  it("parses a deeper repository path in other partitions", () => {
    const document = fixture("inspector2-scan");
    document.region = "us-gov-west-1";
    document.detail["repository-name"] =
      "arn:aws-us-gov:ecr:us-gov-west-1:210987654321:repository/team-a/api/v2";
    const event = completionOf(document);
    expect(event.repositoryName).toBe("team-a/api/v2");
    expect(event.registryId).toBe("210987654321");
    expect(event.region).toBe("us-gov-west-1");
  });

  it("ignores a scan-status other than INITIAL_SCAN_COMPLETE", () => {
    const document = fixture("inspector2-scan");
    document.detail["scan-status"] = "SOMETHING_NEW";
    expect(ignoredOf(parseReportQueueMessage(JSON.stringify(document), "m-1")).reason).toContain(
      "INITIAL_SCAN_COMPLETE",
    );
  });
});

describe("parseReportQueueMessage: Inspector2 Finding", () => {
  it("reports the ECR image of the finding as an ENHANCED COMPLETE scan", () => {
    expect(completionOf(fixture("inspector2-finding"))).toEqual({
      kind: "scan-completed",
      source: "inspector2-finding",
      eventId: "42dbea55-45ad-b2b4-87a8-afaEXAMPLE",
      account: "123456789012",
      region: "us-east-2",
      registryId: "123456789012",
      repositoryName: "amazon/amazon-ecs-sample",
      imageDigest: INSPECTOR_DIGEST,
      imageTags: ["latest"],
      scanType: "ENHANCED",
      scanStatus: "COMPLETE",
      time: "2021-12-03T18:02:30Z",
    });
  });

  it("reads the image from details.awsEcrContainerImage, not from the resource id", () => {
    const document = fixture("inspector2-finding");
    const image = document.detail.resources[0].details.awsEcrContainerImage;
    image.repositoryName = "team-b/web";
    image.registry = "111122223333";
    image.imageTags = [];
    const event = completionOf(document);
    expect(event.repositoryName).toBe("team-b/web");
    expect(event.registryId).toBe("111122223333");
    expect(event.imageTags).toEqual([]);
  });

  it("falls back to the image ARN in resources[].id when the details are missing", () => {
    const document = fixture("inspector2-finding");
    const resource = document.detail.resources[0];
    delete resource.details;
    resource.id = `arn:aws:ecr:us-east-2:444455556666:repository/team-a/api/${INSPECTOR_DIGEST}`;
    const event = completionOf(document);
    expect(event.registryId).toBe("444455556666");
    expect(event.repositoryName).toBe("team-a/api");
    expect(event.imageDigest).toBe(INSPECTOR_DIGEST);
    expect(event.imageTags).toEqual([]);
  });

  it("reports a CLOSED finding too: the image's findings changed", () => {
    const document = fixture("inspector2-finding");
    document.detail.status = "CLOSED";
    expect(completionOf(document).imageDigest).toBe(INSPECTOR_DIGEST);
  });

  it("ignores a finding about something other than an ECR image", () => {
    const document = fixture("inspector2-finding");
    document.detail.resources = [
      {
        type: "AWS_EC2_INSTANCE",
        id: "i-0123456789abcdef0",
        details: { awsEc2Instance: { platform: "LINUX" } },
      },
    ];
    const ignored = ignoredOf(parseReportQueueMessage(JSON.stringify(document), "m-1"));
    expect(ignored.reason).toContain("AWS_EC2_INSTANCE");
    expect(ignored.reason).toContain("not an ECR container image");
  });
});

describe("parseReportQueueMessage: events it does not handle", () => {
  it("ignores an ECR Image Action (push) event, naming its detail-type", () => {
    const message = parseReportQueueMessage(JSON.stringify(fixture("ecr-image-action-push")), "m-1");
    const ignored = ignoredOf(message);
    expect(ignored.reason).toContain('"ECR Image Action"');
    expect(ignored.eventId).toBe("13cde686-328b-6117-af20-0e5566167482");
  });

  it("ignores an unknown source even with a handled detail-type name", () => {
    const document = fixture("ecr-image-scan-complete");
    document.source = "acme.scanner";
    expect(ignoredOf(parseReportQueueMessage(JSON.stringify(document), "m-1")).reason).toContain(
      '"acme.scanner"',
    );
  });

  it("lists exactly the three handled event types, and a fixture of each parses", () => {
    expect(SCAN_EVENT_TYPES.map((t) => `${t.source} ${t.detailType}`)).toEqual([
      "aws.ecr ECR Image Scan",
      "aws.inspector2 Inspector2 Scan",
      "aws.inspector2 Inspector2 Finding",
    ]);
    for (const name of ["ecr-image-scan-complete", "inspector2-scan", "inspector2-finding"]) {
      expect(parseScanEvent(fixture(name)).kind).toBe("scan-completed");
    }
  });
});

describe("parseReportQueueMessage: malformed messages", () => {
  it("rejects a body that is not JSON, naming the message", () => {
    const error = messageErrorOf("ECR Image Scan {", "msg-42");
    expect(error.code).toBe("MESSAGE_INVALID");
    expect(error.message).toMatch(/^report-queue message msg-42: the body is not JSON/);
  });

  it("rejects JSON that is not an event object", () => {
    expect(messageErrorOf("[1,2]").message).toContain("expected a JSON object, got an array");
    expect(messageErrorOf("null").message).toContain("got null");
    expect(messageErrorOf('{"hello":"world"}').message).toContain("source: required; detail-type: required");
  });

  it("rejects a scan event without image-digest", () => {
    const document = fixture("ecr-image-scan-complete-tagged");
    delete document.detail["image-digest"];
    const error = messageErrorOf(JSON.stringify(document), "m-7");
    expect(error.message).toContain("report-queue message m-7");
    expect(error.message).toContain('"ECR Image Scan" event "2f0c6a9e-5b1d-4c47-9d0e-7a3b8c1e4f21"');
    expect(error.message).toContain("detail.image-digest: required");
  });

  it("rejects AWS's 60-digit placeholder digest and an upper-case one", () => {
    const document = fixture("ecr-image-scan-complete");
    document.detail["image-digest"] = DOC_DIGEST_60_HEX;
    expect(messageErrorOf(JSON.stringify(document)).message).toContain(
      `detail.image-digest: "${DOC_DIGEST_60_HEX}" is not an image digest like sha256:<64 hex digits>`,
    );
    document.detail["image-digest"] = `sha256:${"AB".repeat(32)}`;
    expect(messageErrorOf(JSON.stringify(document)).message).toContain("detail.image-digest:");
  });

  it("rejects an Inspector2 Scan whose repository-name is not a repository ARN", () => {
    for (const bad of [
      "amazon/amazon-ecs-sample",
      "arn:aws:ecr:us-east-2:809632081692:repository/",
      "arn:aws:ecr:us-east-2:8096320816:repository/amazon/sample",
      "arn:aws:s3:::my-bucket/amazon/sample",
      "arn:aws:ecr:us-east-2:809632081692:repository/Amazon/Sample",
    ]) {
      const document = fixture("inspector2-scan");
      document.detail["repository-name"] = bad;
      expect(messageErrorOf(JSON.stringify(document)).message).toContain(
        `detail.repository-name: ${JSON.stringify(bad)} is not an ECR repository ARN like arn:aws:ecr:REGION:ACCOUNT:repository/NAME`,
      );
    }
  });

  it("rejects a repository name ECR would not accept", () => {
    for (const bad of ["a", "Team-A/api", "team-a//api", "team-a/", "-api", "x".repeat(257)]) {
      const document = fixture("ecr-image-scan-complete-tagged");
      document.detail["repository-name"] = bad;
      expect(messageErrorOf(JSON.stringify(document)).message).toContain("detail.repository-name: ");
    }
  });

  it("lists every problem of an event at once", () => {
    const document = fixture("ecr-image-scan-complete-tagged");
    document.account = "12345";
    document.time = "yesterday";
    document.region = "Europe";
    const message = messageErrorOf(JSON.stringify(document)).message;
    expect(message).toContain('account: "12345" is not a 12-digit AWS account id');
    expect(message).toContain('time: "yesterday" is not an ISO 8601 time');
    expect(message).toContain('region: "Europe" is not an AWS region');
  });

  it("rejects a finding with a bad imageHash, naming its path", () => {
    const document = fixture("inspector2-finding");
    document.detail.resources[0].details.awsEcrContainerImage.imageHash = "sha256:EXAMPLE";
    expect(messageErrorOf(JSON.stringify(document)).message).toContain(
      'detail.resources[0].details.awsEcrContainerImage.imageHash: "sha256:EXAMPLE" is not an image digest',
    );
  });

  it("rejects a finding whose ECR resource has neither details nor a parsable image ARN", () => {
    const document = fixture("inspector2-finding");
    const resource = document.detail.resources[0];
    delete resource.details;
    resource.id = "arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample/sha256:EXAMPLE";
    const message = messageErrorOf(JSON.stringify(document)).message;
    expect(message).toContain("detail.resources[0] has no details.awsEcrContainerImage");
    expect(message).toContain("is not an ECR image ARN");
  });

  it("rejects a finding with no resources", () => {
    const document = fixture("inspector2-finding");
    document.detail.resources = [];
    expect(messageErrorOf(JSON.stringify(document)).message).toContain("detail.resources:");
  });
});

describe("targeted-retry envelope", () => {
  it("round-trips: the retry parses to the same scan completion, with only the reporters to retry", () => {
    for (const name of ["ecr-image-scan-complete", "inspector2-scan", "inspector2-finding"]) {
      const original = parseReportQueueMessage(JSON.stringify(fixture(name)), "m-1");
      if (original.kind !== "scan-completed") throw new Error("fixture did not parse");
      const body = buildRetryMessageBody(original.rawEvent, ["slack"]);
      expect(JSON.parse(body)).toEqual({
        ecrScanReporter: { version: RETRY_ENVELOPE_VERSION, retryReporters: ["slack"], attempt: 2 },
        event: fixture(name),
      });
      expect(original.attempt).toBe(1);
      expect(parseReportQueueMessage(body, "m-2")).toEqual({
        ...original,
        retryReporters: ["slack"],
        attempt: 2,
      });
    }
  });

  it("accepts the event's JSON text, unwraps an envelope instead of nesting it, and drops repeated names", () => {
    const text = JSON.stringify(fixture("ecr-image-scan-failed"));
    const first = buildRetryMessageBody(text, ["slack", "github", "slack"]);
    expect(JSON.parse(first).ecrScanReporter.retryReporters).toEqual(["slack", "github"]);
    const second = buildRetryMessageBody(JSON.parse(first), ["github"], 3);
    expect(JSON.parse(second)).toEqual({
      ecrScanReporter: { version: 1, retryReporters: ["github"], attempt: 3 },
      event: fixture("ecr-image-scan-failed"),
    });
    const message = parseReportQueueMessage(second, "m-3");
    expect(message.kind === "scan-completed" && message.retryReporters).toEqual(["github"]);
    expect(message.kind === "scan-completed" && message.attempt).toBe(3);
  });

  it("refuses to build a retry with no reporter or no event object", () => {
    expect(() => buildRetryMessageBody(fixture("inspector2-scan"), [])).toThrow(RangeError);
    expect(() => buildRetryMessageBody(fixture("inspector2-scan"), [""])).toThrow(RangeError);
    expect(() => buildRetryMessageBody([1, 2], ["slack"])).toThrow(TypeError);
    expect(() => buildRetryMessageBody(null, ["slack"])).toThrow(TypeError);
  });

  it("rejects an envelope of another version, with no reporter, no event or an unknown key", () => {
    const event = fixture("ecr-image-scan-complete");
    const envelope = (meta: unknown, rest: Json = { event }) =>
      JSON.stringify({ ecrScanReporter: meta, ...rest });
    expect(messageErrorOf(envelope({ version: 2, retryReporters: ["slack"], attempt: 2 })).message).toContain(
      "ecrScanReporter.version: retry envelope version 2 is not one this release reads (1)",
    );
    expect(messageErrorOf(envelope({ version: 1, retryReporters: [], attempt: 2 })).message).toContain(
      "ecrScanReporter.retryReporters:",
    );
    expect(
      messageErrorOf(envelope({ version: 1, retryReporters: ["slack"], attempt: 2 }, {})).message,
    ).toContain("event: required");
    expect(
      messageErrorOf(envelope({ version: 1, retryReporters: ["slack"], attempt: 2 }, { event, attempts: 2 }))
        .message,
    ).toContain("attempts: is not a known key");
    expect(messageErrorOf(envelope({ version: 1, retryReporters: ["slack"], attempt: 1 })).message).toContain(
      "ecrScanReporter.attempt:",
    );
  });

  it("reports a malformed event inside an envelope as such", () => {
    const event = fixture("inspector2-scan");
    event.detail["image-digest"] = "sha256:nope";
    const body = JSON.stringify({
      ecrScanReporter: { version: 1, retryReporters: ["sns"], attempt: 2 },
      event,
    });
    const message = messageErrorOf(body, "m-9").message;
    expect(message).toMatch(/^report-queue message m-9 \(in a retry envelope\): "Inspector2 Scan" event/);
    expect(message).toContain('detail.image-digest: "sha256:nope"');
  });
});

describe("what a malformed event's message says", () => {
  it("names a bad repository name and the names ECR accepts", () => {
    const document = fixture("ecr-image-scan-complete-tagged");
    document.detail["repository-name"] = "Team-A/api";
    expect(messageErrorOf(JSON.stringify(document)).message).toContain(
      'detail.repository-name: "Team-A/api" is not an ECR repository name (2-256 characters: lower-case letters and digits, separated by ".", "_", "-" or "/")',
    );
  });

  it.each([
    ["junk before it", "my eu-west-1"],
    ["junk after it", "eu-west-1a"],
    ["no number", "eu-west"],
    ["upper case", "EU-WEST-1"],
  ])("rejects a region with %s", (_what, region) => {
    const document = fixture("ecr-image-scan-complete-tagged");
    document.region = region;
    expect(messageErrorOf(JSON.stringify(document)).message).toContain(
      `region: ${JSON.stringify(region)} is not an AWS region`,
    );
  });

  it.each([
    ["a region of three parts", "us-gov-west-1"],
    ["a region numbered past 9, as AWS may add", "ap-southeast-12"],
  ])("accepts %s", (_what, region) => {
    const document = fixture("ecr-image-scan-complete-tagged");
    document.region = region;
    expect(completionOf(document).region).toBe(region);
  });

  it("says a missing or non-string time is one, rather than quoting it as a badly written time", () => {
    const document = fixture("ecr-image-scan-complete-tagged");
    delete document.time;
    expect(messageErrorOf(JSON.stringify(document)).message).toMatch(/: time: required$/);
    document.time = 1_772_442_927;
    expect(messageErrorOf(JSON.stringify(document)).message).toMatch(
      /: time: expected string, received number$/,
    );
  });

  it("accepts an event time with a UTC offset instead of Z", () => {
    const document = fixture("ecr-image-scan-complete-tagged");
    document.time = "2026-03-02T10:15:27+01:00";
    expect(completionOf(document).time).toBe("2026-03-02T10:15:27+01:00");
  });

  it("keeps a zod consumer's view of the schemas' own checks: a custom issue with the message", async () => {
    const { inspector2ScanEventSchema } = await import("../src/events/index.js");
    const document = fixture("inspector2-scan");
    document.detail["repository-name"] = "amazon/amazon-ecs-sample";
    const result = inspector2ScanEventSchema.safeParse(document);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        code: "custom",
        path: ["detail", "repository-name"],
        message:
          '"amazon/amazon-ecs-sample" is not an ECR repository ARN like arn:aws:ecr:REGION:ACCOUNT:repository/NAME',
      }),
    ]);
  });
});

describe("quoteValue", () => {
  it("quotes a string as JSON, so quotes and line breaks in it stay visible", () => {
    expect(quoteValue("team-a/api")).toBe('"team-a/api"');
    expect(quoteValue('say "hi"\n')).toBe('"say \\"hi\\"\\n"');
  });

  it("quotes the JSON text of any other value", () => {
    expect(quoteValue(42)).toBe('"42"');
    expect(quoteValue({ a: 1 })).toBe('"{\\"a\\":1}"');
    expect(quoteValue(null)).toBe('"null"');
    // No JSON text at all: its String() form.
    expect(quoteValue(undefined)).toBe('"undefined"');
  });

  it("cuts a value longer than 120 characters, so a huge value cannot flood a log line", () => {
    expect(quoteValue("x".repeat(120))).toBe(`"${"x".repeat(120)}"`);
    expect(quoteValue(`${"x".repeat(120)}tail`)).toBe(`"${"x".repeat(120)}…"`);
  });
});

describe("identifiers", () => {
  it("parses repository and image ARNs whose names contain slashes", () => {
    expect(parseRepositoryArn("arn:aws:ecr:us-east-1:123456789012:repository/team-a/api")).toEqual({
      partition: "aws",
      region: "us-east-1",
      registryId: "123456789012",
      repositoryName: "team-a/api",
    });
    expect(parseRepositoryArn("arn:aws-cn:ecr:cn-north-1:123456789012:repository/x.y_z-1")?.partition).toBe(
      "aws-cn",
    );
    expect(
      parseImageArn(`arn:aws:ecr:us-east-1:123456789012:repository/team-a/api/${INSPECTOR_DIGEST}`),
    ).toEqual({
      partition: "aws",
      region: "us-east-1",
      registryId: "123456789012",
      repositoryName: "team-a/api",
      imageDigest: INSPECTOR_DIGEST,
    });
    expect(parseImageArn("arn:aws:ecr:us-east-1:123456789012:repository/team-a/api")).toBeUndefined();
    expect(parseRepositoryArn("arn:aws:ecr:us-east-1:123456789012:repository")).toBeUndefined();
  });

  it("checks repository name length bounds and digest form", () => {
    expect(isRepositoryName("ab")).toBe(true);
    expect(isRepositoryName("a")).toBe(false);
    expect(isRepositoryName("a".repeat(256))).toBe(true);
    expect(isRepositoryName("a".repeat(257))).toBe(false);
    expect(isImageDigest(INSPECTOR_DIGEST)).toBe(true);
    expect(isImageDigest(DOC_DIGEST_60_HEX)).toBe(false);
    expect(isImageDigest(INSPECTOR_DIGEST.replace("sha256", "sha512"))).toBe(false);
  });
});

describe("coalesceScanCompletions", () => {
  /** A finding event from the fixture, for the given image, finding and time. */
  function findingEvent(digest: string, findingNumber: number, time: string): ScanCompleted {
    const document = fixture("inspector2-finding");
    document.id = `finding-event-${findingNumber}`;
    document.time = time;
    document.detail.findingArn = `arn:aws:inspector2:us-east-2:123456789012:finding/${findingNumber}`;
    const resource = document.detail.resources[0];
    resource.details.awsEcrContainerImage.imageHash = digest;
    resource.id = `arn:aws:ecr:us-east-2:123456789012:repository/amazon/amazon-ecs-sample/${digest}`;
    return completionOf(document);
  }
  const IMAGE_A = INSPECTOR_DIGEST;
  const IMAGE_B = `sha256:${"b".repeat(64)}`;

  it("keeps one entry per image: 5 finding events for 2 images give 2 reports and 3 duplicates", () => {
    const events = [
      findingEvent(IMAGE_A, 1, "2026-03-02T10:00:01Z"),
      findingEvent(IMAGE_B, 2, "2026-03-02T10:00:02Z"),
      findingEvent(IMAGE_A, 3, "2026-03-02T10:00:05Z"),
      findingEvent(IMAGE_A, 4, "2026-03-02T10:00:03Z"),
      findingEvent(IMAGE_B, 5, "2026-03-02T10:00:02Z"),
    ];
    const result = coalesceScanCompletions(events);
    expect(result.duplicates).toBe(3);
    expect(result.unique.map((e) => e.imageDigest)).toEqual([IMAGE_A, IMAGE_B]);
    // The latest event of each image wins; on a tie, the later one in the batch.
    expect(result.unique.map((e) => e.eventId)).toEqual(["finding-event-3", "finding-event-5"]);
    expect(result.groups).toEqual([
      [0, 2, 3],
      [1, 4],
    ]);
  });

  it("keeps images apart that differ only in registry or repository, and folds a repeated event", () => {
    const base = findingEvent(IMAGE_A, 1, "2026-03-02T10:00:00Z");
    const otherRegistry = { ...base, registryId: "999988887777" };
    const otherRepository = { ...base, repositoryName: "amazon/other" };
    const result = coalesceScanCompletions([base, otherRegistry, otherRepository, { ...base }]);
    expect(result.unique).toEqual([base, otherRegistry, otherRepository]);
    expect(result.duplicates).toBe(1);
    expect(new Set(result.unique.map(scanCompletionKey)).size).toBe(3);
  });

  it("folds an Inspector2 Scan event with a finding event for the same image", () => {
    const scan = completionOf(fixture("inspector2-scan"));
    const finding = { ...findingEvent(IMAGE_A, 1, "2021-12-03T18:02:30Z"), registryId: scan.registryId };
    const result = coalesceScanCompletions([finding, scan]);
    expect(result.unique).toEqual([scan]);
    expect(result.duplicates).toBe(1);
  });

  it("never lets an unparsable time win over a real one, nor keep a later real one out", () => {
    const real = findingEvent(IMAGE_A, 1, "2026-03-02T10:00:00Z");
    const garbled = { ...findingEvent(IMAGE_A, 2, "2026-03-02T10:00:09Z"), time: "not a time" };
    const laterReal = findingEvent(IMAGE_A, 3, "2026-03-02T10:00:05Z");
    expect(coalesceScanCompletions([real, garbled]).unique.map((e) => e.eventId)).toEqual([
      "finding-event-1",
    ]);
    expect(coalesceScanCompletions([garbled, laterReal]).unique.map((e) => e.eventId)).toEqual([
      "finding-event-3",
    ]);
    // Two unparsable times: a tie, so the later one in the batch, as for equal times.
    const garbledToo = { ...findingEvent(IMAGE_A, 4, "2026-03-02T10:00:09Z"), time: "" };
    expect(coalesceScanCompletions([garbled, garbledToo]).unique.map((e) => e.eventId)).toEqual([
      "finding-event-4",
    ]);
  });

  it("returns nothing for an empty batch", () => {
    expect(coalesceScanCompletions([])).toEqual({ unique: [], duplicates: 0, groups: [] });
  });
});
