// Which of the files the demo wrote holds what each report sent: the page links every report row to them. The demo
// names the files by pass and by the order the target received them (run-demo.ts, writeReceived), not by image, so
// the image of each is read from its content: every message the built-in reporters send names the image's digest.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { PassImageReport, PassSummary } from "./passes.js";

/** The folders of what each target received, as run-demo.ts names them (webhooks: custom reporters). */
export type SentTarget = "email" | "github" | "slack" | "sns" | "webhooks";

/** One message a target received, as the demo wrote it. */
export interface SentFile {
  target: SentTarget;
  pass: number;
  /** The order the target received it in within the pass (for GitHub, the issue number). */
  order: number;
  /** Relative to the output folder, with `/`: the file to open (an e-mail's HTML body, else its text body). */
  path: string;
  /** An e-mail as sent (RFC 5322), beside its body. */
  eml?: string;
  /** The image the message is about. */
  digest: string;
}

/** A link of a report row to what one reporter sent for it. */
export interface SentLink {
  reporter: string;
  href: string;
  eml?: string;
  /** Set when the file is an earlier pass's: a GitHub issue this pass's scan left as it was. */
  sincePass?: number;
}

const DIGEST = /sha256:[0-9a-f]{64}/;
// email/pass1-001.html, slack/pass2-014.json, sns/pass1-003-team-a_web.json, webhooks/pass1-001.json, and
// github/pass2-issue-7.md; the digest/ folder (one message per route, no image) matches neither.
const NUMBERED = /^(email|slack|sns|webhooks)\/pass(\d+)-(\d{3})(?:-[^/]*)?\.(html|txt|eml|json)$/;
const ISSUE = /^github\/pass(\d+)-issue-(\d+)\.md$/;

/** What a file of the output folder is, from its path; undefined for anything that is not one report's message. */
export function sentFileOf(
  path: string,
): (Omit<SentFile, "digest" | "eml"> & { extension: string }) | undefined {
  const issue = ISSUE.exec(path);
  if (issue)
    return { target: "github", pass: Number(issue[1]), order: Number(issue[2]), path, extension: "md" };
  const numbered = NUMBERED.exec(path);
  if (!numbered) return undefined;
  return {
    target: numbered[1] as SentTarget,
    pass: Number(numbered[2]),
    order: Number(numbered[3]),
    path,
    extension: numbered[4] as string,
  };
}

/**
 * The messages among `files` (path → content): each with the digest its content names, an e-mail once (its HTML
 * body, else its text body, with the .eml beside). A file naming no digest is left out: it links to no row.
 */
export function sentFilesOf(files: ReadonlyMap<string, string>): SentFile[] {
  const found: SentFile[] = [];
  for (const [path, text] of files) {
    const file = sentFileOf(path);
    if (!file || file.extension === "eml") continue;
    const base = path.slice(0, -file.extension.length);
    // An e-mail with an HTML body is listed by it; its text body only when there is no HTML one.
    if (file.extension === "txt" && files.has(`${base}html`)) continue;
    const digest = DIGEST.exec(text)?.[0];
    if (!digest) continue;
    const { extension: _, ...sent } = file;
    found.push({ ...sent, digest, ...(files.has(`${base}eml`) ? { eml: `${base}eml` } : {}) });
  }
  return found.sort((a, b) => a.pass - b.pass || a.target.localeCompare(b.target) || a.order - b.order);
}

/** The messages the demo wrote under `outDir`, read from disk. */
export function readSentFiles(outDir: string): SentFile[] {
  const files = new Map<string, string>();
  for (const folder of ["email", "github", "slack", "sns", "webhooks"]) {
    let entries: string[] = [];
    try {
      entries = readdirSync(join(outDir, folder));
    } catch {
      continue; // no message went to that target
    }
    for (const name of entries) {
      const path = join(outDir, folder, name);
      // .eml files are not read: their bodies are encoded, and the .html or .txt beside says the same.
      const key = relative(outDir, path).split(sep).join("/");
      files.set(key, name.endsWith(".eml") ? "" : readFileSync(path, "utf8"));
    }
  }
  return sentFilesOf(files);
}

/** The built-in reporters whose messages the demo writes to a folder of their own; any other name is a webhook. */
const TARGET_OF: Readonly<Record<string, SentTarget | null>> = {
  email: "email",
  github: "github",
  slack: "slack",
  sns: "sns",
  metrics: null,
};

/** A reporter id (`slack`, `slack#2` for a second entry of one reporter, a package name) to its folder. */
function targetOf(reporter: string): SentTarget | null {
  const use = reporter.replace(/#\d+$/, "");
  return TARGET_OF[use] ?? (use in TARGET_OF ? null : "webhooks");
}

/**
 * The links of each report row of a pass to what was sent for it. A report and its messages share the digest;
 * when several reports of a pass are about one image (a rescan and a report queued because KEV gained a CVE), the
 * n-th report sent to a target gets the n-th message of that image the target received, both in the order they
 * happened. A GitHub issue is written only when the scan changed it: a row sent to GitHub whose issue this pass left
 * as it was links to the issue as an earlier pass wrote it. A reporter with no file (metrics) gets no link.
 */
export function sentLinks(pass: PassSummary, files: readonly SentFile[]): Map<PassImageReport, SentLink[]> {
  const queues = new Map<string, SentFile[]>();
  for (const file of files) {
    if (file.pass !== pass.pass || file.target === "github") continue;
    const key = `${file.target} ${file.digest}`;
    queues.set(key, [...(queues.get(key) ?? []), file]);
  }
  const links = new Map<PassImageReport, SentLink[]>();
  for (const report of pass.imageReports) {
    const row: SentLink[] = [];
    for (const reporter of report.sentTo) {
      const target = targetOf(reporter);
      if (target === null) continue;
      if (target === "github") {
        const issue = files
          .filter((f) => f.target === "github" && f.digest === report.digest && f.pass <= pass.pass)
          .reduce<SentFile | undefined>(
            (latest, f) => (!latest || f.pass >= latest.pass ? f : latest),
            undefined,
          );
        if (issue)
          row.push({
            reporter,
            href: issue.path,
            ...(issue.pass < pass.pass ? { sincePass: issue.pass } : {}),
          });
        continue;
      }
      const file = queues.get(`${target} ${report.digest}`)?.shift();
      if (file) row.push({ reporter, href: file.path, ...(file.eml ? { eml: file.eml } : {}) });
    }
    links.set(report, row);
  }
  return links;
}
