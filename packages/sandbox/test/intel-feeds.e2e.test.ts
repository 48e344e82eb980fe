import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  DATASET_EPSS,
  DEMO_KEV_ADDITION,
  type EpssRecord,
  INITIAL_KEV_ENTRIES,
  INTEL_FAULTS,
  type IntelEndpoint,
  type IntelFeeds,
  KEV_DUE_AFTER_DAYS,
  type KevCatalog,
  kevEntryAddedOn,
  startIntelFeeds,
} from "../src/index.js";

// The sandbox's KEV feed and EPSS API through real HTTP (fetch): CISA's catalog format and how a release changes it,
// FIRST's answer format, paging and limits, each fault a feed can be switched to, and a close that ends everything,
// a hanging request included.

const DAY = 86_400_000;
let clock: number;
let feeds: IntelFeeds;

beforeEach(async () => {
  clock = Date.parse("2026-12-01T09:30:00.123Z");
  feeds = await startIntelFeeds({ now: () => clock, hugeBodyBytes: 3 * 1024 * 1024 });
});
afterEach(async () => {
  await feeds.close();
});

/** FIRST's answer as the sandbox writes it (an error answer has `message` instead of the paging and `data`). */
interface EpssBody {
  status: string;
  "status-code": number;
  version: string;
  access: string;
  total: number;
  offset: number;
  limit: number;
  data: { cve: string; epss: string; percentile: string; date: string }[];
  message?: string;
}

const getJson = async <T = Record<string, unknown>>(url: string) => {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    body: (await response.json()) as T,
  };
};
const kev = async () => (await getJson<KevCatalog>(feeds.kevUrl)).body;
const epss = (query: string) => getJson<EpssBody>(`${feeds.epssUrl}?${query}`);

/** The body's first `bound` bytes at most, then the rest is refused (as a bounded reader does). */
async function readBounded(response: Response, bound: number): Promise<{ bytes: number; complete: boolean }> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes, complete: true };
    bytes += value.byteLength;
    if (bytes > bound) {
      await reader.cancel();
      return { bytes, complete: false };
    }
  }
}

const KEV_FIELDS = [
  "cveID",
  "vendorProject",
  "product",
  "vulnerabilityName",
  "dateAdded",
  "shortDescription",
  "requiredAction",
  "dueDate",
  "knownRansomwareCampaignUse",
  "notes",
  "cwes",
];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

