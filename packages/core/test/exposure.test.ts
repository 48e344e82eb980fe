// Exposure queries on the sandbox's DynamoDB (dynalite, with its GSIs, behind the sandbox's harshness: BatchGetItem
// answers only 50 keys of a call of 60 or more). The index items are written as recordScan writes them
// (vulnerabilityIndexItem), the tags' last reports and the images' scans by the ledger itself.
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { toItem, type WritableValue } from "../src/ledger/attributes.js";
import { DynamoDbLedger } from "../src/ledger/dynamodb-ledger.js";
import {
  countExposedImages,
  type ExposedImage,
  ExposureError,
  type ExposureOptions,
  exposureQueryInput,
  highestVersion,
  parsePackageArgument,
  queryExposure,
  tagsPointingAt,
  vulnerabilityIdCandidates,
} from "../src/ledger/exposure.js";
import { imageKey, LEDGER_SCHEMA_VERSION, lastReportKey } from "../src/ledger/records.js";
import { createLedgerTableInput, LEDGER_TABLE } from "../src/ledger/table.js";
import { vulnerabilityIndexItem } from "../src/ledger/vulnerability-index.js";
import type { CompactFinding } from "../src/model.js";
import { recordingLogger } from "../src/testing/index.js";
import { useSandboxDynamoDb } from "./support/ledger-tables.js";

const REGISTRY = "123456789012";
const FINDINGS_AT = "2026-03-01T08:00:00.000Z";
const FIRST_SEEN = "2026-02-01T08:00:00.000Z";
const LOG4SHELL = "CVE-2021-44228";
const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
const noWait = async () => {};

const dynamodb = useSandboxDynamoDb("exposure");

async function freshTable() {
  const tableName = await dynamodb.freshTableName();
  const ledger = new DynamoDbLedger({
    client: dynamodb.client(),
    tableName,
    logger: recordingLogger(),
    sleep: noWait,
  });
  return { tableName, ledger };
}

interface SeedImage {
  repository: string;
  digest: string;
  tags: string[];
  findings: CompactFinding[];
}

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

/** Writes the images' index items, as recordScan writes them. */
async function writeIndex(tableName: string, images: readonly SeedImage[]): Promise<void> {
  await putItems(
    tableName,
    images.flatMap((image) =>
      image.findings.map((finding) =>
        vulnerabilityIndexItem({ registryId: REGISTRY, ...image }, finding, FINDINGS_AT),
      ),
    ),
  );
}

/**
 * Many tags' last reports and images' scans at once, as recordReport and recordScan write them (records.ts; its
 * parsers read them back): for the registry of 250 images, where one write each would take seconds.
 */
async function writeReferencesAndScans(
  tableName: string,
  refs: readonly { repository: string; tag: string; digest: string }[],
  scans: readonly { repository: string; digest: string }[],
): Promise<void> {
  await putItems(tableName, [
    ...refs.map((ref) => ({
      ...lastReportKey({ registryId: REGISTRY, ...ref }),
      schema: LEDGER_SCHEMA_VERSION,
      digest: ref.digest,
      scanCompletedAt: FINDINGS_AT,
      findings: [],
      over: true,
      reportedAt: FINDINGS_AT,
    })),
    ...scans.map((scan) => ({
      ...imageKey({ registryId: REGISTRY, ...scan }),
      schema: LEDGER_SCHEMA_VERSION,
      status: "COMPLETE",
      completedAt: FINDINGS_AT,
      updatedAt: FINDINGS_AT,
    })),
  ]);
}

/** The tag's last report is of `digest`: the tag points at that image now. */
async function pointTag(ledger: DynamoDbLedger, repository: string, tag: string, digest: string) {
  await ledger.recordReport([{ registryId: REGISTRY, repository, digest, tag }], {
    digest,
    scanCompletedAt: FINDINGS_AT,
    findings: [],
    over: true,
  });
}

const log4shell = (version = "2.14.1"): CompactFinding => ({
  id: LOG4SHELL,
  severity: "CRITICAL",
  package: "log4j-core",
  version,
  fixedIn: "2.15.0",
  firstSeen: FIRST_SEEN,
});

