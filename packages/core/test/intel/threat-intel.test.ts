// Threat intel as a report sees it (LedgerThreatIntel): the feeds behind a recording fetch in their real formats,
// the cache in a ledger table of the sandbox's DynamoDB. KEV fetched at most once a UTC day, EPSS in batches and
// per CVE per day, a cold container served by the ledger; a feed that fails never fails the look-up (the last
// cached copy is used, stale, or the source is unavailable, with a reason); the scheduled run's KEV additions.
import { describe, expect, it } from "vitest";
import { EPSS_MAX_IDS_PER_CALL } from "../../src/intel/epss.js";
import type { IntelCache } from "../../src/intel/intel-cache.js";
import {
  createIntelMemo,
  createThreatIntel,
  type IntelMemo,
  LedgerThreatIntel,
} from "../../src/intel/threat-intel.js";
import { recordingLogger } from "../../src/testing/index.js";
import { advance, EPSS_URL, type Fault, feeds, KEV_URL, kevFixture, useIntelTables } from "./support.js";

const { freshTable } = useIntelTables("threat-intel");
const START = "2026-11-30T08:00:00.000Z";
const LOG4SHELL = "CVE-2021-44228";
const SHELLSHOCK = "CVE-2014-6271";
const RAPID_RESET = "CVE-2023-44487";

async function setUp(options: { limits?: { timeoutMs?: number } } = {}) {
  const table = await freshTable();
  const feed = feeds();
  /** One container: its own memo, the shared ledger table. */
  const container = (memo: IntelMemo = createIntelMemo()) =>
    new LedgerThreatIntel({
      intel: { kevUrl: KEV_URL, epssUrl: EPSS_URL },
      cache: table.cacheOn(),
      fetch: feed.fetch,
      logger: table.logger,
      now: () => table.clock.now,
      memo,
      limits: { retryDelayMs: 1, ...options.limits },
    });
  return { ...table, feed, container };
}

/** A container without a ledger, for what only concerns the feeds (quicker: no table to fill). */
function cacheless() {
  const feed = feeds();
  const intel = new LedgerThreatIntel({
    intel: { kevUrl: KEV_URL, epssUrl: EPSS_URL },
    fetch: feed.fetch,
    logger: recordingLogger(),
    now: () => new Date(START),
    limits: { retryDelayMs: 1 },
  });
  return { intel, feed };
}

