import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";

/** What one invocation of a local function returned. */
export type InvocationResult =
  | { ok: true; result: unknown; durationMs: number; coldStartMs?: number; maxRssKb: number }
  | {
      ok: false;
      errorType: string;
      errorMessage: string;
      durationMs: number;
      coldStartMs?: number;
      maxRssKb: number;
    };

export interface LocalFunctionOptions {
  name: string;
  /** The built bundle, e.g. terraform/dist/scan-images/index.mjs. */
  bundlePath: string;
  /** The function's environment, as Lambda would set it (the AWS_* endpoint variables point at the sandbox). */
  env: Record<string, string>;
  /** Called with each log line the function writes. */
  onLog?: (line: string, functionName: string) => void;
  /** How far the sandbox's clock is ahead of the real one, read at each invocation (the function's `Date`). */
  clockOffsetMs?: () => number;
}

const WORKER = fileURLToPath(new URL("./lambda-worker.mjs", import.meta.url));

/**
 * A built Lambda bundle run as Lambda runs it: in a Node process of its own with only its environment, imported
 * once (cold start) and then invoked warm, one invocation at a time.
 */
export class LocalFunction {
  readonly logs: string[] = [];
  readonly invocations: InvocationResult[] = [];
  private child?: ChildProcess;
  private readonly pending = new Map<string, (result: InvocationResult) => void>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly options: LocalFunctionOptions) {}

  private start(): ChildProcess {
    const child = fork(WORKER, [], {
      env: {
        PATH: process.env.PATH ?? "",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        AWS_LAMBDA_FUNCTION_NAME: this.options.name,
        ...this.options.env,
      },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      execArgv: [],
    });
    // A chunk may end in the middle of a line: keep the rest until the next chunk (one buffer per stream).
    const collector = () => {
      let partial = "";
      return (chunk: Buffer) => {
        const lines = (partial + chunk.toString("utf8")).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) {
          if (!line) continue;
          this.logs.push(line);
          this.options.onLog?.(line, this.options.name);
        }
      };
    };
    child.stdout?.on("data", collector());
    child.stderr?.on("data", collector());
    child.on("message", (message: InvocationResult & { id: string }) => {
      const { id, ...result } = message;
      this.pending.get(id)?.(result as InvocationResult);
      this.pending.delete(id);
    });
    child.on("exit", (code) => {
      for (const resolve of this.pending.values()) {
        resolve({
          ok: false,
          errorType: "Runtime.ExitError",
          errorMessage: `exited with ${code}`,
          durationMs: 0,
          maxRssKb: 0,
        });
      }
      this.pending.clear();
      this.child = undefined;
    });
    return child;
  }

  /** Invokes the handler with an event; invocations of one function run one after another, as one instance would. */
  invoke(event: unknown): Promise<InvocationResult> {
    const run = this.queue.then(
      () =>
        new Promise<InvocationResult>((resolve) => {
          this.child ??= this.start();
          const id = randomUUID();
          this.pending.set(id, resolve);
          this.child.send({
            id,
            event,
            requestId: id,
            functionName: this.options.name,
            bundleUrl: pathToFileURL(this.options.bundlePath).href,
            clockOffsetMs: this.options.clockOffsetMs?.() ?? 0,
          });
        }),
    );
    this.queue = run.catch(() => undefined);
    return run.then((result) => {
      this.invocations.push(result);
      return result;
    });
  }

  /** Log lines that are JSON objects (Powertools logs and EMF lines), parsed. */
  jsonLogs(): Record<string, unknown>[] {
    return this.logs.flatMap((line) => {
      if (!line.startsWith("{")) return [];
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill();
    });
  }
}
