import {
  type MessageAttributeValue,
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
} from "@aws-sdk/client-sns";
import type { ScanReport } from "@ecr-scan-reporter/core";
import {
  escalatedReport,
  exploitAwareReport,
  failedScanReport,
  hostileDigest,
  hostileIntelReport,
  intelUnavailableReport,
  overThresholdReport,
  recordingAwsClient,
  sampleDigest,
  testDeps,
} from "@ecr-scan-reporter/core/testing";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  buildDigestMessage,
  MESSAGE_ATTRIBUTE_NAMES,
  messageAttributes,
  planDigestPublish,
  planPublish,
  SNS_MAX_MESSAGE_ATTRIBUTES,
  snsOptionsSchema,
  snsReporter,
} from "../src/index.js";

// Threat intel in SNS messages (issue 16): the `kev` and `exploitable` attributes within SNS's ten, filter policies
// on them, the badges and CISA's required action in the texts, why an escalated report is due, the note on a stale
// or unavailable source, and the digest's KEV section.

const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:ecr-findings";
const NOW = new Date("2026-11-28T06:15:00Z");
const OPTIONS = snsOptionsSchema.parse({ topicArn: TOPIC_ARN, messageStructure: "json" });
const FRESH = {
  kev: { state: "fresh", asOf: "2026-11-28T06:00:00.000Z" },
  epss: { state: "fresh", asOf: "2026-11-28T06:00:00.000Z" },
} as const;

const snsMock = mockClient(SNSClient);
beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: "m-1" });
});
afterAll(() => snsMock.restore());

type Condition = string | { prefix: string } | { numeric: (string | number)[] } | { exists: boolean };
type FilterPolicy = { $or?: FilterPolicy[] } & {
  [attribute: string]: Condition[] | FilterPolicy[] | undefined;
};

/**
 * Whether SNS would deliver a message with these attributes to a subscription with this (attribute-based) filter
 * policy, for the operators the README documents: exact strings, `prefix`, `numeric` comparisons, `exists` and
 * `$or`. Every key must match; within a key, any condition (SNS's "Subscription filter policies").
 */
function matches(policy: FilterPolicy, attributes: Record<string, MessageAttributeValue>): boolean {
  return Object.entries(policy).every(([key, conditions]) => {
    if (key === "$or") return (conditions as FilterPolicy[]).some((p) => matches(p, attributes));
    const value = attributes[key];
    return (conditions as Condition[]).some((condition) => {
      if (typeof condition === "string")
        return value?.DataType === "String" && value.StringValue === condition;
      if ("exists" in condition) return (value !== undefined) === condition.exists;
      if (!value) return false;
      if ("prefix" in condition)
        return value.DataType === "String" && (value.StringValue ?? "").startsWith(condition.prefix);
      if (value.DataType !== "Number") return false;
      const n = Number(value.StringValue);
      const ops = condition.numeric;
      for (let i = 0; i < ops.length; i += 2) {
        const [op, limit] = [ops[i], Number(ops[i + 1])];
        const ok =
          op === ">"
            ? n > limit
            : op === ">="
              ? n >= limit
              : op === "<"
                ? n < limit
                : op === "<="
                  ? n <= limit
                  : n === limit;
        if (!ok) return false;
      }
      return true;
    });
  });
}

const attributesOf = (report: ScanReport) =>
  planPublish(report, OPTIONS, { now: NOW }).input.MessageAttributes ?? {};

