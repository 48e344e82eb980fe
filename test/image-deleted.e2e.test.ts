import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDbLedger, queryExposure } from "@ecr-scan-reporter/core";
import { recordingLogger } from "@ecr-scan-reporter/core/testing";
import {
  type BasicFinding,
  DOCKER_IMAGE_CONFIG,
  DOCKER_MANIFEST,
  LocalDeployment,
  localDeploymentNames,
  type Sandbox,
  startSandbox,
} from "@ecr-scan-reporter/sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/bundles.js";

// Images deleted from ECR leave the findings ledger's answers (docs/architecture.md, "Images deleted from the
// registry"), end to end: the built report-findings bundle on the sandbox with the module's IAM policy. An image is
// pushed, scanned and reported (exposure lists it); BatchDeleteImage deletes it, the sandbox's ECR sends its "ECR
// Image Action" events to the report queue as the module's rule does, and exposure no longer lists it.
// Needs the bundles rebuilt (pnpm build) when report-findings changes.

const DIST = join(REPO_ROOT, "terraform", "dist");
const REPOSITORY = "team-a/api";
const REGISTRY = "123456789012";
const DRAIN = { timeoutMs: 60_000 };
const NAMES = localDeploymentNames();
const LOG4SHELL: BasicFinding = {
  name: "CVE-2021-44228",
  uri: "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
  severity: "CRITICAL",
  description: "CVE-2021-44228 in log4j-core",
  attributes: [
    { key: "package_name", value: "log4j-core" },
    { key: "package_version", value: "2.14.1" },
  ],
};

interface World {
  sandbox: Sandbox;
  deployment: LocalDeployment;
  dynamodb: DynamoDBClient;
}

const worlds: World[] = [];
afterEach(async () => {
  for (const world of worlds.splice(0)) {
    world.dynamodb.destroy();
    await world.deployment.close();
    await world.sandbox.close();
    // report-findings ran with the IAM policy the Terraform module gives it: none of its calls was refused.
    expect(world.sandbox.iam.denials()).toEqual([]);
  }
});

async function deploy(): Promise<World> {
  const sandbox = await startSandbox({ scanDurationMs: 20, findingsFor: () => [LOG4SHELL] });
  sandbox.sns.createTopic(NAMES.topicName);
  sandbox.ecr.createRepository(REPOSITORY);
  const deployment = new LocalDeployment({
    sandbox,
    distDir: DIST,
    config: { reporters: [{ use: "sns", options: { topicArn: NAMES.topicArn } }] },
  });
  const dynamodb = new DynamoDBClient({
    endpoint: sandbox.endpoint,
    region: sandbox.region,
    credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
  });
  const world = { sandbox, deployment, dynamodb };
  worlds.push(world);
  await deployment.ready();
  return world;
}

/** Pushes an image (its own manifest) under a tag, as PutImage does; returns its digest. */
function push(world: World, tag: string, build: string): string {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: DOCKER_IMAGE_CONFIG, digest: `sha256:${build}`, size: 1 },
    layers: [],
  });
  const answer = world.sandbox.ecr.operations.PutImage?.({
    repositoryName: REPOSITORY,
    imageManifest: manifest,
    imageTag: tag,
  }) as { image: { imageId: { imageDigest: string } } };
  return answer.image.imageId.imageDigest;
}

/** A scan of the image, and report-findings' run on its event. */
async function scanAndReport(world: World, digest: string): Promise<void> {
  world.sandbox.ecr.operations.StartImageScan?.({
    repositoryName: REPOSITORY,
    imageId: { imageDigest: digest },
  });
  expect((await world.deployment.drain(DRAIN)).timedOut).toBe(false);
}

/** BatchDeleteImage, as a user or a lifecycle policy would; report-findings then runs on ECR's deletion events. */
async function deleteImage(
  world: World,
  imageId: { imageDigest?: string; imageTag?: string },
): Promise<void> {
  world.sandbox.ecr.operations.BatchDeleteImage?.({ repositoryName: REPOSITORY, imageIds: [imageId] });
  expect((await world.deployment.drain(DRAIN)).timedOut).toBe(false);
}

/** The images `ecr-scan-reporter exposure CVE-2021-44228` lists: digest and whether in use. */
async function exposed(world: World): Promise<{ digest: string; inUse: boolean }[]> {
  const exposure = await queryExposure({
    client: world.dynamodb,
    tableName: world.deployment.names.ledgerTableName,
    vulnerability: LOG4SHELL.name,
    logger: recordingLogger(),
  });
  return exposure.images.map(({ digest, inUse }) => ({ digest, inUse }));
}

describe("an image deleted from ECR", { timeout: 180_000 }, () => {
  it("leaves exposure at once, and its deletion event redelivered changes nothing more", async () => {
    const world = await deploy();
    const deleted = push(world, "v1", "1");
    const kept = push(world, "v2", "2");
    await scanAndReport(world, deleted);
    await scanAndReport(world, kept);
    // In use first, then by tag: v1, v2.
    expect(await exposed(world)).toEqual([
      { digest: deleted, inUse: true },
      { digest: kept, inUse: true },
    ]);

    await deleteImage(world, { imageDigest: deleted });

    expect(await exposed(world)).toEqual([{ digest: kept, inUse: true }]);
    const ledger = new DynamoDbLedger({
      client: world.dynamodb,
      tableName: world.deployment.names.ledgerTableName,
      logger: recordingLogger(),
    });
    const image = (digest: string) => ({ registryId: REGISTRY, repository: REPOSITORY, digest });
    expect([...(await ledger.lastScans([image(deleted), image(kept)])).keys()]).toEqual([
      `${REGISTRY}/${REPOSITORY}@${kept}`,
    ]);
    // v1's last report expires; v2's is untouched (a second expiry of v1 finds it already expiring).
    expect(await ledger.expireReferences([{ ...image(deleted), tag: "v1" }])).toBe(0);
    const summaries = world.deployment.functions.reportFindings
      .jsonLogs()
      .filter((line) => line.message === "report-findings summary")
      .map((line) => line.summary);
    expect(summaries.at(-1)).toMatchObject({ deletions: 1, deletionOutcomes: { forgotten: 1 } });

    // EventBridge delivers at least once: the deletion event comes again.
    const event = world.deployment.deliveredEvents.at(-1);
    world.sandbox.sqs.send(world.deployment.queues.report, JSON.stringify(event));
    expect((await world.deployment.drain(DRAIN)).timedOut).toBe(false);
    expect(await exposed(world)).toEqual([{ digest: kept, inUse: true }]);
    expect(world.deployment.queues.reportDlq.messages).toEqual([]);
  });

  it("stays in exposure when only one of its tags is removed", async () => {
    const world = await deploy();
    const digest = world.sandbox.ecr.seedImage(REPOSITORY, { tags: ["v1", "latest"] });
    await scanAndReport(world, digest);

    await deleteImage(world, { imageTag: "latest" });

    expect(await exposed(world)).toEqual([{ digest, inUse: true }]);
    const summaries = world.deployment.functions.reportFindings
      .jsonLogs()
      .filter((line) => line.message === "report-findings summary")
      .map((line) => line.summary);
    expect(summaries.at(-1)).toMatchObject({ deletions: 1, deletionOutcomes: { "tags-removed": 1 } });
  });
});
