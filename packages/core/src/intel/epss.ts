import * as z from "zod";
import type { EpssScore } from "../model.js";
import { IntelFeedError } from "./fetch-bounded.js";
import { CVE_ID_PATTERN } from "./intel.js";
import { describeIssues } from "./kev.js";

/**
 * FIRST's EPSS API (https://api.first.org/epss): `GET <epssUrl>?cve=CVE-1,CVE-2,…` answers `{ status: "OK",
 * "status-code": 200, version, access, total, offset, limit, data: [{ cve, epss: "0.972240000", percentile:
 * "1.000000000", date: "2022-02-28" }] }` — scores as strings. A CVE the model has not scored is simply absent.
 *
 * The API documents the `cve` parameter as taking many ids separated by commas, at most 2,000 characters
 * (commas included), and answers 100 records per page by default (`limit`). A batch is therefore at most 100 ids
 * and 2,000 characters, and asks for `limit` = its size, so that one page holds every score it can get.
 */
export const EPSS_MAX_IDS_PER_CALL = 100;
/** The documented maximum length of the `cve` parameter, commas included. */
export const EPSS_MAX_CVE_PARAMETER_CHARS = 2000;

/** The ids in batches of at most 100 whose comma-separated list is at most 2,000 characters, in order. */
export function epssBatches(ids: readonly string[]): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let chars = 0;
  for (const id of ids) {
    const added = batch.length === 0 ? id.length : id.length + 1;
    if (
      batch.length > 0 &&
      (batch.length >= EPSS_MAX_IDS_PER_CALL || chars + added > EPSS_MAX_CVE_PARAMETER_CHARS)
    ) {
      batches.push(batch);
      batch = [];
      chars = 0;
    }
    chars += batch.length === 0 ? id.length : id.length + 1;
    batch.push(id);
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * `<epssUrl>?…&limit=<n>&cve=CVE-1,CVE-2`: the commas written as commas (CVE ids need no escaping), any query the
 * configured URL has kept, its own `cve` and `limit` replaced.
 */
export function epssRequestUrl(epssUrl: string, batch: readonly string[]): string {
  const url = new URL(epssUrl);
  url.hash = "";
  url.searchParams.delete("cve");
  url.searchParams.set("limit", String(batch.length));
  return `${url.toString()}&cve=${batch.join(",")}`;
}

/** A score as the API writes it: a decimal string (a number is accepted too), 0..1. */
const probability = z
  .union([z.string().regex(/^\d+(\.\d+)?([eE]-?\d+)?$/, "not a decimal"), z.number()])
  .transform(Number)
  .pipe(z.number().min(0).max(1));

const responseSchema = z.object({
  status: z.string().optional(),
  "status-code": z.number().optional(),
  total: z.number().int().nonnegative().optional(),
  data: z.array(z.unknown()),
});

const scoreSchema = z.object({
  cve: z
    .string()
    .transform((id) => id.toUpperCase())
    .pipe(z.string().regex(CVE_ID_PATTERN, "not a CVE id")),
  epss: probability,
  percentile: probability,
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "not a date like 2022-02-28"),
});

export interface ParsedEpssResponse {
  /** By CVE id, upper case. */
  scores: Map<string, EpssScore>;
  /** Records that could not be read, skipped. */
  skipped: number;
  /** More records matched than the page holds (`total` over `data`): some ids asked for may lack their score. */
  truncated: boolean;
}

/**
 * The scores of one EPSS answer. Tolerant per record (a bad record is skipped and counted); an answer that is not
 * an EPSS answer, or says it is not OK, throws an IntelFeedError ("unexpected-schema").
 */
export function parseEpssResponse(json: unknown): ParsedEpssResponse {
  const top = responseSchema.safeParse(json);
  if (!top.success) {
    throw new IntelFeedError("unexpected-schema", `unexpected format (${describeIssues(top.error)})`);
  }
  const statusCode = top.data["status-code"];
  if ((statusCode !== undefined && statusCode !== 200) || (top.data.status ?? "OK") !== "OK") {
    throw new IntelFeedError(
      "unexpected-schema",
      `unexpected status (${String(top.data.status)} ${String(statusCode)})`,
    );
  }
  const scores = new Map<string, EpssScore>();
  let skipped = 0;
  for (const raw of top.data.data) {
    const record = scoreSchema.safeParse(raw);
    if (!record.success) {
      skipped++;
      continue;
    }
    const { cve, epss, percentile, date } = record.data;
    scores.set(cve, { score: epss, percentile, date });
  }
  const truncated = top.data.total !== undefined && top.data.total > top.data.data.length;
  return { scores, skipped, truncated };
}
