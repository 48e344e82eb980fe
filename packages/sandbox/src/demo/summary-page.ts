import { escapeHtml } from "@ecr-scan-reporter/core";
import type { PassImageReport, PassSummary } from "./passes.js";

/** What the one-page HTML summary shows. */
export interface SummaryPageData {
  wallTimeMs: number;
  /** How far the sandbox's clock moved between the passes. */
  secondPassAfterDays: number;
  /** The CVEs the vulnerability feed published between the passes. */
  feedUpdate: { id: string; packageName: string; packageVersion: string; severity: string }[];
  passes: PassSummary[];
  /** The digest run after the passes: when, what became of the routes' digests, and the files written. */
  digest?: { at: string; outcomes: Record<string, number>; files: string[] };
  /** The exposure query run at the end: the CVE, the JSON file, and how many images (in use). */
  exposure?: { id: string; file: string; images: number; inUse: number };
}

const SEVERITY_COLORS: Record<string, string> = {
  CRITICAL: "#7b1fa2",
  HIGH: "#d32f2f",
  MEDIUM: "#f57c00",
  LOW: "#fbc02d",
  INFORMATIONAL: "#1976d2",
  UNDEFINED: "#757575",
};

/** The reporters that alert people, whose `notify: "changes"` the ledger applies (metrics and GitHub get every scan). */
const ALERTING = (reporter: string) => reporter !== "metrics" && reporter !== "github";

/** A horizontal bar chart of findings per severity, as inline SVG (no script, no external asset). */
function severityChart(counts: Record<string, number>, label: string): string {
  const entries = Object.entries(counts);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const rows = entries
    .map(([severity, n], i) => {
      const width = Math.round((n / max) * 300);
      const y = i * 26;
      return `<text x="0" y="${y + 16}" font-size="13">${escapeHtml(severity)}</text><rect x="110" y="${y + 3}" width="${width}" height="16" fill="${SEVERITY_COLORS[severity] ?? "#999"}"/><text x="${116 + width}" y="${y + 16}" font-size="13">${n}</text>`;
    })
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="450" height="${entries.length * 26}" role="img" aria-label="${escapeHtml(label)}">${rows}</svg>`;
}

function table(headers: string[], rows: (string | number)[][], className = ""): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join("")}</tr>`)
    .join("");
  const cls = className ? ` class="${className}"` : "";
  return `<table${cls}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The keys of several records, in first-seen order. */
const keysOf = (records: Record<string, unknown>[]) => [...new Set(records.flatMap((r) => Object.keys(r)))];

const passTitle = (pass: PassSummary, days: number) =>
  pass.pass === 1
    ? `pass 1 (${pass.at.slice(0, 16).replace("T", " ")} UTC)`
    : `pass ${pass.pass}, ${days} days later (${pass.at.slice(0, 16).replace("T", " ")} UTC)`;

/** The figures of every pass side by side: what was due, sent, and held back as unchanged. */
function passesTable(data: SummaryPageData): string {
  const { passes } = data;
  const reporters = keysOf(passes.flatMap((p) => [p.reportsPerReporter, p.heldPerReporter]));
  const rows: (string | number)[][] = [
    ["scans started", ...passes.map((p) => p.scansStarted)],
    ["reports (scans completed and reported)", ...passes.map((p) => p.reports)],
    ["reports due (over the thresholds, or the scan failed)", ...passes.map((p) => p.reportsDue)],
    ["… first report for the image", ...passes.map((p) => p.firstReports)],
    ["… with findings new since the last report", ...passes.map((p) => p.reportsWithNewFindings)],
    ...reporters.map((r) => [`reports sent: ${r}`, ...passes.map((p) => p.reportsPerReporter[r] ?? 0)]),
    ["… due only because a finding is known exploited (KEV)", ...passes.map((p) => p.reportsEscalated)],
    ["reports queued because KEV gained a CVE (no rescan)", ...passes.map((p) => p.reportsNowKnownExploited)],
    ["reports held back as unchanged", ...passes.map((p) => p.reportsHeldUnchanged)],
    ...reporters
      .filter((r) => passes.some((p) => (p.heldPerReporter[r]?.unchanged ?? 0) > 0))
      .map((r) => [`… held back from ${r}`, ...passes.map((p) => p.heldPerReporter[r]?.unchanged ?? 0)]),
    ["scans the ledger missed (ECR refused as quota)", ...passes.map((p) => p.ledgerMissedScans)],
  ];
  return table(["", ...passes.map((p) => passTitle(p, data.secondPassAfterDays))], rows, "passes");
}

/** Which images the newly published CVEs reached, and how the alerting reporters were told of them. */
function feedTable(data: SummaryPageData): string {
  const later = data.passes.slice(1).flatMap((p) => p.imageReports);
  const images = (reports: PassImageReport[]) => reports.map((r) => r.image).join(", ") || "none";
  return table(
    [
      "CVE",
      "package",
      "version",
      "severity",
      "images whose rescan found it",
      "sent again, naming it as new",
      "in a first report",
    ],
    data.feedUpdate.map((cve) => {
      const found = later.filter((r) => r.newlyPublishedFound.includes(cve.id));
      const alerted = found.filter((r) => r.sentTo.some(ALERTING));
      return [
        cve.id,
        cve.packageName,
        cve.packageVersion,
        cve.severity,
        images(found),
        images(alerted.filter((r) => r.newFindings.includes(cve.id))),
        images(alerted.filter((r) => r.firstReport === true)),
      ];
    }),
  );
}

/** "sns, slack, email: unchanged": the reporters held back, grouped by why. */
function heldText(held: Record<string, string>): string {
  const byWhy = new Map<string, string[]>();
  for (const [reporter, why] of Object.entries(held)) byWhy.set(why, [...(byWhy.get(why) ?? []), reporter]);
  return [...byWhy].map(([why, reporters]) => `${reporters.join(", ")}: ${why}`).join("; ");
}

function reportsTable(pass: PassSummary): string {
  return table(
    [
      "image",
      "highest",
      "CRITICAL",
      "HIGH",
      "MEDIUM",
      "LOW",
      "due",
      "new findings",
      "known exploited (KEV)",
      "sent to",
      "held back (why)",
    ],
    pass.imageReports.map((r) => [
      r.image,
      r.highest,
      r.counts.CRITICAL ?? 0,
      r.counts.HIGH ?? 0,
      r.counts.MEDIUM ?? 0,
      r.counts.LOW ?? 0,
      r.due ? "yes" : "no",
      r.firstReport ? "first report" : r.newFindings.join(", "),
      [
        ...r.knownExploited,
        ...(r.nowKnownExploited.length > 0 ? [`now known exploited: ${r.nowKnownExploited.join(", ")}`] : []),
      ].join(", "),
      r.sentTo.join(", "),
      heldText(r.held),
    ]),
  );
}

/** Links to what the digest run sent and the exposure answer (relative paths inside the output folder). */
function digestAndExposure(data: SummaryPageData): string {
  const parts: string[] = [];
  if (data.digest) {
    const { at, outcomes, files } = data.digest;
    const counts = Object.entries(outcomes)
      .map(([outcome, n]) => `${n} ${outcome}`)
      .join(", ");
    const links = files
      .map((file) => `<li><a href="${escapeHtml(file)}">${escapeHtml(file)}</a></li>`)
      .join("");
    parts.push(`<h2>The weekly digest</h2>