function options(tableName: string, extra: Partial<ExposureOptions> = {}) {
  const logger = recordingLogger();
  return {
    logger,
    options: {
      client: dynamodb.client(),
      tableName,
      logger,
      sleep: noWait,
      ...extra,
    } satisfies ExposureOptions,
  };
}

const byDigest = (images: readonly ExposedImage[], digest: string) => {
  const found = images.filter((image) => image.digest === digest);
  expect(found).toHaveLength(1);
  return found[0] as ExposedImage;
};

// A query of the 250 images reads 500 keys: a second or two on dynalite, more on a busy machine.
describe("queryExposure over a registry of 250 images with log4shell", { timeout: 30_000 }, () => {
  // team-a/api v0 … v249 all carry CVE-2021-44228 in log4j-core 2.14.1; the even ones also CVE-2021-45105 (HIGH).
  // v0–v199 were last reported for their image (in use), v200–v224 moved to a rebuild, v225–v249 were never
  // reported; v7's image is gone from the registry. team-b/web has log4j-core in other versions, another CVE.
  let tableName: string;
  const MOVED = { from: 200, to: 225 };
  const GONE = 7;
  const OTHER_VERSIONS = ["2.14", "2.17.0", "2.140.0"];

  beforeAll(async () => {
    const fresh = await freshTable();
    tableName = fresh.tableName;
    const images: SeedImage[] = Array.from({ length: 250 }, (_, i) => ({
      repository: "team-a/api",
      digest: digestOf(i),
      tags: [`v${i}`],
      findings: [
        log4shell(),
        ...(i % 2 === 0
          ? [
              {
                id: "CVE-2021-45105",
                severity: "HIGH",
                package: "log4j-core",
                version: "2.14.1",
                fixedIn: "2.17.0",
                firstSeen: "2026-01-15T08:00:00.000Z",
              } satisfies CompactFinding,
            ]
          : []),
      ],
    }));
    const others: SeedImage[] = OTHER_VERSIONS.map((version, i) => ({
      repository: "team-b/web",
      digest: digestOf(500 + i),
      tags: [`web-${i}`],
      findings: [{ id: "CVE-2021-44832", severity: "MEDIUM", package: "log4j-core", version }],
    }));
    await writeIndex(tableName, [...images, ...others]);
    await writeReferencesAndScans(
      tableName,
      [
        ...images.slice(0, MOVED.to).map((image, i) => ({
          repository: image.repository,
          tag: `v${i}`,
          digest: i < MOVED.from ? image.digest : digestOf(1000 + i),
        })),
        ...others.map((image) => ({
          repository: image.repository,
          tag: image.tags[0] ?? "",
          digest: image.digest,
        })),
      ],
      images,
    );
    // v7's SCAN item expires (the table's TTL attribute): exposure reads the image as gone. (A deleted image's items
    // are now deleted at once, index included; an item expiring is what earlier versions left.)
    await putItems(tableName, [
      {
        ...imageKey({ registryId: REGISTRY, repository: "team-a/api", digest: digestOf(GONE) }),
        schema: LEDGER_SCHEMA_VERSION,
        status: "COMPLETE",
        completedAt: FINDINGS_AT,
        updatedAt: FINDINGS_AT,
        expiresAt: Math.floor(Date.parse(FINDINGS_AT) / 1000) + 30 * 86_400,
      },
    ]);
  }, 60_000);

  it("follows every page of the index (pageSize 50: 5+ pages) and finds each image once, counting the work", async () => {
    const { options: paged } = options(tableName, { vulnerability: LOG4SHELL, pageSize: 50 });
    const exposure = await queryExposure(paged);
    expect(exposure.vulnerability).toBe(LOG4SHELL);
    expect(exposure.images).toHaveLength(250);
    expect(new Set(exposure.images.map((image) => image.digest)).size).toBe(250);
    expect(
      exposure.images.every((image) => image.package === "log4j-core" && image.version === "2.14.1"),
    ).toBe(true);
    expect(exposure.stats.pages).toBeGreaterThanOrEqual(5);
    expect(exposure.stats.queryCalls).toBe(exposure.stats.pages);
    // 250 SCAN and 250 REF keys: 5 calls of 100, each answered in part by the sandbox and asked again.
    expect(exposure.stats.readCalls).toBeGreaterThan(5);
    expect(exposure.stats.consumedReadUnits).toBeGreaterThan(0);

    // DynamoDB's own 1 MB pages: one page here, the same answer.
    const { options: whole } = options(tableName, { vulnerability: LOG4SHELL });
    const unpaged = await queryExposure(whole);
    expect(unpaged.stats.pages).toBe(1);
    expect(unpaged.images).toEqual(exposure.images);
  });

  it("says which images a tag points at now: reported for them, never reported; not moved, not gone", async () => {
    const { options: query } = options(tableName, { vulnerability: LOG4SHELL, pageSize: 100 });
    const { images } = await queryExposure(query);

    const current = byDigest(images, digestOf(3));
    expect(current).toMatchObject({ inUse: true, tags: ["v3"], tagsAtScan: ["v3"], gone: false });
    expect(current.lastScan).toEqual({ status: "COMPLETE", completedAt: FINDINGS_AT });
    expect(current).toMatchObject({
      repository: "team-a/api",
      registryId: REGISTRY,
      findingsAt: FINDINGS_AT,
    });

    const moved = byDigest(images, digestOf(210));
    expect(moved).toMatchObject({ inUse: false, tags: [], tagsAtScan: ["v210"] });

    const neverReported = byDigest(images, digestOf(230));
    expect(neverReported).toMatchObject({ inUse: true, tags: ["v230"] });

    const gone = byDigest(images, digestOf(GONE));
    expect(gone).toMatchObject({ inUse: false, gone: true, tags: [], tagsAtScan: [`v${GONE}`] });

    // 200 reported, less the gone one, plus 25 never reported; in use first.
    expect(countExposedImages(images)).toEqual({ images: 250, inUse: 224 });
    const firstNotInUse = images.findIndex((image) => !image.inUse);
    expect(firstNotInUse).toBe(224);
    expect(images.slice(firstNotInUse).every((image) => !image.inUse)).toBe(true);
  });

  it("finds a CVE id typed in lower case under its upper-case form", async () => {
    const { options: query } = options(tableName, { vulnerability: "cve-2021-44228" });
    const exposure = await queryExposure(query);
    expect(exposure.vulnerability).toBe(LOG4SHELL);
    expect(exposure.images).toHaveLength(250);
    // The id as given first (nothing), then its upper-case form.
    expect(exposure.stats.queryCalls).toBe(2);
  });

  it("answers an unknown id with an empty list and no read of the table", async () => {
    const { options: query } = options(tableName, { vulnerability: "CVE-2099-0001" });
    const exposure = await queryExposure(query);
    expect(exposure).toMatchObject({ vulnerability: "CVE-2099-0001", images: [] });
    expect(exposure.stats).toMatchObject({ queryCalls: 1, readCalls: 0, pages: 1 });
  });

  it("by package: one entry per image and version, its vulnerabilities worst first, the fix for all", async () => {
    const { options: query } = options(tableName, { packageName: "log4j-core", pageSize: 60 });
    const exposure = await queryExposure(query);
    expect(exposure.vulnerability).toBeUndefined();
    expect(exposure.package).toEqual({ name: "log4j-core" });
    expect(exposure.images).toHaveLength(250 + OTHER_VERSIONS.length);
    expect(exposure.stats.pages).toBeGreaterThanOrEqual(6);

    const even = byDigest(exposure.images, digestOf(4));
    expect(even.vulnerabilities.map((v) => v.id)).toEqual([LOG4SHELL, "CVE-2021-45105"]);
    expect(even).toMatchObject({
      severity: "CRITICAL",
      fixedIn: "2.17.0",
      firstSeen: "2026-01-15T08:00:00.000Z",
      version: "2.14.1",
    });
    const odd = byDigest(exposure.images, digestOf(5));
    expect(odd.vulnerabilities.map((v) => v.id)).toEqual([LOG4SHELL]);
    expect(odd).toMatchObject({ fixedIn: "2.15.0", firstSeen: FIRST_SEEN });
  });

  it("by package@version: that version and the longer versions it stands for (2.14 → 2.14.1), not 2.140 or 2.17", async () => {
    const { options: query } = options(tableName, { packageName: "log4j-core", packageVersion: "2.14" });
    const exposure = await queryExposure(query);
    expect(exposure.package).toEqual({ name: "log4j-core", version: "2.14" });
    const versions = new Set(exposure.images.map((image) => image.version));
    expect([...versions].sort()).toEqual(["2.14", "2.14.1"]);
    expect(exposure.images).toHaveLength(251);

    const { options: exact } = options(tableName, { packageName: "log4j-core", packageVersion: "2.17.0" });
    const only = await queryExposure(exact);
    expect(only.images.map((image) => image.digest)).toEqual([digestOf(501)]);
    expect(only.images[0]).toMatchObject({ inUse: true, tags: ["web-1"], repository: "team-b/web" });
  });

  it("by id and package: the id's findings in that package only", async () => {
    const { options: inPackage } = options(tableName, {
      vulnerability: "CVE-2021-44832",
      packageName: "log4j-core",
    });
    expect((await queryExposure(inPackage)).images).toHaveLength(OTHER_VERSIONS.length);
    const { options: elsewhere } = options(tableName, { vulnerability: LOG4SHELL, packageName: "log4j-api" });
    expect((await queryExposure(elsewhere)).images).toEqual([]);
  });
});

