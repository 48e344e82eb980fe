import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadFresh } from "./support/fresh-modules.js";

// The secret patterns are built while the module loads: each test loads it afresh (support/fresh-modules.ts).
type LoggerModule = typeof import("../src/logger.js");
let createLogger: LoggerModule["createLogger"];
let redactingReplacer: LoggerModule["redactingReplacer"];
let redactSecrets: LoggerModule["redactSecrets"];
let toReporterLogger: LoggerModule["toReporterLogger"];
beforeEach(async () => {
  ({ createLogger, redactingReplacer, redactSecrets, toReporterLogger } = await loadFresh(
    () => import("../src/logger.js"),
  ));
});

/** What a reader of the logs sees in place of a secret, written out: the exported constant could be anything. */
const REDACTED = "[redacted]";

// Secret-shaped values, built so that no scanner mistakes this file for a leak.
const SLACK_HOOK = [
  "https://hooks.slack.com/services",
  "T0123ABCD",
  "B0456EFGH",
  "abcdefghijklmnopqrstuvwx",
].join("/");
const TEAMS_HOOK = `https://acme.webhook.office.com/webhookb2/${"0".repeat(8)}-1111-2222-3333-${"4".repeat(12)}`;
const GITHUB_TOKEN = `ghp_${"A1b2C3d4E5".repeat(3)}abcdef`;
const GITHUB_PAT = `github_pat_${"11ABCDEFG0".repeat(3)}_xyz`;
const SLACK_TOKEN = `xoxb-${"1234567890"}-${"abcdefghij"}`;
const ACCESS_KEY = `AKIA${"ABCDEFGHIJKLMNOP"}`;
const LOGIC_APP_HOOK = `https://prod-12.westeurope.logic.azure.com:443/workflows/${"0a".repeat(16)}/triggers/manual/paths/invoke?sig=${"Xy".repeat(10)}`;

const stringify = (value: unknown) => JSON.stringify(value, redactingReplacer);

describe("redactSecrets", () => {
  it.each([
    ["a Slack incoming-webhook URL", SLACK_HOOK],
    ["a Teams webhook URL", TEAMS_HOOK],
    ["a Power Automate (Logic Apps) workflow URL", LOGIC_APP_HOOK],
    ["a classic GitHub token", GITHUB_TOKEN],
    ["a fine-grained GitHub token", GITHUB_PAT],
    ["a Slack bot token", SLACK_TOKEN],
    ["an AWS access key id", ACCESS_KEY],
  ])("replaces %s inside a string, keeping the text around it", (_name, secret) => {
    const out = redactSecrets(`request to "${secret}" failed with 404`);
    expect(out).toBe(`request to "${REDACTED}" failed with 404`);
    expect(out).not.toContain(secret);
  });

  it("replaces every occurrence", () => {
    const out = redactSecrets(`${GITHUB_TOKEN} then ${SLACK_HOOK} then ${GITHUB_TOKEN}`);
    expect(out).toBe(`${REDACTED} then ${REDACTED} then ${REDACTED}`);
  });

  it("leaves ordinary text alone", () => {
    const text =
      "repository team-a/api@sha256:0123 scanned; see https://github.com/acme/security/issues/12 and arn:aws:sns:eu-west-1:123456789012:ecr-findings";
    expect(redactSecrets(text)).toBe(text);
    // Too short to be a token.
    expect(redactSecrets("ghp_short")).toBe("ghp_short");
  });
});

describe("redactingReplacer", () => {
  it.each([
    ["token", "s3cr3t-value"],
    ["githubToken", "s3cr3t-value"],
    ["webhookUrl", "https://example.com/hook/123"],
    ["password", "hunter2"],
    ["Authorization", "Bearer abc.def.ghi"],
    ["apiKey", "k-123"],
    ["api_key", "k-123"],
    ["clientSecret", "abc"],
    ["privateKey", "-----BEGIN KEY-----"],
    ["private_key", "-----BEGIN KEY-----"],
    ["api-key", "k-123"],
    ["token", 12345],
    ["password", true],
  ])("hides the value of the key %s whatever it holds (%s)", (key, value) => {
    expect(redactingReplacer(key, value)).toBe(REDACTED);
  });

  it("also hides a secretArn: it names a secret rather than holding one, but the key says secret", () => {
    const arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-a";
    expect(redactingReplacer("secretArn", arn)).toBe(REDACTED);
  });

  it("keeps null and object values of secret keys, and walks into the objects", () => {
    expect(redactingReplacer("token", null)).toBeNull();
    const ref = { parameter: "/ecr-scan-reporter/github-token" };
    expect(redactingReplacer("token", ref)).toBe(ref);
    // The SSM parameter's name is not a secret: it stays readable in the logs.
    expect(stringify({ token: ref })).toBe('{"token":{"parameter":"/ecr-scan-reporter/github-token"}}');
  });

  it("redacts secret-shaped values under any key", () => {
    expect(redactingReplacer("error", `POST ${SLACK_HOOK} failed`)).toBe(`POST ${REDACTED} failed`);
    expect(redactingReplacer("detail", GITHUB_TOKEN)).toBe(REDACTED);
  });

  it("leaves ordinary keys and values alone and turns bigints into text", () => {
    expect(redactingReplacer("repositoryName", "team-a/api")).toBe("team-a/api");
    expect(redactingReplacer("count", 3)).toBe(3);
    expect(redactingReplacer("big", 12345678901234567890n)).toBe("12345678901234567890");
  });

  it("redacts a whole nested document through JSON.stringify", () => {
    const out = stringify({
      reporter: "slack",
      options: { webhookUrl: SLACK_HOOK, channel: "#sec" },
      github: { token: GITHUB_TOKEN, owner: "acme" },
      messages: [`failed: ${SLACK_HOOK}`, "ok"],
    });
    expect(JSON.parse(out)).toEqual({
      reporter: "slack",
      options: { webhookUrl: REDACTED, channel: "#sec" },
      github: { token: REDACTED, owner: "acme" },
      messages: [`failed: ${REDACTED}`, "ok"],
    });
    expect(out).not.toContain("hooks.slack.com");
    expect(out).not.toContain(GITHUB_TOKEN);
  });
});

