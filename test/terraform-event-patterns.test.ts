// Which events reach the report queue: the module's EventBridge rules, as `terraform plan` renders them
// (terraform/tests/events.tftest.hcl), run against the sample events of test/fixtures/events/ (AWS's documented
// examples) with an offline matcher of EventBridge patterns (test/support/event-pattern.ts). Amazon Inspector sends
// the same kinds of events for EC2 instances and Lambda functions as for ECR images: only the images' may pass.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type EventPattern, matchesEventPattern } from "./support/event-pattern.js";
import { runTerraformTests } from "./support/terraform.js";

const EVENTS_FILE = "tests/events.tftest.hcl";
const FIXTURES_DIR = join(import.meta.dirname, "fixtures", "events");

/** Every sample event, by file name without `.json`. */
const SAMPLES: ReadonlyMap<string, unknown> = new Map(
  readdirSync(FIXTURES_DIR)
    .filter((file) => file.endsWith(".json"))
    .map((file) => [file.replace(/\.json$/, ""), JSON.parse(readFileSync(join(FIXTURES_DIR, file), "utf8"))]),
);

/**
 * The rules each sample must match in a plan, by run: every sample not listed must match none. A sample matched by
 * a rule it should not be, or missed by its own, fails the run.
 */
const EXPECTED: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  // Defaults: enhanced scanning off, failure reports on, the ledger on (ECR's deletions, never its pushes).
  default_rules: {
    "ecr-image-scan-complete": ["ecr_image_scan"],
    "ecr-image-scan-complete-tagged": ["ecr_image_scan"],
    "ecr-image-scan-failed": ["ecr_image_scan"],
    "ecr-image-action-delete": ["ecr_image_delete"],
    "ecr-image-action-delete-untagged": ["ecr_image_delete"],
  },
  enhanced_scanning_rules: {
    "ecr-image-scan-complete": ["ecr_image_scan"],
    "ecr-image-scan-complete-tagged": ["ecr_image_scan"],
    "ecr-image-scan-failed": ["ecr_image_scan"],
    "ecr-image-action-delete": ["ecr_image_delete"],
    "ecr-image-action-delete-untagged": ["ecr_image_delete"],
    "inspector2-scan": ["inspector2_scan"],
    "inspector2-finding": ["inspector2_finding"],
  },
  // notify_on_scan_failure = false.
  enhanced_finding_events_without_failures: {
    "ecr-image-scan-complete": ["ecr_image_scan"],
    "ecr-image-scan-complete-tagged": ["ecr_image_scan"],
    "ecr-image-action-delete": ["ecr_image_delete"],
    "ecr-image-action-delete-untagged": ["ecr_image_delete"],
    "inspector2-scan": ["inspector2_scan"],
    "inspector2-finding": ["inspector2_finding"],
  },
  // enhanced_finding_events = false: an image's initial scan only.
  finding_events_turned_off: {
    "ecr-image-scan-complete": ["ecr_image_scan"],
    "ecr-image-scan-complete-tagged": ["ecr_image_scan"],
    "ecr-image-scan-failed": ["ecr_image_scan"],
    "ecr-image-action-delete": ["ecr_image_delete"],
    "ecr-image-action-delete-untagged": ["ecr_image_delete"],
    "inspector2-scan": ["inspector2_scan"],
  },
  // ledger_enabled = false: nothing for a deletion to change.
  ledger_off_rules: {
    "ecr-image-scan-complete": ["ecr_image_scan"],
    "ecr-image-scan-complete-tagged": ["ecr_image_scan"],
    "ecr-image-scan-failed": ["ecr_image_scan"],
  },
};

/** A sample event as it would come from another partition: every ARN in it names that partition. */
function inPartition(event: unknown, partition: string): unknown {
  return JSON.parse(JSON.stringify(event).replaceAll('"arn:aws:', `"arn:${partition}:`));
}

