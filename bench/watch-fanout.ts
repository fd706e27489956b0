/**
 * Watch fan-out: WATCHERS idle watch streams on a running kv (KV_URL), then
 * one PUT every INTERVAL_MS for SECONDS, each event delivered to every
 * watcher. Prints the server's RSS per idle stream, the delivery lag the
 * server measured (kv_watch_delivery_lag_seconds: change recorded -> event
 * written to the socket; p50/p99 as histogram bucket bounds) and the lag the
 * watchers saw (PUT sent -> event parsed, which includes the PUT itself and
 * this client's own work on one event loop), and whether every watcher got
 * every event.
 *
 *   KV_URL=http://127.0.0.1:8080 WATCHERS=1000 INTERVAL_MS=10 SECONDS=20 node dist-test/bench/watch-fanout.js
 *
 * The server needs MAX_CONNECTIONS and WATCH_MAX_STREAMS above WATCHERS.
 */
import { Agent, request } from "node:http";

const url = new URL(process.env.KV_URL ?? "http://127.0.0.1:8080");
const watchers = Number(process.env.WATCHERS ?? 1000);
const intervalMs = Number(process.env.INTERVAL_MS ?? 10);
const seconds = Number(process.env.SECONDS ?? 20);
const agent = new Agent({ keepAlive: false, maxSockets: Infinity });

async function scrape(): Promise<string> {
  return (await fetch(new URL("/metrics", url))).text();
}

function sample(metrics: string, name: string): number {
  const line = new RegExp(`^${name} (\\S+)$`, "m").exec(metrics);
  if (line === null) throw new Error(`no ${name} in /metrics`);
  return Number(line[1]);
}

/** Cumulative bucket counts of a histogram, by upper bound. */
function buckets(metrics: string, name: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const match of metrics.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, "gm"))) found.set(match[1], Number(match[2]));
  return found;
}

/** The smallest bucket bound under which `quantile` of the observations between two scrapes fall. */
function quantileBound(before: Map<string, number>, after: Map<string, number>, quantile: number): string {
  const total = (after.get("+Inf") ?? 0) - (before.get("+Inf") ?? 0);
  for (const [bound, count] of after) if (count - (before.get(bound) ?? 0) >= quantile * total) return bound;
  return "+Inf";
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

interface Watcher {
  events: number;
  lags: number[];
}

function openWatcher(sentAt: Map<number, number>): Promise<Watcher> {
  const watcher: Watcher = { events: 0, lags: [] };
  return new Promise((resolve, reject) => {
    const req = request(new URL("/keys?watch=true&filter=fanout-$", url), { agent, headers: { accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`watch answered ${res.statusCode}`));
      res.setEncoding("utf8");
      let buffered = "";
      res.on("data", (chunk: string) => {
        buffered += chunk;
        for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const key = /"key":"fanout-(\d+)"/.exec(block);
          if (key === null) continue;
          watcher.events++;
          const sent = sentAt.get(Number(key[1]));
          if (sent !== undefined) watcher.lags.push(performance.now() - sent);
        }
      });
      resolve(watcher);
    });
    req.on("error", reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const idle = await scrape();
  const rssBefore = sample(idle, "process_resident_memory_bytes");
  const sentAt = new Map<number, number>();
  const opened: Watcher[] = [];
  for (let i = 0; i < watchers; i += 50) opened.push(...(await Promise.all(Array.from({ length: Math.min(50, watchers - i) }, () => openWatcher(sentAt)))));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const withStreams = await scrape();
  const rssAfter = sample(withStreams, "process_resident_memory_bytes");
  const lagBefore = buckets(withStreams, "kv_watch_delivery_lag_seconds");
  // One write every intervalMs on a fixed schedule, not waiting for the previous one to be answered.
  let writes = 0;
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const total = Math.floor((seconds * 1000) / intervalMs);
  while (writes < total) {
    const due = start + writes * intervalMs;
    if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
    const n = writes++;
    sentAt.set(n, performance.now());
    inFlight.push(
      fetch(new URL(`/keys/fanout-${n}`, url), { method: "PUT", headers: { "content-type": "application/json" }, body: String(n) }).then(async (response) => {
        await response.arrayBuffer();
        if (response.status >= 300) throw new Error(`PUT answered ${response.status}`);
      }),
    );
  }
  await Promise.all(inFlight);
  const settle = performance.now() + 10_000;
  while (opened.some((watcher) => watcher.events < writes) && performance.now() < settle) await new Promise((resolve) => setTimeout(resolve, 100));
  const after = await scrape();
  const lagAfter = buckets(after, "kv_watch_delivery_lag_seconds");
  const lags = opened.flatMap((watcher) => watcher.lags).sort((a, b) => a - b);
  const complete = opened.filter((watcher) => watcher.events === writes).length;
  console.log(
    JSON.stringify({
      watchers,
      writes,
      writesPerSecond: Math.round(writes / seconds),
      rssPerIdleStreamKiB: Math.round((rssAfter - rssBefore) / watchers / 1024),
      serverLagP50Le: quantileBound(lagBefore, lagAfter, 0.5),
      serverLagP99Le: quantileBound(lagBefore, lagAfter, 0.99),
      clientLagP50Ms: Math.round(percentile(lags, 0.5) * 10) / 10,
      clientLagP99Ms: Math.round(percentile(lags, 0.99) * 10) / 10,
      watchersWithEveryEvent: complete,
    }),
  );
  process.exit(0);
}

void main();
