import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createReceivedWriter, type ReceivedSources } from "../src/demo/received.js";
import type { ReceivedComment, ReceivedIssue } from "../src/github/types.js";
import type { PublishedMessage } from "../src/sns.js";

// What the targets received, written as files (demo/received.ts): the demo writes a batch per pass, the sandbox
// command as messages arrive — a later batch never overwrites an earlier one's files.

function sources() {
  const published: PublishedMessage[] = [];
  const issues: ReceivedIssue[] = [];
  const comments: ReceivedComment[] = [];
  const src: ReceivedSources = {
    sns: { published },
    ses: { sent: [] },
    slack: { messages: [] },
    github: { issues, comments },
    webhook: { received: [] },
  };
  const publish = (repository: string) =>
    published.push({
      messageId: String(published.length),
      topicArn: "arn:aws:sns:eu-west-1:123456789012:t",
      subject: `scan of ${repository}`,
      message: "text",
      messageAttributes: { repository: { dataType: "String", value: repository } },
      at: 0,
    });
  const issue = (number: number, state: "open" | "closed") => {
    const found = issues.find((i) => i.number === number);
    if (found) found.state = state;
    else
      issues.push({
        repository: "acme/security",
        id: number,
        number,
        title: `team-a/api:v${number}`,
        body: "findings",
        state,
        stateReason: null,
        labels: ["security"],
        assignees: [],
        comments: 0,
        createdAt: "",
        updatedAt: "",
        closedAt: null,
      } as ReceivedIssue);
  };
  return { src, publish, issue, comments };
}

describe("the files of what the targets received", () => {
  it("numbers a session's messages across batches, so that none overwrites another", () => {
    const out = mkdtempSync(join(tmpdir(), "received-"));
    const { src, publish } = sources();
    const writer = createReceivedWriter(out, src, { numbering: "running" });
    publish("team-a/api");
    expect(writer.flush({ label: "10:00" })).toEqual(["sns/001-team-a_api.json"]);
    expect(writer.flush({ label: "10:01" })).toEqual([]);
    publish("team-b/../web");
    publish("team-c/db");
    expect(writer.flush({ label: "10:02" })).toEqual([
      "sns/002-team-b_.._web.json",
      "sns/003-team-c_db.json",
    ]);
    expect(readdirSync(join(out, "sns"))).toHaveLength(3);
    expect(JSON.parse(readFileSync(join(out, "sns", "001-team-a_api.json"), "utf8"))).toEqual({
      subject: "scan of team-a/api",
      attributes: { repository: "team-a/api" },
      message: "text",
    });
  });

  it("numbers each batch from 001 under its own prefix (the demo's passes)", () => {
    const out = mkdtempSync(join(tmpdir(), "received-"));
    const { src, publish } = sources();
    const writer = createReceivedWriter(out, src, { numbering: "per-batch" });
    publish("a");
    writer.flush({ prefix: "pass1-", label: "pass 1" });
    publish("b");
    expect(writer.flush({ prefix: "pass2-", label: "pass 2" })).toEqual(["sns/pass2-001-b.json"]);
  });

  it("writes a GitHub issue again only when it changed, saying when it was opened and each comment made", () => {
    const out = mkdtempSync(join(tmpdir(), "received-"));
    const { src, issue, comments } = sources();
    const writer = createReceivedWriter(out, src, { numbering: "running" });
    issue(7, "open");
    expect(writer.flush({ label: "pass 1" })).toEqual(["github/issue-7.md"]);
    expect(writer.flush({ label: "pass 2" })).toEqual([]);
    comments.push({ repository: "acme/security", issueNumber: 7, id: 70, body: "fixed", createdAt: "" });
    issue(7, "closed");
    expect(writer.flush({ label: "pass 3" })).toEqual(["github/issue-7.md"]);
    const text = readFileSync(join(out, "github", "issue-7.md"), "utf8");
    expect(text).toContain("state: closed · labels: security · opened: pass 1");
    expect(text).toContain("comment 70 (pass 3):\n\nfixed");
  });
});
