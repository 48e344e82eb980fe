import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { formatEml } from "@ecr-scan-reporter/reporter-email";
import type { GitHubReceiver, ReceivedComment, ReceivedIssue } from "../github/types.js";
import type { SesSandbox } from "../ses.js";
import type { SlackReceiver } from "../slack-receiver.js";
import type { SnsSandbox } from "../sns.js";
import type { WebhookReceiver } from "../webhook-receiver.js";

// What the sandbox's targets received, written to a folder as the targets hold it: the demo writes it per pass,
// `ecr-scan-reporter sandbox` as it arrives.

/** The targets whose receipts are written. */
export interface ReceivedSources {
  sns: Pick<SnsSandbox, "published">;
  ses: Pick<SesSandbox, "sent">;
  slack: Pick<SlackReceiver, "messages">;
  github: Pick<GitHubReceiver, "issues" | "comments">;
  /** The receiver custom reporters post to, if any. */
  webhook?: Pick<WebhookReceiver, "received">;
}

export interface ReceivedBatch {
  /** A folder inside the output, ending in "/" (e.g. `digest/`), or "" for the top. */
  folder?: string;
  /** Put before each file name, e.g. `pass1-`. */
  prefix?: string;
  /** When the batch arrived, in words (`pass 2`, a time): GitHub issue files say when each issue and comment came. */
  label: string;
  /** CloudWatch EMF lines the functions wrote meanwhile, written as `metrics/<prefix>emf.jsonl`. */
  emf?: string[];
}

export interface ReceivedWriter {
  /** Writes what the targets received since the last call; returns the files written, relative to the output. */
  flush(batch: ReceivedBatch): string[];
}

/** A file name piece from untrusted text (a repository name): letters, digits, dots and hyphens, at most 80. */
export const slug = (text: string) => text.replace(/[^a-zA-Z0-9.-]+/g, "_").slice(0, 80);
const number3 = (i: number) => String(i + 1).padStart(3, "0");

/** A GitHub issue as the receiver holds it now, with when it was opened and each comment made. */
function renderIssue(
  issue: ReceivedIssue,
  comments: ReceivedComment[],
  labelOf: (kind: "issue" | "comment", id: number) => string,
): string {
  const lines = comments.map((c) => `\n---\n\ncomment ${c.id} (${labelOf("comment", c.id)}):\n\n${c.body}\n`);
  return `# ${issue.title}\n\nstate: ${issue.state} · labels: ${issue.labels.join(", ")} · opened: ${labelOf("issue", issue.number)}\n\n---\n\n${issue.body ?? ""}\n${lines.join("")}`;
}

/**
 * Writes receipts under `outDir`. `numbering` "per-batch" numbers each batch's files from 001 (the demo, whose
 * prefix names the pass); "running" numbers across batches, so that a session's files never overwrite each other.
 * `clockOffsetMs` is how far the sandbox's clock is ahead of the real one: an e-mail's Date is the sandbox's time.
 */
export function createReceivedWriter(
  outDir: string,
  sources: ReceivedSources,
  options: { numbering: "per-batch" | "running"; clockOffsetMs?: () => number },
): ReceivedWriter {
  const sent = { sns: 0, slack: 0, ses: 0, webhooks: 0 };
  const label = { issue: new Map<number, string>(), comment: new Map<number, string>() };
  const issueSnapshots = new Map<number, string>();
  const offset = options.clockOffsetMs ?? (() => 0);

  return {
    flush(batch) {
      const folder = batch.folder ?? "";
      const prefix = batch.prefix ?? "";
      const written: string[] = [];
      const write = (path: string, content: string) => {
        mkdirSync(dirname(join(outDir, path)), { recursive: true });
        writeFileSync(join(outDir, path), content);
        written.push(path);
      };
      const n = (start: number, i: number) => number3(options.numbering === "running" ? start + i : i);

      sources.sns.published.slice(sent.sns).forEach((m, i) => {
        const attributes = Object.fromEntries(
          Object.entries(m.messageAttributes).map(([k, v]) => [k, v.value]),
        );
        const body = m.messageStructure === "json" ? JSON.parse(m.message) : m.message;
        write(
          `${folder}sns/${prefix}${n(sent.sns, i)}-${slug(attributes.repository ?? attributes.route ?? "")}.json`,
          `${JSON.stringify({ subject: m.subject, attributes, message: body }, null, 2)}\n`,
        );
      });
      sources.slack.messages.slice(sent.slack).forEach((m, i) => {
        write(`${folder}slack/${prefix}${n(sent.slack, i)}.json`, `${JSON.stringify(m.payload, null, 2)}\n`);
      });
      sources.ses.sent.slice(sent.ses).forEach((m, i) => {
        const name = `${folder}email/${prefix}${n(sent.ses, i)}`;
        if (m.html) write(`${name}.html`, m.html);
        if (m.text) write(`${name}.txt`, m.text);
        write(
          `${name}.eml`,
          formatEml({
            from: m.from,
            to: m.to,
            cc: m.cc,
            replyTo: m.replyTo,
            subject: m.subject,
            text: m.text,
            html: m.html,
            // SES stamps real time; the message went out at the sandbox's time.
            date: new Date(m.at + offset()),
          }),
        );
      });
      const webhooks = sources.webhook?.received ?? [];
      webhooks.slice(sent.webhooks).forEach((m, i) => {
        write(
          `${folder}webhooks/${prefix}${n(sent.webhooks, i)}.json`,
          `${JSON.stringify(m.body, null, 2)}\n`,
        );
      });
      if (batch.emf && batch.emf.length > 0)
        write(`${folder}metrics/${prefix}emf.jsonl`, `${batch.emf.join("\n")}\n`);
      // A GitHub issue lives across batches: each batch writes the issues it opened or changed, as they stand then.
      const { issues, comments } = sources.github;
      for (const issue of issues)
        if (!label.issue.has(issue.number)) label.issue.set(issue.number, batch.label);
      for (const comment of comments)
        if (!label.comment.has(comment.id)) label.comment.set(comment.id, batch.label);
      for (const issue of issues) {
        const text = renderIssue(
          issue,
          comments.filter((c) => c.issueNumber === issue.number),
          (kind, id) => label[kind].get(id) ?? batch.label,
        );
        if (issueSnapshots.get(issue.number) === text) continue;
        issueSnapshots.set(issue.number, text);
        write(`${folder}github/${prefix}issue-${issue.number}.md`, text);
      }
      sent.sns = sources.sns.published.length;
      sent.slack = sources.slack.messages.length;
      sent.ses = sources.ses.sent.length;
      sent.webhooks = webhooks.length;
      return written;
    },
  };
}
