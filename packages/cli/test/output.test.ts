// What the CLI prints on a terminal and in a pipe: tables that fit the terminal's width, the plan's DETAIL column,
// summaries kept off stdout in a pipe, and no EMF metric lines unless --debug.
import type { ImageDetail, RepositoryPlan } from "@ecr-scan-reporter/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { decisionDetail, printPlan, type RegistryPlan } from "../src/commands/plan.js";
import { ageText, fitColumnWidths, printTable, renderTable, wrapText, writeSummary } from "../src/output.js";
import { cliRawLineWriter, createCliReporterDeps } from "../src/reporter-deps.js";

const NOW = new Date("2026-12-01T12:00:00.000Z");
const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000);
const LONG_REPOSITORY = "platform-team/payments/settlement-reconciliation-worker-service";

/** Captures stdout and stderr, and makes stdout a terminal of `columns` (or a pipe) for the test. */
function capture(terminal: { columns: number } | "pipe") {
  const out = { stdout: "", stderr: "" };
  const saved = { isTTY: process.stdout.isTTY, columns: process.stdout.columns };
  Object.assign(
    process.stdout,
    terminal === "pipe" ? { isTTY: false } : { isTTY: true, columns: terminal.columns },
  );
  vi.stubEnv("CI", "");
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out.stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    out.stderr += String(chunk);
    return true;
  });
  return {
    out,
    restore: () => {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
      Object.assign(process.stdout, saved);
    },
  };
}

function image(repositoryName: string, tags: string[]): ImageDetail {
  return {
    registryId: "123456789012",
    repositoryName,
    imageDigest: `sha256:${"ab".repeat(32)}`,
    imageTags: tags,
  } as ImageDetail;
}

/** A registry of one repository with a long name: an expired image, a never-scanned one, a fresh one. */
function samplePlan(): RegistryPlan {
  const decisions: RepositoryPlan["decisions"] = [
    {
      image: image(LONG_REPOSITORY, ["v2.14.1", "release-2026-11-23"]),
      decision: { action: "scan", reason: "expired", priority: 1, lastScannedAt: daysAgo(9) },
    },
    {
      image: image(LONG_REPOSITORY, ["v3"]),
      decision: { action: "scan", reason: "never-scanned", priority: 0 },
    },
    {
      image: image(LONG_REPOSITORY, ["v1"]),
      decision: { action: "skip", reason: "fresh", detail: "scanned 2026-11-30T12:00:00.000Z" },
    },
  ];
  return {
    scanType: "BASIC",
    plans: [
      { repositoryName: LONG_REPOSITORY, found: 3, decisions, toScan: [] } as unknown as RepositoryPlan,
    ],
  };
}

describe("wrapText", () => {
  it("wraps at spaces, and cuts a long word after a separator, keeping every character", () => {
    expect(wrapText("expired, last scan 9 days ago", 12)).toBe("expired,\nlast scan 9\ndays ago");
    const wrapped = wrapText(LONG_REPOSITORY, 20);
    expect(wrapped.split("\n").every((line) => line.length <= 20)).toBe(true);
    expect(wrapped.replaceAll("\n", "")).toBe(LONG_REPOSITORY);
    expect(wrapped.split("\n")[0]).toBe("platform-team/");
    // No separator in reach: cut at the width.
    expect(wrapText("abcdefghij", 4)).toBe("abcd\nefgh\nij");
  });
});

describe("fitColumnWidths", () => {
  it("keeps natural widths that fit, and narrows the widest columns first when they do not", () => {
    expect(fitColumnWidths([10, 20, 8], [6, 6, 6], 80)).toEqual([10, 20, 8]);
    // 4 borders + 60 of content: the 50 gives way to 34, the others keep theirs.
    expect(fitColumnWidths([10, 50, 16], [6, 6, 6], 64)).toEqual([10, 34, 16]);
    // Two wide columns share the room left.
    expect(fitColumnWidths([40, 40, 8], [6, 6, 6], 52)).toEqual([20, 20, 8]);
    // Never below the minimum, even when that cannot fit.
    expect(fitColumnWidths([40, 40], [12, 12], 10)).toEqual([12, 12]);
  });
});

describe("renderTable", () => {
  it.each([60, 80, 120])(
    "fits a terminal of %i columns, wrapping long cells without losing text",
    (width) => {
      const rows = [
        [LONG_REPOSITORY, "v2.14.1,release-2026-11-23", "scan", "expired", "last scan 9 days ago"],
      ];
      const text = renderTable(["REPOSITORY", "IMAGE", "DECISION", "REASON", "DETAIL"], rows, width);
      const lines = text.split("\n");
      expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(width);
      const cells = lines.map((line) => line.split("│").map((cell) => cell.trim()));
      // The repository's pieces, read down its column, give its whole name back.
      const repository = cells
        .slice(3, -1)
        .map((c) => c[1])
        .join("");
      expect(repository).toBe(LONG_REPOSITORY);
    },
  );
});

describe("printTable", () => {
  it("prints tab-separated lines in a pipe, whatever their length", () => {
    const written: string[] = [];
    printTable(["A", "B"], [[LONG_REPOSITORY, "x"]], (t) => written.push(t), {
      interactive: false,
      columns: 20,
    });
    expect(written).toEqual(["A\tB\n", `${LONG_REPOSITORY}\tx\n`]);
  });
});

