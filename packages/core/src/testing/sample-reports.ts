import { type Finding, type ScanReport, SEVERITIES, type Severity } from "../model.js";
import { decideVerdict } from "../policy/policy.js";

/** Real, public CVE records (NVD) used as the sample findings; severities and scores as NVD lists them. */
export const SAMPLE_FINDINGS: readonly Finding[] = [
  {
    id: "CVE-2024-3094",
    severity: "CRITICAL",
    title: "CVE-2024-3094 - xz-utils",
    description: "Malicious code was discovered in the upstream tarballs of xz, starting with version 5.6.0.",
    packageName: "xz-utils",
    packageVersion: "5.6.0-0.2",
    fixedInVersion: "5.6.1+really5.4.5-1",
    cvssScore: 10,
    url: "https://nvd.nist.gov/vuln/detail/CVE-2024-3094",
  },
  {
    id: "CVE-2023-4863",
    severity: "HIGH",
    title: "CVE-2023-4863 - libwebp",
    description:
      "Heap buffer overflow in libwebp allows a remote attacker to perform an out of bounds memory write via a crafted HTML page.",
    packageName: "libwebp7",
    packageVersion: "1.2.4-0.2",
    fixedInVersion: "1.2.4-0.2+deb12u1",
    cvssScore: 8.8,
    url: "https://nvd.nist.gov/vuln/detail/CVE-2023-4863",
  },
  {
    id: "CVE-2023-44487",
    severity: "HIGH",
    title: "CVE-2023-44487 - nghttp2",
    description:
      "The HTTP/2 protocol allows a denial of service (server resource consumption) because request cancellation can reset many streams quickly.",
    packageName: "libnghttp2-14",
    packageVersion: "1.52.0-1",
    fixedInVersion: "1.52.0-1+deb12u1",
    cvssScore: 7.5,
    url: "https://nvd.nist.gov/vuln/detail/CVE-2023-44487",
  },
  {
    id: "CVE-2022-40897",
    severity: "MEDIUM",
    title: "CVE-2022-40897 - setuptools",
    description:
      "Python Packaging Authority (PyPA) setuptools before 65.5.1 allows remote attackers to cause a denial of service via HTML in a crafted package or custom PackageIndex page.",
    packageName: "setuptools",
    packageVersion: "65.5.0",
    fixedInVersion: "65.5.1",
    cvssScore: 5.9,
    url: "https://nvd.nist.gov/vuln/detail/CVE-2022-40897",
  },
  {
    id: "CVE-2023-29383",
    severity: "LOW",
    title: "CVE-2023-29383 - shadow",
    description:
      "In Shadow 4.13, it is possible to inject control characters into fields provided to the SUID program chfn.",
    packageName: "passwd",
    packageVersion: "1:4.13+dfsg1-1",
    cvssScore: 3.3,
    url: "https://nvd.nist.gov/vuln/detail/CVE-2023-29383",
  },
];

const DIGEST = "sha256:4f8b6b8e3d1c2a0f9e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817";
const THRESHOLDS = { CRITICAL: 0, HIGH: 0, MEDIUM: null, LOW: null, INFORMATIONAL: null, UNDEFINED: null };

