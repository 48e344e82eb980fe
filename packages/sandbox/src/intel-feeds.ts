import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  DATASET_EPSS,
  type EpssRecord,
  INITIAL_KEV_ENTRIES,
  type KevCatalogEntry,
} from "./data/intel-records.js";

// Local stand-ins for the two threat-intel sources the project reads, in their real formats:
// - CISA's Known Exploited Vulnerabilities catalog, JSON feed
//   (https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json), as its schema
//   (https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities_schema.json) and a published copy
//   (github.com/cisagov/kev-data, known_exploited_vulnerabilities.json, catalogVersion "2025.02.25") show it;
// - FIRST's EPSS API (https://api.first.org/data/v1/epss), as its documentation (https://api.first.org/epss,
//   https://www.first.org/epss/api, the global parameters of https://api.first.org) and its answers quoted in
//   users' reports show it.
// Each behaviour below names its source; where the source is silent, the comment says what the sandbox chose.

/** The two feeds, for faults and counts. */
export type IntelEndpoint = "kev" | "epss";

/**
 * How a feed misbehaves, for the failure-path tests: `error-500` (an HTML error page with status 500), `invalid-json`
 * (the real document cut in half, status 200), `unexpected-schema` (valid JSON whose shape is not the feed's),
 * `huge-body` (a valid document of `hugeBodyBytes`, streamed without a length, so that only a bounded read is safe),
 * `hang` (the request is never answered, until the client gives up or the feeds are closed).
 */
export type IntelFault = "error-500" | "invalid-json" | "unexpected-schema" | "huge-body" | "hang";

export const INTEL_FAULTS: readonly IntelFault[] = [
  "error-500",
  "invalid-json",
  "unexpected-schema",
  "huge-body",
  "hang",
];

/** The KEV catalog document, with CISA's field names and order. */
export interface KevCatalog {
  title: string;
  /** `YYYY.MM.DD`: the day of the release. */
  catalogVersion: string;
  /** The release's date and time, e.g. `2025-02-25T20:33:53.3676Z`. */
  dateReleased: string;
  count: number;
  vulnerabilities: KevCatalogEntry[];
}

/** One request the feeds received and how it was answered (a status, or `hang`). */
export interface IntelRequestRecord {
  endpoint: IntelEndpoint | "other";
  method: string;
  url: string;
  answered: number | "hang";
  fault?: IntelFault;
}

export interface IntelFeedsOptions {
  port?: number;
  /** The feeds' clock (default `Date.now`): the catalog's release time and the EPSS scores' date. */
  now?: () => number;
  /** The catalog's entries, newest first (default INITIAL_KEV_ENTRIES). */
  kev?: readonly KevCatalogEntry[];
  /** EPSS scores by CVE id (default DATASET_EPSS, illustrative values). */
  epss?: Readonly<Record<string, EpssRecord>>;
  /** The size of a `huge-body` answer (default 64 MiB). */
  hugeBodyBytes?: number;
}

export interface IntelFeeds {
  /** The KEV catalog's URL, for `intel.kevUrl`. */
  kevUrl: string;
  /** The EPSS API's URL, for `intel.epssUrl` (`?cve=…` is appended by the client). */
  epssUrl: string;
  /** Requests received per feed, faulted ones included. */
  requests: Record<IntelEndpoint, number>;
  /** Every request, in order. */
  log: IntelRequestRecord[];
  /** The catalog as the feed serves it now. */
  catalog(): KevCatalog;
  /** Adds an entry at the top of the catalog (or replaces the entry of its CVE) and releases a new catalog. */
  addKev(entry: KevCatalogEntry): void;
  /** Sets the EPSS score of a CVE; `null` unscores it (FIRST then leaves it out of `data`). */
  setEpss(cve: string, score: EpssRecord | null): void;
  /** From now on, `endpoint` answers with `fault` (`null`: normally again). */
  fail(endpoint: IntelEndpoint, fault: IntelFault | null): void;
  /** Stops the server, ending every connection, hanging and streaming ones included. */
  close(): Promise<void>;
}

export const KEV_PATH = "/kev.json";
export const EPSS_PATH = "/epss";

