import {
  CVE_ID_PATTERN,
  epssText,
  escapeHtml,
  kevBadge,
  missingFixText,
  SEVERITIES,
  type Severity,
  severityRank,
} from "@ecr-scan-reporter/core";
// The e-mails' palette: a severity looks the same on the page as in the message it links to.
import { SEVERITY_COLORS } from "@ecr-scan-reporter/reporter-email";
import type { DemoAccountRef, PassImageReport, PassSummary } from "./passes.js";
import { type SentFile, type SentLink, sentLinks } from "./sent-files.js";
import type { TopCves } from "./top-cves.js";

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
  /** The messages the demo wrote (readSentFiles): each report row links to what was sent for it. */
  sentFiles?: SentFile[];
  /** The most urgent CVEs in the registry's images (demoTopCves). */
  topCves?: TopCves;
  /** The accounts one hub covered (`demo --accounts`), each pass's `accounts` giving their figures. */
  accounts?: DemoAccountRef[];
}

/** `team-a (210987654321)`, or the id alone, as the reports name an account (core's accountLabel). */
const accountText = (account: DemoAccountRef) =>
  account.name ? `${account.name} (${account.accountId})` : account.accountId;

const isSeverity = (text: string): text is Severity => (SEVERITIES as readonly string[]).includes(text);
const colorOf = (severity: string): string | undefined =>
  isSeverity(severity) ? SEVERITY_COLORS[severity] : undefined;

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
      return `<text x="0" y="${y + 16}" font-size="13">${escapeHtml(severity)}</text><rect x="110" y="${y + 3}" width="${width}" height="16" fill="${colorOf(severity) ?? "#999"}"/><text x="${116 + width}" y="${y + 16}" font-size="13">${n}</text>`;
    })
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="450" height="${entries.length * 26}" role="img" aria-label="${escapeHtml(label)}">${rows}</svg>`;
}

/** Markup built here from escaped parts, put in a cell as it is. */
interface Html {
  html: string;
}
type Cell = string | number | Html;

const cellHtml = (cell: Cell) => (typeof cell === "object" ? cell.html : escapeHtml(String(cell)));

function table(headers: string[], rows: Cell[][], className = ""): string {
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${cellHtml(c)}</td>`).join("")}</tr>`).join("");
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
  const rows: Cell[][] = [
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
        severityBadge(cve.severity),
        images(found),
        images(alerted.filter((r) => r.newFindings.includes(cve.id))),
        images(alerted.filter((r) => r.firstReport === true)),
      ];
    }),
    "feed",
  );
}

/** "sns, slack, email: unchanged": the reporters held back, grouped by why. */
function heldText(held: Record<string, string>): string {
  const byWhy = new Map<string, string[]>();
  for (const [reporter, why] of Object.entries(held)) byWhy.set(why, [...(byWhy.get(why) ?? []), reporter]);
  return [...byWhy].map(([why, reporters]) => `${reporters.join(", ")}: ${why}`).join("; ");
}

/** A relative link to a file the demo wrote: each path segment URL-encoded, then escaped for the attribute. */
const hrefOf = (path: string) => escapeHtml(path.split("/").map(encodeURIComponent).join("/"));

/**
 * A severity as the e-mails show it: white on the severity's colour. A failed scan, which has no severity, gets an
 * outlined badge (its vulnerabilities are unknown, not absent); "none" is plain text.
 */
function severityBadge(severity: string): Html {
  const color = colorOf(severity);
  if (color)
    return {
      html: `<span class="severity" style="background-color:${color}">${escapeHtml(severity)}</span>`,
    };
  if (severity === "scan failed") return { html: `<span class="failed">${escapeHtml(severity)}</span>` };
  return { html: escapeHtml(severity) };
}

/** A count in its severity's colour, bold when there is any (the e-mail's counts line does the same). */
function severityCount(severity: Severity, n: number): Html {
  return { html: n > 0 ? `<strong style="color:${SEVERITY_COLORS[severity]}">${n}</strong>` : "0" };
}

/** Where a row's `highest` sorts: the severities in their order, then a failed scan (nothing known), then none. */
function highestRank(highest: string): number {
  if (isSeverity(highest)) return severityRank(highest);
  return SEVERITIES.length + (highest === "scan failed" ? 0 : 1);
}

/**
 * The order of a pass's report rows: the most severe first, then by the counts of each severity from CRITICAL down
 * (more first), then by image name, so that the worst images lead and equal ones keep one order.
 */
export function compareReportRows(a: PassImageReport, b: PassImageReport): number {
  const byHighest = highestRank(a.highest) - highestRank(b.highest);
  if (byHighest !== 0) return byHighest;
  for (const severity of SEVERITIES) {
    const byCount = (b.counts[severity] ?? 0) - (a.counts[severity] ?? 0);
    if (byCount !== 0) return byCount;
  }
  return a.image.localeCompare(b.image);
}

/** Vulnerability ids, each kept on one line. */
const idList = (ids: readonly string[]): Html => ({
  html: ids.map((id) => `<span class="nowrap">${escapeHtml(id)}</span>`).join(", "),
});

/** The reporters a report was sent to, each linked to the file of what it sent where the demo wrote one. */
function sentCell(sentTo: readonly string[], links: readonly SentLink[]): Html {
  const parts = sentTo.map((reporter) => {
    const link = links.find((l) => l.reporter === reporter);
    if (!link) return escapeHtml(reporter);
    const title = link.sincePass
      ? ` title="unchanged by this scan: the issue as pass ${link.sincePass} wrote it"`
      : "";
    const eml = link.eml ? ` <a href="${hrefOf(link.eml)}">(.eml)</a>` : "";
    const since = link.sincePass ? ` (as of pass ${link.sincePass})` : "";
    return `<a href="${hrefOf(link.href)}"${title}>${escapeHtml(reporter)}</a>${eml}${since}`;
  });
  return { html: `<span class="sent">${parts.join(" · ")}</span>` };
}

/** What was scanned and reported in each account's registry, pass by pass. */
function accountsSection(data: SummaryPageData): string {
  const accounts = data.accounts ?? [];
  if (accounts.length === 0) return "";
  const rows = accounts.map((account): Cell[] => [
    accountText(account),
    ...data.passes.flatMap((pass): Cell[] => {
      const figures = pass.accounts?.find((a) => a.accountId === account.accountId);
      const sent = Object.entries(figures?.reportsPerReporter ?? {})
        .map(([reporter, n]) => `${reporter} ${n}`)
        .join(", ");
      return [
        figures?.scansStarted ?? 0,
        `${figures?.reports ?? 0} (${figures?.reportsDue ?? 0} due)`,
        sent || "none",
      ];
    }),
  ]);
  const headers = [
    "account",
    ...data.passes.flatMap((p) => [
      `pass ${p.pass}: scans started`,
      `pass ${p.pass}: reports (due)`,
      `pass ${p.pass}: reports sent`,
    ]),
  ];
  return `<h2>Accounts</h2>
