import { describe, expect, it } from "vitest";
import { carryFirstSeen, computeChanges, toCompactFinding } from "../../src/ledger/changes.js";
import { compact, finding } from "./fixtures.js";

const BEFORE = "2026-11-23T10:00:00.000Z";
const NOW = "2026-12-01T10:00:00.000Z";

describe("computeChanges", () => {
  it("calls the first report first, with nothing new or fixed relative to nothing", () => {
    expect(computeChanges([finding("CVE-1", "CRITICAL")])).toEqual({
      firstReport: true,
      newFindings: [],
      fixedFindings: [],
      severityRaised: [],
    });
  });

  it("finds what is new, what is fixed and when the previous scan was", () => {
    const kept = finding("CVE-KEPT", "HIGH");
    const added = finding("CVE-NEW", "CRITICAL");
    const changes = computeChanges([added, kept], {
      findings: [compact("CVE-KEPT", "HIGH"), compact("CVE-FIXED", "MEDIUM")],
      scanCompletedAt: BEFORE,
    });
    expect(changes).toEqual({
      firstReport: false,
      previousScanAt: BEFORE,
      newFindings: [added],
      fixedFindings: [compact("CVE-FIXED", "MEDIUM")],
      severityRaised: [],
    });
  });

  it("identifies a finding by id and package: a version bump with the CVE still open is not news", () => {
    const bumped = finding("CVE-1", "HIGH", { packageVersion: "3.0.9" });
    const otherPackage = finding("CVE-1", "HIGH", { packageName: "libssl3" });
    const changes = computeChanges([bumped, otherPackage], {
      findings: [compact("CVE-1", "HIGH", { version: "3.0.1" })],
    });
    expect(changes.newFindings).toEqual([otherPackage]);
    expect(changes.fixedFindings).toEqual([]);
  });

  it("treats a finding without a package as its own identity", () => {
    const noPackage = finding("CVE-1", "LOW", { packageName: undefined });
    const changes = computeChanges([noPackage], { findings: [{ id: "CVE-1", severity: "LOW" }] });
    expect(changes.newFindings).toEqual([]);
    expect(changes.fixedFindings).toEqual([]);
  });

  it("reports a raised severity with the one before, but not a lowered one", () => {
    const raised = finding("CVE-UP", "CRITICAL");
    const lowered = finding("CVE-DOWN", "LOW");
    const changes = computeChanges([raised, lowered], {
      findings: [compact("CVE-UP", "MEDIUM"), compact("CVE-DOWN", "HIGH")],
    });
    expect(changes.severityRaised).toEqual([{ finding: raised, from: "MEDIUM" }]);
    expect(changes.newFindings).toEqual([]);
  });

  it("compares with the most severe previous entry of an identity, and lists a fixed identity once", () => {
    const previous = [
      compact("CVE-1", "HIGH", { version: "1" }),
      compact("CVE-1", "MEDIUM", { version: "2" }),
      compact("CVE-2", "LOW", { version: "1" }),
      compact("CVE-2", "LOW", { version: "2" }),
    ];
    const changes = computeChanges([finding("CVE-1", "HIGH")], { findings: previous });
    expect(changes.severityRaised).toEqual([]);
    expect(changes.fixedFindings.map((f) => f.id)).toEqual(["CVE-2"]);
  });

  it("after a truncated previous report, calls new only what is more severe than the least severe stored", () => {
    const previous = {
      findings: [compact("CVE-C", "CRITICAL"), compact("CVE-M", "MEDIUM")],
      truncated: true,
    };
    const high = finding("CVE-H2", "HIGH");
    const medium = finding("CVE-M2", "MEDIUM");
    const low = finding("CVE-L2", "LOW");
    const changes = computeChanges([finding("CVE-C", "CRITICAL"), high, medium, low], previous);
    expect(changes.newFindings).toEqual([high]);
    expect(changes.fixedFindings).toEqual([compact("CVE-M", "MEDIUM")]);
  });

  it("after a previous report truncated to nothing, calls nothing new", () => {
    const changes = computeChanges([finding("CVE-1", "CRITICAL")], { findings: [], truncated: true });
    expect(changes.newFindings).toEqual([]);
  });

  it("sees every finding fixed when none is left", () => {
    const changes = computeChanges([], { findings: [compact("CVE-1", "LOW")], scanCompletedAt: BEFORE });
    expect(changes).toMatchObject({
      firstReport: false,
      fixedFindings: [compact("CVE-1", "LOW")],
      newFindings: [],
    });
  });
});

describe("carryFirstSeen", () => {
  it("keeps the earliest first-seen of a known identity and gives new findings the scan time", () => {
    const previous = [
      compact("CVE-1", "HIGH", { version: "1", firstSeen: "2026-11-20T00:00:00.000Z" }),
      compact("CVE-1", "HIGH", { version: "2", firstSeen: BEFORE }),
    ];
    const current = [
      finding("CVE-1", "HIGH", { packageVersion: "3" }),
      finding("CVE-2", "LOW", { fixedInVersion: "9" }),
    ];
    expect(carryFirstSeen(current, previous, NOW)).toEqual([
      {
        id: "CVE-1",
        severity: "HIGH",
        package: "openssl",
        version: "3",
        firstSeen: "2026-11-20T00:00:00.000Z",
      },
      { id: "CVE-2", severity: "LOW", package: "openssl", version: "3.0.1", fixedIn: "9", firstSeen: NOW },
    ]);
  });

  it("gives every finding the scan time when there is no previous record", () => {
    expect(carryFirstSeen([finding("CVE-1", "HIGH")], undefined, NOW)[0]?.firstSeen).toBe(NOW);
  });

  it("compacts a finding to what the ledger keeps", () => {
    expect(
      toCompactFinding({ id: "CVE-1", severity: "LOW", title: "t", description: "d", cvssScore: 5 }),
    ).toEqual({
      id: "CVE-1",
      severity: "LOW",
    });
  });
});