describe("the kev and exploitable attributes", () => {
  it("are sent, as Numbers, with the eight others: ten, SNS's most", () => {
    const attributes = attributesOf(exploitAwareReport());
    expect(SNS_MAX_MESSAGE_ATTRIBUTES).toBe(10);
    expect(Object.keys(attributes)).toHaveLength(10);
    expect(Object.keys(attributes).sort()).toEqual([...MESSAGE_ATTRIBUTE_NAMES].sort());
    expect(attributes.kev).toEqual({ DataType: "Number", StringValue: "2" });
    expect(attributes.exploitable).toEqual({ DataType: "Number", StringValue: "2" });
    expect(attributes).not.toHaveProperty("scanType");
    expect(attributes).not.toHaveProperty("total");
  });

  it("count KEV findings, and as exploitable those on KEV or with an exploit Inspector knows", () => {
    expect(attributesOf(escalatedReport()).kev).toEqual({ DataType: "Number", StringValue: "1" });
    const [, , plain] = exploitAwareReport().findings;
    if (!plain) throw new Error("the sample has findings without KEV");
    const exploitOnly = exploitAwareReport({ findings: [{ ...plain, exploitAvailable: "YES" }] });
    expect(attributesOf(exploitOnly)).toMatchObject({
      kev: { DataType: "Number", StringValue: "0" },
      exploitable: { DataType: "Number", StringValue: "1" },
    });
    // Checked against KEV and none found: a real 0.
    expect(attributesOf({ ...overThresholdReport(), intel: FRESH })).toMatchObject({
      kev: { StringValue: "0" },
      exploitable: { StringValue: "0" },
    });
  });

  it("are left out when KEV could not be checked or the scan failed: no false 0", () => {
    for (const report of [
      intelUnavailableReport(),
      overThresholdReport(),
      { ...overThresholdReport(), intel: { kev: { state: "off" }, epss: { state: "off" } } } as ScanReport,
      { ...failedScanReport(), intel: FRESH },
    ]) {
      const attributes = messageAttributes(report);
      expect(attributes).not.toHaveProperty("kev");
      expect(attributes).not.toHaveProperty("exploitable");
      expect(Object.keys(attributes)).toHaveLength(8);
    }
    // The last cached copy of the catalog is a check too (the text states its age).
    const stale = {
      ...exploitAwareReport(),
      intel: { ...FRESH, kev: { state: "stale", asOf: "2026-11-26T06:00:00Z", reason: "503" } },
    } as ScanReport;
    expect(messageAttributes(stale).kev).toEqual({ DataType: "Number", StringValue: "2" });
  });

  it("let filter policies route KEV and exploitable reports, and the documented policies still work", () => {
    const kevOnly: FilterPolicy = { kev: [{ numeric: [">", 0] }] };
    const exploitable: FilterPolicy = { exploitable: [{ numeric: [">", 0] }] };
    const unchecked: FilterPolicy = { kev: [{ exists: false }], status: ["COMPLETE"] };
    expect(matches(kevOnly, attributesOf(exploitAwareReport()))).toBe(true);
    expect(matches(kevOnly, attributesOf(escalatedReport()))).toBe(true);
    expect(matches(kevOnly, attributesOf({ ...overThresholdReport(), intel: FRESH }))).toBe(false);
    expect(matches(kevOnly, attributesOf(intelUnavailableReport()))).toBe(false);
    expect(matches(exploitable, attributesOf(exploitAwareReport()))).toBe(true);
    expect(matches(unchecked, attributesOf(intelUnavailableReport()))).toBe(true);
    expect(matches(unchecked, attributesOf(exploitAwareReport()))).toBe(false);
    // The README's example: criticals of team A, or any failed scan.
    const readme: FilterPolicy = {
      $or: [
        { repository: [{ prefix: "team-a/" }], critical: [{ numeric: [">", 0] }] },
        { status: ["FAILED"] },
      ],
    };
    expect(matches(readme, attributesOf(exploitAwareReport()))).toBe(true);
    expect(matches(readme, attributesOf(failedScanReport()))).toBe(true);
    expect(matches(readme, attributesOf(escalatedReport()))).toBe(false);
  });

  it("are what the reporter publishes", async () => {
    const { awsClient } = recordingAwsClient();
    const { deps } = testDeps({ awsClient, clock: () => NOW });
    const reporter = snsReporter.create(snsReporter.optionsSchema.parse({ topicArn: TOPIC_ARN }), deps);
    await reporter.report(escalatedReport(), { reporterId: "sns", attempt: 1 });
    const input = snsMock.commandCalls(PublishCommand)[0]?.args[0].input as PublishCommandInput;
    expect(input.MessageAttributes?.kev).toEqual({ DataType: "Number", StringValue: "1" });
    expect(Object.keys(input.MessageAttributes ?? {}).length).toBeLessThanOrEqual(10);
  });
});