<p>One hub deployment covers ${accounts.length} accounts: its own registry, read with the functions' roles, and each member account's, read with the member role the functions assume (STS AssumeRole, session name <code>ecr-scan-reporter</code>, its ExternalId when the entry gives one). Each report names its account.</p>
${table(headers, rows, "accounts")}`;
}

/** One pass's reports, worst first, each linked to what was sent for it. */
function reportsTable(
  pass: PassSummary,
  files: readonly SentFile[],
  accounts: readonly DemoAccountRef[] = [],
): string {
  const links = sentLinks(pass, files);
  // With several accounts a repository name may be in two registries: the row names the image's account.
  const imageCell = (r: PassImageReport): Cell => {
    const account = accounts.find((a) => a.accountId === r.account);
    return account
      ? { html: `<span class="account">${escapeHtml(accountText(account))}</span><br>${escapeHtml(r.image)}` }
      : r.image;
  };
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
      "sent to (open what was sent)",
      "held back (why)",
    ],
    [...pass.imageReports].sort(compareReportRows).map((r) => [
      imageCell(r),
      severityBadge(r.highest),
      severityCount("CRITICAL", r.counts.CRITICAL ?? 0),
      severityCount("HIGH", r.counts.HIGH ?? 0),
      severityCount("MEDIUM", r.counts.MEDIUM ?? 0),
      severityCount("LOW", r.counts.LOW ?? 0),
      r.due ? "yes" : "no",
      r.firstReport ? "first report" : idList(r.newFindings),
      {
        html: [
          idList(r.knownExploited).html,
          r.nowKnownExploited.length > 0 ? `now known exploited: ${idList(r.nowKnownExploited).html}` : "",
        ]
          .filter(Boolean)
          .join(", "),
      },
      sentCell(r.sentTo, links.get(r) ?? []),
      heldText(r.held),
    ]),
    "reports",
  );
}

/** The most urgent CVEs: the first thing to fix, and how far each reaches. */
function topCvesSection(top: TopCves): string {
  const now = new Date(top.at);
  const rows = top.cves.map((cve): Cell[] => [
    {
      html: CVE_ID_PATTERN.test(cve.id)
        ? `<a href="https://nvd.nist.gov/vuln/detail/${escapeHtml(cve.id)}">${escapeHtml(cve.id)}</a>`
        : escapeHtml(cve.id),
    },
    severityBadge(cve.severity),
    cve.inUse === cve.images ? cve.images : `${cve.images} (${cve.inUse} in use)`,
    cve.fixedIn ? `yes: ${cve.fixedIn}` : missingFixText(undefined, top.scanType),
    cve.kev ? kevBadge(cve.kev, now) : "",
    epssText(cve.epss).replace(/^EPSS /, ""),
  ]);
  const basic = top.scanType === "BASIC" && top.cves.every((cve) => !cve.fixedIn);
  return `<h2>The most urgent CVEs</h2>
