import {
  type Digest,
  type DigestChange,
  type DigestImage,
  formatDelta,
  ReporterError,
} from "@ecr-scan-reporter/core";
import {
  allClearDigest,
  countsOf,
  emptyLedgerDigest,
  hostileDigest,
  mustNotUse,
  sampleDigest,
  testDeps,
} from "@ecr-scan-reporter/core/testing";
import { startSlackReceiver, validateSlackPayload } from "@ecr-scan-reporter/sandbox";
import { describe, expect, it } from "vitest";
import {
  defineSlackReporter,
  linkableUrl,
  renderSlackDigest,
  SLACK_BLOCKS_MAX_CHARS,
  SLACK_DIGEST_CHANGES_MAX_CHARS,
  type SlackMessage,
  slackBlocksSize,
  slackOptionsSchema,
  slackReporter,
} from "../src/index.js";
import { linksOf, mrkdwnStrings } from "./helpers.js";

const SECRET = { secretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a" };
const WEBHOOK = "https://hooks.slack.com/services/T000/B000/XXXX";
const CTX = { reporterId: "slack", attempt: 1 };

/** The text of a block by its id (a section's text, or a context's elements joined). */
function blockText(message: SlackMessage, blockId: string): string {
  const block = message.blocks.find((b) => b.block_id === blockId);
  if (block?.type === "section") return block.text.text;
  if (block?.type === "context") return block.elements.map((e) => e.text).join("\n");
  if (block?.type === "header") return block.text.text;
  throw new Error(`no block ${blockId} in ${message.blocks.map((b) => b.block_id).join(", ")}`);
}

const blockIds = (message: SlackMessage) => message.blocks.map((b) => b.block_id);

/** The image lines of the digest, in order. */
function imageLines(message: SlackMessage): string[] {
  return message.blocks
    .filter((b) => b.block_id?.startsWith("digest-images-"))
    .flatMap((b) => (b.type === "section" ? b.text.text.split("\n") : []));
}

/** K of "…and K more images", or 0 when the message has no such block. */
function moreImages(message: SlackMessage): number {
  if (!blockIds(message).includes("digest-more-images")) return 0;
  const match = /…and (\d+) more image/.exec(blockText(message, "digest-more-images"));
  if (!match) throw new Error("no count in the more-images block");
  return Number(match[1]);
}

/**
 * What every digest message must keep: the receiver's checks of Slack's documented limits, the one on all blocks
 * together, a plain-text header of at most 150 characters without controls, and mrkdwn whose only `<…>` are links
 * the reporter built from the digest's http(s) console URLs, with no bare `&`.
 */
function expectWellFormedDigest(message: SlackMessage, digest: Digest): void {
  expect(validateSlackPayload(message)).toBeUndefined();
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  expect(slackBlocksSize(message.blocks)).toBeLessThanOrEqual(SLACK_BLOCKS_MAX_CHARS);
  const [header] = message.blocks;
  expect(header?.type).toBe("header");
  if (header?.type === "header") {
    expect(header.text.type).toBe("plain_text");
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    expect([...header.text.text].filter((c) => (c.codePointAt(0) ?? 0) < 0x20)).toEqual([]);
  }
  const allowed = new Set(
    [digest.consoleUrl, ...digest.overThresholds.top.map((image) => image.consoleUrl)]
      .map((url) => linkableUrl(url))
      .filter((url): url is string => url !== undefined),
  );
  for (const text of mrkdwnStrings(message)) {
    expect(text.length).toBeLessThanOrEqual(3000);
    for (const link of linksOf(text)) expect(allowed, `link to ${link.url}`).toContain(link.url);
    const rest = text.replace(/<([^<>|]*)\|([^<>]*)>/g, "");
    expect(rest, "a < or > that is not a link the reporter built").not.toMatch(/[<>]/);
    expect(rest.replace(/&(?:amp|lt|gt);/g, ""), "a bare &").not.toContain("&");
  }
}

function longImage(i: number): DigestImage {
  const [base] = sampleDigest().overThresholds.top;
  if (!base) throw new Error("sampleDigest has no image");
  const repository = `team-a/${"very-long-repository-name-".repeat(9)}${i}`.slice(0, 256);
  return {
    ...base,
    repository,
    tags: [`${"release-candidate-".repeat(7)}${i}`.slice(0, 128), "latest"],
    digest: `sha256:${i.toString(16).padStart(2, "0").repeat(32)}`,
    oldestOpen: {
      id: `CVE-2026-${String(10_000 + i)}`,
      severity: "CRITICAL",
      package: `${"org.example.some.deeply.nested.package.".repeat(5)}${i}`,
      firstSeen: "2026-09-01T00:00:00.000Z",
      openDays: 90 - i,
    },
    consoleUrl: `https://eu-west-1.console.aws.amazon.com/ecr/repositories/private/123456789012/${repository}/_/image/sha256:${i}/details?region=eu-west-1`,
  };
}

function longChange(i: number): DigestChange {
  return {
    id: `CVE-2026-${String(20_000 + i)}`,
    severity: "HIGH",
    package: `${"org.example.some.deeply.nested.package.".repeat(4)}${i}`,
    version: "1.2.3-really-long-version-string",
    fixedIn: "1.2.4-really-long-version-string",
    references: Array.from({ length: 5 }, (_, k) => `team-a/${"long-name-".repeat(10)}${k}:v${i}`),
    referenceCount: 9,
  };
}

/** 25 images over the thresholds with long names, 20 new and 20 fixed findings with long names. */
function bigDigest(): Digest {
  const images = Array.from({ length: 25 }, (_, i) => longImage(i + 1));
  const changes = Array.from({ length: 20 }, (_, i) => longChange(i + 1));
  return sampleDigest({
    overThresholds: { total: 25, top: images },
    newFindings: { total: 57, top: changes },
    fixedFindings: { total: 20, top: changes },
  });
}

describe("the digest of sampleDigest()", () => {
  const digest = sampleDigest();
  const message = renderSlackDigest(digest);

  it("has a header naming the period and the route", () => {
    expect(blockText(message, "digest-header")).toBe("Weekly digest 2026-11-23 – 2026-11-30 · ^team-a/");
  });

  it("counts open findings by severity with the change since the previous digest", () => {
    const summary = blockText(message, "digest-summary");
    expect(summary).toContain(
      "*55 open findings* in 11 of 14 images in use, change since 2026-11-23 in brackets",
    );
    expect(summary).toContain(":red_circle: CRITICAL *2* (−1)");
    expect(summary).toContain(":large_orange_circle: HIGH *9* (+2)");
    expect(summary).toContain("MEDIUM *31* (+1)");
    expect(summary).toContain("LOW *12* (±0)");
    expect(summary).toContain("INFORMATIONAL *1* (+1)");
    // UNDEFINED had no finding now or before: not shown.
    expect(summary).not.toContain("UNDEFINED");
    expect(summary).toContain("_1 image in use not reported on yet, so not counted._");
    expect(summary).toContain("*3 images are over the thresholds*, worst first:");
  });

  it("lists the images over the thresholds worst first, each with its oldest open finding and its age", () => {
    const lines = imageLines(message);
    expect(lines).toHaveLength(3);
    const [api, worker, web] = lines;
    expect(linksOf(api ?? "")).toEqual([
      { url: linkableUrl(digest.overThresholds.top[0]?.consoleUrl), text: "team-a/api:v1.4.2" },
    ]);
    expect(api).toContain("*1 critical*, *3 high*, 7 medium");
    expect(api).toContain("oldest open critical: CVE-2024-6387 in openssh-server, *60 days*");
    expect(worker).toContain("team-a/worker:2026.11.28");
    expect(worker).toContain("CVE-2023-44487 in golang.org/x/net, *5 days*");
    expect(web).toContain(":large_orange_circle: *<");
    expect(web).toContain("*2 high*, 12 medium, 12 low");
    expect(web).toContain("oldest open high: CVE-2024-45490 in libexpat1, *1 day*");
    expect(moreImages(message)).toBe(0);
  });

  it("lists the findings new and fixed this period", () => {
    expect(blockText(message, "digest-new").split("\n")).toEqual([
      "*New this period:* 3 findings",
      ":red_circle: CVE-2023-44487 critical · golang.org/x/net 0.15.0 → 0.17.0 · team-a/worker:2026.11.28",
      ":large_orange_circle: CVE-2024-45490 high · libexpat1 2.5.0-1 → 2.5.0-1+deb12u1 · team-a/web:latest, team-a/web:v3",
      ":large_yellow_circle: CVE-2024-2511 medium · openssl 3.0.13 · team-a/api:v1.4.2",
    ]);
    const fixed = blockText(message, "digest-fixed");
    expect(fixed.split("\n")[0]).toBe("*Fixed this period:* 2 findings");
    expect(fixed).toContain("CVE-2024-3094 critical · xz-utils 5.6.0-0.2 · team-a/api:v1.4.2");
    // A fixed finding has no "→ fixed-in": it is gone.
    expect(fixed).not.toContain("→");
  });

  it("tells the coverage of the latest scheduled run, and links the console in the footer", () => {
    expect(blockText(message, "digest-coverage")).toBe(
      "*Coverage* (scheduled run of 2026-11-30 02:00 UTC): 23 images in 4 repositories: 17 scanned, 1 stale, " +
        "1 never scanned, 1 unsupported, 2 not images, 1 not in use. :warning: Not every image has a recent scan.",
    );
    const footer = blockText(message, "digest-footer");
    expect(linksOf(footer)).toEqual([{ url: linkableUrl(digest.consoleUrl), text: "Open the ECR console" }]);
    expect(footer).toContain("route slack (^team-a/) · 123456789012 eu-west-1");
  });

  it("has a one-line notification text and stays within Slack's limits", () => {
    expect(message.text).toBe(
      "Weekly digest for ^team-a/: 2 critical, 9 high open in 14 images, 3 over the thresholds; 2 known exploited (KEV), 1 overdue",
    );
    expect(message.unfurl_links).toBe(false);
    expect(blockIds(message)).toEqual([
      "digest-header",
      "digest-kev",
      "digest-summary",
      "digest-images-1",
      "digest-new",
      "digest-fixed",
      "digest-coverage",
      "digest-footer",
    ]);
    expectWellFormedDigest(message, digest);
  });

  it("says every image has a recent scan when none is stale or never scanned", () => {
    const coverage = sampleDigest().coverage;
    if (!coverage) throw new Error("sampleDigest has coverage");
    const clean = renderSlackDigest(sampleDigest({ coverage: { ...coverage, stale: 0, neverScanned: 0 } }));
    expect(blockText(clean, "digest-coverage")).toContain("Every image has a recent scan.");
    const none = renderSlackDigest(sampleDigest({ coverage: undefined }));
    expect(blockText(none, "digest-coverage")).toBe(
      "*Coverage:* no scheduled scan run recorded yet for these repositories.",
    );
  });

  it("shows no change in brackets on the first digest of a route", () => {
    const first = sampleDigest();
    first.open = { ...first.open, previous: undefined };
    const summary = blockText(renderSlackDigest(first), "digest-summary");
    expect(summary).toContain("(the first digest of this route)");
    expect(summary).toContain(":red_circle: CRITICAL *2*   ");
    expect(summary).not.toMatch(/\((?:[+−]\d+|±0)\)/);
  });

  it("shows only the severities the route counts, and says so", () => {
    const high = sampleDigest({
      route: { reporterId: "slack#2", repositories: "^team-a/", minSeverity: "HIGH" },
      open: { ...sampleDigest().open, counts: countsOf({ CRITICAL: 2, HIGH: 9 }) },
    });
    const message = renderSlackDigest(high);
    const summary = blockText(message, "digest-summary");
    expect(summary).toContain("*11 open findings* at or above high in 11 of 14 images");
    expect(summary).toContain("CRITICAL *2* (−1)");
    expect(summary).not.toContain("MEDIUM");
    expect(blockText(message, "digest-footer")).toContain("route slack#2 (^team-a/) · high and above");
  });
});

describe("formatDelta", () => {
  it("writes a rise with +, a fall with a minus sign, and no change as ±0", () => {
    expect(formatDelta(9, 7)).toBe("+2");
    expect(formatDelta(2, 3)).toBe("\u22121");
    expect(formatDelta(12, 12)).toBe("±0");
  });
});

describe("all clear and empty ledger", () => {
  it("says all clear when no finding is open, with the change and the fixed findings", () => {
    const digest = allClearDigest();
    const message = renderSlackDigest(digest);
    const summary = blockText(message, "digest-summary");
    expect(summary).toContain(":white_check_mark: *All clear.* No open findings in the 5 images in use");
    expect(summary).toContain("HIGH *0* (−1)");
    expect(summary).not.toContain("over the thresholds");
    expect(message.text).toBe("Weekly digest for ^team-a/: all clear, no open findings in 5 images");
    expect(imageLines(message)).toEqual([]);
    expect(blockText(message, "digest-new")).toBe("*New this period:* none");
    expect(blockText(message, "digest-fixed")).toContain("CVE-2024-2511 high");
    expectWellFormedDigest(message, digest);
  });

  it("says so when no image in use matches the route", () => {
    const digest = allClearDigest({
      open: { counts: countsOf(), images: 0, imagesWithFindings: 0, imagesUnknown: 0 },
    });
    expect(blockText(renderSlackDigest(digest), "digest-summary")).toContain(
      "*All clear.* No image in use matches this route.",
    );
  });

  it("says the ledger knows nothing yet for an empty ledger, never all clear", () => {
    const digest = emptyLedgerDigest();
    const message = renderSlackDigest(digest);
    const summary = blockText(message, "digest-summary");
    expect(summary).toContain(
      ":information_source: *No findings recorded yet.* The findings ledger knows nothing yet",
    );
    expect(summary).not.toContain("*All clear.*");
    expect(message.text).toBe("Weekly digest for ^team-a/: no findings recorded yet for these images");
    expect(blockIds(message)).toEqual([
      "digest-header",
      "digest-summary",
      "digest-coverage",
      "digest-footer",
    ]);
    expectWellFormedDigest(message, digest);
  });
});

describe("hostile digest text", () => {
  const digest = hostileDigest();
  const message = renderSlackDigest(digest);
  // A template that shows every untrusted field of a change and an image, so nothing escapes by not being shown.
  const everything = renderSlackDigest(digest, {
    templates: {
      "slack/digest-changes.hbs":
        "{{#each changes}}{{id}} | {{package}} | {{version}} | {{fixedIn}} | {{#each references}}{{this}} {{/each}}\n{{/each}}",
      "slack/digest-image.hbs":
        "{{image}} | {{repository}} | {{#each tags}}{{this}} {{/each}} | {{oldestOpen.id}} | {{oldestOpen.package}}",
      "slack/digest-footer.hbs": "{{reporterId}} {{repositories}} {{routeLabel}}",
    },
  });

  it("never reaches Slack as a mention, a special command, a forged link or markup", () => {
    for (const text of [...mrkdwnStrings(message), ...mrkdwnStrings(everything)]) {
      expect(text).not.toContain("<!");
      expect(text).not.toContain("<@");
      expect(text).not.toMatch(/<https?:\/\/evil/);
      expect(text).not.toContain("<script");
      expect(text).not.toContain("<!--");
      expect(text).not.toMatch(/[\r\u202E]/);
    }
    expectWellFormedDigest(message, digest);
    expectWellFormedDigest(everything, digest);
  });

  it("shows the hostile strings as escaped text", () => {
    const image = imageLines(everything)[0] ?? "";
    expect(image).toContain("team-a/api:v1 X-Injected: yes");
    expect(image).toContain("&lt;!channel&gt;");
    expect(image).toContain("CVE-2099-0001 &lt;!here&gt; | &lt;https://evil.example|trusted-package&gt;");
    const changes = blockText(everything, "digest-new");
    expect(changes).toContain("| table | break | &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(changes).toContain("&lt;!-- hidden --&gt;");
    expect(changes).toContain("team-a/api:&lt;@U024BE7LH&gt;");
    expect(blockText(everything, "digest-footer")).toContain("^team-&lt;!channel&gt;/");
    expect(message.text).toContain("^team-&lt;!channel&gt;/");
  });

  it("keeps the header plain text: one line, cleaned, not entity-escaped (Slack does not parse it)", () => {
    expect(blockText(message, "digest-header")).toBe(
      "Weekly digest 2026-11-23 – 2026-11-30 · ^team-<!channel>/",
    );
  });

  it("counts the 24 images it has no entry for in …and K more", () => {
    expect(imageLines(message)).toHaveLength(1);
    expect(moreImages(message)).toBe(24);
  });
});

describe("Slack's limits", () => {
  it("fits 25 long-named images, 20 new and 20 fixed findings, and counts the rest exactly", () => {
    const digest = bigDigest();
    const message = renderSlackDigest(digest);
    expectWellFormedDigest(message, digest);
    const shown = imageLines(message).length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(25);
    expect(moreImages(message)).toBe(25 - shown);
    // The images listed are the first (worst) ones, in order.
    for (const [i, line] of imageLines(message).entries()) {
      expect(line).toContain(`CVE-2026-${10_000 + i + 1}`);
    }
    const news = blockText(message, "digest-new");
    expect(news.length).toBeLessThanOrEqual(SLACK_DIGEST_CHANGES_MAX_CHARS);
    const listed = news.split("\n").filter((line) => line.includes("CVE-2026-2")).length;
    expect(listed).toBeGreaterThan(0);
    expect(news).toContain(`…and ${57 - listed} more`);
    expect(news).toContain("and 4 more");
  });

  it("counts images beyond the listed top in …and K more", () => {
    const digest = sampleDigest({ overThresholds: { total: 40, top: sampleDigest().overThresholds.top } });
    const message = renderSlackDigest(digest);
    expect(imageLines(message)).toHaveLength(3);
    expect(moreImages(message)).toBe(37);
  });

  it("cuts an overridden template that renders too much, and stays within the limits", () => {
    const digest = bigDigest();
    const message = renderSlackDigest(digest, {
      templates: {
        "slack/digest-summary.hbs": "x".repeat(5000),
        "slack/digest-coverage.hbs": "y".repeat(5000),
        "slack/digest-footer.hbs": "z".repeat(5000),
        "slack/digest-image.hbs":
          "{{image}} {{oldestOpen.package}} {{oldestOpen.package}} {{oldestOpen.package}}",
      },
    });
    expectWellFormedDigest(message, digest);
    expect(moreImages(message)).toBe(25 - imageLines(message).length);
  });
});

describe("digest templates", () => {
  it("an inline override of a digest template changes the output", () => {
    const message = renderSlackDigest(sampleDigest(), {
      templates: { "slack/digest-header.hbs": "Digest for {{route}}" },
    });
    expect(blockText(message, "digest-header")).toBe("Digest for ^team-a/");
  });

  it("are accepted as template names, and a broken one fails when the reporter is created", () => {
    expect(
      slackOptionsSchema.safeParse({
        webhookUrl: SECRET,
        templates: { "slack/digest-image.hbs": "{{image}}" },
      }).success,
    ).toBe(true);
    const { deps } = testDeps({ writeLine: mustNotUse("writeLine") });
    const options = slackOptionsSchema.parse({
      webhookUrl: SECRET,
      templates: { "slack/digest-changes.hbs": "{{nosuchhelper heading}}" },
    });
    expect(() => slackReporter.create(options, deps)).toThrow(/slack\/digest-changes\.hbs/);
  });
});

describe("the plugin's digest", () => {
  it("implements contract v2 and previews the digest without sending", () => {
    expect(slackReporter.contractVersion).toBe(2);
    const { deps } = testDeps();
    const options = slackOptionsSchema.parse({ webhookUrl: SECRET, channelLabel: "prod" });
    const files = slackReporter.previewDigest?.(sampleDigest(), options, deps) ?? [];
    expect(files.map((f) => f.name)).toEqual(["slack-digest.json"]);
    expect(JSON.parse(files[0]?.content ?? "")).toEqual(
      renderSlackDigest(sampleDigest(), { channelLabel: "prod" }),
    );
  });

  it("digest() posts one message to the reports' webhook through deps.fetch and answers sent", async () => {
    const posts: { url: string; body: unknown }[] = [];
    const { deps, logs } = testDeps({
      resolveSecret: async (ref) => {
        expect(ref).toEqual(SECRET);
        return WEBHOOK;
      },
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        posts.push({ url: String(input), body: JSON.parse(String(init?.body)) });
        return new Response("ok", { status: 200 });
      }) as typeof fetch,
      writeLine: mustNotUse("writeLine"),
    });
    const plugin = defineSlackReporter({ minIntervalMs: 0 });
    const reporter = plugin.create(plugin.optionsSchema.parse({ webhookUrl: SECRET }), deps);
    const digest = sampleDigest();

    const outcome = await reporter.digest?.(digest, CTX);

    expect(outcome).toEqual({
      status: "sent",
      detail: "digest 2026-11-30T08:00Z: 3 of 3 images over the thresholds listed, 8 blocks",
    });
    expect(posts).toEqual([{ url: WEBHOOK, body: renderSlackDigest(digest) }]);
    expect(logs.some((line) => line.message === "digest posted to Slack")).toBe(true);
  });

  it("posts a digest the sandbox receiver accepts, even the hostile one", async () => {
    const receiver = await startSlackReceiver({ rateLimit: false });
    try {
      const { deps } = testDeps({
        resolveSecret: async () => receiver.url(),
        fetch,
        writeLine: mustNotUse("writeLine"),
      });
      const plugin = defineSlackReporter({ minIntervalMs: 0 });
      const reporter = plugin.create(plugin.optionsSchema.parse({ webhookUrl: SECRET }), deps);
      for (const digest of [hostileDigest(), bigDigest()]) {
        expect((await reporter.digest?.(digest, CTX))?.status).toBe("sent");
      }
      expect(receiver.rejections).toEqual([]);
      expect(receiver.messages).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });

  it("fails with a ReporterError that never quotes the webhook URL", async () => {
    const { deps } = testDeps({
      resolveSecret: async () => WEBHOOK,
      fetch: (async () => new Response("channel_not_found", { status: 404 })) as typeof fetch,
      writeLine: mustNotUse("writeLine"),
    });
    const plugin = defineSlackReporter({ minIntervalMs: 0 });
    const reporter = plugin.create(plugin.optionsSchema.parse({ webhookUrl: SECRET }), deps);
    const error = await reporter.digest?.(sampleDigest(), CTX).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReporterError);
    expect(String((error as Error).message)).toContain(
      "Slack answered HTTP 404 channel_not_found (digest 2026-11-30T08:00Z)",
    );
    expect(String((error as Error).message)).not.toContain("hooks.slack.com");
    expect((error as Error).cause).toBeUndefined();
  });
});
