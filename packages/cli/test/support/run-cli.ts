// Runs the CLI in-process as a user would from a shell, capturing what it writes: the entry point every CLI test
// drives.
import { vi } from "vitest";
import { main } from "../../src/main.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `ecr-scan-reporter <args…>`: its exit code and everything it wrote to stdout and stderr. */
export async function runCli(...args: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(["node", "ecr-scan-reporter", ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