<p>${top.cves.length} of the ${top.found} CVEs found in the registry's images: known exploited (on CISA's KEV catalog) first, then by severity, then by the images affected. The images are those whose latest scan found the CVE, from the findings ledger, as <code>ecr-scan-reporter exposure &lt;CVE&gt;</code> answers.${basic ? " Basic scanning gives no fixed-in versions, hence “fix unknown”; enhanced scanning (Amazon Inspector) does." : ""}</p>
${table(["CVE", "severity", "images affected", "fix available", "known exploited (KEV)", "EPSS (percentile)"], rows, "cves")}`;
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
  const files = data.sentFiles ?? [];
  // The latest pass first: it is the registry as it stands now.
  const reports = passes
    .map(
      (p, i) => `<h2>Reports, ${escapeHtml(titles[i] ?? "")}</h2>\n${reportsTable(p, files, data.accounts)}`,
    )
    .reverse();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ecr-scan-reporter demo</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;color:#222}p,ul{max-width:1100px}table{border-collapse:collapse;margin:0.5rem 0 1.5rem}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:14px;vertical-align:top}th{background:#f5f5f5}table.passes td:not(:first-child),table.reports td:nth-child(n+3):nth-child(-n+6),table.cves td:nth-child(3){text-align:right}table.reports td,table.reports th{font-size:13px}table.reports td:first-child{overflow-wrap:anywhere;min-width:14em}table.reports td:nth-child(9){min-width:9em}table.reports td:nth-child(11){min-width:8em}table.feed td:first-child,table.cves td:first-child{white-space:nowrap}.sent,.severity,.failed,.nowrap,.account{white-space:nowrap}.account{color:#5e6c84;font-size:12px}.severity,.failed{display:inline-block;padding:1px 6px;border-radius:3px;font-size:12px;font-weight:bold}.severity{color:#fff}.failed{border:1px solid #5e6c84;color:#172b4d}a{color:#0052cc}h2{margin-top:2rem}.charts{display:flex;gap:2rem;flex-wrap:wrap}.charts h3{font-size:15px;margin:0 0 0.5rem}</style>
</head><body>
<h1>ecr-scan-reporter demo</h1>
<p>The whole flow on the local sandbox, twice, in ${(data.wallTimeMs / 1000).toFixed(1)} s: schedule → scan queue → scan-images → scans complete → events → report queue → report-findings → reporters. The second scheduled pass runs ${data.secondPassAfterDays} days later on the sandbox's clock, past the 7-day expiry, after the vulnerability feed published ${data.feedUpdate.length} new CVEs: every image is rescanned, and the findings ledger lets through only what changed. Images the first pass skipped (scanned two days before the demo, or failed a few hours before) get their first report in the second.</p>
${accountsSection(data)}
${data.topCves ? topCvesSection(data.topCves) : ""}
<h2>Findings per severity</h2>
<div class="charts">${passes.map((p, i) => `<div><h3>${escapeHtml(titles[i] ?? "")}</h3>${severityChart(p.findingsBySeverity, `Findings per severity, pass ${p.pass}`)}</div>`).join("")}</div>
<p>Below, each pass's reports, the latest pass first, the most severe images first. Each reporter a report was sent to links to what it sent: the e-mail (and the message as sent, .eml), the GitHub issue, the Slack payload, the SNS message.</p>
${reports.join("\n")}
<h2>Reports due, sent and held back, per pass</h2>
${passesTable(data)}
<p>SNS, Slack and e-mail use <code>notify: "changes"</code> (the default): a due report goes out when it is the first for the image, names new findings or a raised severity, or the verdict changed; otherwise it is held back as unchanged. GitHub (one issue per image, rewritten on every scan, a comment when something changed) and metrics receive every scan.</p>
<h2>Newly published CVEs, found by the second pass</h2>
${feedTable(data)}
${digestAndExposure(data)}
<h2>Images per decision</h2>
${table(
  ["decision", ...titles],
  decisions.map((d) => [d, ...passes.map((p) => p.decisions[d] ?? 0)]),
)}
<h2>AWS calls by the functions</h2>
${table(
  ["operation", ...titles],
  operations.map((op) => [op, ...passes.map((p) => p.awsCalls[op] ?? 0)]),
)}
</body></html>
`;
}
