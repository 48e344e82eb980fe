import { createHash } from "node:crypto";
import {
  GetTopicAttributesCommand,
  type MessageAttributeValue,
  NotFoundException,
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
} from "@aws-sdk/client-sns";
import {
  type AnyReporterPlugin,
  ConfigError,
  dispatchReport,
  loadReporters,
  type ReporterEntry,
  ReporterError,
  type ScanReport,
} from "@ecr-scan-reporter/core";
import { mustNotUse, recordingAwsClient, testDeps } from "@ecr-scan-reporter/core/testing";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import snsReporterDefault, {
  buildSubject,
  deduplicationId,
  MESSAGE_ATTRIBUTE_NAMES,
  planPublish,
  SNS_MESSAGE_MAX_BYTES,
  type SnsMessageBody,
  type SnsReporterOptionsInput,
  snsOptionsSchema,
  snsReporter,
} from "../src/index.js";
import { cycledFindings, failedScanOfImage, reportWithFindings } from "./reports.js";

const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:ecr-findings";
const FIFO_TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:ecr-findings.fifo";
const CTX = { reporterId: "sns", attempt: 1 };

const snsMock = mockClient(SNSClient);

/** The kit's test deps with an SDK client per class made for eu-west-1; no templates, no raw lines. */
function snsDeps() {
  const { awsClient, clients } = recordingAwsClient();
  const kit = testDeps({
    awsClient,
    templates: { override: mustNotUse("templates") },
    writeLine: mustNotUse("writeLine"),
  });
  return { ...kit, clients };
}

function createReporter(options: SnsReporterOptionsInput = { topicArn: TOPIC_ARN }) {
  const { deps, logs, clients } = snsDeps();
  const reporter = snsReporter.create(snsReporter.optionsSchema.parse(options), deps);
  return { reporter, logs, clients };
}

/**
 * Runs one report through a reporter and returns the single Publish request it made: per-protocol (`json`) unless
 * the options say otherwise, so both texts can be read.
 */
async function publishOf(report: ScanReport, options?: SnsReporterOptionsInput) {
  const { reporter, logs } = createReporter({ topicArn: TOPIC_ARN, messageStructure: "json", ...options });
  const outcome = await reporter.report(report, CTX);
  const calls = snsMock.commandCalls(PublishCommand);
  expect(calls).toHaveLength(1);
  const input = calls[0]?.args[0].input as PublishCommandInput & { Message: string };
  const body: SnsMessageBody =
    input.MessageStructure === "json"
      ? JSON.parse(input.Message)
      : { default: input.Message, email: input.Message };
  return { input, body, outcome, logs };
}

function attributeBytes(attributes: Record<string, MessageAttributeValue> | undefined): number {
  return Object.entries(attributes ?? {}).reduce(
    (sum, [name, value]) =>
      sum +
      Buffer.byteLength(name) +
      Buffer.byteLength(value.DataType ?? "") +
      Buffer.byteLength(value.StringValue ?? ""),
    0,
  );
}

/** Numbered finding blocks of the e-mail text ("12. [HIGH] ..."). */
function emailFindingNumbers(email: string): number[] {
  return [...email.matchAll(/^(\d+)\. \[[A-Z]+\] /gm)].map((m) => Number(m[1]));
}

function moreCount(text: string): number | undefined {
  const match = /\.\.\.and (\d+) more findings?/.exec(text);
  return match ? Number(match[1]) : undefined;
}

// The characters the reporter promises to remove from untrusted text (everything but \n).
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the test
const FORBIDDEN = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;
const SNS_SUBJECT = /^[\x21-\x7E][\x20-\x7E]*$/;

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: "11111111-2222-3333-4444-555555555555" });
});

