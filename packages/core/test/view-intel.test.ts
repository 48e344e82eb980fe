import { describe, expect, it } from "vitest";
import {
  changeLines,
  changesShort,
  digestKevHeadline,
  epssText,
  escalationText,
  exploitText,
  feedDay,
  fixNoteText,
  intelBadges,
  intelCounts,
  intelNote,
  isExploitable,
  isKnownRansomwareUse,
  isOverdue,
  kevBadge,
  kevCountText,
  kevDueText,
  requiredActionText,
} from "../src/index.js";
import {
  escalatedReport,
  exploitAwareReport,
  hostileIntelReport,
  intelUnavailableReport,
  sampleDigest,
} from "../src/testing/index.js";

const NOW = new Date("2026-11-28T06:15:00Z");

describe("KEV wording", () => {
  it("calls a due date in the past overdue, and the due day itself still in time", () => {
    expect(isOverdue({ dueDate: "2021-12-24" }, NOW)).toBe(true);
    expect(isOverdue({ dueDate: "2027-01-05" }, NOW)).toBe(false);
    expect(isOverdue({ dueDate: "2026-11-28" }, NOW)).toBe(false);
    expect(isOverdue({ dueDate: "2026-11-27" }, NOW)).toBe(true);
    expect(isOverdue({}, NOW)).toBe(false);
    // Compared as days in UTC: late on the due day is still in time.
    expect(isOverdue({ dueDate: "2026-11-28" }, new Date("2026-11-28T23:59:59Z"))).toBe(false);
  });

  it("never trusts a date the feed wrote in another form", () => {
    expect(feedDay("2021-12-24")).toBe("2021-12-24");
    expect(feedDay(" 2021-12-24 ")).toBe("2021-12-24");
    expect(feedDay("<b>2021-12-24</b>")).toBe("");
    expect(feedDay("24/12/2021")).toBe("");
    expect(feedDay(undefined)).toBe("");
    expect(isOverdue({ dueDate: "0000<script>" }, NOW)).toBe(false);
    expect(kevBadge({ dateAdded: "2021-12-10", dueDate: "soon <!channel>" }, NOW)).toBe("KEV");
  });

  it("badges a KEV finding with its due date, overdue or not", () => {
    const [log4shell, rapidReset] = exploitAwareReport().findings;
    expect(kevBadge(log4shell?.kev ?? { dateAdded: "" }, NOW)).toBe("KEV, overdue since 2021-12-24");
    expect(kevBadge(rapidReset?.kev ?? { dateAdded: "" }, NOW)).toBe("KEV, due 2027-01-05");
    // The same finding, read once its due date has passed.
    expect(kevBadge(rapidReset?.kev ?? { dateAdded: "" }, new Date("2027-01-06T00:00:00Z"))).toBe(
      "KEV, overdue since 2027-01-05",
    );
    expect(kevBadge({ dateAdded: "2021-12-10" }, NOW)).toBe("KEV");
    expect(kevDueText({ dueDate: "2021-12-24", overdue: true })).toBe("overdue since 2021-12-24");
    expect(kevDueText({ dueDate: "2027-01-05", overdue: false })).toBe("due 2027-01-05");
    expect(kevDueText({ overdue: true })).toBe("");
  });

  it("flags known ransomware use only for CISA's 'Known', never echoing the feed's words", () => {
    expect(isKnownRansomwareUse({ knownRansomwareCampaignUse: "Known" })).toBe(true);
    expect(isKnownRansomwareUse({ knownRansomwareCampaignUse: " known " })).toBe(true);
    expect(isKnownRansomwareUse({ knownRansomwareCampaignUse: "Unknown" })).toBe(false);
    expect(isKnownRansomwareUse({ knownRansomwareCampaignUse: "<b>Known</b>" })).toBe(false);
    expect(isKnownRansomwareUse(undefined)).toBe(false);
  });

  it("gives the required action on one line, bounded, for each reporter to escape", () => {
    const hostile = hostileIntelReport().findings[0]?.kev;
    const action = requiredActionText(hostile);
    expect(action).not.toMatch(/[\r\n]/);
    expect(action).toContain("<script>"); // cleaned, not escaped: escaping is the target's
    expect(requiredActionText({ requiredAction: "x".repeat(1000) })).toHaveLength(300);
    expect(requiredActionText(undefined)).toBe("");
  });

  it("counts KEV findings by headline: known exploited, then how many are overdue", () => {
    expect(kevCountText(2, 1)).toBe("2 known exploited (KEV), 1 overdue");
    expect(kevCountText(1, 0)).toBe("1 known exploited (KEV)");
    expect(kevCountText(0, 0)).toBe("");
    expect(digestKevHeadline(sampleDigest().knownExploited)).toBe("2 known exploited (KEV), 1 overdue");
    expect(digestKevHeadline({ total: 0, overdue: 0, top: [] })).toBe(
      "No open finding is on CISA's KEV catalog",
    );
    expect(digestKevHeadline(undefined)).toBe("");
  });
});

