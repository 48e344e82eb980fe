// deliverReport writes the change log digests read (the findings ledger's CHANGES# items), on the sandbox's DynamoDB:
// a report with new, fixed or raised findings writes one item per scan completion; a first report writes none.
import { describe, expect, it, vi } from "vitest";
import type { ReporterEntry } from "../src/config/schema.js";
import type { DigestLedger } from "../src/ledger/digest-ledger.js";
import type { FindingsLedger } from "../src/ledger/ledger.js";
import type { Finding, ScanReport } from "../src/model.js";
import type { Reporter, ReportOutcome } from "../src/reporters/contract.js";
import type { LoadedReporter } from "../src/reporters/loader.js";
import { countsOf, recordingLogger, scanReport } from "../src/testing/index.js";
import { deliverReport } from "../src/use-cases/deliver-report.js";
import { useDigestTables } from "./support/digest-tables.js";

const { freshTable } = useDigestTables("change-log", "2026-03-31T08:00:00.000Z");

const REGISTRY = "123456789012";
const CVE_A: Finding = {
  id: "CVE-2026-0001",
  severity: "HIGH",
  title: "a",
  packageName: "openssl",
  packageVersion: "3.0.1",
};
const CVE_B: Finding = {
  id: "CVE-2026-0002",
  severity: "CRITICAL",
  title: "b",
  packageName: "zlib",
  packageVersion: "1.2.13",
  fixedInVersion: "1.3",
};
const T1 = "2026-03-15T12:00:00.000Z";
const T2 = "2026-03-22T12:00:00.000Z";
const T3 = "2026-03-29T12:00:00.000Z";

function sns(): LoadedReporter {
  const impl: Reporter = { report: vi.fn(async (): Promise<ReportOutcome> => ({ status: "sent" })) };
  const entry: ReporterEntry = { use: "sns", notify: "changes" };
  return {
    id: "sns",
    options: {},
    plugin: {
      name: "sns",
      optionsSchema: { safeParse: () => ({ success: true, data: {} }) } as never,
      create: () => impl,
    },
    entry,
    reporter: impl,
  };
}

const report = (findings: Finding[], completedAt: string, overrides: Partial<ScanReport> = {}) =>
  scanReport({ findings, counts: countsOf({ HIGH: 1 }), completedAt, tags: ["v1", "latest"], ...overrides });

function deliver(r: ScanReport, ledger: FindingsLedger, logger = recordingLogger()) {
  return deliverReport(r, { ledger, reporters: [sns()], logger, eventTime: r.completedAt ?? T1, attempt: 1 });
}

const allChanges = async (digestLedger: DigestLedger) =>
  (await digestLedger.changesBetween(new Date("2026-03-01T00:00:00Z"), new Date("2026-03-31T08:00:00Z")))
    .entries;

describe("the change log written by deliverReport", () => {
  it("gets nothing from a first report, nor from a rescan that changed nothing", async () => {
    const { ledger, digestLedger } = await freshTable();
    const first = report([CVE_A], T1);
    await deliver(first, ledger);
    expect(first.changes?.firstReport).toBe(true);
    await deliver(report([CVE_A], T2), ledger);
    expect(await allChanges(digestLedger)).toEqual([]);
  });

  it("gets one item for a report with a new finding, once however often it is delivered", async () => {
    const { ledger, digestLedger } = await freshTable();
    await deliver(report([CVE_A], T1), ledger);
    await deliver(report([CVE_A, CVE_B], T2), ledger);
    // SQS redelivers the same scan completion.
    await deliver(report([CVE_A, CVE_B], T2), ledger);
    const digest = `sha256:${"a".repeat(64)}`;
    expect(await allChanges(digestLedger)).toEqual([
      {
        at: T2,
        registryId: REGISTRY,
        repository: "team-a/api",
        digest,
        references: [`${REGISTRY}/team-a/api:v1`, `${REGISTRY}/team-a/api:latest`],
        newFindings: [
          { id: CVE_B.id, severity: "CRITICAL", package: "zlib", version: "1.2.13", fixedIn: "1.3" },
        ],
        fixedFindings: [],
        raisedFindings: [],
      },
    ]);
  });

  it("records fixed findings as they were first seen, and raised ones at their new severity", async () => {
    const { ledger, digestLedger } = await freshTable();
    await deliver(report([CVE_A, CVE_B], T1), ledger);
    await deliver(report([{ ...CVE_A, severity: "CRITICAL" }], T2), ledger);
    const [entry, ...rest] = await allChanges(digestLedger);
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      at: T2,
      newFindings: [],
      fixedFindings: [{ id: CVE_B.id, severity: "CRITICAL", package: "zlib", firstSeen: T1 }],
      raisedFindings: [{ id: CVE_A.id, severity: "CRITICAL", package: "openssl" }],
    });
  });

  it("gets nothing from a failed scan, which has no findings to compare", async () => {
    const { ledger, digestLedger } = await freshTable();
    await deliver(report([CVE_A], T1), ledger);
    await deliver(report([], T2, { status: "FAILED", statusDescription: "UnsupportedImageError" }), ledger);
    await deliver(report([CVE_A, CVE_B], T3), ledger);
    const entries = await allChanges(digestLedger);
    // The next complete scan is compared with the last complete one: CVE_B is new once, at T3.
    expect(entries.map((e) => [e.at, e.newFindings.map((f) => f.id)])).toEqual([[T3, [CVE_B.id]]]);
  });

  it("that cannot be written costs the digest a line, never the report", async () => {
    const { ledger, digestLedger } = await freshTable();
    await deliver(report([CVE_A], T1), ledger);
    const failing: FindingsLedger = Object.assign(Object.create(ledger) as FindingsLedger, {
      recordChanges: async () => {
        throw new Error("ProvisionedThroughputExceededException");
      },
    });
    const logger = recordingLogger();
    const result = await deliver(report([CVE_A, CVE_B], T2), failing, logger);
    expect(result.outcomes.map((o) => o.status)).toEqual(["sent"]);
    expect(result.failed).toEqual([]);
    expect(logger.logs).toContainEqual(
      expect.objectContaining({ level: "warn", message: expect.stringContaining("change log") }),
    );
    expect(await allChanges(digestLedger)).toEqual([]);
  });
});
