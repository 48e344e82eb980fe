import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Finding } from "@ecr-scan-reporter/core";
import { describe, expect, it } from "vitest";
import { imageFolder, prepareImageFolder } from "../src/report-folder.js";
import {
  incompleteScanMessage,
  parseWaitTimeout,
  type ScanRead,
  scanStateOf,
  screenReportedImage,
  waitForScan,
} from "../src/scan-state.js";
import { templatesFolder } from "../src/templates-option.js";
import { topFindingRows, topFindingsHeading } from "../src/top-findings.js";
import { UsageError } from "../src/usage-error.js";

const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";

describe("the state of an image's scan", () => {
  it("is complete only for COMPLETE (basic) and ACTIVE (Inspector's continuous scanning)", () => {
    expect(scanStateOf({ kind: "scanned", status: "COMPLETE" })).toEqual({
      kind: "complete",
      status: "COMPLETE",
    });
    expect(scanStateOf({ kind: "scanned", status: "ACTIVE" }).kind).toBe("complete");
    expect(scanStateOf({ kind: "scanned", status: "IN_PROGRESS" }).kind).toBe("running");
    expect(scanStateOf({ kind: "scanned", status: "PENDING" }).kind).toBe("running");
    expect(scanStateOf({ kind: "scanned", status: "FAILED", description: "x" })).toEqual({
      kind: "failed",
      description: "x",
    });
    for (const status of [
      "UNSUPPORTED_IMAGE",
      "SCAN_ELIGIBILITY_EXPIRED",
      "FINDINGS_UNAVAILABLE",
      "LIMIT_EXCEEDED",
      "IMAGE_ARCHIVED",
      "SOMETHING_NEW",
    ]) {
      expect(scanStateOf({ kind: "scanned", status })).toEqual({ kind: "not-scanned", status });
    }
    expect(scanStateOf({ kind: "never" })).toEqual({ kind: "never-scanned" });
  });

  it("is never taken for complete when ECR gives no status", () => {
    expect(scanStateOf({ kind: "scanned" })).toEqual({ kind: "not-scanned", status: "no status" });
  });

  it("is settled by DescribeImages for an artifact, an image index and an archived image", () => {
    const image = { imageManifestMediaType: DOCKER_MANIFEST, artifactMediaType: DOCKER_CONFIG };
    expect(screenReportedImage(image)).toBeUndefined();
    expect(screenReportedImage({ ...image, imageStatus: "ACTIVE" })).toBeUndefined();
    // An image pushed before ECR recorded artifact types is still an image.
    expect(screenReportedImage({ imageManifestMediaType: DOCKER_MANIFEST })).toBeUndefined();
    const signature = "application/vnd.dev.cosign.artifact.sig.v1+json";
    expect(screenReportedImage({ ...image, artifactMediaType: signature })).toEqual({
      kind: "not-an-image",
      mediaType: signature,
      index: false,
    });
    const chart = "application/vnd.cncf.helm.config.v1+json";
    expect(screenReportedImage({ ...image, artifactMediaType: chart })).toMatchObject({ mediaType: chart });
    const index = "application/vnd.oci.image.index.v1+json";
    expect(screenReportedImage({ imageManifestMediaType: index })).toEqual({
      kind: "not-an-image",
      mediaType: index,
      index: true,
    });
    expect(screenReportedImage({ ...image, imageStatus: "ARCHIVED" })).toEqual({
      kind: "archived",
      imageStatus: "ARCHIVED",
    });
  });
});