describe("plugin", () => {
  it("is the default export and the named export, called sns, with a verify step", () => {
    expect(snsReporterDefault).toBe(snsReporter);
    expect(snsReporter.name).toBe("sns");
    expect(snsReporter.receives ?? "due").toBe("due");
    const { reporter, clients } = createReporter();
    expect(typeof reporter.verify).toBe("function");
    // The client comes from deps, so the CLI and the tests decide region, endpoint and credentials.
    expect(clients).toEqual([SNSClient]);
  });

  it("loads through core's reporter loader and reports through the dispatcher", async () => {
    const { deps, logs } = snsDeps();
    const builtIns = new Map<string, AnyReporterPlugin>([["sns", snsReporter]]);
    const entries = [{ use: "sns", options: { topicArn: TOPIC_ARN } }] as ReporterEntry[];
    const loaded = await loadReporters(entries, builtIns, deps);
    const result = await dispatchReport(reportWithFindings(cycledFindings(3)), loaded, {
      logger: deps.logger,
    });
    expect(result.failed).toEqual([]);
    expect(result.outcomes[0]).toMatchObject({ reporter: "sns", status: "sent" });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    expect(logs.some((l) => l.message === "reporter sns: sent")).toBe(true);
  });

  it("reports bad options as config problems under reporters[i].options", async () => {
    const { deps } = snsDeps();
    const builtIns = new Map<string, AnyReporterPlugin>([["sns", snsReporter]]);
    const entries = [
      { use: "sns", options: { topicArn: "ecr-findings", maxFindings: -1 } },
    ] as ReporterEntry[];
    const error = await loadReporters(entries, builtIns, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).problems.map((p) => p.path);
    expect(paths).toContain("reporters[0].options.topicArn");
    expect(paths).toContain("reporters[0].options.maxFindings");
  });
});

describe("options", () => {
  it("applies the defaults", () => {
    expect(snsOptionsSchema.parse({ topicArn: TOPIC_ARN })).toEqual({
      topicArn: TOPIC_ARN,
      subjectPrefix: "[ecr-scan-reporter]",
      messageStructure: "string",
      maxFindings: 50,
    });
  });

  it.each([
    { topicArn: FIFO_TOPIC_ARN },
    { topicArn: "arn:aws-cn:sns:cn-north-1:123456789012:Ecr_Findings-1" },
    { topicArn: "arn:aws-us-gov:sns:us-gov-west-1:123456789012:findings" },
    { topicArn: `arn:aws:sns:eu-west-1:123456789012:${"a".repeat(251)}.fifo` },
    { topicArn: TOPIC_ARN, subjectPrefix: "", maxFindings: 0 },
    { topicArn: TOPIC_ARN, subjectPrefix: "[scans] prod", maxFindings: 10_000 },
    { topicArn: FIFO_TOPIC_ARN, messageGroupId: "team-a/scans:#1" },
  ])("accepts %j", (options) => {
    expect(snsOptionsSchema.safeParse(options).success).toBe(true);
  });

  it.each([
    ["no topicArn", {}, "topicArn"],
    ["a topic name instead of an ARN", { topicArn: "ecr-findings" }, "topicArn"],
    ["an SQS queue ARN", { topicArn: "arn:aws:sqs:eu-west-1:123456789012:ecr-findings" }, "topicArn"],
    ["a short account id", { topicArn: "arn:aws:sns:eu-west-1:12345:ecr-findings" }, "topicArn"],
    [
      "a dot inside the topic name",
      { topicArn: "arn:aws:sns:eu-west-1:123456789012:ecr.findings" },
      "topicArn",
    ],
    [
      "a 257-character topic name",
      { topicArn: `arn:aws:sns:eu-west-1:123456789012:${"a".repeat(257)}` },
      "topicArn",
    ],
    ["an unknown key", { topicArn: TOPIC_ARN, topic: "x" }, ""],
    ["a fractional maxFindings", { topicArn: TOPIC_ARN, maxFindings: 2.5 }, "maxFindings"],
    ["a negative maxFindings", { topicArn: TOPIC_ARN, maxFindings: -1 }, "maxFindings"],
    ["maxFindings as a string", { topicArn: TOPIC_ARN, maxFindings: "50" }, "maxFindings"],
    ["a non-ASCII subject prefix", { topicArn: TOPIC_ARN, subjectPrefix: "[écran]" }, "subjectPrefix"],
    ["a line break in the prefix", { topicArn: TOPIC_ARN, subjectPrefix: "a\nb" }, "subjectPrefix"],
    ["an over-long prefix", { topicArn: TOPIC_ARN, subjectPrefix: "x".repeat(61) }, "subjectPrefix"],
    ["a space in messageGroupId", { topicArn: FIFO_TOPIC_ARN, messageGroupId: "a b" }, "messageGroupId"],
    [
      "a 129-character messageGroupId",
      { topicArn: FIFO_TOPIC_ARN, messageGroupId: "g".repeat(129) },
      "messageGroupId",
    ],
  ])("rejects %s", (_label, options, path) => {
    const result = snsOptionsSchema.safeParse(options);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toContain(path);
  });
});

