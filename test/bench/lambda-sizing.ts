import { existsSync, readFileSync } from "node:fs";

/** Memory (MB) per function as the Terraform module configures it by default. */
export interface MemorySizes {
  "schedule-scans": number;
  "scan-images": number;
  "report-findings": number;
}

// What terraform/variables.tf said when this benchmark was written; used if the file cannot be read.
const FALLBACK: MemorySizes = { "schedule-scans": 256, "scan-images": 512, "report-findings": 512 };

/** The module's default `*_memory_size` of each function, read from terraform/variables.tf. */
export function moduleMemoryDefaults(variablesTf: string): { sizes: MemorySizes; source: string } {
  if (!existsSync(variablesTf))
    return { sizes: FALLBACK, source: "built-in fallback (variables.tf not found)" };
  const text = readFileSync(variablesTf, "utf8");
  const sizes = { ...FALLBACK };
  let found = 0;
  for (const fn of Object.keys(sizes) as (keyof MemorySizes)[]) {
    const name = `${fn.replaceAll("-", "_")}_memory_size`;
    const match = new RegExp(`variable\\s+"${name}"\\s*\\{[^}]*?default\\s*=\\s*(\\d+)`, "s").exec(text);
    if (match?.[1]) {
      sizes[fn] = Number(match[1]);
      found += 1;
    }
  }
  return {
    sizes,
    source: found === 3 ? "terraform/variables.tf defaults" : "terraform/variables.tf, partly fallback",
  };
}

/** The smallest of the usual Lambda sizes (128, 256, 512 MB, … doubling) that holds `peakMb`. */
export function lambdaSizeFor(peakMb: number): number {
  let size = 128;
  while (size < peakMb) size *= 2;
  return size;
}

/** GB-seconds of `durationMs` at `memoryMb`, as Lambda bills duration (memory in units of 1,024 MB). */
export function gbSeconds(durationMs: number, memoryMb: number): number {
  return (durationMs / 1000) * (memoryMb / 1024);
}
