import { escapeHtml } from "@ecr-scan-reporter/core";

/** What the one-page HTML summary shows. */
export interface SummaryPageData {
  wallTimeMs: number;
  decisions: Record<string, number>;
  scansStarted: number;
  reportsPerReporter: Record<string, number>;
  highestSeverities: Record<string, number>;
  findingsBySeverity: Record<string, number>;
  awsCalls: Record<string, number>;
  reports: { image: string; highest: string; counts: Record<string, number>; due: boolean }[];
}

const SEVERITY_COLORS: Record<string, string> = {
  CRITICAL: "#7b1fa2",
  HIGH: "#d32f2f",
  MEDIUM: "#f57c00",
  LOW: "#fbc02d",
  INFORMATIONAL: "#1976d2",
  UNDEFINED: "#757575",
};

/** A horizontal bar chart of findings per severity, as inline SVG (no script, no external asset). */
function severityChart(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const rows = entries
    .map(([severity, n], i) => {
      const width = Math.round((n / max) * 360);
      const y = i * 30;
      return `<text x="0" y="${y + 17}" font-size="13">${escapeHtml(severity)}</text><rect x="120" y="${y + 4}" width="${width}" height="18" fill="${SEVERITY_COLORS[severity] ?? "#999"}"/><text x="${126 + width}" y="${y + 17}" font-size="13">${n}</text>`;
    })
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="560" height="${entries.length * 30}" role="img" aria-label="Findings per severity">${rows}</svg>`;
}

function table(headers: string[], rows: (string | number)[][]): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(String(c))}</td>`).join("")}</tr>`)
    .join("");
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The demo's one-page HTML summary, self-contained. */
export function renderSummaryPage(data: SummaryPageData): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ecr-scan-reporter demo</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:960px;color:#222}table{border-collapse:collapse;margin:0.5rem 0 1.5rem}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:14px}th{background:#f5f5f5}h2{margin-top:2rem}</style>
</head><body>
<h1>ecr-scan-reporter demo</h1>
<p>The whole flow on the local sandbox in ${(data.wallTimeMs / 1000).toFixed(1)} s: schedule → scan queue → scan-images → scans complete → events → report queue → report-findings → reporters.</p>
<h2>Findings per severity (all reports)</h2>
${severityChart(data.findingsBySeverity)}
<h2>Images per decision</h2>
${table(["decision", "images"], Object.entries(data.decisions))}
<p>Scans started: <strong>${data.scansStarted}</strong></p>
<h2>Reports sent per reporter</h2>
${table(["reporter", "reports"], Object.entries(data.reportsPerReporter))}
<h2>Highest severity per report</h2>
${table(["highest severity", "reports"], Object.entries(data.highestSeverities))}
<h2>Reports</h2>
${table(
  ["image", "highest", "CRITICAL", "HIGH", "MEDIUM", "LOW", "due"],
  data.reports.map((r) => [
    r.image,
    r.highest,
    r.counts.CRITICAL ?? 0,
    r.counts.HIGH ?? 0,
    r.counts.MEDIUM ?? 0,
    r.counts.LOW ?? 0,
    r.due ? "yes" : "no",
  ]),
)}
<h2>AWS calls by the functions</h2>
${table(["operation", "calls"], Object.entries(data.awsCalls))}
</body></html>
`;
}
