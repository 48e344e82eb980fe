import { memberAccountReport, multiAccountDigest, testDeps } from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { digestEmfLines, metricsReporter } from "../src/index.js";

// [8/8]: `perAccount` adds the account id as a dimension; off, the metric identities stay what they were.

const NOW = new Date("2026-11-30T08:00:00.000Z");
const CTX = { reporterId: "metrics", attempt: 1 };

interface Emf {
  _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

async function linesOf(options: object): Promise<Emf[]> {
  const { deps, lines } = testDeps({ clock: () => NOW });
  const reporter = metricsReporter.create(metricsReporter.optionsSchema.parse(options), deps);
  await reporter.report(memberAccountReport(), CTX);
  return lines.map((line) => JSON.parse(line) as Emf);
}

const dimensionsOf = (line: Emf) => line._aws.CloudWatchMetrics[0]?.Dimensions[0];

describe("a report of a member account", () => {
  it("keeps the metric identities by default: no Account dimension, even with an account name", async () => {
    for (const line of await linesOf({})) {
      expect(dimensionsOf(line)).not.toContain("Account");
      expect(line.Account).toBeUndefined();
    }
  });

  it("with perAccount, carries the account id (not the name) on every line, beside Repository", async () => {
    const lines = await linesOf({ perAccount: true });
    expect(lines).toHaveLength(7);
    for (const line of lines) {
      expect(dimensionsOf(line)).toEqual(expect.arrayContaining(["Account", "Repository"]));
      expect(line.Account).toBe("111111111111");
    }
  });

  it("with perAccount and without perRepository, one series per account", async () => {
    const [first] = await linesOf({ perAccount: true, perRepository: false });
    expect(dimensionsOf(first as Emf)).toEqual(expect.arrayContaining(["Account", "Severity"]));
    expect(dimensionsOf(first as Emf)).not.toContain("Repository");
  });
});

describe("a digest of several accounts", () => {
  const options = (perAccount: boolean) =>
    metricsReporter.optionsSchema.parse({ perAccount }) as Parameters<typeof digestEmfLines>[1];

  it("adds each account's gauges with perAccount, by Route and Account", () => {
    const lines = digestEmfLines(multiAccountDigest(), options(true), NOW).map(
      (line) => JSON.parse(line) as Emf,
    );
    const prod = lines.filter((line) => line.Account === "111111111111");
    expect(prod.find((line) => line.Severity === "CRITICAL")?.OpenFindings).toBe(2);
    expect(prod.find((line) => line.ImagesInUse !== undefined)).toMatchObject({
      Route: "slack",
      ImagesInUse: 7,
      ImagesOverThresholds: 2,
    });
    expect(new Set(lines.map((line) => line.Account).filter(Boolean))).toEqual(
      new Set(["123456789012", "111111111111", "222222222222"]),
    );
  });

  it("writes no gauges for an account that could not be read: zeros would draw a registry that went clean", () => {
    const lines = digestEmfLines(multiAccountDigest(), options(true), NOW).map(
      (line) => JSON.parse(line) as Emf,
    );
    expect(
      multiAccountDigest().accounts?.find((a) => a.account === "444444444444")?.unreachable,
    ).toBeDefined();
    expect(lines.filter((line) => line.Account === "444444444444")).toEqual([]);
    expect(lines.filter((line) => line.Account === "222222222222").length).toBeGreaterThan(0);
  });

  it("writes the route's gauges only without it", () => {
    const lines = digestEmfLines(multiAccountDigest(), options(false), NOW).map(
      (line) => JSON.parse(line) as Emf,
    );
    expect(lines.some((line) => line.Account !== undefined)).toBe(false);
  });
});
