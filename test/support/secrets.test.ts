import { describe, expect, it } from "vitest";
import { findSecrets } from "./secrets.js";

const WEBHOOK = "http://127.0.0.1:4567/services/T000/B000/XXXX";
const TOKEN = "ghp_test000000000000000000000000000000000";

describe("findSecrets", () => {
  it("finds a secret as it is, inside a JSON string, URL-encoded, and a webhook URL's host or path alone", () => {
    const outputs = {
      plain: `posting to ${WEBHOOK}`,
      json: JSON.stringify({ message: "resolved", value: `say "${TOKEN}"` }),
      encoded: `next=${encodeURIComponent(WEBHOOK)}`,
      noScheme: "target 127.0.0.1:4567/services/T000/B000/XXXX",
      path: '{"path":"/services/T000/B000/XXXX"}',
      object: { nested: [{ token: TOKEN }] },
    };
    expect(findSecrets(outputs, { webhook: WEBHOOK, token: TOKEN })).toEqual([
      "plain: webhook",
      "json: token",
      "encoded: webhook",
      "noScheme: webhook",
      "path: webhook",
      "object: token",
    ]);
  });

  it("finds each value of a JSON secret, and leaves alone what only shares a host or a short path", () => {
    const secret = JSON.stringify({ url: "https://hooks.example/workflows/abc123def456" });
    expect(
      findSecrets(
        {
          field: "POST https://hooks.example/workflows/abc123def456",
          host: "https://hooks.example/health",
          shortPath: "sent to /webhook",
        },
        { "json secret": secret, "short webhook": "http://127.0.0.1:9/webhook" },
      ),
    ).toEqual(["field: json secret"]);
  });
});
