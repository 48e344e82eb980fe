import { createHash } from "node:crypto";
import { PublishCommand, type PublishCommandInput, SNSClient } from "@aws-sdk/client-sns";
import { type Digest, REPORTER_CONTRACT_VERSION, ReporterError } from "@ecr-scan-reporter/core";
import {
  allClearDigest,
  emptyLedgerDigest,
  hostileDigest,
  mustNotUse,
  recordingAwsClient,
  sampleDigest,
  testDeps,
} from "@ecr-scan-reporter/core/testing";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  DIGEST_MESSAGE_ATTRIBUTE_NAMES,
  digestDeduplicationId,
  planDigestPublish,
  SNS_MESSAGE_MAX_BYTES,
  type SnsMessageBody,
  type SnsReporterOptionsInput,
  snsReporter,
} from "../src/index.js";

const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:ecr-findings";
const FIFO_TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:ecr-findings.fifo";
const CTX = { reporterId: "sns", attempt: 1 };
// Digests of the `sns` route (the kit's samples are written for a `slack` route).
const ROUTE = { reporterId: "sns", repositories: "^team-a/" };

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the test
const FORBIDDEN = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;
const SNS_SUBJECT = /^[\x21-\x7E][\x20-\x7E]*$/;

const snsMock = mockClient(SNSClient);

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: "digest-message-id" });
});

function createReporter(options: Partial<SnsReporterOptionsInput> = {}) {
  const { awsClient } = recordingAwsClient();
  const { deps, logs } = testDeps({
    awsClient,
    templates: { override: mustNotUse("templates") },
    writeLine: mustNotUse("writeLine"),
  });
  const parsed = snsReporter.optionsSchema.parse({ topicArn: TOPIC_ARN, ...options });
  return { reporter: snsReporter.create(parsed, deps), logs };
}

/** Sends one digest and returns the single Publish it made, both texts readable. */
async function publishDigest(digest: Digest, options: Partial<SnsReporterOptionsInput> = {}) {
  const { reporter } = createReporter({ messageStructure: "json", ...options });
  if (!reporter.digest) throw new Error("the SNS reporter has no digest()");
  const outcome = await reporter.digest(digest, CTX);
  const calls = snsMock.commandCalls(PublishCommand);
  expect(calls).toHaveLength(1);
  const input = calls[0]?.args[0].input as PublishCommandInput & { Message: string };
  const body: SnsMessageBody =
    input.MessageStructure === "json"
      ? JSON.parse(input.Message)
      : { default: input.Message, email: input.Message };
  return { input, body, outcome };
}

function attributeValues(input: PublishCommandInput): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(input.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
  );
}

describe("digest plugin", () => {
  it("declares contract v2 and previews the digest it would publish", () => {
    expect(snsReporter.contractVersion).toBe(2);
    expect(snsReporter.contractVersion).toBe(REPORTER_CONTRACT_VERSION);
    const options = snsReporter.optionsSchema.parse({ topicArn: TOPIC_ARN });
    const files = snsReporter.previewDigest?.(sampleDigest({ route: ROUTE }), options, {
      templates: { override: () => undefined },
      clock: () => new Date(),
    });
    expect(files?.map((f) => f.name)).toEqual(["sns-digest-publish.json", "sns-digest-message.txt"]);
    const publish = JSON.parse(files?.[0]?.content ?? "{}");
    expect(publish.TopicArn).toBe(TOPIC_ARN);
    expect(publish.Message).toBe(files?.[1]?.content);
    const perProtocol = snsReporter.previewDigest?.(
      sampleDigest(),
      { ...options, messageStructure: "json" },
      { templates: { override: () => undefined }, clock: () => new Date() },
    );
    expect(perProtocol?.map((f) => f.name)).toEqual([
      "sns-digest-publish.json",
      "sns-digest-default.txt",
      "sns-digest-email.txt",
    ]);
  });
});