describe("EPSS, exploit and fix wording", () => {
  it("writes EPSS as a percentage and its percentile, rounded down so 0.9999 is the 99th", () => {
    expect(epssText({ score: 0.94358, percentile: 0.9999, date: "2026-11-27" })).toBe(
      "EPSS 94 % (99th percentile)",
    );
    expect(epssText({ score: 0.81, percentile: 0.98, date: "" })).toBe("EPSS 81 % (98th percentile)");
    expect(epssText({ score: 0.01, percentile: 0.29, date: "" })).toBe("EPSS 1 % (29th percentile)");
    expect(epssText({ score: 0.0004, percentile: 0.01, date: "" })).toBe("EPSS <1 % (1st percentile)");
    expect(epssText({ score: 0, percentile: 0.02, date: "" })).toBe("EPSS 0 % (2nd percentile)");
    expect(epssText({ score: 0.5, percentile: 0.23, date: "" })).toBe("EPSS 50 % (23rd percentile)");
    expect(epssText({ score: 0.5, percentile: 0.11, date: "" })).toBe("EPSS 50 % (11th percentile)");
    expect(epssText({ score: 0.5, percentile: 0.12, date: "" })).toBe("EPSS 50 % (12th percentile)");
    expect(epssText({ score: 0.5, percentile: 0.13, date: "" })).toBe("EPSS 50 % (13th percentile)");
    expect(epssText({ score: 1, percentile: 1, date: "" })).toBe("EPSS 100 % (99th percentile)");
  });

  it("writes nothing for a score that is no probability, and no percentile that is none", () => {
    expect(epssText(undefined)).toBe("");
    expect(epssText({ score: Number.NaN, percentile: 0.5, date: "" })).toBe("");
    expect(epssText({ score: 1.5, percentile: 0.5, date: "" })).toBe("");
    expect(epssText({ score: -0.1, percentile: 0.5, date: "" })).toBe("");
    expect(epssText({ score: 0.2, percentile: 2, date: "" })).toBe("EPSS 20 %");
  });

  it("says exploit available only when Inspector says YES", () => {
    expect(exploitText({ exploitAvailable: "YES" })).toBe("exploit available");
    expect(exploitText({ exploitAvailable: "NO" })).toBe("");
    expect(exploitText({})).toBe("");
  });

  it("says fix available, partial fix or no fix from Inspector, else what the version tells", () => {
    expect(fixNoteText({ fixAvailable: "NO" }, "ENHANCED")).toBe("no fix");
    expect(fixNoteText({ fixAvailable: "PARTIAL", fixedInVersion: "1.2" }, "ENHANCED")).toBe("partial fix");
    expect(fixNoteText({ fixAvailable: "PARTIAL" }, "ENHANCED")).toBe("partial fix");
    expect(fixNoteText({ fixAvailable: "YES" }, "ENHANCED")).toBe("fix available");
    // A fixed-in version says it all.
    expect(fixNoteText({ fixAvailable: "YES", fixedInVersion: "2.17.1" }, "ENHANCED")).toBe("");
    expect(fixNoteText({ fixedInVersion: "2.17.1" }, "BASIC")).toBe("");
    expect(fixNoteText({ fixedInVersion: "  " }, "ENHANCED")).toBe("no fixed version yet");
    expect(fixNoteText({}, "BASIC")).toBe("fix unknown");
  });
});