describe("a look-up", () => {
  it("gives the KEV entries and EPSS scores of the report's CVE ids, both fresh as of now", async () => {
    const { container, feed } = await setUp();
    const result = await container().lookUp([LOG4SHELL, "cve-2014-6271", "CVE-2026-1000", LOG4SHELL]);
    expect(result.kev).toEqual(
      new Map([
        [
          LOG4SHELL,
          {
            dateAdded: "2021-12-10",
            dueDate: "2021-12-24",
            requiredAction: expect.stringMatching(/^For all affected software assets/),
            knownRansomwareCampaignUse: "Known",
          },
        ],
        [
          SHELLSHOCK,
          {
            dateAdded: "2022-01-28",
            dueDate: "2022-07-28",
            requiredAction: "Apply updates per vendor instructions.",
            knownRansomwareCampaignUse: "Unknown",
          },
        ],
      ]),
    );
    expect(result.epss.get(LOG4SHELL)).toEqual({ score: 0.94436, percentile: 0.99997, date: "2022-02-28" });
    expect(result.epss.get("CVE-2026-1000")).toEqual({ score: 0.01, percentile: 0.5, date: "2026-11-29" });
    expect(result.status).toEqual({
      kev: { state: "fresh", asOf: START },
      epss: { state: "fresh", asOf: START },
    });
    // Each id once, upper case.
    expect(feed.state.epssCalls).toEqual([{ ids: [LOG4SHELL, SHELLSHOCK, "CVE-2026-1000"], limit: "3" }]);
  });

  it("never looks up an id that is not a CVE id, and passes it through", async () => {
    const { container, feed } = await setUp();
    const malformed = [
      "GHSA-jfh8-c2jp-5v3q",
      "ALAS2-2024-2001",
      "CVE-21-44228",
      "CVE-2021-44228,CVE-2014-6271",
      " CVE-2014-6271",
    ];
    const result = await container().lookUp([...malformed, RAPID_RESET]);
    expect(feed.state.epssCalls.flatMap((call) => call.ids)).toEqual([RAPID_RESET]);
    expect([...result.kev.keys()]).toEqual([RAPID_RESET]);
    expect([...result.epss.keys()]).toEqual([RAPID_RESET]);
  });

  it("fetches the KEV catalog once a day: two look-ups the same day are one fetch, the next day another", async () => {
    const { container, feed, clock } = await setUp();
    const intel = container();
    await intel.lookUp([LOG4SHELL]);
    advance(clock, 15); // 23:00 the same day
    expect((await intel.lookUp([SHELLSHOCK])).kev.has(SHELLSHOCK)).toBe(true);
    expect(feed.state.kevCalls).toBe(1);
    advance(clock, 2); // 01:00 the next day
    const nextDay = await intel.lookUp([LOG4SHELL]);
    expect(feed.state.kevCalls).toBe(2);
    expect(nextDay.status.kev).toEqual({ state: "fresh", asOf: clock.now.toISOString() });
  });

  it("looks up an EPSS score once a day per CVE, asking only for the ids not yet known today", async () => {
    const { container, feed, clock } = await setUp();
    const intel = container();
    await intel.lookUp([LOG4SHELL, SHELLSHOCK]);
    advance(clock, 1);
    await intel.lookUp([LOG4SHELL, SHELLSHOCK, RAPID_RESET]);
    advance(clock, 23);
    await intel.lookUp([LOG4SHELL]);
    expect(feed.state.epssCalls.map((call) => call.ids)).toEqual([
      [LOG4SHELL, SHELLSHOCK],
      [RAPID_RESET],
      [LOG4SHELL],
    ]);
  });

  it("remembers for the day that EPSS has no score for a CVE", async () => {
    const { container, feed } = await setUp();
    feed.state.unscored.add("CVE-2026-55555");
    const intel = container();
    const first = await intel.lookUp(["CVE-2026-55555"]);
    const second = await intel.lookUp(["CVE-2026-55555"]);
    expect(first.epss.size + second.epss.size).toBe(0);
    expect(second.status.epss).toEqual({ state: "fresh", asOf: START });
    expect(feed.state.epssCalls).toHaveLength(1);
  });

  it("asks EPSS in batches of the documented size, a page as large as the batch", async () => {
    const { intel, feed } = cacheless();
    const ids = Array.from({ length: 250 }, (_, i) => `CVE-2026-${String(20000 + i)}`);
    const result = await intel.lookUp(ids);
    expect(feed.state.epssCalls.map((call) => [call.ids.length, call.limit])).toEqual([
      [EPSS_MAX_IDS_PER_CALL, "100"],
      [EPSS_MAX_IDS_PER_CALL, "100"],
      [50, "50"],
    ]);
    expect(feed.state.epssCalls.flatMap((call) => call.ids)).toEqual(ids);
    expect(result.epss.size).toBe(250);
  });

  it("has at most three EPSS calls in flight", async () => {
    const { intel, feed } = cacheless();
    const ids = Array.from({ length: 1000 }, (_, i) => `CVE-2026-${String(30000 + i)}`);
    await intel.lookUp(ids);
    expect(feed.state.epssCalls).toHaveLength(10);
    expect(feed.state.epssMostInFlight).toBeGreaterThan(1);
    expect(feed.state.epssMostInFlight).toBeLessThanOrEqual(3);
  });

  it("shares one KEV fetch between look-ups running at once", async () => {
    const { container, feed } = await setUp();
    const intel = container();
    await Promise.all([intel.lookUp([LOG4SHELL]), intel.lookUp([SHELLSHOCK]), intel.lookUp([RAPID_RESET])]);
    expect(feed.state.kevCalls).toBe(1);
  });

  it("serves a cold container from the ledger, not the feeds, the same day", async () => {
    const { container, feed } = await setUp();
    feed.state.unscored.add("CVE-2026-55555");
    const ids = [LOG4SHELL, SHELLSHOCK, "CVE-2026-55555"];
    const warm = await container().lookUp(ids);
    const cold = await container().lookUp(ids);
    expect(feed.state.kevCalls).toBe(1);
    expect(feed.state.epssCalls).toHaveLength(1);
    expect(cold).toEqual(warm);
    expect(cold.kev.size).toBe(2);
    expect(cold.epss.size).toBe(2);
  });

  it("reads the ledger once in a warm container: the memo serves the next look-ups", async () => {
    const { container } = await setUp();
    await container().lookUp([LOG4SHELL]);
    const memo = createIntelMemo();
    const reads: string[] = [];
    const cold = container(memo);
    await cold.lookUp([LOG4SHELL]);
    // The same container's next invocation: a new instance on the same memo, and a cache that must not be read.
    const failing: IntelCache = new Proxy({} as IntelCache, {
      get: (_, name) => () => {
        reads.push(String(name));
        throw new Error("the memo should have answered");
      },
    });
    const feed = feeds();
    const next = new LedgerThreatIntel({
      intel: { kevUrl: KEV_URL, epssUrl: EPSS_URL },
      cache: failing,
      fetch: feed.fetch,
      logger: recordingLogger(),
      now: () => new Date(START),
      memo,
    });
    const result = await next.lookUp([LOG4SHELL]);
    expect(reads).toEqual([]);
    expect(result.kev.has(LOG4SHELL)).toBe(true);
    expect(result.epss.has(LOG4SHELL)).toBe(true);
    expect(feed.state.kevCalls + feed.state.epssCalls.length).toBe(0);
  });

  it("reports a source turned off as off, and asks nothing of it", async () => {
    const feed = feeds();
    const intel = createThreatIntel({
      intel: { kevUrl: null, epssUrl: null },
      fetch: feed.fetch,
      logger: recordingLogger(),
    });
    const result = await intel.lookUp([LOG4SHELL]);
    expect(result.status).toEqual({ kev: { state: "off" }, epss: { state: "off" } });
    expect(result.kev.size + result.epss.size).toBe(0);
    expect(feed.state.kevCalls + feed.state.epssCalls.length).toBe(0);
  });

  it("works without a ledger: each container fetches for itself", async () => {
    const feed = feeds();
    const intel = createThreatIntel({
      intel: { kevUrl: KEV_URL, epssUrl: EPSS_URL },
      fetch: feed.fetch,
      logger: recordingLogger(),
    });
    const result = await intel.lookUp([LOG4SHELL]);
    expect(result.kev.has(LOG4SHELL)).toBe(true);
    expect(result.status).toEqual({
      kev: { state: "fresh", asOf: expect.any(String) },
      epss: { state: "fresh", asOf: expect.any(String) },
    });
  });

  it("goes on from the feeds when the ledger cannot be read or written, and says so in the log", async () => {
    const feed = feeds();
    const logger = recordingLogger();
    const intel = createThreatIntel({
      intel: { kevUrl: KEV_URL, epssUrl: EPSS_URL },
      ledger: {
        client: {
          send: async () => Promise.reject(Object.assign(new Error("no route"), { name: "TimeoutError" })),
        },
        tableName: "ledger",
      },
      fetch: feed.fetch,
      logger,
    });
    const result = await intel.lookUp([LOG4SHELL]);
    expect(result.status.kev.state).toBe("fresh");
    expect(result.epss.has(LOG4SHELL)).toBe(true);
    const messages = logger.logs.map((line) => line.message);
    expect(messages).toContain("cached threat intel could not be read");
    expect(messages).toContain("threat intel could not be cached");
  });
});

