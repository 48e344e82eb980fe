import { describe, expect, it } from "vitest";
import {
  type EmailReporterOptionsInput,
  emailOptionsSchema,
  formatMailbox,
  MAX_RECIPIENTS,
  parseMailbox,
} from "../src/index.js";

function problems(options: unknown): string[] {
  const parsed = emailOptionsSchema.safeParse(options);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

const addresses = (n: number, domain = "acme.example") =>
  Array.from({ length: n }, (_, i) => `u${i}@${domain}`);

describe("options", () => {
  it("applies the defaults and turns one address into a list", () => {
    const options = emailOptionsSchema.parse({ from: "scans@acme.example", to: "sec@acme.example" });
    expect(options).toEqual({
      from: { address: "scans@acme.example" },
      to: [{ address: "sec@acme.example" }],
      subjectPrefix: "[ecr-scan-reporter]",
      maxFindings: 100,
    });
  });

  it("keeps every option it knows", () => {
    const input: EmailReporterOptionsInput = {
      from: "ECR scans <scans@acme.example>",
      to: ["a@acme.example", "b@acme.example"],
      cc: ["c@acme.example"],
      replyTo: "desk@acme.example",
      configurationSet: "ecr_scan-events",
      subjectPrefix: "[prod]",
      maxFindings: 20,
      templates: { "email/subject.hbs": "{{headline}}" },
    };
    const options = emailOptionsSchema.parse(input);
    expect(options.from).toEqual({ name: "ECR scans", address: "scans@acme.example" });
    expect(options.to.map((m) => m.address)).toEqual(["a@acme.example", "b@acme.example"]);
    expect(options.cc?.map((m) => m.address)).toEqual(["c@acme.example"]);
    expect(options.replyTo?.map((m) => m.address)).toEqual(["desk@acme.example"]);
    expect(options).toMatchObject({
      configurationSet: "ecr_scan-events",
      subjectPrefix: "[prod]",
      maxFindings: 20,
    });
  });

  it("requires from and at least one recipient, and rejects unknown keys", () => {
    expect(problems({ to: "a@acme.example" })).toEqual([
      "from: Invalid input: expected string, received undefined",
    ]);
    expect(problems({ from: "s@acme.example", to: [] })).toEqual([
      "to: must list 1-50 addresses (SES sends to at most 50 per message)",
    ]);
    expect(problems({ from: "s@acme.example", to: "a@acme.example", bcc: "x@acme.example" })).toEqual([
      ': Unrecognized key: "bcc"',
    ]);
    expect(problems({ from: "s@acme.example", to: 42 })).toEqual([
      "to: must be an e-mail address or a list of them",
    ]);
  });

  it(`holds to, and to with cc, to SES's ${MAX_RECIPIENTS} recipients a message`, () => {
    expect(problems({ from: "s@acme.example", to: addresses(50) })).toEqual([]);
    expect(problems({ from: "s@acme.example", to: addresses(51) })).toEqual([
      "to: must list 1-50 addresses (SES sends to at most 50 per message)",
    ]);
    expect(problems({ from: "s@acme.example", to: addresses(30), cc: addresses(21, "b.example") })).toEqual([
      "cc: to and cc together list 51 addresses; SES sends to at most 50 per message",
    ]);
  });

  it("names each bad address by its index", () => {
    expect(
      problems({
        from: "s@acme.example",
        to: ["ok@acme.example", "nope", "x@acme.example\r\nBcc: evil@evil.example"],
      }),
    ).toEqual([
      'to.1: "nope" is not an e-mail address like name@example.com',
      'to.2: "x@acme.example\\r\\nBcc: evil@evil.example" must be one line (no line break)',
    ]);
  });

  it("checks the configuration set name, subject prefix, finding cap and template names", () => {
    const base = { from: "s@acme.example", to: "a@acme.example" };
    expect(problems({ ...base, configurationSet: "bad name!" })).toEqual([
      "configurationSet: must be an SES configuration set name: 1-64 letters, digits, hyphens or underscores",
    ]);
    expect(problems({ ...base, subjectPrefix: "[x]\r\nBcc: y@z.example" })).toEqual([
      "subjectPrefix: must be one line without control characters",
    ]);
    expect(problems({ ...base, maxFindings: 1.5 })).toEqual(["maxFindings: must be a whole number"]);
    expect(problems({ ...base, maxFindings: 5_000 })).toHaveLength(1);
    expect(problems({ ...base, templates: { "slack/finding.hbs": "x" } })).toEqual([
      "templates.slack/finding.hbs: is not a template of the email reporter; the names are " +
        "email/body.html.hbs, email/body.txt.hbs, email/digest-subject.hbs, email/digest.html.hbs, " +
        "email/digest.txt.hbs, email/subject.hbs (or email/partials/NAME.hbs)",
    ]);
    expect(problems({ ...base, templates: { "email/subject.hbs": "{{#if failed}}" } })).toEqual([
      expect.stringMatching(
        /^templates\.email\/subject\.hbs: is not a valid Handlebars template: Parse error/,
      ),
    ]);
    expect(problems({ ...base, templates: { "email/partials/mine.hbs": "{{id}}" } })).toEqual([]);
  });
});

describe("mailboxes", () => {
  it("parses a bare address, a named one and a quoted name", () => {
    expect(parseMailbox("scans@acme.example")).toEqual({
      ok: true,
      mailbox: { address: "scans@acme.example" },
    });
    expect(parseMailbox(" ECR scans <scans@acme.example> ")).toEqual({
      ok: true,
      mailbox: { name: "ECR scans", address: "scans@acme.example" },
    });
    expect(parseMailbox('"Acme, \\"Security\\"" <sec@acme.example>')).toEqual({
      ok: true,
      mailbox: { name: 'Acme, "Security"', address: "sec@acme.example" },
    });
  });

  it("writes a Unicode domain in Punycode, as SES requires", () => {
    expect(parseMailbox("alerts@bücher.example")).toEqual({
      ok: true,
      mailbox: { address: "alerts@xn--bcher-kva.example" },
    });
  });

  it("rejects what SES cannot send: non-ASCII local parts, missing domains, junk", () => {
    for (const text of [
      "jörg@acme.example",
      "scans@",
      "@acme.example",
      "scans@acme",
      "a b@acme.example",
      "<>",
    ]) {
      expect(parseMailbox(text).ok, text).toBe(false);
    }
  });

  it("formats the friendly name: plain, quoted when it has specials, MIME-encoded when not ASCII", () => {
    expect(formatMailbox({ address: "s@acme.example" })).toBe("s@acme.example");
    expect(formatMailbox({ name: "ECR scans", address: "s@acme.example" })).toBe(
      "ECR scans <s@acme.example>",
    );
    expect(formatMailbox({ name: 'Acme, "Security"', address: "s@acme.example" })).toBe(
      '"Acme, \\"Security\\"" <s@acme.example>',
    );
    expect(formatMailbox({ name: "Sécurité", address: "s@acme.example" })).toBe(
      "=?UTF-8?B?U8OpY3VyaXTDqQ==?= <s@acme.example>",
    );
  });

  it("splits a long non-ASCII name into encoded words of at most 75 characters", () => {
    const name = "Équipe sécurité des conteneurs de l'entreprise — alertes ECR";
    const formatted = formatMailbox({ name, address: "s@acme.example" });
    const words = formatted.replace(/ <s@acme\.example>$/, "").split(" ");
    expect(words.length).toBeGreaterThan(1);
    for (const word of words) {
      expect(word).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
      expect(word.length).toBeLessThanOrEqual(75);
    }
    const decoded = words
      .map((w) => Buffer.from(w.slice("=?UTF-8?B?".length, -2), "base64").toString("utf8"))
      .join("");
    expect(decoded).toBe(name);
  });
});