describe("intelBadges", () => {
  it("lists a finding's badges most urgent first, the overdue KEV and ransomware use urgent", () => {
    const [log4shell, rapidReset, plain] = exploitAwareReport().findings;
    if (!log4shell || !rapidReset || !plain) throw new Error("the sample has three findings or more");
    expect(intelBadges(log4shell, NOW)).toEqual([
      { kind: "kev", text: "KEV, overdue since 2021-12-24", urgent: true },
      { kind: "ransomware", text: "known ransomware use", urgent: true },
      { kind: "exploit", text: "exploit available", urgent: false },
      { kind: "epss", text: "EPSS 94 % (99th percentile)", urgent: false },
    ]);
    expect(intelBadges(rapidReset, NOW)).toEqual([
      { kind: "kev", text: "KEV, due 2027-01-05", urgent: false },
      { kind: "epss", text: "EPSS 81 % (98th percentile)", urgent: false },
    ]);
    expect(intelBadges(plain, NOW).map((b) => b.kind)).toEqual(["epss"]);
    expect(intelBadges({ id: "CVE-1", severity: "LOW", title: "" }, NOW)).toEqual([]);
  });

  it("holds nothing of the feed's text in a hostile entry", () => {
    const [hostile] = hostileIntelReport().findings;
    if (!hostile) throw new Error("the hostile sample has a finding");
    const badges = intelBadges(hostile, NOW);
    expect(badges.map((b) => b.text)).toEqual([
      "KEV, overdue since 2021-12-24",
      "exploit available",
      "EPSS 94 % (99th percentile)",
    ]);
  });
});

describe("intelCounts", () => {
  it("counts KEV, overdue, ransomware and exploitable (KEV or an exploit available) findings", () => {
    expect(intelCounts(exploitAwareReport().findings, NOW)).toEqual({
      kev: 2,
      overdue: 1,
      knownRansomware: 1,
      exploitable: 2,
    });
    const exploitOnly = {
      id: "CVE-2",
      severity: "HIGH" as const,
      title: "",
      exploitAvailable: "YES" as const,
    };
    expect(isExploitable(exploitOnly)).toBe(true);
    expect(isExploitable({ exploitAvailable: "NO" })).toBe(false);
    expect(intelCounts([exploitOnly], NOW)).toEqual({
      kev: 0,
      overdue: 0,
      knownRansomware: 0,
      exploitable: 1,
    });
    expect(intelCounts([], NOW)).toEqual({ kev: 0, overdue: 0, knownRansomware: 0, exploitable: 0 });
  });
});