/** The catalog's title, as CISA's feed gives it. */
export const KEV_CATALOG_TITLE = "CISA Catalog of Known Exploited Vulnerabilities";

// FIRST's EPSS API, documented limits: `cve` "Multiple values are supported separated by commas. The maximum size
// accepted for this parameter is 2000 characters (including commas)" (https://api.first.org/epss); the global
// `limit` "Should be an integer number between 0 and 10,000" and `offset` "The first item is 0"
// (https://api.first.org, Global parameters); by default an answer holds 100 records ("Show EPSS scores for the first
// 100 CVEs", https://www.first.org/epss/api) and says `total` (every match), `offset` and `limit`, so that a list of
// 130 CVEs comes back as 100 rows with `"total": 130` (OWASP/cve-lite-cli#1178).
export const EPSS_MAX_CVE_PARAMETER_CHARS = 2000;
export const EPSS_DEFAULT_LIMIT = 100;
export const EPSS_MAX_LIMIT = 10_000;

// BOD 22-01 due dates as CISA sets them for new entries today: three weeks after `dateAdded` (every entry of
// 2023-09 to 2023-11 in CISA's catalog: 2023-09-13 → 2023-10-04, 2023-10-10 → 2023-10-31, 2023-11-21 → 2023-12-12).
export const KEV_DUE_AFTER_DAYS = 21;

const DAY_MS = 86_400_000;

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** CISA's `catalogVersion` for a release at `ms`: its day, `YYYY.MM.DD` ("2025.02.25" for a release that day). */
export function catalogVersionOf(ms: number): string {
  return dayOf(ms).replaceAll("-", ".");
}

/**
 * CISA's `dateReleased` for a release at `ms`: ISO 8601 with four decimals of a second, as CISA writes it
 * ("2025-02-25T20:33:53.3676Z"; its schema says `YYYY-MM-DDTHH:mm:ss.sssZ`), so a client parsing three only fails.
 */
export function cisaDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/Z$/, "0Z");
}

/** The catalog document of these entries released at `releasedAt`, fields in CISA's order. */
export function kevCatalogOf(entries: readonly KevCatalogEntry[], releasedAt: number): KevCatalog {
  return {
    title: KEV_CATALOG_TITLE,
    catalogVersion: catalogVersionOf(releasedAt),
    dateReleased: cisaDateTime(releasedAt),
    count: entries.length,
    vulnerabilities: entries.map((e) => ({
      cveID: e.cveID,
      vendorProject: e.vendorProject,
      product: e.product,
      vulnerabilityName: e.vulnerabilityName,
      dateAdded: e.dateAdded,
      shortDescription: e.shortDescription,
      requiredAction: e.requiredAction,
      dueDate: e.dueDate,
      knownRansomwareCampaignUse: e.knownRansomwareCampaignUse,
      notes: e.notes,
      cwes: [...e.cwes],
    })),
  };
}

/**
 * JSON as CISA's feed is written (its published copy): indented by four spaces, `/` escaped as `\/` and every
 * character past ASCII as `\uXXXX` ("the \u201cnobody\u201d user"). Both escapes are plain JSON; a client that
 * matches the raw text instead of parsing it breaks, as it would on the real feed.
 */
