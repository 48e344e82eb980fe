// The send-digests use case on the sandbox's DynamoDB: what it gathers (images in use, summaries, also of images
// recorded before summaries), which entries are routes, and that a period is sent once per route even when a
// reporter fails and the run is retried. The registry side is a stand-in gateway: ECR's own behaviour is the
// gateway's tests' business.
import { describe, expect, it } from "vitest";
import type { Digest } from "../src/digest/model.js";
import type { EcrGateway } from "../src/ecr-gateway.js";
import type { KevCatalog } from "../src/intel/kev.js";
import { createThreatIntel } from "../src/intel/threat-intel.js";
import type { ImageDetail, IntelSourceStatus, KevEntry } from "../src/model.js";
import type { Reporter } from "../src/reporters/contract.js";
import type { LoadedReporter } from "../src/reporters/loader.js";
import { recordingLogger } from "../src/testing/index.js";
import { type KevSource, sendDigests } from "../src/use-cases/send-digests.js";
import { type DigestTable, useDigestTables } from "./support/digest-tables.js";

const { freshTable } = useDigestTables("send-digests");

const REGISTRY = "123456789012";
const NOW = new Date("2026-11-30T08:00:00.000Z");
const SCANNED = "2026-11-29T06:00:00.000Z";

function image(
  repositoryName: string,
  hex: string,
  tags: string[],
  extra: Partial<ImageDetail> = {},
): ImageDetail {
  return {
    registryId: REGISTRY,
    repositoryName,
    imageDigest: `sha256:${hex.repeat(64)}`,
    imageTags: tags,
    ...extra,
  };
}

const API = image("team-a/api", "a", ["v1"]);
const WEB = image("team-a/web", "b", ["latest"]);
const SIGNATURE = image("team-a/api", "c", ["sha256-aaaa.sig"], {
  artifactMediaType: "application/vnd.dev.cosign.artifact.sig.v1+json",
});
const ARCHIVED = image("team-a/web", "d", ["old"], { imageStatus: "ARCHIVED" });

/** A registry of two repositories: the use case lists them and their tagged images. */
function gateway(images: readonly ImageDetail[]): EcrGateway {
  const names = [...new Set(images.map((i) => i.repositoryName))];
  return {
    listRepositories: async () =>
      names.map((repositoryName) => ({ registryId: REGISTRY, repositoryName, repositoryArn: "" })),
    listImages: async (repositoryName: string) => images.filter((i) => i.repositoryName === repositoryName),
  } as unknown as EcrGateway;
}

/** A reporter entry whose reporter keeps the digests it is sent, and can be told to fail. */
function route(id: string, entry: Partial<LoadedReporter["entry"]> = {}, failing = { times: 0 }) {
  const sent: Digest[] = [];
  const reporter: Reporter = {
    async report() {
      return { status: "sent" };
    },
    async digest(digest) {
      if (failing.times-- > 0) throw new Error("the target answered 500");
      sent.push(digest);
      return { status: "sent", ref: `${id}-${sent.length}` };
    },
  };
  const loaded: LoadedReporter = {
    id,
    plugin: { name: id, optionsSchema: {} as never, create: () => reporter },
    entry: { use: id, notify: "changes", ...entry } as LoadedReporter["entry"],
    options: {},
    reporter,
  };
  return { loaded, sent };
}

async function recordFindings(
  table: DigestTable,
  detail: ImageDetail,
  ids: [string, "CRITICAL" | "HIGH" | "LOW"][],
) {
  await table.ledger.recordScan(
    {
      registryId: REGISTRY,
      repository: detail.repositoryName,
      digest: detail.imageDigest,
      tags: detail.imageTags,
    },
    { status: "COMPLETE", completedAt: SCANNED },
    ids.map(([id, severity]) => ({ id, severity, package: "openssl", firstSeen: "2026-11-01T00:00:00Z" })),
  );
}

function run(
  table: DigestTable,
  reporters: LoadedReporter[],
  images: readonly ImageDetail[],
  now = NOW,
  kev?: KevSource,
) {
  return sendDigests({
    gateway: gateway(images),
    ledger: table.ledger,
    digestLedger: table.digestLedger,
    reporters,
    config: {
      repositories: {},
      thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: null, LOW: null, INFORMATIONAL: null, UNDEFINED: null },
    },
    account: REGISTRY,
    region: "eu-west-1",
    now,
    periodKey: `${now.toISOString().slice(0, 16)}Z`,
    logger: recordingLogger(),
    ...(kev && { kev }),
  });
}

