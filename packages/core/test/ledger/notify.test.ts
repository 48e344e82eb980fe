import { describe, expect, it } from "vitest";
import {
  alreadyShownAsKev,
  decideNotification,
  type LastSent,
  type NotificationInput,
} from "../../src/ledger/notify.js";
import type { ReportChanges } from "../../src/model.js";
import { compact, finding } from "./fixtures.js";

const SCAN = "sha256:abc#2026-12-01T10:00:00.000Z";
const EARLIER_SCAN = "sha256:abc#2026-11-23T10:00:00.000Z";

const unchanged: ReportChanges = {
  firstReport: false,
  newFindings: [],
  fixedFindings: [],
  severityRaised: [],
};
const first: ReportChanges = { ...unchanged, firstReport: true };
const withNew: ReportChanges = { ...unchanged, newFindings: [finding("CVE-NEW", "CRITICAL")] };
const withRaised: ReportChanges = {
  ...unchanged,
  severityRaised: [{ finding: finding("CVE-UP", "HIGH"), from: "LOW" }],
};
const onlyFixed: ReportChanges = { ...unchanged, fixedFindings: [compact("CVE-GONE", "HIGH")] };

const sentOver: LastSent = { scanKey: EARLIER_SCAN, over: true, state: "sent" };
const sentWithin: LastSent = { scanKey: EARLIER_SCAN, over: false, state: "sent" };
const sentFailure: LastSent = { scanKey: EARLIER_SCAN, over: true, failed: true, state: "sent" };

const over = { verdictDue: true, verdictReason: "over-threshold" } as const;
const within = { verdictDue: false, verdictReason: "within-thresholds" } as const;
const failed = { verdictDue: true, verdictReason: "scan-failed" } as const;
const failedQuiet = { verdictDue: false, verdictReason: "scan-failed-not-notified" } as const;

type Case = [string, Omit<NotificationInput, "scanKey">, { send: boolean; kind?: string; why: string }];

const cases: Case[] = [
  // The same scan completion is never sent twice, in either mode.
  [
    "changes: same scan already sent",
    { mode: "changes", ...over, changes: withNew, lastSent: { ...sentOver, scanKey: SCAN } },
    { send: false, why: "duplicate-scan" },
  ],
  [
    "always: same scan already sent",
    { mode: "always", ...over, changes: unchanged, lastSent: { ...sentOver, scanKey: SCAN } },
    { send: false, why: "duplicate-scan" },
  ],
  [
    "a pending claim of the same scan is not a send",
    {
      mode: "always",
      ...over,
      changes: unchanged,
      lastSent: { ...sentOver, scanKey: SCAN, state: "pending" },
    },
    { send: true, kind: "report", why: "always" },
  ],
  // Not due.
  [
    "changes: within after over → one notice",
    { mode: "changes", ...within, changes: unchanged, lastSent: sentOver },
    { send: true, kind: "back-within-thresholds", why: "back-within-thresholds" },
  ],
  [
    "changes: within after a failed scan → one notice",
    { mode: "changes", ...within, changes: unchanged, lastSent: sentFailure },
    { send: true, kind: "back-within-thresholds", why: "back-within-thresholds" },
  ],
  [
    "changes: within after the notice → nothing",
    { mode: "changes", ...within, changes: unchanged, lastSent: sentWithin },
    { send: false, why: "not-due" },
  ],
  [
    "changes: within, never sent → nothing",
    { mode: "changes", ...within, changes: first },
    { send: false, why: "not-due" },
  ],
  [
    "always: within after over → nothing (today's behaviour)",
    { mode: "always", ...within, changes: unchanged, lastSent: sentOver },
    { send: false, why: "not-due" },
  ],
  [
    "changes: failed scan not notified after over → no notice",
    { mode: "changes", ...failedQuiet, changes: unchanged, lastSent: sentOver },
    { send: false, why: "not-due" },
  ],
  // Due, "always".
  [
    "always: unchanged rescan → sent",
    { mode: "always", ...over, changes: unchanged, lastSent: sentOver },
    { send: true, kind: "report", why: "always" },
  ],
  // Due, "changes".
  [
    "changes: no ledger → sent as without one",
    { mode: "changes", ...over, changes: undefined },
    { send: true, kind: "report", why: "no-ledger" },
  ],
  [
    "changes: failed scan, never sent → sent",
    { mode: "changes", ...failed, changes: unchanged },
    { send: true, kind: "report", why: "first-report" },
  ],
  [
    "changes: failed scan after over → sent",
    { mode: "changes", ...failed, changes: unchanged, lastSent: sentOver },
    { send: true, kind: "report", why: "verdict-changed" },
  ],
  [
    "changes: failed scan after a failed scan → held",
    { mode: "changes", ...failed, changes: unchanged, lastSent: sentFailure },
    { send: false, why: "unchanged" },
  ],
  [
    "changes: first report for the reference",
    { mode: "changes", ...over, changes: first, lastSent: sentOver },
    { send: true, kind: "report", why: "first-report" },
  ],
  [
    "changes: first report to this reporter",
    { mode: "changes", ...over, changes: unchanged },
    { send: true, kind: "report", why: "first-report" },
  ],
  [
    "changes: new findings",
    { mode: "changes", ...over, changes: withNew, lastSent: sentOver },
    { send: true, kind: "report", why: "new-findings" },
  ],
  [
    "changes: raised severity",
    { mode: "changes", ...over, changes: withRaised, lastSent: sentOver },
    { send: true, kind: "report", why: "severity-raised" },
  ],
  [
    "changes: over after within",
    { mode: "changes", ...over, changes: unchanged, lastSent: sentWithin },
    { send: true, kind: "report", why: "verdict-changed" },
  ],
  [
    "changes: over after a failed scan",
    { mode: "changes", ...over, changes: unchanged, lastSent: sentFailure },
    { send: true, kind: "report", why: "verdict-changed" },
  ],
  [
    "changes: only fixed findings → held",
    { mode: "changes", ...over, changes: onlyFixed, lastSent: sentOver },
    { send: false, why: "unchanged" },
  ],
  [
    "changes: unchanged rescan → held",
    { mode: "changes", ...over, changes: unchanged, lastSent: sentOver },
    { send: false, why: "unchanged" },
  ],
];