describe("Publish request with the default message structure", () => {
  it("is one text, the full report, with the message attributes SNS then delivers to subscribers", async () => {
    const report = reportWithFindings(cycledFindings(14));
    const { input } = await publishOf(report, { topicArn: TOPIC_ARN, messageStructure: "string" });
    expect(input.MessageStructure).toBeUndefined();
    const email = planPublish(report, snsOptionsSchema.parse({ topicArn: TOPIC_ARN })).message.body.email;
    expect(input.Message).toBe(email);
    // Eight without threat intel: `kev` and `exploitable` only when KEV was checked (see intel.test.ts).
    expect(Object.keys(input.MessageAttributes ?? {})).toHaveLength(8);
    expect(input.MessageAttributes?.highestSeverity).toEqual({ DataType: "String", StringValue: "CRITICAL" });
  });
});

describe("Publish request", () => {
  it("is a JSON-structured message with default and email texts, attributes and the topic", async () => {
    const report = reportWithFindings(cycledFindings(14));
    const { input, body, outcome } = await publishOf(report);

    expect(outcome).toEqual({
      status: "sent",
      ref: "11111111-2222-3333-4444-555555555555",
      detail: expect.stringContaining("14 of 14 findings"),
    });
    expect(input.TopicArn).toBe(TOPIC_ARN);
    expect(input.MessageStructure).toBe("json");
    expect(Object.keys(body).sort()).toEqual(["default", "email"]);
    expect(input.Subject).toBe("[ecr-scan-reporter] CRITICAL team-a/api:v1.2");
    expect(input.MessageGroupId).toBeUndefined();
    expect(input.MessageDeduplicationId).toBeUndefined();

    // The compact text: counts and the top findings, most severe first.
    expect(body.default).toContain(
      "team-a/api:v1.2: 14 vulnerabilities, over the policy thresholds for CRITICAL, HIGH",
    );
    expect(body.default).toContain(
      "Counts: CRITICAL 2, HIGH 4, MEDIUM 4, LOW 2, INFORMATIONAL 1, UNDEFINED 1",
    );
    expect(body.default).toContain("- CRITICAL CVE-2024-10000 in libexample-0 1.0.0 (CVSS 9.8)\n");
    expect(body.default).toContain(
      "- CRITICAL CVE-2024-10010 in libexample-10 1.10.3, fixed in 1.11.0 (CVSS 8.8)\n",
    );
    expect(body.default.indexOf("CVE-2024-10000")).toBeLessThan(body.default.indexOf("CVE-2024-10001"));
    expect(body.default).toContain("...and 4 more findings");
    expect(body.default).toContain(report.consoleUrl);

    // The e-mail text: every finding with package, version, fixed-in version and URL.
    expect(emailFindingNumbers(body.email)).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(body.email).toContain(
      [
        "2. [CRITICAL] CVE-2024-10010 - libexample-10",
        "   Package:  libexample-10 1.10.3",
        "   Fixed in: 1.11.0",
        "   Score:    CVSS 8.8",
        "   URL:      https://security-tracker.example.org/tracker/CVE-2024-10010",
      ].join("\n"),
    );
    // A basic scan never reports fixed versions, so a finding without one has an unknown fix.
    expect(body.email).toContain("   Fixed in: unknown");
    expect(body.email).not.toContain("no fixed version");
    expect(body.email).toMatch(/^ {2}CRITICAL +2$/m);
    expect(body.email).toMatch(/^ {2}Total +14$/m);
    expect(body.email).not.toContain("more finding");
    expect(body.email.length).toBeGreaterThan(body.default.length);
  });

  it("says a fix is unknown after a basic scan, and that there is none yet after an enhanced one", () => {
    const finding = cycledFindings(1)[0];
    if (!finding) throw new Error("no finding");
    const unfixed = { ...finding, fixedInVersion: undefined };
    const emailText = (report: ScanReport) =>
      planPublish(report, snsOptionsSchema.parse({ topicArn: TOPIC_ARN })).message.body.email;
    expect(emailText(reportWithFindings([unfixed]))).toContain("   Fixed in: unknown\n");
    expect(emailText(reportWithFindings([unfixed], { scanType: "ENHANCED" }))).toContain(
      "   Fixed in: no fixed version yet\n",
    );
  });

  it("names an untagged image by a short digest in the texts, and shows its full digest", async () => {
    const report = reportWithFindings(cycledFindings(3), { tags: [] });
    const { body } = await publishOf(report);
    expect(body.default.split("\n")[0]).toMatch(/^ECR scan of team-a\/api@sha256:4f1c9a7e2b3d: /);
    expect(body.email.split("\n")[0]).toBe("Amazon ECR scan findings for team-a/api@sha256:4f1c9a7e2b3d");
    expect(body.email).toContain(`Digest:     ${report.digest}`);
  });

  it("carries at most 10 filterable message attributes: without threat intel, the eight that are known", async () => {
    const { input } = await publishOf(reportWithFindings(cycledFindings(14)));
    const attributes = input.MessageAttributes ?? {};
    expect(MESSAGE_ATTRIBUTE_NAMES).toHaveLength(10);
    expect(Object.keys(attributes).sort()).toEqual(
      MESSAGE_ATTRIBUTE_NAMES.filter((name) => name !== "kev" && name !== "exploitable").sort(),
    );
    expect(attributes).toEqual({
      repository: { DataType: "String", StringValue: "team-a/api" },
      highestSeverity: { DataType: "String", StringValue: "CRITICAL" },
      status: { DataType: "String", StringValue: "COMPLETE" },
      account: { DataType: "String", StringValue: "123456789012" },
      critical: { DataType: "Number", StringValue: "2" },
      high: { DataType: "Number", StringValue: "4" },
      medium: { DataType: "Number", StringValue: "4" },
      low: { DataType: "Number", StringValue: "2" },
    });
  });

  it("lists at most maxFindings findings and counts the rest", async () => {
    const { body } = await publishOf(reportWithFindings(cycledFindings(30)), {
      topicArn: TOPIC_ARN,
      maxFindings: 5,
    });
    expect(emailFindingNumbers(body.email)).toEqual([1, 2, 3, 4, 5]);
    expect(moreCount(body.email)).toBe(25);
    expect(body.default.match(/^- /gm)).toHaveLength(5);
    expect(moreCount(body.default)).toBe(25);
  });

  it("uses the subject prefix option", async () => {
    const { input } = await publishOf(reportWithFindings(cycledFindings(3)), {
      topicArn: TOPIC_ARN,
      subjectPrefix: "[prod scans]",
    });
    expect(input.Subject).toBe("[prod scans] CRITICAL team-a/api:v1.2");
  });

  it("wraps a Publish failure in a ReporterError naming the reporter and the topic", async () => {
    snsMock.on(PublishCommand).rejects(new Error("AuthorizationError: not allowed"));
    const { reporter } = createReporter();
    const error = await reporter
      .report(reportWithFindings(cycledFindings(3)), { ...CTX, reporterId: "sns#2" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ReporterError);
    expect((error as ReporterError).reporter).toBe("sns#2");
    expect((error as Error).message).toContain(TOPIC_ARN);
    expect((error as Error).message).toContain("not allowed");
  });
});

describe("subject", () => {
  it("stays within SNS rules with a 300-character repository and a non-ASCII tag", async () => {
    const repository = `team-a/${"service-".repeat(37)}x`.slice(0, 300);
    expect(repository).toHaveLength(300);
    const report = reportWithFindings(cycledFindings(3), { repository, tags: ["v1.2-ünïcødé-🚀-\n-最新"] });
    const { input } = await publishOf(report);
    const subject = input.Subject ?? "";
    // SNS: "less than 100 characters long".
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(SNS_SUBJECT);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.startsWith("[ecr-scan-reporter] CRITICAL team-a/service-")).toBe(true);
    // The middle of the long name goes, the tag's ASCII part stays readable.
    expect(subject).toContain("...");
    // ü, ï, ø, é, the emoji and the CJK characters go; the line break becomes a space.
    expect(subject.endsWith(":v1.2-ncd-- -")).toBe(true);
    expect(subject).toHaveLength(99);
  });

  it.each([
    ["a prefix and label of line breaks and non-ASCII only", "  \n ", "\u00e9\u00e8", "\u6700\u65b0"],
    ["a label full of tabs and line breaks", "[p]", "HIGH", "\trepo\r\n:tag\u2028x"],
    ["a very long prefix", "p".repeat(200), "CRITICAL", "team-a/api:v1"],
    ["a 1,000-character label", "[p]", "LOW", `r:${"t".repeat(1000)}`],
    ["an empty everything", "", "", ""],
  ])("is valid for %s", (_label, prefix, headline, image) => {
    const subject = buildSubject(prefix, headline, image);
    expect(subject.length).toBeGreaterThan(0);
    // SNS: "less than 100 characters long".
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(SNS_SUBJECT);
  });

  it("names an untagged image by a short digest", async () => {
    const { input } = await publishOf(reportWithFindings(cycledFindings(3), { tags: [] }));
    expect(input.Subject).toBe("[ecr-scan-reporter] CRITICAL team-a/api@sha256:4f1c9a7e2b3d");
  });
});

