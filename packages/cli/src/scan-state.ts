import { cleanText, isContainerImage, truncateText } from "@ecr-scan-reporter/core";
import { formatDuration, parseDuration } from "@ecr-scan-reporter/core/config";
import { UsageError } from "./usage-error.js";

// Whether `report` has a scan to judge. Only a COMPLETE basic scan, or an ACTIVE enhanced one (Amazon Inspector's
// continuous scanning), carries findings that say something about the image: every other state has none, and a CI
// gate that read "no findings" there would pass an image nobody checked. ECR's states, valid values of
// ImageScanStatus: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageScanStatus.html

/** The image's last scan as DescribeImageScanFindings tells it: none at all (ScanNotFoundException), or a status. */
export type ScanRead = { kind: "never" } | { kind: "scanned"; status?: string; description?: string };

/** Why an image's findings cannot be judged; `complete` when they can. */
export type ScanState =
  | { kind: "complete"; status: string }
  /** A signature, SBOM, Helm chart… or an image index: ECR scans none of them. */
  | { kind: "not-an-image"; mediaType?: string; index: boolean }
  | { kind: "archived"; imageStatus: string }
  | { kind: "never-scanned" }
  /** IN_PROGRESS (basic) or PENDING (Amazon Inspector's first scan): worth waiting for. */
  | { kind: "running"; status: string; description?: string }
  /** `--wait` gave up: the scan was still running when the timeout passed. */
  | { kind: "timed-out"; status: string; timeoutMs: number }
  | { kind: "failed"; description?: string }
  /** A state that will not turn COMPLETE by waiting (UNSUPPORTED_IMAGE, SCAN_ELIGIBILITY_EXPIRED…) or unknown. */
  | { kind: "not-scanned"; status: string; description?: string };

export type IncompleteScan = Exclude<ScanState, { kind: "complete" }>;

/** Statuses whose findings are the image's: a finished basic scan, Amazon Inspector's continuous scanning. */
const COMPLETE_STATUSES = new Set(["COMPLETE", "ACTIVE"]);
/** Statuses that end by themselves: a basic scan running, Amazon Inspector's initial scan not done yet. */
const RUNNING_STATUSES = new Set(["IN_PROGRESS", "PENDING"]);

/** ECR's text (untrusted) on one line and bounded, for a terminal line or a CI log. */
function awsText(text: string | undefined): string {
  return truncateText(cleanText(text ?? "", { singleLine: true }).trim(), 300);
}

/**
 * What DescribeImages alone says: an artifact that is not an image, or an image in the archive storage class
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/archive-image.html), has no scan to read. Undefined
 * when the scan must be read.
 */
export function screenReportedImage(image: {
  artifactMediaType?: string;
  imageManifestMediaType?: string;
  imageStatus?: string;
}): IncompleteScan | undefined {
  if (image.imageStatus && image.imageStatus !== "ACTIVE") {
    return { kind: "archived", imageStatus: image.imageStatus };
  }
  if (!isContainerImage(image)) {
    const index = /manifest\.list|image\.index/.test(image.imageManifestMediaType ?? "");
    return {
      kind: "not-an-image",
      mediaType: index
        ? image.imageManifestMediaType
        : (image.artifactMediaType ?? image.imageManifestMediaType),
      index,
    };
  }
  return undefined;
}

/** The state of a scan read from ECR: complete, running, failed, never scanned, or another state with no findings. */
export function scanStateOf(read: ScanRead): ScanState {
  if (read.kind === "never") return { kind: "never-scanned" };
  const { status, description } = read;
  if (status && COMPLETE_STATUSES.has(status)) return { kind: "complete", status };
  if (status && RUNNING_STATUSES.has(status)) return { kind: "running", status, description };
  if (status === "FAILED") return { kind: "failed", description };
  // An absent status is not taken for COMPLETE: nothing says the image was checked.
  return { kind: "not-scanned", status: status ?? "no status", description };
}

/** What each state that stays not scanned means, in words a reader acts on; ECR's description follows. */
const NOT_SCANNED_MEANING: Readonly<Record<string, string>> = {
  UNSUPPORTED_IMAGE: "ECR cannot scan this image's operating system or packages",
  // Amazon Inspector's ScanStatus reason: "The configured scan duration has lapsed for this image."
  // https://docs.aws.amazon.com/inspector/v2/APIReference/API_ScanStatus.html
  SCAN_ELIGIBILITY_EXPIRED:
    "Amazon Inspector's scan duration for this image has lapsed: it is no longer monitored",
  FINDINGS_UNAVAILABLE: "ECR has no findings to give for this image",
  LIMIT_EXCEEDED: "ECR's scan quota was exceeded, so the image was not scanned",
  IMAGE_ARCHIVED: "the image is archived; restore it to scan it",
};

