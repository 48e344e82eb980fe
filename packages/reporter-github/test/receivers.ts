import type { ReporterDeps, ScanReport } from "@ecr-scan-reporter/core";
import { cleanReport, SAMPLE_FINDINGS, sampleReport } from "@ecr-scan-reporter/core/testing";
import { type GitHubReceiver, startGitHubReceiver } from "@ecr-scan-reporter/sandbox";
import { afterAll, beforeAll, beforeEach } from "vitest";
import {
  type ClientTuning,
  createGitHubReporter,
  type GitHubReporterOptionsInput,
  githubOptionsSchema,
} from "../src/index.js";
import { FAST, githubDeps, TOKEN, TOKEN_REF } from "./helpers.js";

// The GitHub receivers of a test file (a github.com-like one and a GitHub Enterprise Server one under /api/v3),
// started once and emptied before each test. Exported as live bindings: read them inside tests.
export let receiver: GitHubReceiver;
export let enterprise: GitHubReceiver;

/** Starts the receivers for the calling test file. */
export function useReceivers(): void {
  beforeAll(async () => {
    // A rate limit's second lasts as long as the FAST tuning's: a retry before the wait is over is a violation.
    const secondMs = FAST.retryBaseMs;
    receiver = await startGitHubReceiver({ token: TOKEN, validateResponses: true, secondMs });
    enterprise = await startGitHubReceiver({ token: TOKEN, pathPrefix: "/api/v3", secondMs });
  });
  afterAll(async () => {
    await receiver.close();
    await enterprise.close();
  });
  beforeEach(() => {
    receiver.reset();
    enterprise.reset();
  });
}

/** A reporter for acme/security on the receiver (options and deps override), with the test pacing. */
export function reporterFor(
  options: Partial<GitHubReporterOptionsInput> = {},
  deps: Partial<ReporterDeps> & { token?: string } = {},
  tuning: ClientTuning = FAST,
) {
  const parsed = githubOptionsSchema.parse({
    owner: "acme",
    repo: "security",
    token: TOKEN_REF,
    baseUrl: receiver.url,
    ...options,
  });
  const { deps: reporterDeps, logs } = githubDeps(deps);
  return { reporter: createGitHubReporter(parsed, reporterDeps, tuning), logs };
}

/** The same image (tag v1.4.2) with other findings: CVE-2024-3094 and CVE-2023-44487 stay, one is new. */
export function changedReport(): ScanReport {
  return sampleReport({
    findings: [
      SAMPLE_FINDINGS[0],
      {
        id: "CVE-2024-6387",
        severity: "HIGH",
        title: "CVE-2024-6387 - openssh",
        packageName: "openssh-server",
        packageVersion: "1:9.2p1-2",
        fixedInVersion: "1:9.2p1-2+deb12u3",
        cvssScore: 8.1,
        url: "https://nvd.nist.gov/vuln/detail/CVE-2024-6387",
      },
      SAMPLE_FINDINGS[2],
    ] as ScanReport["findings"],
  });
}

/** A clean scan of the same tag as overThresholdReport. */
export function cleanSameTag(): ScanReport {
  return { ...cleanReport(), tags: ["v1.4.2", "latest"] };
}

export const writes = (r: GitHubReceiver) => r.requests.filter((q) => q.method !== "GET");