describe("queryExposure on small ledgers", () => {
  it("narrows an id to a package, and counts an image with the id in two packages once", async () => {
    const { tableName } = await freshTable();
    const openssl = { id: "CVE-2024-0727", severity: "MEDIUM", version: "3.0.11" } as const;
    await writeIndex(tableName, [
      {
        repository: "base/debian",
        digest: digestOf(1),
        tags: ["12"],
        findings: [
          { ...openssl, package: "openssl" },
          { ...openssl, package: "libssl3" },
        ],
      },
      {
        repository: "base/debian",
        digest: digestOf(2),
        tags: ["11"],
        findings: [{ ...openssl, package: "libssl3" }],
      },
    ]);
    const { options: all } = options(tableName, { vulnerability: "CVE-2024-0727" });
    const everywhere = await queryExposure(all);
    expect(everywhere.images).toHaveLength(3);
    expect(countExposedImages(everywhere.images)).toEqual({ images: 2, inUse: 2 });

    const { options: narrowed } = options(tableName, {
      vulnerability: "CVE-2024-0727",
      packageName: "openssl",
    });
    const inOpenssl = await queryExposure(narrowed);
    expect(inOpenssl.images.map((image) => [image.digest, image.package])).toEqual([
      [digestOf(1), "openssl"],
    ]);
  });

  it("sorts in use first, then worst severity, repository and tag", async () => {
    const { tableName, ledger } = await freshTable();
    const finding = (severity: CompactFinding["severity"]): CompactFinding => ({ ...log4shell(), severity });
    const seeds: SeedImage[] = [
      { repository: "b/app", digest: digestOf(1), tags: ["x"], findings: [finding("HIGH")] },
      { repository: "a/app", digest: digestOf(2), tags: ["y"], findings: [finding("CRITICAL")] },
      { repository: "a/app", digest: digestOf(3), tags: ["b"], findings: [finding("HIGH")] },
      { repository: "a/app", digest: digestOf(4), tags: ["a"], findings: [finding("HIGH")] },
      { repository: "a/app", digest: digestOf(5), tags: ["old"], findings: [finding("CRITICAL")] },
    ];
    await writeIndex(tableName, seeds);
    await pointTag(ledger, "a/app", "old", digestOf(99));
    const { options: query } = options(tableName, { vulnerability: LOG4SHELL });
    const { images } = await queryExposure(query);
    expect(images.map((image) => image.digest)).toEqual([2, 4, 3, 1, 5].map(digestOf));
  });

  it("leaves out and logs an index item it cannot read; the others are answered", async () => {
    const { tableName } = await freshTable();
    await writeIndex(tableName, [
      { repository: "r", digest: digestOf(1), tags: ["t"], findings: [log4shell()] },
    ]);
    const malformed = {
      ...(vulnerabilityIndexItem(
        { registryId: REGISTRY, repository: "r", digest: digestOf(2), tags: ["t2"] },
        log4shell(),
        FINDINGS_AT,
      ) as Record<string, WritableValue>),
      severity: "SEVERE",
    };
    await dynamodb.client().send(new PutItemCommand({ TableName: tableName, Item: toItem(malformed) }));
    const { options: query, logger } = options(tableName, { vulnerability: LOG4SHELL });
    const { images } = await queryExposure(query);
    expect(images.map((image) => image.digest)).toEqual([digestOf(1)]);
    const warnings = logger.logs.filter((line) => line.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      message: "ledger item ignored",
      extra: { tableName, pk: `IMAGE#${REGISTRY}/r@${digestOf(2)}` },
    });
    expect(String(warnings[0]?.extra?.reason)).toContain("severity");
  });

  it("finds what the ledger's recordScan indexed", async () => {
    const { tableName, ledger } = await freshTable();
    const image = { registryId: REGISTRY, repository: "team-c/worker", digest: digestOf(9), tags: ["prod"] };
    await ledger.recordScan(image, { status: "COMPLETE", completedAt: FINDINGS_AT }, [log4shell()]);
    const { options: query } = options(tableName, { vulnerability: LOG4SHELL });
    const { images } = await queryExposure(query);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatchObject({
      repository: "team-c/worker",
      tags: ["prod"],
      inUse: true,
      severity: "CRITICAL",
      lastScan: { status: "COMPLETE", completedAt: FINDINGS_AT },
    });
  });
});

