// What the threat-intel tests share: the feeds in their real formats behind a recording `fetch` (faults on demand),
// and the intel cache on a fresh ledger table of the sandbox's DynamoDB with a clock the test moves.
import { readFileSync } from "node:fs";
import { PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import type { FetchFunction } from "../../src/intel/fetch-bounded.js";
import { LedgerIntelCache } from "../../src/intel/intel-cache.js";
import { fromItem, toItem, type WritableValue } from "../../src/ledger/attributes.js";
import { recordingLogger } from "../../src/testing/index.js";
import { useSandboxDynamoDb } from "../support/ledger-tables.js";

export const KEV_URL = "https://feeds.test/known_exploited_vulnerabilities.json";
export const EPSS_URL = "https://feeds.test/data/v1/epss";

export interface KevBody {
  title: string;
  catalogVersion: string;
  dateReleased: string;
  count: number;
  vulnerabilities: Record<string, unknown>[];
}

/** The KEV fixture (test/fixtures/intel/kev-catalog.json), a fresh copy each call. */
export function kevFixture(): KevBody {
  return JSON.parse(readFileSync(new URL("../fixtures/intel/kev-catalog.json", import.meta.url), "utf8"));
}

/** The EPSS fixture's scores by CVE id, as the API writes them. */
export function epssFixtureScores(): Map<string, { epss: string; percentile: string; date: string }> {
  const body = JSON.parse(
    readFileSync(new URL("../fixtures/intel/epss-response.json", import.meta.url), "utf8"),
  ) as { data: { cve: string; epss: string; percentile: string; date: string }[] };
  return new Map(body.data.map(({ cve, ...score }) => [cve, score]));
}

/**
 * How a feed misbehaves: a 500 (every attempt), a body that is not JSON, JSON of another shape, an endless body,
 * or no answer at all (the request is left hanging, its abort signal ignored).
 */
export type Fault = "500" | "invalid-json" | "unexpected-schema" | "huge" | "hang";

function faultyAnswer(fault: Fault): Promise<Response> {
  switch (fault) {
    case "500":
      return Promise.resolve(new Response("upstream error", { status: 500 }));
    case "invalid-json":
      return Promise.resolve(new Response("<html><body>Access Denied</body></html>"));
    case "unexpected-schema":
      return Promise.resolve(new Response(JSON.stringify({ message: "moved", items: {} })));
    case "huge": {
      const chunk = new Uint8Array(256 * 1024).fill(32);
      return Promise.resolve(
        new Response(new ReadableStream({ pull: (controller) => controller.enqueue(chunk) })),
      );
    }
    case "hang":
      return new Promise<Response>(() => {});
  }
}

/**
 * CISA's KEV feed and FIRST's EPSS API as a recording `fetch`: KEV answers `kev` (the fixture by default); EPSS
 * answers, in its real format, a score for every id asked for (the fixture's scores for its CVEs, 0.01 at the 50th
 * percentile for others), except the ids in `unscored`. `fault` makes a feed misbehave until cleared.
 */
export function feeds() {
  const fixtureScores = epssFixtureScores();
  const state = {
    kev: kevFixture() as unknown,
    unscored: new Set<string>(),
    fault: {} as { kev?: Fault; epss?: Fault },
    /** Every KEV request. */
    kevCalls: 0,
    /** The ids of every EPSS request, and its `limit`. */
    epssCalls: [] as { ids: string[]; limit: string | null }[],
    /** The most EPSS requests in flight at once. */
    epssMostInFlight: 0,
  };
  let inFlight = 0;
  const fetch = (async (input: string) => {
    const url = new URL(input);
    if (input.startsWith(KEV_URL)) {
      state.kevCalls++;
      if (state.fault.kev) return faultyAnswer(state.fault.kev);
      return new Response(JSON.stringify(state.kev), { headers: { "content-type": "application/json" } });
    }
    if (input.startsWith(EPSS_URL)) {
      const ids = (url.searchParams.get("cve") ?? "").split(",").filter(Boolean);
      state.epssCalls.push({ ids, limit: url.searchParams.get("limit") });
      if (state.fault.epss) return faultyAnswer(state.fault.epss);
      inFlight++;
      state.epssMostInFlight = Math.max(state.epssMostInFlight, inFlight);
      // A moment of latency, so that batches sent at once overlap.
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      const data = ids
        .filter((id) => !state.unscored.has(id))
        .map((cve) => ({
          cve,
          ...(fixtureScores.get(cve) ?? {
            epss: "0.010000000",
            percentile: "0.500000000",
            date: "2026-11-29",
          }),
        }));
      const body = {
        status: "OK",
        "status-code": 200,
        version: "1.0",
        access: "private, no-cache",
        total: data.length,
        offset: 0,
        limit: Number(url.searchParams.get("limit") ?? 100),
        data,
      };
      return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
    }
    return new Response("not found", { status: 404 });
  }) as FetchFunction;
  return { fetch, state };
}

/** Intel caches on fresh ledger tables of the sandbox's DynamoDB, with a clock the test moves. */
export function useIntelTables(prefix: string, start = "2026-11-30T08:00:00.000Z") {
  const dynamodb = useSandboxDynamoDb(prefix);
  return {
    async freshTable(options: { kevChunkBytes?: number } = {}) {
      const tableName = await dynamodb.freshTableName();
      const client = dynamodb.client();
      const clock = { now: new Date(start) };
      const logger = recordingLogger();
      const cacheOn = (log = logger) =>
        new LedgerIntelCache({
          client,
          tableName,
          logger: log,
          now: () => clock.now,
          sleep: async () => {},
          kevChunkBytes: options.kevChunkBytes,
        });
      return {
        tableName,
        clock,
        logger,
        cache: cacheOn(),
        /** Another cache on the same table, as a cold container would build it. */
        cacheOn,
        async putRaw(item: Record<string, WritableValue | undefined>) {
          await client.send(new PutItemCommand({ TableName: tableName, Item: toItem(item) }));
        },
        async partition(pk: string): Promise<Record<string, unknown>[]> {
          const output = await client.send(
            new QueryCommand({
              TableName: tableName,
              ConsistentRead: true,
              KeyConditionExpression: "pk = :pk",
              ExpressionAttributeValues: toItem({ ":pk": pk }),
            }),
          );
          return (output.Items ?? []).map(fromItem);
        },
      };
    },
  };
}

/** Moves a clock by hours (negative: back). */
export function advance(clock: { now: Date }, hours: number): void {
  clock.now = new Date(clock.now.getTime() + hours * 3_600_000);
}