describe("digest message", () => {
  it("publishes one message to the reports' topic, with the digest's content", async () => {
    const { input, body, outcome } = await publishDigest(sampleDigest({ route: ROUTE }));
    expect(outcome).toEqual({
      status: "sent",
      ref: "digest-message-id",
      detail: expect.stringMatching(/^digest of 2026-11-30T08:00Z, \d+ bytes$/),
    });
    expect(input.TopicArn).toBe(TOPIC_ARN);
    expect(input.Subject).toBe(
      "[ecr-scan-reporter] Digest sns: 2 critical, 9 high; 3 over thresholds; 2 KEV",
    );
    expect(input.Subject).toMatch(SNS_SUBJECT);

    const email = body.email;
    expect(email.split("\n").slice(0, 7)).toEqual([
      "Amazon ECR vulnerability digest: sns",
      "",
      "Period:  2026-11-23 to 2026-11-30 (since the previous digest)",
      "Scope:   repositories matching ^team-a/; findings of every severity",
      "Account: 123456789012 (eu-west-1)",
      "",
      "55 open findings in 11 of the 14 images in use: 2 critical (-1), 9 high (+2), 31 medium (+1), 12 low, " +
        "1 informational (+1). 3 images are over the thresholds. 1 image in use has no findings known yet " +
        "(never reported on).",
    ]);
    // The counts table, with the change since the previous digest (none shown for an unchanged severity).
    expect(email).toMatch(/^ {2}CRITICAL +2 +-1$/m);
    expect(email).toMatch(/^ {2}HIGH +9 +\+2$/m);
    expect(email).toMatch(/^ {2}LOW +12 +0$/m);
    expect(email).toMatch(/^ {2}Total +55 +\+3$/m);
    // The images over the thresholds, worst first, each with its oldest open finding and console link.
    expect(email).toContain(
      [
        "1. team-a/api:v1.4.2",
        "   Open:    1 critical, 3 high, 7 medium; over the thresholds for CRITICAL, HIGH",
        "   Oldest:  CVE-2024-6387 (CRITICAL) in openssh-server, open 60 days, first seen 2026-10-02",
        "   Scanned: 2026-11-30",
        `   Console: ${sampleDigest().overThresholds.top[0]?.consoleUrl}`,
      ].join("\n"),
    );
    expect(email.indexOf("1. team-a/api:v1.4.2")).toBeLessThan(email.indexOf("2. team-a/worker:2026.11.28"));
    expect(email).toContain("3. team-a/web:latest");
    expect(email).not.toContain("more images over the thresholds");
    // New and fixed findings of the period.
    expect(email).toContain("New this period: 3 findings\n");
    expect(email).toContain(
      "- CRITICAL CVE-2023-44487 in golang.org/x/net 0.15.0, fixed in 0.17.0: team-a/worker:2026.11.28\n",
    );
    expect(email).toContain(
      "- HIGH CVE-2024-45490 in libexpat1 2.5.0-1, fixed in 2.5.0-1+deb12u1: team-a/web:latest, team-a/web:v3\n",
    );
    expect(email).toContain("Fixed this period: 2 findings\n- CRITICAL CVE-2024-3094 in xz-utils 5.6.0-0.2");
    // Coverage of the latest scheduled run.
    expect(email).toContain(
      "Coverage of the latest scheduled scan run (2026-11-30T02:00:00.000Z): 4 repositories, 23 images",
    );
    expect(email).toMatch(/^ {2}Scanned +17$/m);
    expect(email).toMatch(/^ {2}Never scanned +1$/m);
    expect(email).toContain(`Open the registry in the Amazon ECR console:\n${sampleDigest().consoleUrl}\n`);

    // The compact text: the headline, new/fixed counts, the worst images, the console.
    expect(body.default.split("\n")[0]).toMatch(
      /^ECR digest sns, 2026-11-23 to 2026-11-30: 55 open findings/,
    );
    expect(body.default).toContain("New this period: 3; fixed: 2.");
    expect(body.default).toContain("- team-a/api:v1.4.2: 1 critical, 3 high, 7 medium\n");
    expect(body.default).toContain(`Console: ${sampleDigest().consoleUrl}`);
    expect(body.default.length).toBeLessThan(email.length);
  });

  it("counts the rest of a list it does not name, and says when the period's log was partial", async () => {
    const digest = sampleDigest({
      overThresholds: { ...sampleDigest().overThresholds, total: 25 },
      newFindings: { ...sampleDigest().newFindings, total: 40, partial: true },
    });
    const { body } = await publishDigest(digest);
    expect(body.email).toContain("...and 22 more images over the thresholds");
    expect(body.email).toContain("New this period: 40 findings\n");
    expect(body.email).toContain("...and 37 more findings\n(The period's log could not be read in full");
    expect(body.default).toContain("...and 22 more images");
  });

  it("says 'All clear' for a route with nothing open, and still shows what was fixed", async () => {
    const { input, body } = await publishDigest(allClearDigest({ route: ROUTE }));
    expect(input.Subject).toBe("[ecr-scan-reporter] Digest sns: all clear");
    expect(body.email).toContain("All clear: no open findings in the 5 images in use.\n");
    expect(body.email).toMatch(/^ {2}HIGH +0 +-1$/m);
    expect(body.email).toContain("New this period: none\n");
    expect(body.email).toContain("Fixed this period: 1 finding\n- HIGH CVE-2024-2511");
    expect(body.email).not.toContain("Images over the thresholds");
    expect(attributeValues(input)).toMatchObject({
      highestSeverity: "NONE",
      total: "0",
      imagesOverThresholds: "0",
    });
  });

  it("says 'All clear' with the route's minSeverity, and when its filter matches no image", async () => {
    const min = await publishDigest(allClearDigest({ route: { reporterId: "sns", minSeverity: "HIGH" } }));
    expect(min.body.email).toContain("All clear: no open findings at or above high in the 5 images in use.");
    expect(min.body.email).toContain("Scope:   all repositories; findings HIGH and above");
    // Only the counted severities are in the table.
    expect(min.body.email).not.toMatch(/^ {2}MEDIUM /m);
    snsMock.resetHistory();
    const none = allClearDigest();
    const nothing = await publishDigest({
      ...none,
      open: { ...none.open, images: 0, previous: undefined },
      fixedFindings: { total: 0, top: [] },
    });
    expect(nothing.body.email).toContain("All clear: no image in use matches this route.");
  });

  it("says the ledger knows nothing yet for an empty ledger, never 'all clear'", async () => {
    const { input, body } = await publishDigest(emptyLedgerDigest({ route: ROUTE }));
    expect(input.Subject).toBe("[ecr-scan-reporter] Digest sns: no findings known yet");
    for (const text of [body.default, body.email]) {
      expect(text).toContain(
        "No findings known yet: the findings ledger holds nothing for the images of this route",
      );
      expect(text).toContain("This is not an all clear.");
      expect(text).not.toMatch(/all clear:/i);
      expect(text).not.toContain("New this period");
    }
    expect(body.email).toContain("Period:  2026-11-23 to 2026-11-30 (the first digest of this route)");
    expect(body.email).not.toContain("Open findings by severity");
    expect(body.email).toContain("Coverage: no scheduled scan run recorded yet");
  });

  it("keeps hostile text inert: no control characters, line breaks only its own", async () => {
    const digest = hostileDigest();
    const { input, body } = await publishDigest(digest);
    for (const text of [body.default, body.email]) {
      expect(text).not.toMatch(FORBIDDEN);
      // The CR/LF inside the tag does not start a line of its own.
      expect(text).not.toMatch(/^X-Injected/m);
    }
    expect(body.email).toContain(
      "1. team-a/api:v1 X-Injected: yes\n   Tags:    v1 X-Injected: yes, <!channel>",
    );
    expect(body.email).toContain("Scope:   repositories matching ^team-<!channel>/;");
    expect(body.email).toContain(
      "- CRITICAL CVE-2099-0002 [click](https://evil.example) in | table | break |",
    );
    expect(input.Subject).toMatch(SNS_SUBJECT);
    for (const value of Object.values(attributeValues(input))) expect(value).not.toMatch(FORBIDDEN);
  });
});

