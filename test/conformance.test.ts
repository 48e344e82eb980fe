import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { AnyReporterPlugin, ReporterPlugin } from "@ecr-scan-reporter/core";
import { checkReporterConformance } from "@ecr-scan-reporter/core/testing";
import { emailReporter } from "@ecr-scan-reporter/reporter-email";
import { metricsReporter } from "@ecr-scan-reporter/reporter-metrics";
import { defineSlackReporter } from "@ecr-scan-reporter/reporter-slack";
import { snsReporter } from "@ecr-scan-reporter/reporter-sns";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";

// The authoring kit's conformance check, run on the built-in reporters: they meet the contract they publish,
// and the kit itself is shown to tell a conforming plugin from a broken one.

const awsClient = <C>(ctor: new (...args: never) => C): C =>
  new (ctor as unknown as new (c: object) => C)({ region: "eu-west-1" });

describe("the built-in reporters pass the authoring kit's conformance check", () => {
  it("sns", async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const result = await checkReporterConformance(snsReporter, {
      validOptions: { topicArn: "arn:aws:sns:eu-west-1:123456789012:findings" },
      invalidOptions: [
        { options: {}, why: "no topic" },
        { options: { topicArn: "findings" }, why: "not an ARN" },
      ],
      deps: { awsClient },
      failingDeps: {
        awsClient: (<C>(ctor: new (...args: never) => C): C => {
          sns.on(PublishCommand).rejects(
            Object.assign(new Error("User is not authorized to perform: SNS:Publish"), {
              name: "AuthorizationErrorException",
            }),
          );
          return awsClient(ctor);
        }) as never,
      },
    });
    sns.restore();
    expect(result.problems).toEqual([]);
  });

  it("slack", async () => {
    // No pacing: the check posts six reports to one fake webhook, and Slack's one a second would take six.
    const result = await checkReporterConformance(defineSlackReporter({ minIntervalMs: 0 }), {
      validOptions: {
        webhookUrl: { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-AbCdEf" },
      },
      invalidOptions: [
        {
          options: { webhookUrl: "https://hooks.slack.com/services/T/B/X" },
          why: "a bare URL instead of a secret reference",
        },
        { options: {}, why: "no webhook" },
      ],
      deps: { resolveSecret: async () => "https://hooks.slack.com/services/T000/B000/SENTINEL-0c1d2e3f" },
    });
    expect(result.problems).toEqual([]);
    expect(result.outcomes.clean).toMatchObject({ status: "skipped" });
  });

  it("email", async () => {
    const ses = mockClient(SESv2Client);
    ses.on(SendEmailCommand).resolves({ MessageId: "e-1" });
    const result = await checkReporterConformance(emailReporter, {
      validOptions: { from: "scans@acme.example", to: ["sec@acme.example"] },
      invalidOptions: [
        { options: { to: ["sec@acme.example"] }, why: "no sender" },
        { options: { from: "not an address", to: ["sec@acme.example"] }, why: "bad sender" },
      ],
      deps: { awsClient },
      failingDeps: {
        awsClient: (<C>(ctor: new (...args: never) => C): C => {
          ses
            .on(SendEmailCommand)
            .rejects(Object.assign(new Error("Email address is not verified."), { name: "MessageRejected" }));
          return awsClient(ctor);
        }) as never,
      },
    });
    ses.restore();
    expect(result.problems).toEqual([]);
  });

  it("metrics never sends anything that can fail, so only its shape and outcomes are checked", async () => {
    const result = await checkReporterConformance(metricsReporter, {
      validOptions: { namespace: "EcrScanReporter" },
      invalidOptions: [{ options: { namespace: "a:b" }, why: "a colon" }],
    });
    // It cannot fail a send (no target), which the kit reports; every other check passes.
    expect(result.problems).toEqual([
      "report() resolved although the target answered 500: a failed send must reject",
    ]);
  });
});

describe("the conformance check finds broken plugins", () => {
  it("reports a plugin that leaks its secret, accepts anything and returns a bad outcome", async () => {
    const { z } = await import("zod");
    const leaky: ReporterPlugin<{ url: { parameter: string } }> = {
      name: "leaky",
      optionsSchema: z.any(),
      create: (_options, deps) => ({
        async report() {
          const url = await deps.resolveSecret({ parameter: "/x" });
          const response = await deps.fetch(url, { method: "POST" });
          if (!response.ok) throw new Error(`POST ${url} failed`);
          return { status: "done" } as never;
        },
      }),
    };
    const result = await checkReporterConformance(leaky, {
      validOptions: { url: { parameter: "/x" } },
      invalidOptions: [{ options: 42, why: "not an object" }],
    });
    expect(result.problems).toContain("optionsSchema accepts invalid options (not an object)");
    expect(result.problems).toContain("the error of a failed send contains the secret value");
    expect(
      result.problems.some((p) => p.startsWith('report(overThreshold) returned {"status":"done"}')),
    ).toBe(true);
  });

  it("reports an unhandled rejection", async () => {
    const { z } = await import("zod");
    const sloppy: AnyReporterPlugin = {
      name: "sloppy",
      optionsSchema: z.object({}),
      create: (_options, deps) => ({
        async report() {
          const response = await deps.fetch("https://example.invalid", { method: "POST" });
          if (!response.ok) throw new Error(`answered ${response.status}`);
          void Promise.reject(new Error("forgotten"));
          return { status: "sent" };
        },
      }),
    };
    const result = await checkReporterConformance(sloppy, { validOptions: {}, invalidOptions: [] });
    expect(result.problems.some((p) => /unhandled promise rejection/.test(p))).toBe(true);
  });
});