function countsOf(findings: readonly Finding[]) {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

/** A complete ScanReport with the default policy applied; `overrides` replace fields, findings recount. */
export function sampleReport(overrides: Partial<ScanReport> = {}): ScanReport {
  const findings = overrides.findings ?? [...SAMPLE_FINDINGS];
  const status = overrides.status ?? "COMPLETE";
  const counts = overrides.counts ?? countsOf(findings);
  const repository = overrides.repository ?? "team-a/api";
  const digest = overrides.digest ?? DIGEST;
  return {
    account: "123456789012",
    region: "eu-west-1",
    registryId: "123456789012",
    repository,
    digest,
    tags: ["v1.4.2", "latest"],
    scanType: "BASIC",
    status,
    statusDescription: status === "COMPLETE" ? "The scan was completed successfully." : undefined,
    completedAt: "2026-11-28T06:12:31.000Z",
    vulnerabilitySourceUpdatedAt: "2026-11-28T01:00:00.000Z",
    consoleUrl: `https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/${repository}/_/image/${digest}/details?region=eu-west-1`,
    ...overrides,
    findings,
    counts,
    verdict:
      overrides.verdict ??
      decideVerdict(
        { status, counts, ignoredFindings: 0 },
        { thresholds: THRESHOLDS, notifyOnScanFailure: true },
      ),
  };
}

/** Findings over the default thresholds (one critical, two high…): a report that is due. */
export function overThresholdReport(): ScanReport {
  return sampleReport();
}

/** A clean scan: no findings, not due. */
export function cleanReport(): ScanReport {
  return sampleReport({ findings: [], tags: ["v1.4.3"] });
}

/** A FAILED scan with ECR's status description: a failure report, due by default. */
export function failedScanReport(): ScanReport {
  return sampleReport({
    status: "FAILED",
    statusDescription:
      "UnsupportedImageError: The operating system and/or package manager are not supported.",
    findings: [],
    tags: ["scratch-build"],
  });
}

/** An image with no tag: reporters must name it by digest. */
export function untaggedReport(): ScanReport {
  return sampleReport({
    tags: [],
    digest: "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
    findings: SAMPLE_FINDINGS.slice(1, 3),
  });
}

/** A tiny deterministic PRNG (mulberry32), so generated reports are the same on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const SEVERITY_WEIGHTS: readonly [Severity, number][] = [
  ["CRITICAL", 0.03],
  ["HIGH", 0.17],
  ["MEDIUM", 0.4],
  ["LOW", 0.3],
  ["INFORMATIONAL", 0.07],
  ["UNDEFINED", 0.03],
];

/** The severity a number in [0, 1) falls on, by the weights above. */
function severityAt(roll: number): Severity {
  let rest = roll;
  for (const [severity, weight] of SEVERITY_WEIGHTS) {
    rest -= weight;
    if (rest < 0) return severity;
  }
  return "LOW";
}

/** `count` realistic-looking findings (ids, packages, scores), deterministic for a given seed, most severe first. */
export function generateFindings(count: number, seed = 42): Finding[] {
  const random = prng(seed);
  const findings: Finding[] = [];
  for (let i = 0; i < count; i++) {
    const severity = severityAt(random());
    const year = 2018 + Math.floor(random() * 9);
    const id = `CVE-${year}-${String(10_000 + i).padStart(5, "0")}`;
    const pkg = `lib${["ssl", "xml2", "curl", "png", "zstd", "krb5", "gnutls", "sqlite3"][Math.floor(random() * 8)]}-${i % 97}`;
    findings.push({
      id,
      severity,
      title: `${id} - ${pkg}`,
      description: `A flaw was found in ${pkg} that may allow an attacker to cause a denial of service or execute code. (${i})`,
      packageName: pkg,
      packageVersion: `${1 + (i % 5)}.${i % 10}.${i % 7}-1`,
      fixedInVersion: random() < 0.6 ? `${1 + (i % 5)}.${i % 10}.${(i % 7) + 1}-1` : undefined,
      cvssScore: Math.round(random() * 100) / 10,
      url: `https://nvd.nist.gov/vuln/detail/${id}`,
    });
  }
  const rank = (s: Severity) => SEVERITIES.indexOf(s);
  return findings.sort(
    (a, b) =>
      rank(a.severity) - rank(b.severity) ||
      (b.cvssScore ?? 0) - (a.cvssScore ?? 0) ||
      a.id.localeCompare(b.id),
  );
}

/** A report with `count` findings (5,000 by default): for size limits and truncation. */
export function manyFindingsReport(count = 5_000): ScanReport {
  return sampleReport({ findings: generateFindings(count), tags: ["v2.0.0-rc.1"] });
}

/**
 * A report whose every untrusted string is hostile: Slack control sequences, Markdown and HTML injection, mentions,
 * CR/LF in a tag and a header, bidi overrides. Reporters must show all of it as inert text.
 */
export function hostileReport(): ScanReport {
  const hostile: Finding[] = [
    {
      id: "CVE-2099-0001 <!channel>",
      severity: "CRITICAL",
      title: "<!channel> <!here> <@U024BE7LH> <https://evil.example|click here>",
      description: "*bold* _it_ ~strike~ `code` ```block``` <script>alert('x')</script> & &amp; &lt;",
      packageName: "<https://evil.example|trusted-package>",
      packageVersion: "1.0\r\nBcc: victim@example.com",
      fixedInVersion: "](javascript:alert(1))",
      cvssScore: 9.9,
      url: "javascript:alert(document.cookie)",
    },
    {
      id: "CVE-2099-0002",
      severity: "HIGH",
      title: "[click](https://evil.example) @everyone @octocat #1 ![img](https://evil.example/x.png)",
      description:
        '<img src=x onerror=alert(1)> </td></tr></table><a href="https://evil.example">x</a> \u202Egnp.exe',
      packageName: "| table | break |",
      packageVersion: "<!-- hidden -->",
      cvssScore: 8.1,
      url: 'https://nvd.nist.gov/vuln/detail/CVE-2099-0002"><script>',
    },
  ];
  return sampleReport({
    repository: "team-a/api",
    tags: ["v1\r\nX-Injected: yes", "<!channel>"],
    findings: hostile,
    statusDescription: "<b>done</b>\r\nSubject: spoofed",
  });
}

/** The account name of a hostile multi-account sample: HTML, quotes, an ampersand and a line break. */
export const HOSTILE_ACCOUNT_NAME = '<b>&"x"\r\nBcc: victim@example.com';

/**
 * A report of an image in a member account of a multi-account deployment ([8/8]): the configuration names it
 * `prod`, so reports show `prod (111111111111)`. `accountName` may be replaced (HOSTILE_ACCOUNT_NAME).
 */
export function memberAccountReport(overrides: Partial<ScanReport> = {}): ScanReport {
  const account = overrides.account ?? "111111111111";
  const repository = overrides.repository ?? "team-a/api";
  const digest = overrides.digest ?? DIGEST;
  return sampleReport({
    account,
    registryId: account,
    accountName: "prod",
    consoleUrl: `https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/${account}/${repository}/_/image/${digest}/details?region=eu-west-1`,
    ...overrides,
  });
}
