import { BatchDeleteImageCommand, DescribeImagesCommand, ECRClient } from "@aws-sdk/client-ecr";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type EcrImageActionEvent, type Sandbox, startSandbox } from "../src/index.js";

// BatchDeleteImage on the sandbox's ECR, through the real SDK client: what it deletes, what it answers, and the
// "ECR Image Action" events it sends (src/ecr/store.ts and src/ecr/api.ts name the sources).

let sandbox: Sandbox;
let ecr: ECRClient;
let events: EcrImageActionEvent[];

beforeEach(async () => {
  sandbox = await startSandbox({ now: () => Date.parse("2026-03-05T09:30:00.250Z") });
  ecr = new ECRClient({
    region: "eu-west-1",
    endpoint: sandbox.endpoint,
    credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    maxAttempts: 1,
  });
  sandbox.ecr.createRepository("team-a/api");
  events = [];
  sandbox.ecr.onImageAction((event) => events.push(event));
});
afterEach(async () => {
  ecr.destroy();
  await sandbox.close();
});

const deleteImages = (imageIds: { imageDigest?: string; imageTag?: string }[]) =>
  ecr.send(new BatchDeleteImageCommand({ repositoryName: "team-a/api", imageIds }));

const tagsOf = async () =>
  (await ecr.send(new DescribeImagesCommand({ repositoryName: "team-a/api" }))).imageDetails
    ?.map((image) => [image.imageDigest, image.imageTags ?? []])
    .sort();

describe("BatchDeleteImage on the sandbox's ECR", () => {
  it("deletes an image by digest with all its tags, and sends a DELETE event per tag, in AWS's documented shape", async () => {
    const digest = sandbox.ecr.seedImage("team-a/api", { tags: ["v1", "latest"] });
    const kept = sandbox.ecr.seedImage("team-a/api", { tags: ["v0"] });

    const answer = await deleteImages([{ imageDigest: digest }]);

    expect(answer.imageIds).toEqual([
      { imageDigest: digest, imageTag: "v1" },
      { imageDigest: digest, imageTag: "latest" },
    ]);
    expect(answer.failures).toEqual([]);
    expect(await tagsOf()).toEqual([[kept, ["v0"]]]);
    expect(events).toEqual(
      ["v1", "latest"].map((tag) => ({
        version: "0",
        id: expect.any(String),
        "detail-type": "ECR Image Action",
        source: "aws.ecr",
        account: "123456789012",
        time: "2026-03-05T09:30:00Z",
        region: "eu-west-1",
        resources: [],
        detail: {
          result: "SUCCESS",
          "repository-name": "team-a/api",
          "image-digest": digest,
          "action-type": "DELETE",
          "image-tag": tag,
        },
      })),
    );
  });

  it("removes a tag from an image that has others (the event is sent all the same), and deletes it with its last", async () => {
    const digest = sandbox.ecr.seedImage("team-a/api", { tags: ["v1", "latest"] });
    await deleteImages([{ imageTag: "latest" }]);
    expect(await tagsOf()).toEqual([[digest, ["v1"]]]);
    await deleteImages([{ imageTag: "v1" }]);
    expect(await tagsOf()).toEqual([]);
    expect(events.map((e) => [e.detail["image-digest"], e.detail["image-tag"]])).toEqual([
      [digest, "latest"],
      [digest, "v1"],
    ]);
  });

  it("sends an untagged image's event without image-tag", async () => {
    const digest = sandbox.ecr.seedImage("team-a/api", { tags: [] });
    expect((await deleteImages([{ imageDigest: digest }])).imageIds).toEqual([{ imageDigest: digest }]);
    expect(events).toHaveLength(1);
    expect(events[0]?.detail).not.toHaveProperty("image-tag");
  });

  it("answers what it cannot delete as failures with ECR's codes, and sends no event for them", async () => {
    const digest = sandbox.ecr.seedImage("team-a/api", { tags: ["v1"] });
    const missing = `sha256:${"0".repeat(64)}`;
    const answer = await deleteImages([
      { imageDigest: missing },
      { imageTag: "nope" },
      { imageDigest: digest, imageTag: "v2" },
      {},
    ]);
    expect(answer.imageIds).toEqual([]);
    expect(answer.failures?.map((f) => [f.failureCode, f.imageId])).toEqual([
      ["ImageNotFound", { imageDigest: missing }],
      ["ImageNotFound", { imageTag: "nope" }],
      ["ImageTagDoesNotMatchDigest", { imageDigest: digest, imageTag: "v2" }],
      ["MissingDigestAndTag", {}],
    ]);
    expect(events).toEqual([]);
    expect(await tagsOf()).toEqual([[digest, ["v1"]]]);
  });

  it("refuses an empty list of image ids, and a repository that does not exist, as ECR does", async () => {
    await expect(deleteImages([])).rejects.toMatchObject({ name: "InvalidParameterException" });
    await expect(
      ecr.send(new BatchDeleteImageCommand({ repositoryName: "team-b/web", imageIds: [{ imageTag: "v1" }] })),
    ).rejects.toMatchObject({ name: "RepositoryNotFoundException" });
  });
});