describe("256 KiB limit", () => {
  it("cuts 5,000 findings to fit, says how many more there are, and measures each finding once", async () => {
    const report = reportWithFindings(cycledFindings(5000));
    // The work, not the wall time: the text JSON-escaped to measure its size. One pass measures each listed
    // finding once (~1.2 times the message); measuring the whole text again for each finding is ~300 times.
    let measuredChars = 0;
    const stringify = JSON.stringify;
    const spy = vi.spyOn(JSON, "stringify").mockImplementation((value, ...rest) => {
      if (typeof value === "string") measuredChars += value.length;
      return stringify(value, ...rest);
    });
    const { input, body, logs } = await publishOf(report, {
      topicArn: TOPIC_ARN,
      maxFindings: 10_000,
    }).finally(() => spy.mockRestore());

    const messageBytes = Buffer.byteLength(input.Message, "utf8");
    const total =
      messageBytes + attributeBytes(input.MessageAttributes) + Buffer.byteLength(input.Subject ?? "");
    expect(messageBytes).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    expect(total).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    // The budget is used, not wasted: the cut leaves less than one finding block of room.
    expect(total).toBeGreaterThan(SNS_MESSAGE_MAX_BYTES - 1000);

    const listed = emailFindingNumbers(body.email);
    expect(listed.length).toBeGreaterThan(100);
    expect(listed).toEqual(Array.from({ length: listed.length }, (_, i) => i + 1));
    expect(moreCount(body.email)).toBe(5000 - listed.length);
    expect(body.email).toContain(`...and ${5000 - listed.length} more findings`);
    expect(body.default.match(/^- /gm)).toHaveLength(10);
    expect(moreCount(body.default)).toBe(4990);
    expect(logs.some((l) => l.level === "info" && l.message.includes("256 KiB"))).toBe(true);
    expect(measuredChars).toBeLessThan(4 * SNS_MESSAGE_MAX_BYTES);
  });

  it("counts UTF-8 bytes and JSON escapes, not characters", async () => {
    // 4-byte emoji, 3-byte CJK, and quotes/backslashes that JSON doubles: a character count would overflow.
    const findings = cycledFindings(3000).map((f, i) => ({
      ...f,
      title: `${f.id} - "${"🚀".repeat(20)}"`,
      description: `${"漏洞描述\\".repeat(60)} ${i}`,
    }));
    const { input, body } = await publishOf(reportWithFindings(findings), {
      topicArn: TOPIC_ARN,
      maxFindings: 10_000,
    });
    const total =
      Buffer.byteLength(input.Message, "utf8") +
      attributeBytes(input.MessageAttributes) +
      Buffer.byteLength(input.Subject ?? "");
    expect(total).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
    const listed = emailFindingNumbers(body.email).length;
    expect(listed).toBeLessThan(3000);
    expect(moreCount(body.email)).toBe(3000 - listed);
  });

  it("lists the default 50 of 5,000 findings without cutting for size", async () => {
    const { input, body, logs } = await publishOf(reportWithFindings(cycledFindings(5000)));
    expect(emailFindingNumbers(body.email)).toHaveLength(50);
    expect(moreCount(body.email)).toBe(4950);
    expect(Buffer.byteLength(input.Message)).toBeLessThan(64 * 1024);
    expect(logs.some((l) => l.message.includes("256 KiB"))).toBe(false);
  });
});