/** A KEV source that answers with this catalog (or none) and this status, and counts how often it is asked. */
function kevSource(
  entries: Record<string, KevEntry> | undefined,
  status: IntelSourceStatus = { state: "fresh", asOf: "2026-11-30T07:00:00.000Z" },
) {
  const source = {
    calls: 0,
    async kevCatalog(): Promise<{ catalog?: KevCatalog; status: IntelSourceStatus }> {
      source.calls++;
      if (!entries) return { status };
      const catalog = {
        catalogVersion: "2026.11.30",
        dateReleased: "2026-11-30T06:00:00.0000Z",
        entries: new Map(Object.entries(entries)),
      };
      return { catalog, status };
    },
  };
  return source;
}

/** Two entries of CISA's catalog: Log4Shell, long overdue, and one due after NOW. */
const KEV_ENTRIES: Record<string, KevEntry> = {
  "CVE-2021-44228": {
    dateAdded: "2021-12-10",
    dueDate: "2021-12-24",
    requiredAction: "Apply updates per vendor instructions.",
    knownRansomwareCampaignUse: "Known",
  },
  "CVE-2023-4911": { dateAdded: "2026-11-24", dueDate: "2026-12-15", knownRansomwareCampaignUse: "Unknown" },
};

describe("sendDigests", () => {
  it("counts the tagged images in use only: not signatures, not archived images", async () => {
    const table = await freshTable();
    for (const detail of [API, WEB, SIGNATURE, ARCHIVED])
      await recordFindings(table, detail, [["CVE-1", "HIGH"]]);
    const { loaded, sent } = route("slack");
    const result = await run(table, [loaded], [API, WEB, SIGNATURE, ARCHIVED]);
    expect(result.images).toBe(2);
    expect(sent[0]?.open).toMatchObject({ images: 2, imagesWithFindings: 2, imagesUnknown: 0 });
    expect(sent[0]?.open.counts.HIGH).toBe(2);
  });

  it("summarizes an image recorded before SCAN items carried a summary from its findings, in one batch read", async () => {
    const table = await freshTable();
    await recordFindings(table, API, [
      ["CVE-1", "CRITICAL"],
      ["CVE-2", "HIGH"],
      ["CVE-3", "LOW"],
    ]);
    // The SCAN item as [4/8] wrote it: no summary attributes.
    const [scan] = await table.partition(`IMAGE#${REGISTRY}/team-a/api@${API.imageDigest}`, "SCAN");
    const { summaryCounts: _counts, summaryOldest: _oldest, ...legacy } = scan as Record<string, never>;
    await table.putRaw(legacy);
    const { loaded, sent } = route("email");
    const result = await run(table, [loaded], [API]);
    expect(result.imagesSummarizedOnRead).toBe(1);
    expect(sent[0]?.open.counts).toMatchObject({ CRITICAL: 1, HIGH: 1, LOW: 1 });
    expect(sent[0]?.overThresholds.top[0]?.oldestOpen).toMatchObject({ id: "CVE-1", openDays: 29 });
    expect(table.ledger.stats().calls.GetItem).toBeUndefined();
  });

  it("leaves out entries with digest: false and reporters without digest(), naming those that asked for one", async () => {
    const table = await freshTable();
    const on = route("slack");
    const off = route("sns", { digest: false });
    const v1 = route("@acme/teams", { digest: true });
    delete v1.loaded.reporter.digest;
    const result = await run(table, [on.loaded, off.loaded, v1.loaded], [API]);
    expect(result.outcomes.map((o) => [o.reporter, o.status])).toEqual([["slack", "sent"]]);
    expect(result.withoutDigest).toEqual(["@acme/teams"]);
    expect(off.sent).toEqual([]);
  });

  it("lists the KEV vulnerabilities of the images in use that recordScan indexed, asking the source once", async () => {
    const table = await freshTable();
    await recordFindings(table, API, [
      ["CVE-2021-44228", "HIGH"],
      ["CVE-1", "CRITICAL"],
    ]);
    await recordFindings(table, WEB, [["CVE-2023-4911", "LOW"]]);
    // Indexed too, but archived: not in use, so not listed.
    await recordFindings(table, ARCHIVED, [["CVE-2021-44228", "CRITICAL"]]);
    const source = kevSource(KEV_ENTRIES);
    const slack = route("slack");
    const email = route("email", { minSeverity: "HIGH" });
    await run(table, [slack.loaded, email.loaded], [API, WEB, ARCHIVED], NOW, source);

    const expected = {
      total: 2,
      overdue: 1,
      top: [
        {
          id: "CVE-2021-44228",
          severity: "HIGH",
          package: "openssl",
          dateAdded: "2021-12-10",
          dueDate: "2021-12-24",
          overdue: true,
          knownRansomware: true,
          references: ["team-a/api:v1"],
          referenceCount: 1,
        },
        {
          id: "CVE-2023-4911",
          severity: "LOW",
          package: "openssl",
          dateAdded: "2026-11-24",
          dueDate: "2026-12-15",
          overdue: false,
          knownRansomware: false,
          references: ["team-a/web:latest"],
          referenceCount: 1,
        },
      ],
    };
    expect(slack.sent[0]?.knownExploited).toEqual(expected);
    // A route that counts HIGH and above lists the LOW on KEV all the same.
    expect(email.sent[0]?.open.counts.LOW).toBe(0);
    expect(email.sent[0]?.knownExploited).toEqual(expected);
    // Digests use KEV only: EPSS is said to be off.
    expect(slack.sent[0]?.intel).toEqual({
      kev: { state: "fresh", asOf: "2026-11-30T07:00:00.000Z" },
      epss: { state: "off" },
    });
    expect(source.calls).toBe(1);
  });

  it("has no known-exploited section when KEV is off or its catalog could not be had, and says which", async () => {
    const table = await freshTable();
    await recordFindings(table, API, [["CVE-2021-44228", "HIGH"]]);
    const later = (days: number) => new Date(NOW.getTime() + days * 86_400_000);

    // Turned off in the configuration (kevUrl null): the real source says so without reaching out.
    const off = route("slack");
    const intelOff = createThreatIntel({ intel: { kevUrl: null, epssUrl: null }, logger: recordingLogger() });
    await run(table, [off.loaded], [API], NOW, intelOff);
    expect(off.sent[0]).not.toHaveProperty("knownExploited");
    expect(off.sent[0]?.intel).toEqual({ kev: { state: "off" }, epss: { state: "off" } });

    // The feed failed and no copy was cached.
    const failed = route("email");
    const unavailable: IntelSourceStatus = { state: "unavailable", reason: "HTTP 500" };
    await run(table, [failed.loaded], [API], later(1), kevSource(undefined, unavailable));
    expect(failed.sent[0]).not.toHaveProperty("knownExploited");
    expect(failed.sent[0]?.intel).toEqual({ kev: unavailable, epss: { state: "off" } });

    // Without a KEV source (a caller that does not wire intel), the digest says nothing of intel.
    const unwired = route("sns");
    await run(table, [unwired.loaded], [API], later(2));
    expect(unwired.sent[0]).not.toHaveProperty("knownExploited");
    expect(unwired.sent[0]).not.toHaveProperty("intel");
  });

  it("sends each route once per period: a failed reporter alone is sent again by the retry", async () => {
    const table = await freshTable();
    await recordFindings(table, API, [["CVE-1", "CRITICAL"]]);
    const slack = route("slack", {}, { times: 1 });
    const email = route("email");
    const first = await run(table, [slack.loaded, email.loaded], [API]);
    expect(first.failed).toEqual(["slack"]);
    expect(email.sent).toHaveLength(1);

    const retry = await run(table, [slack.loaded, email.loaded], [API]);
    expect(retry.outcomes).toEqual([
      expect.objectContaining({ reporter: "slack", status: "sent" }),
      { reporter: "email", status: "held", why: "already-sent" },
    ]);
    expect(slack.sent).toHaveLength(1);
    expect(email.sent).toHaveLength(1);

    // The next period compares with this one: the counts sent are the previous counts.
    const nextWeek = new Date(NOW.getTime() + 7 * 86_400_000);
    await run(table, [slack.loaded, email.loaded], [API], nextWeek);
    expect(email.sent[1]?.open.previous?.CRITICAL).toBe(1);
    expect(email.sent[1]?.period.start).toBe(NOW.toISOString());
  });
});