describe("the module's scan event rules, on AWS's sample events", () => {
  /** By run: each report rule's pattern, by its key (ecr_image_scan, inspector2_scan, inspector2_finding, ecr_image_delete). */
  const patterns = new Map<string, Map<string, EventPattern>>();

  beforeAll(async () => {
    await runTerraformTests([EVENTS_FILE], (message) => {
      const run = message["@testrun"];
      if (message.type !== "test_plan" || !run) return;
      const rules = new Map<string, EventPattern>();
      for (const change of message.test_plan?.resource_changes ?? []) {
        const pattern = change.change.after?.event_pattern;
        if (change.type === "aws_cloudwatch_event_rule" && typeof pattern === "string") {
          rules.set(String(change.index), JSON.parse(pattern) as EventPattern);
        }
      }
      patterns.set(run, rules);
    });
  }, 240_000);

  /** The keys of the rules of a run's plan that match the event. */
  function matchingRules(run: string, event: unknown): string[] {
    const rules = patterns.get(run);
    expect(rules, `${EVENTS_FILE} has a plan of run "${run}"`).toBeDefined();
    return [...(rules ?? [])]
      .filter(([, pattern]) => matchesEventPattern(pattern, event))
      .map(([key]) => key);
  }

  it("has the samples this checks: ECR's, and Inspector's for an ECR image, an EC2 instance and a Lambda function", () => {
    expect([...SAMPLES.keys()]).toEqual(
      expect.arrayContaining([
        "ecr-image-scan-complete",
        "ecr-image-scan-failed",
        "ecr-image-action-push",
        "ecr-image-action-delete",
        "inspector2-scan",
        "inspector2-scan-ec2",
        "inspector2-scan-lambda",
        "inspector2-finding",
        "inspector2-finding-ec2",
        "inspector2-finding-lambda",
      ]),
    );
  });

  it.each(Object.keys(EXPECTED))("%s: each sample reaches exactly the rules of its kind", (run) => {
    const expected = EXPECTED[run] ?? {};
    const actual = Object.fromEntries([...SAMPLES].map(([name, event]) => [name, matchingRules(run, event)]));
    const wanted = Object.fromEntries([...SAMPLES.keys()].map((name) => [name, [...(expected[name] ?? [])]]));
    expect(actual).toEqual(wanted);
  });

  it("in the aws-cn partition, the samples with aws-cn ARNs reach the same rules as in aws (the Inspector2 Scan rule matches ECR ARNs by prefix)", () => {
    const run = "inspector_scan_rule_follows_the_partition";
    const expected = EXPECTED.enhanced_scanning_rules ?? {};
    const actual = Object.fromEntries(
      [...SAMPLES].map(([name, event]) => [name, matchingRules(run, inPartition(event, "aws-cn"))]),
    );
    const wanted = Object.fromEntries([...SAMPLES.keys()].map((name) => [name, [...(expected[name] ?? [])]]));
    expect(actual).toEqual(wanted);
    // The samples do name ARNs: otherwise this would show nothing.
    expect(JSON.stringify(inPartition(SAMPLES.get("inspector2-scan"), "aws-cn"))).toContain(
      '"arn:aws-cn:ecr:',
    );
  });

  it("with enhanced scanning, Inspector's scan and finding events of EC2 instances and Lambda functions match no rule", () => {
    for (const name of [
      "inspector2-scan-ec2",
      "inspector2-scan-lambda",
      "inspector2-finding-ec2",
      "inspector2-finding-lambda",
    ]) {
      expect(matchingRules("enhanced_scanning_rules", SAMPLES.get(name)), name).toEqual([]);
    }
  });

  it("a failed deletion reaches no rule: nothing was deleted", () => {
    const failed = JSON.parse(JSON.stringify(SAMPLES.get("ecr-image-action-delete"))) as {
      detail: Record<string, unknown>;
    };
    failed.detail.result = "FAILURE";
    expect(matchingRules("default_rules", failed)).toEqual([]);
  });

  it("without enhanced scanning, no Inspector event reaches the report queue", () => {
    for (const name of [...SAMPLES.keys()].filter((sample) => sample.startsWith("inspector2-"))) {
      expect(matchingRules("default_rules", SAMPLES.get(name)), name).toEqual([]);
    }
  });
});
