import { overThresholdReport } from "@ecr-scan-reporter/core/testing";
import { describe, expect, it } from "vitest";
import { emailReporter } from "../src/index.js";

// A report sent with fewer findings than its scan counted (Inspector was still writing them) says so.

const OPTIONS = emailReporter.optionsSchema.parse({ from: "scans@acme.example", to: ["sec@acme.example"] });
const deps = { templates: { override: () => undefined }, clock: () => new Date("2026-11-28T07:00:00Z") };

function rendered(report = overThresholdReport()) {
  return (emailReporter.preview?.(report, OPTIONS, deps) ?? []).map((file) => file.content).join("\n");
}

describe("email: a report that may be incomplete", () => {
  it("says how many findings the scan counted and how many were read", () => {
    const report = { ...overThresholdReport(), completeness: { expectedFindings: 158, findingsRead: 120 } };
    expect(rendered(report)).toContain(
      "This report may be incomplete: the scan counted 158 findings, 120 could be read",
    );
  });

  it("says nothing of it for a complete report", () => {
    expect(rendered()).not.toContain("may be incomplete");
  });
});
