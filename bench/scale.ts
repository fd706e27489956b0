import { writeFileSync } from "node:fs";
import { Client } from "pg";
import Cursor from "pg-cursor";
import { memoryMb } from "./process-stats";

/**
 * The listing workloads on a large keyspace, for one running kv server:
 * a full `GET /keys` (time, bytes, the server's peak RSS during it) against a
 * raw pg-cursor read of the same rows, and prefix and infix filters (p50 and
 * p99 of sequential requests). Keys are loaded through the service itself.
 */
export const SCALE_KEYS = 1_000_000;
const scaleKey = (n: number) => `scale-${String(n).padStart(7, "0")}`;

export interface ScaleServer {
  readonly url: string;
  readonly pid: number;
}

export async function loadScaleKeys(server: ScaleServer): Promise<number> {
  const started = Date.now();
  for (let start = 0; start < SCALE_KEYS; start += 2000) {
    const members = Array.from({ length: 2000 }, (_, i) => `"${scaleKey(start + i)}":{"n":${start + i}}`);
    const response = await fetch(`${server.url}/keys`, { method: "PUT", body: `{${members.join(",")}}`, headers: { "content-type": "application/json" } });
    if (!response.ok) throw new Error(`loading scale keys failed: ${response.status}`);
  }
  return (Date.now() - started) / 1000;
}

/**
 * Resets the kernel's peak-RSS mark of a process (Linux: write 5 to
 * clear_refs), so VmHWM shows the peak from now on. False when not permitted:
 * the peak then covers the process's whole life.
 */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EACCES" || (error as NodeJS.ErrnoException).code === "EPERM") return false;
    throw error;
  }
}

export async function fullListing(server: ScaleServer): Promise<{ seconds: number; megabytes: number; peakRssMb: number; peakSinceListing: boolean }> {
  const peakSinceListing = resetPeak(server.pid);
  const started = process.hrtime.bigint();
  const response = await fetch(`${server.url}/keys`);
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, megabytes: bytes / 1e6, peakRssMb: memoryMb(server.pid).peak, peakSinceListing };
}

/** The same rows read straight from PostgreSQL with pg-cursor, 2000 at a time: the floor for a streamed listing. */
export async function rawCursorRead(databaseUrl: string): Promise<{ seconds: number; rows: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const started = process.hrtime.bigint();
    const cursor = client.query(new Cursor("SELECT key, value FROM kv_entries WHERE expires_at_ms IS NULL OR expires_at_ms > $1 ORDER BY key", [Date.now()]));
    let rows = 0;
    for (;;) {
      const batch = await cursor.read(2000);
      if (batch.length === 0) break;
      rows += batch.length;
    }
    await cursor.close();
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9, rows };
  } finally {
    await client.end();
  }
}

/** Latency percentiles of `count` sequential requests for one path. */
export async function sequentialLatency(server: ScaleServer, path: string, count = 50): Promise<{ p50: number; p99: number; keys: number }> {
  const times: number[] = [];
  let keys = 0;
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    const response = await fetch(`${server.url}${path}`);
    const body = (await response.json()) as Record<string, unknown>;
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    keys = Object.keys(body).length;
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] * 100) / 100;
  return { p50: at(0.5), p99: at(0.99), keys };
}

export const PREFIX_FILTER = "/keys?filter=scale-00001$";
export const INFIX_FILTER = "/keys?filter=$12345$";

async function purgedSoFar(server: ScaleServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^kv_expired_keys_purged_total (\S+)$/m.exec(text)?.[1] ?? NaN);
}

/** Writes SCALE_KEYS keys that expire 1 s later (run it on a server whose sweeper is off). */
export async function writeExpiringKeys(server: ScaleServer): Promise<void> {
  for (let start = 0; start < SCALE_KEYS; start += 2000) {
    const members = Array.from({ length: 2000 }, (_, i) => `"exp-${String(start + i).padStart(7, "0")}":${start + i}`);
    const response = await fetch(`${server.url}/keys?expire_in=1`, { method: "PUT", body: `{${members.join(",")}}`, headers: { "content-type": "application/json" } });
    if (!response.ok) throw new Error(`writing expiring keys failed: ${response.status}`);
  }
}

/**
 * Times a freshly started server's sweeper removing the SCALE_KEYS expired
 * keys, from `sweepStartsAt` (its start plus the sweep interval) until its
 * purge counter reaches them all, while a client reads one live key in a loop
 * to show what purging costs the requests that run meanwhile. The time is
 * known to within the one-second polling interval.
 */
export async function timePurge(server: ScaleServer, sweepStartsAt: bigint): Promise<{ seconds: number; rowsPerSecond: number; p50: number; p99: number; reads: number }> {
  const latencies: number[] = [];
  let done = false;
  const reader = (async () => {
    while (!done) {
      const t0 = process.hrtime.bigint();
      await (await fetch(`${server.url}/keys/scale-0000001`)).text();
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  })();
  // Polled once a second, like a tight Prometheus scrape: every /metrics
  // request samples the keyspace (an index count of up to 100,000 expired
  // rows), so polling every few ms would itself load the storage.
  while ((await purgedSoFar(server)) < SCALE_KEYS) await new Promise((resolve) => setTimeout(resolve, 1000));
  const seconds = Number(process.hrtime.bigint() - sweepStartsAt) / 1e9;
  done = true;
  await reader;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 100) / 100;
  return { seconds, rowsPerSecond: SCALE_KEYS / seconds, p50: at(0.5), p99: at(0.99), reads: latencies.length };
}
