import { fork } from "node:child_process";
import { join } from "node:path";
import type { Sandbox } from "@ecr-scan-reporter/sandbox";
import type { LedgerReadJob, LedgerReadWorkerResult } from "./ledger-read-worker.js";
import { lambdaNodeOptions } from "./report.js";

const WORKER = join(import.meta.dirname, "ledger-read-worker.ts");

/**
 * Runs one job in a fresh process (ledger-read-worker.ts) whose SDK clients talk to the sandbox, with the V8 limits
 * Lambda's Node.js bootstrap derives from `memoryMb` when given (send-digests), Node's own otherwise (the CLI).
 * Returns the worker's result and the time from fork to answer (process start and imports included).
 */
export async function runInWorker<R extends LedgerReadWorkerResult>(
  sandbox: Sandbox,
  job: LedgerReadJob,
  options: { memoryMb?: number; timeoutMs: number },
): Promise<{ result: R; processMs: number }> {
  const started = performance.now();
  const heapLimits = options.memoryMb ? lambdaNodeOptions(options.memoryMb).split(" ") : [];
  const child = fork(WORKER, [], {
    execArgv: ["--import", "tsx", ...heapLimits],
    env: {
      ...process.env,
      ...sandbox.env(),
      ...(options.memoryMb ? { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb) } : {}),
    },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  try {
    const answer = await new Promise<{ ok: true; result: R } | { ok: false; error: string }>(
      (resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${job.kind} worker gave no answer within ${options.timeoutMs} ms`)),
          options.timeoutMs,
        );
        child.once("message", (message) => {
          clearTimeout(timer);
          resolve(message as { ok: true; result: R } | { ok: false; error: string });
        });
        child.once("exit", (code) => {
          clearTimeout(timer);
          reject(new Error(`${job.kind} worker exited with code ${code} before answering`));
        });
        child.send(job);
      },
    );
    if (!answer.ok) throw new Error(`${job.kind} worker failed: ${answer.error}`);
    return { result: answer.result, processMs: performance.now() - started };
  } finally {
    if (child.exitCode === null) child.kill();
  }
}
