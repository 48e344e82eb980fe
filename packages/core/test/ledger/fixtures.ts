import type { CompactFinding, Finding, Severity } from "../../src/model.js";

/** A small deterministic PRNG (mulberry32), so that "realistic" data is the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// What a large Debian-based image with a JVM and a Go binary reports: most findings are kernel headers' CVEs.
const OS_PACKAGES: readonly [string, string, string][] = [
  ["linux-libc-dev", "6.1.76-1", "6.1.85-1"],
  ["libssl3", "3.0.11-1~deb12u2", "3.0.13-1~deb12u1"],
  ["libc6", "2.36-9+deb12u4", "2.36-9+deb12u7"],
  ["libxml2", "2.9.14+dfsg-1.3~deb12u1", ""],
  ["libsystemd0", "252.22-1~deb12u1", ""],
  ["perl-base", "5.36.0-7+deb12u1", ""],
  ["zlib1g", "1:1.2.13.dfsg-1", ""],
  ["libkrb5-3", "1.20.1-2+deb12u1", "1.20.1-2+deb12u2"],
];
const LANGUAGE_PACKAGES: readonly [string, string, string][] = [
  ["org.apache.logging.log4j:log4j-core", "2.14.1", "2.17.1"],
  ["com.fasterxml.jackson.core:jackson-databind", "2.9.10.8", "2.12.7.1"],
  ["golang.org/x/net", "v0.17.0", "0.23.0"],
  ["github.com/docker/docker", "v24.0.7+incompatible", "25.0.5"],
  ["io.netty:netty-codec-http2", "4.1.94.Final", "4.1.100.Final"],
];
const SEVERITY_WEIGHTS: readonly [Severity, number][] = [
  ["CRITICAL", 0.03],
  ["HIGH", 0.2],
  ["MEDIUM", 0.45],
  ["LOW", 0.25],
  ["UNDEFINED", 0.07],
];

function weightedSeverity(roll: number): Severity {
  let left = roll;
  for (const [severity, weight] of SEVERITY_WEIGHTS) {
    left -= weight;
    if (left < 0) return severity;
  }
  return "LOW";
}

/** `count` findings shaped like those of a large real image, most severe first (as a ScanReport holds them). */
export function realisticFindings(count: number, seed = 1): Finding[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const findings: Finding[] = [];
  for (let i = 0; i < count; i++) {
    const roll = next();
    const [packageName, packageVersion, fixedInVersion] =
      roll < 0.6
        ? (OS_PACKAGES[0] as [string, string, string])
        : roll < 0.85
          ? pick(OS_PACKAGES)
          : pick(LANGUAGE_PACKAGES);
    const id =
      next() < 0.1
        ? `GHSA-${Math.floor(next() * 36 ** 4)
            .toString(36)
            .padStart(4, "0")}-${Math.floor(next() * 36 ** 4)
            .toString(36)
            .padStart(4, "0")}-${Math.floor(next() * 36 ** 4)
            .toString(36)
            .padStart(4, "0")}`
        : `CVE-${2015 + Math.floor(next() * 11)}-${1000 + i}`;
    const severity = weightedSeverity(next());
    const finding: Finding = { id, severity, title: `${id} in ${packageName}`, packageName, packageVersion };
    if (fixedInVersion) finding.fixedInVersion = fixedInVersion;
    findings.push(finding);
  }
  const rank = (s: Severity) =>
    ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED"].indexOf(s);
  return findings.sort((a, b) => rank(a.severity) - rank(b.severity));
}

export function finding(id: string, severity: Severity, overrides: Partial<Finding> = {}): Finding {
  return { id, severity, title: id, packageName: "openssl", packageVersion: "3.0.1", ...overrides };
}

export function compact(
  id: string,
  severity: Severity,
  overrides: Partial<CompactFinding> = {},
): CompactFinding {
  return { id, severity, package: "openssl", version: "3.0.1", ...overrides };
}

export interface LogLine {
  level: "debug" | "info" | "warn";
  message: string;
  extra?: Record<string, unknown>;
}

/** A logger that keeps its lines, for assertions. */
export function recordingLogger(): {
  lines: LogLine[];
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
} {
  const lines: LogLine[] = [];
  return {
    lines,
    debug: (message, extra) => lines.push({ level: "debug", message, extra }),
    info: (message, extra) => lines.push({ level: "info", message, extra }),
    warn: (message, extra) => lines.push({ level: "warn", message, extra }),
  };
}
