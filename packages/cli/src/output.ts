import { shortDigest } from "@ecr-scan-reporter/core";
import Table from "cli-table3";

/** Whether stdout is a terminal: tables and progress bars there, plain lines in a pipe. */
export function isInteractive(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.CI;
}

/** Prints rows as a table on a terminal, or as tab-separated lines (header first) in a pipe. */
export function printTable(
  headers: string[],
  rows: string[][],
  write = (text: string) => process.stdout.write(text),
) {
  if (isInteractive()) {
    const table = new Table({ head: headers, style: { head: [], border: [] }, wordWrap: true });
    table.push(...rows);
    write(`${table.toString()}\n`);
    return;
  }
  for (const row of [headers, ...rows]) write(`${row.join("\t")}\n`);
}

/** Prints a value as indented JSON. */
export function printJson(value: unknown, write = (text: string) => process.stdout.write(text)) {
  write(`${JSON.stringify(value, null, 2)}\n`);
}

/** The tags, or the short digest of an untagged image, for a table cell. */
export function shortImageName(image: { imageTags: string[]; imageDigest: string }): string {
  return image.imageTags.length > 0 ? image.imageTags.join(",") : shortDigest(image.imageDigest);
}
