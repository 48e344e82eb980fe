// KEV escalations (issue 16, item 4) on the sandbox's DynamoDB (dynalite with its GSIs, behind the sandbox's
// harshness): the images are in the ledger as report-findings leaves them — vulnerability-index items
// (vulnerabilityIndexItem), the tags' last reports and the images' scans — and found with queryExposure; the
// pending escalations live in the ledger's INTEL#KEV-ESCALATION item; the report queue is a recorder.
import { BatchWriteItemCommand, GetItemCommand, type WriteRequest } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import type { KevEscalationRequest } from "../src/events/kev-escalation.js";
import { toItem, type WritableValue } from "../src/ledger/attributes.js";
import { queryExposure } from "../src/ledger/exposure.js";
import {
  DynamoDbKevEscalations,
  type KevEscalationStore,
  kevEscalationKey,
} from "../src/ledger/kev-escalations.js";
import { imageKey, imageName, LEDGER_SCHEMA_VERSION, lastReportKey } from "../src/ledger/records.js";
import { vulnerabilityIndexItem } from "../src/ledger/vulnerability-index.js";
import type { CompactFinding } from "../src/model.js";
import { recordingLogger } from "../src/testing/index.js";
import {
  type EscalateKevDeps,
  escalateKev,
  escalationsOf,
  type KevRefresher,
  nextBatch,
  progressOf,
  requestsAfter,
} from "../src/use-cases/escalate-kev.js";
import { useSandboxDynamoDb } from "./support/ledger-tables.js";

const REGISTRY = "123456789012";
const FINDINGS_AT = "2026-03-01T08:00:00.000Z";
const LOG4SHELL = "CVE-2021-44228";
const LOG4J_DOS = "CVE-2021-45105";
const OPENSSL = "CVE-2022-3602";
const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
const noWait = async () => {};

const dynamodb = useSandboxDynamoDb("escalate-kev");

const finding = (id: string, pkg = "log4j-core"): CompactFinding => ({
  id,
  severity: "CRITICAL",
  package: pkg,
  version: "2.14.1",
});

interface SeedImage {
  repository: string;
  digest: string;
  /** The tags at its scan (the index items' `tags`). */
  tags: string[];
  findings: CompactFinding[];
  /** Where each tag's last report points now (absent: at this image). */
  pointsAt?: Record<string, string>;
}

/**
 * The registry of every test: team-a/api v1 has log4shell and CVE-2021-45105; team-b/web has log4shell in two
 * packages; team-a/api's old build (v0) has log4shell but its tag moved to a rebuild; team-c/job's build is
 * untagged; team-d/svc has another CVE only.
 */
const A: SeedImage = {
  repository: "team-a/api",
  digest: digestOf(1),
  tags: ["v1", "latest"],
  findings: [finding(LOG4SHELL), finding(LOG4J_DOS)],
};
const B: SeedImage = {
  repository: "team-b/web",
  digest: digestOf(2),
  tags: ["prod"],
  findings: [finding(LOG4SHELL), finding(LOG4SHELL, "log4j-api")],
};
const MOVED: SeedImage = {
  repository: "team-a/api",
  digest: digestOf(3),
  tags: ["v0"],
  findings: [finding(LOG4SHELL)],
  pointsAt: { v0: digestOf(4) },
};
const UNTAGGED: SeedImage = {
  repository: "team-c/job",
  digest: digestOf(5),
  tags: [],
  findings: [finding(LOG4SHELL)],
};
const OTHER: SeedImage = {
  repository: "team-d/svc",
  digest: digestOf(6),
  tags: ["main"],
  findings: [finding(OPENSSL, "openssl")],
};
const REGISTRY_IMAGES = [A, B, MOVED, UNTAGGED, OTHER];

/** Puts items with BatchWriteItem, 25 a call, asking again for what DynamoDB leaves unprocessed. */
async function putItems(tableName: string, items: readonly Record<string, unknown>[]): Promise<void> {
  const puts: WriteRequest[] = items.map((item) => ({
    PutRequest: { Item: toItem(item as Record<string, WritableValue>) },
  }));
  for (let start = 0; start < puts.length; start += 25) {
    let pending = puts.slice(start, start + 25);
    while (pending.length > 0) {
      const output = await dynamodb
        .client()
        .send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
      pending = output.UnprocessedItems?.[tableName] ?? [];
    }
  }
}

