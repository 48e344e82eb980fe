import type { Digest, DigestPeriod } from "../digest/model.js";
import { emptySeverityCounts, SEVERITIES, type Severity, type SeverityCounts } from "../model.js";

// Wording and self-check digests every reporter's digest shares, so that "Weekly", "−1" and "60 days" read the same
// in Slack, e-mail, SNS and GitHub.

const DAY_MS = 86_400_000;

/** `Weekly`, `Daily`, `Monthly` or `10-day`: the period's length in words, from its start and end. */
export function digestPeriodName(period: Pick<DigestPeriod, "start" | "end">): string {
  const days = Math.round((Date.parse(period.end) - Date.parse(period.start)) / DAY_MS);
  if (!Number.isFinite(days) || days <= 0) return "Periodic";
  if (days === 1) return "Daily";
  if (days === 7) return "Weekly";
  if (days >= 28 && days <= 31) return "Monthly";
  return `${days}-day`;
}

/** The change of a count since the previous digest: `+2`, `−1` (a real minus sign), `±0`. */
export function formatDelta(now: number, previous: number): string {
  const delta = now - previous;
  if (delta === 0) return "±0";
  return delta > 0 ? `+${delta}` : `\u2212${-delta}`;
}

/** The severities a digest always shows, even at 0; less severe ones only when they had findings. */
const ALWAYS_SHOWN: readonly Severity[] = ["CRITICAL", "HIGH", "MEDIUM", "LOW"];

/** The severities a digest shows: at or above the route's minSeverity; below LOW only when they had findings. */
export function shownSeverities(
  counts: SeverityCounts,
  previous: SeverityCounts | undefined,
  minSeverity: Severity | undefined,
): Severity[] {
  return SEVERITIES.filter((severity) => {
    if (minSeverity && SEVERITIES.indexOf(severity) > SEVERITIES.indexOf(minSeverity)) return false;
    return ALWAYS_SHOWN.includes(severity) || counts[severity] > 0 || (previous?.[severity] ?? 0) > 0;
  });
}

/** `today`, `1 day`, `60 days`: how long a finding has been open. */
export function formatAge(days: number): string {
  if (!Number.isFinite(days) || days < 1) return "today";
  const whole = Math.floor(days);
  return whole === 1 ? "1 day" : `${whole} days`;
}

const ACCOUNT = "123456789012";
const CONSOLE = "https://eu-west-1.console.aws.amazon.com/ecr/";

/**
 * Two small digests to render every digest template with at cold start, so a broken override fails then, naming
 * the template: one with every part filled (an image over the thresholds, new and fixed findings, a partial log,
 * known exploited findings, a stale intel source, coverage) and one of an empty ledger.
 */
export function templateCheckDigests(reporterId: string): Digest[] {
  const counts = { ...emptySeverityCounts(), CRITICAL: 1, HIGH: 2 };
  const change = {
    id: "CVE-0000-0000",
    severity: "CRITICAL" as const,
    package: "pkg",
    version: "1.0",
    fixedIn: "1.1",
    references: ["self-check:latest"],
    referenceCount: 2,
  };
  const full: Digest = {
    account: ACCOUNT,
    region: "eu-west-1",
    period: {
      key: "2026-01-08T08:00Z",
      start: "2026-01-01T08:00:00.000Z",
      end: "2026-01-08T08:00:00.000Z",
      previousDigestAt: "2026-01-01T08:00:00.000Z",
    },
    route: { reporterId, repositories: "^self-check", minSeverity: "HIGH", accounts: ["self-check"] },
    // The multi-account parts too ([8/8]), so an override that breaks on them fails at cold start.
    accounts: [
      {
        account: ACCOUNT,
        accountName: "self-check",
        counts,
        images: 2,
        imagesWithFindings: 1,
        imagesUnknown: 1,
        overThresholds: 1,
      },
    ],
    emptyLedger: false,
    open: { counts, previous: { ...counts, HIGH: 1 }, images: 2, imagesWithFindings: 1, imagesUnknown: 1 },
    overThresholds: {
      total: 2,
      top: [
        {
          registryId: ACCOUNT,
          accountName: "self-check",
          repository: "self-check",
          digest: `sha256:${"0".repeat(64)}`,
          tags: ["latest", "v1"],
          counts,
          exceeded: ["CRITICAL"],
          oldestOpen: { ...change, firstSeen: "2025-12-01T00:00:00.000Z", openDays: 38 },
          scannedAt: "2026-01-08T06:00:00.000Z",
          consoleUrl: CONSOLE,
        },
      ],
    },
    newFindings: { total: 2, top: [change], partial: true },
    fixedFindings: { total: 1, top: [{ ...change, severity: "HIGH" }] },
    knownExploited: {
      total: 2,
      overdue: 1,
      top: [
        {
          id: "CVE-0000-0000",
          severity: "CRITICAL",
          package: "pkg",
          dateAdded: "2025-01-01",
          dueDate: "2025-01-22",
          overdue: true,
          knownRansomware: true,
          references: ["self-check:latest"],
          referenceCount: 2,
        },
      ],
    },
    intel: {
      kev: { state: "fresh", asOf: "2026-01-08T06:00:00.000Z" },
      epss: { state: "stale", asOf: "2026-01-06T06:00:00.000Z", reason: "self-check" },
    },
    coverage: {
      runAt: "2026-01-08T02:00:00.000Z",
      repositories: 1,
      images: 3,
      scanned: 1,
      stale: 1,
      neverScanned: 0,
      unsupported: 0,
      notImages: 1,
      notInUse: 0,
      archived: 0,
      enhanced: 1,
      repositoriesWithoutRun: 1,
    },
    consoleUrl: CONSOLE,
  };
  const { coverage: _none, knownExploited: _noKev, ...withoutCoverage } = full;
  const empty: Digest = {
    ...withoutCoverage,
    emptyLedger: true,
    open: { counts: emptySeverityCounts(), images: 0, imagesWithFindings: 0, imagesUnknown: 0 },
    overThresholds: { total: 0, top: [] },
    newFindings: { total: 0, top: [] },
    fixedFindings: { total: 0, top: [] },
  };
  return [full, empty];
}
