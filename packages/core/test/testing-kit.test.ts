import { ECRClient } from "@aws-sdk/client-ecr";
import { describe, expect, it } from "vitest";
import { mustNotUse, recordingAwsClient, TEST_CLOCK_TIME, testDeps } from "../src/testing/index.js";

describe("testDeps", () => {
  it("records log lines and raw lines, and starts at the fixed clock", () => {
    const { deps, logs, lines } = testDeps();
    deps.logger.warn("careful", { host: "proxy.example" });
    deps.logger.info("sent");
    deps.writeLine('{"_aws":{}}');
    expect(logs).toEqual([
      { level: "warn", message: "careful", extra: { host: "proxy.example" } },
      { level: "info", message: "sent" },
    ]);
    expect(lines).toEqual(['{"_aws":{}}']);
    expect(deps.clock().toISOString()).toBe(TEST_CLOCK_TIME);
  });

  it("throws for secrets, AWS clients and the network unless the test provides them", async () => {
    const { deps } = testDeps();
    await expect(deps.resolveSecret({ parameter: "/x" })).rejects.toThrow(/no secrets/);
    expect(() => deps.awsClient(ECRClient)).toThrow(/no AWS clients/);
    await expect(deps.fetch("https://example.com/")).rejects.toThrow(/no network/);
  });
});

describe("mustNotUse", () => {
  it("makes a dep throw, naming it, when the reporter calls it", () => {
    const { deps, lines } = testDeps({
      writeLine: mustNotUse("writeLine"),
      templates: { override: mustNotUse("templates") },
    });
    expect(() => deps.writeLine("x")).toThrow("the reporter must not use writeLine");
    expect(() => deps.templates.override("slack/header.hbs")).toThrow("the reporter must not use templates");
    expect(lines).toEqual([]);
  });
});

describe("recordingAwsClient", () => {
  it("builds a real SDK client in eu-west-1 for each class asked for, and records the classes", async () => {
    const { awsClient, clients } = recordingAwsClient();
    const { deps } = testDeps({ awsClient });
    const client = deps.awsClient(ECRClient);
    expect(client).toBeInstanceOf(ECRClient);
    expect(await client.config.region()).toBe("eu-west-1");
    deps.awsClient(ECRClient);
    expect(clients).toEqual([ECRClient, ECRClient]);
  });

  it("passes the given config to each client, e.g. a local endpoint", async () => {
    const { awsClient } = recordingAwsClient({
      region: "us-east-1",
      endpoint: "http://127.0.0.1:4566",
      credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
    });
    const client = awsClient(ECRClient);
    expect(await client.config.region()).toBe("us-east-1");
    const endpoint = await client.config.endpoint?.();
    expect(endpoint?.hostname).toBe("127.0.0.1");
    expect(endpoint?.port).toBe(4566);
  });
});