/** A fresh table holding the images as report-findings records them: index items, tags' last reports, scans. */
async function ledgerWith(images: readonly SeedImage[]): Promise<string> {
  const tableName = await dynamodb.freshTableName();
  await putItems(tableName, [
    ...images.flatMap((image) =>
      image.findings.map((f) => vulnerabilityIndexItem({ registryId: REGISTRY, ...image }, f, FINDINGS_AT)),
    ),
    ...images.flatMap((image) =>
      image.tags.map((tag) => ({
        ...lastReportKey({ registryId: REGISTRY, ...image, tag }),
        schema: LEDGER_SCHEMA_VERSION,
        digest: image.pointsAt?.[tag] ?? image.digest,
        scanCompletedAt: FINDINGS_AT,
        findings: [],
        over: true,
        reportedAt: FINDINGS_AT,
      })),
    ),
    ...images.map((image) => ({
      ...imageKey({ registryId: REGISTRY, ...image }),
      schema: LEDGER_SCHEMA_VERSION,
      status: "COMPLETE",
      completedAt: FINDINGS_AT,
      updatedAt: FINDINGS_AT,
    })),
  ]);
  return tableName;
}

/** A refresher that announces each addition once, as LedgerThreatIntel.refreshKev does. */
function kevFeed(...additions: string[][]): KevRefresher & { calls: number } {
  const feed = {
    calls: 0,
    async refreshKev() {
      const added = additions[feed.calls] ?? [];
      feed.calls++;
      return { added };
    },
  };
  return feed;
}

/** The report queue: records what it is given, and refuses the images `refuse` names (by imageName). */
function reportQueue(refuse: (request: KevEscalationRequest) => boolean = () => false) {
  const queued: KevEscalationRequest[] = [];
  const calls: KevEscalationRequest[][] = [];
  const queue: EscalateKevDeps["queue"] = async (requests) => {
    calls.push([...requests]);
    const failed = requests.filter(refuse).map((request) => ({ request, reason: "InternalError: busy" }));
    queued.push(...requests.filter((request) => !refuse(request)));
    return { failed };
  };
  return { queue, queued, calls };
}

function deps(
  tableName: string,
  overrides: Partial<EscalateKevDeps> & Pick<EscalateKevDeps, "queue">,
): EscalateKevDeps & { logs: ReturnType<typeof recordingLogger>["logs"] } {
  const logger = recordingLogger();
  const client = dynamodb.client();
  return {
    store: new DynamoDbKevEscalations({ client, tableName, logger, sleep: noWait }),
    findImages: async (vulnerability) =>
      (await queryExposure({ client, tableName, vulnerability, logger, sleep: noWait })).images,
    logger,
    logs: logger.logs,
    ...overrides,
  };
}

const nameOf = (image: SeedImage) => imageName({ registryId: REGISTRY, ...image });
const summary = (requests: readonly KevEscalationRequest[]) =>
  requests.map((r) => ({ image: imageName(r), tags: r.tags, cves: r.cves }));