describe("what report says of an image whose findings cannot be judged", () => {
  const say = (read: ScanRead) => {
    const state = scanStateOf(read);
    if (state.kind === "complete") throw new Error("complete");
    return incompleteScanMessage(state, "team-a/api");
  };

  it("names the status and how to wait for a running scan", () => {
    expect(say({ kind: "scanned", status: "IN_PROGRESS" })).toBe(
      "scan not complete (IN_PROGRESS): the scan has not finished; pass --wait to wait for it",
    );
  });

  it("gives ECR's description of a failure, on one line and without control characters", () => {
    expect(say({ kind: "scanned", status: "FAILED", description: "Unable to\nretrieve\u202e layer" })).toBe(
      "scan failed: Unable to retrieve layer",
    );
    expect(say({ kind: "scanned", status: "FAILED" })).toBe("scan failed: ECR gave no reason");
  });

  it("says what each state that waiting will not change means", () => {
    expect(
      say({
        kind: "scanned",
        status: "UNSUPPORTED_IMAGE",
        description: "The operating system and/or package manager are not supported.",
      }),
    ).toBe(
      "scan not complete (UNSUPPORTED_IMAGE): ECR cannot scan this image's operating system or packages (ECR: The operating system and/or package manager are not supported.)",
    );
    expect(say({ kind: "scanned", status: "SCAN_ELIGIBILITY_EXPIRED" })).toMatch(
      /^scan not complete \(SCAN_ELIGIBILITY_EXPIRED\): Amazon Inspector's scan duration .* lapsed/,
    );
    expect(say({ kind: "scanned", status: "FINDINGS_UNAVAILABLE" })).toMatch(
      /^scan not complete \(FINDINGS_/,
    );
    expect(say({ kind: "scanned", status: "BRAND_NEW" })).toBe(
      "scan not complete (BRAND_NEW): a scan status this version does not know",
    );
  });

  it("tells how to scan a never-scanned image, and why an artifact has no scan", () => {
    expect(say({ kind: "never" })).toBe("never scanned: run `ecr-scan-reporter scan team-a/api` first");
    expect(
      incompleteScanMessage(
        { kind: "not-an-image", mediaType: "application/vnd.cncf.helm.config.v1+json", index: false },
        "x",
      ),
    ).toBe(
      "not an image: signatures and charts are never scanned (artifact type application/vnd.cncf.helm.config.v1+json)",
    );
    expect(
      incompleteScanMessage(
        { kind: "not-an-image", mediaType: "application/vnd.oci.image.index.v1+json", index: true },
        "x",
      ),
    ).toMatch(/^not an image: an image index .* report one of them by digest$/);
    expect(
      incompleteScanMessage({ kind: "timed-out", status: "IN_PROGRESS", timeoutMs: 600_000 }, "x"),
    ).toMatch(/^scan still IN_PROGRESS after 10m:/);
  });
});

describe("--wait", () => {
  /** A fake clock: sleeping moves it on, and every sleep is recorded. */
  function fakeClock() {
    let now = 0;
    const sleeps: number[] = [];
    return {
      sleeps,
      now: () => now,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    };
  }
  const reads = (...statuses: string[]) => {
    let i = 0;
    return async (): Promise<ScanRead> => ({
      kind: "scanned",
      status: statuses[Math.min(i++, statuses.length - 1)],
    });
  };

  it("reads every 5 seconds until the scan is no longer running, and says once that it waits", async () => {
    const clock = fakeClock();
    const waited: string[] = [];
    const { state } = await waitForScan(reads("PENDING", "IN_PROGRESS", "COMPLETE"), {
      timeoutMs: 600_000,
      ...clock,
      onWait: (status) => waited.push(status),
    });
    expect(state).toEqual({ kind: "complete", status: "COMPLETE" });
    expect(clock.sleeps).toEqual([5_000, 5_000]);
    expect(waited).toEqual(["PENDING"]);
  });

  it("gives up at the timeout, sleeping no further than it and reading once more there", async () => {
    const clock = fakeClock();
    let count = 0;
    const { state } = await waitForScan(
      async () => {
        count += 1;
        return { kind: "scanned", status: "IN_PROGRESS" };
      },
      { timeoutMs: 12_000, ...clock },
    );
    expect(state).toEqual({ kind: "timed-out", status: "IN_PROGRESS", timeoutMs: 12_000 });
    expect(clock.sleeps).toEqual([5_000, 5_000, 2_000]);
    expect(count).toBe(4);
  });

  it("does not wait for a scan that is not running: failed, never scanned", async () => {
    const clock = fakeClock();
    expect((await waitForScan(reads("FAILED"), { timeoutMs: 60_000, ...clock })).state.kind).toBe("failed");
    expect(
      (await waitForScan(async () => ({ kind: "never" }), { timeoutMs: 60_000, ...clock })).state.kind,
    ).toBe("never-scanned");
    expect(clock.sleeps).toEqual([]);
  });

  it("takes a timeout of 1m to 1h written as the configuration writes durations, 10m by default", () => {
    expect(parseWaitTimeout()).toBe(600_000);
    expect(parseWaitTimeout("1m")).toBe(60_000);
    expect(parseWaitTimeout("1h")).toBe(3_600_000);
    expect(() => parseWaitTimeout("10 minutes")).toThrow(
      new UsageError('--wait-timeout "10 minutes" is not a duration like 10m or 1h.'),
    );
    expect(() => parseWaitTimeout("2h")).toThrow(UsageError);
    expect(() => parseWaitTimeout("0m")).toThrow(/between 1m and 1h/);
  });
});

describe("report --out folders", () => {
  const root = () => mkdtempSync(join(tmpdir(), "report-out-"));

  it("are one per image: repository, then @tag or @sha256-<hex>", () => {
    const out = root();
    expect(imageFolder(out, { repositoryName: "team-a/api", imageTag: "v1.2" })).toBe(
      join(out, "team-a", "api", "@v1.2"),
    );
    const digest = `sha256:${"ab".repeat(32)}`;
    expect(imageFolder(out, { repositoryName: "team-a/api", imageDigest: digest })).toBe(
      join(out, "team-a", "api", `@sha256-${"ab".repeat(32)}`),
    );
    // Under --account, one repository name in two accounts gets two folders, never another repository's.
    expect(imageFolder(out, { repositoryName: "team-a/api", imageTag: "v1.2" }, "222222222222")).toBe(
      join(out, "@222222222222", "team-a", "api", "@v1.2"),
    );
    // The tag `cache` of `app` and the repository `app/cache` never share a folder, nor nest.
    const tagFolder = imageFolder(out, { repositoryName: "app", imageTag: "cache" });
    const repoFolder = imageFolder(out, { repositoryName: "app/cache", imageTag: "latest" });
    expect(repoFolder.startsWith(`${tagFolder}/`)).toBe(false);
    expect(tagFolder).not.toBe(join(out, "app", "cache"));
  });

  it("are created when new and kept when empty", () => {
    const folder = join(root(), "team-a", "api", "@v1");
    expect(prepareImageFolder(folder)).toEqual({ replaced: false });
    expect(readdirSync(folder)).toEqual([]);
    expect(prepareImageFolder(folder)).toEqual({ replaced: false });
  });

  it("replace an earlier report of the image whole: none of its files is left", () => {
    const folder = join(root(), "@v1");
    mkdirSync(join(folder, "slack"), { recursive: true });
    writeFileSync(join(folder, "report.json"), "{}");
    writeFileSync(join(folder, "slack", "slack-message.json"), "{}");
    mkdirSync(join(folder, "removed-reporter"));
    expect(prepareImageFolder(folder)).toEqual({ replaced: true });
    expect(readdirSync(folder)).toEqual([]);

    writeFileSync(join(folder, "NOT-REPORTED.txt"), "never scanned");
    expect(prepareImageFolder(folder)).toEqual({ replaced: true });
    expect(readdirSync(folder)).toEqual([]);
  });

  it("refuse a folder holding anything else, and keep its files", () => {
    const folder = join(root(), "@v1");
    mkdirSync(folder);
    writeFileSync(join(folder, "notes.md"), "mine");
    expect(() => prepareImageFolder(folder)).toThrow(/holds files that are not an earlier report/);
    expect(readdirSync(folder)).toEqual(["notes.md"]);
    const file = join(root(), "a-file");
    writeFileSync(file, "x");
    expect(() => prepareImageFolder(file)).toThrow(UsageError);
    expect(() => prepareImageFolder(join(file, "team-a", "@v1"))).toThrow(/cannot create/);
    expect(existsSync(file)).toBe(true);
  });
});

describe("the top findings on a terminal", () => {
  const finding = (id: string, extra: Partial<Finding> = {}): Finding => ({
    id,
    severity: "MEDIUM",
    title: id,
    ...extra,
  });

  it("come in urgency order, KEV first, at most 10, with package, fix and KEV / EPSS", () => {
    const findings = [
      ...Array.from({ length: 11 }, (_, i) => finding(`CVE-2024-${1000 + i}`, { severity: "CRITICAL" })),
      finding("CVE-2021-44228", {
        severity: "HIGH",
        packageName: "log4j-core",
        packageVersion: "2.14.1",
        fixedInVersion: "2.15.0",
        kev: { dateAdded: "2021-12-10", dueDate: "2021-12-24" },
        epss: { score: 0.94358, percentile: 0.9999, date: "2026-01-01" },
      }),
    ];
    const rows = topFindingRows({ findings, scanType: "BASIC" }, new Date("2026-01-02T00:00:00Z"));
    expect(rows).toHaveLength(10);
    expect(rows[0]).toEqual([
      "CVE-2021-44228",
      "HIGH",
      "log4j-core 2.14.1",
      "2.15.0",
      "KEV, overdue since 2021-12-24, EPSS 94 % (99th percentile)",
    ]);
    // Basic scanning never says whether a fix exists.
    expect(rows[1]).toEqual(["CVE-2024-1000", "CRITICAL", "", "fix unknown", ""]);
    expect(topFindingsHeading(findings.length)).toBe("top 10 of 12 findings, most urgent first:");
    expect(topFindingsHeading(3)).toBe("3 findings, most urgent first:");
  });

  it("show feed text on one line, and Inspector's fix status", () => {
    const rows = topFindingRows(
      {
        findings: [
          finding("CVE-2024-1", {
            packageName: "evil\npkg\u202e",
            packageVersion: "1.0",
            fixAvailable: "NO",
          }),
          finding("CVE-2024-2", { fixedInVersion: "2.0", fixAvailable: "PARTIAL" }),
        ],
        scanType: "ENHANCED",
      },
      new Date(),
    );
    expect(rows.map((row) => [row[2], row[3]])).toEqual([
      ["evil pkg 1.0", "no fix"],
      ["", "2.0 (partial fix)"],
    ]);
  });
});

describe("--templates", () => {
  it("must name a folder that exists", () => {
    const dir = mkdtempSync(join(tmpdir(), "templates-"));
    expect(templatesFolder(undefined)).toBeUndefined();
    expect(templatesFolder(".", dir)).toBe(dir);
    expect(() => templatesFolder("nope", dir)).toThrow(new UsageError("--templates nope: no such folder."));
    writeFileSync(join(dir, "a-file"), "");
    expect(() => templatesFolder("a-file", dir)).toThrow(UsageError);
  });
});