describe("the texts of an exploit-aware report", () => {
  const plan = planPublish(exploitAwareReport(), OPTIONS, { now: NOW });
  const { default: compact, email } = plan.message.body;

  it("put KEV in the subject and count the KEV findings after the severities", () => {
    expect(plan.input.Subject).toBe("[ecr-scan-reporter] KEV CRITICAL team-a/api:v1.4.2");
    expect(compact).toContain(
      "Counts: CRITICAL 2, HIGH 2, MEDIUM 2, LOW 1\n2 known exploited (KEV), 1 overdue: on CISA's Known Exploited Vulnerabilities catalog, listed first\n",
    );
  });

  it("badge the findings, KEV first, in the compact text", () => {
    const lines = compact.split("\n").filter((line) => line.startsWith("- "));
    expect(lines[0]).toBe(
      "- CRITICAL CVE-2021-44228 in log4j-core 2.14.1, fixed in 2.17.1 (CVSS 10.0) — KEV, overdue since 2021-12-24 · known ransomware use · exploit available · EPSS 94 % (99th percentile)",
    );
    expect(lines[1]).toBe(
      "- MEDIUM CVE-2023-44487 in golang.org/x/net 0.15.0 (CVSS 5.3) — KEV, due 2027-01-05 · EPSS 81 % (98th percentile)",
    );
  });

  it("badge each finding and give CISA's required action in the e-mail text, most urgent first", () => {
    expect(email).toContain("Findings, most urgent first:");
    expect(email).toContain(
      "1. [CRITICAL] CVE-2021-44228 - log4j-core\n   Exploits: KEV, overdue since 2021-12-24 · known ransomware use · exploit available · EPSS 94 % (99th percentile)\n   CISA:     For all affected software assets",
    );
    expect(email).toContain(
      "2. [MEDIUM] CVE-2023-44487 - golang.org/x/net\n   Exploits: KEV, due 2027-01-05 · EPSS 81 % (98th percentile)\n   CISA:     Apply mitigations",
    );
    expect(email).toContain("   Fixed in: no fix\n");
  });

  it("follow the reporter's clock for what is overdue", () => {
    const later = planPublish(exploitAwareReport(), OPTIONS, { now: new Date("2027-01-06T00:00:00Z") });
    expect(later.message.body.default).toContain("2 known exploited (KEV), 2 overdue");
    expect(later.message.body.default).toContain("KEV, overdue since 2027-01-05");
    const files = snsReporter.preview?.(exploitAwareReport(), OPTIONS, {
      templates: { override: () => undefined },
      clock: () => new Date("2027-01-06T00:00:00Z"),
    });
    expect(files?.find((f) => f.name === "sns-default.txt")?.content).toContain("2 overdue");
  });
});

describe("an escalated report", () => {
  const plan = planPublish(escalatedReport(), OPTIONS, { now: NOW });

  it("says why it is due and that EPSS scores were stale, in both texts", () => {
    for (const text of [plan.message.body.default, plan.message.body.email]) {
      expect(text).toContain(
        "\nDue although within the thresholds: 1 finding on CISA's KEV catalog — CVE-2023-44487\nThreat intel: EPSS scores from 2026-11-26 (api.first.org answered 503)\n",
      );
      expect(text).not.toContain("over the policy thresholds");
    }
    expect(plan.input.Subject).toBe("[ecr-scan-reporter] KEV MEDIUM team-a/api:v1.4.2");
  });

  it("states an unavailable source", () => {
    const unavailable = planPublish(intelUnavailableReport(), OPTIONS, { now: NOW });
    expect(unavailable.message.body.email).toContain(
      "Threat intel: KEV unavailable: www.cisa.gov did not answer within 5 s\n",
    );
  });
});

