import { ECRClient } from "@aws-sdk/client-ecr";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import type { ScanReport } from "../src/model.js";
import {
  type AnyReporterPlugin,
  REPORTER_CONTRACT_VERSION,
  type ReportContext,
  type ReporterDeps,
} from "../src/reporters/contract.js";
import {
  checkReporterConformance,
  cleanReport,
  conformanceDeps,
  failedScanReport,
  hostileReport,
  mustNotUse,
  overThresholdReport,
  recordingAwsClient,
  SENTINEL_SECRET,
  TEST_CLOCK_TIME,
  testDeps,
  untaggedReport,
} from "../src/testing/index.js";

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

/** What a fake plugin's reporters were given and did, for the conformance tests below. */
interface PluginLog {
  created: { options: unknown; deps: ReporterDeps }[];
  reports: { report: ScanReport; ctx: ReportContext }[];
  previews: { options: unknown; deps: unknown }[];
}

/**
 * A plugin that conforms unless a test replaces one of its parts: it fetches its target with the resolved secret,
 * rejects without the secret when the target fails, skips a clean report and sends the rest.
 */
function fakePlugin(overrides: Partial<AnyReporterPlugin> = {}): {
  plugin: AnyReporterPlugin;
  log: PluginLog;
} {
  const log: PluginLog = { created: [], reports: [], previews: [] };
  const plugin: AnyReporterPlugin = {
    name: "fake",
    optionsSchema: z.strictObject({ url: z.string(), retries: z.number().default(2) }),
    create(options, deps) {
      log.created.push({ options, deps });
      return {
        async report(report, ctx) {
          log.reports.push({ report, ctx });
          if (report.findings.length === 0 && report.status === "COMPLETE") return { status: "skipped" };
          const url = await deps.resolveSecret({ parameter: "/fake/url" });
          const response = await deps.fetch(url, { method: "POST" });
          if (!response.ok) throw new Error(`the target answered ${response.status}`);
          return { status: "sent", ref: await response.text() };
        },
      };
    },
    ...overrides,
  };
  return { plugin, log };
}

const VALID = { url: "https://example.test/hook" };
const SAMPLE_NAMES = ["overThreshold", "clean", "failedScan", "untagged", "hostile", "manyFindings"];