describe("failed scan", () => {
  it("gets its own wording with the status description", async () => {
    const report = failedScanOfImage();
    const { input, body } = await publishOf(report);
    expect(input.Subject).toBe("[ecr-scan-reporter] SCAN FAILED team-a/api:v1.2");
    expect(body.default).toContain(
      "ECR scan FAILED for team-a/api:v1.2: The operating system 'windows' is not supported for basic scanning.",
    );
    expect(body.email).toContain("Amazon ECR image scan FAILED for team-a/api:v1.2");
    expect(body.email).toContain("Reason given by ECR: The operating system 'windows' is not supported");
    expect(body.email).not.toContain("Findings by severity");
    expect(body.default).not.toContain("vulnerabilit");
    expect(input.MessageAttributes?.status).toEqual({ DataType: "String", StringValue: "FAILED" });
    expect(input.MessageAttributes?.highestSeverity).toEqual({ DataType: "String", StringValue: "NONE" });
    expect(input.MessageAttributes?.critical).toEqual({ DataType: "Number", StringValue: "0" });
    // A failed scan has no findings to count as known exploited: not "0 KEV", but no count at all.
    expect(input.MessageAttributes).not.toHaveProperty("kev");
    expect(input.MessageAttributes).not.toHaveProperty("exploitable");
  });

  it("says so when ECR gave no reason", async () => {
    const { body } = await publishOf(failedScanOfImage({ statusDescription: undefined }));
    expect(body.default).toContain("FAILED for team-a/api:v1.2: no reason given");
  });
});

