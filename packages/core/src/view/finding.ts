import type { ScanType } from "../model.js";

/** A CVSS score with one decimal (`9.8`, `10.0`); "" when there is none. */
export function formatCvss(score: number | undefined): string {
  // Number.isFinite is false for anything but a finite number (undefined too); it is no type guard, hence the cast.
  return Number.isFinite(score) ? (score as number).toFixed(1) : "";
}

/**
 * What is known of a finding's fix: `fixed` (a fixed-in version is given), `none-yet` (enhanced scanning knows of
 * no fix), `unknown` (basic scanning never reports fixed versions, so their absence says nothing).
 */
export type FixStatus = "fixed" | "none-yet" | "unknown";

/** The fix status of a finding from its fixed-in version (as shown, after cleaning) and the scan type. */
export function fixStatus(fixedInVersion: string | undefined, scanType: ScanType): FixStatus {
  if (fixedInVersion?.trim()) return "fixed";
  return scanType === "ENHANCED" ? "none-yet" : "unknown";
}

const MISSING_FIX_TEXT: Readonly<Record<Exclude<FixStatus, "fixed">, string>> = {
  "none-yet": "no fixed version yet",
  unknown: "fix unknown",
};

/** What to say where a fixed-in version is missing: `no fixed version yet` or `fix unknown`; "" when one is known. */
export function missingFixText(fixedInVersion: string | undefined, scanType: ScanType): string {
  const status = fixStatus(fixedInVersion, scanType);
  return status === "fixed" ? "" : MISSING_FIX_TEXT[status];
}