describe("escalateKev on the ledger", { timeout: 30_000 }, () => {
  it("a KEV addition queues exactly the affected images in use, one request per image with all its CVE ids", async () => {
    const tableName = await ledgerWith(REGISTRY_IMAGES);
    const { queue, queued } = reportQueue();
    const run = await escalateKev(deps(tableName, { refresher: kevFeed([LOG4J_DOS, LOG4SHELL]), queue }));

    // Not the build whose tag moved, not the untagged one, not the image without these CVE ids; team-b/web's two
    // log4shell findings (two packages) are one request.
    expect(summary(queued)).toEqual([
      { image: nameOf(A), tags: ["latest", "v1"], cves: [LOG4SHELL, LOG4J_DOS] },
      { image: nameOf(B), tags: ["prod"], cves: [LOG4SHELL] },
    ]);
    expect(run).toEqual({
      added: [LOG4SHELL, LOG4J_DOS],
      queued: 2,
      left: 0,
      cvesPending: 0,
      failed: 0,
      state: "done",
    });
  });

  it("a doubled run queues nothing more, one after the other or both at once", async () => {
    const tableName = await ledgerWith(REGISTRY_IMAGES);
    const { queue, queued } = reportQueue();
    const feed = kevFeed([LOG4SHELL]);
    await escalateKev(deps(tableName, { refresher: feed, queue }));
    const again = await escalateKev(deps(tableName, { refresher: feed, queue }));
    expect(again).toMatchObject({ queued: 0, left: 0, cvesPending: 0, state: "idle" });
    expect(queued.map(imageName)).toEqual([nameOf(A), nameOf(B)]);

    // Two runs at once on another table: one learns of the addition; whichever holds the lease queues, once.
    const other = await ledgerWith(REGISTRY_IMAGES);
    const both = reportQueue();
    const concurrent = kevFeed([LOG4SHELL]);
    const runs = await Promise.all([
      escalateKev(deps(other, { refresher: concurrent, queue: both.queue })),
      escalateKev(deps(other, { refresher: concurrent, queue: both.queue })),
    ]);
    expect(both.queued.map(imageName).sort()).toEqual([nameOf(A), nameOf(B)]);
    expect(runs.map((r) => r.queued).sort()).toEqual([0, 2]);
  });

  it("a run that finds another run's live lease queues nothing and leaves the additions to it", async () => {
    const tableName = await ledgerWith(REGISTRY_IMAGES);
    const store = new DynamoDbKevEscalations({
      client: dynamodb.client(),
      tableName,
      logger: recordingLogger(),
    });
    const held = await store.lease();
    expect(held).toBeDefined();
    const { queue, queued } = reportQueue();
    const busy = await escalateKev(deps(tableName, { refresher: kevFeed([LOG4SHELL]), queue }));
    expect(busy).toMatchObject({ added: [LOG4SHELL], queued: 0, cvesPending: 1, state: "busy" });
    expect(queued).toEqual([]);
    // The addition was recorded all the same: the lease's holder (here, the next run once it is let go) queues it.
    if (held) await store.commit(held, { taken: [] });
    const next = await escalateKev(deps(tableName, { queue }));
    expect(next).toMatchObject({ queued: 2, state: "done" });
  });

  it("queues at most the run's bound, keeps the rest in the ledger and counts it; the next run goes on", async () => {
    const tableName = await ledgerWith(REGISTRY_IMAGES);
    const { queue, queued } = reportQueue();
    const feed = kevFeed([LOG4SHELL]);
    const first = await escalateKev(deps(tableName, { refresher: feed, queue, limits: { perRun: 1 } }));
    expect(first).toEqual({
      added: [LOG4SHELL],
      queued: 1,
      left: 1,
      cvesPending: 1,
      failed: 0,
      state: "more-left",
    });
    expect(queued.map(imageName)).toEqual([nameOf(A)]);
    const item = await dynamodb.client().send(
      new GetItemCommand({
        TableName: tableName,
        Key: toItem({ ...kevEscalationKey() }),
        ConsistentRead: true,
      }),
    );
    // What is left: the batch and the last image queued for it; no lease once the run is done.
    expect(item.Item?.batch).toEqual({ L: [{ S: LOG4SHELL }] });
    expect(item.Item?.after).toEqual({ S: nameOf(A) });
    expect(item.Item?.leaseToken).toBeUndefined();
    expect(item.Item?.incoming).toBeUndefined();

    const second = await escalateKev(deps(tableName, { refresher: feed, queue, limits: { perRun: 1 } }));
    expect(second).toMatchObject({ added: [], queued: 1, left: 0, cvesPending: 0, state: "done" });
    const third = await escalateKev(deps(tableName, { refresher: feed, queue, limits: { perRun: 1 } }));
    expect(third).toMatchObject({ queued: 0, state: "idle" });
    expect(queued.map(imageName)).toEqual([nameOf(A), nameOf(B)]);
  });

  it("escalates in batches of CVE ids, bounded in look-ups per run; later additions wait their turn", async () => {
    const tableName = await ledgerWith(REGISTRY_IMAGES);
    const { queue, queued } = reportQueue();
    const feed = kevFeed([LOG4SHELL, LOG4J_DOS], [OPENSSL]);
    const limits = { batchCves: 1, lookupsPerRun: 1 };
    const first = await escalateKev(deps(tableName, { refresher: feed, queue, limits }));
    // One batch (the first CVE id in order) per run: its images, each with that id only.
    expect(summary(queued)).toEqual([
      { image: nameOf(A), tags: ["latest", "v1"], cves: [LOG4SHELL] },
      { image: nameOf(B), tags: ["prod"], cves: [LOG4SHELL] },
    ]);
    expect(first).toMatchObject({ queued: 2, left: 0, cvesPending: 1, state: "more-left" });

    const second = await escalateKev(deps(tableName, { refresher: feed, queue, limits }));
    expect(second).toMatchObject({ added: [OPENSSL], queued: 1, cvesPending: 1, state: "more-left" });
    expect(summary(queued.slice(2))).toEqual([
      { image: nameOf(A), tags: ["latest", "v1"], cves: [LOG4J_DOS] },
    ]);
    const third = await escalateKev(deps(tableName, { refresher: feed, queue, limits }));
    expect(third).toMatchObject({ queued: 1, cvesPending: 0, state: "done" });
    expect(summary(queued.slice(3))).toEqual([{ image: nameOf(OTHER), tags: ["main"], cves: [OPENSSL] }]);
  });

  it("a request SQS refuses is queued by the next run, and those before it are not queued again", async () => {
    const tableName = await ledgerWith(REGISTRY_IMAGES);
    let refuseB = true;
    const { queue, queued } = reportQueue((request) => refuseB && imageName(request) === nameOf(B));
    const first = await escalateKev(deps(tableName, { refresher: kevFeed([LOG4SHELL]), queue }));
    expect(first).toMatchObject({ queued: 1, failed: 1, left: 1, cvesPending: 1, state: "more-left" });
    expect(first.error).toContain("InternalError: busy");

    refuseB = false;
    const second = await escalateKev(deps(tableName, { queue }));
    expect(second).toMatchObject({ queued: 1, failed: 0, left: 0, state: "done" });
    expect(queued.map(imageName)).toEqual([nameOf(A), nameOf(B)]);
  });

  it("a look-up that fails leaves the batch for the next run, and the feed's failure stops nothing", async () => {
    const tableName = await ledgerWith(REGISTRY_IMAGES);
    const { queue, queued } = reportQueue();
    const failing = deps(tableName, {
      refresher: kevFeed([LOG4SHELL]),
      queue,
      findImages: async () => {
        throw new Error("ProvisionedThroughputExceededException: slow down");
      },
    });
    const first = await escalateKev(failing);
    expect(first).toMatchObject({ queued: 0, cvesPending: 1, state: "more-left" });
    expect(first.error).toContain("slow down");
    expect(queued).toEqual([]);

    const brokenFeed: KevRefresher = {
      refreshKev: async () => {
        throw new Error("feed down");
      },
    };
    const second = deps(tableName, { refresher: brokenFeed, queue });
    expect(await escalateKev(second)).toMatchObject({ added: [], queued: 2, state: "done" });
    expect(second.logs.map((line) => line.message)).toContain(
      "KEV catalog not refreshed; only escalations left by earlier runs go out",
    );
  });

  it("nothing added and nothing pending: a read, no lease, nothing queued", async () => {
    const tableName = await ledgerWith(REGISTRY_IMAGES);
    const { queue, calls } = reportQueue();
    expect(await escalateKev(deps(tableName, { refresher: kevFeed(), queue }))).toEqual({
      added: [],
      queued: 0,
      left: 0,
      cvesPending: 0,
      failed: 0,
      state: "idle",
    });
    expect(calls).toEqual([]);
  });
});