describe("report not due", () => {
  it("is skipped without calling SNS", async () => {
    const { reporter } = createReporter();
    const report = reportWithFindings(
      cycledFindings(10).filter((f) => f.severity !== "CRITICAL" && f.severity !== "HIGH"),
    );
    expect(report.verdict.due).toBe(false);
    const outcome = await reporter.report(report, CTX);
    expect(outcome).toEqual({ status: "skipped", detail: "report not due (within-thresholds)" });
    expect(snsMock.calls()).toHaveLength(0);
  });

  it("is skipped for a failed scan the policy does not notify", async () => {
    const { reporter } = createReporter();
    const report = failedScanOfImage({
      verdict: { due: false, reason: "scan-failed-not-notified", exceeded: [], ignoredFindings: 0 },
    });
    const outcome = await reporter.report(report, CTX);
    expect(outcome.status).toBe("skipped");
    expect(snsMock.calls()).toHaveLength(0);
  });
});

describe("FIFO topics", () => {
  const expectedDedupId = (r: ScanReport) =>
    createHash("sha256").update(`${r.repository}\n${r.digest}\n${r.completedAt}`).digest("hex");

  it("adds a message group and a deduplication id per scan", async () => {
    const report = reportWithFindings(cycledFindings(3));
    const { input } = await publishOf(report, { topicArn: FIFO_TOPIC_ARN });
    expect(input.TopicArn).toBe(FIFO_TOPIC_ARN);
    expect(input.MessageGroupId).toBe("ecr-scan-reporter");
    expect(input.MessageDeduplicationId).toBe(expectedDedupId(report));
    expect(input.MessageDeduplicationId).toMatch(/^[0-9a-f]{64}$/);
  });

  it("keeps the id for a redelivered report and changes it for a new scan", () => {
    const report = reportWithFindings(cycledFindings(3));
    expect(deduplicationId(report)).toBe(deduplicationId(structuredClone(report)));
    expect(deduplicationId({ ...report, completedAt: "2024-05-02T10:00:00.000Z" })).not.toBe(
      deduplicationId(report),
    );
    expect(deduplicationId({ ...report, digest: `sha256:${"0".repeat(64)}` })).not.toBe(
      deduplicationId(report),
    );
  });

  it("uses the configured message group", async () => {
    const { input } = await publishOf(reportWithFindings(cycledFindings(3)), {
      topicArn: FIFO_TOPIC_ARN,
      messageGroupId: "team-a",
    });
    expect(input.MessageGroupId).toBe("team-a");
  });

  it("passes a message group on a standard topic (SQS fair queues) but no deduplication id", async () => {
    const { input } = await publishOf(reportWithFindings(cycledFindings(3)), {
      topicArn: TOPIC_ARN,
      messageGroupId: "team-a",
    });
    expect(input.MessageGroupId).toBe("team-a");
    expect(input.MessageDeduplicationId).toBeUndefined();
  });
});