<p>send-digests ran at ${escapeHtml(at.slice(0, 16).replace("T", " "))} UTC (the sandbox's clock): one digest per reporter entry, each filtered by the entry's repositories and minimum severity, built from the findings ledger (${escapeHtml(counts)}). What each target received:</p>
<ul>${links}</ul>`);
  }
  if (data.exposure) {
    const { id, file, images, inUse } = data.exposure;
    parts.push(`<h2>Exposure: which images contain ${escapeHtml(id)}?</h2>
<p><code>ecr-scan-reporter exposure ${escapeHtml(id)} --json</code> answers from the ledger's vulnerability index: ${images} images, ${inUse} in use (a tag points at them now). <a href="${escapeHtml(file)}">${escapeHtml(file)}</a></p>`);
  }
  return parts.join("\n");
}

/** The demo's one-page HTML summary, self-contained. */
export function renderSummaryPage(data: SummaryPageData): string {
  const { passes } = data;
  const decisions = keysOf(passes.map((p) => p.decisions));
  const operations = keysOf(passes.map((p) => p.awsCalls));
  const titles = passes.map((p) => passTitle(p, data.secondPassAfterDays));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ecr-scan-reporter demo</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}table{border-collapse:collapse;margin:0.5rem 0 1.5rem}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:14px}th{background:#f5f5f5}table.passes td:not(:first-child){text-align:right}h2{margin-top:2rem}.charts{display:flex;gap:2rem;flex-wrap:wrap}.charts h3{font-size:15px;margin:0 0 0.5rem}</style>
</head><body>
<h1>ecr-scan-reporter demo</h1>
<p>The whole flow on the local sandbox, twice, in ${(data.wallTimeMs / 1000).toFixed(1)} s: schedule → scan queue → scan-images → scans complete → events → report queue → report-findings → reporters. The second scheduled pass runs ${data.secondPassAfterDays} days later on the sandbox's clock, past the 7-day expiry, after the vulnerability feed published ${data.feedUpdate.length} new CVEs: every image is rescanned, and the findings ledger lets through only what changed. Images the first pass skipped (scanned two days before the demo, or failed a few hours before) get their first report in the second.</p>
<h2>Reports due, sent and held back, per pass</h2>
${passesTable(data)}
<p>SNS, Slack and e-mail use <code>notify: "changes"</code> (the default): a due report goes out when it is the first for the image, names new findings or a raised severity, or the verdict changed; otherwise it is held back as unchanged. GitHub (one issue per image, rewritten on every scan, a comment when something changed) and metrics receive every scan.</p>
<h2>Newly published CVEs, found by the second pass</h2>
${feedTable(data)}
${digestAndExposure(data)}
<h2>Findings per severity</h2>
<div class="charts">${passes.map((p, i) => `<div><h3>${escapeHtml(titles[i] ?? "")}</h3>${severityChart(p.findingsBySeverity, `Findings per severity, pass ${p.pass}`)}</div>`).join("")}</div>
<h2>Images per decision</h2>
${table(
  ["decision", ...titles],
  decisions.map((d) => [d, ...passes.map((p) => p.decisions[d] ?? 0)]),
)}
${passes.map((p, i) => `<h2>Reports, ${escapeHtml(titles[i] ?? "")}</h2>\n${reportsTable(p)}`).join("\n")}
<h2>AWS calls by the functions</h2>
${table(
  ["operation", ...titles],
  operations.map((op) => [op, ...passes.map((p) => p.awsCalls[op] ?? 0)]),
)}
</body></html>
`;
}