describe("a feed that fails", () => {
  const FAULTS: [Fault, RegExp][] = [
    ["500", /^HTTP 500$/],
    ["invalid-json", /^invalid JSON$/],
    ["unexpected-schema", /^unexpected format \(/],
    ["huge", /^body larger than \d+ MB$/],
    ["hang", /^no answer within 300 ms$/],
  ];

  it.each(FAULTS)(
    "(%s) leaves the report with the last cached copy, stale, and the reason",
    async (fault, reason) => {
      const { container, feed, clock } = await setUp({ limits: { timeoutMs: 300 } });
      await container().lookUp([LOG4SHELL, SHELLSHOCK]);
      advance(clock, 24);
      feed.state.fault = { kev: fault, epss: fault };
      const started = Date.now();
      const result = await container().lookUp([LOG4SHELL, SHELLSHOCK]);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(result.status.kev).toEqual({
        state: "stale",
        asOf: START,
        reason: expect.stringMatching(reason),
      });
      expect(result.status.epss).toEqual({
        state: "stale",
        asOf: START,
        reason: expect.stringMatching(reason),
      });
      expect(result.kev.get(LOG4SHELL)?.dueDate).toBe("2021-12-24");
      expect(result.epss.get(SHELLSHOCK)?.score).toBe(0.94219);
    },
  );

  it.each(FAULTS)(
    "(%s) with nothing cached leaves the report without the source, and the reason",
    async (fault, reason) => {
      const { container, feed } = await setUp({ limits: { timeoutMs: 300 } });
      feed.state.fault = { kev: fault, epss: fault };
      const result = await container().lookUp([LOG4SHELL]);
      expect(result.status).toEqual({
        kev: { state: "unavailable", reason: expect.stringMatching(reason) },
        epss: { state: "unavailable", reason: expect.stringMatching(reason) },
      });
      expect(result.kev.size + result.epss.size).toBe(0);
    },
  );

  it("is tried once more for a 5xx, never more", async () => {
    const { container, feed } = await setUp();
    feed.state.fault = { kev: "500", epss: "500" };
    await container().lookUp([LOG4SHELL]);
    expect(feed.state.kevCalls).toBe(2);
    expect(feed.state.epssCalls).toHaveLength(2);
  });

  it("stops the EPSS batches not yet started after the first failure", async () => {
    const { intel, feed } = cacheless();
    feed.state.fault = { epss: "invalid-json" };
    const ids = Array.from({ length: 1000 }, (_, i) => `CVE-2026-${String(40000 + i)}`);
    const result = await intel.lookUp(ids);
    // The first three batches were in flight together; none of the other seven was sent.
    expect(feed.state.epssCalls.length).toBeLessThanOrEqual(3);
    expect(result.status.epss).toEqual({ state: "unavailable", reason: "invalid JSON" });
  });

  it("states the scores it could not give when only some were cached", async () => {
    const { container, feed, clock } = await setUp();
    await container().lookUp([LOG4SHELL]);
    advance(clock, 24);
    feed.state.fault = { epss: "500" };
    const result = await container().lookUp([LOG4SHELL, RAPID_RESET]);
    expect(result.status.epss).toEqual({
      state: "stale",
      asOf: START,
      reason: "HTTP 500; 1 of 2 CVE ids without a score",
    });
    expect([...result.epss.keys()]).toEqual([LOG4SHELL]);
  });

  it("is not tried again by the same container for ten minutes, then is", async () => {
    const { container, feed, clock } = await setUp();
    const intel = container();
    feed.state.fault = { kev: "invalid-json", epss: "invalid-json" };
    await intel.lookUp([LOG4SHELL]);
    advance(clock, 0.1); // six minutes
    const during = await intel.lookUp([LOG4SHELL]);
    expect(during.status.kev).toEqual({ state: "unavailable", reason: "invalid JSON" });
    expect(feed.state.kevCalls).toBe(1);
    expect(feed.state.epssCalls).toHaveLength(1);
    feed.state.fault = {};
    advance(clock, 0.1);
    const after = await intel.lookUp([LOG4SHELL]);
    expect(after.status.kev.state).toBe("fresh");
    expect(after.kev.has(LOG4SHELL)).toBe(true);
    expect(feed.state.kevCalls).toBe(2);
  });

  it("keeps the cached copy when the fetched body is unreadable: the next container still finds it", async () => {
    const { container, feed, clock, cacheOn } = await setUp();
    await container().lookUp([LOG4SHELL]);
    advance(clock, 24);
    feed.state.fault = { kev: "unexpected-schema" };
    await container().lookUp([LOG4SHELL]);
    expect((await cacheOn().readKev())?.fetchedAt).toBe(START);
    const cold = await container().lookUp([LOG4SHELL]);
    expect(cold.status.kev).toMatchObject({ state: "stale", asOf: START });
    expect(cold.kev.has(LOG4SHELL)).toBe(true);
  });
});

describe("the scheduled run's KEV refresh", () => {
  const withoutRapidReset = () => {
    const body = kevFixture();
    body.vulnerabilities = body.vulnerabilities.filter((v) => v.cveID !== RAPID_RESET);
    body.catalogVersion = "2023.10.09";
    return body;
  };

  it("announces nothing on the very first copy, then the CVE ids added since the copy last compared", async () => {
    const { container, feed, clock } = await setUp();
    feed.state.kev = withoutRapidReset();
    const first = await container().refreshKev();
    expect(first.added).toEqual([]);
    expect(first.catalog?.entries.size).toBe(3);
    expect(first.status).toEqual({ state: "fresh", asOf: START });
    advance(clock, 24);
    feed.state.kev = kevFixture();
    const second = await container().refreshKev();
    expect(second.added).toEqual([RAPID_RESET]);
    expect(second.catalog?.catalogVersion).toBe("2024.01.05");
    // Again the same day: the same copy, already compared.
    expect((await container().refreshKev()).added).toEqual([]);
    expect(feed.state.kevCalls).toBe(2);
  });

  it("still announces an addition when a report fetched the new copy earlier the same day", async () => {
    const { container, feed, clock } = await setUp();
    feed.state.kev = withoutRapidReset();
    await container().refreshKev();
    advance(clock, 24);
    feed.state.kev = kevFixture();
    await container().lookUp([RAPID_RESET]); // a report at 08:00 fetches and caches the new copy
    advance(clock, 1);
    const refresh = await container().refreshKev();
    expect(refresh.added).toEqual([RAPID_RESET]);
    expect(feed.state.kevCalls).toBe(2);
  });

  it("compares with the cached copy the first time it runs after reports cached one", async () => {
    const { container, feed, clock } = await setUp();
    feed.state.kev = withoutRapidReset();
    await container().lookUp([LOG4SHELL]);
    advance(clock, 24);
    feed.state.kev = kevFixture();
    expect((await container().refreshKev()).added).toEqual([RAPID_RESET]);
  });

  it("announces an addition once when two runs compare at once", async () => {
    const { container, feed, clock } = await setUp();
    feed.state.kev = withoutRapidReset();
    await container().refreshKev();
    advance(clock, 24);
    feed.state.kev = kevFixture();
    const runs = await Promise.all([container().refreshKev(), container().refreshKev()]);
    expect(runs.flatMap((run) => run.added)).toEqual([RAPID_RESET]);
  });

  it("announces nothing, and says why, when the feed fails and nothing was cached", async () => {
    const { container, feed } = await setUp();
    feed.state.fault = { kev: "500" };
    expect(await container().refreshKev()).toEqual({
      added: [],
      status: { state: "unavailable", reason: "HTTP 500" },
    });
  });

  it("announces nothing when the ledger cannot be read: the next run compares with the same baseline", async () => {
    const feed = feeds();
    const logger = recordingLogger();
    const unreadable: IntelCache = {
      readKev: async () => undefined,
      writeKev: async () => true,
      readEpss: async () => new Map(),
      writeEpss: async () => {},
      readKevBaseline: async () => Promise.reject(new Error("throttled")),
      writeKevBaseline: async () => {
        throw new Error("must not be written without a comparison");
      },
    };
    const intel = new LedgerThreatIntel({
      intel: { kevUrl: KEV_URL, epssUrl: EPSS_URL },
      cache: unreadable,
      fetch: feed.fetch,
      logger,
      now: () => new Date(START),
    });
    const refresh = await intel.refreshKev();
    expect(refresh).toMatchObject({ added: [], status: { state: "fresh", asOf: START } });
    expect(refresh.catalog?.entries.size).toBe(4);
    expect(logger.logs.map((line) => line.message)).toContain(
      "KEV additions not compared: the ledger could not be read or written",
    );
  });

  it("is off when KEV is turned off", async () => {
    const feed = feeds();
    const intel = createThreatIntel({
      intel: { kevUrl: null, epssUrl: EPSS_URL },
      fetch: feed.fetch,
      logger: recordingLogger(),
    });
    expect(await intel.refreshKev()).toEqual({ added: [], status: { state: "off" } });
    expect(feed.state.kevCalls).toBe(0);
  });
});
