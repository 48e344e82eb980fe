import {
  cleanText,
  type Finding,
  formatCvss,
  incompleteNote,
  linkableHttpUrl,
  missingFixText,
  reportImageLabel,
  type ScanReport,
  type ScanType,
  SEVERITIES,
  truncateText,
} from "@ecr-scan-reporter/core/reporter";

/** Teams renders a subset of Markdown in TextBlocks: escape it, so a package name can never become a link. */
export function escapeCardText(text: string): string {
  return cleanText(text, { singleLine: true }).replace(/[\\`*_{}[\]()#+\-.!<>~|]/g, (c) => `\\${c}`);
}

const SEVERITY_COLOR: Record<string, string> = {
  CRITICAL: "Attention",
  HIGH: "Attention",
  MEDIUM: "Warning",
};

function findingLine(f: Finding, scanType: ScanType): string {
  const id = escapeCardText(f.id);
  // Only http(s) links are followed; anything else (javascript:, data:) is shown as text.
  const url = linkableHttpUrl(f.url)?.href;
  const link = url ? `[${id}](${url.replace(/\)/g, "%29")})` : id;
  const pkg = f.packageName
    ? ` — ${escapeCardText(f.packageName)}${f.packageVersion ? ` ${escapeCardText(f.packageVersion)}` : ""}`
    : "";
  const fixed = f.fixedInVersion
    ? ` (fixed in ${escapeCardText(f.fixedInVersion)})`
    : ` (${missingFixText(f.fixedInVersion, scanType)})`;
  const cvss = formatCvss(f.cvssScore);
  const score = cvss ? ` · CVSS ${cvss}` : "";
  return `**${f.severity}** ${link}${pkg}${fixed}${score}`;
}

/**
 * The Teams message for a report: an Adaptive Card (v1.4) with the image, the counts per severity, the most severe
 * findings and a button to the image in the ECR console, wrapped as Teams workflows expect it.
 */
export function buildTeamsMessage(report: ScanReport, options: { title: string; maxFindings: number }) {
  const failed = report.status === "FAILED";
  const shown = report.findings.slice(0, options.maxFindings);
  const hidden = report.findings.length - shown.length;
  const body: Record<string, unknown>[] = [
    { type: "TextBlock", size: "Medium", weight: "Bolder", wrap: true, text: escapeCardText(options.title) },
    {
      type: "TextBlock",
      wrap: true,
      color: failed || report.verdict.due ? "Attention" : "Default",
      text: failed
        ? `Scan failed: ${escapeCardText(reportImageLabel(report))}`
        : `${escapeCardText(reportImageLabel(report))} — ${report.verdict.due ? "over the thresholds" : "within the thresholds"}`,
    },
  ];
  if (failed) {
    body.push({
      type: "TextBlock",
      wrap: true,
      text: escapeCardText(truncateText(report.statusDescription ?? "No description.", 500)),
    });
  } else {
    body.push({
      type: "FactSet",
      facts: SEVERITIES.filter((s) => report.counts[s] > 0 || s === "CRITICAL" || s === "HIGH").map((s) => ({
        title: s,
        value: String(report.counts[s]),
      })),
    });
    const incomplete = incompleteNote(report);
    if (incomplete)
      body.push({ type: "TextBlock", wrap: true, color: "Warning", text: escapeCardText(incomplete) });
    for (const finding of shown) {
      body.push({
        type: "TextBlock",
        wrap: true,
        spacing: "Small",
        color: SEVERITY_COLOR[finding.severity] ?? "Default",
        text: findingLine(finding, report.scanType),
      });
    }
    if (hidden > 0)
      body.push({ type: "TextBlock", wrap: true, isSubtle: true, text: `…and ${hidden} more findings` });
  }
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body,
          actions: [{ type: "Action.OpenUrl", title: "Open in the ECR console", url: report.consoleUrl }],
        },
      },
    ],
  };
}
