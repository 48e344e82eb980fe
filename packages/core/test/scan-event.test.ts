import { readFileSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import type { ScanCompleted } from "../src/events/scan-event.js";
import { loadFresh } from "./support/fresh-modules.js";

// The event schemas and the resource type the parser looks for are set while their modules load: each test loads
// them afresh (support/fresh-modules.ts says why).
let parseScanEvent: typeof import("../src/events/scan-event.js").parseScanEvent;
let MessageError: typeof import("../src/errors.js").MessageError;

beforeEach(async () => {
  const [scanEvent, errors] = await loadFresh(() =>
    Promise.all([import("../src/events/scan-event.js"), import("../src/errors.js")]),
  );
  ({ parseScanEvent } = scanEvent);
  ({ MessageError } = errors);
});

// biome-ignore lint/suspicious/noExplicitAny: tests reach into fixtures and edit them freely
type Json = Record<string, any>;

function fixture(name: string): Json {
  return JSON.parse(
    readFileSync(new URL(`../../../test/fixtures/events/${name}.json`, import.meta.url), "utf8"),
  );
}

function completed(document: unknown): ScanCompleted {
  const result = parseScanEvent(document);
  if (result.kind !== "scan-completed") throw new Error(`expected a scan completion, got: ${result.reason}`);
  return result.event;
}

/** The MessageError parseScanEvent throws for `document`. */
function messageOf(document: unknown): string {
  try {
    parseScanEvent(document);
  } catch (error) {
    expect(error).toBeInstanceOf(MessageError);
    return (error as Error).message;
  }
  throw new Error("expected a MessageError, nothing was thrown");
}

const IMAGE_DIGEST = "sha256:36c7b282abd0186e01419f2e58743e1bf635808231049bbc9d77e50a1b2c3d4e";

describe("parseScanEvent: what is not an event", () => {
  it.each([
    [42, "number"],
    ["ECR Image Scan", "string"],
    [null, "null"],
    [[], "an array"],
  ])("rejects %j, naming what it got", (document, got) => {
    expect(messageOf(document)).toBe(`not an EventBridge event: expected a JSON object, got ${got}`);
  });

  it("rejects an object without source and detail-type, listing both", () => {
    expect(messageOf({ id: "e-1" })).toBe(
      "not an EventBridge event: source: required; detail-type: required",
    );
  });

  it("says (no id) of a malformed event that has no id", () => {
    const document = fixture("ecr-image-scan-complete");
    delete document.id;
    expect(messageOf(document)).toBe('"ECR Image Scan" event (no id): id: required');
  });
});

describe("parseScanEvent: events it ignores", () => {
  it("acts on the Inspector detail-types only from aws.inspector2", () => {
    for (const name of ["inspector2-scan", "inspector2-finding"]) {
      const document = fixture(name);
      document.source = "acme.scanner";
      expect(parseScanEvent(document)).toEqual({
        kind: "ignored",
        reason: `"${document["detail-type"]}" event "${document.id}" from "acme.scanner" is not a scan-completion event`,
        eventId: document.id,
      });
    }
  });

  it("ignores another aws.inspector2 detail-type", () => {
    const document = fixture("inspector2-finding");
    document["detail-type"] = "Inspector2 Coverage";
    expect(parseScanEvent(document)).toMatchObject({ kind: "ignored", eventId: document.id });
  });

  it("leaves eventId out when the ignored event has no id", () => {
    const document = fixture("ecr-image-action-push");
    delete document.id;
    // toStrictEqual: an `eventId: undefined` key would fail it.
    expect(parseScanEvent(document)).toStrictEqual({
      kind: "ignored",
      reason: '"ECR Image Action" event (no id) from "aws.ecr" is not a scan-completion event',
    });
  });

  it("lists each resource type of a finding about no ECR image once", () => {
    const document = fixture("inspector2-finding-ec2");
    const [ec2] = document.detail.resources;
    const [lambda] = fixture("inspector2-finding-lambda").detail.resources;
    document.detail.resources = [ec2, lambda, ec2];
    const result = parseScanEvent(document);
    expect(result.kind === "ignored" && result.reason).toBe(
      `"Inspector2 Finding" event "${document.id}" is about AWS_EC2_INSTANCE, AWS_LAMBDA_FUNCTION, not an ECR container image`,
    );
  });
});

describe("parseScanEvent: the image of an Inspector2 Finding", () => {
  it("finds the ECR image among other resources", () => {
    const document = fixture("inspector2-finding");
    const [lambda] = fixture("inspector2-finding-lambda").detail.resources;
    document.detail.resources.unshift(lambda);
    expect(completed(document)).toMatchObject({ source: "inspector2-finding", imageDigest: IMAGE_DIGEST });
  });

  it("takes the registry from the image ARN, then from the event's account, when the details leave it out", () => {
    const document = fixture("inspector2-finding");
    const resource = document.detail.resources[0];
    delete resource.details.awsEcrContainerImage.registry;
    resource.id = `arn:aws:ecr:us-east-2:444455556666:repository/amazon/amazon-ecs-sample/${IMAGE_DIGEST}`;
    expect(completed(document).registryId).toBe("444455556666");

    resource.id = "an-id-that-is-not-an-arn";
    expect(completed(document)).toMatchObject({
      registryId: "123456789012",
      repositoryName: "amazon/amazon-ecs-sample",
      imageDigest: IMAGE_DIGEST,
    });
  });
});

describe("parseScanEvent: counted findings", () => {
  it("leaves expectedFindings out, not undefined, when the event counted none", () => {
    const event = completed(fixture("ecr-image-scan-failed"));
    expect(Object.keys(event)).not.toContain("expectedFindings");
  });

  it("sums the severities ECR counted", () => {
    expect(completed(fixture("ecr-image-scan-complete")).expectedFindings).toBe(19);
  });
});