describe("digest attributes", () => {
  it("are ten, with kind = digest, the route and the open counts, for filter policies", async () => {
    const { input } = await publishDigest(sampleDigest({ route: ROUTE }), { messageStructure: "string" });
    expect(input.MessageStructure).toBeUndefined();
    expect(Object.keys(input.MessageAttributes ?? {}).sort()).toEqual(
      [...DIGEST_MESSAGE_ATTRIBUTE_NAMES].sort(),
    );
    expect(input.MessageAttributes).toEqual({
      kind: { DataType: "String", StringValue: "digest" },
      route: { DataType: "String", StringValue: "sns" },
      account: { DataType: "String", StringValue: "123456789012" },
      highestSeverity: { DataType: "String", StringValue: "CRITICAL" },
      critical: { DataType: "Number", StringValue: "2" },
      high: { DataType: "Number", StringValue: "9" },
      medium: { DataType: "Number", StringValue: "31" },
      low: { DataType: "Number", StringValue: "12" },
      total: { DataType: "Number", StringValue: "55" },
      imagesOverThresholds: { DataType: "Number", StringValue: "3" },
    });
  });
});

describe("digest size and topics", () => {
  /** A digest whose every list is full and every string at length: 20 images, 20 new, 20 fixed. */
  function hugeDigest(): Digest {
    const base = sampleDigest();
    const wide = "漏".repeat(4000); // 3 UTF-8 bytes a character, far past every cap
    const image = base.overThresholds.top[0];
    const change = base.newFindings.top[0];
    if (!image || !change) throw new Error("sample digest changed");
    const images = Array.from({ length: 20 }, (_, i) => ({
      ...image,
      repository: `team-a/${wide}${i}`,
      tags: Array.from({ length: 30 }, () => wide),
      consoleUrl: `https://console.example/${wide}`,
      oldestOpen: image.oldestOpen && { ...image.oldestOpen, id: wide, package: wide },
    }));
    const changes = Array.from({ length: 20 }, () => ({
      ...change,
      id: wide,
      package: wide,
      version: wide,
      fixedIn: wide,
      references: Array.from({ length: 5 }, () => wide),
      referenceCount: 500,
    }));
    return {
      ...base,
      overThresholds: { total: 5000, top: images },
      newFindings: { total: 9000, top: changes },
      fixedFindings: { total: 9000, top: changes },
    };
  }

  it.each(["string", "json"] as const)(
    "stays within 256 KiB with attributes and subject, cutting the lists (%s structure)",
    async (messageStructure) => {
      const { input } = await publishDigest(hugeDigest(), { messageStructure });
      const attributes = Object.entries(input.MessageAttributes ?? {}).reduce(
        (sum, [name, v]) =>
          sum +
          Buffer.byteLength(name) +
          Buffer.byteLength(v.DataType ?? "") +
          Buffer.byteLength(v.StringValue ?? ""),
        0,
      );
      const total = Buffer.byteLength(input.Message) + attributes + Buffer.byteLength(input.Subject ?? "");
      expect(total).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
      const plan = planDigestPublish(
        hugeDigest(),
        snsReporter.optionsSchema.parse({ topicArn: TOPIC_ARN, messageStructure }),
      );
      expect(plan.message.listLimit).toBeLessThan(20);
      // A cut list still says how many more there are.
      expect(plan.message.body.email).toContain(
        `...and ${5000 - plan.message.listLimit} more images over the thresholds`,
      );
    },
  );

  it("publishes on a FIFO topic with one deduplication id per route and period", async () => {
    const digest = sampleDigest({ route: ROUTE });
    const { input } = await publishDigest(digest, { topicArn: FIFO_TOPIC_ARN });
    expect(input.MessageGroupId).toBe("ecr-scan-reporter");
    expect(input.MessageDeduplicationId).toBe(
      createHash("sha256").update("digest\nsns\n2026-11-30T08:00Z").digest("hex"),
    );
    expect(digestDeduplicationId(digest)).toBe(digestDeduplicationId(structuredClone(digest)));
    expect(
      digestDeduplicationId({ ...digest, period: { ...digest.period, key: "2026-12-07T08:00Z" } }),
    ).not.toBe(digestDeduplicationId(digest));
    expect(digestDeduplicationId({ ...digest, route: { reporterId: "sns#2" } })).not.toBe(
      digestDeduplicationId(digest),
    );
  });

  it("wraps a Publish failure in a ReporterError naming the reporter and the topic", async () => {
    snsMock.on(PublishCommand).rejects(new Error("AuthorizationError: not allowed"));
    const { reporter } = createReporter();
    const error = await reporter.digest?.(sampleDigest(), { ...CTX, reporterId: "sns#2" }).catch((e) => e);
    expect(error).toBeInstanceOf(ReporterError);
    expect((error as ReporterError).reporter).toBe("sns#2");
    expect((error as Error).message).toContain(TOPIC_ARN);
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  snsMock.restore();
});
