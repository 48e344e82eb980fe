import { readFileSync } from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import type { ImageDeleted } from "../src/events/index.js";
import { loadFresh } from "./support/fresh-modules.js";

// The event schemas are built while their module loads: each test loads them afresh (support/fresh-modules.ts).
type EventsModule = typeof import("../src/events/index.js");
let parseReportQueueMessage: EventsModule["parseReportQueueMessage"];
let parseImageActionEvent: EventsModule["parseImageActionEvent"];
let planImageDeletionJobs: EventsModule["planImageDeletionJobs"];
let isImageActionDocument: EventsModule["isImageActionDocument"];
let planForgetting: typeof import("../src/use-cases/forget-deleted-image.js").planForgetting;
let MessageError: typeof import("../src/errors.js").MessageError;

beforeEach(async () => {
  const [events, useCase, errors] = await loadFresh(() =>
    Promise.all([
      import("../src/events/index.js"),
      import("../src/use-cases/forget-deleted-image.js"),
      import("../src/errors.js"),
    ]),
  );
  ({ parseReportQueueMessage, parseImageActionEvent, planImageDeletionJobs, isImageActionDocument } = events);
  ({ planForgetting } = useCase);
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

const DOCUMENTED_DIGEST = "sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678";

function deletionOf(document: Json): ImageDeleted {
  const message = parseReportQueueMessage(JSON.stringify(document), "m-1");
  if (message.kind !== "image-deleted")
    throw new Error(`expected a deletion, got ${JSON.stringify(message)}`);
  return message.event;
}

describe("an ECR Image Action DELETE event on the report queue", () => {
  it("becomes an image deletion: the repository, digest and tag of AWS's documented event, in its account", () => {
    expect(deletionOf(fixture("ecr-image-action-delete"))).toStrictEqual({
      kind: "image-deleted",
      eventId: "dd3b46cb-2c74-f49e-393b-28286b67279d",
      account: "123456789012",
      region: "us-west-2",
      registryId: "123456789012",
      repositoryName: "my-repository-name",
      imageDigest: DOCUMENTED_DIGEST,
      imageTag: "latest",
      time: "2019-11-16T02:01:05Z",
    });
  });

  it("has no tag for an untagged image, whether image-tag is absent, null or empty", () => {
    const untagged = deletionOf(fixture("ecr-image-action-delete-untagged"));
    expect(untagged).not.toHaveProperty("imageTag");
    expect(untagged.repositoryName).toBe("team-a/api");
    for (const tag of [null, ""]) {
      const document = fixture("ecr-image-action-delete");
      document.detail["image-tag"] = tag;
      expect(deletionOf(document)).not.toHaveProperty("imageTag");
    }
  });

  it("ignores a push, and a deletion that failed, saying which action and result it had", () => {
    const push = parseReportQueueMessage(JSON.stringify(fixture("ecr-image-action-push")), "m-1");
    expect(push).toStrictEqual({
      kind: "ignored",
      eventId: "13cde686-328b-6117-af20-0e5566167482",
      reason:
        '"ECR Image Action" event "13cde686-328b-6117-af20-0e5566167482" has action-type "PUSH" and result "SUCCESS"; only a SUCCESS DELETE changes what the findings ledger knows',
    });
    const failed = fixture("ecr-image-action-delete");
    failed.detail.result = "FAILURE";
    delete failed.id;
    expect(parseImageActionEvent(failed)).toStrictEqual({
      kind: "ignored",
      reason:
        '"ECR Image Action" event (no id) has action-type "DELETE" and result "FAILURE"; only a SUCCESS DELETE changes what the findings ledger knows',
    });
  });

  it("does not check a push's fields: AWS's documented push, with its 60-digit digest, is ignored, not malformed", () => {
    const push = fixture("ecr-image-action-push");
    expect(push.detail["image-digest"]).toHaveLength(7 + 60);
    expect(parseImageActionEvent(push).kind).toBe("ignored");
  });

  it("rejects a malformed deletion with a MessageError naming the message and every problem", () => {
    const document = fixture("ecr-image-action-delete");
    document.detail["image-digest"] = "sha256:7f5b";
    document.detail["repository-name"] = "Team A";
    let thrown: unknown;
    try {
      parseReportQueueMessage(JSON.stringify(document), "msg-9");
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(MessageError);
    const message = (thrown as Error).message;
    expect(message).toMatch(/^report-queue message msg-9: "ECR Image Action" event "dd3b46cb-/);
    expect(message).toContain('detail.image-digest: "sha256:7f5b" is not an image digest');
    expect(message).toContain('detail.repository-name: "Team A" is not an ECR repository name');
  });

  it("tells an image action from other events, whatever its action", () => {
    expect(isImageActionDocument(fixture("ecr-image-action-delete"))).toBe(true);
    expect(isImageActionDocument(fixture("ecr-image-action-push"))).toBe(true);
    expect(isImageActionDocument(fixture("ecr-image-scan-complete"))).toBe(false);
    const foreign = fixture("ecr-image-action-delete");
    foreign.source = "acme.registry";
    expect(isImageActionDocument(foreign)).toBe(false);
    expect(isImageActionDocument(null)).toBe(false);
    expect(isImageActionDocument([foreign])).toBe(false);
  });
});

describe("planImageDeletionJobs", () => {
  const event = (overrides: Partial<ImageDeleted>): ImageDeleted => ({
    kind: "image-deleted",
    eventId: "e-1",
    account: "123456789012",
    region: "eu-west-1",
    registryId: "123456789012",
    repositoryName: "team-a/api",
    imageDigest: "sha256:aaa",
    time: "2026-03-01T10:00:00Z",
    ...overrides,
  });

  it("makes one job per image: the tags of its events (sorted, once), the latest time, every message", () => {
    const jobs = planImageDeletionJobs([
      { messageId: "m-1", event: event({ eventId: "e-1", imageTag: "v2" }) },
      {
        messageId: "m-2",
        event: event({ eventId: "e-2", imageTag: "latest", time: "2026-03-01T10:00:05Z" }),
      },
      { messageId: "m-3", event: event({ eventId: "e-1", imageTag: "v2" }) },
      { messageId: "m-4", event: event({ eventId: "e-4", imageDigest: "sha256:bbb" }) },
      { messageId: "m-5", event: event({ eventId: "e-5", repositoryName: "team-b/web", imageTag: "v2" }) },
    ]);
    expect(jobs).toEqual([
      {
        registryId: "123456789012",
        repositoryName: "team-a/api",
        imageDigest: "sha256:aaa",
        tags: ["latest", "v2"],
        time: "2026-03-01T10:00:05Z",
        eventIds: ["e-1", "e-2"],
        messageIds: ["m-1", "m-2", "m-3"],
      },
      {
        registryId: "123456789012",
        repositoryName: "team-a/api",
        imageDigest: "sha256:bbb",
        tags: [],
        time: "2026-03-01T10:00:00Z",
        eventIds: ["e-4"],
        messageIds: ["m-4"],
      },
      {
        registryId: "123456789012",
        repositoryName: "team-b/web",
        imageDigest: "sha256:aaa",
        tags: ["v2"],
        time: "2026-03-01T10:00:00Z",
        eventIds: ["e-5"],
        messageIds: ["m-5"],
      },
    ]);
  });

  it("keeps the later time whatever the order of the events", () => {
    const [job] = planImageDeletionJobs([
      { messageId: "m-1", event: event({ time: "2026-03-01T10:00:09Z" }) },
      { messageId: "m-2", event: event({ time: "2026-03-01T10:00:01Z" }) },
    ]);
    expect(job?.time).toBe("2026-03-01T10:00:09Z");
  });
});

describe("planForgetting", () => {
  it("forgets the whole image when ECR no longer has the digest", () => {
    expect(planForgetting({ tags: ["latest"] }, undefined)).toEqual({ forget: "image" });
    expect(planForgetting({ tags: [] }, undefined)).toEqual({ forget: "image" });
  });

  it("forgets only the events' tags the image no longer has when it is still there (a tag removed)", () => {
    expect(planForgetting({ tags: ["latest", "v2"] }, { tags: ["v2", "v3"] })).toEqual({
      forget: "tags",
      tags: ["latest"],
    });
    expect(planForgetting({ tags: ["v2"] }, { tags: ["v2"] })).toEqual({ forget: "tags", tags: [] });
    expect(planForgetting({ tags: [] }, { tags: [] })).toEqual({ forget: "tags", tags: [] });
  });
});
