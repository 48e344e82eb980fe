import { parseScanRepositoryMessage } from "@ecr-scan-reporter/core";
import { type Sandbox, startSandbox } from "@ecr-scan-reporter/sandbox";
import { afterEach, describe, expect, it } from "vitest";
import { invokeBundle } from "./support/bundles.js";

const scheduledEvent = {
  version: "0",
  id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: "2026-11-29T06:00:00Z",
  region: "eu-west-1",
  resources: ["arn:aws:events:eu-west-1:123456789012:rule/ecr-scan-reporter-schedule"],
  detail: {},
};

describe("schedule-scans bundle on the sandbox", () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  async function run(config: unknown) {
    const s = sandbox as Sandbox;
    const queue = s.sqs.createQueue("scan-queue");
    const result = await invokeBundle("schedule-scans", scheduledEvent, {
      ...s.env(),
      SCAN_QUEUE_URL: queue.url,
      ECR_SCAN_REPORTER_CONFIG: JSON.stringify(config),
    });
    const messages = queue.messages.map((m) => parseScanRepositoryMessage(m.body));
    return { result, messages };
  }

  it("queues one message per selected repository, ten per SendMessageBatch, across repository pages", async () => {
    sandbox = await startSandbox();
    for (let i = 0; i < 1_205; i++) sandbox.ecr.createRepository(`team-${i % 3 === 0 ? "a" : "b"}/svc-${i}`);
    sandbox.ecr.createRepository("team-a/sandbox-tools");
    sandbox.ecr.createRepository("legacy/app");
    const { result, messages } = await run({ repositories: { include: "^team-", exclude: "sandbox" } });

    expect(result.ok).toBe(true);
    const expected = [...sandbox.ecr.repositories.keys()].filter(
      (n) => n.startsWith("team-") && !n.includes("sandbox"),
    );
    expect(messages.map((m) => m.repositoryName).sort()).toEqual(expected.sort());
    expect(new Set(messages.map((m) => m.runId))).toEqual(new Set(["11111111-2222-3333-4444-555555555555"]));
    expect(messages.every((m) => m.scanType === "BASIC" && m.registryId === "123456789012")).toBe(true);
    const calls = sandbox.server.callCounts();
    expect(calls["ecr:DescribeRepositories"]).toBe(2);
    expect(calls["ecr:GetRegistryScanningConfiguration"]).toBe(1);
    expect(calls["sqs:SendMessageBatch"]).toBe(Math.ceil(expected.length / 10));
    expect(result.ok && result.result).toMatchObject({
      repositories: 1_207,
      selected: expected.length,
      messagesSent: expected.length,
      messagesFailed: 0,
    });
  });

  it("treats an empty registry, or one where nothing matches, as a normal run", async () => {
    sandbox = await startSandbox();
    const empty = await run({});
    expect(empty.result.ok && empty.result.result).toMatchObject({
      repositories: 0,
      selected: 0,
      messagesSent: 0,
    });
    sandbox.ecr.createRepository("other/app");
    const none = await run({ repositories: { include: "^team-" } });
    expect(none.result.ok && none.result.result).toMatchObject({
      repositories: 1,
      selected: 0,
      messagesSent: 0,
    });
    expect(none.messages).toHaveLength(0);
  });

  it("queues nothing when the registry uses enhanced scanning", async () => {
    sandbox = await startSandbox();
    sandbox.ecr.createRepository("team-a/api");
    sandbox.ecr.scanType = "ENHANCED";
    const { result, messages } = await run({});
    expect(result.ok && result.result).toMatchObject({ scanType: "ENHANCED", selected: 1, messagesSent: 0 });
    expect(messages).toHaveLength(0);
    expect(sandbox.server.callCounts()["sqs:SendMessageBatch"]).toBeUndefined();
  });

  it("fails the run, naming the repositories, when messages cannot be queued", async () => {
    sandbox = await startSandbox();
    sandbox.ecr.createRepository("team-a/api");
    const result = await invokeBundle("schedule-scans", scheduledEvent, {
      ...sandbox.env(),
      SCAN_QUEUE_URL: `${sandbox.endpoint}/123456789012/missing-queue`,
      ECR_SCAN_REPORTER_CONFIG: "{}",
    });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errorType).toBe("QueueDoesNotExist");
  });
});