describe("queryExposure's errors name the table and what to do", () => {
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.unreachable("the query should have failed"),
      (error: unknown) => error,
    );

  it("a missing table: set LEDGER_TABLE_NAME or --table", async () => {
    const { options: query } = options("no-such-ledger", { vulnerability: LOG4SHELL });
    const error = await failure(queryExposure(query));
    expect(error).toBeInstanceOf(ExposureError);
    expect((error as ExposureError).tableName).toBe("no-such-ledger");
    expect((error as Error).message).toMatch(
      /^ledger table no-such-ledger not found .*LEDGER_TABLE_NAME or --table/,
    );
  });

  it("a table without the ledger's indexes: not the module's ledger", async () => {
    const tableName = "exposure-plain";
    const { GlobalSecondaryIndexes: _, ...plain } = createLedgerTableInput(tableName);
    await dynamodb.client().send(
      new CreateTableCommand({
        ...plain,
        AttributeDefinitions: LEDGER_TABLE.attributeDefinitions.filter((a) =>
          ["pk", "sk"].includes(a.AttributeName),
        ),
      }),
    );
    const { options: query } = options(tableName, { vulnerability: LOG4SHELL });
    const error = (await failure(queryExposure(query))) as Error;
    expect(error).toBeInstanceOf(ExposureError);
    expect(error.message).toContain(
      `table ${tableName} does not have the ledger's indexes by-vulnerability and by-package`,
    );
  });

  it("access denied: the permissions to grant; the documented ones are enough", async () => {
    const { tableName, ledger } = await freshTable();
    await writeIndex(tableName, [
      { repository: "r", digest: digestOf(1), tags: ["t"], findings: [log4shell()] },
    ]);
    await pointTag(ledger, "r", "t", digestOf(1));
    const tableArn = `arn:aws:dynamodb:${dynamodb.sandbox().region}:${dynamodb.sandbox().accountId}:table/${tableName}`;
    const asRole = (accessKeyId: string, Resource: string[]) => {
      dynamodb.sandbox().iam.addPrincipal({
        accessKeyId,
        arn: `arn:aws:sts::${dynamodb.sandbox().accountId}:assumed-role/security-reader/${accessKeyId}`,
        roleName: "security-reader",
        policies: [
          {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["dynamodb:Query", "dynamodb:BatchGetItem"], Resource }],
          },
        ],
      });
      return new DynamoDBClient({
        endpoint: dynamodb.sandbox().endpoint,
        region: dynamodb.sandbox().region,
        credentials: { accessKeyId, secretAccessKey: "secret" },
        maxAttempts: 1,
      });
    };
    // The table alone: a Query of an index needs the index's ARN.
    const tableOnly = asRole("ASIAEXPOSURE00000001", [tableArn]);
    const { options: denied } = options(tableName, { vulnerability: LOG4SHELL, client: tableOnly });
    const error = (await failure(queryExposure(denied))) as Error;
    expect(error).toBeInstanceOf(ExposureError);
    expect(error.message).toContain(`access denied on ledger table ${tableName}`);
    expect(error.message).toContain(`dynamodb:Query on table/${tableName}/index/*`);

    const documented = asRole("ASIAEXPOSURE00000002", [tableArn, `${tableArn}/index/*`]);
    const { options: allowed } = options(tableName, { vulnerability: LOG4SHELL, client: documented });
    expect((await queryExposure(allowed)).images.map((image) => image.inUse)).toEqual([true]);
    tableOnly.destroy();
    documented.destroy();
  });
});

