import { shortDigest } from "@ecr-scan-reporter/core";
import Table from "cli-table3";

/** Whether stdout is a terminal: tables and progress bars there, plain lines in a pipe. */
export function isInteractive(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.CI;
}

/**
 * Writes a summary line (counts, "wrote N files", what was skipped): on stdout at a terminal, on stderr when stdout
 * is a pipe or a file, so that `plan | cut -f1`, `scan > file` and `--json | jq` get the data and nothing else.
 */
export function writeSummary(text: string, stdoutIsTerminal = Boolean(process.stdout.isTTY)): void {
  const line = text.endsWith("\n") ? text : `${text}\n`;
  if (stdoutIsTerminal) process.stdout.write(line);
  else process.stderr.write(line);
}

/** Where a word too long for its line is best cut: after the last separator that leaves a third of the line. */
function breakPoint(word: string, width: number): number {
  for (let i = width; i > width / 3; i--) if ("/-_.:@,".includes(word[i - 1] ?? "")) return i;
  return width;
}

/**
 * Wraps text to lines of at most `width` characters: at spaces, and a word longer than a line (a repository path,
 * a digest) after a `/`, `-`, `.`… or, failing that, anywhere. Nothing is cut off: every character stays.
 */
export function wrapText(text: string, width: number): string {
  if (width < 1) return text;
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let current = "";
    for (const word of paragraph.split(" ")) {
      const candidate = current ? `${current} ${word}` : word;
      if (candidate.length <= width) {
        current = candidate;
        continue;
      }
      if (current) lines.push(current);
      let rest = word;
      while (rest.length > width) {
        const cut = breakPoint(rest, width);
        lines.push(rest.slice(0, cut));
        rest = rest.slice(cut);
      }
      current = rest;
    }
    lines.push(current);
  }
  return lines.join("\n");
}

/**
 * Column widths (each counting one space of padding on either side) whose table, borders included, fits `width`:
 * the widest columns give way first, down to `minimum`; narrower ones keep their natural width.
 */
export function fitColumnWidths(
  natural: readonly number[],
  minimum: readonly number[],
  width: number,
): number[] {
  const budget = width - (natural.length + 1);
  const widthsAt = (cap: number) => natural.map((n, i) => Math.max(minimum[i] ?? 0, Math.min(n, cap)));
  const total = (widths: number[]) => widths.reduce((a, b) => a + b, 0);
  let cap = Math.max(0, ...natural);
  while (cap > 0 && total(widthsAt(cap)) > budget) cap--;
  return widthsAt(cap);
}

/** A boxed table whose every line fits `width` characters: long cells wrap inside their column. */
export function renderTable(headers: readonly string[], rows: readonly string[][], width: number): string {
  const longestLine = (text: string) => Math.max(...text.split("\n").map((line) => line.length));
  const natural = headers.map(
    (header, i) => Math.max(header.length, ...rows.map((r) => longestLine(r[i] ?? ""))) + 2,
  );
  // A column is never narrower than its header's longest word (a header wraps between words: FIRST / SEEN).
  const minimum = headers.map((header, i) =>
    Math.min(natural[i] ?? 0, Math.max(3, ...header.split(" ").map((word) => word.length)) + 2),
  );
  const widths = fitColumnWidths(natural, minimum, width);
  const table = new Table({
    head: headers.map((header, i) => wrapText(header, (widths[i] ?? 3) - 2)),
    colWidths: widths,
    style: { head: [], border: [] },
    wordWrap: false,
  });
  table.push(...rows.map((row) => row.map((cell, i) => wrapText(cell, (widths[i] ?? 3) - 2))));
  return table.toString();
}

/** Prints rows as a table that fits the terminal, or as tab-separated lines (header first) in a pipe. */
export function printTable(
  headers: string[],
  rows: string[][],
  write: (text: string) => unknown = (text) => process.stdout.write(text),
  terminal: { interactive: boolean; columns: number } = {
    interactive: isInteractive(),
    columns: process.stdout.columns || 80,
  },
) {
  if (terminal.interactive) {
    write(`${renderTable(headers, rows, terminal.columns)}\n`);
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

/** How long ago, in the unit people say: "45 minutes", "5 hours", "9 days" (the largest whole unit). */
export function ageText(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const [n, unit] =
    minutes < 60
      ? [minutes, "minute"]
      : minutes < 24 * 60
        ? [Math.floor(minutes / 60), "hour"]
        : [Math.floor(minutes / (24 * 60)), "day"];
  return `${n} ${unit}${n === 1 ? "" : "s"} ago`;
}