describe("checkReporterConformance", () => {
  it("finds nothing wrong with a conforming plugin, and returns each sample's outcome", async () => {
    const { plugin } = fakePlugin();
    const result = await checkReporterConformance(plugin, {
      validOptions: VALID,
      invalidOptions: [{ options: {}, why: "no url" }],
    });
    expect(result.problems).toEqual([]);
    expect(result.outcomes).toEqual({
      overThreshold: { status: "sent", ref: "1" },
      clean: { status: "skipped" },
      failedScan: { status: "sent", ref: "1" },
      untagged: { status: "sent", ref: "1" },
      hostile: { status: "sent", ref: "1" },
      manyFindings: { status: "sent", ref: "1" },
    });
  });

  it("sends each sample report once with a first-attempt context, then one report to a failing target", async () => {
    const { plugin, log } = fakePlugin();
    await checkReporterConformance(plugin, { validOptions: VALID, invalidOptions: [] });

    expect(log.reports.map(({ ctx }) => ctx)).toEqual(
      Array.from({ length: 7 }, () => ({ reporterId: "fake", attempt: 1, source: "conformance" })),
    );
    const [overThreshold, clean, failedScan, untagged, hostile, many, failing] = log.reports.map(
      (r) => r.report,
    );
    expect(overThreshold).toEqual(overThresholdReport());
    expect(clean).toEqual(cleanReport());
    expect(failedScan).toEqual(failedScanReport());
    expect(untagged).toEqual(untaggedReport());
    expect(hostile).toEqual(hostileReport());
    expect(many?.findings).toHaveLength(5_000);
    expect(failing).toEqual(overThresholdReport());
  });

  it("creates the reporter with the schema's parsed options (defaults filled) and the given deps", async () => {
    const { plugin, log } = fakePlugin();
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    await checkReporterConformance(plugin, { validOptions: VALID, invalidOptions: [], deps: { logger } });

    expect(log.created).toHaveLength(2);
    for (const { options, deps } of log.created) {
      expect(options).toEqual({ url: "https://example.test/hook", retries: 2 });
      expect(deps.logger).toBe(logger);
    }
  });

  it("creates the reporter with the options `parse` returns when given", async () => {
    const { plugin, log } = fakePlugin();
    await checkReporterConformance(plugin, {
      validOptions: VALID,
      invalidOptions: [],
      parse: (options) => ({ ...(options as object), parsedBy: "the author" }),
    });
    expect(log.created.map((c) => c.options)).toEqual([
      { url: "https://example.test/hook", parsedBy: "the author" },
      { url: "https://example.test/hook", parsedBy: "the author" },
    ]);
  });

  it("gives the failing reporter the failing deps over the deps, and a target that answers 500", async () => {
    const workingFetch = vi.fn(async () => new Response("ok"));
    const failingFetch = vi.fn(async () => new Response("no", { status: 503 }));
    const { plugin, log } = fakePlugin();
    const resolveSecret = async () => "https://example.test/from-deps";
    const result = await checkReporterConformance(plugin, {
      validOptions: VALID,
      invalidOptions: [],
      deps: { fetch: workingFetch as typeof fetch, resolveSecret },
      failingDeps: { fetch: failingFetch as typeof fetch },
    });

    expect(result.problems).toEqual([]);
    expect(workingFetch).toHaveBeenCalledTimes(5);
    expect(failingFetch).toHaveBeenCalledTimes(1);
    expect(failingFetch).toHaveBeenCalledWith("https://example.test/from-deps", { method: "POST" });
    const [working, failing] = log.created.map((c) => c.deps);
    expect(working?.resolveSecret).toBe(resolveSecret);
    expect(failing?.resolveSecret).toBe(resolveSecret);

    // Without failing deps, the kit's own fetch answers 500.
    const { plugin: plain, log: plainLog } = fakePlugin();
    await checkReporterConformance(plain, { validOptions: VALID, invalidOptions: [] });
    const response = await plainLog.created[1]?.deps.fetch("https://example.test/");
    expect(response?.status).toBe(500);
  });

  it("stops at the plugin's shape when it is not a plugin, without creating anything", async () => {
    const { plugin, log } = fakePlugin({ create: undefined as never });
    const result = await checkReporterConformance(plugin, { validOptions: VALID, invalidOptions: [] });
    expect(result).toEqual({
      problems: ["its default export is not a reporter plugin: missing create (a function)"],
      outcomes: {},
    });
    expect(log.reports).toEqual([]);
  });

  it("stops at a plugin written for a newer contract than this core's, and accepts the current one", async () => {
    const newer = fakePlugin({ contractVersion: REPORTER_CONTRACT_VERSION + 1 });
    const result = await checkReporterConformance(newer.plugin, { validOptions: VALID, invalidOptions: [] });
    expect(result.problems).toEqual([
      `it needs reporter contract v${REPORTER_CONTRACT_VERSION + 1}, this release implements v${REPORTER_CONTRACT_VERSION}: upgrade ecr-scan-reporter`,
    ]);
    expect(newer.log.created).toEqual([]);

    const current = fakePlugin({ contractVersion: REPORTER_CONTRACT_VERSION }).plugin;
    expect(
      (await checkReporterConformance(current, { validOptions: VALID, invalidOptions: [] })).problems,
    ).toEqual([]);
  });

  it("stops when the schema rejects the valid options, listing the schema's messages", async () => {
    const { plugin, log } = fakePlugin({
      optionsSchema: z.strictObject({
        url: z.string({ message: "url must be a string" }),
        team: z.string({ message: "team must be a string" }),
      }),
    });
    const result = await checkReporterConformance(plugin, {
      validOptions: { url: 42 },
      invalidOptions: [{ options: {}, why: "empty" }],
    });
    expect(result).toEqual({
      problems: ["optionsSchema rejects the valid options: url must be a string; team must be a string"],
      outcomes: {},
    });
    expect(log.created).toEqual([]);
  });

  it("names each invalid option set the schema accepts, by its reason, and none it rejects", async () => {
    const { plugin } = fakePlugin({ optionsSchema: z.object({ url: z.string() }) });
    const result = await checkReporterConformance(plugin, {
      validOptions: VALID,
      invalidOptions: [
        { options: { url: "https://example.test", extra: true }, why: "an unknown key" },
        { options: {}, why: "no url" },
        { options: { url: "x", team: 1 }, why: "a team that is a number" },
      ],
    });
    expect(result.problems).toEqual([
      "optionsSchema accepts invalid options (an unknown key)",
      "optionsSchema accepts invalid options (a team that is a number)",
    ]);
  });

  it.each([
    { outcome: undefined, shown: "undefined" },
    { outcome: null, shown: "null" },
    { outcome: {}, shown: "{}" },
    { outcome: { status: "failed" }, shown: '{"status":"failed"}' },
    { outcome: "sent", shown: '"sent"' },
  ])("reports an outcome of $shown for every sample", async ({ outcome, shown }) => {
    const { plugin } = fakePlugin({
      create: (_options, deps) => ({
        async report() {
          const response = await deps.fetch("https://example.test/", { method: "POST" });
          if (!response.ok) throw new Error("failed");
          return outcome as never;
        },
      }),
    });
    const result = await checkReporterConformance(plugin, { validOptions: VALID, invalidOptions: [] });
    expect(result.problems).toEqual(
      SAMPLE_NAMES.map((name) => `report(${name}) returned ${shown}, not { status: "sent" | "skipped" }`),
    );
    expect(Object.keys(result.outcomes)).toEqual(SAMPLE_NAMES);
  });

  it("reports a report() that throws against a working target, with the error, and goes on", async () => {
    const { plugin } = fakePlugin({
      create: (_options, deps) => ({
        async report(report) {
          const response = await deps.fetch("https://example.test/", { method: "POST" });
          if (!response.ok) throw new Error("failed");
          if (report.tags.length === 0) throw new Error("no tag to name the image by");
          // A plain-JS plugin may throw anything.
          if (report.status === "FAILED") throw "a string, not an Error";
          return { status: "sent" };
        },
      }),
    });
    const result = await checkReporterConformance(plugin, { validOptions: VALID, invalidOptions: [] });
    expect(result.problems).toEqual([
      "report(failedScan) threw against a working target: a string, not an Error",
      "report(untagged) threw against a working target: no tag to name the image by",
    ]);
    expect(Object.keys(result.outcomes)).toEqual(["overThreshold", "clean", "hostile", "manyFindings"]);
  });

  it("reports a reporter that resolves although its target answered 500", async () => {
    const { plugin } = fakePlugin({ create: () => ({ report: async () => ({ status: "sent" }) }) });
    const result = await checkReporterConformance(plugin, { validOptions: VALID, invalidOptions: [] });
    expect(result.problems).toEqual([
      "report() resolved although the target answered 500: a failed send must reject",
    ]);
  });

  /** A plugin whose failed send rejects with what `failure` makes of the resolved secret. */
  function failingWith(failure: (secret: string) => unknown) {
    return fakePlugin({
      create: (_options, deps) => ({
        async report() {
          const secret = await deps.resolveSecret({ parameter: "/fake/url" });
          const response = await deps.fetch(secret, { method: "POST" });
          if (!response.ok) throw failure(secret);
          return { status: "sent" };
        },
      }),
    }).plugin;
  }
  const LEAK = "the error of a failed send contains the secret value";

  it.each([
    { where: "the message", failure: (secret: string) => new Error(`POST ${secret} failed`) },
    {
      where: "the stack",
      failure: (secret: string) => Object.assign(new Error("POST failed"), { stack: `Error: at ${secret}` }),
    },
    { where: "the cause", failure: (secret: string) => new Error("POST failed", { cause: secret }) },
    {
      where: "the cause's message",
      failure: (secret: string) => new Error("POST failed", { cause: new Error(secret) }),
    },
    { where: "a thrown string", failure: (secret: string) => `POST ${secret} failed` },
    {
      where: "a part of it (its path)",
      failure: (secret: string) => new Error(`POST to ${new URL(secret).pathname} failed`),
    },
  ])("reports a failed send whose error carries the secret in $where", async ({ failure }) => {
    const result = await checkReporterConformance(failingWith(failure), {
      validOptions: VALID,
      invalidOptions: [],
    });
    expect(result.problems).toEqual([LEAK]);
  });

  it("accepts a failed send whose error names the target without its secret", async () => {
    const plugin = failingWith(
      () => new Error("POST to the webhook failed: 500", { cause: new Error("500") }),
    );
    const result = await checkReporterConformance(plugin, { validOptions: VALID, invalidOptions: [] });
    expect(result.problems).toEqual([]);
  });

  it("accepts an error without a stack or cause, and a thrown value that is not an Error", async () => {
    const stackless = failingWith(() => Object.assign(new Error("POST failed"), { stack: undefined }));
    const notAnError = failingWith(() => ({ code: 500 }));
    for (const plugin of [stackless, notAnError]) {
      const result = await checkReporterConformance(plugin, { validOptions: VALID, invalidOptions: [] });
      expect(result.problems).toEqual([]);
    }
  });

  it("calls preview() with the parsed options and a fixed clock, and accepts [{ name, content }]", async () => {
    const preview = vi.fn((_report: ScanReport, _options: unknown, deps: Pick<ReporterDeps, "clock">) => [
      { name: "message.json", content: deps.clock().toISOString() },
    ]);
    const { plugin } = fakePlugin({ preview });
    const result = await checkReporterConformance(plugin, { validOptions: VALID, invalidOptions: [] });
    expect(result.problems).toEqual([]);
    expect(preview).toHaveBeenCalledTimes(1);
    expect(preview.mock.calls[0]?.[0]).toEqual(overThresholdReport());
    expect(preview.mock.calls[0]?.[1]).toEqual({ url: "https://example.test/hook", retries: 2 });
    expect(preview.mock.results[0]?.value).toEqual([
      { name: "message.json", content: "2026-11-28T06:15:00.000Z" },
    ]);
  });

  it.each([
    { what: "not an array", files: { name: "a", content: "b" } },
    { what: "a file without a string name", files: [{ name: "a", content: "b" }, { content: "b" }] },
    { what: "a file whose content is not a string", files: [{ name: "a", content: Buffer.from("b") }] },
  ])("reports a preview() that returns $what", async ({ files }) => {
    const { plugin } = fakePlugin({ preview: () => files as never });
    const result = await checkReporterConformance(plugin, { validOptions: VALID, invalidOptions: [] });
    expect(result.problems).toEqual(["preview() must return [{ name, content }] of strings"]);
  });

  it("reports a preview() that throws, with the error", async () => {
    const throwsError = fakePlugin({
      preview: () => {
        throw new Error("no template");
      },
    }).plugin;
    const throwsString = fakePlugin({
      preview: () => {
        throw "no template either";
      },
    }).plugin;
    const options = { validOptions: VALID, invalidOptions: [] };
    expect((await checkReporterConformance(throwsError, options)).problems).toEqual([
      "preview() threw: no template",
    ]);
    expect((await checkReporterConformance(throwsString, options)).problems).toEqual([
      "preview() threw: no template either",
    ]);
  });

  it("counts unhandled rejections, even one that surfaces after report() resolved", async () => {
    const { plugin } = fakePlugin({
      create: (_options, deps) => ({
        async report() {
          const response = await deps.fetch("https://example.test/", { method: "POST" });
          if (!response.ok) throw new Error("failed");
          // Rejects a few milliseconds later, when nobody listens any more.
          setTimeout(() => void Promise.reject(new Error("forgotten")), 5);
          return { status: "sent" };
        },
      }),
    });
    const result = await checkReporterConformance(plugin, { validOptions: VALID, invalidOptions: [] });
    expect(result.problems).toEqual(["6 unhandled promise rejection(s)"]);
  });

  it("stops listening for unhandled rejections when it is done, on every path", async () => {
    const before = process.listenerCount("unhandledRejection");
    await checkReporterConformance(fakePlugin().plugin, { validOptions: VALID, invalidOptions: [] });
    await checkReporterConformance(fakePlugin({ name: "" }).plugin, {
      validOptions: VALID,
      invalidOptions: [],
    });
    await checkReporterConformance(fakePlugin().plugin, { validOptions: {}, invalidOptions: [] });
    expect(process.listenerCount("unhandledRejection")).toBe(before);
  });
});