describe("escalateKev when the ledger fails", () => {
  it("names the additions it could not record, and throws for the caller to log", async () => {
    const logger = recordingLogger();
    const unused = async () => {
      throw new Error("not reached");
    };
    const store: KevEscalationStore = {
      add: async () => {
        throw new Error("AccessDeniedException: not allowed");
      },
      read: unused,
      lease: unused,
      commit: unused,
    };
    const run = escalateKev({
      refresher: kevFeed([LOG4SHELL]),
      store,
      findImages: unused,
      queue: unused,
      logger,
    });
    await expect(run).rejects.toThrow("AccessDeniedException");
    expect(logger.logs).toContainEqual({
      level: "warn",
      message: "KEV additions could not be recorded: they will not be escalated",
      extra: { added: [LOG4SHELL], error: expect.stringContaining("not allowed") },
    });
  });
});

describe("escalation planning (pure)", () => {
  const exposed = (image: SeedImage, inUse = true) => ({
    registryId: REGISTRY,
    repository: image.repository,
    digest: image.digest,
    tags: inUse ? image.tags : [],
    tagsAtScan: image.tags,
    inUse,
    gone: false,
    severity: "CRITICAL" as const,
    findingsAt: FINDINGS_AT,
    vulnerabilities: [],
  });

  it("groups by image, in name order, leaving out the images not in use", () => {
    const requests = escalationsOf([
      { cveId: LOG4SHELL, images: [exposed(B), exposed(A), exposed(MOVED, false)] },
      { cveId: LOG4J_DOS, images: [exposed(A)] },
    ]);
    expect(summary(requests)).toEqual([
      { image: nameOf(A), tags: ["latest", "v1"], cves: [LOG4SHELL, LOG4J_DOS] },
      { image: nameOf(B), tags: ["prod"], cves: [LOG4SHELL] },
    ]);
    expect(requestsAfter(requests, nameOf(A)).map(imageName)).toEqual([nameOf(B)]);
    expect(requestsAfter(requests, undefined)).toHaveLength(2);
  });

  it("resumes after the last request queued before the first one refused", () => {
    const [a, b, c] = escalationsOf([
      { cveId: LOG4SHELL, images: [exposed(A), exposed(B), exposed(OTHER)] },
    ]) as [KevEscalationRequest, KevEscalationRequest, KevEscalationRequest];
    expect(progressOf([a, b, c], [], undefined)).toEqual({ done: 3, after: imageName(c) });
    expect(progressOf([a, b, c], [b], undefined)).toEqual({ done: 1, after: imageName(a) });
    expect(progressOf([a, b, c], [a, c], "earlier")).toEqual({ done: 0, after: "earlier" });
    expect(nextBatch([OPENSSL, LOG4SHELL, LOG4J_DOS], 2)).toEqual([LOG4SHELL, LOG4J_DOS]);
  });
});