describe("untrusted text", () => {
  it("loses its control characters, keeps its words", async () => {
    const [first, ...rest] = cycledFindings(5);
    if (!first) throw new Error("no finding");
    const hostile = {
      ...first,
      id: "CVE-2024-0001\u0007",
      title: "\u001b[31mEVIL\u001b[0m title\r\nsecond line\u202E",
      packageName: "pkg\u0000\tname\u2066",
      packageVersion: "1.0\u0085",
      fixedInVersion: "\u009b2.0",
      url: "https://example.org/\u0000x",
      description: "line one\u0000\r\nline two\u001b\u007f\nline three \uD800 lone",
    };
    const report = reportWithFindings([hostile, ...rest], {
      tags: ["v1\u0000\n2"],
      statusDescription: "ok\u001b",
    });
    const { input, body } = await publishOf(report);
    for (const text of [body.default, body.email]) {
      expect(text).not.toMatch(FORBIDDEN);
      expect(text).not.toMatch(/[\uD800-\uDFFF]/);
    }
    expect(body.email).toContain("1. [CRITICAL] [31mEVIL[0m title second line (CVE-2024-0001)");
    expect(body.email).toContain("   Package:  pkg name 1.0\n   Fixed in: 2.0");
    expect(body.email).toContain("   line one\n   line two\n   line three \uFFFD lone");
    expect(body.default).toContain("- CRITICAL CVE-2024-0001 in pkg name 1.0, fixed in 2.0");
    expect(body.default).toContain("team-a/api:v1 2:");
    expect(input.Subject).toMatch(SNS_SUBJECT);
    for (const value of Object.values(input.MessageAttributes ?? {})) {
      expect(value.StringValue).not.toMatch(FORBIDDEN);
    }
  });

  it("is capped, so one huge description cannot fill the message", async () => {
    const [first] = cycledFindings(1);
    if (!first) throw new Error("no finding");
    const huge = { ...first, description: "A".repeat(1_000_000), packageName: "p".repeat(100_000) };
    const { input, body } = await publishOf(reportWithFindings([huge]));
    expect(Buffer.byteLength(input.Message)).toBeLessThan(8 * 1024);
    expect(body.email).toContain(`${"A".repeat(100)}`);
    expect(body.email).toMatch(/A\.\.\.\n/);
    expect(emailFindingNumbers(body.email)).toEqual([1]);
  });
});

describe("verify", () => {
  it("reads the topic's attributes", async () => {
    snsMock.on(GetTopicAttributesCommand).resolves({ Attributes: { TopicArn: TOPIC_ARN } });
    const { reporter } = createReporter();
    await expect(reporter.verify?.()).resolves.toBeUndefined();
    const calls = snsMock.commandCalls(GetTopicAttributesCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({ TopicArn: TOPIC_ARN });
  });

  it("fails with an error that names the topic when it cannot be read", async () => {
    snsMock
      .on(GetTopicAttributesCommand)
      .rejects(new NotFoundException({ message: "Topic does not exist", $metadata: {} }));
    const { reporter } = createReporter({ topicArn: FIFO_TOPIC_ARN });
    const error = await reporter.verify?.().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReporterError);
    expect((error as Error).message).toContain(FIFO_TOPIC_ARN);
    expect((error as Error).message).toContain("Topic does not exist");
    expect((error as Error).message).toContain("sns:GetTopicAttributes");
    expect((error as Error).cause).toBeInstanceOf(NotFoundException);
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });
});

describe("changes since the last report (findings ledger)", () => {
  const NEW_IDS = ["CVE-2024-10000", "CVE-2024-10001"];
  function changedReport(changes: Partial<NonNullable<ScanReport["changes"]>> = {}) {
    const findings = cycledFindings(14);
    return reportWithFindings(findings, {
      changes: {
        firstReport: false,
        previousScanAt: "2026-11-23T06:00:00.000Z",
        newFindings: findings.filter((f) => NEW_IDS.includes(f.id)),
        fixedFindings: [{ id: "CVE-2023-0001", severity: "HIGH", package: "libold" }],
        severityRaised: [],
        ...changes,
      },
    });
  }

  it("come first in both texts, and in short in the subject", async () => {
    const { input, body } = await publishOf(changedReport());
    expect(input.Subject).toBe("[ecr-scan-reporter] CRITICAL (2 new, 1 fixed) team-a/api:v1.2");
    expect(body.default.split("\n").slice(0, 2)).toEqual([
      "2 new since 2026-11-23: CVE-2024-10000, CVE-2024-10001; 1 fixed: CVE-2023-0001",
      "ECR scan of team-a/api:v1.2: 14 vulnerabilities, over the policy thresholds for CRITICAL, HIGH.",
    ]);
    expect(body.email.split("\n").slice(0, 4)).toEqual([
      "2 new since 2026-11-23: CVE-2024-10000, CVE-2024-10001",
      "1 fixed: CVE-2023-0001",
      "",
      "Amazon ECR scan findings for team-a/api:v1.2",
    ]);
    expect(input.Subject).toMatch(SNS_SUBJECT);
  });

  it("say nothing on the first report for the image, and 'No change' when a report comes without any", async () => {
    const first = await publishOf(changedReport({ firstReport: true, previousScanAt: undefined }));
    expect(first.input.Subject).toBe("[ecr-scan-reporter] CRITICAL team-a/api:v1.2");
    expect(first.body.default).toMatch(/^ECR scan of team-a\/api:v1\.2: /);
    expect(first.body.email).toMatch(/^Amazon ECR scan findings for /);
    snsMock.resetHistory();
    const same = await publishOf(changedReport({ newFindings: [], fixedFindings: [] }));
    expect(same.input.Subject).toBe("[ecr-scan-reporter] CRITICAL (unchanged) team-a/api:v1.2");
    expect(same.body.default.split("\n")[0]).toBe("No change since 2026-11-23");
  });

  it("name at most five ids a kind, then count the rest", async () => {
    const findings = cycledFindings(14);
    const { body } = await publishOf(changedReport({ newFindings: findings.slice(0, 8), fixedFindings: [] }));
    const ids = findings.slice(0, 5).map((f) => f.id);
    expect(body.default.split("\n")[0]).toBe(`8 new since 2026-11-23: ${ids.join(", ")} and 3 more`);
  });

  it("keep a hostile id on its line, without control characters", async () => {
    const [first, ...rest] = cycledFindings(3);
    if (!first) throw new Error("no finding");
    const hostile = { ...first, id: "<b>*CVE*</b>\r\nSubject: spoofed\u0007\u202E" };
    const report = reportWithFindings([hostile, ...rest], {
      changes: {
        firstReport: false,
        previousScanAt: "2026-11-23T06:00:00.000Z",
        newFindings: [hostile],
        fixedFindings: [],
        severityRaised: [],
      },
    });
    const { input, body } = await publishOf(report);
    expect(body.default.split("\n")[0]).toBe("1 new since 2026-11-23: <b>*CVE*</b> Subject: spoofed");
    for (const text of [body.default, body.email]) {
      expect(text).not.toMatch(FORBIDDEN);
      expect(text).not.toMatch(/^Subject:/m);
    }
    expect(input.Subject).toMatch(SNS_SUBJECT);
  });
});