describe("ageText and the plan's DETAIL", () => {
  it("says an age in its largest whole unit", () => {
    expect(ageText(45 * 60_000)).toBe("45 minutes ago");
    expect(ageText(60 * 60_000)).toBe("1 hour ago");
    expect(ageText(23 * 3_600_000)).toBe("23 hours ago");
    expect(ageText(86_400_000)).toBe("1 day ago");
    expect(ageText(9.5 * 86_400_000)).toBe("9 days ago");
    expect(ageText(-5)).toBe("0 minutes ago");
  });

  it("gives an expired row its last scan's age, a failed retry its failure's, a skip its detail", () => {
    expect(
      decisionDetail({ action: "scan", reason: "expired", priority: 1, lastScannedAt: daysAgo(9) }, NOW),
    ).toBe("last scan 9 days ago");
    expect(decisionDetail({ action: "scan", reason: "expired", priority: 1 }, NOW)).toBe(
      "last scan time unknown",
    );
    expect(
      decisionDetail({ action: "scan", reason: "retry-failed", priority: 2, lastScannedAt: daysAgo(2) }, NOW),
    ).toBe("failed 2 days ago");
    expect(decisionDetail({ action: "scan", reason: "never-scanned", priority: 0 }, NOW)).toBe("");
    expect(decisionDetail({ action: "skip", reason: "in-progress" }, NOW)).toBe("");
    expect(
      decisionDetail({ action: "skip", reason: "unsupported", detail: "UnsupportedImageError" }, NOW),
    ).toBe("UnsupportedImageError");
  });
});

describe("printPlan", () => {
  let io: ReturnType<typeof capture>;
  afterEach(() => io.restore());

  it("on a terminal: a table that fits its width, the expired row's age, the summary after it", () => {
    io = capture({ columns: 72 });
    printPlan(samplePlan(), false, NOW);
    const lines = io.out.stdout.trimEnd().split("\n");
    // The table's lines; the summary after it is prose, which the terminal wraps.
    expect(Math.max(...lines.slice(0, -1).map((line) => line.length))).toBeLessThanOrEqual(72);
    // The first row's lines, up to the rule under it: its REASON and DETAIL cells, read down their columns.
    const firstRow = lines.slice(
      3,
      lines.findIndex((line, i) => i > 3 && line.startsWith("├")),
    );
    const cell = (column: number) =>
      firstRow
        .map((line) => line.split("│")[column]?.trim())
        .filter(Boolean)
        .join(" ");
    expect(cell(4)).toBe("expired");
    expect(cell(5)).toBe("last scan 9 days ago");
    expect(lines.at(-1)).toBe(
      "1 repositories, 3 images (registry scan type BASIC): scan:expired 1, scan:never-scanned 1, skip:fresh 1",
    );
    expect(io.out.stderr).toBe("");
  });

  it("in a pipe: only the rows on stdout, the summary on stderr", () => {
    io = capture("pipe");
    printPlan(samplePlan(), false, NOW);
    expect(io.out.stdout.split("\n")[1]).toBe(
      `${LONG_REPOSITORY}\tv2.14.1,release-2026-11-23\tscan\texpired\tlast scan 9 days ago`,
    );
    expect(io.out.stdout).not.toContain("repositories,");
    expect(io.out.stderr).toBe(
      "1 repositories, 3 images (registry scan type BASIC): scan:expired 1, scan:never-scanned 1, skip:fresh 1\n",
    );
  });

  it("with --json: the plan, with the last scan time of each scan, and nothing else", () => {
    io = capture("pipe");
    printPlan(samplePlan(), true, NOW);
    const plan = JSON.parse(io.out.stdout);
    expect(plan.repositories[0].images[0]).toMatchObject({
      reason: "expired",
      lastScannedAt: daysAgo(9).toISOString(),
    });
    expect(io.out.stderr).toBe("");
  });
});

describe("writeSummary", () => {
  let io: ReturnType<typeof capture>;
  beforeEach(() => {
    io = capture("pipe");
  });
  afterEach(() => io.restore());

  it("writes to stdout at a terminal and to stderr in a pipe, one line", () => {
    writeSummary("done", true);
    writeSummary("done\n", false);
    expect(io.out).toEqual({ stdout: "done\n", stderr: "done\n" });
  });
});

describe("reporters' raw lines (EMF) in the CLI", () => {
  it("are dropped unless --debug, and then go to stderr", () => {
    const written: string[] = [];
    cliRawLineWriter(false, (t) => written.push(t))('{"_aws":{}}');
    expect(written).toEqual([]);
    cliRawLineWriter(true, (t) => written.push(t))('{"_aws":{}}');
    expect(written).toEqual(['{"_aws":{}}\n']);
  });

  it("reach neither stdout nor stderr through the reporters' deps without --debug", () => {
    const io = capture({ columns: 80 });
    try {
      createCliReporterDeps({}).writeLine('{"_aws":{"CloudWatchMetrics":[]}}');
      expect(io.out).toEqual({ stdout: "", stderr: "" });
      createCliReporterDeps({ debug: true }).writeLine('{"_aws":{"CloudWatchMetrics":[]}}');
      expect(io.out).toEqual({ stdout: "", stderr: '{"_aws":{"CloudWatchMetrics":[]}}\n' });
    } finally {
      io.restore();
    }
  });
});