describe("createLogger", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  /** Captures what the logger writes: Powertools writes INFO to stdout and ERROR to stderr. */
  function captureOutput(): { stdout: string[]; stderr: string[] } {
    const captured = { stdout: [] as string[], stderr: [] as string[] };
    for (const stream of ["stdout", "stderr"] as const) {
      vi.spyOn(process[stream], "write").mockImplementation((chunk: string | Uint8Array) => {
        captured[stream].push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
        return true;
      });
    }
    return captured;
  }

  it("writes one structured JSON line with no secret in it", () => {
    vi.stubEnv("POWERTOOLS_DEV", "");
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "INFO");
    const logger = createLogger("ecr-scan-reporter-test");
    const captured = captureOutput();

    logger.info(`posting to ${SLACK_HOOK}`, {
      repository: "team-a/api",
      webhookUrl: SLACK_HOOK,
      token: GITHUB_TOKEN,
      note: `token was ${GITHUB_TOKEN}`,
    });

    const lines = captured.stdout;
    const output = lines.join("");
    expect(lines).toHaveLength(1);
    expect(captured.stderr).toEqual([]);
    const entry = JSON.parse(output) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: "INFO",
      service: "ecr-scan-reporter-test",
      message: `posting to ${REDACTED}`,
      repository: "team-a/api",
      webhookUrl: REDACTED,
      token: REDACTED,
      note: `token was ${REDACTED}`,
    });
    expect(output).not.toContain("hooks.slack.com");
    expect(output).not.toContain(GITHUB_TOKEN);
  });

  it("redacts secrets in a logged error's message and stack", () => {
    vi.stubEnv("POWERTOOLS_DEV", "");
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "INFO");
    const logger = createLogger("ecr-scan-reporter-test");
    const captured = captureOutput();

    logger.error("reporter failed", new Error(`POST ${SLACK_HOOK} returned 404 no_service`));

    expect(captured.stderr).toHaveLength(1);
    const output = captured.stderr.join("");
    const entry = JSON.parse(output) as { level: string; message: string; error: { message: string } };
    expect(entry.level).toBe("ERROR");
    expect(entry.message).toBe("reporter failed");
    expect(entry.error.message).toBe(`POST ${REDACTED} returned 404 no_service`);
    expect(output).toContain(`POST ${REDACTED} returned 404 no_service`);
    expect(output).not.toContain("hooks.slack.com");
  });

  it("gives reporters a logger whose every level writes the message and the fields they pass", () => {
    vi.stubEnv("POWERTOOLS_DEV", "");
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "DEBUG");
    const reporterLogger = toReporterLogger(createLogger("ecr-scan-reporter-test"));
    const captured = captureOutput();

    reporterLogger.debug("rendering", { template: "slack/finding.hbs" });
    reporterLogger.info("sent", { ref: "1712345678.000100" });
    reporterLogger.warn("rate limited", { retryAfterSeconds: 3, token: GITHUB_TOKEN });
    reporterLogger.error("failed", { status: 404 });

    const entries = [...captured.stdout, ...captured.stderr].map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );
    const byLevel = Object.fromEntries(entries.map((entry) => [entry.level, entry]));
    expect(entries).toHaveLength(4);
    expect(byLevel.DEBUG).toMatchObject({ message: "rendering", template: "slack/finding.hbs" });
    expect(byLevel.INFO).toMatchObject({ message: "sent", ref: "1712345678.000100" });
    expect(byLevel.WARN).toMatchObject({ message: "rate limited", retryAfterSeconds: 3, token: REDACTED });
    expect(byLevel.ERROR).toMatchObject({ message: "failed", status: 404 });
  });

  it("gives reporters a logger that writes a bare message when they pass no fields", () => {
    vi.stubEnv("POWERTOOLS_DEV", "");
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "DEBUG");
    const reporterLogger = toReporterLogger(createLogger("ecr-scan-reporter-test"));
    const captured = captureOutput();

    reporterLogger.debug("d");
    reporterLogger.info("i");
    reporterLogger.warn("w");
    reporterLogger.error("e");

    const entries = [...captured.stdout, ...captured.stderr].map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );
    expect(entries.map((entry) => [entry.level, entry.message])).toEqual([
      ["DEBUG", "d"],
      ["INFO", "i"],
      ["WARN", "w"],
      ["ERROR", "e"],
    ]);
  });
});