/**
 * One line saying why the image's findings are not judged, in the wording CI logs and the docs use: `scan not
 * complete (IN_PROGRESS): …`, `scan failed: <ECR's description>`, `not an image: …`, `never scanned: run … first`.
 * ECR's texts are cleaned to one line; the caller escapes the line for anything but a terminal.
 */
export function incompleteScanMessage(state: IncompleteScan, repository: string): string {
  switch (state.kind) {
    case "not-an-image":
      return state.index
        ? `not an image: an image index (${awsText(state.mediaType)}) lists platform images, each scanned on its own: report one of them by digest`
        : `not an image: signatures and charts are never scanned (artifact type ${awsText(state.mediaType) || "unknown"})`;
    case "archived":
      return `scan not complete (IMAGE_ARCHIVED): the image is in ECR's archive storage class (image status ${awsText(state.imageStatus)}): restore it, then scan it`;
    case "never-scanned":
      return `never scanned: run \`ecr-scan-reporter scan ${repository}\` first`;
    case "running": {
      const said = awsText(state.description);
      return `scan not complete (${awsText(state.status)}): the scan has not finished${said ? ` (${said})` : ""}; pass --wait to wait for it`;
    }
    case "timed-out":
      return `scan still ${awsText(state.status)} after ${formatDuration(state.timeoutMs)}: run report again later, or raise --wait-timeout`;
    case "failed":
      return `scan failed: ${awsText(state.description) || "ECR gave no reason"}`;
    case "not-scanned": {
      const status = awsText(state.status);
      const meaning = NOT_SCANNED_MEANING[state.status] ?? "a scan status this version does not know";
      const said = awsText(state.description);
      return `scan not complete (${status}): ${meaning}${said ? ` (ECR: ${said})` : ""}`;
    }
  }
}

/**
 * How often `--wait` reads the scan's status: every 5 seconds, as ECR's own ImageScanComplete waiter polls
 * DescribeImageScanFindings (https://docs.aws.amazon.com/cli/latest/reference/ecr/wait/image-scan-complete.html).
 */
export const SCAN_POLL_INTERVAL_MS = 5_000;
/** `--wait-timeout` when not given. */
export const DEFAULT_WAIT_TIMEOUT = "10m";
/** The longest `--wait-timeout`: a CI job waiting longer for one scan is better off running again later. */
export const MAX_WAIT_TIMEOUT_MS = 3_600_000;

/** `--wait-timeout` in milliseconds: a duration like `10m` or `1h` (the config's parser), 1m to 1h. */
export function parseWaitTimeout(text: string = DEFAULT_WAIT_TIMEOUT): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new UsageError(`--wait-timeout "${text}" is not a duration like 10m or 1h.`);
  }
  if (ms < 60_000 || ms > MAX_WAIT_TIMEOUT_MS) {
    throw new UsageError(
      `--wait-timeout ${text}: give between 1m and ${formatDuration(MAX_WAIT_TIMEOUT_MS)}.`,
    );
  }
  return ms;
}

export interface WaitForScanOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called once, when the scan is first seen running (to say that the command is waiting, and for what). */
  onWait?: (status: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads the scan until it is no longer running, or the timeout passes: the last read and its state (`timed-out`
 * when the scan was still running at the deadline). Never sleeps past the deadline, and reads once more at it, so a scan that finishes in the last
 * interval still counts.
 */
export async function waitForScan(
  read: () => Promise<ScanRead>,
  options: WaitForScanOptions,
): Promise<{ read: ScanRead; state: ScanState }> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? sleepFor;
  const interval = options.intervalMs ?? SCAN_POLL_INTERVAL_MS;
  const started = now();
  for (let reads = 1; ; reads += 1) {
    const last = await read();
    const state = scanStateOf(last);
    if (state.kind !== "running") return { read: last, state };
    if (reads === 1) options.onWait?.(state.status);
    const waited = now() - started;
    if (waited >= options.timeoutMs) {
      return { read: last, state: { kind: "timed-out", status: state.status, timeoutMs: options.timeoutMs } };
    }
    await sleep(Math.min(interval, options.timeoutMs - waited));
  }
}
