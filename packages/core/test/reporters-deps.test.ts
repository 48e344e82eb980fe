import { ECRClient } from "@aws-sdk/client-ecr";
import { SSMClient } from "@aws-sdk/client-ssm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createReporterDeps } from "../src/reporters/deps.js";

const logger = { debug() {}, info() {}, warn() {}, error() {} };
const templates = { override: () => undefined };
const writeLine = () => undefined;

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("createReporterDeps", () => {
  it("hands out one AWS client per class, shared by every reporter that asks for it", () => {
    vi.stubEnv("AWS_REGION", "eu-west-1");
    const deps = createReporterDeps({ logger, templates, writeLine });
    const ecr = deps.awsClient(ECRClient);
    expect(ecr).toBeInstanceOf(ECRClient);
    expect(deps.awsClient(ECRClient)).toBe(ecr);
    const ssm = deps.awsClient(SSMClient);
    expect(ssm).toBeInstanceOf(SSMClient);
    expect(deps.awsClient(SSMClient)).toBe(ssm);
  });

  it("keeps the clients of one set of deps to itself", () => {
    vi.stubEnv("AWS_REGION", "eu-west-1");
    const first = createReporterDeps({ logger, templates, writeLine });
    const second = createReporterDeps({ logger, templates, writeLine });
    expect(first.awsClient(ECRClient)).not.toBe(second.awsClient(ECRClient));
  });

  it("tells the time of the wall clock", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-28T06:15:00Z"));
    const deps = createReporterDeps({ logger, templates, writeLine });
    expect(deps.clock()).toEqual(new Date("2026-11-28T06:15:00Z"));
  });

  it("passes on the caller's logger, templates and line writer, and the global fetch", () => {
    const deps = createReporterDeps({ logger, templates, writeLine });
    expect(deps.logger).toBe(logger);
    expect(deps.templates).toBe(templates);
    expect(deps.writeLine).toBe(writeLine);
    expect(deps.fetch).toBe(globalThis.fetch);
    expect(deps.resolveSecret).toBeTypeOf("function");
  });
});