describe("conformanceDeps", () => {
  it("answers like a working target: the sentinel secret, HTTP 200, a fixed clock, no templates", async () => {
    const deps = conformanceDeps();
    await expect(deps.resolveSecret({ parameter: "/x" })).resolves.toBe(SENTINEL_SECRET);
    const response = await deps.fetch("https://example.test/");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("1");
    expect(deps.clock().toISOString()).toBe("2026-11-28T06:15:00.000Z");
    expect(deps.templates.override("slack/header.hbs")).toBeUndefined();
    expect(deps.writeLine("x")).toBeUndefined();
    for (const level of ["debug", "info", "warn", "error"] as const) {
      expect(deps.logger[level]("message")).toBeUndefined();
    }
  });

  it("tells a reporter that wants AWS how to give it a client", () => {
    expect(() => conformanceDeps().awsClient(ECRClient)).toThrow(
      "this reporter asked for an AWS client: pass deps.awsClient to the conformance check",
    );
  });

  it.each([
    { status: 299, body: "1" },
    { status: 300, body: "upstream failure" },
    { status: 500, body: "upstream failure" },
  ])("answers HTTP $status with body $body when asked to", async ({ status, body }) => {
    const response = await conformanceDeps({}, status).fetch("https://example.test/");
    expect(response.status).toBe(status);
    expect(await response.text()).toBe(body);
  });

  it("lets overrides replace any dep", () => {
    const writeLine = () => undefined;
    expect(conformanceDeps({ writeLine }).writeLine).toBe(writeLine);
  });

  it("keeps the sentinel secret a value no real output contains", () => {
    expect(SENTINEL_SECRET).toBe("https://secret.invalid/SENTINEL-0c1d2e3f-do-not-log");
  });
});