describe("the KEV feed", () => {
  it("serves CISA's catalog: its top-level fields in order, the release of the feeds' clock, every entry's fields", async () => {
    const response = await fetch(feeds.kevUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    const text = await response.text();
    const catalog = JSON.parse(text) as KevCatalog;
    expect(Object.keys(catalog)).toEqual([
      "title",
      "catalogVersion",
      "dateReleased",
      "count",
      "vulnerabilities",
    ]);
    expect(catalog.title).toBe("CISA Catalog of Known Exploited Vulnerabilities");
    expect(catalog.catalogVersion).toBe("2026.12.01");
    // Four decimals of a second, as CISA writes it; still the same instant.
    expect(catalog.dateReleased).toBe("2026-12-01T09:30:00.1230Z");
    expect(Date.parse(catalog.dateReleased)).toBe(clock);
    expect(catalog.count).toBe(INITIAL_KEV_ENTRIES.length);
    expect(catalog.vulnerabilities).toHaveLength(catalog.count);

    for (const entry of catalog.vulnerabilities) {
      expect(Object.keys(entry)).toEqual(KEV_FIELDS);
      expect(entry.cveID).toMatch(/^CVE-\d{4}-\d{4,19}$/);
      expect(entry.dateAdded).toMatch(DATE);
      expect(entry.dueDate).toMatch(DATE);
      expect(entry.dueDate > entry.dateAdded).toBe(true);
      expect(["Known", "Unknown"]).toContain(entry.knownRansomwareCampaignUse);
      for (const field of KEV_FIELDS.slice(1, -1)) {
        expect(typeof (entry as unknown as Record<string, unknown>)[field]).toBe("string");
      }
      for (const cwe of entry.cwes) expect(cwe).toMatch(/^CWE-\d+$/);
    }
    // Newest first, as CISA's catalog is.
    const added = catalog.vulnerabilities.map((e) => e.dateAdded);
    expect(added).toEqual([...added].sort().reverse());
    expect(catalog.vulnerabilities.find((e) => e.cveID === "CVE-2021-44228")).toMatchObject({
      dateAdded: "2021-12-10",
      dueDate: "2021-12-24",
      knownRansomwareCampaignUse: "Known",
    });
    // CISA's escapes: "/" as "\/" (plain JSON, which a parser reads back).
    expect(text).toContain('"notes": "https:\\/\\/nvd.nist.gov\\/vuln\\/detail\\/CVE-2021-44228"');
    expect(catalog.vulnerabilities.some((e) => e.notes.includes("https://nvd.nist.gov/"))).toBe(true);
    expect(feeds.requests).toEqual({ kev: 1, epss: 0 });
  });

  it("releases a new catalog when an entry is added: version and date of the release, count, the entry on top", async () => {
    const before = await kev();
    expect(before.vulnerabilities.map((e) => e.cveID)).not.toContain("CVE-2023-4911");

    clock += 8 * DAY;
    feeds.addKev(DEMO_KEV_ADDITION);
    const after = await kev();
    expect(after.catalogVersion).toBe("2026.12.09");
    expect(Date.parse(after.dateReleased)).toBe(clock);
    expect(after.count).toBe(before.count + 1);
    expect(after.vulnerabilities).toHaveLength(before.count + 1);
    expect(after.vulnerabilities[0]).toEqual(DEMO_KEV_ADDITION);
    expect(after.vulnerabilities.slice(1)).toEqual(before.vulnerabilities);

    // A revision of an entry (CISA updates known ransomware use, for one) is a release too, with no new entry.
    clock += 3_600_000;
    feeds.addKev({ ...DEMO_KEV_ADDITION, knownRansomwareCampaignUse: "Known" });
    const revised = await kev();
    expect(revised.count).toBe(after.count);
    expect(revised.vulnerabilities[0]?.knownRansomwareCampaignUse).toBe("Known");
    expect(revised.catalogVersion).toBe("2026.12.09");
    expect(Date.parse(revised.dateReleased)).toBe(clock);
  });

  it("can date an addition on the demo's clock: due three weeks later, as CISA sets new entries", () => {
    const entry = kevEntryAddedOn(DEMO_KEV_ADDITION, "2026-12-09");
    expect(entry).toEqual({ ...DEMO_KEV_ADDITION, dateAdded: "2026-12-09", dueDate: "2026-12-30" });
    expect(KEV_DUE_AFTER_DAYS).toBe(21);
    expect(kevEntryAddedOn(DEMO_KEV_ADDITION, "2027-02-20").dueDate).toBe("2027-03-13");
  });
});

describe("the EPSS API", () => {
  it("answers FIRST's envelope: scores as 9-decimal strings, the day's date, unknown CVEs absent, newest first", async () => {
    const { status, type, body } = await epss("cve=CVE-2014-6271,CVE-2099-0001,CVE-2021-44228,CVE-2014-6271");
    expect(status).toBe(200);
    expect(type).toBe("application/json");
    expect(Object.keys(body)).toEqual([
      "status",
      "status-code",
      "version",
      "access",
      "total",
      "offset",
      "limit",
      "data",
    ]);
    expect(body).toMatchObject({
      status: "OK",
      "status-code": 200,
      version: "1.0",
      total: 2,
      offset: 0,
      limit: 100,
    });
    expect(body.data).toEqual([
      { cve: "CVE-2021-44228", epss: "0.943580000", percentile: "0.999900000", date: "2026-12-01" },
      { cve: "CVE-2014-6271", epss: "0.975500000", percentile: "0.999960000", date: "2026-12-01" },
    ]);
    for (const row of body.data) {
      expect(Object.keys(row)).toEqual(["cve", "epss", "percentile", "date"]);
      expect(row.epss).toMatch(/^[01]\.\d{9}$/);
      expect(row.percentile).toMatch(/^[01]\.\d{9}$/);
    }
  });

  it("pages: 100 records unless `limit` says otherwise, `total` counting every match, `offset` from 0", async () => {
    const ids = Array.from({ length: 130 }, (_, i) => `CVE-2030-${10_000 + i}`);
    for (const [i, id] of ids.entries()) feeds.setEpss(id, { epss: i / 1000, percentile: i / 130 });
    // Asked oldest first, answered newest first (CVE-2030-10129 down), 100 rows then the 30 left.
    const newestFirst = [...ids].reverse();
    const first = (await epss(`cve=${ids.join(",")}`)).body;
    expect(first).toMatchObject({ total: 130, offset: 0, limit: 100 });
    expect(first.data.map((r) => r.cve)).toEqual(newestFirst.slice(0, 100));
    const rest = (await epss(`cve=${ids.join(",")}&offset=100`)).body;
    expect(rest).toMatchObject({ total: 130, offset: 100, limit: 100 });
    expect(rest.data.map((r) => r.cve)).toEqual(newestFirst.slice(100));

    const dataset = Object.keys(DATASET_EPSS);
    const whole = (await epss(`cve=${dataset.join(",")}`)).body;
    const page = (await epss(`cve=${dataset.join(",")}&limit=10&offset=40`)).body;
    expect(page).toMatchObject({ total: dataset.length, offset: 40, limit: 10 });
    expect(page.data).toEqual(whole.data.slice(40, 50));
    expect(page.data).toHaveLength(dataset.length - 40);
    const none = (await epss(`cve=${dataset.join(",")}&limit=0`)).body;
    expect(none).toMatchObject({ total: dataset.length, limit: 0, data: [] });
  });

  it("refuses what is past FIRST's documented limits: a cve parameter over 2,000 characters, a limit over 10,000", async () => {
    // 133 ids and 132 commas, the last id long enough to make exactly 2,000 characters: accepted; one more is not.
    const ids = Array.from({ length: 132 }, (_, i) => `CVE-2031-${10_000 + i}`);
    const head = `${ids.join(",")},CVE-2031-`;
    const atLimit = head.padEnd(2000, "7");
    expect(atLimit).toHaveLength(2000);
    expect((await epss(`cve=${atLimit}`)).status).toBe(200);
    const over = await epss(`cve=${atLimit}1`);
    expect(over.status).toBe(400);
    expect(over.body).toMatchObject({ status: "error", "status-code": 400 });
    expect(over.body.message).toContain("2001 characters");
    expect(over.body).not.toHaveProperty("data");

    expect((await epss("cve=CVE-2021-44228&limit=10000")).status).toBe(200);
    expect((await epss("cve=CVE-2021-44228&limit=10001")).status).toBe(400);
    expect((await epss("cve=CVE-2021-44228&limit=ten")).status).toBe(400);
    expect((await epss("cve=CVE-2021-44228&offset=-1")).status).toBe(400);
    expect(feeds.log.filter((r) => r.endpoint === "epss").map((r) => r.answered)).toEqual([
      200, 400, 200, 400, 400, 400,
    ]);
  });

  it("serves what setEpss sets, and leaves out a CVE it unscores; with no cve, every scored CVE", async () => {
    feeds.setEpss("CVE-2021-44228", null);
    feeds.setEpss("CVE-2030-0001", { epss: 0.5, percentile: 0.98 });
    const { body } = await epss("cve=CVE-2021-44228,CVE-2030-0001");
    expect(body.total).toBe(1);
    expect(body.data).toEqual([
      { cve: "CVE-2030-0001", epss: "0.500000000", percentile: "0.980000000", date: "2026-12-01" },
    ]);
    // Newest by number, not by text: CVE-2030-10000 before CVE-2030-9999.
    feeds.setEpss("CVE-2030-9999", { epss: 0.1, percentile: 0.9 });
    feeds.setEpss("CVE-2030-10000", { epss: 0.1, percentile: 0.9 });
    const numbered = (await epss("cve=CVE-2030-9999,CVE-2030-10000,CVE-2029-99999")).body;
    expect(numbered.data.map((r) => r.cve)).toEqual(["CVE-2030-10000", "CVE-2030-9999"]);
    for (const id of ["CVE-2030-9999", "CVE-2030-10000", "CVE-2030-0001"]) feeds.setEpss(id, null);
    feeds.setEpss("CVE-2021-44228", DATASET_EPSS["CVE-2021-44228"] as EpssRecord);

    const all = (await getJson<EpssBody>(feeds.epssUrl)).body;
    expect(all.total).toBe(Object.keys(DATASET_EPSS).length);
    expect(all.data).toHaveLength(Object.keys(DATASET_EPSS).length);
  });

  it("has illustrative scores for every CVE of the dataset, percentiles never lower for a higher score", () => {
    const rows = Object.values(DATASET_EPSS).sort((a, b) => a.epss - b.epss);
    rows.slice(1).forEach((row, i) => {
      expect(row.percentile).toBeGreaterThanOrEqual((rows[i] as EpssRecord).percentile);
    });
    for (const row of rows) {
      expect(row.epss).toBeGreaterThan(0);
      expect(row.percentile).toBeLessThanOrEqual(1);
    }
  });
});

describe("faults", () => {
  const url = (endpoint: IntelEndpoint) =>
    endpoint === "kev" ? feeds.kevUrl : `${feeds.epssUrl}?cve=CVE-2021-44228`;

  for (const endpoint of ["kev", "epss"] as const) {
    const other: IntelEndpoint = endpoint === "kev" ? "epss" : "kev";

    it(`${endpoint}: a 500 with an HTML page, the other feed unaffected, then normal again`, async () => {
      feeds.fail(endpoint, "error-500");
      const response = await fetch(url(endpoint));
      expect(response.status).toBe(500);
      expect(response.headers.get("content-type")).toBe("text/html");
      await expect(response.json()).rejects.toThrow(SyntaxError);
      expect((await fetch(url(other))).status).toBe(200);
      feeds.fail(endpoint, null);
      expect((await fetch(url(endpoint))).status).toBe(200);
      expect(feeds.log.map((r) => [r.endpoint, r.fault])).toEqual([
        [endpoint, "error-500"],
        [other, undefined],
        [endpoint, undefined],
      ]);
    });

    it(`${endpoint}: invalid JSON, announced as JSON with status 200`, async () => {
      feeds.fail(endpoint, "invalid-json");
      const response = await fetch(url(endpoint));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/json");
      const text = await response.text();
      expect(text.length).toBeGreaterThan(10);
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
    });

    it(`${endpoint}: JSON of an unexpected shape`, async () => {
      feeds.fail(endpoint, "unexpected-schema");
      const { status, body } = await getJson(url(endpoint));
      expect(status).toBe(200);
      if (endpoint === "kev") {
        expect(Array.isArray(body.vulnerabilities)).toBe(false);
        expect(typeof body.count).toBe("string");
      } else {
        expect(Array.isArray(body.data)).toBe(false);
        expect(typeof (body.data as Record<string, { epss: unknown }>)["CVE-2021-44228"]?.epss).toBe(
          "number",
        );
      }
    });

    it(`${endpoint}: a huge body with no length, valid JSON if read to the end`, async () => {
      feeds.fail(endpoint, "huge-body");
      const response = await fetch(url(endpoint));
      expect(response.status).toBe(200);
      expect(response.headers.get("content-length")).toBeNull();
      const text = await response.text();
      expect(text.length).toBeGreaterThan(3 * 1024 * 1024 - 4096);
      const body = JSON.parse(text);
      if (endpoint === "kev") expect(body.vulnerabilities).toHaveLength(body.count);
      else expect(body.data).toHaveLength(body.total);
    });

    it(`${endpoint}: a hang, never answered, until the client gives up`, async () => {
      feeds.fail(endpoint, "hang");
      await expect(fetch(url(endpoint), { signal: AbortSignal.timeout(200) })).rejects.toThrow(
        /abort|timeout/i,
      );
      expect(feeds.requests[endpoint]).toBe(1);
      expect(feeds.log).toEqual([expect.objectContaining({ endpoint, answered: "hang", fault: "hang" })]);
      expect((await fetch(url(other))).status).toBe(200);
    });
  }

  it("lists every fault", () => {
    expect(INTEL_FAULTS).toEqual(["error-500", "invalid-json", "unexpected-schema", "huge-body", "hang"]);
  });

  it("streams a huge body by default far past any sane bound, and stops when the reader does", async () => {
    const big = await startIntelFeeds({ now: () => clock });
    try {
      big.fail("kev", "huge-body");
      const read = await readBounded(await fetch(big.kevUrl), 2 * 1024 * 1024);
      expect(read).toMatchObject({ complete: false });
      expect(read.bytes).toBeGreaterThan(2 * 1024 * 1024);
      // The feeds still answer after a reader walked away from a 64 MiB body.
      big.fail("kev", null);
      expect((await fetch(big.kevUrl)).status).toBe(200);
    } finally {
      await big.close();
    }
  });
});

describe("requests and close", () => {
  it("counts requests per feed; other paths are 404 and other methods 405", async () => {
    await fetch(feeds.kevUrl);
    await fetch(`${feeds.epssUrl}?cve=CVE-2021-44228`);
    await fetch(`${feeds.epssUrl}?cve=CVE-2014-6271`);
    expect((await fetch(feeds.kevUrl.replace("/kev.json", "/data/v1/epss"))).status).toBe(404);
    expect((await fetch(feeds.kevUrl, { method: "POST", body: "{}" })).status).toBe(405);
    expect(feeds.requests).toEqual({ kev: 2, epss: 2 });
    expect(feeds.log.map((r) => [r.endpoint, r.method, r.answered])).toEqual([
      ["kev", "GET", 200],
      ["epss", "GET", 200],
      ["epss", "GET", 200],
      ["other", "GET", 404],
      ["kev", "POST", 405],
    ]);
  });

  it("close() ends a hanging request and a streaming one, and leaves no socket or server open", async () => {
    const open = () =>
      process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap" || r === "TCPServerWrap").length;
    // Sockets of earlier tests' servers may still be closing: the count is taken once it has settled.
    const settled = async () => {
      let last = open();
      for (let stable = 0, i = 0; stable < 5 && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const now = open();
        stable = now === last ? stable + 1 : 0;
        last = now;
      }
      return last;
    };
    const baseline = await settled();
    const mine = await startIntelFeeds({ now: () => clock });
    mine.fail("kev", "hang");
    mine.fail("epss", "huge-body");
    const hanging = fetch(mine.kevUrl).then(
      () => "answered",
      () => "ended",
    );
    const streaming = await fetch(`${mine.epssUrl}?cve=CVE-2021-44228`);
    const reader = (streaming.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    expect(open()).toBeGreaterThan(baseline);

    const started = Date.now();
    await mine.close();
    expect(await hanging).toBe("ended");
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(fetch(mine.kevUrl)).rejects.toThrow();
    expect(await settled()).toBe(baseline);
  });
});