describe("hostile feed text", () => {
  const plan = planPublish(hostileIntelReport(), OPTIONS, { now: NOW });

  it("stays on its own line, without control characters, and never names ransomware from the feed's words", () => {
    const email = plan.message.body.email;
    const action = email.split("\n").filter((line) => line.startsWith("   CISA:"));
    expect(action).toEqual([
      "   CISA:     <!channel> <script>alert(1)</script> [click](https://evil.example) @everyone | table | Bcc: x@evil.example",
    ]);
    expect(email).not.toMatch(/^Bcc:/m);
    expect(email).not.toContain("\r");
    expect(email).not.toContain("ransomware");
    expect(email).not.toContain("<b>");
    expect(plan.input.Subject).toMatch(/^[\x20-\x7E]+$/);
  });
});

describe("the digest's KEV section", () => {
  const publish = planDigestPublish(sampleDigest(), OPTIONS);
  const { default: compact, email } = publish.message.body;

  it("comes first after the headline, overdue first, with due dates and the images", () => {
    const section =
      "2 known exploited (KEV), 1 overdue (CISA's KEV catalog), overdue first:\n" +
      "- CRITICAL CVE-2021-44228 in log4j-core, overdue since 2021-12-24, known ransomware use: team-a/worker:2026.11.28\n" +
      "- HIGH CVE-2023-44487 in golang.org/x/net, due 2027-01-05: team-a/worker:2026.11.28, team-a/api:v1.4.2\n";
    expect(email).toContain(section);
    expect(email.indexOf(section)).toBeLessThan(email.indexOf("Open findings by severity"));
    expect(email.indexOf(section)).toBeGreaterThan(email.indexOf("55 open findings"));
    expect(compact.split("\n")[1]).toBe("2 known exploited (KEV), 1 overdue.");
    expect(publish.input.Subject).toBe(
      "[ecr-scan-reporter] Digest slack: 2 critical, 9 high; 3 over thresholds; 2 KEV",
    );
  });

  it("says when none is open, states an unavailable source, and lists fewer when the message must be cut", () => {
    const none = planDigestPublish(
      sampleDigest({
        knownExploited: { total: 0, overdue: 0, top: [] },
        intel: { kev: { state: "unavailable", reason: "timeout" }, epss: { state: "off" } },
      }),
      OPTIONS,
    ).message.body.email;
    expect(none).toContain(
      "\nNo open finding is on CISA's KEV catalog.\n\nThreat intel: KEV unavailable: timeout\n",
    );
    const [first] = sampleDigest().knownExploited?.top ?? [];
    if (!first) throw new Error("sampleDigest has KEV entries");
    const many = sampleDigest({
      knownExploited: {
        total: 30,
        overdue: 30,
        top: Array.from({ length: 20 }, (_, i) => ({ ...first, id: `CVE-2026-${10_000 + i}` })),
      },
    });
    const cut = buildDigestMessage(many, { budgetBytes: 5_000, perProtocol: false });
    const listed = cut.body.email
      .split("\n")
      .filter((line) => line.startsWith("- CRITICAL CVE-2026-1")).length;
    expect(listed).toBe(cut.listLimit);
    expect(cut.body.email).toContain(`...and ${30 - listed} more known exploited vulnerabilities`);
  });

  it("cleans a hostile entry to one line and shows no due date that is not a date", () => {
    const text = planDigestPublish(hostileDigest(), OPTIONS).message.body.email;
    const [line] = text.split("\n").filter((l) => l.includes("CVE-2099-0003"));
    expect(line).toBe(
      "- CRITICAL CVE-2099-0003 <!channel> [x](https://evil.example) in <script>alert(1)</script> | cell |, known ransomware use: team-a/api:<!here>, team-a/api:@everyone and 5 more",
    );
    expect(text).not.toContain("Bcc");
  });
});