describe("exposure's decisions", () => {
  it("tries a CVE id in another case in upper case too, and keeps other ids as given", () => {
    expect(vulnerabilityIdCandidates("cve-2021-44228")).toEqual(["cve-2021-44228", LOG4SHELL]);
    expect(vulnerabilityIdCandidates(" Cve-2021-44228 ")).toEqual(["Cve-2021-44228", LOG4SHELL]);
    expect(vulnerabilityIdCandidates(LOG4SHELL)).toEqual([LOG4SHELL]);
    expect(vulnerabilityIdCandidates("GHSA-jfh8-c2jp-5v3q")).toEqual(["GHSA-jfh8-c2jp-5v3q"]);
  });

  it("reads NAME[@VERSION], npm scopes included", () => {
    expect(parsePackageArgument("log4j-core")).toEqual({ name: "log4j-core" });
    expect(parsePackageArgument("log4j-core@2.14")).toEqual({ name: "log4j-core", version: "2.14" });
    expect(parsePackageArgument("@babel/core")).toEqual({ name: "@babel/core" });
    expect(parsePackageArgument("@babel/core@7.1.0")).toEqual({ name: "@babel/core", version: "7.1.0" });
    expect(parsePackageArgument("log4j-core@")).toBeUndefined();
    expect(parsePackageArgument("  ")).toBeUndefined();
  });

  it("queries the index whose keys narrow most", () => {
    expect(exposureQueryInput({ vulnerability: LOG4SHELL })).toMatchObject({
      IndexName: "by-vulnerability",
      KeyConditionExpression: "#vulnerability = :vulnerability",
    });
    const both = exposureQueryInput({ vulnerability: LOG4SHELL, packageName: "log4j-core" });
    expect(both).toMatchObject({
      IndexName: "by-package",
      KeyConditionExpression: "#package = :package AND #vulnerability = :vulnerability",
    });
    expect(both.FilterExpression).toBeUndefined();
    expect(exposureQueryInput({ packageName: "p", packageVersion: "1" }).FilterExpression).toContain(
      "#version = :version OR begins_with(#version, :version0)",
    );
    expect(() => exposureQueryInput({})).toThrow(TypeError);
    expect(() => exposureQueryInput({ vulnerability: LOG4SHELL, packageVersion: "1" })).toThrow(TypeError);
  });

  it("takes the highest fix in natural order", () => {
    expect(highestVersion(["2.15.0", "2.9.1", undefined, "2.17.1", "2.16.0"])).toBe("2.17.1");
    expect(highestVersion(["1.1.1n-0+deb11u4", "1.1.1w-0+deb11u1"])).toBe("1.1.1w-0+deb11u1");
    expect(highestVersion([undefined])).toBeUndefined();
  });

  it("counts a tag as pointing at the image when its last report is of it or unknown, never when gone", () => {
    const image = { digest: "sha256:a", tagsAtScan: ["mine", "moved", "unknown"] };
    const last: Record<string, string> = { mine: "sha256:a", moved: "sha256:b" };
    expect(tagsPointingAt(image, (tag) => last[tag], false)).toEqual(["mine", "unknown"]);
    expect(tagsPointingAt(image, (tag) => last[tag], true)).toEqual([]);
  });
});