describe("back within thresholds", () => {
  const NOTICE = {
    ...CTX,
    notification: { kind: "back-within-thresholds", why: "back-within-thresholds" },
  } as const;
  function withinReport() {
    const findings = cycledFindings(10).filter((f) => f.severity === "MEDIUM" || f.severity === "LOW");
    return reportWithFindings(findings, {
      changes: {
        firstReport: false,
        previousScanAt: "2026-11-23T06:00:00.000Z",
        newFindings: [],
        fixedFindings: [{ id: "CVE-2024-10000", severity: "CRITICAL", package: "libexample-0" }],
        severityRaised: [],
      },
    });
  }

  it("publishes a short notice, not a findings report, when the dispatch says so", async () => {
    const report = withinReport();
    expect(report.verdict.due).toBe(false);
    const { reporter } = createReporter({ topicArn: TOPIC_ARN, messageStructure: "json" });
    const outcome = await reporter.report(report, NOTICE);
    expect(outcome).toMatchObject({
      status: "sent",
      detail: expect.stringContaining("back-within-thresholds notice"),
    });
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input as PublishCommandInput & {
      Message: string;
    };
    const body: SnsMessageBody = JSON.parse(input.Message);
    expect(input.Subject).toBe("[ecr-scan-reporter] Back within thresholds: team-a/api:v1.2");
    expect(input.Subject).toMatch(SNS_SUBJECT);
    const lead = [
      "team-a/api:v1.2 is back within the thresholds: the scan of 2026-11-28 found 3 medium, 2 low.",
      "1 fixed since 2026-11-23: CVE-2024-10000",
    ];
    expect(body.default.split("\n").slice(0, 2)).toEqual(lead);
    expect(body.email.split("\n").slice(0, 2)).toEqual(lead);
    expect(body.email).toContain("Repository: team-a/api");
    for (const text of [body.default, body.email]) {
      expect(text).not.toContain("Top findings");
      expect(text).not.toMatch(/^\d+\. \[/m);
    }
    // The attributes are the report's, so a filter on the repository still sees the notice.
    expect(input.MessageAttributes?.repository).toEqual({ DataType: "String", StringValue: "team-a/api" });
  });

  it("is skipped without the dispatch's word, and a due report stays a report", async () => {
    const { reporter } = createReporter();
    expect(await reporter.report(withinReport(), CTX)).toMatchObject({ status: "skipped" });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    await reporter.report(reportWithFindings(cycledFindings(3)), NOTICE);
    expect(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Subject).toBe(
      "[ecr-scan-reporter] CRITICAL team-a/api:v1.2",
    );
  });
});

// A class mock replaces send() on every client of the class: give it back for the files that run after this one
// in the same worker (the unit project shares modules between files).
afterAll(() => {
  snsMock.restore();
});