describe("decideNotification", () => {
  it.each(cases)("%s", (_name, input, expected) => {
    expect(decideNotification({ ...input, scanKey: SCAN })).toEqual({ kind: undefined, ...expected });
  });

  it("prefers the first-report reason over new findings", () => {
    const decision = decideNotification({
      mode: "changes",
      ...over,
      changes: { ...withNew, firstReport: true },
      lastSent: sentOver,
      scanKey: SCAN,
    });
    expect(decision.why).toBe("first-report");
  });
});

describe("decideNotification: a KEV escalation (findings now known exploited)", () => {
  const escalationKey = `${SCAN}#kev:CVE-2021-44228`;
  const nowExploited: ReportChanges = {
    ...unchanged,
    nowKnownExploited: [finding("CVE-2021-44228", "CRITICAL")],
  };
  const decide = (input: Omit<NotificationInput, "scanKey">, scanKey = escalationKey) =>
    decideNotification({ ...input, scanKey });

  it("sends in changes mode what would otherwise be held as unchanged", () => {
    expect(decide({ mode: "changes", ...over, changes: nowExploited, lastSent: sentOver })).toEqual({
      send: true,
      kind: "report",
      why: "now-known-exploited",
    });
    // The same report without the escalation's findings is held: the reason is the escalation, nothing else.
    expect(decide({ mode: "changes", ...over, changes: unchanged, lastSent: sentOver }).why).toBe(
      "unchanged",
    );
  });

  it("says why, even to a reporter never sent the reference and beside new findings", () => {
    expect(decide({ mode: "changes", ...over, changes: nowExploited }).why).toBe("now-known-exploited");
    const both = { ...nowExploited, newFindings: [finding("CVE-NEW", "HIGH")] };
    expect(decide({ mode: "changes", ...over, changes: both, lastSent: sentOver }).why).toBe(
      "now-known-exploited",
    );
  });

  it("sends in always mode as before", () => {
    expect(decide({ mode: "always", ...over, changes: nowExploited, lastSent: sentOver })).toEqual({
      send: true,
      kind: "report",
      why: "always",
    });
  });

  it("holds, in both modes, an escalation whose CVE ids the last report sent already showed as known exploited", () => {
    const shownKev: LastSent = { ...sentOver, kevIds: ["CVE-2021-44228", "CVE-2026-0002"] };
    for (const mode of ["changes", "always"] as const) {
      expect(decide({ mode, ...over, changes: nowExploited, lastSent: shownKev })).toEqual({
        send: false,
        kind: undefined,
        why: "already-known-exploited",
      });
    }
    // One of its ids not shown yet, a send still pending, or no list at all: news.
    const two = {
      ...nowExploited,
      nowKnownExploited: [finding("CVE-2021-44228", "CRITICAL"), finding("CVE-2026-0003", "HIGH")],
    };
    expect(decide({ mode: "changes", ...over, changes: two, lastSent: shownKev }).why).toBe(
      "now-known-exploited",
    );
    expect(
      decide({ mode: "changes", ...over, changes: nowExploited, lastSent: { ...shownKev, state: "pending" } })
        .why,
    ).toBe("now-known-exploited");
    expect(decide({ mode: "changes", ...over, changes: nowExploited, lastSent: sentOver }).why).toBe(
      "now-known-exploited",
    );
  });

  it("compares CVE ids whatever their case", () => {
    expect(alreadyShownAsKev([{ id: "cve-2021-44228" }], { ...sentOver, kevIds: ["CVE-2021-44228"] })).toBe(
      true,
    );
    expect(alreadyShownAsKev([{ id: "CVE-2021-44228" }], undefined)).toBe(false);
  });

  it("holds the same escalation sent already (its own send key), in both modes", () => {
    const sentEscalation: LastSent = { scanKey: escalationKey, over: true, state: "sent" };
    for (const mode of ["changes", "always"] as const) {
      expect(decide({ mode, ...over, changes: nowExploited, lastSent: sentEscalation }).why).toBe(
        "duplicate-scan",
      );
    }
    // The scan itself sent (its key is the scan key alone) does not hold its escalation.
    const sentScan: LastSent = { scanKey: SCAN, over: true, state: "sent" };
    expect(decide({ mode: "changes", ...over, changes: nowExploited, lastSent: sentScan }).send).toBe(true);
  });

  it("never makes a report due: not due is held as before", () => {
    expect(decide({ mode: "changes", ...within, changes: nowExploited, lastSent: sentWithin })).toEqual({
      send: false,
      kind: undefined,
      why: "not-due",
    });
  });

  it("an empty list is no escalation", () => {
    const none = { ...unchanged, nowKnownExploited: [] };
    expect(decide({ mode: "changes", ...over, changes: none, lastSent: sentOver }).why).toBe("unchanged");
  });
});
