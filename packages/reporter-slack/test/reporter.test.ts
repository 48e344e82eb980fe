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
  testDeps,
} from "@ecr-scan-reporter/core/testing";
import { type SlackReceiver, startSlackReceiver } from "@ecr-scan-reporter/sandbox";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import slackReporterDefault, {
  renderSlackMessage,
  type SlackMessage,
  type SlackReporterOptionsInput,
  slackOptionsSchema,
  slackReporter,
} from "../src/index.js";
import { expectWellFormed, findingLines } from "./helpers.js";

const SECRET: SecretRef = { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a" };
const CTX = { reporterId: "slack", attempt: 1 };

function createReporter(
  resolveSecret: ReporterDeps["resolveSecret"],
  extra: Partial<ReporterDeps> & { options?: Partial<SlackReporterOptionsInput> } = {},
) {
  const { options, ...overrides } = extra;
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
  const reporter = slackReporter.create(
    slackReporter.optionsSchema.parse({ webhookUrl: SECRET, ...options }),
    deps,
  );
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
