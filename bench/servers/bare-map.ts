import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readBody, send } from "./plain-http";

/**
 * Baseline 3: node:http + a Map - the ceiling for the memory adapter: no
 * framework, no validation beyond JSON.parse, no logging, no metrics.
 */
const store = new Map<string, string>();

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? "/";
  if (url.startsWith("/keys/")) {
    const key = decodeURIComponent(url.slice(6));
    if (req.method === "GET" || req.method === "HEAD") {
      const value = store.get(key);
      if (value === undefined) return send(res, 404, '{"error":"not found"}');
      return send(res, 200, value, req.method === "HEAD");
    }
    if (req.method === "PUT") {
      const value = await readBody(req);
      JSON.parse(value);
      store.set(key, value);
      return send(res, 200, "{}");
    }
  }
  if (url === "/keys" && req.method === "PUT") {
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    for (const key of Object.keys(body)) store.set(key, JSON.stringify(body[key]));
    return send(res, 200, "{}");
  }
  send(res, 404, '{"error":"no route"}');
}

createServer((req, res) => {
  handle(req, res).catch(() => send(res, 500, '{"error":"internal"}'));
}).listen(Number(process.env.PORT), "127.0.0.1", () => process.send?.("listening"));
