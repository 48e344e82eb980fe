import {
  type ReporterDeps,
  ReporterError,
  SecretError,
  type SecretRef,
  type TemplateSource,
} from "@ecr-scan-reporter/core";
import {
  cleanReport,
  failedScanReport,
  hostileReport,
  manyFindingsReport,
  mustNotUse,
  overThresholdReport,
  sampleReport,
  testDeps,
} from "@ecr-scan-reporter/core/testing";
import { type SlackReceiver, startSlackReceiver } from "@ecr-scan-reporter/sandbox";
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import slackReporterDefault, {
  DEFAULT_SLACK_TUNING,
  defineSlackReporter,
  renderSlackMessage,
  SLACK_BLOCKS_MAX_CHARS,
  type SlackMessage,
  type SlackReporterOptionsInput,
  type SlackTuning,
  slackBlocksSize,
  slackOptionsSchema,
  slackReporter,
} from "../src/index.js";
import { expectWellFormed, findingLines } from "./helpers.js";

const SECRET: SecretRef = { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a" };
const CTX = { reporterId: "slack", attempt: 1 };
/** No pacing between posts, and a Retry-After second of 10 ms: fast tests, same logic. */
const FAST: SlackTuning = { minIntervalMs: 0, retryAfterBaseMs: 10 };

function createReporter(
  resolveSecret: ReporterDeps["resolveSecret"],
  extra: Partial<ReporterDeps> & { options?: Partial<SlackReporterOptionsInput>; tuning?: SlackTuning } = {},
) {
  const { options, tuning = FAST, ...overrides } = extra;
  const fetchCalls: string[] = [];
  const { deps, logs } = testDeps({
    resolveSecret,
    // The reporter must send through deps.fetch: count the calls, then use the real fetch.
    fetch: ((input: string | URL | Request, init?: RequestInit) => {
      fetchCalls.push(String(input));
      return fetch(input, init);
    }) as typeof fetch,
    writeLine: mustNotUse("writeLine"),
    ...overrides,
  });
  const plugin = defineSlackReporter(tuning);
  const reporter = plugin.create(plugin.optionsSchema.parse({ webhookUrl: SECRET, ...options }), deps);
  return { reporter, logs, fetchCalls };
}

describe("the plugin", () => {
  it("is the default export, named slack, receiving due reports", () => {
    expect(slackReporterDefault).toBe(slackReporter);
    expect(slackReporter.name).toBe("slack");
    expect(slackReporter.receives).toBe("due");
  });

  it("takes the webhook URL as a secret reference, never as a bare URL", () => {
    expect(slackOptionsSchema.parse({ webhookUrl: SECRET })).toEqual({ webhookUrl: SECRET, maxFindings: 10 });
    expect(
      slackOptionsSchema.safeParse({ webhookUrl: { parameter: "/ecr-scan-reporter/slack" } }).success,
    ).toBe(true);
    const bare = slackOptionsSchema.safeParse({ webhookUrl: "https://hooks.slack.com/services/T0/B0/abc" });
    expect(bare.success).toBe(false);
    expect(bare.error?.issues[0]?.path).toEqual(["webhookUrl"]);
    expect(bare.error?.issues[0]?.message).toContain("never the webhook URL itself");
    expect(bare.error?.issues[0]?.message).not.toContain("hooks.slack.com/services/T0");
  });

  it("checks maxFindings (0–40, default 10), channelLabel and unknown keys", () => {
    expect(slackOptionsSchema.safeParse({ webhookUrl: SECRET, maxFindings: 40 }).success).toBe(true);
    expect(
      slackOptionsSchema.safeParse({ webhookUrl: SECRET, maxFindings: 41 }).error?.issues[0]?.message,
    ).toContain("50 blocks");
    expect(slackOptionsSchema.safeParse({ webhookUrl: SECRET, maxFindings: 2.5 }).success).toBe(false);
    expect(slackOptionsSchema.safeParse({ webhookUrl: SECRET, channelLabel: "" }).success).toBe(false);
    expect(slackOptionsSchema.safeParse({ webhookUrl: SECRET, channel: "#sec" }).error?.issues[0]?.code).toBe(
      "unrecognized_keys",
    );
  });
});

describe("report() through a local Slack receiver", () => {
  let receiver: SlackReceiver;
  beforeEach(async () => {
    receiver = await startSlackReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  const resolveToReceiver = (path?: string) => async (ref: SecretRef) => {
    expect(ref).toEqual(SECRET);
    return receiver.url(path);
  };

  it("posts one message through deps.fetch that passes the receiver's checks", async () => {
    const { reporter, fetchCalls, logs } = createReporter(resolveToReceiver());
    const report = overThresholdReport();
    const outcome = await reporter.report(report, CTX);
    expect(outcome.status).toBe("sent");
    expect(outcome.detail).toBe("5 of 5 findings listed, 4 blocks");
    expect(receiver.rejections).toEqual([]);
    expect(receiver.messages).toHaveLength(1);
    expect(receiver.messages[0]?.path).toBe("/services/T000/B000/XXXX");
    expect(receiver.messages[0]?.payload).toEqual(renderSlackMessage(report));
    expect(fetchCalls).toEqual([receiver.url()]);
    expect(JSON.stringify(logs)).not.toContain(receiver.url());
  });

  it.each([
    ["5,000 findings", manyFindingsReport(), { maxFindings: 40 }],
    ["hostile strings", hostileReport(), {}],
    ["a failed scan", failedScanReport(), { channelLabel: "prod" }],
  ])("sends %s within Slack's limits", async (_, report, options) => {
    const { reporter } = createReporter(resolveToReceiver(), { options });
    await expect(reporter.report(report, CTX)).resolves.toMatchObject({ status: "sent" });
    expect(receiver.rejections).toEqual([]);
    expect(receiver.messages).toHaveLength(1);
    expectWellFormed(receiver.messages[0]?.payload as unknown as SlackMessage, report);
  });

  it("uses the template folder of deps.templates and the inline templates option", async () => {
    const templates: TemplateSource = {
      override: (name) => (name === "slack/header.hbs" ? "New findings in {{image}}" : undefined),
    };
    const { reporter } = createReporter(resolveToReceiver(), {
      templates,
      options: { templates: { "slack/finding.hbs": "{{id}} in {{packageName}}" } },
    });
    await reporter.report(overThresholdReport(), CTX);
    const payload = receiver.messages[0]?.payload as unknown as SlackMessage;
    expect(payload.blocks[0]).toMatchObject({ text: { text: "New findings in team-a/api:v1.4.2" } });
    expect(findingLines(payload)[0]).toBe("CVE-2024-3094 in xz-utils");
  });

  it("refuses, at creation, a folder override that does not render, naming the template", () => {
    const templates: TemplateSource = {
      override: (name) => (name === "slack/footer.hbs" ? "{{#if consoleUrl}}unclosed" : undefined),
    };
    expect(() => createReporter(resolveToReceiver(), { templates })).toThrow(
      /^reporter slack: the template slack\/footer\.hbs \(or a partial it uses\) does not render: Parse error/,
    );
  });

  it("skips a report that is not due, sending nothing", async () => {
    const { reporter, fetchCalls } = createReporter(resolveToReceiver());
    await expect(reporter.report(cleanReport(), CTX)).resolves.toEqual({
      status: "skipped",
      detail: "report not due (within-thresholds)",
    });
    expect(fetchCalls).toEqual([]);
    expect(receiver.messages).toEqual([]);
  });

  it("rejects on a 500 with an error that names the status but not the URL", async () => {
    receiver.failNext(500, "rollup_error");
    const { reporter } = createReporter(resolveToReceiver(), {});
    const error = await reporter.report(overThresholdReport(), { reporterId: "slack#2", attempt: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ReporterError);
    const reporterError = error as ReporterError;
    expect(reporterError.reporter).toBe("slack#2");
    expect(reporterError.message).toContain("Slack answered HTTP 500 rollup_error");
    expect(reporterError.message).not.toContain(receiver.url());
    expect(reporterError.message).not.toContain("/services/");
    expect(reporterError.cause).toBeUndefined();
    expect(receiver.messages).toEqual([]);
  });

  it("names Slack's error code, but never repeats an answer that is not one (it could quote the URL)", async () => {
    receiver.failNext(400, "invalid_blocks");
    receiver.failNext(502, `Bad gateway for ${receiver.url()}`);
    const { reporter } = createReporter(resolveToReceiver());
    await expect(reporter.report(overThresholdReport(), CTX)).rejects.toThrow(
      "Slack answered HTTP 400 invalid_blocks",
    );
    const error = await reporter.report(overThresholdReport(), CTX).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/Slack answered HTTP 502 \(/);
    expect((error as Error).message).not.toContain("127.0.0.1");
  });

  it("rejects when nothing listens, naming the system error and not the URL", async () => {
    const closed = await startSlackReceiver();
    const url = closed.url("/services/T1/B1/secret-token-123");
    await closed.close();
    const { reporter } = createReporter(async () => url);
    const error = (await reporter.report(overThresholdReport(), CTX).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ReporterError);
    expect(error.message).toContain("the request to Slack failed (ECONNREFUSED)");
    expect(error.message).not.toContain("secret-token-123");
    expect(error.message).not.toContain(url);
  });

  it("refuses a secret that is not a webhook URL before sending, without quoting it", async () => {
    const { reporter, fetchCalls } = createReporter(async () => "not a url: secret-token-123");
    const error = (await reporter.report(overThresholdReport(), CTX).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ReporterError);
    expect(error.message).toContain(`Secrets Manager secret ${SECRET.secretArn}`);
    expect(error.message).toContain("is not a URL");
    expect(error.message).not.toContain("secret-token-123");
    expect(fetchCalls).toEqual([]);
  });
});

/** A report of 60 findings whose every field is at the length the view cuts it to, all of it needing escapes. */
function cappedFieldsReport() {
  return sampleReport({
    repository: `team-a/${"r".repeat(250)}`,
    findings: Array.from({ length: 60 }, (_, i) => ({
      id: `CVE-${i}-${"&".repeat(94)}`,
      severity: "CRITICAL" as const,
      title: "<".repeat(300),
      description: "&".repeat(1_000),
      packageName: "&".repeat(200),
      packageVersion: ">".repeat(100),
      fixedInVersion: "&".repeat(100),
      cvssScore: 9.8,
      url: `https://nvd.example/${"a".repeat(970)}/${i}`,
    })),
  });
}

describe("Slack's limits on a whole message and on the rate, through the receiver", () => {
  let receiver: SlackReceiver;
  afterEach(async () => {
    await receiver.close();
  });

  it("stays under the limit on all blocks at the largest maxFindings, every field of every finding at its cap", async () => {
    receiver = await startSlackReceiver();
    const { reporter } = createReporter(async () => receiver.url(), { options: { maxFindings: 40 } });
    const report = cappedFieldsReport();
    const outcome = await reporter.report(report, CTX);
    // The receiver answers msg_blocks_too_long past 13,000 characters of blocks: none here.
    expect(receiver.rejections).toEqual([]);
    expect(outcome.status).toBe("sent");
    const payload = receiver.messages[0]?.payload as unknown as SlackMessage;
    expect(slackBlocksSize(payload.blocks)).toBeLessThanOrEqual(SLACK_BLOCKS_MAX_CHARS);
    expectWellFormed(payload, report);
  });

  it("waits as a 429's Retry-After asks, then posts the message once", async () => {
    receiver = await startSlackReceiver({ rateLimit: { intervalMs: 300, secondMs: 100 } });
    const { reporter, logs } = createReporter(async () => receiver.url(), {
      tuning: { minIntervalMs: 0, retryAfterBaseMs: 100 },
    });
    await reporter.report(overThresholdReport(), CTX);
    const started = Date.now();
    await expect(reporter.report(hostileReport(), CTX)).resolves.toMatchObject({ status: "sent" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(receiver.messages).toHaveLength(2);
    expect(receiver.rejections.map((r) => [r.status, r.error])).toEqual([[429, "rate_limited"]]);
    expect(logs).toContainEqual({
      level: "warn",
      message: "Slack rate limit",
      extra: expect.objectContaining({
        retryCount: 0,
        retrying: true,
        retryAfterSeconds: expect.any(Number),
      }),
    });
  });

  it("gives up after two retries of a 429, naming the status and never the URL", async () => {
    receiver = await startSlackReceiver();
    receiver.failNext(429, "rate_limited", 5, { "retry-after": "1" });
    const { reporter, logs } = createReporter(async () => receiver.url());
    const error = (await reporter.report(overThresholdReport(), CTX).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ReporterError);
    expect(error.message).toContain(
      "Slack answered HTTP 429 rate_limited (rate limited: Retry-After 1 s, after 2 retries)",
    );
    expect(error.message).not.toContain(receiver.url());
    expect(receiver.rejections).toHaveLength(3);
    expect(logs.filter((l) => l.message === "Slack rate limit").map((l) => l.extra?.retrying)).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("does not wait when Slack asks for longer than the reporter may, nor retry any other failure", async () => {
    receiver = await startSlackReceiver();
    receiver.failNext(429, "rate_limited", 1, { "retry-after": "3600" });
    receiver.failNext(500, "rollup_error", 1);
    const { reporter } = createReporter(async () => receiver.url());
    await expect(reporter.report(overThresholdReport(), CTX)).rejects.toThrow(
      /Retry-After 3600 s, after 0 retries/,
    );
    await expect(reporter.report(overThresholdReport(), CTX)).rejects.toThrow("Slack answered HTTP 500");
    expect(receiver.rejections).toHaveLength(2);
    expect(receiver.messages).toEqual([]);
  });

  it("hands Slack's Retry-After to the targeted retry with the error, and no wait for other failures", async () => {
    receiver = await startSlackReceiver();
    receiver.failNext(429, "rate_limited", 1, { "retry-after": "3600" });
    receiver.failNext(429, "rate_limited", 3, { "retry-after": "2" });
    receiver.failNext(500, "rollup_error", 1);
    const { reporter } = createReporter(async () => receiver.url());
    const failure = async (): Promise<ReporterError> => {
      const outcome = await reporter.report(overThresholdReport(), CTX).catch((e: unknown) => e);
      if (!(outcome instanceof ReporterError)) throw new Error("the report should have failed");
      return outcome;
    };
    const long = await failure();
    expect(long).toMatchObject({ reporter: "slack", retryAfterSeconds: 3_600 });
    // Out of in-process retries: the last 429's wait goes with the error.
    expect(await failure()).toMatchObject({ retryAfterSeconds: 2 });
    const other = await failure();
    expect(other.message).toContain("Slack answered HTTP 500 rollup_error");
    expect(other.retryAfterSeconds).toBeUndefined();
    expect(receiver.messages).toEqual([]);
  });

  it("paces posts to one webhook so that Slack's rate limit is never hit", async () => {
    receiver = await startSlackReceiver({ rateLimit: { intervalMs: 200, secondMs: 100 } });
    // No retry: a 429 would fail the report.
    const { reporter } = createReporter(async () => receiver.url(), {
      tuning: { minIntervalMs: 200, rateLimitRetries: 0 },
    });
    const reports = [overThresholdReport(), hostileReport(), manyFindingsReport()];
    const outcomes = await Promise.all(reports.map((report) => reporter.report(report, CTX)));
    expect(outcomes.map((o) => o.status)).toEqual(["sent", "sent", "sent"]);
    expect(receiver.rejections).toEqual([]);
    expect(receiver.messages).toHaveLength(3);
  });

  it("paces at Slack's one message a second by default, across reporters of one webhook", async () => {
    receiver = await startSlackReceiver();
    expect(DEFAULT_SLACK_TUNING.minIntervalMs).toBe(1_000);
    const first = createReporter(async () => receiver.url(), { tuning: { rateLimitRetries: 0 } });
    const second = createReporter(async () => receiver.url(), { tuning: { rateLimitRetries: 0 } });
    const started = Date.now();
    await first.reporter.report(overThresholdReport(), CTX);
    await second.reporter.report(hostileReport(), CTX);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(receiver.rejections).toEqual([]);
    expect(receiver.messages).toHaveLength(2);
  });
});

describe("the pacing option", () => {
  it("lets a configuration drop the pacing for a receiver without Slack's rate limit", async () => {
    const local = await startSlackReceiver({ rateLimit: false });
    try {
      // The default (1 s) tuning of the plugin, overridden by the entry's option.
      const { reporter } = createReporter(async () => local.url(), {
        tuning: DEFAULT_SLACK_TUNING,
        options: { pacing: { minIntervalMs: 0 } },
      });
      // The clock stands still and no timer fires: a post paced after the first would wait forever (the test
      // would time out); unpaced, both go out at once.
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
      onTestFinished(() => {
        vi.useRealTimers();
      });
      await reporter.report(overThresholdReport(), CTX);
      await reporter.report(hostileReport(), CTX);
      expect(local.messages).toHaveLength(2);
    } finally {
      await local.close();
    }
  });

  it("refuses a pacing outside 0–60,000 ms", () => {
    expect(
      slackReporter.optionsSchema.safeParse({ webhookUrl: SECRET, pacing: { minIntervalMs: -1 } }).success,
    ).toBe(false);
  });
});

describe("verify()", () => {
  const noFetch = {
    fetch: (async () => {
      throw new Error("verify() must not send anything");
    }) as typeof fetch,
  };

  it.each([
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "https://hooks.slack-gov.com/services/T0/B0/abc",
    "http://127.0.0.1:4567/services/T000/B000/XXXX",
    "  https://hooks.slack.com/services/T0/B0/abc\n",
  ])("accepts %j without sending anything", async (url) => {
    const { reporter, logs } = createReporter(async () => url, noFetch);
    await expect(reporter.verify?.()).resolves.toBeUndefined();
    expect(logs.filter((l) => l.level === "warn")).toEqual([]);
  });

  it("warns, without failing, when the host is not Slack's (a proxy), naming only the host", async () => {
    const { reporter, logs } = createReporter(
      async () => "https://proxy.example/slack/T0/B0/secret-path",
      noFetch,
    );
    await expect(reporter.verify?.()).resolves.toBeUndefined();
    expect(logs).toEqual([
      {
        level: "warn",
        message: "the Slack webhook URL does not point at hooks.slack.com",
        extra: { host: "proxy.example" },
      },
    ]);
  });

  it.each([
    ["http://hooks.slack.com/services/T0/B0/secret-part", "is an http URL"],
    ["ftp://hooks.slack.com/services/T0/B0/secret-part", "is a ftp URL"],
    ["https://user:secret-part@hooks.slack.com/services/T0/B0/x", "carries a user name or password"],
    ["https://secret-part.example/", "has no path"],
    ["hooks.slack.com/services/T0/B0/secret-part", "is not a URL"],
  ])("rejects %j, naming the reference but not the value", async (url, reason) => {
    const { reporter } = createReporter(async () => url, noFetch);
    const error = (await reporter.verify?.().catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ReporterError);
    expect(error.message).toContain(reason);
    expect(error.message).toContain(SECRET.secretArn);
    expect(error.message).not.toContain(url);
    expect(error.message).not.toContain("secret-part");
  });

  it("passes on a secret that cannot be resolved", async () => {
    const failure = new SecretError(`Could not read the Secrets Manager secret ${SECRET.secretArn}.`);
    const { reporter } = createReporter(async () => {
      throw failure;
    }, noFetch);
    await expect(reporter.verify?.()).rejects.toBe(failure);
  });
});
