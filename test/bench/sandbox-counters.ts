import type { Sandbox } from "@ecr-scan-reporter/sandbox";

/** Calls per `service:Operation` as the sandbox received them, and how many of them were answered with a throttle. */
export interface CallTally {
  /** Every request, throttled ones included. */
  received: Record<string, number>;
  /** Requests that reached the operation (everything but the rate limiter's ThrottlingException answers). */
  served: Record<string, number>;
  throttled: Record<string, number>;
}

/**
 * Counts the requests that reach each JSON-protocol operation of ECR and SQS. The sandbox's server answers a
 * throttle before it calls the operation, so `received - served` is exactly the throttling answers, told apart
 * from other 400s such as ScanNotFoundException (which the call records alone cannot).
 */
export function countServedCalls(sandbox: Sandbox): () => CallTally {
  const served: Record<string, number> = {};
  const wrap = (service: string, operations: Record<string, (input: Record<string, unknown>) => unknown>) => {
    for (const [name, run] of Object.entries(operations)) {
      const key = `${service}:${name}`;
      operations[name] = (input) => {
        served[key] = (served[key] ?? 0) + 1;
        return run(input);
      };
    }
  };
  wrap("ecr", sandbox.ecr.operations);
  wrap("sqs", sandbox.sqs.operations);
  return () => {
    const received = sandbox.server.callCounts();
    const throttled: Record<string, number> = {};
    for (const [key, n] of Object.entries(received)) {
      if (!(key.startsWith("ecr:") || key.startsWith("sqs:"))) continue;
      const t = n - (served[key] ?? 0);
      if (t > 0) throttled[key] = t;
    }
    return { received, served: { ...served }, throttled };
  };
}

/** Sum of the values of a record whose keys pass `keep`. */
export function sumWhere(record: Record<string, number>, keep: (key: string) => boolean): number {
  return Object.entries(record).reduce((n, [k, v]) => (keep(k) ? n + v : n), 0);
}