/** The options every sendDigests call of these tests shares, with the gateway(s), routes and `accounts` given. */
function digestsOf(
  table: DigestTable,
  options: Pick<Parameters<typeof sendDigests>[0], "gateway" | "reporters"> & {
    accounts?: NonNullable<Parameters<typeof sendDigests>[0]["config"]["accounts"]>;
    logger?: ReturnType<typeof recordingLogger>;
  },
) {
  return sendDigests({
    gateway: options.gateway,
    ledger: table.ledger,
    digestLedger: table.digestLedger,
    reporters: options.reporters,
    config: {
      ...(options.accounts && { accounts: options.accounts }),
      repositories: {},
      thresholds: { CRITICAL: 0, HIGH: 0, MEDIUM: null, LOW: null, INFORMATIONAL: null, UNDEFINED: null },
    },
    account: REGISTRY,
    region: "eu-west-1",
    now: NOW,
    periodKey: `${NOW.toISOString().slice(0, 16)}Z`,
    logger: options.logger ?? recordingLogger(),
  });
}

describe("sendDigests across accounts", () => {
  const PROD = "222222222222";
  const DEV = "333333333333";
  const PROD_API = { ...image("shop/api", "e", ["v2"]), registryId: PROD };
  const accounts = [
    { accountId: REGISTRY, name: "hub" },
    { accountId: PROD, roleArn: `arn:aws:iam::${PROD}:role/m`, name: "prod" },
    { accountId: DEV, roleArn: `arn:aws:iam::${DEV}:role/m`, name: "dev" },
  ];

  it("lists each account's registry with that account's gateway, and leaves out one it cannot read, with a warning", async () => {
    const table = await freshTable();
    await recordFindings(table, API, [["CVE-2026-1000", "CRITICAL"]]);
    await table.ledger.recordScan(
      { registryId: PROD, repository: "shop/api", digest: PROD_API.imageDigest, tags: ["v2"] },
      { status: "COMPLETE", completedAt: SCANNED },
      [{ id: "CVE-2026-2000", severity: "HIGH", package: "zlib", firstSeen: "2026-11-01T00:00:00Z" }],
    );
    const asked: (string | undefined)[] = [];
    const byAccount: Record<string, EcrGateway> = {
      [REGISTRY]: gateway([API]),
      [PROD]: {
        listRepositories: async () => [{ registryId: PROD, repositoryName: "shop/api", repositoryArn: "" }],
        listImages: async () => [PROD_API],
      } as unknown as EcrGateway,
      [DEV]: {
        listRepositories: async () => {
          throw Object.assign(new Error("cannot assume the role"), { code: "ACCOUNT_UNREACHABLE" });
        },
      } as unknown as EcrGateway,
    };
    const all = route("sns");
    const prodOnly = route("slack", { accounts: ["prod"] });
    const logger = recordingLogger();
    const result = await digestsOf(table, {
      gateway: (accountId) => {
        asked.push(accountId);
        const found = accountId ? byAccount[accountId] : undefined;
        if (!found) throw new Error(`no gateway for ${accountId}`);
        return found;
      },
      reporters: [all.loaded, prodOnly.loaded],
      accounts,
      logger,
    });
    expect(result.failed).toEqual([]);
    expect(new Set(asked)).toEqual(new Set([REGISTRY, PROD, DEV]));
    expect(all.sent[0]?.open.images).toBe(2);
    expect(all.sent[0]?.accounts?.map((a) => [a.accountName, a.images, a.unreachable])).toEqual([
      ["hub", 1, undefined],
      ["prod", 1, undefined],
      // Not an empty, clean registry: the digest says why it could not be read.
      ["dev", 0, "Error: cannot assume the role"],
    ]);
    expect(prodOnly.sent[0]?.open.images).toBe(1);
    expect(prodOnly.sent[0]?.open.counts.HIGH).toBe(1);
    expect(prodOnly.sent[0]?.open.counts.CRITICAL).toBe(0);
    expect(
      logger.logs.filter(
        (l) => l.message === "account not reachable; its images are left out of this digest",
      ),
    ).toEqual([
      expect.objectContaining({ extra: expect.objectContaining({ accountId: DEV, accountName: "dev" }) }),
    ]);
  });

  it("leaves out a repository whose images one account denies, marks that account, and still sends every route", async () => {
    const table = await freshTable();
    await recordFindings(table, API, [["CVE-2026-1000", "CRITICAL"]]);
    const PROD_WEB = { ...image("shop/web", "f", ["v3"]), registryId: PROD };
    const denied = (repositoryName: string) =>
      Object.assign(
        new Error(
          `User: arn:aws:sts::${REGISTRY}:assumed-role/hub/ecr-scan-reporter is not authorized to perform: ecr:DescribeImages on resource: ${repositoryName}`,
        ),
        {
          name: "AccessDeniedException",
        },
      );
    const byAccount: Record<string, EcrGateway> = {
      [REGISTRY]: gateway([API]),
      [PROD]: {
        listRepositories: async () =>
          ["shop/api", "shop/web", "shop/zeta"].map((repositoryName) => ({
            registryId: PROD,
            repositoryName,
            repositoryArn: "",
          })),
        listImages: async (repositoryName: string) => {
          if (repositoryName === "shop/web") return [PROD_WEB];
          throw denied(repositoryName);
        },
      } as unknown as EcrGateway,
      [DEV]: {
        listRepositories: async () => {
          throw Object.assign(new Error("cannot assume the role"), { name: "AccountUnreachableError" });
        },
      } as unknown as EcrGateway,
    };
    const all = route("sns");
    const hubOnly = route("slack", { accounts: ["hub"] });
    const logger = recordingLogger();
    const result = await digestsOf(table, {
      gateway: (accountId) => byAccount[accountId ?? ""] as EcrGateway,
      reporters: [all.loaded, hubOnly.loaded],
      accounts,
      logger,
    });
    expect(result.failed).toEqual([]);
    expect(result.outcomes.map((o) => o.status)).toEqual(["sent", "sent"]);
    // The two denied repositories are not covered: neither counted as repositories nor their images.
    expect(result.repositories).toBe(2);
    expect(result.images).toBe(2);
    expect(all.sent[0]?.open.images).toBe(2);
    expect(all.sent[0]?.open.counts.CRITICAL).toBe(1);
    const prod = all.sent[0]?.accounts?.find((a) => a.account === PROD);
    expect(prod?.images).toBe(1);
    expect(prod?.unreachable).toBe(
      `repository shop/api: AccessDeniedException: User: arn:aws:sts::${REGISTRY}:assumed-role/hub/ecr-scan-reporter ` +
        "is not authorized to perform: ecr:DescribeImages on resource: shop/api (and 1 more repository)",
    );
    expect(all.sent[0]?.accounts?.find((a) => a.account === DEV)?.unreachable).toBe(
      "AccountUnreachableError: cannot assume the role",
    );
    expect(all.sent[0]?.accounts?.find((a) => a.account === REGISTRY)?.unreachable).toBeUndefined();
    // A route of the hub only is not told about accounts it does not cover.
    expect(hubOnly.sent[0]?.accounts?.map((a) => [a.account, a.images, a.unreachable])).toEqual([
      [REGISTRY, 1, undefined],
    ]);
    expect(
      logger.logs
        .filter((l) => l.message === "repository not readable; its images are left out of this digest")
        .map((l) => l.extra?.repository)
        .sort(),
    ).toEqual(["shop/api", "shop/zeta"]);
  });

  it("refuses one gateway for every account under `accounts`: it would read members with one account's credentials", async () => {
    const table = await freshTable();
    await expect(
      digestsOf(table, { gateway: gateway([API]), reporters: [route("sns").loaded], accounts }),
    ).rejects.toThrow("gateway must be a function of the account id");
  });

  it("fails the run when the deployment's own registry (no accounts) cannot be read", async () => {
    const table = await freshTable();
    const failing = {
      listRepositories: async () => {
        throw Object.assign(new Error("throttled"), { name: "ThrottlingException" });
      },
    } as unknown as EcrGateway;
    await expect(digestsOf(table, { gateway: failing, reporters: [route("sns").loaded] })).rejects.toThrow(
      "throttled",
    );
  });

  it("fails the run when an image list of the deployment's own registry (no accounts) cannot be read", async () => {
    const table = await freshTable();
    const failing = {
      listRepositories: async () => [
        { registryId: REGISTRY, repositoryName: "team-a/api", repositoryArn: "" },
      ],
      listImages: async () => {
        throw Object.assign(new Error("denied"), { name: "AccessDeniedException" });
      },
    } as unknown as EcrGateway;
    await expect(digestsOf(table, { gateway: failing, reporters: [route("sns").loaded] })).rejects.toThrow(
      "denied",
    );
  });
});
