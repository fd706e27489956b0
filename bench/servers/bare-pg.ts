import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readBody, send } from "./plain-http";
import { Pool } from "pg";

/**
 * Baseline 2: node:http + a pg Pool, one query per request, no framework, no
 * logging, no metrics - what a careful hand-written server does. Same table
 * and expiry rule as the service, so both read and write the same rows.
 */
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 10) });
const LIVE = "(expires_at_ms IS NULL OR expires_at_ms > $2)";

async function upsert(keys: string[], values: string[]): Promise<void> {
  await pool.query(
    `INSERT INTO kv_entries (key, value, version, create_version, expires_at_ms)
     SELECT k, v, n, n, NULL FROM (SELECT k, v, nextval('kv_version_seq') AS n FROM unnest($1::text[], $2::text[]) AS u(k, v)) AS fresh
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version, expires_at_ms = NULL`,
    [keys, values],
  );
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? "/";
  if (url.startsWith("/keys/")) {
    const key = decodeURIComponent(url.slice(6));
    if (req.method === "GET" || req.method === "HEAD") {
      const { rows } = await pool.query<{ value: string }>(`SELECT value FROM kv_entries WHERE key = $1 AND ${LIVE}`, [key, Date.now()]);
      if (rows.length === 0) return send(res, 404, '{"error":"not found"}');
      return send(res, 200, rows[0].value, req.method === "HEAD");
    }
    if (req.method === "PUT") {
      const value = await readBody(req);
      JSON.parse(value);
      await upsert([key], [value]);
      return send(res, 200, "{}");
    }
  }
  if (url === "/keys" && req.method === "PUT") {
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    // Sorted, as any careful server must: concurrent multi-row upserts that lock rows in different orders deadlock.
    const keys = Object.keys(body).sort();
    await upsert(keys, keys.map((key) => JSON.stringify(body[key])));
    return send(res, 200, "{}");
  }
  send(res, 404, '{"error":"no route"}');
}

createServer((req, res) => {
  handle(req, res).catch(() => send(res, 500, '{"error":"internal"}'));
}).listen(Number(process.env.PORT), "127.0.0.1", () => process.send?.("listening"));
