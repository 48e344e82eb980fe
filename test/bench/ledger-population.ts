// Filling the findings ledger's table for the digest and exposure benchmarks: straight into dynalite (behind the
// sandbox: no IAM, no latency, no call counts), so that population is set-up and never part of what is measured.
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DynamoDBClient,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import type { Sandbox } from "@ecr-scan-reporter/sandbox";

/** BatchWriteItem takes at most 25 items. */
const BATCH = 25;
/** Writes in flight at once: dynalite is one process, more only queue up. */
const WRITE_CONCURRENCY = 4;

/** Runs the tasks with at most `concurrency` in flight, in order of start. */
export async function inPool(tasks: readonly (() => Promise<unknown>)[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      await task?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
}

/** A DynamoDB client on dynalite itself (the sandbox's back door), for population and clean-up only. */
export function populationClient(sandbox: Sandbox): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: sandbox.dynamodb.dynaliteEndpoint,
    region: sandbox.region,
    credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
  });
}

/** Puts the items 25 a call (unprocessed ones asked again), several calls at once. */
export async function putItems(
  client: DynamoDBClient,
  tableName: string,
  items: readonly Record<string, AttributeValue>[],
): Promise<void> {
  const tasks: (() => Promise<void>)[] = [];
  for (let start = 0; start < items.length; start += BATCH) {
    const chunk = items.slice(start, start + BATCH);
    tasks.push(async () => {
      let pending: WriteRequest[] = chunk.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        if (attempt > 10) throw new Error(`${pending.length} item(s) still unprocessed after 10 attempts`);
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
        pending = out.UnprocessedItems?.[tableName] ?? [];
      }
    });
  }
  await inPool(tasks, WRITE_CONCURRENCY);
}

/** The sandbox's call counts and consumed capacity now, to subtract from a later snapshot. */
export function sandboxSnapshot(sandbox: Sandbox) {
  return { calls: sandbox.server.callCounts(), capacity: { ...sandbox.dynamodb.consumedCapacity } };
}

/** `after - before` per key, keys with no change left out. */
export function counterDelta(
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(after)) {
    const d = n - (before[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** Calls of one service between two snapshots, keyed by operation (the `service:` prefix dropped). */
export function callsOf(
  service: string,
  after: Record<string, number>,
  before: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counterDelta(after, before))
      .filter(([k]) => k.startsWith(`${service}:`))
      .map(([k, n]) => [k.slice(service.length + 1), n]),
  );
}