export function cisaJson(value: unknown): string {
  return JSON.stringify(value, null, 4)
    .replaceAll("/", "\\/")
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * An entry as added on `day` (`YYYY-MM-DD`): `dateAdded` that day, `dueDate` KEV_DUE_AFTER_DAYS later, the rest
 * CISA's. For a demo that lives its KEV addition on its own clock; the entry's real dates stay in the data.
 */
export function kevEntryAddedOn(entry: KevCatalogEntry, day: string): KevCatalogEntry {
  const added = Date.parse(`${day}T00:00:00Z`);
  return { ...entry, dateAdded: day, dueDate: dayOf(added + KEV_DUE_AFTER_DAYS * DAY_MS) };
}

/** A score or percentile as FIRST writes it: a string of 9 decimals ("0.972240000"). */
export const epssDecimal = (value: number) => value.toFixed(9);

/** An EPSS API answer: HTTP status and JSON body. */
export interface EpssAnswer {
  status: number;
  body: Record<string, unknown>;
}

// FIRST documents its limits but not its answer past them. The sandbox refuses such a request with HTTP 400 and
// FIRST's envelope with an error status (a choice, not FIRST's documented words): a client that stays within the
// documented limits is the only one that works with both, and one that does not fails loudly here.
function epssRefusal(message: string): EpssAnswer {
  return {
    status: 400,
    body: { status: "error", "status-code": 400, version: "1.0", access: "public", message },
  };
}

const WHOLE_NUMBER = /^\d+$/;

/**
 * FIRST's order of an answer's rows: not the order asked, newest CVE id first — as two answers show (asked
 * CVE-2022-46161,CVE-2022-46162, answered 46162 first: devops-kung-fu/bomber#101; asked CVE-2021-40438,CVE-2019-16759,
 * answered in that order: https://api.first.org/epss). The rule behind it is not documented; a client must match
 * rows by `cve`, never by position.
 */
export function newestCveFirst(a: string, b: string): number {
  const [, yearA = "", numberA = ""] = /^CVE-(\d{4})-(\d+)$/.exec(a) ?? [];
  const [, yearB = "", numberB = ""] = /^CVE-(\d{4})-(\d+)$/.exec(b) ?? [];
  if (yearA !== yearB) return yearA < yearB ? 1 : -1;
  if (numberA.length !== numberB.length) return numberB.length - numberA.length;
  return numberA === numberB ? 0 : numberA < numberB ? 1 : -1;
}

/**
 * FIRST's EPSS API's answer to a query (pure): `cve` (comma separated; each known CVE once, newest first, unknown
 * ones simply absent, matched exactly), `limit` (default 100, at most 10,000) and `offset` (default 0) over the
 * matches; no `cve`: every scored CVE. Other parameters (`date`, `scope`, `order`, `envelope`, `pretty`, the
 * thresholds) are ignored: the sandbox has one day of scores, and `data[].date` says which.
 */
export function epssAnswer(
  query: URLSearchParams,
  scores: ReadonlyMap<string, EpssRecord>,
  day: string,
): EpssAnswer {
  const cveParameter = query.get("cve");
  if (cveParameter !== null && cveParameter.length > EPSS_MAX_CVE_PARAMETER_CHARS) {
    return epssRefusal(
      `the cve parameter has ${cveParameter.length} characters, more than ${EPSS_MAX_CVE_PARAMETER_CHARS}`,
    );
  }
  const limitParameter = query.get("limit");
  const offsetParameter = query.get("offset");
  if (limitParameter !== null && !WHOLE_NUMBER.test(limitParameter)) {
    return epssRefusal("limit must be an integer number between 0 and 10,000");
  }
  if (offsetParameter !== null && !WHOLE_NUMBER.test(offsetParameter)) {
    return epssRefusal("offset must be an integer number, the first item being 0");
  }
  const limit = limitParameter === null ? EPSS_DEFAULT_LIMIT : Number(limitParameter);
  const offset = offsetParameter === null ? 0 : Number(offsetParameter);
  if (limit > EPSS_MAX_LIMIT) return epssRefusal("limit must be an integer number between 0 and 10,000");

  const asked = cveParameter === null ? [...scores.keys()] : [...new Set(cveParameter.split(","))];
  const matches = asked.filter((cve) => scores.has(cve)).sort(newestCveFirst);
  const data = matches.slice(offset, offset + limit).map((cve) => {
    const score = scores.get(cve) as EpssRecord;
    return { cve, epss: epssDecimal(score.epss), percentile: epssDecimal(score.percentile), date: day };
  });
  // Key order as FIRST's documentation and a 2025 answer (aboutcode-org/vulnerablecode#1975) give it; `access`
  // "public" as in answers of 2022 and 2025 (devops-kung-fu/bomber#101, #1975; the documentation's example says
  // "private, no-cache").
  return {
    status: 200,
    body: {
      status: "OK",
      "status-code": 200,
      version: "1.0",
      access: "public",
      total: matches.length,
      offset,
      limit,
      data,
    },
  };
}

// What each fault serves. Neither host documents its error pages: an HTML page is what a web server or CDN in front
// of an API gives for a 500 (an invented page).
const ERROR_500_PAGE =
  "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>";

/** The KEV document with an unexpected shape (invented): entries keyed by CVE, `count` a string, dates renamed. */
function unexpectedKevSchema(catalog: KevCatalog): unknown {
  return {
    title: catalog.title,
    catalogVersion: catalog.catalogVersion,
    dateReleased: catalog.dateReleased,
    count: String(catalog.count),
    vulnerabilities: Object.fromEntries(
      catalog.vulnerabilities.map((e) => [
        e.cveID,
        { added: e.dateAdded, due: e.dueDate, action: e.requiredAction },
      ]),
    ),
  };
}

/** The EPSS answer with an unexpected shape (invented): `data` keyed by CVE, scores as numbers in percent. */
function unexpectedEpssSchema(answer: EpssAnswer): unknown {
  const rows = (answer.body.data ?? []) as { cve: string; epss: string; percentile: string }[];
  return {
    ...answer.body,
    version: "2.0",
    data: Object.fromEntries(
      rows.map((r) => [r.cve, { epss: Number(r.epss) * 100, percentile: Number(r.percentile) * 100 }]),
    ),
  };
}

/** How many filler entries make a document of about `bytes` with this head and tail. */
function fillerCount(head: string, filler: string, tail: string, bytes: number): number {
  return Math.max(1, Math.floor((bytes - head.length - tail.length) / (filler.length + 1)));
}

/**
 * A valid document: `head`, then `filler` `count` times, comma separated, then `tail`; generated as the client
 * reads, about 64 KiB a chunk, so the sandbox holds one chunk at a time whatever the size.
 */
function* hugeDocument(head: string, filler: string, tail: string, count: number): Generator<Buffer> {
  const perChunk = Math.max(1, Math.floor(65_536 / (filler.length + 1)));
  yield Buffer.from(head);
  for (let written = 0; written < count; ) {
    const n = Math.min(perChunk, count - written);
    const parts = Array.from({ length: n }, (_, i) => (written + i === 0 ? filler : `,${filler}`));
    yield Buffer.from(parts.join(""));
    written += n;
  }
  yield Buffer.from(tail);
}

function hugeKev(catalog: KevCatalog, bytes: number): Generator<Buffer> {
  // One invented entry over and over, each a valid KEV entry: a catalog far larger than CISA's (about 1,300
  // entries, a few MB), which a reader must stop reading.
  const filler = JSON.stringify({
    ...(catalog.vulnerabilities[0] ?? INITIAL_KEV_ENTRIES[0]),
    cveID: "CVE-1999-0001",
    shortDescription: "Filler of an oversized catalog (invented).",
  });
  const tail = "]}";
  const draft = (count: number) =>
    `{"title":${JSON.stringify(catalog.title)},"catalogVersion":"${catalog.catalogVersion}","dateReleased":"${catalog.dateReleased}","count":${count},"vulnerabilities":[`;
  const count = fillerCount(draft(0), filler, tail, bytes);
  return hugeDocument(draft(count), filler, tail, count);
}

function hugeEpss(day: string, bytes: number): Generator<Buffer> {
  const filler = JSON.stringify({
    cve: "CVE-1999-0001",
    epss: "0.000100000",
    percentile: "0.010000000",
    date: day,
  });
  const tail = "]}";
  const draft = (count: number) =>
    `{"status":"OK","status-code":200,"version":"1.0","access":"public","total":${count},"offset":0,"limit":${count},"data":[`;
  const count = fillerCount(draft(0), filler, tail, bytes);
  return hugeDocument(draft(count), filler, tail, count);
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Starts the KEV feed and the EPSS API on 127.0.0.1 (a free port unless `port`): `GET /kev.json` serves the catalog,
 * `GET /epss?cve=…` the scores, both in their real formats; faults per feed on demand (`fail`); every request
 * counted and logged. Any other path answers 404, any other method 405.
 */
export async function startIntelFeeds(options: IntelFeedsOptions = {}): Promise<IntelFeeds> {
  const now = options.now ?? Date.now;
  const hugeBodyBytes = options.hugeBodyBytes ?? 64 * 1024 * 1024;
  let entries: KevCatalogEntry[] = [...(options.kev ?? INITIAL_KEV_ENTRIES)];
  let releasedAt = now();
  const scores = new Map<string, EpssRecord>(Object.entries(options.epss ?? DATASET_EPSS));
  const faults: Partial<Record<IntelEndpoint, IntelFault>> = {};
  const requests: Record<IntelEndpoint, number> = { kev: 0, epss: 0 };
  const log: IntelRequestRecord[] = [];

  const catalog = () => kevCatalogOf(entries, releasedAt);

  const stream = (res: ServerResponse, body: Generator<Buffer>) => {
    // No content-length: the reader learns the size only by reading (chunked transfer encoding).
    res.writeHead(200, { "content-type": "application/json" });
    // A client that stops reading ends the connection; the generator then stops with it.
    pipeline(Readable.from(body), res).catch(() => undefined);
  };

  const answerFault = (
    res: ServerResponse,
    fault: IntelFault,
    document: () => string,
    unexpected: () => unknown,
    huge: () => Generator<Buffer>,
  ) => {
    switch (fault) {
      case "error-500":
        send(res, 500, "text/html", ERROR_500_PAGE);
        return;
      case "invalid-json": {
        const text = document();
        send(res, 200, "application/json", text.slice(0, Math.floor(text.length / 2)));
        return;
      }
      case "unexpected-schema":
        send(res, 200, "application/json", JSON.stringify(unexpected()));
        return;
      case "huge-body":
        stream(res, huge());
        return;
      case "hang":
        // Never answered: the connection stays open until the client gives up or close() ends it.
        return;
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const method = req.method ?? "GET";
    const endpoint: IntelEndpoint | "other" =
      url.pathname === KEV_PATH ? "kev" : url.pathname === EPSS_PATH ? "epss" : "other";
    const record: IntelRequestRecord = { endpoint, method, url: req.url ?? "/", answered: 404 };
    log.push(record);
    if (endpoint === "other") {
      send(res, 404, "text/plain", "Not Found");
      return;
    }
    requests[endpoint]++;
    if (method !== "GET") {
      record.answered = 405;
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    const fault = faults[endpoint];
    if (fault) {
      record.fault = fault;
      record.answered = fault === "hang" ? "hang" : fault === "error-500" ? 500 : 200;
    } else {
      record.answered = 200;
    }

    if (endpoint === "kev") {
      const current = catalog();
      const document = () => cisaJson(current);
      if (fault) {
        answerFault(
          res,
          fault,
          document,
          () => unexpectedKevSchema(current),
          () => hugeKev(current, hugeBodyBytes),
        );
        return;
      }
      send(res, 200, "application/json", document());
      return;
    }

    const day = dayOf(now());
    const answer = epssAnswer(url.searchParams, scores, day);
    const document = () => JSON.stringify(answer.body);
    if (fault) {
      answerFault(
        res,
        fault,
        document,
        () => unexpectedEpssSchema(answer),
        () => hugeEpss(day, hugeBodyBytes),
      );
      return;
    }
    record.answered = answer.status;
    send(res, answer.status, "application/json", document());
  };

  const server = createServer((req, res) => {
    // The feeds answer GETs: a request body, if any, is read and dropped.
    req.resume();
    handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  return {
    kevUrl: `${base}${KEV_PATH}`,
    epssUrl: `${base}${EPSS_PATH}`,
    requests,
    log,
    catalog,
    addKev(entry) {
      // CISA adds new entries at the top (its catalog is newest first) and revises existing ones in place; either
      // is a new release: catalogVersion is the release's day, dateReleased its time, count the entries'.
      const at = entries.findIndex((e) => e.cveID === entry.cveID);
      entries = at < 0 ? [entry, ...entries] : entries.map((e, i) => (i === at ? entry : e));
      releasedAt = now();
    },
    setEpss(cve, score) {
      if (score === null) scores.delete(cve);
      else scores.set(cve, score);
    },
    fail(endpoint, fault) {
      if (fault === null) delete faults[endpoint];
      else faults[endpoint] = fault;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
