import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A webhook endpoint that accepts any JSON POST (202, as Teams workflows answer) and keeps what it received. */
export interface WebhookReceiver {
  url: string;
  received: { path: string; body: unknown }[];
  close(): Promise<void>;
}

/** Starts a generic webhook receiver on 127.0.0.1, for custom reporters in the demo and tests. */
export async function startWebhookReceiver(path = "/webhook"): Promise<WebhookReceiver> {
  const received: WebhookReceiver["received"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST") {
        res.writeHead(405).end();
        return;
      }
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        received.push({ path: req.url ?? "", body: JSON.parse(text) });
        res.writeHead(202).end();
      } catch {
        res.writeHead(400).end("body is not JSON");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