describe("escalationText", () => {
  it("says why an escalated report is due although within the thresholds", () => {
    expect(escalationText(escalatedReport().verdict)).toBe(
      "Due although within the thresholds: 1 finding on CISA's KEV catalog — CVE-2023-44487",
    );
  });

  it("counts each rule a finding matched, and names each id once", () => {
    expect(escalationText(exploitAwareReport().verdict)).toBe(
      "Escalated: 2 findings on CISA's KEV catalog, 1 with an exploit available, 2 with EPSS above the limit — CVE-2021-44228, CVE-2023-44487",
    );
    const twoPackages = {
      reason: "escalated" as const,
      escalations: [
        { id: "CVE-2024-1", packageName: "a", why: ["epss" as const] },
        { id: "CVE-2024-1", packageName: "b", why: ["epss" as const] },
      ],
    };
    expect(escalationText(twoPackages)).toBe(
      "Due although within the thresholds: 2 findings with EPSS above the limit — CVE-2024-1",
    );
  });

  it("names five ids, then how many more, each formatted for the target", () => {
    const escalations = Array.from({ length: 7 }, (_, i) => ({ id: `CVE-2024-${i}`, why: ["kev" as const] }));
    expect(escalationText({ reason: "escalated", escalations }, { formatId: (id) => `\`${id}\`` })).toBe(
      "Due although within the thresholds: 7 findings on CISA's KEV catalog — `CVE-2024-0`, `CVE-2024-1`, `CVE-2024-2`, `CVE-2024-3`, `CVE-2024-4` and 2 more",
    );
    expect(escalationText({ reason: "escalated", escalations }, { maxIds: 0 })).toBe(
      "Due although within the thresholds: 7 findings on CISA's KEV catalog",
    );
  });

  it("cleans ids to one bounded line before formatting them", () => {
    const text = escalationText({
      reason: "escalated",
      escalations: [{ id: `CVE-1\r\n${"x".repeat(200)}`, why: ["kev"] }],
    });
    const id = text.split(" — ")[1] ?? "";
    expect(id).toMatch(/^CVE-1 x+…$/);
    expect(Array.from(id)).toHaveLength(80);
  });

  it("says nothing without escalations", () => {
    expect(escalationText({ reason: "over-threshold" })).toBe("");
    expect(escalationText({ reason: "over-threshold", escalations: [] })).toBe("");
  });
});

describe("intelNote", () => {
  it("states the age of a source whose last cached copy was used, and why", () => {
    expect(intelNote(escalatedReport().intel)).toBe(
      "EPSS scores from 2026-11-26 (api.first.org answered 503)",
    );
  });

  it("says a source was unavailable, and says nothing of one turned off", () => {
    expect(intelNote(intelUnavailableReport().intel)).toBe(
      "KEV unavailable: www.cisa.gov did not answer within 5 s",
    );
  });

  it("joins both sources, and is empty when both are fresh, off, or intel was not looked up", () => {
    expect(
      intelNote({
        kev: { state: "stale", asOf: "2026-11-27T06:00:00Z", reason: "HTTP 500" },
        epss: { state: "unavailable", reason: "timeout\r\nafter 5 s" },
      }),
    ).toBe("KEV catalog from 2026-11-27 (HTTP 500); EPSS unavailable: timeout after 5 s");
    expect(intelNote(exploitAwareReport().intel)).toBe("");
    expect(intelNote({ kev: { state: "off" }, epss: { state: "off" } })).toBe("");
    expect(intelNote(undefined)).toBe("");
  });
});

describe("the change wording of a KEV addition", () => {
  it("tells the findings now known exploited first, before new, raised and fixed", () => {
    const report = escalatedReport();
    const [finding] = report.findings;
    if (!finding) throw new Error("the escalated sample has a finding");
    const withChanges = {
      ...report,
      changes: {
        firstReport: false,
        previousScanAt: "2026-11-23T06:00:00.000Z",
        newFindings: [{ ...finding, id: "CVE-2026-1111" }],
        fixedFindings: [],
        severityRaised: [],
        nowKnownExploited: [finding, { ...finding, packageName: "other" }],
      },
    };
    expect(changeLines(withChanges, { formatId: (id) => `\`${id}\`` })).toEqual([
      { kind: "known-exploited", text: "1 now known exploited since 2026-11-23: `CVE-2023-44487`" },
      { kind: "new", text: "1 new: `CVE-2026-1111`" },
    ]);
    expect(changesShort(withChanges)).toBe("1 now known exploited, 1 new");
    const onlyKev = { ...withChanges, changes: { ...withChanges.changes, newFindings: [] } };
    expect(changesShort(onlyKev)).toBe("1 now known exploited");
    const none = {
      ...withChanges,
      changes: { ...withChanges.changes, newFindings: [], nowKnownExploited: [] },
    };
    expect(changeLines(none)).toEqual([{ kind: "unchanged", text: "No change since 2026-11-23" }]);
  });
});
