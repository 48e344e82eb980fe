import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REPO_ROOT = join(import.meta.dirname, "..", "..");

/** What the function wrote: its JSON log and EMF lines parsed, and stdout and stderr whole (as CloudWatch gets them). */
interface Written {
  logs: Record<string, unknown>[];
  stdout: string;
  stderr: string;
  /** The process's peak resident set size (`process.resourceUsage().maxRSS`), what Lambda's memory limit caps. */
  maxRssKb: number;
}

export type InvokeResult =
  | ({ ok: true; result: unknown } & Written)
  | ({ ok: false; errorType: string; errorMessage: string; code?: string } & Written);

/** Invokes a built bundle from terraform/dist/ in a fresh Node process with exactly the environment given. */
export async function invokeBundle(
  name: string,
  event: unknown,
  env: Record<string, string>,
): Promise<InvokeResult> {
  const dir = mkdtempSync(join(tmpdir(), "invoke-"));
  try {
    const eventPath = join(dir, "event.json");
    const resultPath = join(dir, "result.json");
    writeFileSync(eventPath, JSON.stringify(event));
    const bundlePath = join(REPO_ROOT, "terraform", "dist", name, "index.mjs");
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, "test", "support", "invoke-bundle.mjs"), bundlePath, eventPath, resultPath],
      {
        env: {
          PATH: process.env.PATH ?? "",
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
          ...env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    if (code !== 0) throw new Error(`bundle ${name} exited with ${code}: ${stderr}`);
    const outcome = JSON.parse(readFileSync(resultPath, "utf8"));
    // Powertools writes warnings and errors to stderr, the rest to stdout; Lambda sends both to CloudWatch.
    const logs = `${stdout}\n${stderr}`
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    return { ...outcome, logs, stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The sandbox's KEV feed and EPSS API as a configuration's `intel`, as LocalDeployment gives its functions: a bundle
 * run never asks CISA or FIRST (whose answers change, and which a machine without internet access cannot reach).
 */
export function sandboxIntel(sandbox: { intel: { kevUrl: string; epssUrl: string } }) {
  return { kevUrl: sandbox.intel.kevUrl, epssUrl: sandbox.intel.epssUrl };
}

/** An SQS event as Lambda delivers it from an event source mapping. */
export function sqsEvent(records: { messageId: string; body: string }[]) {
  return {
    Records: records.map(({ messageId, body }) => ({
      messageId,
      receiptHandle: `handle-${messageId}`,
      body,
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: "1700000000000",
        SenderId: "AIDAEXAMPLE",
        ApproximateFirstReceiveTimestamp: "1700000000000",
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:ecr-scan-reporter-scan",
      awsRegion: "eu-west-1",
    })),
  };
}
